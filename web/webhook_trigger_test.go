package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/web"
)

// triggerPath is the test webhook trigger of the merchant API.
const triggerPath = "/v1/test/webhooks"

// Test webhooks (issue 16, point 5): every event type the product sends,
// triggered to one endpoint, arrives there signed with both of its secrets
// (a rotation is under way) and verifies with the official Standard
// Webhooks library under each; it says "triggered": true, its data is a
// test object (livemode false) of its type's kind with the key set of a
// real event of that type (every type the flows below produce), and it
// carries no card number and no security code. The endpoint's
// enabled_events do not stop an explicit trigger. The merchant's other
// endpoint gets none of them, each shows once in the delivery log, and no
// session, payment, refund or listed event is added or changed.
func TestTriggeredWebhooksArriveSignedAndShapedAsRealOnes(t *testing.T) {
	app := MustApp(t, nil)
	bg := context.Background()

	// The merchant's other endpoint, which takes every event: it receives
	// the real events below, and must receive no test one.
	other := withEndpoint(t, app)
	// The target, filtering for one event type the test never causes.
	target := &hookLog{t: t}
	srv := httptest.NewServer(target)
	t.Cleanup(srv.Close)
	created := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": srv.URL + "/hooks",
		"enabled_events": []string{checkout.WebhookMerchantKeyRotated}})
	if created.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", created.Status, created.Body)
	}
	endpoint, first := created.JSON(t)["id"].(string), created.JSON(t)["secret"].(string)
	rotated := api(t, app, http.MethodPost, "/v1/webhook_endpoints/"+endpoint+"/rotate_secret", nil)
	if rotated.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	second := rotated.JSON(t)["secret"].(string)

	// Real events of most types, from real flows, at the other endpoint.
	real := realEvents(t, app, other)

	// What the merchant's objects are before the triggers.
	objects := func() map[string][]string {
		out := map[string][]string{}
		for _, path := range []string{"/v1/checkout/sessions", "/v1/payments", "/v1/refunds", "/v1/events"} {
			res := api(t, app, http.MethodGet, path+"?limit=100", nil)
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
			}
			for _, o := range res.JSON(t)["data"].([]any) {
				o := o.(map[string]any)
				out[path] = append(out[path], o["id"].(string)+" "+fmtAny(o["status"]))
			}
		}
		return out
	}
	before := objects()
	otherBefore := len(receiverEvents(other))

	// One trigger of every type.
	answers := map[string]map[string]any{} // by event id
	for _, typ := range checkout.WebhookEventTypes {
		res := api(t, app, http.MethodPost, triggerPath, map[string]any{"endpoint": endpoint, "type": typ})
		if res.Status != http.StatusAccepted {
			t.Fatalf("trigger %s: %d %s", typ, res.Status, res.Body)
		}
		a := res.JSON(t)
		id, _ := a["id"].(string)
		if !checkout.ValidID(checkout.PrefixEvent, id) || a["type"] != typ || a["object"] != "test_webhook" || a["livemode"] != false ||
			a["triggered"] != true || a["endpoint_id"] != endpoint || !checkout.ValidID(checkout.PrefixWebhookDelivery, fmtAny(a["delivery_id"])) {
			t.Fatalf("trigger %s: answer %s", typ, res.Body)
		}
		answers[id] = a
	}

	// Each arrives once at the target, signed with both secrets.
	var got []arrived
	eventually(t, "every test webhook at the target", func() bool {
		target.mu.Lock()
		defer target.mu.Unlock()
		got = slices.Clone(target.got)
		return len(got) >= len(checkout.WebhookEventTypes)
	})
	seen := map[string]bool{}
	for _, hook := range got {
		id := hook.header.Get("webhook-id")
		a, ok := answers[id]
		if !ok || seen[id] {
			t.Fatalf("the target got webhook-id %q (known %v, seen %v): %s", id, ok, seen[id], hook.body)
		}
		seen[id] = true
		for _, secret := range []string{second, first} {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(hook.body, hook.header); err != nil {
				t.Errorf("%s: does not verify under one of the endpoint's secrets: %v", a["type"], err)
			}
		}
		signatures(t, hook, second, first)
		if verifies(t, checkout.NewWebhookSecret(), hook) {
			t.Fatalf("%s: an unrelated secret verifies", a["type"])
		}

		var body map[string]any
		if err := json.Unmarshal(hook.body, &body); err != nil {
			t.Fatal(err)
		}
		typ := body["type"].(string)
		data, _ := body["data"].(map[string]any)
		if typ != a["type"] || body["triggered"] != true || data["livemode"] != false {
			t.Errorf("%s: type %v, triggered %v, data.livemode %v", a["type"], typ, body["triggered"], data["livemode"])
		}
		if !reflect.DeepEqual(data, a["data"]) {
			t.Errorf("%s: the webhook's data is not the answer's:\n%v\n%v", typ, data, a["data"])
		}
		noCardData(t, typ, hook.body)
		testObjectOfItsKind(t, typ, data)
		if r, ok := real[typ]; ok {
			if diff := keyDiff("data", r, data); diff != "" {
				t.Errorf("%s: the test object's keys differ from a real event's: %s", typ, diff)
			}
		}
	}
	for _, typ := range []string{checkout.WebhookSessionCompleted, checkout.WebhookSessionExpired, "payment.succeeded",
		"payment.authorized", "payment.failed", "payment.captured", "payment.canceled", "payment.refunded",
		checkout.WebhookRefundSucceeded, checkout.WebhookMerchantUpdated} {
		if _, ok := real[typ]; !ok {
			t.Errorf("no real %s event to compare with", typ)
		}
	}

	// The delivery log shows each once, to the target, delivered.
	eventually(t, "every test delivery succeeded in the log", func() bool {
		for id, a := range answers {
			res := api(t, app, http.MethodGet, "/v1/webhook_deliveries?event="+id, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("deliveries of %s: %d %s", id, res.Status, res.Body)
			}
			ds := res.JSON(t)["data"].([]any)
			if len(ds) != 1 {
				t.Fatalf("%d deliveries of %s, want 1: %s", len(ds), id, res.Body)
			}
			d := ds[0].(map[string]any)
			if d["id"] != a["delivery_id"] || d["endpoint_id"] != endpoint || d["type"] != a["type"] || d["webhook_id"] != id {
				t.Fatalf("delivery of %s: %v", id, d)
			}
			if d["status"] != checkout.DeliverySucceeded || len(d["attempts"].([]any)) != 1 {
				return false
			}
		}
		return true
	})

	// Nothing else: no other endpoint, no new or changed object or event.
	time.Sleep(300 * time.Millisecond) // a stray delivery would have come by now
	if n := len(receiverEvents(other)); n != otherBefore {
		t.Errorf("the other endpoint got %d webhooks during the triggers", n-otherBefore)
	}
	for _, e := range receiverEvents(other) {
		if _, ok := answers[fmtAny(e["webhook-id"])]; ok || e["triggered"] != nil {
			t.Errorf("the other endpoint got a test webhook: %v", e)
		}
	}
	if after := objects(); !reflect.DeepEqual(after, before) {
		t.Errorf("the triggers changed the merchant's objects:\nbefore %v\nafter  %v", before, after)
	}
	if other.bad != 0 {
		t.Errorf("%d webhooks at the other endpoint failed verification", other.bad)
	}
	if es, _ := app.Store.WebhookEndpoints(bg, web.DemoMerchantID); len(es) < 2 {
		t.Fatalf("endpoints: %v", es)
	}
}

