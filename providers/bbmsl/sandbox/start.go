package sandbox

import (
	"time"

	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Start runs a BBMSL sandbox with fresh credentials and returns the
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
		"CHECKOUT_BBMSL_BASE_URL":    env.InternalURL,
		"CHECKOUT_BBMSL_MERCHANT_ID": creds.MerchantID,
		"CHECKOUT_BBMSL_PRIVATE_KEY": creds.MerchantPrivateKey,
		"CHECKOUT_BBMSL_PUBLIC_KEY":  creds.BBMSLPublicKey,
	},
		NotFoundAfter: time.Second}, nil // the sandbox stores an order before it answers
}
