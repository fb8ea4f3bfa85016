package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Cross-site browser POSTs to state-changing endpoints are refused; only
// the provider callbacks are exempt, and they authenticate by binding or
// signature. Merchant API calls (no browser headers) pass.
func TestCrossSiteRequestsRefused(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	form := url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada"}}.Encode()
	ct := "application/x-www-form-urlencoded"
	host := strings.TrimPrefix(app.URL, "http://")
	for _, tt := range []struct {
		name, method, path string
		headers            []string
		want               int
	}{
		{"pay from another site", "POST", "/c/" + id + "/pay", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"pay from a sibling site", "POST", "/c/" + id + "/pay", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"pay with a foreign Origin", "POST", "/c/" + id + "/pay", []string{"Origin", "https://evil.test"}, 403},
		{"add card from another site", "POST", "/c/" + id + "/cards", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"demo checkout from another site", "POST", "/demo/checkout", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"a top-level navigation", "GET", "/c/" + id, []string{"Sec-Fetch-Site", "cross-site"}, 200},
		{"pay from our page", "POST", "/c/" + id + "/pay", []string{"Sec-Fetch-Site", "same-origin"}, 303},
		{"pay with our Origin", "POST", "/c/" + id + "/pay", []string{"Origin", "http://" + host}, 303},
		{"the challenge return from the ACS", "POST", "/c/" + id + "/payments/pay_" + strings.Repeat("a", 32) + "/return", []string{"Sec-Fetch-Site", "cross-site"}, 404},
		{"a provider notification", "POST", "/notify/worldline", []string{"Sec-Fetch-Site", "cross-site"}, 401},
	} {
		res := do(t, tt.method, app.URL+tt.path, []byte(form), append([]string{"Content-Type", ct}, tt.headers...)...)
		if res.Status != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, res.Status, tt.want)
		}
	}
	// The merchant API is server to server: no browser headers, no refusal.
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", validSession()); res.Status != 201 {
		t.Fatalf("API create: %d", res.Status)
	}
}
