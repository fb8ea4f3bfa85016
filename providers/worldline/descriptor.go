package worldline

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Provider describes Worldline Connect to the server (see package registry).
var Provider = registry.Descriptor{
	Name: Name,
	Vars: []registry.Var{
		{Env: "CHECKOUT_WORLDLINE_BASE_URL"},
		{Env: "CHECKOUT_WORLDLINE_MERCHANT_ID"},
		{Env: "CHECKOUT_WORLDLINE_API_KEY_ID"},
		{Env: "CHECKOUT_WORLDLINE_SECRET_API_KEY"},
		{Env: "CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID"},
		{Env: "CHECKOUT_WORLDLINE_WEBHOOK_SECRET"},
	},
	Capabilities: checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodCard}, ManualCapture: true},
	Refunds:      true,
	Cancels:      true,
	New: func(v registry.Vars, env registry.Env) (checkout.Provider, error) {
		return New(Config{
			BaseURL:       v["CHECKOUT_WORLDLINE_BASE_URL"],
			MerchantID:    v["CHECKOUT_WORLDLINE_MERCHANT_ID"],
			APIKeyID:      v["CHECKOUT_WORLDLINE_API_KEY_ID"],
			SecretAPIKey:  v["CHECKOUT_WORLDLINE_SECRET_API_KEY"],
			WebhookKeyID:  v["CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID"],
			WebhookSecret: v["CHECKOUT_WORLDLINE_WEBHOOK_SECRET"],
			HTTPClient:    env.HTTPClient,
			Now:           env.Now,
			NotFoundAfter: env.NotFoundAfter,
		})
	},
}
