package web_test

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/static"
	"github.com/opencheckout/hostedcheckout/web"
)

// headerCase is one shopper-facing page and what its headers must say.
type headerCase struct {
	name       string
	method     string
	path       string
	form       url.Values // posted as a form when method is POST
	once       bool       // not repeatable: fetched once (its nonce is still checked against all others)
	status     int
	marker     string // a selector only this kind of page matches
	provider   bool   // an action page: form-action and frame-src add the provider origin
	framed     bool   // loads inside our own challenge iframe: frame-ancestors 'self'
	wantScript bool   // the page runs a script of ours
}

// TestSecurityHeadersOnShopperPages checks the CSP (R10, R11) and the
// baseline headers (R15) of every kind of page a shopper sees: a fresh
// nonce per response on every script and stylesheet tag, no inline
// handlers, object-src and base-uri 'none', frames refused except for the
// challenge return, and frame-src and form-action widened to exactly the
// provider origin on the action pages only.
func TestSecurityHeadersOnShopperPages(t *testing.T) {
	app := sharedApp(t)
	sandbox := originOf(t, app.SandboxURL)

	card := mustCreateSession(t, app, validSession())["id"].(string)

	expired := mustCreateSession(t, app, validSession())["id"].(string)
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+expired+"/expire", nil); res.Status != http.StatusOK {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}

	// payOrder (the default provider) starts with device data collection
	// in a hidden iframe on the provider's origin.
	ddc := mustCreateSession(t, app, validSession())["id"].(string)
	if p := payAndGetAction(t, app, ddc, url.Values{"card_number": {testcards.Visa}}); p.Kind != checkout.ActionDeviceDataCollection {
		t.Fatalf("payorder action %q", p.Kind)
	}

	// payOrder's challenge runs in a visible iframe on the provider's
	// origin; its end posts back to us inside that iframe.
	ch := mustCreateSession(t, app, validSession())["id"].(string)
	challengeReturn, challengeFields := challengeToReturn(t, app, ch)

	// Worldline sends a challenge card to the provider's page by redirect.
	wl := validSession()
	wl["provider"], wl["currency"] = "worldline", "EUR"
	redirect := mustCreateSession(t, app, wl)["id"].(string)
	if p := payAndGetAction(t, app, redirect, url.Values{"card_number": {testcards.Challenge}}); p.Kind != checkout.ActionRedirect {
		t.Fatalf("worldline action %q", p.Kind)
	}

	// The wallet posts a form to the cashier's origin.
	w := validSession()
	w["payment_methods"] = []string{"wallet"}
	wallet := mustCreateSession(t, app, w)["id"].(string)
	if p := payAndGetAction(t, app, wallet, url.Values{"payment_method": {"wallet"}}); p.Kind != checkout.ActionRedirectForm {
		t.Fatalf("wallet action %q", p.Kind)
	}

	// Adding a saved card is a link to BBMSL's page: a navigation, which
	// the CSP does not govern, so no provider origin is allowed.
	sc := validSession()
	sc["payment_methods"] = []string{"saved_card"}
	sc["customer"] = map[string]any{"reference": "headers-test", "email": "ada@example.test"}
	cards := mustCreateSession(t, app, sc)["id"].(string)

	badCard := url.Values{"card_number": {"4242 4242 4242 4241"}, "card_expiry": {"01/20"}, "card_cvc": {"98"}, "cardholder_name": {"Ada"}}
	cases := []headerCase{
		{name: "demo shop", method: http.MethodGet, path: "/", status: 200, marker: `[data-testid="buy-mug"]`},
		{name: "demo return", method: http.MethodGet, path: "/demo/return?" + checkout.ReturnValues(card, "open", "unpaid", time.Now(), app.DemoReturnSecret).Encode(), status: 200, marker: `[data-testid="demo-return-verified"]`},
		{name: "demo return (unsigned)", method: http.MethodGet, path: "/demo/return?session_id=" + card, status: 400, marker: `[data-testid="demo-error"]`},
		{name: "card form", method: http.MethodGet, path: "/c/" + card, status: 200, marker: "#pay-form", wantScript: true},
		{name: "card form with errors", method: http.MethodPost, path: "/c/" + card + "/pay", form: badCard, status: 422, marker: `#pay-form [data-testid="field-error-card-number"]`, wantScript: true},
		{name: "result (expired)", method: http.MethodGet, path: "/c/" + expired + "/status", status: 200, marker: `[data-testid="result-status"][data-status="expired"]`},
		{name: "device data collection", method: http.MethodGet, path: "/c/" + ddc + "/status", status: 200, marker: "#ddc-form", provider: true, wantScript: true},
		{name: "redirect (worldline challenge)", method: http.MethodGet, path: "/c/" + redirect + "/status", status: 200, marker: "#redirect-link", provider: true, wantScript: true},
		{name: "redirect form (wallet)", method: http.MethodGet, path: "/c/" + wallet + "/status", status: 200, marker: "#redirect-form", provider: true, wantScript: true},
		{name: "add-card hop", method: http.MethodPost, path: "/c/" + cards + "/cards", form: url.Values{}, status: 200, marker: "#redirect-link", wantScript: true},
		{name: "unknown checkout", method: http.MethodGet, path: "/c/cs_doesnotexist", status: 404, marker: `[data-testid="error-heading"]`},
		{name: "unknown session status", method: http.MethodGet, path: "/c/" + checkout.RandomIDs{}.NewID(checkout.PrefixSession) + "/status", status: 404, marker: `[data-testid="error-heading"]`},
		{name: "unknown page", method: http.MethodGet, path: "/nowhere", status: 404, marker: `[data-testid="error-heading"]`},
		{name: "challenge", method: http.MethodGet, path: "/c/" + ch + "/status", status: 200, marker: "#challenge-form", provider: true, wantScript: true},
		{name: "challenge return", method: http.MethodPost, path: challengeReturn, form: challengeFields, once: true, status: 200, marker: "#to-parent", framed: true, wantScript: true},
		{name: "challenge return (error)", method: http.MethodPost, path: "/c/" + card + "/payments/pay_nope/return", form: url.Values{"cres": {"x"}}, status: 404, marker: `[data-testid="error-heading"]`, framed: true},
	}

	seen := map[string]string{} // nonce -> case
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var nonces []string
			n := 2
			if tc.once {
				n = 1
			}
			for range n {
				res := fetch(t, app, tc)
				if res.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
				}
				want := []string{"'self'"}
				if tc.provider {
					want = append(want, sandbox)
				}
				if doc(t, res).Find(tc.marker).Length() == 0 {
					t.Fatalf("not the expected page (no %s): %s", tc.marker, res.Body)
				}
				nonce := checkPageHeaders(t, res, want, tc.framed, tc.wantScript)
				if prev, ok := seen[nonce]; ok {
					t.Errorf("nonce %q already sent on %s", nonce, prev)
				}
				seen[nonce] = tc.name
				nonces = append(nonces, nonce)
			}
			if len(nonces) == 2 && nonces[0] == nonces[1] {
				t.Errorf("two responses share the nonce %q", nonces[0])
			}
		})
	}
}

