package sandbox

import "github.com/opencheckout/hostedcheckout/providers/registry"

// Start runs a payOrder sandbox with fresh credentials and returns the
// variables that point the adapter at it (registry.Descriptor.Sandbox).
func Start(env registry.SandboxEnv) (*registry.Started, error) {
	creds, err := NewCredentials()
	if err != nil {
		return nil, err
	}
	sb, err := New(Config{PublicURL: env.PublicURL, Credentials: creds, Now: env.Now, ActionTimeout: env.ActionTimeout})
	if err != nil {
		return nil, err
	}
	return &registry.Started{Sandbox: sb, Vars: registry.Vars{
		"CHECKOUT_PAYORDER_BASE_URL":            env.InternalURL,
		"CHECKOUT_PAYORDER_SESSIONS_URL":        env.InternalURL,
		"CHECKOUT_PAYORDER_MERCHANT_ID":         creds.MerchantID,
		"CHECKOUT_PAYORDER_CHECKOUT_ID":         creds.CheckoutID,
		"CHECKOUT_PAYORDER_AES_KEY":             creds.AESKey,
		"CHECKOUT_PAYORDER_PRIVATE_KEY":         creds.MerchantPrivateKey,
		"CHECKOUT_PAYORDER_PLATFORM_PUBLIC_KEY": creds.PlatformPublicKey,
	}}, nil
}
