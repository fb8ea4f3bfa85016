package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// payWorldline creates a Worldline session and pays it through the hosted
// page with a frictionless card; it returns the session and payment ids.
func payWorldline(t *testing.T, app *web.App, captureMode, number string) (string, string) {
	t.Helper()
	body := validSession()
	body["currency"], body["provider"], body["capture_mode"] = "EUR", "worldline", captureMode
	id := mustCreateSession(t, app, body)["id"].(string)
	form := url.Values{"card_number": {number}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	if res := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, form), "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", res.Status, res.Body)
	}
	pays, err := app.Store.SessionPayments(context.Background(), id)
	if err != nil || len(pays) != 1 {
		t.Fatalf("payments: %v %v", pays, err)
	}
	return id, pays[0].ID
}

func TestCaptureCancelRefundAPI(t *testing.T) {
	app := sharedApp(t)
	sid, pid := payWorldline(t, app, "manual", "4242424242424242")
	got := api(t, app, http.MethodGet, "/v1/payments/"+pid, nil)
	if got.Status != 200 || got.JSON(t)["status"] != "authorized" || got.JSON(t)["session_id"] != sid {
		t.Fatalf("authorized payment: %d %s", got.Status, got.Body)
	}
	if s := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t); s["payment_status"] != "authorized" || s["status"] != "complete" {
		t.Fatalf("session: %v", s)
	}

	for _, tt := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"refund before capture", "POST", "/v1/payments/" + pid + "/refunds", nil, 409, "conflict"},
		{"capture with a parameter", "POST", "/v1/payments/" + pid + "/capture", `{"amount":5}`, 422, "invalid_request"},
		{"capture with garbage", "POST", "/v1/payments/" + pid + "/capture", `{`, 400, "malformed_request"},
		{"capture unknown payment", "POST", "/v1/payments/pay_" + strings.Repeat("a", 32) + "/capture", nil, 404, "not_found"},
		{"capture malformed id", "POST", "/v1/payments/nope/capture", nil, 404, "not_found"},
		{"capture with GET", "GET", "/v1/payments/" + pid + "/capture", nil, 405, "malformed_request"},
	} {
		res := api(t, app, tt.method, tt.path, tt.body)
		if res.Status != tt.status || (tt.code != "" && res.JSON(t)["error"].(map[string]any)["code"] != tt.code) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, res.Status, res.Body, tt.status, tt.code)
		}
	}

	res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil, "Idempotency-Key", "cap-"+pid)
	if res.Status != 200 || res.JSON(t)["status"] != "captured" {
		t.Fatalf("capture: %d %s", res.Status, res.Body)
	}
	if again := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil, "Idempotency-Key", "cap-"+pid); again.Status != 200 || string(again.Body) != string(res.Body) {
		t.Fatalf("replayed capture: %d %s", again.Status, again.Body)
	}
	if c := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/cancel", nil); c.Status != 409 {
		t.Fatalf("cancel after capture: %d %s", c.Status, c.Body)
	}
	st, ok := app.Sandbox.Worldline.PaymentState(pid)
	if !ok || st.Status != "CAPTURED" {
		t.Fatalf("sandbox payment after capture: %+v %v", st, ok)
	}

	for _, tt := range []struct {
		body   string
		status int
		param  string
	}{
		{`{"amount":0}`, 422, "amount"},
		{`{"amount":-1}`, 422, "amount"},
		{`{"amount":2501}`, 422, "amount"},
		{`{"amount":"10"}`, 422, "amount"},
		{`{"amount":1.5}`, 422, "amount"},
		{`{"reason":"x"}`, 422, "reason"},
		{`{"amount":`, 400, ""},
	} {
		res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", tt.body)
		if res.Status != tt.status || (tt.param != "" && res.JSON(t)["error"].(map[string]any)["param"] != tt.param) {
			t.Errorf("refund %s: %d %s, want %d %s", tt.body, res.Status, res.Body, tt.status, tt.param)
		}
	}
	r := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", `{"amount":1000}`)
	if r.Status != 201 || r.JSON(t)["status"] != "succeeded" || r.JSON(t)["amount"] != float64(1000) {
		t.Fatalf("partial refund: %d %s", r.Status, r.Body)
	}
	p := api(t, app, http.MethodGet, "/v1/payments/"+pid, nil).JSON(t)
	if p["status"] != "partially_refunded" || p["amount_refunded"] != float64(1000) || len(p["refunds"].([]any)) != 1 {
		t.Fatalf("after partial refund: %v", p)
	}
	if r := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", nil); r.Status != 201 || r.JSON(t)["amount"] != float64(1500) {
		t.Fatalf("refund of the rest: %d %s", r.Status, r.Body)
	}
	if p := api(t, app, http.MethodGet, "/v1/payments/"+pid, nil).JSON(t); p["status"] != "refunded" || p["amount_refunded"] != float64(2500) {
		t.Fatalf("after full refund: %v", p)
	}
	if st, _ := app.Sandbox.Worldline.PaymentState(pid); st.Refunded != 2500 {
		t.Fatalf("sandbox refunded %d", st.Refunded)
	}
}

