package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// TestProvidersSpeakThePagesLanguage: every provider field that picks the
// language of the provider's own pages gets the language our page rendered
// in (the session's locale, or the browser's when it is "auto"), over HTTP
// to the sandboxes through the real adapters: Worldline's customer locale,
// payOrder's and Antom's browser language (the 3-D Secure page), the
// Alipay+ cashier's device language and BBMSL's add-card lang.
func TestProvidersSpeakThePagesLanguage(t *testing.T) {
	app := sharedApp(t)

	// post submits a shopper form with the browser's Accept-Language and
	// navigator.language.
	post := func(t *testing.T, sid, path, acceptLanguage, navigatorLanguage string, form url.Values) response {
		t.Helper()
		form.Set("browser_language", navigatorLanguage)
		return do(t, http.MethodPost, app.URL+"/c/"+sid+path, shopperForm(t, app, sid, form),
			"Content-Type", "application/x-www-form-urlencoded", "Accept-Language", acceptLanguage)
	}
	session := func(t *testing.T, locale, provider, currency string, methods ...string) string {
		t.Helper()
		body := validSession()
		body["locale"] = locale
		if provider != "" {
			body["provider"], body["currency"] = provider, currency
		}
		if len(methods) > 0 {
			body["payment_methods"] = methods
		}
		if methods != nil && methods[0] == "saved_card" {
			body["customer"] = map[string]any{"reference": "lang-" + strings.ToLower(t.Name()[len(t.Name())-6:]), "email": "ada@example.test"}
		}
		return mustCreateSession(t, app, body)["id"].(string)
	}
	card := url.Values{"payment_method": {"card"}, "card_number": {testcards.Visa}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	paid := func(t *testing.T, res response, sid string) string {
		t.Helper()
		if res.Status != http.StatusSeeOther {
			t.Fatalf("pay: %d %s", res.Status, res.Body)
		}
		return onlyPayment(t, app, sid).ID
	}

	t.Run("worldline customer locale from auto", func(t *testing.T) {
		sid := session(t, "auto", "worldline", "EUR")
		pid := paid(t, post(t, sid, "/pay", "fr-CA,fr;q=0.9,en;q=0.5", "fr-CA", card), sid)
		if st, _ := app.Sandbox.Worldline.PaymentState(pid); st.Locale != "fr_CA" {
			t.Errorf("Worldline customer locale %q, want fr_CA", st.Locale)
		}
	})
	t.Run("worldline customer locale set by the merchant", func(t *testing.T) {
		sid := session(t, "de-AT", "worldline", "EUR")
		pid := paid(t, post(t, sid, "/pay", "en-US", "en-US", card), sid)
		// de-AT renders the de catalog; Worldline gets the language and
		// the billing country's region.
		if st, _ := app.Sandbox.Worldline.PaymentState(pid); !strings.HasPrefix(st.Locale, "de_") {
			t.Errorf("Worldline customer locale %q, want de_…", st.Locale)
		}
	})
	t.Run("antom browser language", func(t *testing.T) {
		sid := session(t, "ja", "antom", "USD")
		pid := paid(t, post(t, sid, "/pay", "en-US", "en-US", card), sid)
		if st, _ := app.Sandbox.Antom.PaymentState(pid); st.Language != "ja" {
			t.Errorf("Antom browser language %q, want ja (the page's, not the browser's en-US)", st.Language)
		}
	})
	t.Run("antom keeps the browser's region when the languages agree", func(t *testing.T) {
		sid := session(t, "auto", "antom", "USD")
		pid := paid(t, post(t, sid, "/pay", "de-AT,de;q=0.9", "de-AT", card), sid)
		if st, _ := app.Sandbox.Antom.PaymentState(pid); st.Language != "de-AT" {
			t.Errorf("Antom browser language %q, want de-AT", st.Language)
		}
	})
	t.Run("payorder browser language at payOrder", func(t *testing.T) {
		sid := session(t, "ar", "payorder", "USD")
		pid := paid(t, post(t, sid, "/pay", "en-GB", "en-GB", card), sid)
		p := onlyPayment(t, app, sid)
		if p.Action == nil || p.Action.Kind != checkout.ActionDeviceDataCollection {
			t.Fatalf("payorder payment before device data collection: %s %+v", p.Status, p.Action)
		}
		page := doc(t, postPage(t, app, p.Action.URL, url.Values{"Bin": {p.Action.BIN}, "JWT": {p.Action.JWT}}))
		var msg struct {
			SessionID string `json:"SessionId"`
		}
		if err := json.Unmarshal([]byte(page.Find("#profile-message").Text()), &msg); err != nil || msg.SessionID == "" {
			t.Fatalf("device data collection: %+v %v", msg, err)
		}
		if res := postPage(t, app, app.URL+"/c/"+sid+"/payments/"+pid+"/device-data", url.Values{"SessionId": {msg.SessionID}}); res.Status != http.StatusSeeOther {
			t.Fatalf("device data: %d %s", res.Status, res.Body)
		}
		if o, _ := app.Sandbox.Payorder.Order(pid); o.BrowserLanguage != "ar" {
			t.Errorf("payOrder browserLanguage %q, want ar", o.BrowserLanguage)
		}
	})
	t.Run("alipayplus cashier language", func(t *testing.T) {
		sid := session(t, "auto", "", "", "wallet")
		pid := paid(t, post(t, sid, "/pay", "zh-HK,zh;q=0.8", "zh-HK", url.Values{"payment_method": {"wallet"}}), sid)
		if st, _ := app.Sandbox.AlipayPlus.PaymentState(pid); st.Language != "zh-HK" {
			t.Errorf("Alipay+ device language %q, want zh-HK", st.Language)
		}
		sid = session(t, "th", "", "", "wallet")
		pid = paid(t, post(t, sid, "/pay", "en-US", "en-US", url.Values{"payment_method": {"wallet"}}), sid)
		if st, _ := app.Sandbox.AlipayPlus.PaymentState(pid); st.Language != "th" {
			t.Errorf("Alipay+ device language %q, want th", st.Language)
		}
	})
	t.Run("bbmsl add-card page lang", func(t *testing.T) {
		for _, tc := range []struct{ locale, acceptLanguage, want string }{
			{"auto", "zh-TW,zh;q=0.9", "zh-HK"}, // BBMSL's page speaks zh-HK or en
			{"zh-Hans", "en-US", "zh-HK"},
			{"auto", "de-DE", "en"},
		} {
			sid := session(t, tc.locale, "", "", "saved_card")
			res := post(t, sid, "/cards", tc.acceptLanguage, tc.acceptLanguage, url.Values{})
			if res.Status != http.StatusOK {
				t.Fatalf("add card: %d %s", res.Status, res.Body)
			}
			page := testid(doc(t, res), "redirect-continue").AttrOr("href", "")
			if !strings.HasPrefix(page, app.SandboxURL+"/sandbox/bbmsl/") {
				t.Fatalf("add-card page %q", page)
			}
			if lang := doc(t, do(t, http.MethodGet, page, nil)).Find("html").AttrOr("lang", ""); lang != tc.want {
				t.Errorf("%s with %s: BBMSL's page lang %q, want %s", tc.locale, tc.acceptLanguage, lang, tc.want)
			}
		}
	})
}