// Refusals change nothing: an unknown or missing type is a 422 naming
// type and listing the valid ones; a missing endpoint a 422 naming it;
// another merchant's endpoint, a deleted, unknown or malformed id a 404; a
// disabled endpoint a 409. No delivery is queued and no endpoint is sent
// anything. A live key gets a 403 test_mode_only (a test key on the same
// live server may trigger).
func TestTriggeredWebhookRefusals(t *testing.T) {
	app := MustApp(t, nil)
	bg := context.Background()
	rcv := withEndpoint(t, app)
	mine := api(t, app, http.MethodGet, "/v1/webhook_endpoints", nil).JSON(t)["data"].([]any)[0].(map[string]any)["id"].(string)

	// Another merchant with an endpoint of its own.
	otherKey := checkout.NewSecretKey(false)
	otherMerchant := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Other shop",
		APIKeyHash: checkout.HashAPIKey(otherKey), DefaultProvider: "worldline", CreatedAt: time.Now().UTC()}
	if err := app.Store.SaveMerchant(bg, otherMerchant); err != nil {
		t.Fatal(err)
	}
	theirRcv := &hookLog{t: t}
	theirSrv := httptest.NewServer(theirRcv)
	t.Cleanup(theirSrv.Close)
	theirs := merchantAPI(t, app, otherKey, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": theirSrv.URL})
	if theirs.Status != http.StatusCreated {
		t.Fatalf("their endpoint: %d %s", theirs.Status, theirs.Body)
	}
	// A deleted and a disabled endpoint of the demo merchant.
	newEndpoint := func() string {
		res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "https://shop.test/hooks"})
		if res.Status != http.StatusCreated {
			t.Fatalf("endpoint: %d %s", res.Status, res.Body)
		}
		return res.JSON(t)["id"].(string)
	}
	deleted, disabled := newEndpoint(), newEndpoint()
	if res := api(t, app, http.MethodDelete, "/v1/webhook_endpoints/"+deleted, nil); res.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints/"+disabled+"/disable", nil); res.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}

	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
		param  string
	}{
		{"unknown type", map[string]any{"endpoint": mine, "type": "payment.teleported"}, 422, "invalid_request", "type"},
		{"a timeline kind, not a webhook type", map[string]any{"endpoint": mine, "type": "payment.status_changed"}, 422, "invalid_request", "type"},
		{"no type", map[string]any{"endpoint": mine}, 422, "invalid_request", "type"},
		{"type in another case", map[string]any{"endpoint": mine, "type": "Payment.Succeeded"}, 422, "invalid_request", "type"},
		{"no endpoint", map[string]any{"type": "payment.succeeded"}, 422, "invalid_request", "endpoint"},
		{"an unknown field", map[string]any{"endpoint": mine, "type": "payment.succeeded", "data": map[string]any{}}, 422, "invalid_request", "data"},
		{"not JSON", `{"endpoint":`, 400, "malformed_request", ""},
		{"another merchant's endpoint", map[string]any{"endpoint": theirs.JSON(t)["id"], "type": "payment.succeeded"}, 404, "not_found", ""},
		{"an unknown endpoint", map[string]any{"endpoint": checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), "type": "payment.succeeded"}, 404, "not_found", ""},
		{"a malformed endpoint id", map[string]any{"endpoint": "nope", "type": "payment.succeeded"}, 404, "not_found", ""},
		{"a deleted endpoint", map[string]any{"endpoint": deleted, "type": "payment.succeeded"}, 404, "not_found", ""},
		{"a disabled endpoint", map[string]any{"endpoint": disabled, "type": "payment.succeeded"}, 409, "conflict", ""},
	} {
		res := api(t, app, http.MethodPost, triggerPath, tt.body)
		e, _ := res.JSON(t)["error"].(map[string]any)
		if res.Status != tt.status || e["code"] != tt.code || fmtAny(e["param"]) != tt.param {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
			continue
		}
		if tt.param == "type" {
			for _, typ := range checkout.WebhookEventTypes {
				if !strings.Contains(e["message"].(string), typ) {
					t.Errorf("%s: the message does not list %s: %s", tt.name, typ, e["message"])
				}
			}
		}
		if tt.status == 409 && !strings.Contains(e["message"].(string), "disabled") {
			t.Errorf("%s: the message does not say why: %s", tt.name, e["message"])
		}
	}
	time.Sleep(300 * time.Millisecond) // a stray delivery would have come by now
	for _, key := range []string{testKey, otherKey} {
		res := merchantAPI(t, app, key, http.MethodGet, "/v1/webhook_deliveries?limit=100", nil)
		if n := len(res.JSON(t)["data"].([]any)); res.Status != http.StatusOK || n != 0 {
			t.Errorf("refused triggers queued %d deliveries: %s", n, res.Body)
		}
		if res := merchantAPI(t, app, key, http.MethodGet, "/v1/events?limit=100", nil); len(res.JSON(t)["data"].([]any)) != 0 {
			t.Errorf("refused triggers wrote events: %s", res.Body)
		}
	}
	theirRcv.mu.Lock()
	theirGot := len(theirRcv.got)
	theirRcv.mu.Unlock()
	if n := len(receiverEvents(rcv)); n != 0 || theirGot != 0 {
		t.Errorf("refused triggers sent webhooks: %d to the demo merchant, %d to the other", n, theirGot)
	}

	// A live key: 403 test_mode_only, even for its own https endpoint; a
	// test key on the same live server triggers.
	live, _ := liveApp(t)
	liveKey, liveTestKey := liveAndTestMerchants(t, live)
	call := func(key, method, path string, body any) response {
		t.Helper()
		b, _ := json.Marshal(body)
		if body == nil {
			b = nil
		}
		return do(t, method, live.InternalURL+path, b, "Authorization", "Bearer "+key, "Content-Type", "application/json")
	}
	for _, key := range []string{liveKey, liveTestKey} {
		ep := call(key, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "https://hooks.shop.example/in"})
		if ep.Status != http.StatusCreated {
			t.Fatalf("endpoint: %d %s", ep.Status, ep.Body)
		}
		res := call(key, http.MethodPost, triggerPath, map[string]any{"endpoint": ep.JSON(t)["id"], "type": "payment.succeeded"})
		deliveries := call(key, http.MethodGet, "/v1/webhook_deliveries", nil).JSON(t)["data"].([]any)
		if key == liveTestKey {
			if res.Status != http.StatusAccepted || len(deliveries) != 1 {
				t.Errorf("a test key on a live server: %d %s, %d deliveries", res.Status, res.Body, len(deliveries))
			}
			continue
		}
		if res.Status != http.StatusForbidden || res.JSON(t)["error"].(map[string]any)["code"] != "test_mode_only" {
			t.Errorf("a live key: %d %s", res.Status, res.Body)
		}
		if len(deliveries) != 0 {
			t.Errorf("a live key's refused trigger queued %d deliveries", len(deliveries))
		}
	}
}

