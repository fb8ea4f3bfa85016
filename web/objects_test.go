package web_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// latest is the data of the last webhook of type typ about the object id.
func (r *receiver) latest(typ, id string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		e := r.events[i]
		if data, _ := e["data"].(map[string]any); e["type"] == typ && data["id"] == id {
			return data
		}
	}
	return nil
}

// TestWebhookDataIsTheAPIObject (issue 14): one representation of each
// merchant-visible object. Each webhook's data equals what the merchant
// API answers for the same object at the same version: the session when
// it completes and when it expires, the payment when it is authorized,
// captured and refunded (with its refunds), the refund when it succeeds.
func TestWebhookDataIsTheAPIObject(t *testing.T) {
	app := MustApp(t, nil)
	rcv := withEndpoint(t, app)

	same := func(typ, id, path string) {
		t.Helper()
		var data map[string]any
		eventually(t, typ+" for "+id, func() bool { data = rcv.latest(typ, id); return data != nil })
		res := api(t, app, http.MethodGet, path, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		if got := res.JSON(t); !reflect.DeepEqual(data, got) {
			t.Errorf("%s data differs from GET %s:\nwebhook %v\napi     %v", typ, path, data, got)
		}
	}

	sid, pid := payWorldline(t, app, "manual", "4242424242424242")
	same("checkout.session.completed", sid, "/v1/checkout/sessions/"+sid)
	same("payment.authorized", pid, "/v1/payments/"+pid)

	if res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil); res.Status != http.StatusOK {
		t.Fatalf("capture: %d %s", res.Status, res.Body)
	}
	same("payment.captured", pid, "/v1/payments/"+pid)

	res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", map[string]any{"amount": 1000})
	if res.Status != http.StatusCreated {
		t.Fatalf("refund: %d %s", res.Status, res.Body)
	}
	rid := res.JSON(t)["id"].(string)
	same("refund.succeeded", rid, "/v1/refunds/"+rid)
	same("payment.refunded", pid, "/v1/payments/"+pid)
	if refunds, _ := rcv.latest("payment.refunded", pid)["refunds"].([]any); len(refunds) != 1 {
		t.Errorf("payment.refunded carries refunds %v, want the one refund", refunds)
	}

	// A session paid on its second attempt: its completion carries both
	// attempts, the declined one read when the paying request started.
	retry := validSession()
	retry["currency"], retry["provider"] = "EUR", "worldline"
	second := mustCreateSession(t, app, retry)["id"].(string)
	for _, number := range []string{"4000000000000002", "4242424242424242"} {
		form := url.Values{"card_number": {number}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
		if res := do(t, http.MethodPost, app.URL+"/c/"+second+"/pay", shopperForm(t, app, second, form), "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusSeeOther {
			t.Fatalf("pay %s: %d %s", number, res.Status, res.Body)
		}
	}
	same("checkout.session.completed", second, "/v1/checkout/sessions/"+second)
	if pays, _ := app.Store.SessionPayments(context.Background(), second); len(pays) != 2 {
		t.Errorf("the retried session has %d payments, want 2", len(pays))
	}

	body := validSession()
	body["locale"] = "de-AT"
	expiring := mustCreateSession(t, app, body)["id"].(string)
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+expiring+"/expire", nil); res.Status != http.StatusOK {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	same("checkout.session.expired", expiring, "/v1/checkout/sessions/"+expiring)
	if loc := rcv.latest("checkout.session.expired", expiring)["locale"]; loc != "de" {
		t.Errorf("expired session's locale %v, want the rendered de", loc)
	}
}
