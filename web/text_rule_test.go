package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Issue 12, defect 9: the text rule where a shopper and a merchant type
// outside session creation. A cardholder name with NUL, CR/LF, a bidi
// override or isolate, a zero-width character, a C1 control or invalid
// UTF-8 is an inline error on the cardholder field (422, the form again,
// no payment), and the name is not echoed back with the character in it;
// a recurring charge's merchant_reference is a 422 naming it.
func TestCardholderNameAndRecurringReferenceFollowTheTextRule(t *testing.T) {
	app := sharedApp(t)
	for name, holder := range map[string]string{
		"NUL": "Ada\x00Lovelace", "CR LF": "Ada\r\nLovelace", "RLO": "Ada \u202ELovelace", "LRI": "Ada \u2066Lovelace",
		"ZWSP": "Ada\u200BLovelace", "BOM": "\uFEFFAda Lovelace", "word joiner": "Ada\u2060Lovelace", "C1 CSI": "Ada\u009bLovelace",
		"invalid UTF-8": "Ada \xffLovelace",
	} {
		t.Run("cardholder "+name, func(t *testing.T) {
			sid := mustCreateSession(t, app, validSession())["id"].(string)
			form := url.Values{"card_number": {"4242 4242 4242 4242"}, "card_expiry": {"12/40"}, "card_cvc": {"123"}, "cardholder_name": {holder}}
			res := do(t, http.MethodPost, app.URL+"/c/"+sid+"/pay", shopperForm(t, app, sid, form),
				"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want the form again with an error", res.Status)
			}
			d := doc(t, res)
			if msg := strings.TrimSpace(testid(d, "field-error-cardholder-name").Text()); msg == "" {
				t.Errorf("no inline error on the cardholder name")
			}
			for _, other := range []string{"card-number", "card-expiry", "card-cvc"} {
				if testid(d, "field-error-"+other).Length() != 0 {
					t.Errorf("an error on %s too", other)
				}
			}
			echoed, _ := testid(d, "cardholder-name").Attr("value")
			if !utf8.ValidString(echoed) || checkout.CheckText("cardholder_name", echoed) != nil {
				t.Errorf("the name came back with the character in it: %q", echoed)
			}
			if pays, _ := app.Store.SessionPayments(context.Background(), sid); len(pays) != 0 {
				t.Errorf("%d payments", len(pays))
			}
		})
	}

	for name, ref := range map[string]string{"CR LF": "r1\r\nInjected: yes", "RLO": "r1\u202Egpj.exe", "ZWJ": "r\u200D1", "NUL": "r\x001"} {
		res := api(t, app, http.MethodPost, "/v1/recurring_charges",
			map[string]any{"parent_payment": checkout.PrefixPayment + strings.Repeat("a", 32), "amount": 100, "merchant_reference": ref})
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("recurring merchant_reference with %s: %d %s", name, res.Status, res.Body)
			continue
		}
		if e := res.JSON(t)["error"].(map[string]any); e["param"] != "merchant_reference" {
			t.Errorf("recurring merchant_reference with %s: %v", name, e)
		}
	}
}
