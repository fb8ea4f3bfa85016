package openapi_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// everyTimelineKind is a page of a timeline holding every kind, built by
// the service's own BuildTimeline from stored records (numbers as JSON
// reads them back), with the fields each kind may leave null both null
// and set somewhere.
func everyTimelineKind(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	var events []checkout.Event
	add := func(typ checkout.EventType, pay string, data map[string]any) {
		b, _ := json.Marshal(data)
		var stored map[string]any
		_ = json.Unmarshal(b, &stored)
		events = append(events, checkout.Event{ID: fmt.Sprintf("evt_%02d", len(events)), SessionID: "cs_1", PaymentID: pay,
			Type: typ, Data: stored, CreatedAt: at.Add(time.Duration(len(events)) * time.Second)})
	}
	card := checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "40000000", Last4: "3220", ExpMonth: 12, ExpYear: 2040}
	add(checkout.EventSessionCreated, "", map[string]any{"amount": 2500, "currency": "USD", "provider": "payorder", "routes": map[string]string{"card": "payorder"}})
	add(checkout.EventSessionCreated, "", map[string]any{"amount": 2500, "currency": "USD", "provider": "bbmsl", "recurring_parent_payment": "pay_0"})
	add(checkout.EventPageViewed, "", nil)
	add(checkout.EventBrowserReturn, "", map[string]any{"kind": "add_card_started"})
	add(checkout.EventPaymentCreated, "pay_1", map[string]any{"attempt": 1, "method": "card", "provider": "payorder", "card": card})
	add(checkout.EventPaymentCreated, "pay_9", map[string]any{"attempt": 2, "method": "wallet", "provider": "alipayplus", "card": nil})
	add(checkout.EventPaymentStatus, "pay_1", map[string]any{"from": "created", "to": "processing", "reason": "provider call started"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "pay", "provider": "payorder", "duration_ms": 42, "outcome": "requires_action", "action": "device_data_collection"})
	add(checkout.EventDeviceDataStarted, "pay_1", map[string]any{"action": "device_data_collection"})
	add(checkout.EventDeviceDataCompleted, "pay_1", map[string]any{"late": false})
	add(checkout.EventDeviceDataTimedOut, "pay_1", map[string]any{"late": false})
	add(checkout.EventChallengeShown, "pay_1", map[string]any{"action": "challenge"})
	add(checkout.EventChallengeReturned, "pay_1", map[string]any{"late": false})
	add(checkout.EventRedirectLeft, "pay_1", map[string]any{"action": "redirect"})
	add(checkout.EventRedirectReturned, "pay_1", map[string]any{"late": true})
	add(checkout.EventBrowserReturn, "pay_1", map[string]any{"kind": "redirect_return", "accepted": false, "reason": "return binding mismatch"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "continue", "provider": "payorder", "duration_ms": 2001, "error": checkout.ProviderErrTimeout})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "capture", "provider": "payorder", "duration_ms": 9, "outcome": "failed", "decline_code": "card_declined"})
	add(checkout.EventPaymentStatus, "pay_1", map[string]any{"from": "processing", "to": "failed", "reason": "declined", "decline_code": "insufficient_funds"})
	add(checkout.EventNotification, "pay_1", map[string]any{"provider": "payorder", "type": "PAYMENT_RESULT", "outcome": "succeeded", "action": "inquire", "event_id": "n1"})
	add(checkout.EventNotification, "pay_1", map[string]any{"provider": "payorder", "type": "PAYMENT_RESULT", "ignored": "amount or currency differs from the payment"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "inquire", "provider": "payorder", "duration_ms": 7, "outcome": "succeeded", "settled": "succeeded"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "inquire", "provider": "payorder", "duration_ms": 7, "error": "malformed_answer"})
	add(checkout.EventSessionCompleted, "pay_1", map[string]any{"payment_status": "succeeded"})
	add(checkout.EventRefundCreated, "pay_1", map[string]any{"refund_id": "re_1", "amount": 100, "currency": "USD"})
	add(checkout.EventRefundCreated, "pay_1", map[string]any{"refund_id": "re_2", "amount": 100, "currency": "USD", "retry_of": "re_1"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "refund", "provider": "payorder", "duration_ms": 3, "refund_id": "re_2", "outcome": "pending"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "inquire_refund", "provider": "payorder", "duration_ms": 4, "refund_id": "re_2", "outcome": "not_found"})
	add(checkout.EventProviderCall, "pay_1", map[string]any{"operation": "refund_again", "provider": "payorder", "duration_ms": 3, "refund_id": "re_2", "outcome": "succeeded", "settled": "succeeded"})
	add(checkout.EventNotification, "pay_1", map[string]any{"provider": "payorder", "type": "REFUND_RESULT", "refund_id": "re_2", "outcome": "succeeded", "action": "none: the refund is succeeded"})
	add(checkout.EventRefundUpdated, "pay_1", map[string]any{"refund_id": "re_2", "status": "succeeded"})
	add(checkout.EventSessionExpired, "", map[string]any{"reason": "expired by merchant"})
	completed := events[22].ID
	recs := &checkout.TimelineRecords{Events: events, More: true,
		Deliveries: []*checkout.WebhookDelivery{
			{ID: "whd_1", MessageID: completed, EndpointID: "we_1", Type: "checkout.session.completed", Status: "succeeded", CreatedAt: at},
			{ID: "whd_2", MessageID: completed, EndpointID: "we_2", Type: "checkout.session.completed", Status: "pending", CreatedAt: at},
		},
		Attempts: []checkout.WebhookAttempt{
			{DeliveryID: "whd_1", Number: 1, Error: checkout.DeliveryErrTimeout, DurationMS: 15000, At: at},
			{DeliveryID: "whd_1", Number: 2, Status: 410, Error: "HTTP 410", DurationMS: 12, At: at},
			{DeliveryID: "whd_1", Number: 3, Status: 200, DurationMS: 9, At: at},
		},
	}
	body, err := json.Marshal(checkout.TimelinePage{Object: "list", Data: checkout.BuildTimeline(recs), HasMore: true,
		URL: "/v1/checkout/sessions/cs_1/timeline"})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// Every kind of timeline entry the service builds matches the document's