// TestStaticAssetHeaders: assets keep their long-lived caching, and are
// never sniffed.
func TestStaticAssetHeaders(t *testing.T) {
	app := sharedApp(t)
	res := do(t, http.MethodGet, app.URL+static.URL("checkout.js"), nil)
	if res.Status != 200 || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("asset: %d %v", res.Status, res.Header)
	}
}

func fetch(t *testing.T, app *web.App, tc headerCase) response {
	t.Helper()
	if tc.method == http.MethodPost {
		return postPage(t, app, app.URL+tc.path, tc.form)
	}
	return do(t, tc.method, app.URL+tc.path, nil)
}

// payAndGetAction pays with the given form (the rest of a valid card
// filled in) and returns the action the payment waits for.
func payAndGetAction(t *testing.T, app *web.App, sid string, form url.Values) *checkout.Action {
	t.Helper()
	for k, v := range map[string]string{"card_expiry": "12/40", "card_cvc": "737", "cardholder_name": "Ada Lovelace"} {
		if form.Get("payment_method") == "" && form.Get(k) == "" {
			form.Set(k, v)
		}
	}
	if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", form); res.Status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", res.Status, res.Body)
	}
	p := onlyPayment(t, app, sid)
	if p.Status != checkout.PaymentRequiresAction || p.Action == nil {
		t.Fatalf("payment %s, action %+v", p.Status, p.Action)
	}
	return p.Action
}

