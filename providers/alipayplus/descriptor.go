package alipayplus

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Provider describes Alipay+ wallets to the server (see package registry).
var Provider = registry.Descriptor{
	Name: Name,
	Vars: []registry.Var{
		{Env: "CHECKOUT_ALIPAYPLUS_BASE_URL"},
		{Env: "CHECKOUT_ALIPAYPLUS_PATH_PREFIX", Optional: true},
		{Env: "CHECKOUT_ALIPAYPLUS_CLIENT_ID"},
		{Env: "CHECKOUT_ALIPAYPLUS_PRIVATE_KEY"},
		{Env: "CHECKOUT_ALIPAYPLUS_WALLET_PUBLIC_KEY"},
		{Env: "CHECKOUT_ALIPAYPLUS_MERCHANT_NAME"},
	},
	Capabilities: checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodWallet}},
	New: func(v registry.Vars, env registry.Env) (checkout.Provider, error) {
		return New(Config{
			BaseURL:            v["CHECKOUT_ALIPAYPLUS_BASE_URL"],
			PathPrefix:         v["CHECKOUT_ALIPAYPLUS_PATH_PREFIX"],
			ClientID:           v["CHECKOUT_ALIPAYPLUS_CLIENT_ID"],
			MerchantPrivateKey: v["CHECKOUT_ALIPAYPLUS_PRIVATE_KEY"],
			WalletPublicKey:    v["CHECKOUT_ALIPAYPLUS_WALLET_PUBLIC_KEY"],
			MerchantName:       v["CHECKOUT_ALIPAYPLUS_MERCHANT_NAME"],
			HTTPClient:         env.HTTPClient,
			Now:                env.Now,
			NotFoundAfter:      env.NotFoundAfter,
		})
	},
}
