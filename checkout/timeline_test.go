package checkout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TimelineFields is every field a timeline entry of each kind carries
// besides the common ones (id, object, kind, at, payment, duration_ms):
// the contract the README documents. The tests of package web check real
// answers against the same lists.
var timelineFields = map[checkout.TimelineKind][]string{
	checkout.TimelineSessionCreated:        {"amount", "currency", "provider", "recurring_parent_payment"},
	checkout.TimelinePageViewed:            nil,
	checkout.TimelineSavedCardAddStarted:   nil,
	checkout.TimelinePaymentSubmitted:      {"attempt", "method", "provider", "card"},
	checkout.TimelineProviderCall:          {"provider", "operation", "outcome", "error", "next_action", "decline_code", "refund", "actor"},
	checkout.TimelinePaymentStatusChanged:  {"from", "to", "reason", "decline_code"},
	checkout.TimelineDeviceDataStarted:     nil,
	checkout.TimelineDeviceDataCompleted:   nil,
	checkout.TimelineDeviceDataTimedOut:    nil,
	checkout.TimelineChallengeShown:        nil,
	checkout.TimelineChallengeReturned:     {"late"},
	checkout.TimelineRedirectLeft:          nil,
	checkout.TimelineRedirectReturned:      {"late"},
	checkout.TimelineReturnRejected:        {"step", "reason"},
	checkout.TimelineNotificationReceived:  {"provider", "event_type", "outcome", "effect", "changed", "refund"},
	checkout.TimelineReconciliationInquiry: {"provider", "operation", "outcome", "error", "settled", "refund"},
	checkout.TimelineRefundCreated:         {"refund", "amount", "currency", "retry_of", "actor"},
	checkout.TimelineRefundUpdated:         {"refund", "status"},
	checkout.TimelineSessionCompleted:      {"payment_status"},
	checkout.TimelineSessionExpired:        {"reason"},
	checkout.TimelineWebhookSent:           {"webhook", "event_type", "endpoint", "status", "attempts"},
}

// checkEntryFields fails unless the JSON entry has the common fields (its
// session's livemode among them) and exactly its kind's own.
func checkEntryFields(t *testing.T, entry map[string]any) {
	t.Helper()
	kind := checkout.TimelineKind(fmt.Sprint(entry["kind"]))
	own, ok := timelineFields[kind]
	if !ok {
		t.Fatalf("entry of unknown kind %q: %v", kind, entry)
	}
	want := append([]string{"id", "object", "livemode", "kind", "at", "payment"}, own...)
	var got []string
	for k := range entry {
		if k != "duration_ms" {
			got = append(got, k)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s entry has fields %v, want %v", kind, got, want)
	}
	if entry["object"] != "timeline_event" {
		t.Errorf("%s entry object %v", kind, entry["object"])
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", fmt.Sprint(entry["at"])); err != nil {
		t.Errorf("%s entry at %v: not RFC 3339 UTC with milliseconds", kind, entry["at"])
	}
}

func TestTimelineKindsListedOnce(t *testing.T) {
	if len(timelineFields) != len(checkout.TimelineKinds) {
		t.Fatalf("%d kinds documented here, %d in TimelineKinds", len(timelineFields), len(checkout.TimelineKinds))
	}
	for _, k := range checkout.TimelineKinds {
		if _, ok := timelineFields[k]; !ok {
			t.Errorf("kind %s has no field list", k)
		}
	}
}

// Every event type the service writes (every EventType constant of
// event.go, read from the source so that a new one cannot be missed)
// shows on the timeline as one of its kinds.
func TestEveryEventTypeHasATimelineKind(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "event.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	ast.Inspect(file, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "EventType" {
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						types = append(types, strings.Trim(lit.Value, `"`))
					}
				}
			}
		}
		return true
	})
	if len(types) < 14 {
		t.Fatalf("found only %d event types in event.go: %v", len(types), types)
	}
	data := map[string]map[string]any{
		string(checkout.EventBrowserReturn): {"kind": "challenge_return", "accepted": true},
		string(checkout.EventProviderCall):  {"operation": "pay", "outcome": "succeeded"},
	}
	for _, typ := range types {
		e := checkout.Event{ID: "evt_1", SessionID: "cs_1", Type: checkout.EventType(typ), Data: data[typ], CreatedAt: time.Now()}
		got := checkout.BuildTimeline(&checkout.TimelineRecords{Events: []checkout.Event{e}})
		if len(got) != 1 || !slices.Contains(checkout.TimelineKinds, got[0].Kind) {
			t.Errorf("event type %s is not on the timeline: %+v", typ, got)
		}
	}
}

