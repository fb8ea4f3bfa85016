package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The session timeline (issue 15, point 2). What the shopper's page reports
// is bounded by the statements that write it: the first view of the
// checkout page is recorded once, by an update guarded by the session
// having none (concurrent first views included), and a step of a payment's
// page (device data started, challenge shown, redirect left) at most once
// per payment and step, whoever posts it how often; a browser's return
// written with its payment's change is dropped, not refused, when the
// payment has one already (the change stands). A page of the timeline
// is the session's events in the order written, after a cursor (an event of
// the session, or a webhook delivery one of them queued), with the
// webhooks those events queued and every attempt of each; another
// session's entries are neither read nor accepted as the cursor.
func sessionTimeline(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	om, other := MustSession(t, db)

	// page.viewed: one guarded first-time write, even under a race.
	viewed := func() checkout.Event { return newEvent(s, checkout.EventPageViewed, "") }
	won, refused := race(t, 8, checkout.ErrConflict, func() (string, error) {
		e := viewed()
		return e.ID, db.MarkSessionViewed(ctx, s.ID, now.Add(time.Second), e)
	})
	if len(won) != 1 || refused != 7 {
		t.Fatalf("8 concurrent first views: %d recorded, %d refused; want 1 and 7", len(won), refused)
	}
	if err := db.MarkSessionViewed(ctx, s.ID, now.Add(time.Hour), viewed()); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a later view: %v, want ErrConflict", err)
	}
	got, err := db.Session(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ViewedAt.Equal(now.Add(time.Second)) {
		t.Fatalf("viewed at %v, want the first view's %v", got.ViewedAt, now.Add(time.Second))
	}
	if fresh, _ := db.Session(ctx, other.ID); !fresh.ViewedAt.IsZero() {
		t.Fatalf("a session never viewed shows a view at %v", fresh.ViewedAt)
	}
	if n := countEvents(t, db, s.ID, checkout.EventPageViewed); n != 1 {
		t.Fatalf("%d page.viewed events, want 1", n)
	}
	if err := db.MarkSessionViewed(ctx, "cs_missing", now, viewed()); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("viewing a missing session: %v, want ErrConflict", err)
	}

	// Browser steps: at most once per payment and step.
	p := NewPayment(s, 1)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	step := func(p *checkout.Payment, typ checkout.EventType) checkout.Event {
		e := newEvent(s, typ, "")
		e.PaymentID, e.Data = p.ID, map[string]any{"action": "challenge"}
		return e
	}
	var mu sync.Mutex
	written := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := db.RecordBrowserStep(ctx, step(p, checkout.EventChallengeShown))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				written++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if written != 1 {
		t.Fatalf("8 concurrent challenge.shown for one payment: %d written, want 1", written)
	}
	for _, tc := range []struct {
		name string
		e    checkout.Event
		want bool
	}{
		{"the same step again", step(p, checkout.EventChallengeShown), false},
		{"another step of the payment", step(p, checkout.EventDeviceDataStarted), true},
		{"that step again", step(p, checkout.EventDeviceDataStarted), false},
		{"a redirect left", step(p, checkout.EventRedirectLeft), true},
	} {
		if ok, err := db.RecordBrowserStep(ctx, tc.e); err != nil || ok != tc.want {
			t.Fatalf("%s: written %v, %v; want %v", tc.name, ok, err, tc.want)
		}
	}
	failed := *p
	failed.Status = checkout.PaymentFailed
	mustUpdate(t, db, &failed)
	retry := NewPayment(s, 2)
	if err := db.CreatePayment(ctx, retry); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.RecordBrowserStep(ctx, step(retry, checkout.EventChallengeShown)); err != nil || !ok {
		t.Fatalf("the retry's own challenge.shown: %v, %v", ok, err)
	}
	// A return written with the payment's change (its compare-and-set):
	// a second one is dropped, and the change still happens.
	retry.Status = checkout.PaymentProcessing
	mustUpdate(t, db, retry, step(retry, checkout.EventChallengeReturned))
	retry.Status = checkout.PaymentRequiresAction
	mustUpdate(t, db, retry, step(retry, checkout.EventChallengeReturned))
	if got := mustPayment(t, db, retry.ID); got.Status != checkout.PaymentRequiresAction || got.Version != retry.Version {
		t.Fatalf("the payment's change with a second return: %s v%d, want requires_action v%d", got.Status, got.Version, retry.Version)
	}
	if n := countEvents(t, db, s.ID, checkout.EventChallengeReturned); n != 1 {
		t.Fatalf("%d challenge.returned events of one payment, want 1", n)
	}
	if ok, err := db.RecordBrowserStep(ctx, step(retry, checkout.EventChallengeReturned)); err != nil || ok {
		t.Fatalf("a late challenge.returned after the first: written %v, %v", ok, err)
	}
	lost := step(p, checkout.EventRedirectLeft)
	lost.SessionID, lost.PaymentID = "cs_missing", "pay_missing"
	if ok, err := db.RecordBrowserStep(ctx, lost); err != nil || ok {
		t.Fatalf("a step of a missing session: written %v, %v", ok, err)
	}
	if n := countEvents(t, db, s.ID, checkout.EventChallengeShown); n != 2 {
		t.Fatalf("%d challenge.shown events, want one per payment", n)
	}
	events := timeline(t, db, s.ID)
	if last := events[len(events)-1]; last.Type != checkout.EventChallengeReturned || last.PaymentID != retry.ID || last.Data["action"] != "challenge" {
		t.Fatalf("the step as read back: %+v", last)
	}

	// A page of the timeline with the webhooks its events queued.
	all := mustInsertEndpoint(t, db, endpointFor(m))
	some := mustInsertEndpoint(t, db, endpointFor(m, checkout.WebhookSessionCompleted))
	mustInsertEndpoint(t, db, endpointFor(om))
	paid := newEvent(s, checkout.EventPaymentStatus, "payment.succeeded")
	done := newEvent(s, checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)
	if err := db.AppendEvents(ctx, paid, done, newEvent(other, checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)); err != nil {
		t.Fatal(err)
	}
	delivery := func(event, endpoint string) *checkout.WebhookDelivery {
		for _, d := range deliveries(t, db, m.ID) {
			if d.MessageID == event && d.EndpointID == endpoint {
				return d
			}
		}
		t.Fatalf("no delivery of %s to %s", event, endpoint)
		return nil
	}
	first := delivery(done.ID, all.ID)
	for i, status := range []int{500, 204} {
		outcome := checkout.DeliveryPending
		a := checkout.WebhookAttempt{DeliveryID: first.ID, Number: i + 1, Status: status, DurationMS: int64(10 + i), At: now.Add(time.Duration(i+1) * time.Minute)}
		if status == 500 {
			a.Error = "HTTP 500"
		} else {
			outcome = checkout.DeliverySucceeded
		}
		if err := db.RecordWebhookAttempt(ctx, a, outcome, now.Add(time.Hour), false); err != nil {
			t.Fatal(err)
		}
	}

	page := func(after string, limit int) *checkout.TimelineRecords {
		t.Helper()
		recs, err := db.SessionTimeline(ctx, s.ID, after, limit)
		if err != nil {
			t.Fatalf("timeline after %q: %v", after, err)
		}
		return recs
	}
	whole := page("", 100)
	if whole.More || len(whole.Events) != len(events)+2 {
		t.Fatalf("the whole timeline: %d events (more %v), want %d", len(whole.Events), whole.More, len(events)+2)
	}
	for i, e := range events {
		if whole.Events[i].ID != e.ID || whole.Events[i].Type != e.Type || whole.Events[i].PaymentID != e.PaymentID {
			t.Fatalf("timeline event %d is %s %s, want %s %s (SessionEvents' order)", i, whole.Events[i].Type, whole.Events[i].ID, e.Type, e.ID)
		}
	}
	var queued []string
	for _, d := range whole.Deliveries {
		queued = append(queued, d.MessageID+" "+d.EndpointID)
		if len(d.Payload) != 0 || d.Type == "" || d.Status == "" {
			t.Fatalf("delivery as read for the timeline: %+v", d)
		}
	}
	wantQueued := []string{paid.ID + " " + all.ID, done.ID + " " + all.ID, done.ID + " " + some.ID}
	if !sameSorted(queued[1:], wantQueued[1:]) || queued[0] != wantQueued[0] {
		t.Fatalf("deliveries %v, want %v (in the order of their events)", queued, wantQueued)
	}
	if len(whole.Attempts) != 2 || whole.Attempts[0].DeliveryID != first.ID || whole.Attempts[0].Number != 1 ||
		whole.Attempts[0].Status != 500 || whole.Attempts[0].Error != "HTTP 500" || whole.Attempts[1].Number != 2 ||
		whole.Attempts[1].Status != 204 || whole.Attempts[1].DurationMS != 11 || !whole.Attempts[1].At.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("attempts %+v", whole.Attempts)
	}

	// Pages: limit events each, the next after the last entry of the one
	// before, whether that is an event or a webhook it queued.
	var paged []string
	after := ""
	for n := 0; ; n++ {
		p := page(after, 3)
		for _, e := range p.Events {
			paged = append(paged, e.ID)
		}
		if len(p.Events) > 3 || (p.More && len(p.Events) != 3) {
			t.Fatalf("page %d: %d events, more %v", n, len(p.Events), p.More)
		}
		if !p.More {
			break
		}
		after = p.Events[len(p.Events)-1].ID
		if n > 20 {
			t.Fatal("the pages never end")
		}
	}
	var ids []string
	for _, e := range whole.Events {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(paged, ids) {
		t.Fatalf("paged %v, want %v", paged, ids)
	}
	if tail := page(delivery(paid.ID, all.ID).ID, 100); len(tail.Events) != 1 || tail.Events[0].ID != done.ID ||
		len(tail.Deliveries) != 2 || len(tail.Attempts) != 2 {
		t.Fatalf("after the payment webhook's delivery: %d events, %d deliveries, %d attempts; want the completion with its 2 and 2",
			len(tail.Events), len(tail.Deliveries), len(tail.Attempts))
	}
	if end := page(done.ID, 100); len(end.Events) != 0 || end.More || len(end.Deliveries) != 0 {
		t.Fatalf("after the last event: %+v", end)
	}
	otherEvents := timeline(t, db, other.ID)
	for _, after := range []string{otherEvents[0].ID, "evt_missing", checkout.RandomIDs{}.NewID(checkout.PrefixWebhookDelivery)} {
		if _, err := db.SessionTimeline(ctx, s.ID, after, 10); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("after %s, not an entry of the session: %v, want ErrNotFound", after, err)
		}
	}
	if recs := page("", 100); slices.ContainsFunc(recs.Events, func(e checkout.Event) bool { return e.SessionID != s.ID }) {
		t.Fatal("another session's event on the timeline")
	}
	if recs, err := db.SessionTimeline(ctx, "cs_missing", "", 10); err != nil || len(recs.Events) != 0 || recs.More {
		t.Fatalf("a missing session's timeline: %+v, %v", recs, err)
	}
}

func sameSorted(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
