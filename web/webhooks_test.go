package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
	"github.com/opencheckout/hostedcheckout/web"
)

// receiver collects merchant webhooks and verifies each with the official
// Standard Webhooks library.
type receiver struct {
	mu     sync.Mutex
	wh     *standardwebhooks.Webhook
	events []map[string]any
	ids    map[string]int
	bad    int
	t      testing.TB // fails on a webhook the OpenAPI document does not describe
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wh == nil || r.wh.Verify(body, req.Header) != nil {
		r.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	checkWebhook(r.t, req.Header, body)
	var e map[string]any
	_ = json.Unmarshal(body, &e)
	e["webhook-id"] = req.Header.Get("webhook-id")
	r.events = append(r.events, e)
	r.ids[req.Header.Get("webhook-id")]++
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) count(typ, paymentID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		data, _ := e["data"].(map[string]any)
		if e["type"] == typ && (data["id"] == paymentID || func() bool { p, _ := data["payment"].(map[string]any); return p["id"] == paymentID }()) {
			n++
		}
	}
	return n
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func withEndpoint(t *testing.T, app *web.App) *receiver {
	t.Helper()
	rcv := &receiver{ids: map[string]int{}, t: t}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": srv.URL + "/hooks"})
	if res.Status != 201 {
		t.Fatalf("create endpoint: %d %s", res.Status, res.Body)
	}
	wh, err := standardwebhooks.NewWebhook(res.JSON(t)["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.wh = wh
	rcv.mu.Unlock()
	return rcv
}

func TestMerchantWebhooksFromTheOutbox(t *testing.T) {
	app := MustApp(t, nil)
	rcv := withEndpoint(t, app)
	sid, pid := payWorldline(t, app, "manual", "4242424242424242")
	eventually(t, "payment.authorized and checkout.session.completed", func() bool {
		return rcv.count("payment.authorized", pid) == 1 && rcv.count("checkout.session.completed", pid) == 1
	})

	// The same capture notification from Worldline, three times at once:
	// one transition, one merchant webhook.
	p, _ := app.Store.Payment(context.Background(), pid)
	creds := app.Sandbox.Worldline.Credentials()
	body := []byte(fmt.Sprintf(`{"apiVersion":"v1","id":"evt-capture-1","created":"2026-11-21T12:00:00.000+0000","merchantId":%q,"type":"payment.captured",`+
		`"payment":{"id":%q,"paymentOutput":{"amountOfMoney":{"amount":2500,"currencyCode":"EUR"},"references":{"merchantReference":%q}},`+
		`"status":"CAPTURED","statusOutput":{"statusCategory":"COMPLETED","statusCode":900,"isAuthorized":true,"isRefundable":true}}}`,
		creds.MerchantID, p.ProviderRef, pid))
	sig := worldline.WebhookSignature(creds.WebhookSecret, body)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := do(t, http.MethodPost, app.URL+"/notify/worldline", body, "Content-Type", "application/json",
				"X-GCS-Signature", sig, "X-GCS-KeyId", creds.WebhookKeyID)
			if res.Status != 200 {
				t.Errorf("notification: %d %s", res.Status, res.Body)
			}
		}()
	}
	wg.Wait()
	got, _ := app.Store.Payment(context.Background(), pid)
	if got.Status != checkout.PaymentCaptured {
		t.Fatalf("after the notification: %s", got.Status)
	}
	events, _ := app.Store.SessionEvents(context.Background(), sid)
	moves := 0
	for _, e := range events {
		if e.Type == checkout.EventPaymentStatus && e.Data["to"] == "captured" {
			moves++
		}
	}
	if moves != 1 {
		t.Fatalf("%d transitions to captured, want 1", moves)
	}
	eventually(t, "payment.captured", func() bool { return rcv.count("payment.captured", pid) >= 1 })
	time.Sleep(300 * time.Millisecond) // a second one would have come by now
	if n := rcv.count("payment.captured", pid); n != 1 {
		t.Fatalf("%d payment.captured webhooks, want 1", n)
	}
	// A flipped byte is refused and changes nothing.
	bad := append([]byte(nil), body...)
	bad[len(bad)-3] = '8'
	if res := do(t, http.MethodPost, app.URL+"/notify/worldline", bad, "X-GCS-Signature", sig, "X-GCS-KeyId", creds.WebhookKeyID); res.Status != 401 {
		t.Fatalf("tampered notification: %d", res.Status)
	}

	// The delivery log over the API, and a redelivery keeping the webhook-id.
	list := api(t, app, http.MethodGet, "/v1/webhook_deliveries?limit=50", nil)
	if list.Status != 200 {
		t.Fatalf("deliveries: %d %s", list.Status, list.Body)
	}
	var captured map[string]any
	for _, d := range list.JSON(t)["data"].([]any) {
		if d := d.(map[string]any); d["type"] == "payment.captured" {
			captured = d
		}
	}
	if captured == nil || captured["status"] != "succeeded" || len(captured["attempts"].([]any)) != 1 {
		t.Fatalf("captured delivery: %v", captured)
	}
	if res := api(t, app, http.MethodPost, "/v1/webhook_deliveries/"+captured["id"].(string)+"/redeliver", nil); res.Status != 200 {
		t.Fatalf("redeliver: %d %s", res.Status, res.Body)
	}
	eventually(t, "the redelivery", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return rcv.ids[captured["webhook_id"].(string)] == 2
	})
	if res := api(t, app, http.MethodPost, "/v1/webhook_deliveries/whd_nope/redeliver", nil); res.Status != 404 {
		t.Fatalf("redeliver unknown: %d", res.Status)
	}
	if rcv.bad != 0 {
		t.Fatalf("%d webhooks failed the official verification", rcv.bad)
	}
	for _, tt := range []map[string]any{{"url": "ftp://x"}, {"url": "https://x.test", "secret": "nope"}, {}} {
		if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", tt); res.Status != 422 {
			t.Errorf("endpoint %v: %d", tt, res.Status)
		}
	}
}