// realEvents runs real flows on app (worldline, the visa test card and
// the generic decline, automatic and manual capture, a capture, a cancel,
// a refund, an expiry, a settings change) and returns the data of the
// first real event of each type that rcv received.
func realEvents(t *testing.T, app *web.App, rcv *receiver) map[string]map[string]any {
	t.Helper()
	pay := func(capture, number string) string {
		body := validSession()
		body["currency"], body["provider"], body["capture_mode"] = "EUR", "worldline", capture
		body["customer"] = map[string]any{"email": "shopper@example.com"} // as the test session has
		id := mustCreateSession(t, app, body)["id"].(string)
		form := url.Values{"card_number": {number}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
		if res := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, form), "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusSeeOther {
			t.Fatalf("pay: %d %s", res.Status, res.Body)
		}
		pays, err := app.Store.SessionPayments(context.Background(), id)
		if err != nil || len(pays) != 1 {
			t.Fatalf("payments: %v %v", pays, err)
		}
		return pays[0].ID
	}
	post := func(path string, body any) {
		t.Helper()
		if res := api(t, app, http.MethodPost, path, body); res.Status != http.StatusOK && res.Status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, res.Status, res.Body)
		}
	}
	paid := pay("automatic", testcards.Visa)
	post("/v1/payments/"+paid+"/refunds", map[string]any{"amount": 500})
	pay("automatic", testcards.DeclineGeneric)
	post("/v1/payments/"+pay("manual", testcards.Visa)+"/capture", nil)
	post("/v1/payments/"+pay("manual", testcards.Visa)+"/cancel", nil)
	expire := mustCreateSession(t, app, map[string]any{"amount": 2500, "currency": "EUR", "success_url": "https://shop.test/ok",
		"customer": map[string]any{"email": "shopper@example.com"}})
	post("/v1/checkout/sessions/"+expire["id"].(string)+"/expire", nil)
	if res := api(t, app, http.MethodPatch, "/v1/merchant", map[string]any{"display_name": "Corner Café"}); res.Status != http.StatusOK {
		t.Fatalf("PATCH /v1/merchant: %d %s", res.Status, res.Body)
	}

	want := []string{checkout.WebhookSessionCompleted, checkout.WebhookSessionExpired, "payment.succeeded", "payment.authorized",
		"payment.failed", "payment.captured", "payment.canceled", "payment.refunded", checkout.WebhookRefundSucceeded,
		checkout.WebhookMerchantUpdated}
	out := map[string]map[string]any{}
	eventually(t, "the real events", func() bool {
		for _, e := range receiverEvents(rcv) {
			if typ := e["type"].(string); out[typ] == nil {
				out[typ] = e["data"].(map[string]any)
			}
		}
		for _, typ := range want {
			if out[typ] == nil {
				return false
			}
		}
		return true
	})
	// The refund settles its payment last: wait for the other webhooks
	// of these flows to have come.
	time.Sleep(300 * time.Millisecond)
	return out
}

