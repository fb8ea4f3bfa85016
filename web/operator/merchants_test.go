package operator_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

func TestMerchantsCommandAndReturnOrigins(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	env := func(k string) string {
		if k == "CHECKOUT_DB" {
			return db
		}
		return ""
	}
	cli := func(args ...string) (int, string) {
		var out, errs strings.Builder
		code := operator.MerchantsCommand(args, env, &out, &errs)
		return code, out.String() + errs.String()
	}
	for _, bad := range [][]string{
		{}, {"nope"}, {"create", "-name", "Shop"}, {"create", "-return-origin", "https://shop.example"},
		{"create", "-name", "Shop", "-return-origin", "http://shop.example"},
		{"create", "-name", "Shop", "-return-origin", "https://shop.example/path"},
		{"create", "-name", "Shop", "-return-origin", "https://shop.example", "-provider", "stripe"},
		// Issue 12, defect 9: the name shoppers see follows the text rule.
		{"create", "-name", "Shop\u202Epohs", "-return-origin", "https://shop.example"},
		{"create", "-name", "Shop\nInjected", "-return-origin", "https://shop.example"},
		{"create", "-name", "Sh\u200Bop", "-return-origin", "https://shop.example"},
		{"create", "-name", strings.Repeat("S", 101), "-return-origin", "https://shop.example"},
		{"rotate-key", "-id", "mer_nope"},
	} {
		if code, out := cli(bad...); code != 2 {
			t.Errorf("%v: exit %d (%s)", bad, code, out)
		}
	}
	code, out := cli("create", "-name", "Corner Shop", "-test", "-return-origin", "https://shop.example", "-embed-origin", "https://shop.example",
		"-webhook-url", "https://shop.example/hooks")
	if code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	key := regexp.MustCompile(`secret key: (sk_test_\S+)`).FindStringSubmatch(out)
	id := regexp.MustCompile(`merchant:\s+(mer_\S+)`).FindStringSubmatch(out)
	if key == nil || id == nil || !regexp.MustCompile(`webhook secret: whsec_\S+`).MatchString(out) {
		t.Fatalf("create printed %s", out)
	}
	// In live mode, managing merchants needs the database only, not the
	// provider credentials the server needs.
	live := func(k string) string {
		if k == "CHECKOUT_MODE" {
			return "live"
		}
		return env(k)
	}
	var liveOut strings.Builder
	if code := operator.MerchantsCommand([]string{"create", "-name", "Dev", "-test", "-return-origin", "http://localhost:3000"}, live, &liveOut, &liveOut); code != 2 ||
		!strings.Contains(liveOut.String(), "sandbox mode only") {
		t.Fatalf("an http origin in live mode: %d %s", code, liveOut.String())
	}
	liveOut.Reset()
	if code := operator.MerchantsCommand([]string{"list"}, live, &liveOut, &liveOut); code != 0 || !strings.Contains(liveOut.String(), "Corner Shop") {
		t.Fatalf("list in live mode: %d %s", code, liveOut.String())
	}
	if code, out := cli("list"); code != 0 || !strings.Contains(out, id[1]) || !strings.Contains(out, "https://shop.example") || strings.Contains(out, key[1]) {
		t.Fatalf("list: %d %s", code, out)
	}

	// The merchant's key works against an app on the same database, and its
	// return origins are enforced.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", DBPath: db, Mode: web.ModeSandbox, ProviderTimeout: 2 * time.Second,
		ReconcileInterval: time.Second, LogFormat: "text"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go app.Run(ctx)
	create := func(k, success string) response {
		body, _ := json.Marshal(map[string]any{"amount": 100, "currency": "USD", "success_url": success})
		return do(t, http.MethodPost, app.URL+"/v1/checkout/sessions", body, "Authorization", "Bearer "+k, "Content-Type", "application/json")
	}
	res := create(key[1], "https://shop.example/thanks")
	if res.Status != 201 {
		t.Fatalf("allowed origin: %d %s", res.Status, res.Body)
	}
	// Its checkout may be framed by its embedding origin, and only by it.
	page := do(t, http.MethodGet, res.JSON(t)["url"].(string), nil)
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://shop.example") {
		t.Fatalf("session page CSP: %s", csp)
	}
	if csp := do(t, http.MethodGet, app.URL+"/", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("other pages: %s", csp)
	}
	for _, evil := range []string{"https://evil.test/", "https://shop.example.evil.test/", "https://shop.example@evil.test/",
		"http://shop.example/thanks", "javascript:alert(1)", "//evil.test/", "https://shop.example:8443/", "https://shop.examp1e/",
		`https:\\evil.test/`, `https://shop.example\@evil.test/`, "https://evil.test%2f@shop.example/", "https://shop.example/\x00x",
		"https://shop.example/\nx", "data:text/html,<script>alert(1)</script>", "https://sh\u043ep.example/" /* Cyrillic o */, "shop.example/thanks"} {
		if res := create(key[1], evil); res.Status != 422 || !strings.Contains(string(res.Body), "success_url") {
			t.Errorf("%s: %d %s", evil, res.Status, res.Body)
		}
	}
	// The return URL is the stored one: query parameters on our pages
	// never redirect anywhere else.
	sid := res.JSON(t)["id"].(string)
	for _, path := range []string{"/c/" + sid + "?return_url=https://evil.test/&redirect=https://evil.test/",
		"/c/" + sid + "/status?success_url=https://evil.test/&next=https://evil.test/"} {
		r := do(t, http.MethodGet, app.URL+path, nil)
		if strings.Contains(r.Header.Get("Location"), "evil") || strings.Contains(string(r.Body), "evil.test") {
			t.Errorf("%s: %d %s", path, r.Status, r.Header.Get("Location"))
		}
	}
	// rotate-key keeps the key it replaces working for the overlap (24 h
	// by default, as the API's rotation); -expire-previous-in 0 stops it
	// at once.
	newKey := regexp.MustCompile(`secret key: (sk_test_\S+)`)
	code, out = cli("rotate-key", "-id", id[1])
	second := newKey.FindStringSubmatch(out)
	if code != 0 || second == nil || !strings.Contains(out, "the old key keeps working until") {
		t.Fatalf("rotate: %d %s", code, out)
	}
	for _, k := range []string{key[1], second[1]} {
		if res := create(k, "https://shop.example/thanks"); res.Status != 201 {
			t.Fatalf("during the overlap, a key got %d", res.Status)
		}
	}
	for _, bad := range []string{"-1s", "169h", "1500ms", "soon"} {
		if code, out := cli("rotate-key", "-id", id[1], "-expire-previous-in", bad); code != 2 || strings.Contains(out, "sk_test_") {
			t.Errorf("rotate-key -expire-previous-in %s: exit %d (%s)", bad, code, out)
		}
	}
	code, out = cli("rotate-key", "-id", id[1], "-expire-previous-in", "0")
	third := newKey.FindStringSubmatch(out)
	if code != 0 || third == nil || !strings.Contains(out, "the old key no longer works") {
		t.Fatalf("rotate with no overlap: %d %s", code, out)
	}
	for k, want := range map[string]int{key[1]: 401, second[1]: 401, third[1]: 201} {
		if res := create(k, "https://shop.example/thanks"); res.Status != want {
			t.Errorf("key %.12s…: %d, want %d", k, res.Status, want)
		}
	}
}
