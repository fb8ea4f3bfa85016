package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// TestPagesSpeakTheShoppersLanguage: a session created with locale "ar"
// renders right-to-left Arabic; "auto" (and no locale) follows the
// browser's Accept-Language; the API answers the resolved locale; field
// errors, declines and error pages are in the page's language.
func TestPagesSpeakTheShoppersLanguage(t *testing.T) {
	app := sharedApp(t)
	ar, _ := i18n.Get("ar")
	ja, _ := i18n.Get("ja")
	de, _ := i18n.Get("de")

	body := validSession()
	body["locale"] = "ar"
	s := mustCreateSession(t, app, body)
	if s["locale"] != "ar" {
		t.Errorf("API locale %v, want ar", s["locale"])
	}
	d := doc(t, do(t, http.MethodGet, app.URL+"/c/"+s["id"].(string), nil, "Accept-Language", "ja"))
	if lang, _ := d.Find("html").Attr("lang"); lang != "ar" {
		t.Errorf("lang %q, want ar", lang)
	}
	if dir, _ := d.Find("html").Attr("dir"); dir != "rtl" {
		t.Errorf("dir %q, want rtl", dir)
	}
	if got, want := d.Find("label[for=card-number]").Text(), ar.T("field.card_number"); !strings.Contains(got, want) || want == "Card number" {
		t.Errorf("card number label %q, want Arabic %q", got, want)
	}
	if dir, _ := testid(d, "card-number").Attr("dir"); dir != "ltr" {
		t.Errorf("card number input dir %q, want ltr", dir)
	}
	if d.Find(".summary .merchant bdi").Length() != 1 || d.Find(".lines bdi").Length() == 0 {
		t.Error("merchant text is not bidi-isolated")
	}

	// A bad card: the inline errors and the error summary in Arabic.
	sid := s["id"].(string)
	res := do(t, http.MethodPost, app.URL+"/c/"+sid+"/pay", shopperForm(t, app, sid, url.Values{
		"payment_method": {"card"}, "card_number": {"4242424242424241"}, "card_expiry": {"12/40"}, "card_cvc": {"123"}, "cardholder_name": {"Ada"},
	}), "Content-Type", "application/x-www-form-urlencoded", "Origin", app.URL)
	d = doc(t, res)
	if got, want := testid(d, "field-error-card-number").Text(), ar.T("error.number_invalid"); got != want {
		t.Errorf("field error %q, want %q", got, want)
	}
	if got := testid(d, "error-summary-card-number").AttrOr("href", ""); got != "#card-number" {
		t.Errorf("error summary link %q", got)
	}

	// auto, and no locale: the browser decides.
	for _, loc := range []any{"auto", nil} {
		body := validSession()
		if loc != nil {
			body["locale"] = loc
		}
		s := mustCreateSession(t, app, body)
		if s["locale"] != "auto" {
			t.Errorf("API locale %v for %v, want auto", s["locale"], loc)
		}
		d := doc(t, do(t, http.MethodGet, app.URL+"/c/"+s["id"].(string), nil, "Accept-Language", "ja-JP,ja;q=0.9,en;q=0.8"))
		if lang, _ := d.Find("html").Attr("lang"); lang != "ja" {
			t.Errorf("lang %q for %v, want ja", lang, loc)
		}
		if got := testid(d, "pay-button").Text(); !strings.Contains(got, strings.SplitN(ja.T("form.pay_button", "Amount", ""), "\u2068", 2)[0]) {
			t.Errorf("pay button %q is not Japanese", got)
		}
		d = doc(t, do(t, http.MethodGet, app.URL+"/c/"+s["id"].(string), nil))
		if lang, _ := d.Find("html").Attr("lang"); lang != "en" {
			t.Errorf("lang %q without Accept-Language, want en", lang)
		}
	}

	// A regional tag resolves by language; amounts keep the region's format.
	body = validSession()
	body["locale"] = "de-AT"
	if s := mustCreateSession(t, app, body); s["locale"] != "de" {
		t.Errorf("API locale %v for de-AT, want de", s["locale"])
	}
	body["locale"] = "sw"
	if s := mustCreateSession(t, app, body); s["locale"] != "en" {
		t.Errorf("API locale %v for sw, want en", s["locale"])
	}
	body["locale"] = "not a tag!"
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", body); res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), `"param":"locale"`) {
		t.Errorf("bad locale: %d %s", res.Status, res.Body)
	}

	// Error pages speak the browser's language.
	d = doc(t, do(t, http.MethodGet, app.URL+"/c/cs_nosuchsession000000000000000000", nil, "Accept-Language", "de-CH"))
	if got := testid(d, "error-heading").Text(); got != de.T("page.not_found_heading") {
		t.Errorf("404 heading %q, want %q", got, de.T("page.not_found_heading"))
	}
	if lang, _ := d.Find("html").Attr("lang"); lang != "de" {
		t.Errorf("404 lang %q", lang)
	}
}
