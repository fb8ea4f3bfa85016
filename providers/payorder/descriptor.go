package payorder

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Provider describes payOrder to the server (see package registry).
var Provider = registry.Descriptor{
	Name: Name,
	Vars: []registry.Var{
		{Env: "CHECKOUT_PAYORDER_BASE_URL"},
		{Env: "CHECKOUT_PAYORDER_SESSIONS_URL"},
		{Env: "CHECKOUT_PAYORDER_MERCHANT_ID"},
		{Env: "CHECKOUT_PAYORDER_CHECKOUT_ID"},
		{Env: "CHECKOUT_PAYORDER_AES_KEY"},
		{Env: "CHECKOUT_PAYORDER_PRIVATE_KEY"},
		{Env: "CHECKOUT_PAYORDER_PLATFORM_PUBLIC_KEY"},
	},
	Capabilities: checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodCard}, Currencies: []string{"USD"}},
	New: func(v registry.Vars, env registry.Env) (checkout.Provider, error) {
		return New(Config{
			BaseURL:            v["CHECKOUT_PAYORDER_BASE_URL"],
			SessionsURL:        v["CHECKOUT_PAYORDER_SESSIONS_URL"],
			MerchantID:         v["CHECKOUT_PAYORDER_MERCHANT_ID"],
			CheckoutID:         v["CHECKOUT_PAYORDER_CHECKOUT_ID"],
			AESKey:             v["CHECKOUT_PAYORDER_AES_KEY"],
			MerchantPrivateKey: v["CHECKOUT_PAYORDER_PRIVATE_KEY"],
			PlatformPublicKey:  v["CHECKOUT_PAYORDER_PLATFORM_PUBLIC_KEY"],
			HTTPClient:         env.HTTPClient,
		})
	},
}
