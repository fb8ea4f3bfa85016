package web_test

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
	return MustApp(t, nil, func(c *web.Config) {
		c.LimitPerIP, c.LimitPerCard, c.LimitWindow, c.TrustedProxies = 2, 100, time.Hour, proxies
	})
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

// The merchant API refuses a merchant over its requests per second, and an
// address over its failed authentications per minute (before looking at the
// key it sends), with 429 and Retry-After; each refusal is logged. The
// clock is injected.
func TestAPIRateLimits(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var logs syncBuffer
	app := MustApp(t, &logs, func(c *web.Config) {
		c.APILimitPerSecond, c.APIAuthFailuresPerMinute, c.ReconcileInterval, c.Now = 3, 2, time.Hour, clock
	})
	get := func(key string) response {
		return do(t, http.MethodGet, app.URL+"/v1/webhook_endpoints", nil, "Authorization", "Bearer "+key)
	}
	refused := func(what string, res response, maxWait int) {
		t.Helper()
		if res.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: %d %s", what, res.Status, res.Body)
		}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > maxWait {
			t.Fatalf("%s: Retry-After %q", what, res.Header.Get("Retry-After"))
		}
		if e := res.JSON(t)["error"].(map[string]any); e["type"] != "rate_limit_error" || e["code"] != "rate_limited" {
			t.Fatalf("%s: %v", what, e)
		}
	}

	for i := range 3 {
		if res := get(testKey); res.Status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, res.Status)
		}
	}
	refused("fourth request in one second", get(testKey), 2)
	advance(time.Second)
	if res := get(testKey); res.Status != http.StatusOK {
		t.Fatalf("a second later: %d", res.Status)
	}

	bad := "sk_test_" + strings.Repeat("x", 24)
	for i := range 2 {
		if res := get(bad); res.Status != http.StatusUnauthorized {
			t.Fatalf("bad key %d: %d", i+1, res.Status)
		}
	}
	refused("a third bad key in a minute", get(bad), 61)
	// Issue 12, defect 9: the lockout refuses only bad keys; a merchant
	// behind the same address (a shared NAT, a proxy) keeps working.
	if res := get(testKey); res.Status != http.StatusOK {
		t.Fatalf("a good key from the locked-out address: %d %s", res.Status, res.Body)
	}
	refused("no key from the locked-out address", get(""), 61)
	refused("another bad key", get("sk_test_"+strings.Repeat("y", 24)), 61)
	advance(time.Minute)
	if res := get(bad); res.Status != http.StatusUnauthorized {
		t.Fatalf("a bad key a minute later: %d", res.Status)
	}
	if res := get(testKey); res.Status != http.StatusOK {
		t.Fatalf("a minute later: %d", res.Status)
	}
	for _, msg := range []string{`"msg":"api request refused by a limit"`, `"reason":"failed authentications"`, `"reason":"requests per second"`, `"msg":"api authentication failed"`} {
		if !strings.Contains(logs.String(), msg) {
			t.Errorf("no %s in the log", msg)
		}
	}
	if strings.Contains(logs.String(), bad) || strings.Contains(logs.String(), testKey) {
		t.Error("a key reached the log")
	}
}

// Requests to one session's pages are limited per minute (the injected
// clock), with 429, Retry-After and a page that says to wait; other
// sessions and the provider return are not held back.
func TestSessionRequestLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	app := MustApp(t, nil, func(c *web.Config) { c.SessionRequestsPerMinute, c.ReconcileInterval, c.Now = 5, time.Hour, clock })
	id := mustCreateSession(t, app, validSession())["id"].(string)
	other := mustCreateSession(t, app, validSession())["id"].(string)
	for i := range 5 {
		if res := do(t, http.MethodGet, app.URL+"/c/"+id, nil); res.Status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, res.Status)
		}
	}
	res := do(t, http.MethodGet, app.URL+"/c/"+id+"/status", nil)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(testid(doc(t, res), "error-message").Text(), "Wait a minute") {
		t.Fatalf("sixth request: %d %q %s", res.Status, res.Header.Get("Retry-After"), res.Body)
	}
	if res := do(t, http.MethodGet, app.URL+"/c/"+other, nil); res.Status != http.StatusOK {
		t.Fatalf("another session: %d", res.Status)
	}
	if res := do(t, http.MethodGet, app.URL+"/c/"+id+"/payments/pay_"+strings.Repeat("a", 32)+"/return", nil); res.Status != http.StatusNotFound {
		t.Fatalf("the provider return is not limited: %d", res.Status)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if res := do(t, http.MethodGet, app.URL+"/c/"+id, nil); res.Status != http.StatusOK {
		t.Fatalf("a minute later: %d", res.Status)
	}
}
