package sandbox

import (
	"time"

	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Start runs an Alipay+ wallet sandbox with fresh credentials and returns
// the variables that point the adapter at it (registry.Descriptor.Sandbox).
func Start(env registry.SandboxEnv) (*registry.Started, error) {
	creds, err := NewCredentials()
	if err != nil {
		return nil, err
	}
	sb, err := New(Config{PublicURL: env.PublicURL, Credentials: creds, HTTPClient: env.HTTPClient, Now: env.Now,
		ActionTimeout: env.ActionTimeout})
	if err != nil {
		return nil, err
	}
	return &registry.Started{Sandbox: sb, Vars: registry.Vars{
		"CHECKOUT_ALIPAYPLUS_BASE_URL":          env.InternalURL,
		"CHECKOUT_ALIPAYPLUS_CLIENT_ID":         creds.ClientID,
		"CHECKOUT_ALIPAYPLUS_PRIVATE_KEY":       creds.MerchantPrivateKey,
		"CHECKOUT_ALIPAYPLUS_WALLET_PUBLIC_KEY": creds.WalletPublicKey,
		"CHECKOUT_ALIPAYPLUS_MERCHANT_NAME":     "Demo Coffee Co.",
	},
		NotFoundAfter: time.Second}, nil // the sandbox stores an order before it answers
}
