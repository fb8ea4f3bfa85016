package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	bbsandbox "github.com/opencheckout/hostedcheckout/providers/bbmsl/sandbox"
	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/web"
)

// TestCatalogueEntriesOverHTTP plays every payment entry of
// qa/scenarios.json over HTTP, as a browser would but without one: the
// hosted page's forms, payOrder's device data collection and challenge
// frame, the redirect providers' 3-D Secure pages, the wallet's cashier
// buttons and BBMSL's add-card page; then reads the result page's
// data-status and the API's payment. Each must be what the entry lists
// (the e2e suite plays the same entries in Chromium).
func TestCatalogueEntriesOverHTTP(t *testing.T) {
	cat, err := qa.Load()
	if err != nil {
		t.Fatal(err)
	}
	app := MustApp(t, nil)
	for _, p := range cat.Providers {
		t.Run(p.Provider, func(t *testing.T) {
			t.Parallel()
			for _, s := range p.Scenarios {
				t.Run(strings.TrimPrefix(s.ID, p.Provider+"/"), func(t *testing.T) {
					got := playEntry(t, app, p, s)
					if !reflect.DeepEqual(got, s.Outcome) {
						b, _ := json.Marshal(got)
						w, _ := json.Marshal(s.Outcome)
						t.Errorf("%s\n got %s\nwant %s", s.ID, b, w)
					}
				})
			}
		})
	}
}

// playEntry pays a session of scenario s of provider p and returns what
// came of it.
func playEntry(t *testing.T, app *web.App, p qa.Provider, s qa.Scenario) qa.Outcome {
	t.Helper()
	body := validSession()
	body["amount"], body["currency"], body["provider"] = s.Amount, p.Currency, p.Provider
	body["line_items"] = []map[string]any{{"name": "Test", "quantity": 1, "unit_amount": s.Amount}}
	body["payment_methods"] = []string{p.Method}
	if s.ThreeDS != "" {
		body["three_ds"] = s.ThreeDS
	}
	if s.CaptureMode != "" {
		body["capture_mode"] = s.CaptureMode
	}
	if p.Method == "saved_card" {
		body["customer"] = map[string]any{"reference": "qa-" + strings.ReplaceAll(s.ID, "/", "-"), "email": "ada@example.test"}
	}
	sid := mustCreateSession(t, app, body)["id"].(string)
	if res := do(t, http.MethodGet, app.URL+"/c/"+sid, nil); res.Status != http.StatusOK {
		t.Fatalf("checkout page: %d", res.Status)
	}
	var out qa.Outcome
	switch p.Method {
	case "card":
		form := url.Values{"card_number": {s.Card.Number}, "card_expiry": {"12/40"}, "card_cvc": {s.Card.CVC}, "cardholder_name": {s.Card.Name}}
		if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", form); res.Status != http.StatusSeeOther {
			t.Fatalf("pay: %d %s", res.Status, res.Body)
		}
		playActions(t, app, sid, s.ChallengeCode)
	case "wallet":
		if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", url.Values{"payment_method": {"wallet"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("wallet pay: %d %s", res.Status, res.Body)
		}
		pay := onlyPayment(t, app, sid)
		if s.WalletAction != "" {
			cashier, ok := app.Sandbox.AlipayPlus.CashierURL(pay.ID)
			if !ok {
				t.Fatalf("no cashier for %s (%s)", pay.ID, pay.Status)
			}
			u, _ := url.Parse(cashier)
			confirm := strings.TrimSuffix(strings.SplitN(cashier, "?", 2)[0], "/cashier") + "/cashier/confirm"
			res := postPage(t, app, confirm, url.Values{"orderId": {u.Query().Get("orderId")}, "choice": {s.WalletAction}})
			if res.Status != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", s.WalletAction, res.Status, res.Body)
			}
			do(t, http.MethodGet, res.Header.Get("Location"), nil)
		}
	case "saved_card":
		res := postPage(t, app, app.URL+"/c/"+sid+"/cards", url.Values{})
		page := testid(doc(t, res), "redirect-continue").AttrOr("href", "")
		back, err := bbsandbox.CompleteAddCardAs(context.Background(), nil, page, s.Card.Number, s.Card.Name, s.ChallengeCode)
		if err != nil {
			t.Fatal(err)
		}
		returned := do(t, http.MethodGet, back, nil)
		ref := "qa-" + strings.ReplaceAll(s.ID, "/", "-")
		list := api(t, app, http.MethodGet, "/v1/customers/"+url.PathEscape(ref)+"/saved_cards", nil).JSON(t)
		cards, _ := list["data"].([]any)
		saved := len(cards) == 1
		out.CardSaved = &saved
		if !saved {
			// The shopper is back on the hosted page, told the card was
			// not added, and nothing was paid.
			if !strings.Contains(back, "result=canceled") || returned.Status != http.StatusSeeOther {
				t.Errorf("a card not saved sends the shopper back to %s (%d)", back, returned.Status)
			} else if page := do(t, http.MethodGet, app.URL+returned.Header.Get("Location"), nil); testid(doc(t, page), "saved-cards-notice").Length() != 1 {
				t.Errorf("the hosted page at %s says nothing of the card", returned.Header.Get("Location"))
			}
			if pays, err := app.Store.SessionPayments(context.Background(), sid); err != nil || len(pays) != 0 {
				t.Errorf("payments after a card not saved: %v %v", pays, err)
			}
			return out
		}
		id := cards[0].(map[string]any)["id"].(string)
		if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", url.Values{"payment_method": {"saved_card"}, "saved_card": {id}}); res.Status != http.StatusSeeOther {
			t.Fatalf("saved-card pay: %d %s", res.Status, res.Body)
		}
	}
	waitFinal(t, app, onlyPayment(t, app, sid).ID)
	st := do(t, http.MethodGet, app.URL+"/c/"+sid+"/status", nil)
	if st.Status != http.StatusOK {
		t.Fatalf("result page: %d", st.Status)
	}
	out.Status = testid(doc(t, st), "result-status").AttrOr("data-status", "?")
	sess := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t)
	pm, _ := sess["payment"].(map[string]any)
	out.PaymentStatus, _ = pm["status"].(string)
	if d, ok := pm["decline"].(map[string]any); ok {
		out.DeclineCode, _ = d["code"].(string)
	}
	if td, ok := pm["three_ds"].(map[string]any); ok {
		out.ThreeDS, _ = td["flow"].(string)
		out.ECI, _ = td["eci"].(string)
		if ls, ok := td["liability_shift"].(bool); ok {
			out.LiabilityShift = &ls
		}
	}
	return out
}