// receiverEvents is a copy of what rcv received so far.
func receiverEvents(rcv *receiver) []map[string]any {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return slices.Clone(rcv.events)
}

// testObjectOfItsKind checks the data of a test webhook of type typ is a
// realistic object of its kind: a session with its paid payment, a payment
// paid with the visa test card (brand and last 4 only) with 3-D Secure, a
// refund, the merchant, a key without its secret.
func testObjectOfItsKind(t *testing.T, typ string, data map[string]any) {
	t.Helper()
	id, _ := data["id"].(string)
	payment := data
	switch {
	case strings.HasPrefix(typ, "checkout.session."):
		if data["object"] != "checkout.session" || !checkout.ValidID(checkout.PrefixSession, id) || data["amount"].(float64) <= 0 {
			t.Errorf("%s: not a session: %v", typ, data)
		}
		if typ == checkout.WebhookSessionExpired {
			if data["status"] != "expired" || data["payment"] != nil {
				t.Errorf("%s: %v", typ, data)
			}
			return
		}
		payment, _ = data["payment"].(map[string]any)
		if data["status"] != "complete" || data["payment_status"] != "paid" || payment == nil || payment["session_id"] != id {
			t.Errorf("%s: not a paid session: %v", typ, data)
			return
		}
	case strings.HasPrefix(typ, "payment."):
	case strings.HasPrefix(typ, "refund."):
		if data["object"] != "refund" || !checkout.ValidID(checkout.PrefixRefund, id) || !checkout.ValidID(checkout.PrefixPayment, fmtAny(data["payment_id"])) ||
			data["status"] != strings.TrimPrefix(typ, "refund.") || data["amount"].(float64) <= 0 {
			t.Errorf("%s: not a refund: %v", typ, data)
		}
		return
	case typ == checkout.WebhookMerchantUpdated:
		if data["object"] != "merchant" || id != web.DemoMerchantID {
			t.Errorf("%s: not the merchant: %v", typ, data)
		}
		return
	case typ == checkout.WebhookMerchantKeyRotated:
		if data["object"] != "api_key" || data["secret"] != nil {
			t.Errorf("%s: not a key without its secret: %v", typ, data)
		}
		return
	default:
		t.Errorf("%s: a type the test does not know", typ)
		return
	}
	card, _ := payment["card"].(map[string]any)
	status := strings.TrimPrefix(typ, "payment.")
	switch typ {
	case checkout.WebhookSessionCompleted:
		status = "succeeded"
	case "payment.refunded":
		status = "refunded"
	}
	if payment["object"] != "payment" || !checkout.ValidID(checkout.PrefixPayment, fmtAny(payment["id"])) || payment["status"] != status ||
		payment["amount"].(float64) <= 0 || len(fmtAny(payment["currency"])) != 3 ||
		card == nil || card["brand"] != "visa" || card["last4"] != "4242" {
		t.Errorf("%s: not a payment with the visa test card: %v", typ, payment)
	}
	if ds, _ := payment["three_ds"].(map[string]any); typ != "payment.pending" && (ds == nil || ds["eci"] == "" || ds["version"] == "") {
		t.Errorf("%s: no 3-D Secure result: %v", typ, payment)
	}
	if (typ == "payment.failed") != (payment["decline"] != nil) {
		t.Errorf("%s: decline %v", typ, payment["decline"])
	}
}