func TestCancelAuthorizedPayment(t *testing.T) {
	app := sharedApp(t)
	_, pid := payWorldline(t, app, "manual", "5555555555554444")
	res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/cancel", `{}`)
	if res.Status != 200 || res.JSON(t)["status"] != "canceled" {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	if c := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil); c.Status != 409 {
		t.Fatalf("capture after cancel: %d %s", c.Status, c.Body)
	}
	if st, _ := app.Sandbox.Worldline.PaymentState(pid); st.Status != "CANCELLED" {
		t.Fatalf("sandbox status %s", st.Status)
	}
}

func TestPaymentsAPIOnAPaymentInProgress(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string) // payorder: device data collection first
	form := url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, form), "Content-Type", "application/x-www-form-urlencoded")
	pays, _ := app.Store.SessionPayments(context.Background(), id)
	if len(pays) != 1 || pays[0].Status != checkout.PaymentRequiresAction {
		t.Fatalf("payorder payment: %+v", pays)
	}
	for _, op := range []string{"capture", "cancel", "refunds"} {
		if res := api(t, app, http.MethodPost, "/v1/payments/"+pays[0].ID+"/"+op, nil); res.Status != 409 {
			t.Errorf("%s of a payment in progress: %d %s", op, res.Status, res.Body)
		}
	}
}

func TestNotifyEndpoint(t *testing.T) {
	app := sharedApp(t)
	res := do(t, http.MethodGet, app.URL+"/notify/worldline", nil, "X-GCS-Webhooks-Endpoint-Verification", "check-123")
	if res.Status != 200 || string(res.Body) != "check-123" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("verification: %d %q %s", res.Status, res.Body, res.Header.Get("Content-Type"))
	}
	body := []byte(`{"apiVersion":"v1","id":"e1","type":"payment.paid","payment":{"id":"1"}}`)
	for _, tt := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"no signature", []string{"Content-Type", "application/json"}, 401},
		{"bad signature", []string{"X-GCS-Signature", "AAAA", "X-GCS-KeyId", "x"}, 401},
	} {
		if res := do(t, http.MethodPost, app.URL+"/notify/worldline", body, tt.headers...); res.Status != tt.status || !strings.Contains(string(res.Body), `"error"`) {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
		}
	}
	if res := do(t, http.MethodPost, app.URL+"/notify/nobody", body); res.Status != 404 {
		t.Errorf("unknown provider: %d", res.Status)
	}
	if res := do(t, http.MethodPost, app.URL+"/notify/payorder", body); res.Status != 404 {
		t.Errorf("provider without notifications: %d", res.Status)
	}
}

func TestForgedWorldlineReturnChangesNothing(t *testing.T) {
	app := sharedApp(t)
	sid, pid := payWorldline(t, app, "automatic", "4000000000003220")
	p, _ := app.Store.Payment(context.Background(), pid)
	if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.Kind != checkout.ActionRedirect {
		t.Fatalf("challenge card: %+v", p)
	}
	status := do(t, http.MethodGet, app.URL+"/c/"+sid+"/status", nil)
	if d := doc(t, status); testid(d, "redirect-continue").AttrOr("href", "") != p.Action.URL {
		t.Fatalf("status page does not send the browser to the ACS: %s", status.Body)
	}
	for _, q := range []string{"", "?RETURNMAC=forged", "?RETURNMAC=&REF=" + p.ProviderRef} {
		res := do(t, http.MethodGet, app.URL+"/c/"+sid+"/payments/"+pid+"/return"+q, nil)
		if res.Status != 422 {
			t.Errorf("return %q: %d", q, res.Status)
		}
	}
	// (Webhooks may trigger inquiries meanwhile; those keep it waiting.)
	if again, _ := app.Store.Payment(context.Background(), pid); again.Status != checkout.PaymentRequiresAction || again.Action == nil || again.Action.URL != p.Action.URL {
		t.Fatalf("a forged return changed the payment: %s %+v", again.Status, again.Action)
	}
	events, _ := app.Store.SessionEvents(context.Background(), sid)
	rejected := 0
	for _, e := range events {
		if e.Type == checkout.EventProviderCall && e.Data["operation"] == "continue" {
			t.Fatalf("a forged return reached the provider: %v", e.Data)
		}
		if e.Type == checkout.EventBrowserReturn {
			if e.Data["accepted"] != false {
				t.Fatalf("a forged return was accepted: %v", e.Data)
			}
			rejected++
		}
	}
	if rejected != 3 {
		t.Fatalf("%d rejected returns on the timeline, want 3", rejected)
	}
}

