package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// liveWorldlineEnv is a live-mode environment that configures Worldline
// only.
func liveWorldlineEnv(db string) map[string]string {
	return map[string]string{"CHECKOUT_DB": db, "CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "https://pay.example.com",
		"CHECKOUT_DEFAULT_PROVIDER": "worldline", "CHECKOUT_WORLDLINE_MERCHANT_ID": "m", "CHECKOUT_WORLDLINE_API_KEY_ID": "k",
		"CHECKOUT_WORLDLINE_SECRET_API_KEY": "s", "CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID": "wk", "CHECKOUT_WORLDLINE_WEBHOOK_SECRET": "ws",
		"CHECKOUT_WORLDLINE_BASE_URL": "https://payment.preprod.example"}
}

func merchantsCLI(env map[string]string) func(args ...string) (int, string) {
	return func(args ...string) (int, string) {
		var out strings.Builder
		code := operator.MerchantsCommand(args, func(k string) string { return env[k] }, &out, &out)
		return code, out.String()
	}
}

// Issue 12, defect 9: a default provider the server does not run is
// refused by the merchants command (create and set-provider), stops the
// server at startup with the way out in the message, the providers the
// server runs are logged at startup, and a session that would go to an
// unconfigured default is a 422 (unsupported, param provider), never a 500.
func TestDefaultProviderMustBeConfigured(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	cli := merchantsCLI(liveWorldlineEnv(db))
	base := []string{"create", "-name", "Shop", "-return-origin", "https://shop.example"}
	if code, out := cli(append(base, "-provider", "payorder")...); code != 2 || !strings.Contains(out, "not configured on this server (configured: worldline)") {
		t.Errorf("create with an unconfigured default provider: exit %d (%s)", code, out)
	}
	if code, out := cli(append(base, "-provider", "stripe")...); code != 2 || !strings.Contains(out, "is not a provider") {
		t.Errorf("create with no such provider: exit %d (%s)", code, out)
	}
	code, out := cli(base...)
	if code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	id := regexp.MustCompile(`merchant:\s+(mer_\S+)`).FindStringSubmatch(out)[1]
	if code, out := cli("set-provider", "-id", id, "-provider", "antom"); code != 2 || !strings.Contains(out, "not configured") {
		t.Errorf("set-provider to an unconfigured one: %d %s", code, out)
	}
	if code, out := cli("set-provider", "-id", "mer_nope", "-provider", "worldline"); code != 2 {
		t.Errorf("set-provider of no merchant: %d %s", code, out)
	}
	if code, out := cli("set-provider", "-id", id, "-provider", "worldline"); code != 0 {
		t.Errorf("set-provider to a configured one: %d %s", code, out)
	}

	// The database changes under the server's feet: a merchant whose
	// default is not run here stops a server from starting…
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, db)
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
	if app, err := web.New(runCtx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		app.Store.Close()
		t.Errorf("a server started with merchant %s on the unconfigured default provider acme", id)
	} else if !strings.Contains(err.Error(), `default provider "acme"`) || !strings.Contains(err.Error(), "merchants set-provider -id "+id) {
		t.Errorf("startup error without the merchant and the way out: %v", err)
	}

	// …a running one says which providers it runs…
	var logged bytes.Buffer
	app := MustApp(t, &logged)
	if !regexp.MustCompile(`"msg":"providers configured".*"providers":"alipayplus,antom,bbmsl,payorder,worldline"`).Match(logged.Bytes()) {
		t.Errorf("no startup line with the configured providers in:\n%s", logged.String())
	}
	// …and a session that would go to an unconfigured default is a 422.
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

// Issue 12, defect 9: embedding and return origins are exact
// scheme://host[:port] origins: no wildcard (`https://*` would become
// `frame-ancestors https://*`), nothing that changes a CSP source list, no
// bad port or IPv6 zone; https, and http only for localhost in sandbox
// mode. The merchants command and CHECKOUT_DEMO_EMBED_ORIGINS refuse the
// rest, and an origin stored before the rule never reaches frame-ancestors.
func TestOriginsMustBeExact(t *testing.T) {
	env := liveWorldlineEnv(filepath.Join(t.TempDir(), "c.db"))
	cli := merchantsCLI(env)
	base := []string{"create", "-name", "Shop", "-return-origin", "https://shop.example"}
	for _, bad := range []string{"https://*", "https://*.shop.example", "https://shop.*", "*", "https://shop.example;script-src",
		"https://shop.example https://evil.test", "https://shop.example,https://evil.test", "https://shop..example",
		"https://-shop.example", "https://shop.example:0", "https://shop.example:99999", "https://shop.example:", "https://shop.example:08443",
		"https://shop_example.test", "https:shop.example", "https://[fe80::1%25eth0]", "https://shop.example/path", "https://user@shop.example",
		"http://shop.example", "http://localhost:3000", "javascript://shop.example", "https://'self'"} {
		for _, flag := range []string{"-embed-origin", "-return-origin"} {
			if code, out := cli(append(base, flag, bad)...); code != 2 {
				t.Errorf("live %s %s: exit %d (%s)", flag, bad, code, out)
			}
		}
	}
	for _, good := range []string{"https://shop.example:8443", "https://[2001:db8::1]", "https://xn--bcher-kva.example", "https://SHOP.example"} {
		if code, out := cli(append(base, "-embed-origin", good)...); code != 0 {
			t.Errorf("-embed-origin %s: exit %d (%s)", good, code, out)
		}
	}
	// Sandbox mode takes http for localhost only.
	sandbox := merchantsCLI(map[string]string{"CHECKOUT_DB": env["CHECKOUT_DB"]})
	if code, out := sandbox(append(base, "-embed-origin", "http://localhost:3000", "-test")...); code != 0 {
		t.Errorf("sandbox http://localhost: exit %d (%s)", code, out)
	}
	if code, out := sandbox(append(base, "-embed-origin", "http://*", "-test")...); code != 2 {
		t.Errorf("sandbox http://*: exit %d (%s)", code, out)
	}
	for _, bad := range []string{"https://*", "https://*.shop.example", "https://a.example https://b.example"} {
		if _, err := web.ConfigFromEnv(func(k string) string {
			return map[string]string{"CHECKOUT_DEMO_EMBED_ORIGINS": bad}[k]
		}); err == nil {
			t.Errorf("CHECKOUT_DEMO_EMBED_ORIGINS=%s accepted", bad)
		}
	}

	// A merchant row holding a wildcard (written before this rule) frames
	// nothing with it: only its exact origins reach frame-ancestors.
	app := MustApp(t, nil)
	ctx := context.Background()
	demo, err := app.Store.Merchant(ctx, web.DemoMerchantID)
	if err != nil {
		t.Fatal(err)
	}
	demo.EmbedOrigins = []string{"https://*", "https://shop.example", "https://*.evil.test"}
	if err := app.Store.SaveMerchant(ctx, demo); err != nil {
		t.Fatal(err)
	}
	s := mustCreateSession(t, app, validSession())
	csp := do(t, http.MethodGet, app.URL+"/c/"+s["id"].(string), nil).Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors https://shop.example;") {
		t.Errorf("frame-ancestors of a stored wildcard: %s", csp)
	}
}
