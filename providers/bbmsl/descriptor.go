package bbmsl

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Provider describes BBMSL to the server (see package registry).
var Provider = registry.Descriptor{
	Name: Name,
	Vars: []registry.Var{
		{Env: "CHECKOUT_BBMSL_BASE_URL"},
		{Env: "CHECKOUT_BBMSL_MERCHANT_ID"},
		{Env: "CHECKOUT_BBMSL_PRIVATE_KEY"},
		{Env: "CHECKOUT_BBMSL_PUBLIC_KEY"},
	},
	Capabilities: checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodSavedCard}, Currencies: currencies},
	Cancels:      true,
	New: func(v registry.Vars, env registry.Env) (checkout.Provider, error) {
		return New(Config{
			BaseURL:            v["CHECKOUT_BBMSL_BASE_URL"],
			MerchantID:         v["CHECKOUT_BBMSL_MERCHANT_ID"],
			MerchantPrivateKey: v["CHECKOUT_BBMSL_PRIVATE_KEY"],
			BBMSLPublicKey:     v["CHECKOUT_BBMSL_PUBLIC_KEY"],
			HTTPClient:         env.HTTPClient,
			Now:                env.Now,
			NotFoundAfter:      env.NotFoundAfter,
		})
	},
}
