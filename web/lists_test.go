package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// listPage is one answer of a list endpoint.
type listPage struct {
	Object  string           `json:"object"`
	Data    []map[string]any `json:"data"`
	HasMore bool             `json:"has_more"`
	URL     string           `json:"url"`
}

func (p listPage) ids() []string {
	var ids []string
	for _, d := range p.Data {
		ids = append(ids, d["id"].(string))
	}
	return ids
}

// list GETs a list with the merchant key key and checks the answer's shape:
// 200, exactly object "list", data an array (never null), has_more a
// boolean and url the list's path, each object with a string id.
func list(t *testing.T, app *web.App, key, path string) listPage {
	t.Helper()
	res := do(t, http.MethodGet, app.URL+path, nil, "Authorization", "Bearer "+key)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(res.Body, &raw); err != nil || len(raw) != 4 {
		t.Fatalf("GET %s: not a list object: %s", path, res.Body)
	}
	var p listPage
	dec := json.NewDecoder(strings.NewReader(string(res.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.Object != "list" || string(raw["data"])[0] != '[' ||
		(string(raw["has_more"]) != "true" && string(raw["has_more"]) != "false") {
		t.Fatalf("GET %s: %v: %s", path, err, res.Body)
	}
	if want, _, _ := strings.Cut(path, "?"); p.URL != want {
		t.Fatalf("GET %s: url %q, want %q", path, p.URL, want)
	}
	for _, d := range p.Data {
		if _, ok := d["id"].(string); !ok {
			t.Fatalf("GET %s: an object without a string id: %v", path, d)
		}
	}
	return p
}

// walk pages through a list with limit, forwards from the newest with
// starting_after and backwards from the oldest with ending_before, checks
// each page against want (newest first) and has_more at both ends.
func walk(t *testing.T, app *web.App, key, path string, q url.Values, limit int, want []string) {
	t.Helper()
	query := func(extra ...string) string {
		v := url.Values{"limit": {strconv.Itoa(limit)}}
		for k, vs := range q {
			v[k] = vs
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return path + "?" + v.Encode()
	}
	at, pages := 0, 0
	p := list(t, app, key, query())
	for {
		pages++
		end := min(at+limit, len(want))
		if !slices.Equal(p.ids(), want[at:end]) || p.HasMore != (end < len(want)) {
			t.Fatalf("%s forwards page %d: %v has_more %v, want %v has_more %v", path, pages, p.ids(), p.HasMore, want[at:end], end < len(want))
		}
		if !p.HasMore {
			break
		}
		at = end
		p = list(t, app, key, query("starting_after", p.Data[len(p.Data)-1]["id"].(string)))
	}
	for at, pages := len(want)-1, 1; ; pages++ {
		p := list(t, app, key, query("ending_before", want[at]))
		start := max(at-limit, 0)
		if !slices.Equal(p.ids(), want[start:at]) || p.HasMore != (start > 0) {
			t.Fatalf("%s backwards page %d: %v has_more %v, want %v has_more %v", path, pages, p.ids(), p.HasMore, want[start:at], start > 0)
		}
		if !p.HasMore {
			break
		}
		at = start
	}
}

// Set moves the clock to t.
func (c *movableClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// clockedApp is an app on a clock the test moves.
func clockedApp(t *testing.T, start time.Time) (*web.App, *movableClock) {
	t.Helper()
	clk := &movableClock{t: start}
	return MustApp(t, nil, func(c *web.Config) { c.Now = clk.Now }), clk
}

// Issue 15, point 1: 25 sessions, paged 10 at a time forwards
// (starting_after) and backwards (ending_before), newest first, has_more
// right at both ends; each listed session is the object GET
// /v1/checkout/sessions/{id} answers.
func TestListSessionsPagesBothWays(t *testing.T) {
	app, clk := clockedApp(t, time.Now().UTC())
	var created []string
	for i := range 25 {
		clk.Add(time.Second)
		body := validSession()
		body["merchant_reference"] = fmt.Sprintf("page-%d", i)
		created = append(created, mustCreateSession(t, app, body)["id"].(string))
	}
	newest := slices.Clone(created)
	slices.Reverse(newest)

	first := list(t, app, testKey, "/v1/checkout/sessions")
	if len(first.Data) != checkout.DefaultListLimit || !first.HasMore || !slices.Equal(first.ids(), newest[:10]) {
		t.Fatalf("the default page: %v has_more %v, want the 10 newest", first.ids(), first.HasMore)
	}
	walk(t, app, testKey, "/v1/checkout/sessions", nil, 10, newest)
	walk(t, app, testKey, "/v1/checkout/sessions", nil, 7, newest)
	if p := list(t, app, testKey, "/v1/checkout/sessions?limit=100"); len(p.Data) != 25 || p.HasMore {
		t.Fatalf("limit=100: %d sessions, has_more %v", len(p.Data), p.HasMore)
	}
	if p := list(t, app, testKey, "/v1/checkout/sessions?limit=25"); len(p.Data) != 25 || p.HasMore {
		t.Fatalf("limit=25 of 25: has_more %v", p.HasMore)
	}
	for _, i := range []int{0, 12, 24} {
		path := "/v1/checkout/sessions?limit=1"
		if i > 0 {
			path += "&starting_after=" + newest[i-1]
		}
		got := list(t, app, testKey, path)
		one := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+newest[i], nil)
		var want map[string]any
		_ = json.Unmarshal(one.Body, &want)
		if len(got.Data) != 1 || !reflect.DeepEqual(got.Data[0], want) {
			t.Fatalf("listed session %d differs from GET:\nlist %v\nget  %v", i, got.Data, want)
		}
	}
}

// Issue 15, "Done when": yesterday's paid sessions, page by page, with
// created[gte], created[lte] and payment_status, as the README's curl
// example does; sessions of the day before, of today, unpaid and declined
// ones yesterday are not in it.
func TestListYesterdaysPaidSessionsPageByPage(t *testing.T) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	yesterday := today.Add(-24 * time.Hour)
	app, clk := clockedApp(t, yesterday.Add(-time.Second)) // the day before's last second
	pay := func(number string) string {
		t.Helper()
		sid, _ := payWorldline(t, app, "automatic", number)
		return sid
	}
	pay("4242424242424242") // the day before
	clk.Set(yesterday)      // yesterday 00:00:00, its first second
	var paid []string
	for i := range 5 {
		paid = append(paid, pay("4242424242424242"))
		clk.Add(10 * time.Minute)
		if i == 2 {
			pay("4000000000000002") // declined
			clk.Add(time.Minute)
			mustCreateSession(t, app, validSession()) // never paid
			clk.Add(time.Minute)
		}
	}
	clk.Set(today.Add(-time.Second)) // 23:59:59 yesterday, its last second
	paid = append(paid, pay("5555555555554444"))
	clk.Set(today) // today 00:00:00
	pay("4242424242424242")
	clk.Add(time.Hour)
	pay("4242424242424242")
	slices.Reverse(paid)

	q := url.Values{"created[gte]": {strconv.FormatInt(yesterday.Unix(), 10)},
		"created[lte]": {strconv.FormatInt(today.Unix()-1, 10)}, "payment_status": {"paid"}}
	walk(t, app, testKey, "/v1/checkout/sessions", q, 2, paid)
	walk(t, app, testKey, "/v1/checkout/sessions", q, 10, paid)
	for _, s := range list(t, app, testKey, "/v1/checkout/sessions?limit=100&"+q.Encode()).Data {
		created := int64(s["created_at"].(float64))
		if s["payment_status"] != "paid" || s["status"] != "complete" || created < yesterday.Unix() || created >= today.Unix() {
			t.Fatalf("listed: %v", s)
		}
	}
	// created[lte] counts its whole second: the session of 23:59:59.
	edge := url.Values{"created[gte]": {strconv.FormatInt(today.Unix()-1, 10)}, "created[lte]": {strconv.FormatInt(today.Unix()-1, 10)}}
	if got := list(t, app, testKey, "/v1/checkout/sessions?"+edge.Encode()).ids(); len(got) != 1 || got[0] != paid[0] {
		t.Fatalf("the last second of yesterday: %v, want %s", got, paid[0])
	}
}

// Every filter of every list narrows it to exactly the objects it names:
// sessions by status, payment_status, merchant_reference,
// customer_reference, customer_email; payments by status, provider,
// card_last4, session; refunds by payment; events by type, session,
// payment; webhook deliveries by endpoint, event and outcome.
func TestListFilters(t *testing.T) {
	app, clk := clockedApp(t, time.Now().UTC())
	good := withEndpoint(t, app)
	var failing atomic.Int32
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		failing.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(bad.Close)
	res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": bad.URL, "enabled_events": []string{"checkout.session.expired"}})
	if res.Status != http.StatusCreated {
		t.Fatalf("endpoint: %d %s", res.Status, res.Body)
	}
	badEndpoint := res.JSON(t)["id"].(string)
	tick := func() { clk.Add(time.Second) }

	tick()
	paid, paidPay := payWorldline(t, app, "automatic", "4242424242424242")
	tick()
	declined, declinedPay := payWorldline(t, app, "automatic", "4000000000000002")
	tick()
	mc, mcPay := payWorldline(t, app, "automatic", "5555555555554444")
	tick()
	body := validSession()
	body["merchant_reference"], body["customer"] = "order-77", map[string]any{"reference": "cus-9", "email": "ada@example.com"}
	customer := mustCreateSession(t, app, body)["id"].(string)
	tick()
	body = validSession()
	body["customer"] = map[string]any{"email": "bob@example.com"}
	toExpire := mustCreateSession(t, app, body)["id"].(string)
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+toExpire+"/expire", nil); res.Status != http.StatusOK {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	tick()
	var refunds []string
	for _, amount := range []int{500, 700} {
		tick()
		res := api(t, app, http.MethodPost, "/v1/payments/"+mcPay+"/refunds", map[string]any{"amount": amount})
		if res.Status != http.StatusCreated {
			t.Fatalf("refund: %d %s", res.Status, res.Body)
		}
		refunds = append([]string{res.JSON(t)["id"].(string)}, refunds...)
	}
	tick()
	res = api(t, app, http.MethodPost, "/v1/payments/"+paidPay+"/refunds", map[string]any{"amount": 100})
	if res.Status != http.StatusCreated {
		t.Fatalf("refund: %d %s", res.Status, res.Body)
	}
	otherRefund := res.JSON(t)["id"].(string)
	// The good endpoint gets every event, the bad one the expiry and keeps
	// failing it.
	eventually(t, "the webhooks", func() bool {
		good.mu.Lock()
		n := len(good.events)
		good.mu.Unlock()
		return n == len(list(t, app, testKey, "/v1/events?limit=100").Data) && failing.Load() > 0
	})

	ids := func(path string) []string { return list(t, app, testKey, path).ids() }
	same := func(name string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	same("sessions", ids("/v1/checkout/sessions"), toExpire, customer, mc, declined, paid)
	same("status=open", ids("/v1/checkout/sessions?status=open"), customer, declined) // a declined session stays open for a retry
	same("status=complete", ids("/v1/checkout/sessions?status=complete"), mc, paid)
	same("status=expired", ids("/v1/checkout/sessions?status=expired"), toExpire)
	same("payment_status=paid", ids("/v1/checkout/sessions?payment_status=paid"), mc, paid)
	same("payment_status=failed", ids("/v1/checkout/sessions?payment_status=failed"), declined)
	same("payment_status=unpaid", ids("/v1/checkout/sessions?payment_status=unpaid"), toExpire, customer)
	same("payment_status=authorized", ids("/v1/checkout/sessions?payment_status=authorized"))
	same("merchant_reference", ids("/v1/checkout/sessions?merchant_reference=order-77"), customer)
	same("merchant_reference ORDER-1", ids("/v1/checkout/sessions?merchant_reference=ORDER-1"), toExpire, mc, declined, paid)
	same("customer_reference", ids("/v1/checkout/sessions?customer_reference=cus-9"), customer)
	same("customer_email", ids("/v1/checkout/sessions?customer_email=bob%40example.com"), toExpire)
	same("status and payment_status", ids("/v1/checkout/sessions?status=open&payment_status=failed"), declined)

	same("payments", ids("/v1/payments"), mcPay, declinedPay, paidPay)
	same("payments status=failed", ids("/v1/payments?status=failed"), declinedPay)
	same("payments status=partially_refunded", ids("/v1/payments?status=partially_refunded"), mcPay, paidPay)
	same("payments provider=worldline", ids("/v1/payments?provider=worldline"), mcPay, declinedPay, paidPay)
	same("payments provider=antom", ids("/v1/payments?provider=antom"))
	same("payments card_last4", ids("/v1/payments?card_last4=4444"), mcPay)
	same("payments card_last4 0002", ids("/v1/payments?card_last4=0002"), declinedPay)
	same("payments session", ids("/v1/payments?session="+paid), paidPay)
	pays := list(t, app, testKey, "/v1/payments?session="+mc).Data
	if one := api(t, app, http.MethodGet, "/v1/payments/"+mcPay, nil).JSON(t); len(pays) != 1 || !reflect.DeepEqual(pays[0], one) {
		t.Errorf("the listed payment differs from GET /v1/payments/{id}:\nlist %v\nget  %v", pays, one)
	}

	same("refunds", ids("/v1/refunds"), append([]string{otherRefund}, refunds...)...)
	same("refunds payment", ids("/v1/refunds?payment="+mcPay), refunds...)

	// Events: the webhooks the good endpoint received, as the API lists
	// them (the webhook body, its webhook-id as id, and created).
	events := list(t, app, testKey, "/v1/events?limit=100").Data
	good.mu.Lock()
	received := map[string]map[string]any{}
	for _, e := range good.events {
		received[e["webhook-id"].(string)] = e
	}
	good.mu.Unlock()
	if len(events) == 0 || len(events) != len(received) {
		t.Fatalf("%d events listed, %d webhooks received", len(events), len(received))
	}
	for _, e := range events {
		w := received[e["id"].(string)]
		created, ok := e["created"].(float64)
		if w == nil || e["object"] != "event" || e["type"] != w["type"] || e["timestamp"] != w["timestamp"] ||
			!reflect.DeepEqual(e["data"], w["data"]) || !ok || e["livemode"] != false || len(e) != 7 {
			t.Fatalf("event %v differs from its webhook %v", e, w)
		}
		if ts, _ := time.Parse(time.RFC3339, e["timestamp"].(string)); ts.Unix() != int64(created) {
			t.Fatalf("event created %v, timestamp %v", created, e["timestamp"])
		}
	}
	// The session's and the payment's events are those of its timeline.
	timeline, err := app.Store.SessionEvents(context.Background(), mc)
	if err != nil {
		t.Fatal(err)
	}
	ofSession, ofPayment := map[string]bool{}, map[string]bool{}
	for _, e := range timeline {
		ofSession[e.ID], ofPayment[e.ID] = true, e.PaymentID == mcPay
	}
	where := func(keep func(map[string]any) bool) []string {
		var ids []string
		for _, e := range events {
			if keep(e) {
				ids = append(ids, e["id"].(string))
			}
		}
		return ids
	}
	ofType := func(typ string) func(map[string]any) bool {
		return func(e map[string]any) bool { return e["type"] == typ }
	}
	for _, typ := range []string{"payment.failed", "refund.succeeded", "checkout.session.expired"} {
		if len(where(ofType(typ))) == 0 {
			t.Fatalf("no %s event to filter", typ)
		}
		same("events type "+typ, ids("/v1/events?limit=100&type="+typ), where(ofType(typ))...)
	}
	bySession := where(func(e map[string]any) bool { return ofSession[e["id"].(string)] })
	byPayment := where(func(e map[string]any) bool { return ofPayment[e["id"].(string)] })
	if len(bySession) < 4 || len(byPayment) < 3 || len(byPayment) >= len(bySession)+1 {
		t.Fatalf("events of the session %v and of its payment %v: too few to filter", bySession, byPayment)
	}
	same("events session", ids("/v1/events?limit=100&session="+mc), bySession...)
	same("events payment", ids("/v1/events?limit=100&payment="+mcPay), byPayment...)
	for _, e := range list(t, app, testKey, "/v1/events?limit=100&payment="+mcPay).Data {
		if e["type"] == "payment.succeeded" && e["data"].(map[string]any)["id"] != mcPay {
			t.Fatalf("an event of the payment about another: %v", e)
		}
	}

	// Deliveries: one per event to the good endpoint (succeeded), the
	// expiry to the bad one too (pending, retrying).
	eventually(t, "every delivery to the good endpoint to succeed", func() bool {
		return len(list(t, app, testKey, "/v1/webhook_deliveries?outcome=succeeded&limit=100").Data) == len(events)
	})
	ds := list(t, app, testKey, "/v1/webhook_deliveries?limit=100").Data
	if len(ds) != len(events)+1 {
		t.Fatalf("%d deliveries, want %d", len(ds), len(events)+1)
	}
	var toBad, expiredEvent string
	for _, d := range ds {
		if d["endpoint_id"] == badEndpoint {
			toBad, expiredEvent = d["id"].(string), d["webhook_id"].(string)
		}
		if _, ok := d["attempts"].([]any); !ok {
			t.Fatalf("a delivery without its attempts: %v", d)
		}
	}
	same("deliveries endpoint", ids("/v1/webhook_deliveries?endpoint="+badEndpoint), toBad)
	same("deliveries outcome=pending", ids("/v1/webhook_deliveries?outcome=pending"), toBad)
	same("deliveries outcome=failed", ids("/v1/webhook_deliveries?outcome=failed"))
	if got := ids("/v1/webhook_deliveries?event=" + expiredEvent); len(got) != 2 || !slices.Contains(got, toBad) {
		t.Errorf("deliveries of the expiry event: %v, want one per endpoint", got)
	}
}

// Every list holds only the calling merchant's objects, and another
// merchant's id as a cursor is a 422 naming it, as an id that names
// nothing is.
func TestListsShowOnlyTheCallersObjects(t *testing.T) {
	app := MustApp(t, nil)
	otherKey := "sk_test_lists_other_0123456789"
	if err := app.Store.SaveMerchant(context.Background(), &checkout.Merchant{ID: "mer_lists_other", Name: "Other",
		APIKeyHash: checkout.HashAPIKey(otherKey), DefaultProvider: "worldline", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	mine, myPay := payWorldline(t, app, "automatic", "4242424242424242")
	if res := api(t, app, http.MethodPost, "/v1/payments/"+myPay+"/refunds", map[string]any{"amount": 100}); res.Status != 201 {
		t.Fatalf("refund: %d %s", res.Status, res.Body)
	}
	body := validSession()
	body["currency"] = "EUR"
	theirs := do(t, http.MethodPost, app.URL+"/v1/checkout/sessions", mustJSON(body), "Authorization", "Bearer "+otherKey, "Content-Type", "application/json")
	if theirs.Status != http.StatusCreated {
		t.Fatalf("the other merchant's session: %d %s", theirs.Status, theirs.Body)
	}
	theirID := theirs.JSON(t)["id"].(string)
	if res := do(t, http.MethodPost, app.URL+"/v1/checkout/sessions/"+theirID+"/expire", nil, "Authorization", "Bearer "+otherKey); res.Status != http.StatusOK {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	myRefunds := list(t, app, testKey, "/v1/refunds").ids()
	myEvents := list(t, app, testKey, "/v1/events").ids()
	for _, path := range []string{"/v1/checkout/sessions", "/v1/payments", "/v1/refunds", "/v1/events", "/v1/webhook_deliveries"} {
		for _, o := range list(t, app, otherKey, path+"?limit=100").Data {
			if o["id"] == mine || o["id"] == myPay || slices.Contains(myRefunds, o["id"].(string)) || slices.Contains(myEvents, o["id"].(string)) {
				t.Errorf("%s: the other merchant sees %v", path, o["id"])
			}
		}
		for _, o := range list(t, app, testKey, path+"?limit=100").Data {
			if o["id"] == theirID {
				t.Errorf("%s: this merchant sees the other's %v", path, o["id"])
			}
		}
	}
	if got := list(t, app, otherKey, "/v1/checkout/sessions").ids(); !slices.Equal(got, []string{theirID}) {
		t.Fatalf("the other merchant's sessions: %v", got)
	}
	if got := list(t, app, otherKey, "/v1/events").Data; len(got) != 1 || got[0]["type"] != "checkout.session.expired" {
		t.Fatalf("the other merchant's events: %v", got)
	}
	for _, q := range []string{"starting_after=" + theirID, "ending_before=" + theirID} {
		checkInvalid(t, app, "/v1/checkout/sessions?"+q, strings.SplitN(q, "=", 2)[0])
	}
	for _, q := range []string{"starting_after=" + mine, "ending_before=" + mine} {
		res := do(t, http.MethodGet, app.URL+"/v1/checkout/sessions?"+q, nil, "Authorization", "Bearer "+otherKey)
		if res.Status != http.StatusUnprocessableEntity || res.JSON(t)["error"].(map[string]any)["param"] != strings.SplitN(q, "=", 2)[0] {
			t.Errorf("another merchant's session as %s: %d %s", q, res.Status, res.Body)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// checkInvalid asks for path and wants the 422 invalid_request naming
// param, with the request's id.
func checkInvalid(t *testing.T, app *web.App, path, param string) {
	t.Helper()
	res := api(t, app, http.MethodGet, path, nil)
	var body struct {
		Error map[string]any `json:"error"`
	}
	_ = json.Unmarshal(res.Body, &body)
	e := body.Error
	if res.Status != http.StatusUnprocessableEntity || e["type"] != "invalid_request_error" || e["code"] != "invalid_request" ||
		e["param"] != param || e["message"] == "" || e["request_id"] != res.Header.Get("X-Request-Id") || e["request_id"] == "" {
		t.Errorf("GET %s: %d %s, want 422 naming %q", path, res.Status, res.Body, param)
	}
}

// Every bad list parameter is a 422 invalid_request naming exactly that
// parameter: limit out of 1..100 or not an integer, a cursor that is not
// an id of the list's objects (or is no object of the merchant's), both
// cursors at once, a filter value outside its vocabulary or too long, a
// created bound that is not Unix seconds, created[lte] before
// created[gte], an unknown parameter and a parameter given twice. A query
// string that does not parse is a 400.
func TestListParameterErrors(t *testing.T) {
	app := sharedApp(t)
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	unknown := checkout.RandomIDs{}.NewID(checkout.PrefixSession)
	long := strings.Repeat("r", 256)
	cases := []struct{ path, param string }{
		{"/v1/checkout/sessions?limit=0", "limit"},
		{"/v1/checkout/sessions?limit=101", "limit"},
		{"/v1/checkout/sessions?limit=-1", "limit"},
		{"/v1/checkout/sessions?limit=ten", "limit"},
		{"/v1/checkout/sessions?limit=1.5", "limit"},
		{"/v1/checkout/sessions?limit=%2B5", "limit"},
		{"/v1/checkout/sessions?limit=", "limit"},
		{"/v1/checkout/sessions?limit=99999999999999999999", "limit"},
		{"/v1/checkout/sessions?limit=1&limit=2", "limit"},
		{"/v1/checkout/sessions?starting_after=nope", "starting_after"},
		{"/v1/checkout/sessions?starting_after=" + unknown, "starting_after"},
		{"/v1/checkout/sessions?ending_before=" + unknown, "ending_before"},
		{"/v1/checkout/sessions?starting_after=pay_" + strings.Repeat("a", 32), "starting_after"},
		{"/v1/checkout/sessions?starting_after=" + sid + "&ending_before=" + sid, "ending_before"},
		{"/v1/checkout/sessions?status=paid", "status"},
		{"/v1/checkout/sessions?status=canceled", "status"},
		{"/v1/checkout/sessions?status=", "status"},
		{"/v1/checkout/sessions?payment_status=refunded", "payment_status"},
		{"/v1/checkout/sessions?merchant_reference=", "merchant_reference"},
		{"/v1/checkout/sessions?merchant_reference=" + long, "merchant_reference"},
		{"/v1/checkout/sessions?merchant_reference=a%0Ab", "merchant_reference"},
		{"/v1/checkout/sessions?customer_reference=a%2Fb", "customer_reference"},
		{"/v1/checkout/sessions?customer_reference=" + long, "customer_reference"},
		{"/v1/checkout/sessions?customer_email=" + long, "customer_email"},
		{"/v1/checkout/sessions?customer_email=a%E2%80%AEb%40x.test", "customer_email"},
		{"/v1/checkout/sessions?created%5Bgte%5D=yesterday", "created[gte]"},
		{"/v1/checkout/sessions?created%5Bgte%5D=-5", "created[gte]"},
		{"/v1/checkout/sessions?created%5Bgte%5D=1.7e9", "created[gte]"},
		{"/v1/checkout/sessions?created%5Blte%5D=99999999999999", "created[lte]"},
		{"/v1/checkout/sessions?created%5Bgte%5D=1700000000&created%5Blte%5D=1600000000", "created[lte]"},
		{"/v1/checkout/sessions?created%5Bgt%5D=1700000000", "created[gt]"},
		{"/v1/checkout/sessions?created=1700000000", "created"},
		{"/v1/checkout/sessions?expand%5B%5D=data.payment", "expand[]"},
		{"/v1/checkout/sessions?colour=blue", "colour"},
		{"/v1/checkout/sessions?Limit=5", "Limit"},
		{"/v1/payments?status=paid", "status"},
		{"/v1/payments?provider=acme", "provider"},
		{"/v1/payments?card_last4=424", "card_last4"},
		{"/v1/payments?card_last4=42a4", "card_last4"},
		{"/v1/payments?card_last4=42424", "card_last4"},
		{"/v1/payments?session=" + strings.Repeat("x", 300), "session"},
		{"/v1/payments?session=pay_" + strings.Repeat("a", 32), "session"},
		{"/v1/payments?starting_after=" + sid, "starting_after"},
		{"/v1/payments?customer_email=a%40b.test", "customer_email"},
		{"/v1/refunds?payment=" + sid, "payment"},
		{"/v1/refunds?limit=200", "limit"},
		{"/v1/refunds?status=succeeded", "status"},
		{"/v1/events?type=payment.exploded", "type"},
		{"/v1/events?type=session.created", "type"},
		{"/v1/events?session=nope", "session"},
		{"/v1/events?payment=" + sid, "payment"},
		{"/v1/events?starting_after=" + sid, "starting_after"},
		{"/v1/events?ending_before=evt_" + strings.Repeat("a", 32), "ending_before"},
		{"/v1/events?type=payment.failed&type=payment.succeeded", "type"},
		{"/v1/webhook_deliveries?limit=0", "limit"},
		{"/v1/webhook_deliveries?endpoint=we_x", "endpoint"},
		{"/v1/webhook_deliveries?event=" + sid, "event"},
		{"/v1/webhook_deliveries?outcome=delivered", "outcome"},
		{"/v1/webhook_deliveries?status=pending", "status"},
	}
	for _, c := range cases {
		checkInvalid(t, app, c.path, c.param)
	}
	for _, path := range []string{"/v1/checkout/sessions?limit=%zz", "/v1/payments?limit=5;status=failed", "/v1/events?type=%"} {
		res := api(t, app, http.MethodGet, path, nil)
		if res.Status != http.StatusBadRequest || res.JSON(t)["error"].(map[string]any)["code"] != "malformed_request" {
			t.Errorf("GET %s: %d %s, want 400 malformed_request", path, res.Status, res.Body)
		}
	}
	// Lists are the merchant's: no key, no list.
	for _, path := range []string{"/v1/checkout/sessions", "/v1/payments", "/v1/refunds", "/v1/events", "/v1/webhook_deliveries"} {
		if res := do(t, http.MethodGet, app.URL+path, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("GET %s without a key: %d", path, res.Status)
		}
	}
}

// GET /v1/events reaches back 30 days: an event is listed until 30 days
// after it happened, then no longer (it stays on the session's timeline).
func TestEventsAreListedForThirtyDays(t *testing.T) {
	start := time.Now().UTC()
	app, clk := clockedApp(t, start)
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+sid+"/expire", nil); res.Status != http.StatusOK {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	events := list(t, app, testKey, "/v1/events").Data
	if len(events) != 1 || events[0]["type"] != "checkout.session.expired" || !strings.HasPrefix(events[0]["id"].(string), "evt_") ||
		events[0]["data"].(map[string]any)["id"] != sid || events[0]["created"] != float64(start.Unix()) {
		t.Fatalf("events: %v", events)
	}
	clk.Add(checkout.EventRetention - time.Second)
	if got := list(t, app, testKey, "/v1/events").Data; len(got) != 1 {
		t.Fatalf("a day short of 30: %d events", len(got))
	}
	clk.Add(2 * time.Second)
	if got := list(t, app, testKey, "/v1/events").Data; len(got) != 0 {
		t.Fatalf("30 days later: %v", got)
	}
	if got := list(t, app, testKey, "/v1/events?session="+sid).Data; len(got) != 0 {
		t.Fatalf("30 days later, by session: %v", got)
	}
	if tl, err := app.Store.SessionEvents(context.Background(), sid); err != nil || len(tl) < 2 {
		t.Fatalf("the session's timeline: %d events, %v", len(tl), err)
	}
}