// timeline_event, whose discriminator maps exactly the kinds of
// checkout.TimelineKinds; an entry that strays from its kind's schema (a
// field of another kind, a value outside an enum, a missing field, a
// number where a string belongs) is reported.
func TestTimelineEventCoversEveryKind(t *testing.T) {
	d := mustLoad(t)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Discriminator struct {
					PropertyName string            `json:"propertyName"`
					Mapping      map[string]string `json:"mapping"`
				} `json:"discriminator"`
				OneOf []any `json:"oneOf"`
			} `json:"schemas"`
		} `json:"components"`
	}
	raw, err := d.JSON("https://pay.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ev := doc.Components.Schemas["TimelineEvent"]
	var want []string
	for _, k := range checkout.TimelineKinds {
		want = append(want, string(k))
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(ev.Discriminator.Mapping)); ev.Discriminator.PropertyName != "kind" ||
		!slices.Equal(got, want) || len(ev.OneOf) != len(want) {
		t.Fatalf("TimelineEvent maps %v by %q (%d schemas), want %v by kind", got, ev.Discriminator.PropertyName, len(ev.OneOf), want)
	}

	page := everyTimelineKind(t)
	var built struct{ Data []map[string]any }
	if err := json.Unmarshal(page, &built); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range built.Data {
		seen = append(seen, fmt.Sprint(e["kind"]))
	}
	if missing := slices.DeleteFunc(slices.Clone(want), func(k string) bool { return slices.Contains(seen, k) }); len(missing) > 0 {
		t.Fatalf("the page lacks %v: %v", missing, seen)
	}
	check := func(answer []byte) []error {
		var reports []error
		h := d.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "req_abcdefghijklmnop")
			w.Write(answer)
		}), func(err error) { reports = append(reports, err) })
		req := httptest.NewRequest(http.MethodGet, "/v1/checkout/sessions/cs_1/timeline?limit=40&starting_after=whd_1", nil)
		req.Header.Set("Authorization", "Bearer sk_test_x")
		h.ServeHTTP(httptest.NewRecorder(), req)
		return reports
	}
	if reports := check(page); len(reports) > 0 {
		t.Fatalf("the page does not match: %v", reports)
	}
	first := func(data []map[string]any, kind string) map[string]any {
		for _, e := range data {
			if e["kind"] == kind {
				return e
			}
		}
		t.Fatalf("no %s on the page", kind)
		return nil
	}
	for name, change := range map[string]func(data []map[string]any){
		"a field of another kind":    func(data []map[string]any) { first(data, "page.viewed")["late"] = false },
		"an unknown kind":            func(data []map[string]any) { first(data, "page.viewed")["kind"] = "page.left" },
		"an outcome outside its set": func(data []map[string]any) { first(data, "provider.call")["outcome"] = "maybe" },
		"a provider's text as error": func(data []map[string]any) { first(data, "provider.call")["error"] = "dial tcp: i/o timeout" },
		"a card with its BIN": func(data []map[string]any) {
			first(data, "payment.submitted")["card"].(map[string]any)["bin"] = "40000000"
		},
		"a missing null field":        func(data []map[string]any) { delete(first(data, "session.created"), "recurring_parent_payment") },
		"a payment on a session step": func(data []map[string]any) { first(data, "session.expired")["payment"] = "pay_1" },
		"a number for a string":       func(data []map[string]any) { first(data, "session.completed")["payment_status"] = 1 },
		"a duration on an instant":    func(data []map[string]any) { first(data, "challenge.shown")["duration_ms"] = 5 },
		"a webhook without attempts":  func(data []map[string]any) { delete(first(data, "webhook.sent"), "attempts") },
		"unchanged":                   nil,
	} {
		var changed struct {
			Object  string           `json:"object"`
			Data    []map[string]any `json:"data"`
			HasMore bool             `json:"has_more"`
			URL     string           `json:"url"`
		}
		if err := json.Unmarshal(page, &changed); err != nil {
			t.Fatal(err)
		}
		want := 0
		if change != nil {
			change(changed.Data)
			want = 1
		}
		answer, err := json.Marshal(changed)
		if err != nil {
			t.Fatal(err)
		}
		if reports := check(answer); len(reports) != want {
			t.Errorf("%s: reports %v, want %d", name, reports, want)
		}
	}
}