// digitRun is a card number as it may be written: 13 to 19 digits in a
// row, or in groups of four (amex: 4-6-5) split by spaces or dashes. (Not
// any digits with dashes: a UUID's digit groups pass the Luhn check one
// time in ten.)
var digitRun = regexp.MustCompile(`\b(?:[0-9]{13,19}|[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{1,7}|[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{1,7}|` +
	`[0-9]{4} [0-9]{6} [0-9]{5}|[0-9]{4}-[0-9]{6}-[0-9]{5})\b`)

// noCardData fails when body holds a card number (any 13 to 19 digits
// passing the Luhn check, or one of the test cards) or a field that could
// hold a number or a security code.
func noCardData(t *testing.T, typ string, body []byte) {
	t.Helper()
	for _, found := range cardDataIn(body) {
		t.Errorf("%s: %s in the webhook", typ, found)
	}
}

// cardDataIn lists the card numbers and card fields in a JSON body.
func cardDataIn(body []byte) []string {
	var found []string
	for _, run := range digitRun.FindAllString(string(body), -1) {
		if checkout.Luhn(strings.NewReplacer(" ", "", "-", "").Replace(run)) {
			found = append(found, "a card number "+run)
		}
	}
	for _, row := range testcards.Table() {
		if strings.Contains(string(body), row.Number) {
			found = append(found, "the test card "+row.Number)
		}
	}
	var v any
	_ = json.Unmarshal(body, &v)
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch strings.ToLower(k) {
				case "number", "card_number", "pan", "cvc", "cvv", "csc", "cvc2", "security_code":
					found = append(found, "a card field "+at+"."+k)
				}
				walk(at+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(at+"[]", x)
			}
		}
	}
	walk("body", v)
	return found
}