func TestTimelineFromRecords(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.FixedZone("CET", 3600))
	ev := func(i int, typ checkout.EventType, pay string, data map[string]any) checkout.Event {
		return checkout.Event{ID: fmt.Sprintf("evt_%02d", i), SessionID: "cs_1", PaymentID: pay, Type: typ, Data: data,
			CreatedAt: at.Add(time.Duration(i) * time.Second)}
	}
	// Data as the store reads it back: JSON, numbers as float64.
	roundTrip := func(m map[string]any) map[string]any {
		b, _ := json.Marshal(m)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return out
	}
	card := checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "40000000", Last4: "3220", ExpMonth: 12, ExpYear: 2040}
	events := []checkout.Event{
		ev(0, checkout.EventSessionCreated, "", roundTrip(map[string]any{"amount": 2500, "currency": "USD", "provider": "payorder", "routes": map[string]string{"card": "payorder"}})),
		ev(1, checkout.EventPageViewed, "", nil),
		ev(2, checkout.EventPaymentCreated, "pay_1", roundTrip(map[string]any{"attempt": 1, "method": "card", "provider": "payorder", "card": card})),
		ev(3, checkout.EventProviderCall, "pay_1", roundTrip(map[string]any{"operation": "pay", "provider": "payorder", "duration_ms": 42, "outcome": "requires_action", "action": "device_data_collection"})),
		ev(4, checkout.EventDeviceDataStarted, "pay_1", map[string]any{"action": "device_data_collection"}),
		ev(6, checkout.EventBrowserReturn, "pay_1", map[string]any{"kind": "device_data", "accepted": true, "timed_out": true}),
		ev(7, checkout.EventBrowserReturn, "pay_1", map[string]any{"kind": "challenge_return", "accepted": false, "reason": "MD mismatch"}),
		// Written before provider failures were classed: the text is not shown.
		ev(8, checkout.EventProviderCall, "pay_1", roundTrip(map[string]any{"operation": "continue", "provider": "payorder", "duration_ms": 2001, "error": `payorder: payOrder: Post "http://psp.test/gateway?key=SECRETKEY": {"bizContent":"raw"}`})),
		ev(9, checkout.EventPaymentStatus, "pay_1", map[string]any{"from": "processing", "to": "pending", "reason": `outcome unknown: payorder: payOrder: Post "http://psp.test/?key=SECRETKEY"`}),
		ev(10, checkout.EventNotification, "pay_1", map[string]any{"provider": "payorder", "type": "PAYMENT_RESULT", "outcome": "succeeded", "action": "inquire", "event_id": "n1"}),
		ev(11, checkout.EventProviderCall, "pay_1", roundTrip(map[string]any{"operation": "inquire", "provider": "payorder", "duration_ms": 7, "outcome": "succeeded", "settled": "succeeded"})),
		ev(12, checkout.EventPaymentStatus, "pay_1", map[string]any{"from": "pending", "to": "succeeded", "reason": "provider confirmed payment"}),
		ev(13, checkout.EventSessionCompleted, "pay_1", map[string]any{"payment_status": "succeeded"}),
		ev(14, checkout.EventNotification, "pay_1", map[string]any{"provider": "payorder", "type": "PAYMENT_RESULT", "outcome": "refunded", "action": "apply"}),
		ev(15, checkout.EventProviderCall, "pay_1", roundTrip(map[string]any{"operation": "notification", "provider": "payorder", "duration_ms": 0, "outcome": "refunded", "settled": "refunded"})),
		ev(16, checkout.EventRefundCreated, "pay_1", roundTrip(map[string]any{"refund_id": "re_1", "amount": 100, "currency": "USD"})),
		ev(17, checkout.EventProviderCall, "pay_1", roundTrip(map[string]any{"operation": "refund", "provider": "payorder", "duration_ms": 3, "refund_id": "re_1", "outcome": "succeeded", "settled": "succeeded"})),
		ev(18, checkout.EventRefundUpdated, "pay_1", map[string]any{"refund_id": "re_1", "status": "succeeded"}),
		ev(19, checkout.EventType("merchant.updated"), "", nil),
		ev(20, checkout.EventChallengeShown, "pay_2", map[string]any{"action": "challenge"}),
		ev(21, checkout.EventChallengeReturned, "pay_2", map[string]any{"late": false}),
		ev(22, checkout.EventRedirectReturned, "pay_2", map[string]any{"late": true}),
		ev(23, checkout.EventDeviceDataCompleted, "pay_2", map[string]any{"late": false}),
	}
	recs := &checkout.TimelineRecords{Events: events,
		Deliveries: []*checkout.WebhookDelivery{
			{ID: "whd_1", MessageID: "evt_13", EndpointID: "we_1", Type: "checkout.session.completed", Status: "succeeded", CreatedAt: at},
			{ID: "whd_2", MessageID: "evt_13", EndpointID: "we_2", Type: "checkout.session.completed", Status: "pending", CreatedAt: at},
		},
		Attempts: []checkout.WebhookAttempt{
			{DeliveryID: "whd_1", Number: 1, Status: 0, Error: checkout.DeliveryErrTimeout, DurationMS: 15000, At: at},
			{DeliveryID: "whd_1", Number: 2, Status: 503, Error: "HTTP 503", DurationMS: 12, At: at},
			{DeliveryID: "whd_1", Number: 3, Status: 200, DurationMS: 9, At: at},
		},
	}
	body, err := json.Marshal(checkout.BuildTimeline(recs))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"SECRETKEY", "bizContent", "psp.test", "40000000", "bin", "exp_", "routes"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("the timeline shows %q: %s", leak, body)
		}
	}
	var got []map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range got {
		checkEntryFields(t, e)
		kinds = append(kinds, fmt.Sprint(e["kind"]))
	}
	want := []string{"session.created", "page.viewed", "payment.submitted", "provider.call", "device_data.started",
		"device_data.timed_out", "return.rejected", "provider.call", "payment.status_changed", "notification.received",
		"reconciliation.inquiry", "payment.status_changed", "session.completed", "webhook.sent", "webhook.sent",
		"notification.received", "refund.created", "provider.call", "refund.updated",
		"challenge.shown", "challenge.returned", "redirect.returned", "device_data.completed"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v,\nwant %v", kinds, want)
	}
	check := func(i int, key string, want any) {
		t.Helper()
		if g := fmt.Sprint(got[i][key]); g != fmt.Sprint(want) {
			t.Errorf("entry %d (%s) %s = %s, want %v", i, got[i]["kind"], key, g, want)
		}
	}
	check(0, "at", "2026-03-04T04:06:07.891Z")
	check(0, "payment", "<nil>")
	check(0, "recurring_parent_payment", "<nil>")
	check(2, "card", "map[brand:visa last4:3220]")
	check(2, "payment", "pay_1")
	check(3, "duration_ms", 42)
	check(3, "next_action", "device_data_collection")
	check(3, "error", "<nil>")
	check(5, "duration_ms", 2000) // from device_data.started
	check(6, "step", "challenge")
	check(7, "error", checkout.ProviderErrUnclassified)
	check(7, "outcome", "<nil>")
	check(8, "reason", "outcome unknown: "+checkout.ProviderErrUnclassified)
	check(9, "effect", "inquiry")
	check(9, "changed", true)
	check(10, "settled", "succeeded")
	check(13, "webhook", "evt_13")
	check(13, "status", "succeeded")
	check(13, "payment", "pay_1")
	check(15, "effect", "applied")
	check(15, "changed", true)
	check(17, "refund", "re_1")
	check(20, "duration_ms", 1000) // from challenge.shown
	check(20, "late", false)
	check(21, "late", true)
	check(21, "duration_ms", "<nil>") // no redirect.left to measure from
	check(22, "duration_ms", "<nil>") // no device_data.started of pay_2
	attempts := got[13]["attempts"].([]any)
	if len(attempts) != 3 || fmt.Sprint(attempts[0]) != "map[at:2026-03-04T04:06:07.891Z duration_ms:15000 error:timeout http_status:<nil> number:1]" ||
		fmt.Sprint(attempts[1].(map[string]any)["error"]) != "http_error" || fmt.Sprint(attempts[2].(map[string]any)["error"]) != "<nil>" {
		t.Errorf("attempts %v", attempts)
	}
	if a := got[14]["attempts"].([]any); len(a) != 0 {
		t.Errorf("a delivery without attempts shows %v", a)
	}
}

