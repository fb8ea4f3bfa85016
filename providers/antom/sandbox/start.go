package sandbox

import (
	"time"

	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Start runs an Antom sandbox with fresh credentials and returns the
// variables that point the adapter at it (registry.Descriptor.Sandbox).
func Start(env registry.SandboxEnv) (*registry.Started, error) {
	creds, err := NewCredentials()
	if err != nil {
		return nil, err
	}
	sb, err := New(Config{PublicURL: env.PublicURL, Credentials: creds, NotifyURL: env.NotifyURL,
		HTTPClient: env.HTTPClient, Now: env.Now, ActionTimeout: env.ActionTimeout})
	if err != nil {
		return nil, err
	}
	return &registry.Started{Sandbox: sb, Vars: registry.Vars{
		"CHECKOUT_ANTOM_BASE_URL":    env.InternalURL,
		"CHECKOUT_ANTOM_CLIENT_ID":   creds.ClientID,
		"CHECKOUT_ANTOM_PRIVATE_KEY": creds.MerchantPrivateKey,
		"CHECKOUT_ANTOM_PUBLIC_KEY":  creds.AntomPublicKey,
	},
		NotFoundAfter: time.Second}, nil // the sandbox stores a payment before it answers
}