// playActions does what the shopper's browser does until the payment needs
// nothing more of it.
func playActions(t *testing.T, app *web.App, sid, code string) {
	t.Helper()
	for range 5 {
		p := onlyPayment(t, app, sid)
		if p.Status != checkout.PaymentRequiresAction || p.Action == nil {
			return
		}
		switch p.Action.Kind {
		case checkout.ActionDeviceDataCollection:
			var msg struct {
				SessionID string `json:"SessionId"`
			}
			page := doc(t, postPage(t, app, p.Action.URL, url.Values{"Bin": {p.Action.BIN}, "JWT": {p.Action.JWT}}))
			if err := json.Unmarshal([]byte(page.Find("#profile-message").Text()), &msg); err != nil {
				t.Fatal(err)
			}
			if res := postPage(t, app, app.URL+"/c/"+sid+"/payments/"+p.ID+"/device-data", url.Values{"SessionId": {msg.SessionID}, "ddc_timed_out": {"false"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("device data: %d", res.Status)
			}
		case checkout.ActionChallenge:
			acs := doc(t, postPage(t, app, p.Action.URL, url.Values{"JWT": {p.Action.JWT}, "MD": {p.Action.MD}})).Find("form")
			fields := formFields(acs)
			fields.Set("challengeDataEntry", code)
			back := doc(t, postPage(t, app, acs.AttrOr("action", ""), fields)).Find("form#return")
			postPage(t, app, back.AttrOr("action", ""), formFields(back))
		case checkout.ActionRedirect:
			res := do(t, http.MethodGet, p.Action.URL, nil)
			if res.Status == http.StatusOK {
				form := doc(t, res).Find("form").First()
				answer := formFields(form)
				answer.Set("otp", code)
				answer.Set("action", "submit")
				res = do(t, http.MethodPost, form.AttrOr("action", ""), []byte(answer.Encode()), "Content-Type", "application/x-www-form-urlencoded")
			}
			if res.Status != http.StatusSeeOther {
				t.Fatalf("redirect page: %d %s", res.Status, res.Body)
			}
			do(t, http.MethodGet, res.Header.Get("Location"), nil)
		default:
			t.Fatalf("action %s", p.Action.Kind)
		}
	}
	t.Fatal("the payment still requires an action after five steps")
}