// The card data check of the test webhooks finds what it must, and not a
// UUID whose digits pass the Luhn check.
func TestCardDataCheckFindsCards(t *testing.T) {
	for body, want := range map[string]int{
		`{"a":"4000000000000002"}`:        2, // a Luhn-valid number, and a test card
		`{"a":"x 4242 4242 4242 4242 y"}`: 1,
		`{"a":"3782-822463-10005"}`:       1,
		`{"card":{"cvc":"737"}}`:          1,
		`{"card":{"number":"•••• 4242"}}`: 1,
		`{"transaction_id":"451705-9764-4141-8c2e-1234abcd5678","last4":"4242","bin":"424242"}`: 0,
		`{"a":"4242424242424241"}`: 0, // fails the Luhn check
	} {
		if got := cardDataIn([]byte(body)); len(got) != want {
			t.Errorf("%s: found %v, want %d", body, got, want)
		}
	}
}

// keyDiff compares the key sets of two JSON values, object by object and
// (for lists) element by element of the first of each; "" when the same.
func keyDiff(at string, want, got any) string {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok != gok {
		return at + ": an object in one and not the other"
	}
	if wok {
		keys := func(m map[string]any) []string {
			var ks []string
			for k := range m {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			return ks
		}
		if wk, gk := keys(wm), keys(gm); !slices.Equal(wk, gk) {
			return at + ": keys " + strings.Join(gk, ",") + ", a real event has " + strings.Join(wk, ",")
		}
		for k := range wm {
			if d := keyDiff(at+"."+k, wm[k], gm[k]); d != "" {
				return d
			}
		}
		return ""
	}
	wl, wok := want.([]any)
	gl, gok := got.([]any)
	if wok && gok && len(wl) > 0 && len(gl) > 0 {
		return keyDiff(at+"[0]", wl[0], gl[0])
	}
	return ""
}

// fmtAny is v as a string, "" for nil.
func fmtAny(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
