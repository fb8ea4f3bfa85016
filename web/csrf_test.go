package web_test

import (
	"context"
	"go/version"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/handlers"
)

// Cross-site browser POSTs to state-changing endpoints are refused; only
// the provider callbacks are exempt, and they authenticate by binding or
// signature. Merchant API calls (no browser headers) pass.
func TestCrossSiteRequestsRefused(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	form := string(shopperForm(t, app, id, url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada"}}))
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
		{"pay from an opaque origin", "POST", "/c/" + id + "/pay", []string{"Origin", "null"}, 403},
		{"pay by GET", "GET", "/c/" + id + "/pay", nil, 405},
		{"add a card by GET", "GET", "/c/" + id + "/cards", nil, 405},
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
	// http.CrossOriginProtection's bypass patterns were too broad before Go
	// 1.25.1 (GO-2025-3955).
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(mod)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok && version.Compare("go"+v, "go1.25.1") < 0 {
			t.Fatalf("go.mod says go %s; CrossOriginProtection needs 1.25.1", v)
		}
	}
	// The merchant API is server to server: no browser headers, no refusal.
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", validSession()); res.Status != 201 {
		t.Fatalf("API create: %d", res.Status)
	}
}

// Every form of a session's pages carries a token bound to that session: a
// same-origin POST without one, with one made for another session, or with
// a forged one changes nothing. The provider's return carries none.
func TestFormTokenRequired(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	other := mustCreateSession(t, app, validSession())["id"].(string)
	card := url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada"}}
	ours := formToken(t, app, id)
	nonce, _, _ := strings.Cut(ours, ".")
	for _, tt := range []struct {
		name, path, token string
	}{
		{"pay without a token", "/pay", ""},
		{"pay with another session's token", "/pay", formToken(t, app, other)},
		{"pay with a forged token", "/pay", nonce + ".AAAAAAAAAAAAAAAAAAAAAAAA"},
		{"pay with a token of another key", "/pay", handlers.NewFormTokens([]byte("another key")).Issue(id)},
		{"pay with garbage", "/pay", "<script>"},
		{"add a card without a token", "/cards", ""},
		{"remove a card without a token", "/cards/card_1/remove", ""},
		{"device data without a token", "/payments/pay_" + strings.Repeat("a", 32) + "/device-data", ""},
	} {
		form := url.Values{"form_token": {tt.token}}
		for k, v := range card {
			form[k] = v
		}
		res := do(t, http.MethodPost, app.URL+"/c/"+id+tt.path, []byte(form.Encode()),
			"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
		if res.Status != http.StatusForbidden || !strings.Contains(string(res.Body), "reload the page") {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), "4242424242424242") {
			t.Errorf("%s: the card number came back", tt.name)
		}
	}
	// Issue 12, defect 9: a valid token in the query string is not a
	// token (a link or a logged URL could carry it): only the POST body's.
	inQuery := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay?form_token="+url.QueryEscape(ours), []byte(card.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
	if inQuery.Status != http.StatusForbidden {
		t.Errorf("pay with the token in the query string: %d", inQuery.Status)
	}
	if pays, _ := app.Store.SessionPayments(context.Background(), id); len(pays) != 0 {
		t.Fatalf("%d payments from refused forms", len(pays))
	}
	// Every form on the page carries a token that verifies for this session.
	page := doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil))
	forms := page.Find("form[method=post]")
	if forms.Length() == 0 {
		t.Fatal("no forms on the checkout page")
	}
	forms.Each(func(_ int, f *goquery.Selection) {
		tok := f.Find("input[name=form_token]").AttrOr("value", "")
		form := url.Values{"form_token": {tok}}
		for k, v := range card {
			form[k] = v
		}
		res := do(t, http.MethodPost, app.URL+f.AttrOr("action", ""), []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
		if res.Status != http.StatusSeeOther {
			t.Errorf("the page's own form %s: %d", f.AttrOr("action", ""), res.Status)
		}
	})
	// The provider's return needs none (it is checked with the provider).
	res := do(t, http.MethodPost, app.URL+"/c/"+id+"/payments/pay_"+strings.Repeat("a", 32)+"/return", []byte("cres=x"),
		"Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusNotFound {
		t.Fatalf("provider return: %d", res.Status)
	}
}
