package sandbox

import (
	"time"

	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Start runs a Worldline sandbox with fresh credentials and returns the
// variables that point the adapter at it (registry.Descriptor.Sandbox).
func Start(env registry.SandboxEnv) (*registry.Started, error) {
	creds, err := NewCredentials()
	if err != nil {
		return nil, err
	}
	sb, err := New(Config{PublicURL: env.PublicURL, Credentials: creds, WebhookURL: env.NotifyURL,
		HTTPClient: env.HTTPClient, Now: env.Now, ActionTimeout: env.ActionTimeout})
	if err != nil {
		return nil, err
	}
	return &registry.Started{Sandbox: sb, Vars: registry.Vars{
		"CHECKOUT_WORLDLINE_BASE_URL":       env.InternalURL,
		"CHECKOUT_WORLDLINE_MERCHANT_ID":    creds.MerchantID,
		"CHECKOUT_WORLDLINE_API_KEY_ID":     creds.APIKeyID,
		"CHECKOUT_WORLDLINE_SECRET_API_KEY": creds.SecretAPIKey,
		"CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID": creds.WebhookKeyID,
		"CHECKOUT_WORLDLINE_WEBHOOK_SECRET": creds.WebhookSecret,
	},
		// The sandbox stores a payment before it answers, so a payment it
		// cannot find after a failed create was never made.
		NotFoundAfter: time.Second}, nil
}