// challengeToReturn pays with payOrder's challenge card and plays the
// browser through device data collection and the challenge (code passed),
// up to the post back to our return URL, which it returns (a path) with
// its fields.
func challengeToReturn(t *testing.T, app *web.App, sid string) (string, url.Values) {
	t.Helper()
	a := payAndGetAction(t, app, sid, url.Values{"card_number": {testcards.Challenge}})
	if a.Kind != checkout.ActionDeviceDataCollection {
		t.Fatalf("payorder action %q", a.Kind)
	}
	var msg struct {
		SessionID string `json:"SessionId"`
	}
	if err := json.Unmarshal([]byte(doc(t, postPage(t, app, a.URL, url.Values{"Bin": {a.BIN}, "JWT": {a.JWT}})).Find("#profile-message").Text()), &msg); err != nil || msg.SessionID == "" {
		t.Fatalf("device data collection: %+v %v", msg, err)
	}
	pid := onlyPayment(t, app, sid).ID
	if res := postPage(t, app, app.URL+"/c/"+sid+"/payments/"+pid+"/device-data", url.Values{"SessionId": {msg.SessionID}}); res.Status != http.StatusSeeOther {
		t.Fatalf("device data: %d %s", res.Status, res.Body)
	}
	p := onlyPayment(t, app, sid)
	if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.Kind != checkout.ActionChallenge {
		t.Fatalf("after device data: %s %+v", p.Status, p.Action)
	}
	acs := doc(t, postPage(t, app, p.Action.URL, url.Values{"JWT": {p.Action.JWT}, "MD": {p.Action.MD}})).Find("form")
	fields := formFields(acs)
	fields.Set("challengeDataEntry", testcards.ChallengeCode)
	back := doc(t, postPage(t, app, acs.AttrOr("action", ""), fields)).Find("form#return")
	target := back.AttrOr("action", "")
	if !strings.HasPrefix(target, app.URL+"/c/"+sid+"/payments/") {
		t.Fatalf("challenge returns to %q", target)
	}
	return strings.TrimPrefix(target, app.URL), formFields(back)
}

func formFields(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		v.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	return v
}