func TestSavedCardsAndRecurringAPIValidation(t *testing.T) {
	app := sharedApp(t)
	res := api(t, app, http.MethodGet, "/v1/customers/nobody-yet/saved_cards", nil)
	if res.Status != 200 || res.JSON(t)["object"] != "list" || len(res.JSON(t)["data"].([]any)) != 0 {
		t.Fatalf("empty list: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodDelete, "/v1/customers/nobody-yet/saved_cards/436", nil); res.Status != 404 {
		t.Fatalf("delete unknown: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodGet, "/v1/customers/nobody-yet/saved_cards", nil, "Authorization", "Bearer sk_test_wrongwrongwrongwrongwrong"); res.Status != 401 {
		t.Fatalf("wrong key: %d", res.Status)
	}
	for _, tt := range []struct {
		body   string
		status int
		param  string
	}{
		{`{}`, 422, "parent_payment"},
		{`{"parent_payment":"pay_` + strings.Repeat("a", 32) + `"}`, 422, "amount"},
		{`{"parent_payment":"pay_` + strings.Repeat("a", 32) + `","amount":100}`, 422, "parent_payment"},
		{`{"parent_payment":"x","amount":-1}`, 422, "amount"},
		{`{"parent_payment":"x","amount":"1"}`, 422, "amount"},
		{`{"parent":"x"}`, 422, "parent"},
	} {
		res := api(t, app, http.MethodPost, "/v1/recurring_charges", tt.body)
		if res.Status != tt.status || res.JSON(t)["error"].(map[string]any)["param"] != tt.param {
			t.Errorf("%s: %d %s, want %d %s", tt.body, res.Status, res.Body, tt.status, tt.param)
		}
	}
	// A card payment cannot be the parent of a recurring charge.
	_, pid := payWorldline(t, app, "automatic", "4242424242424242")
	if res := api(t, app, http.MethodPost, "/v1/recurring_charges", `{"parent_payment":"`+pid+`","amount":100}`); res.Status != 422 {
		t.Fatalf("card parent: %d %s", res.Status, res.Body)
	}
}

// The same form submitted twice, even after its attempt was declined (a
// fast decline, then the second click arrives), makes one attempt and one
// provider call; a fresh form makes the next attempt.
func TestSameFormTwiceMakesOneAttempt(t *testing.T) {
	app := sharedApp(t)
	body := validSession()
	body["currency"], body["provider"] = "EUR", "worldline"
	id := mustCreateSession(t, app, body)["id"].(string)
	token := doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil)).Find(`#pay-form input[name=form_token]`).AttrOr("value", "")
	if len(token) < 16 {
		t.Fatalf("no form token on the page: %q", token)
	}
	form := url.Values{"payment_method": {"card"}, "form_token": {token}, "card_number": {"4000000000000002"}, "card_expiry": {"12/40"},
		"card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	post := func() int {
		return do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded").Status
	}
	if st := post(); st != http.StatusSeeOther {
		t.Fatalf("first submit: %d", st)
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); post() }()
	}
	wg.Wait()
	pays, _ := app.Store.SessionPayments(context.Background(), id)
	if len(pays) != 1 || pays[0].Status != checkout.PaymentFailed || app.Sandbox.Worldline.Charges(pays[0].ID) != 0 {
		t.Fatalf("after resubmitting one form: %d attempts", len(pays))
	}
	if st, _ := app.Sandbox.Worldline.PaymentState(pays[0].ID); st.Status != "REJECTED" {
		t.Fatalf("sandbox: %+v", st)
	}
	form.Set("form_token", formToken(t, app, id)) // the page rendered again
	form.Set("card_number", "4242424242424242")
	if st := post(); st != http.StatusSeeOther {
		t.Fatalf("fresh form: %d", st)
	}
	if pays, _ := app.Store.SessionPayments(context.Background(), id); len(pays) != 2 || pays[1].Status != checkout.PaymentSucceeded {
		t.Fatalf("a fresh form did not make the next attempt: %d", len(pays))
	}
}

