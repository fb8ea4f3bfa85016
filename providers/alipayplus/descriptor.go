package alipayplus

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Provider describes Alipay+ wallets to the server (see package registry).
var Provider = registry.Descriptor{
	Name:  Name,
	Title: "Alipay+",
	Vars: []registry.Var{
		{Env: "CHECKOUT_ALIPAYPLUS_BASE_URL", Help: "the wallet's OpenAPI host"},
		{Env: "CHECKOUT_ALIPAYPLUS_PATH_PREFIX", Help: "a path before /v1/payments/... (some wallets)", Optional: true},
		{Env: "CHECKOUT_ALIPAYPLUS_CLIENT_ID", Help: "Client-Id"},
		{Env: "CHECKOUT_ALIPAYPLUS_PRIVATE_KEY", Help: "merchant RSA private key"},
		{Env: "CHECKOUT_ALIPAYPLUS_WALLET_PUBLIC_KEY", Help: "the wallet's RSA public key"},
		{Env: "CHECKOUT_ALIPAYPLUS_MERCHANT_NAME", Help: "the name the cashier shows"},
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