// checkPageHeaders asserts the headers and markup of one HTML response and
// returns its nonce.
func checkPageHeaders(t *testing.T, res response, frameAndForm []string, framed, wantScript bool) string {
	t.Helper()
	h := res.Header
	for name, want := range map[string]string{
		"Content-Type":               "text/html; charset=UTF-8",
		"Referrer-Policy":            "no-referrer",
		"X-Content-Type-Options":     "nosniff",
		"Cache-Control":              "no-store",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		if got := h.Get(name); !strings.EqualFold(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	pp := h.Get("Permissions-Policy")
	for _, feature := range []string{"camera=()", "microphone=()", "geolocation=()"} {
		if !strings.Contains(pp, feature) {
			t.Errorf("Permissions-Policy %q lacks %s", pp, feature)
		}
	}

	raw := h.Get("Content-Security-Policy")
	csp := parseCSP(t, raw)
	scriptSrc := csp["script-src"]
	var nonce string
	for _, v := range scriptSrc {
		if strings.HasPrefix(v, "'nonce-") && strings.HasSuffix(v, "'") {
			nonce = strings.TrimSuffix(strings.TrimPrefix(v, "'nonce-"), "'")
		}
	}
	if b, err := base64.StdEncoding.DecodeString(nonce); err != nil || len(b) < 16 {
		t.Fatalf("script-src %q: nonce %q is not ≥128 bits of base64 (%v)", scriptSrc, nonce, err)
	}
	ancestors := "'none'"
	if framed {
		ancestors = "'self'"
	}
	for directive, want := range map[string][]string{
		"default-src":     {"'none'"},
		"script-src":      {"'self'", "'nonce-" + nonce + "'"},
		"style-src":       {"'self'", "'nonce-" + nonce + "'"},
		"object-src":      {"'none'"},
		"base-uri":        {"'none'"},
		"frame-ancestors": {ancestors},
		"form-action":     frameAndForm,
		"frame-src":       frameAndForm,
	} {
		if got := csp[directive]; !slices.Equal(got, want) {
			t.Errorf("%s %q, want %q (CSP %q)", directive, got, want, raw)
		}
	}
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'", "*", "https:", "http:", "data:"} {
		for directive, values := range csp {
			if slices.Contains(values, bad) && !(bad == "data:" && directive == "img-src") {
				t.Errorf("%s allows %s", directive, bad)
			}
		}
	}

	d := doc(t, res)
	scripts := d.Find("script")
	if wantScript && scripts.Length() == 0 {
		t.Error("no script on a page that runs one")
	}
	d.Find(`script, style, link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) {
		if got := s.AttrOr("nonce", ""); got != nonce {
			html, _ := goquery.OuterHtml(s)
			t.Errorf("%s has nonce %q, want the response's %q", html, got, nonce)
		}
	})
	// Every script and stylesheet is one of our static files, pinned by
	// Subresource Integrity to the bytes we serve (SECURITY.md R05).
	d.Find(`script[src], link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) {
		src := s.AttrOr("src", s.AttrOr("href", ""))
		rec := httptest.NewRecorder()
		static.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, src, nil))
		if !strings.HasPrefix(src, static.Prefix) || rec.Code != http.StatusOK {
			t.Errorf("%s is not one of our static files (%d)", src, rec.Code)
			return
		}
		sum := sha512.Sum384(rec.Body.Bytes())
		if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); s.AttrOr("integrity", "") != want {
			t.Errorf("%s: integrity %q, want %q", src, s.AttrOr("integrity", ""), want)
		}
	})
	if n := d.Find("script:not([src])").Length(); n != 0 {
		t.Errorf("%d inline scripts", n)
	}
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") ||
				strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("<%s %s=%q>: inline script", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	return nonce
}

// parseCSP splits a policy into its directives; a directive may appear once.
func parseCSP(t *testing.T, policy string) map[string][]string {
	t.Helper()
	if policy == "" {
		t.Fatal("no Content-Security-Policy")
	}
	out := map[string][]string{}
	for _, d := range strings.Split(policy, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		name := strings.ToLower(f[0])
		if _, dup := out[name]; dup {
			t.Errorf("directive %s twice in %q", name, policy)
		}
		out[name] = f[1:]
	}
	return out
}

func originOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("origin of %q: %v", raw, err)
	}
	return u.Scheme + "://" + u.Host
}

func TestEmbedScriptAddress(t *testing.T) {
	app := sharedApp(t)
	res := do(t, http.MethodGet, app.URL+"/embed.js", nil)
	if res.Status != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/static/embed.") {
		t.Fatalf("/embed.js: %d %s", res.Status, res.Header.Get("Location"))
	}
	js := do(t, http.MethodGet, app.URL+res.Header.Get("Location"), nil)
	if js.Status != 200 || !strings.Contains(string(js.Body), "OpenCheckout") {
		t.Fatalf("embed.js body: %d", js.Status)
	}
}