// issue 12, defect 7: the endpoint API. enabled_events is validated against
// the known event types, shown on the endpoint and filters what is queued;
// the 16-endpoint cap answers 422 limit_reached; disable holds deliveries
// and enable sends them; DELETE cancels them; another merchant's endpoint
// is a 404 for every action.
func TestWebhookEndpointAPICapEventsDisableEnableDelete(t *testing.T) {
	app := MustApp(t, nil)
	bg := context.Background()
	for _, tt := range []struct {
		body  map[string]any
		param string
	}{
		{map[string]any{"url": "https://x.test/h", "enabled_events": []string{"payment.exploded"}}, "enabled_events"},
		{map[string]any{"url": "https://x.test/h", "enabled_events": []string{"*", "payment.failed"}}, "enabled_events"},
		{map[string]any{"url": "https://x.test/h", "enabled_events": "payment.failed"}, ""},
	} {
		res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", tt.body)
		if res.Status/100 != 4 || res.JSON(t)["error"] == nil {
			t.Fatalf("%v: %d %s", tt.body, res.Status, res.Body)
		}
		if e := res.JSON(t)["error"].(map[string]any); tt.param != "" && (res.Status != 422 || e["param"] != tt.param) {
			t.Fatalf("%v: %d %s", tt.body, res.Status, res.Body)
		}
	}

	// Refund events only: a session expiry is not queued for it.
	rcv := &receiver{ids: map[string]int{}, t: t}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": srv.URL + "/refunds",
		"enabled_events": []string{"refund.succeeded", "refund.failed", "refund.failed"}})
	if res.Status != 201 || fmt.Sprint(res.JSON(t)["enabled_events"]) != "[refund.succeeded refund.failed]" {
		t.Fatalf("create with enabled_events: %d %s", res.Status, res.Body)
	}
	refundsOnly := res.JSON(t)["id"].(string)
	res = api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": srv.URL + "/all"})
	if res.Status != 201 || fmt.Sprint(res.JSON(t)["enabled_events"]) != "[*]" {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	wh, _ := standardwebhooks.NewWebhook(res.JSON(t)["secret"].(string))
	rcv.mu.Lock()
	rcv.wh = wh
	rcv.mu.Unlock()
	allID := res.JSON(t)["id"].(string)

	// Disable and enable answer the endpoint (the held deliveries are
	// TestWebhookClaimIsFairAndEndpointsControlTheirDeliveries's).
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints/"+allID+"/disable", nil); res.Status != 200 || res.JSON(t)["enabled"] != false {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	sess := mustCreateSession(t, app, validSession())
	sid := sess["id"].(string)
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints/"+allID+"/enable", nil); res.Status != 200 {
		t.Fatalf("enable: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+sid+"/expire", nil); res.Status != 200 {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	eventually(t, "checkout.session.expired", func() bool { return rcv.count("checkout.session.expired", sid) == 1 })
	ds, _ := app.Store.WebhookDeliveries(bg, web.DemoMerchantID, 100)
	for _, d := range ds {
		if d.EndpointID == refundsOnly {
			t.Fatalf("a %s webhook was queued for the refund-only endpoint", d.Type)
		}
	}

	// Another merchant's endpoint is a 404 for every action.
	other := &checkout.Merchant{ID: "mer_fair_other", Name: "Other", APIKeyHash: checkout.HashAPIKey("sk_test_fair_other_0123456789"),
		DefaultProvider: "payorder", CreatedAt: time.Now()}
	theirs := &checkout.WebhookEndpoint{ID: checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), MerchantID: other.ID,
		URL: "https://other.test/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: time.Now()}
	if err := app.Store.SaveMerchant(bg, other); err != nil {
		t.Fatal(err)
	}
	if err := app.Store.SaveWebhookEndpoint(bg, theirs); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{theirs.ID, "we_nope", "x"} {
		for _, a := range []struct{ method, path string }{{http.MethodDelete, ""}, {http.MethodPost, "/disable"}, {http.MethodPost, "/enable"}} {
			if res := api(t, app, a.method, "/v1/webhook_endpoints/"+id+a.path, nil); res.Status != 404 {
				t.Errorf("%s %s%s: %d %s", a.method, id, a.path, res.Status, res.Body)
			}
		}
	}
	if es, _ := app.Store.WebhookEndpoints(bg, other.ID); len(es) != 1 || !es[0].Enabled {
		t.Fatal("another merchant's endpoint was changed")
	}
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints/"+allID+"/disable", `{"x":1}`); res.Status != 400 && res.Status != 422 {
		t.Fatalf("disable with a body: %d %s", res.Status, res.Body)
	}

	// The cap: 16 endpoints per merchant, then 422 limit_reached; a deleted
	// one frees its place.
	var last response
	for range checkout.MaxWebhookEndpoints + 2 {
		last = api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "https://x.test/h"})
		if last.Status != 201 {
			break
		}
	}
	if last.Status != 422 || last.JSON(t)["error"].(map[string]any)["code"] != "limit_reached" {
		t.Fatalf("over the cap: %d %s", last.Status, last.Body)
	}
	if es, _ := app.Store.WebhookEndpoints(bg, web.DemoMerchantID); len(es) != checkout.MaxWebhookEndpoints {
		t.Fatalf("%d endpoints stored, cap %d", len(es), checkout.MaxWebhookEndpoints)
	}
	if res := api(t, app, http.MethodDelete, "/v1/webhook_endpoints/"+refundsOnly, nil); res.Status != 200 || res.JSON(t)["deleted"] != true {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodDelete, "/v1/webhook_endpoints/"+refundsOnly, nil); res.Status != 404 {
		t.Fatalf("delete twice: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "https://x.test/h"}); res.Status != 201 {
		t.Fatalf("after a delete: %d %s", res.Status, res.Body)
	}
}