// Issue 12, defect 9: forged provider returns cannot grow the database: each
// is refused (422) and changes nothing, and only the first few an hour go
// on the payment's timeline.
func TestForgedReturnsAreCappedOnTheTimeline(t *testing.T) {
	app := sharedApp(t)
	sid, pid := payWorldline(t, app, "automatic", "4000000000003220")
	for i := range 40 {
		if res := do(t, http.MethodGet, app.URL+"/c/"+sid+"/payments/"+pid+"/return?RETURNMAC=forged-"+strconv.Itoa(i), nil); res.Status != 422 {
			t.Fatalf("forged return %d: %d", i, res.Status)
		}
	}
	events, _ := app.Store.SessionEvents(context.Background(), sid)
	rejected := 0
	for _, e := range events {
		if e.Type == checkout.EventBrowserReturn {
			rejected++
		}
	}
	if rejected != checkout.MaxRejectedReturnEvents {
		t.Fatalf("%d rejected returns on the timeline after 40 forged ones, want %d", rejected, checkout.MaxRejectedReturnEvents)
	}
}

// Issue 12, defect 3: a refund whose provider call timed out stays pending,
// its amount reserved and not refunded; refunding the rest leaves the
// payment partially refunded (not refunded, and no payment.refunded for
// money that never reached the provider) until the pending refund settles,
// on its own, by the provider's answer to an inquiry.
func TestPendingRefundSettlesByInquiry(t *testing.T) {
	app := MustApp(t, nil)
	_, pid := payWorldline(t, app, "automatic", "4242424242424242")
	// The refund call times out after Worldline made the refund; its
	// refund webhook (a trigger for an inquiry) and the first inquiries
	// fail, so the refund stays pending until a later scheduled inquiry.
	for _, arm := range []string{`{"fault":"timeout","count":1,"operation":"refund"}`, `{"fault":"5xx","count":2,"operation":"inquire-refund"}`} {
		if res := do(t, http.MethodPost, app.SandboxURL+"/sandbox/worldline/_faults", []byte(arm), "Content-Type", "application/json"); res.Status != http.StatusNoContent {
			t.Fatalf("arming: %d %s", res.Status, res.Body)
		}
	}
	first := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", `{"amount":1000}`)
	if first.Status != 201 || first.JSON(t)["status"] != "pending" {
		t.Fatalf("refund without an answer: %d %s", first.Status, first.Body)
	}
	p := api(t, app, http.MethodGet, "/v1/payments/"+pid, nil).JSON(t)
	if p["status"] != "succeeded" || p["amount_refunded"] != float64(0) || p["amount_refund_pending"] != float64(1000) {
		t.Fatalf("payment with a pending refund: %v refunded %v pending %v", p["status"], p["amount_refunded"], p["amount_refund_pending"])
	}
	rest := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", nil)
	if rest.Status != 201 || rest.JSON(t)["status"] != "succeeded" || rest.JSON(t)["amount"] != float64(1500) {
		t.Fatalf("refund of the rest: %d %s", rest.Status, rest.Body)
	}
	p = api(t, app, http.MethodGet, "/v1/payments/"+pid, nil).JSON(t)
	if p["status"] != "partially_refunded" || p["amount_refunded"] != float64(1500) {
		t.Fatalf("after the rest: %v with %v refunded; a pending refund was counted as refunded", p["status"], p["amount_refunded"])
	}
	id := first.JSON(t)["id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := api(t, app, http.MethodGet, "/v1/refunds/"+id, nil)
		if r.Status != 200 {
			t.Fatalf("GET refund: %d %s", r.Status, r.Body)
		}
		if r.JSON(t)["status"] != "pending" {
			if r.JSON(t)["status"] != "succeeded" {
				t.Fatalf("the timed-out refund settled as %s", r.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pending refund did not settle within 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p = api(t, app, http.MethodGet, "/v1/payments/"+pid, nil).JSON(t)
	st, _ := app.Sandbox.Worldline.Payment(pid)
	if p["status"] != "refunded" || p["amount_refunded"] != float64(2500) || p["amount_refund_pending"] != float64(0) || st.Refunded != 2500 {
		t.Fatalf("after the inquiry: %v refunded %v pending %v; Worldline refunded %d", p["status"], p["amount_refunded"], p["amount_refund_pending"], st.Refunded)
	}
}
