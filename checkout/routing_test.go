package checkout_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// capsProvider is a provider known only by its capabilities (routing never
// calls it).
type capsProvider struct {
	fakeProvider
	caps checkout.Capabilities
}

func (c *capsProvider) Capabilities() checkout.Capabilities { return c.caps }

// A session that names no provider goes to the merchant's default when it
// takes the method in the currency (and the capture mode), otherwise to the
// first configured provider in the server's order that does; a session
// nobody can take is a 422 naming what nobody takes. A named provider is
// held to what it can do.
func TestRoutingByMethodAndCurrency(t *testing.T) {
	svc, m, _ := MustService(t, &fakeProvider{})
	card, wallet := checkout.MethodCard, checkout.MethodWallet
	svc.Providers = map[string]checkout.Provider{
		"usd":    &capsProvider{caps: checkout.Capabilities{Methods: []checkout.PaymentMethod{card}, Currencies: []string{"USD"}}},
		"hkd":    &capsProvider{caps: checkout.Capabilities{Methods: []checkout.PaymentMethod{card}, Currencies: []string{"HKD", "USD"}, ManualCapture: true}},
		"eur":    &capsProvider{caps: checkout.Capabilities{Methods: []checkout.PaymentMethod{card}, Currencies: []string{"EUR"}, ManualCapture: true}},
		"wallet": &capsProvider{caps: checkout.Capabilities{Methods: []checkout.PaymentMethod{wallet}, Currencies: []string{"CNY", "USD"}}},
	}
	svc.ProviderOrder = []string{"usd", "eur", "hkd", "wallet"}
	m.DefaultProvider = "usd"
	for _, c := range []struct {
		name      string
		currency  string
		methods   []checkout.PaymentMethod
		provider  string
		capture   checkout.CaptureMode
		want      map[checkout.PaymentMethod]string
		wantParam string
	}{
		{name: "the default takes it", currency: "USD", want: map[checkout.PaymentMethod]string{card: "usd"}},
		{name: "the first in order that takes the currency", currency: "EUR", want: map[checkout.PaymentMethod]string{card: "eur"}},
		{name: "order decides between able providers", currency: "HKD", want: map[checkout.PaymentMethod]string{card: "hkd"}},
		{name: "manual capture skips the default", currency: "USD", capture: checkout.CaptureManual, want: map[checkout.PaymentMethod]string{card: "hkd"}},
		{name: "each method its own provider", currency: "USD", methods: []checkout.PaymentMethod{card, wallet},
			want: map[checkout.PaymentMethod]string{card: "usd", wallet: "wallet"}},
		{name: "nobody takes the currency", currency: "JPY", wantParam: "currency"},
		{name: "the wallet in a currency it lacks", currency: "EUR", methods: []checkout.PaymentMethod{wallet}, wantParam: "currency"},
		{name: "nobody captures the wallet later", currency: "USD", methods: []checkout.PaymentMethod{wallet}, capture: checkout.CaptureManual, wantParam: "capture_mode"},
		{name: "a named provider lacking the currency", currency: "EUR", provider: "usd", wantParam: "currency"},
		{name: "a named provider lacking manual capture", currency: "USD", provider: "usd", capture: checkout.CaptureManual, wantParam: "capture_mode"},
		{name: "a named provider that can", currency: "USD", provider: "hkd", want: map[checkout.PaymentMethod]string{card: "hkd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := svc.CreateSession(context.Background(), m, checkout.CreateSessionParams{Amount: 1000, Currency: c.currency,
				SuccessURL: "https://shop.test/ok", PaymentMethods: c.methods, Provider: c.provider, CaptureMode: c.capture})
			if c.wantParam != "" {
				var ce *checkout.Error
				if !errors.As(err, &ce) || ce.Code != checkout.EUnsupported || ce.Param != c.wantParam {
					t.Fatalf("got %v (session %v), want unsupported naming %s", err, s, c.wantParam)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for meth, want := range c.want {
				if s.Routes[meth] != want {
					t.Errorf("%s went to %s, want %s (routes %v)", meth, s.Routes[meth], want, s.Routes)
				}
			}
		})
	}
}
