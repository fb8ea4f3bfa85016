package antom

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Provider describes Antom to the server (see package registry).
var Provider = registry.Descriptor{
	Name: Name,
	Vars: []registry.Var{
		{Env: "CHECKOUT_ANTOM_BASE_URL"},
		{Env: "CHECKOUT_ANTOM_CLIENT_ID"},
		{Env: "CHECKOUT_ANTOM_PRIVATE_KEY"},
		{Env: "CHECKOUT_ANTOM_PUBLIC_KEY"},
	},
	Capabilities: checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodCard}, ManualCapture: true},
	Refunds:      true,
	Cancels:      true,
	New: func(v registry.Vars, env registry.Env) (checkout.Provider, error) {
		return New(Config{
			BaseURL:            v["CHECKOUT_ANTOM_BASE_URL"],
			ClientID:           v["CHECKOUT_ANTOM_CLIENT_ID"],
			MerchantPrivateKey: v["CHECKOUT_ANTOM_PRIVATE_KEY"],
			AntomPublicKey:     v["CHECKOUT_ANTOM_PUBLIC_KEY"],
			HTTPClient:         env.HTTPClient,
			Now:                env.Now,
			NotFoundAfter:      env.NotFoundAfter,
		})
	},
}
