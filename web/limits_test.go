package web_test

import (
	"context"
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
	// A sandbox server's payments are test-mode ones: they meet the
	// test-mode ceiling, here as low as the live per-IP limit, on the
	// same page.
	return MustApp(t, nil, func(c *web.Config) {
		c.LimitPerIP, c.LimitPerCard, c.LimitWindow, c.TrustedProxies, c.TestLimitPerIP = 2, 100, time.Hour, proxies, 2
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

// The card-testing limits at their defaults (CHECKOUT_LIMIT_PER_IP 30,
// CHECKOUT_LIMIT_PER_CARD 10, CHECKOUT_TEST_LIMIT_PER_IP 2000 in an hour).
func defaultLimits(c *web.Config) {
	c.LimitPerIP, c.LimitPerCard, c.LimitWindow, c.TestLimitPerIP = 30, 10, time.Hour, 2000
}

// payFrictionless creates a EUR Worldline session with key on app and
// pays it with the frictionless Visa from this test's one address; it
// returns the pay POST's status, the session and the payment's status (""
// when none was made).
func payFrictionless(t *testing.T, app *web.App, key string) (code int, sid, status string) {
	t.Helper()
	res := do(t, http.MethodPost, app.InternalURL+"/v1/checkout/sessions",
		[]byte(`{"amount":1500,"currency":"EUR","provider":"worldline","success_url":"https://shop.example/ok","cancel_url":"https://shop.example/no"}`),
		"Authorization", "Bearer "+key, "Content-Type", "application/json")
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	sid = res.JSON(t)["id"].(string)
	form := url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	res = do(t, http.MethodPost, app.InternalURL+"/c/"+sid+"/pay", shopperForm(t, app, sid, form), "Content-Type", "application/x-www-form-urlencoded")
	pays, err := app.Store.SessionPayments(context.Background(), sid)
	if err != nil || len(pays) > 1 {
		t.Fatalf("payments of %s: %v %v", sid, pays, err)
	}
	if len(pays) == 0 {
		return res.Status, sid, ""
	}
	return res.Status, sid, string(pays[0].Status)
}

// TestTestModeIsFreeOfCardTestingLimits: with the default limits, 200
// test-mode payments with one card from one address all succeed (QA
// suites are not held back where no real card can be tested), while on a
// live server a live key's payments with one card stop at the per-card
// limit with a 429, and a test key's on the same server do not.
func TestTestModeIsFreeOfCardTestingLimits(t *testing.T) {
	app := MustApp(t, nil, defaultLimits)
	for i := range 200 {
		if code, _, status := payFrictionless(t, app, testKey); code != http.StatusSeeOther || status != "succeeded" {
			t.Fatalf("test-mode payment %d with one card from one address: %d, payment %q", i+1, code, status)
		}
	}

	live, _ := liveApp(t, defaultLimits)
	liveKey, testKey := liveAndTestMerchants(t, live)
	for i := range 10 {
		if code, _, status := payFrictionless(t, live, liveKey); code != http.StatusSeeOther || status != "succeeded" {
			t.Fatalf("live payment %d: %d, payment %q", i+1, code, status)
		}
	}
	if code, _, status := payFrictionless(t, live, liveKey); code != http.StatusTooManyRequests || status != "" {
		t.Fatalf("the 11th live payment with one card: %d, payment %q; want 429 and no payment", code, status)
	}
	for i := range 15 {
		if code, _, status := payFrictionless(t, live, testKey); code != http.StatusSeeOther || status != "succeeded" {
			t.Fatalf("test-mode payment %d on a live server, after the live limit was reached: %d, payment %q", i+1, code, status)
		}
	}
}