func TestProviderErrorClass(t *testing.T) {
	timeout := &url.Error{Op: "Post", URL: "http://psp.test/x?key=SECRET", Err: context.DeadlineExceeded}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("payorder: payOrder: %w", timeout), checkout.ProviderErrTimeout},
		{errors.New("antom: pay: no answer in time"), checkout.ProviderErrTimeout},
		{errors.New("antom: pay: HTTP 502"), checkout.ProviderErrHTTP},
		{errors.New("alipayplus: pay: HTTP 500, reading the answer failed: unexpected EOF"), checkout.ProviderErrHTTP},
		{errors.New("payorder: payOrder: answer signature does not verify"), checkout.ProviderErrUntrusted},
		{errors.New("antom: pay: answer not trusted: bad signature"), checkout.ProviderErrUntrusted},
		{errors.New("payorder: payOrder: malformed answer"), checkout.ProviderErrMalformed},
		{errors.New("antom: pay: unreadable answer"), checkout.ProviderErrMalformed},
		{errors.New("worldline: create: HTTP 201, unreadable answer"), checkout.ProviderErrMalformed},
		{errors.New("worldline: create: HTTP 200, reading the answer failed: connection reset by peer"), checkout.ProviderErrConnection},
		{fmt.Errorf("worldline: create: %w", &url.Error{Op: "Post", URL: "http://psp.test", Err: errors.New("read: connection reset by peer")}), checkout.ProviderErrConnection},
		{fmt.Errorf("bbmsl: sale: %w", checkout.ErrRefundNotFound), checkout.ProviderErrRefundGone},
		{errors.New("something else entirely {\"raw\":1}"), checkout.ProviderErrUnclassified},
	} {
		got := checkout.ProviderErrorClass(tc.err)
		if got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
		if tc.err != nil && !slices.Contains(checkout.ProviderErrorClasses, got) {
			t.Errorf("%q is not in ProviderErrorClasses", got)
		}
	}
}
