package web_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/web"
)

// The registry's descriptors say what the adapters they build do: the
// capabilities, refunds and cancels of each descriptor are those of its
// adapter as built in sandbox mode, so the list can be trusted as the
// documentation of the providers.
func TestRegistryDescribesItsAdapters(t *testing.T) {
	if err := web.Providers.Check(); err != nil {
		t.Fatal(err)
	}
	app := MustApp(t, nil)
	for _, d := range web.Providers {
		p, ok := app.Service.Providers[d.Name]
		if !ok {
			t.Fatalf("%s: not built in sandbox mode", d.Name)
		}
		if p.Name() != d.Name {
			t.Errorf("%s: the adapter calls itself %s", d.Name, p.Name())
		}
		if got := p.Capabilities(); !reflect.DeepEqual(got, d.Capabilities) {
			t.Errorf("%s: adapter capabilities %+v, descriptor says %+v", d.Name, got, d.Capabilities)
		}
		if _, ok := p.(checkout.Refunder); ok != d.Refunds {
			t.Errorf("%s: adapter refunds %v, descriptor says %v", d.Name, ok, d.Refunds)
		}
		if _, ok := p.(checkout.Canceler); ok != d.Cancels {
			t.Errorf("%s: adapter cancels %v, descriptor says %v", d.Name, ok, d.Cancels)
		}
		if _, ok := app.Sandbox.Get(d.Name); !ok {
			t.Errorf("%s: no sandbox mounted at %s", d.Name, registry.MountPath(d.Name))
		}
	}
}

// Live mode builds exactly the providers whose required variables are all
// set, and names the missing ones of a provider set only in part.
func TestRegistryDrivesLiveConfiguration(t *testing.T) {
	env := map[string]string{"CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "https://pay.example.com"}
	first := web.Providers[0]
	for _, v := range first.Vars {
		if !v.Optional {
			env[v.Env] = "x"
		}
	}
	cfg, err := web.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range web.Providers {
		if want := d.Name == first.Name; cfg.LiveProviders()[d.Name] != want {
			t.Errorf("%s configured = %v, want %v", d.Name, !want, want)
		}
	}
	second := web.Providers[1]
	env[second.Vars[0].Env] = "x"
	if _, err := web.ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatalf("%s set in part: no error", second.Name)
	} else if want := second.Missing(registry.Vars{second.Vars[0].Env: "x"}); len(want) == 0 || !strings.Contains(err.Error(), want[0]) {
		t.Fatalf("error %q does not name the missing variables %v", err, want)
	}
}

// A EUR session that names no provider is not refused because the
// default provider (payOrder) takes USD only: it goes to the first
// provider in the registry's order that takes cards in EUR.
func TestSessionsRouteByCurrencyThroughTheRegistry(t *testing.T) {
	app := MustApp(t, nil)
	s := validSession()
	s["currency"] = "EUR"
	got := mustCreateSession(t, app, s)
	routes, _ := got["routes"].(map[string]any)
	want := ""
	for _, d := range web.Providers {
		if d.Capabilities.Supports(checkout.MethodCard) && d.Capabilities.SupportsCurrency("EUR") {
			want = d.Name
			break
		}
	}
	if want == "" || routes["card"] != want || got["provider"] != want {
		t.Fatalf("EUR card session routed %v (provider %v), want %q", routes, got["provider"], want)
	}
}
