package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/web"
)

func limitedApp(t *testing.T, trusted ...string) *web.App {
	t.Helper()
	var proxies []*net.IPNet
	for _, c := range trusted {
		_, n, _ := net.ParseCIDR(c)
		proxies = append(proxies, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", DBPath: filepath.Join(t.TempDir(), "c.db"), Mode: web.ModeSandbox,
		DemoAPIKey: testKey, ProviderTimeout: 2 * time.Second, ReconcileInterval: time.Second, LogFormat: "text",
		LimitPerIP: 2, LimitPerCard: 100, LimitWindow: time.Hour, TrustedProxies: proxies},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go app.Run(ctx)
	return app
}

func TestCardTestingLimitPages(t *testing.T) {
	app := limitedApp(t)
	pay := func(headers ...string) response {
		id := mustCreateSession(t, app, validSession())["id"].(string)
		form := url.Values{"card_number": {"4000000000000002"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada"}}
		return do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, form), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
	}
	pay()
	pay()
	// Without a trusted proxy, X-Forwarded-For is ignored: still the same client.
	res := pay("X-Forwarded-For", "198.51.100.77")
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("third attempt from one client: %d", res.Status)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 3601 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if banner := testid(doc(t, res), "form-banner").Text(); !strings.Contains(banner, "Too many payment attempts") || !strings.Contains(banner, "minute") {
		t.Fatalf("the shopper is told %q", banner)
	}

	// Behind a trusted proxy, its X-Forwarded-For names the client.
	proxied := limitedApp(t, "127.0.0.0/8")
	for i, ip := range []string{"198.51.100.1", "198.51.100.1", "198.51.100.2"} {
		id := mustCreateSession(t, proxied, validSession())["id"].(string)
		form := url.Values{"card_number": {"4000000000000002"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada"}}
		res := do(t, http.MethodPost, proxied.URL+"/c/"+id+"/pay", shopperForm(t, proxied, id, form), "Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", ip)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("attempt %d from %s behind the proxy: %d", i+1, ip, res.Status)
		}
	}
}
