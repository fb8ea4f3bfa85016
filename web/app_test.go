package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/webtest"
)

const testKey = "sk_test_web_tests_0123456789"

var (
	shared     *web.App
	sharedOnce sync.Once
)

// MustApp starts a sandbox-mode app on a free port with a fresh database,
// logging JSON to logOut (discarded when nil); options change its
// configuration first (limits, a clock...).
func MustApp(tb testing.TB, logOut io.Writer, options ...func(*web.Config)) *web.App {
	tb.Helper()
	if logOut == nil {
		logOut = io.Discard
	}
	cfg := web.Config{
		Addr: "127.0.0.1:0", DBPath: filepath.Join(tb.TempDir(), "checkout.db"), Mode: web.ModeSandbox,
		DemoAPIKey: testKey, ProviderTimeout: 2 * time.Second, ReconcileInterval: 100 * time.Millisecond, LogFormat: "json",
	}
	// Every API request and answer of the app is checked against the
	// OpenAPI document; a mismatch fails this test.
	cfg.CheckAPI = checkAPI(tb, func(err error) { tb.Errorf("%v", err) })
	for _, o := range options {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := web.New(ctx, cfg, slog.New(slog.NewJSONHandler(logOut, nil)))
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("app stopped with: %v", err)
		}
	})
	return app
}

// sharedApp is one app for the tests that do not need a database of their own.
func sharedApp(t *testing.T) *web.App {
	sharedOnce.Do(func() {
		// It lives for the whole test binary (a cleanup would stop it after
		// the first test); its temporary directory is left to the OS.
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "checkout-web-test-")
		if err != nil {
			t.Fatal(err)
		}
		app, err := web.New(ctx, web.Config{
			Addr: "127.0.0.1:0", DBPath: filepath.Join(dir, "checkout.db"), Mode: web.ModeSandbox,
			DemoAPIKey: testKey, ProviderTimeout: 2 * time.Second, ReconcileInterval: 100 * time.Millisecond, LogFormat: "text",
			CheckAPI: checkAPI(t, reportShared),
		}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
		if err != nil {
			t.Fatal(err)
		}
		go app.Run(ctx)
		shared = app
	})
	sharedChecks.use(t)
	return shared
}

// The shared HTTP and image helpers (package webtest), under the names
// these tests use.
type response = webtest.Response

var (
	do       = webtest.Do
	testPNG  = webtest.PNG
	testJPEG = webtest.JPEG
	testWebP = webtest.WebP
)

// formToken is a token of the session's forms, as its pages render them
// (signed with the app's stored key).
func formToken(tb testing.TB, app *web.App, sid string) string {
	tb.Helper()
	key, err := app.Store.ServerKey(context.Background(), "form_tokens", []byte("unused"), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return handlers.NewFormTokens(key).Issue(sid)
}

// shopperForm encodes form with a form token for session sid, as our
// pages post it.
func shopperForm(tb testing.TB, app *web.App, sid string, form url.Values) []byte {
	tb.Helper()
	f := url.Values{"form_token": {formToken(tb, app, sid)}}
	for k, v := range form {
		f[k] = v
	}
	return []byte(f.Encode())
}

func api(tb testing.TB, app *web.App, method, path string, body any, headers ...string) response {
	tb.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	h := append([]string{"Authorization", "Bearer " + testKey, "Content-Type", "application/json"}, headers...)
	return do(tb, method, app.URL+path, b, h...)
}

func validSession() map[string]any {
	return map[string]any{
		"amount": 2500, "currency": "USD", "merchant_reference": "ORDER-1",
		"line_items":  []map[string]any{{"name": "Mug", "quantity": 2, "unit_amount": 1000}, {"name": "Beans", "quantity": 1, "unit_amount": 500}},
		"success_url": "https://shop.test/ok", "cancel_url": "https://shop.test/cancel",
	}
}

func mustCreateSession(tb testing.TB, app *web.App, body map[string]any) map[string]any {
	tb.Helper()
	res := api(tb, app, http.MethodPost, "/v1/checkout/sessions", body)
	if res.Status != http.StatusCreated {
		tb.Fatalf("create session: %d %s", res.Status, res.Body)
	}
	return res.JSON(tb)
}
