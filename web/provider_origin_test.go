package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlite"
	"github.com/opencheckout/hostedcheckout/web"
)

// Issue 12, defect 9: a default provider the server does not run is
// refused by the merchants command (create and set-provider), stops the
// server at startup with the way out in the message, and a session that
// would go to it is a 422, never a 500. Wildcard and malformed embedding
// or return origins are refused.
func TestDefaultProviderMustBeConfiguredAndOriginsExact(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	env := map[string]string{"CHECKOUT_DB": db, "CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "https://pay.example.com",
		"CHECKOUT_DEFAULT_PROVIDER": "worldline", "CHECKOUT_WORLDLINE_MERCHANT_ID": "m", "CHECKOUT_WORLDLINE_API_KEY_ID": "k",
		"CHECKOUT_WORLDLINE_SECRET_API_KEY": "s", "CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID": "wk", "CHECKOUT_WORLDLINE_WEBHOOK_SECRET": "ws", "CHECKOUT_WORLDLINE_BASE_URL": "https://payment.preprod.example"}
	cli := func(args ...string) (int, string) {
		var out strings.Builder
		code := web.MerchantsCommand(args, func(k string) string { return env[k] }, &out, &out)
		return code, out.String()
	}
	base := []string{"create", "-name", "Shop", "-return-origin", "https://shop.example"}
	if code, out := cli(append(base, "-provider", "payorder")...); code != 2 || !strings.Contains(out, "not configured on this server (configured: worldline)") {
		t.Fatalf("an unconfigured default provider: %d %s", code, out)
	}
	for _, bad := range []string{"https://*", "https://*.shop.example", "https://shop.example;script-src", "https://shop.example https://evil.test",
		"https://shop..example", "https://-shop.example", "https://shop.example:0", "https://shop.example:99999", "https://shop.example:",
		"https://shop_example.test", "https:shop.example"} {
		for _, flag := range []string{"-embed-origin", "-return-origin"} {
			if code, out := cli(append(base, flag, bad)...); code != 2 {
				t.Errorf("%s %s: exit %d (%s)", flag, bad, code, out)
			}
		}
	}
	code, out := cli(append(base, "-embed-origin", "https://shop.example:8443")...)
	if code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	id := strings.Fields(strings.SplitN(out, "merchant:", 2)[1])[0]
	if code, out := cli("set-provider", "-id", id, "-provider", "antom"); code != 2 || !strings.Contains(out, "not configured") {
		t.Fatalf("set-provider to an unconfigured one: %d %s", code, out)
	}
	if code, out := cli("set-provider", "-id", "mer_nope", "-provider", "worldline"); code != 2 {
		t.Fatalf("set-provider of no merchant: %d %s", code, out)
	}

	// The database changes under the server's feet: a merchant whose
	// default is not run here stops a sandbox server from starting…
	ctx := context.Background()
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.Merchant(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	m.DefaultProvider = "acme"
	if err := store.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	store.Close()
	cfg := web.Config{Addr: "127.0.0.1:0", DBPath: db, Mode: web.ModeSandbox, ProviderTimeout: 2 * time.Second, ReconcileInterval: time.Second, LogFormat: "text"}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := web.New(runCtx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil ||
		!strings.Contains(err.Error(), `default provider "acme"`) || !strings.Contains(err.Error(), "merchants set-provider -id "+id) {
		t.Fatalf("startup with a merchant on an unconfigured provider: %v", err)
	}

	// …and once running, a session that would go there is a 422.
	app := MustApp(t, nil)
	demo, err := app.Store.Merchant(ctx, web.DemoMerchantID)
	if err != nil {
		t.Fatal(err)
	}
	demo.DefaultProvider = "acme"
	if err := app.Store.SaveMerchant(ctx, demo); err != nil {
		t.Fatal(err)
	}
	res := api(t, app, http.MethodPost, "/v1/checkout/sessions", validSession())
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a session for an unconfigured default provider: %d %s", res.Status, res.Body)
	}
	if e := res.JSON(t)["error"].(map[string]any); e["param"] != "provider" || e["code"] != string(checkout.EUnsupported) {
		t.Fatalf("error: %v", e)
	}
	withProvider := validSession()
	withProvider["provider"] = "worldline"
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", withProvider); res.Status != http.StatusCreated {
		t.Fatalf("naming a configured provider: %d %s", res.Status, res.Body)
	}
}
