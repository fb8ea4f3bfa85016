package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// A session's timeline is read back in the order it was written, whatever
// the events' ids or times say (a provider's late answer can carry an
// earlier time than the entry before it), with each event's payment, type,
// data and time as written, and only that session's events. The dashboard
// and the audit log read it as the story of the payment.
func eventsKeepInsertionOrder(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	_, other := MustSession(t, db)
	ids := descendingIDs(checkout.PrefixEvent, 5)
	p := NewPayment(s, 1)
	ev := func(i int) checkout.Event {
		// Each later entry has a smaller id and an earlier time.
		return checkout.Event{ID: ids[i], SessionID: s.ID, PaymentID: p.ID, Type: checkout.EventProviderCall,
			Data: map[string]any{"n": string(rune('a' + i))}, CreatedAt: now.Add(time.Duration(10-i) * time.Second)}
	}
	if err := db.CreatePayment(ctx, p, ev(0), ev(1)); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvents(ctx, ev(2), newEvent(other, checkout.EventProviderCall, "")); err != nil {
		t.Fatal(err)
	}
	p.Status = checkout.PaymentProcessing
	mustUpdate(t, db, p, ev(3))
	last := ev(4)
	last.PaymentID = ""
	if err := db.AppendEvents(ctx, last); err != nil {
		t.Fatal(err)
	}

	got := timeline(t, db, s.ID)
	if len(got) != 6 || got[0].Type != checkout.EventSessionCreated {
		t.Fatalf("%d events (first %s), want session.created and the 5 written", len(got), got[0].Type)
	}
	for i, e := range got[1:] {
		want := ev(i)
		if i == 4 {
			want = last
		}
		if e.ID != want.ID || e.SessionID != s.ID || e.PaymentID != want.PaymentID || e.Type != want.Type ||
			e.Data["n"] != want.Data["n"] || !e.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("event %d: %+v, want %+v (in the order written)", i+1, e, want)
		}
	}
	if got := timeline(t, db, other.ID); len(got) != 2 {
		t.Fatalf("the other session has %d events, want 2", len(got))
	}
	if got := timeline(t, db, "cs_missing"); len(got) != 0 {
		t.Fatalf("a missing session has %d events", len(got))
	}
}

// An event with Notify set becomes the merchant's webhook in the same
// transaction as the event (the outbox): one pending delivery, due at the
// event's time, for each enabled endpoint of the session's merchant that
// wants its type, carrying the event id as webhook-id and the event's
// object in its payload. Disabled and deleted endpoints, endpoints that did
// not enable the type, and other merchants' endpoints get nothing; an
// event without Notify queues nothing; and a batch of events is written
// whole or not at all, webhooks included. A merchant must get every
// webhook of what happened, and none of what did not.
func outboxIsWrittenWithTheEvent(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	other, otherSession := MustSession(t, db)
	all := mustInsertEndpoint(t, db, endpointFor(m))
	mustInsertEndpoint(t, db, endpointFor(m, "payment.succeeded"))
	off := endpointFor(m)
	off.Enabled = false
	mustInsertEndpoint(t, db, off)
	gone := mustInsertEndpoint(t, db, endpointFor(m))
	if _, err := db.DeleteWebhookEndpoint(ctx, m.ID, gone.ID, now); err != nil {
		t.Fatal(err)
	}
	mustInsertEndpoint(t, db, endpointFor(other))

	if err := db.AppendEvents(ctx, newEvent(s, checkout.EventProviderCall, "")); err != nil {
		t.Fatal(err)
	}
	if ds := deliveries(t, db, m.ID); len(ds) != 0 {
		t.Fatalf("an event without Notify queued %d deliveries", len(ds))
	}

	ev := newEvent(s, checkout.EventSessionExpired, checkout.WebhookSessionExpired)
	ev.CreatedAt = now.Add(time.Minute)
	if err := db.AppendEvents(ctx, ev); err != nil {
		t.Fatal(err)
	}
	ds := deliveries(t, db, m.ID)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1: only the enabled endpoint that wants every event", len(ds))
	}
	d := ds[0]
	if d.EndpointID != all.ID || d.MerchantID != m.ID || d.MessageID != ev.ID || d.Type != checkout.WebhookSessionExpired ||
		d.Status != checkout.DeliveryPending || d.Attempts != 0 {
		t.Fatalf("delivery: %+v", d)
	}
	var payload struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(d.Payload, &payload); err != nil || payload.Type != checkout.WebhookSessionExpired || payload.Data["id"] != s.ID {
		t.Fatalf("payload %s: %v", d.Payload, err)
	}
	if claimed := mustClaim(t, db, ev.CreatedAt); len(claimed) != 1 || claimed[0].ID != d.ID {
		t.Fatalf("claimed %d at the event's time, want its delivery", len(claimed))
	}
	if ds := deliveries(t, db, other.ID); len(ds) != 0 {
		t.Fatalf("another merchant's endpoint got %d deliveries", len(ds))
	}
	if got := len(timeline(t, db, otherSession.ID)); got != 1 {
		t.Fatalf("the other session has %d events", got)
	}

	// One refused event refuses its batch.
	before := len(timeline(t, db, s.ID))
	first := newEvent(s, checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)
	again := newEvent(s, checkout.EventProviderCall, "")
	again.ID = ev.ID
	if err := db.AppendEvents(ctx, first, again); err == nil {
		t.Fatal("appended an event under an id in use")
	}
	if got := len(timeline(t, db, s.ID)); got != before {
		t.Fatalf("a refused batch wrote %d of its events", got-before)
	}
	if ds := deliveries(t, db, m.ID); len(ds) != 1 {
		t.Fatalf("a refused batch queued %d webhooks", len(ds)-1)
	}
}

// Events are written in the transaction of the change they report, and
// only when it happens: a refused write (a payment beside an active one or
// on a closed session, a stale payment write, an expiry that does not
// apply, a refund with no room, a settlement of a settled refund) writes no
// event and queues no webhook; a session change whose session had moved
// already writes none of its own events while the payment write and its
// events go through. A merchant must never be told about a change that
// did not happen, nor twice about one that did.
func refusedChangesWriteNoEvents(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	mustInsertEndpoint(t, db, endpointFor(m))
	events, hooks := 1, 0
	unchanged := func(what string) {
		t.Helper()
		if got := len(timeline(t, db, s.ID)); got != events {
			t.Fatalf("%s: %d events, want %d", what, got, events)
		}
		if got := len(deliveries(t, db, m.ID)); got != hooks {
			t.Fatalf("%s: %d webhooks queued, want %d", what, got, hooks)
		}
	}
	told := func(typ string) checkout.Event { return newEvent(s, checkout.EventPaymentStatus, typ) }

	p := NewPayment(s, 1)
	p.Status = checkout.PaymentProcessing
	if err := db.CreatePayment(ctx, p, told("payment.processing")); err != nil {
		t.Fatal(err)
	}
	events, hooks = events+1, hooks+1
	unchanged("a payment created")

	if err := db.CreatePayment(ctx, NewPayment(s, 2), told("payment.processing")); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a second active payment: %v, want ErrConflict", err)
	}
	unchanged("a second active payment refused")

	stale := *p
	p.Status = checkout.PaymentPending
	mustUpdate(t, db, p, told("payment.pending"))
	events, hooks = events+1, hooks+1
	stale.Status, stale.Version = checkout.PaymentFailed, stale.Version+1
	if err := db.UpdatePayment(ctx, &stale, nil, told("payment.failed")); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a stale payment write: %v, want ErrConflict", err)
	}
	unchanged("a stale payment write refused")

	if err := db.ExpireSession(ctx, s.ID, now, false, newEvent(s, checkout.EventSessionExpired, checkout.WebhookSessionExpired)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("expiring beside a pending payment: %v, want ErrConflict", err)
	}
	unchanged("an expiry refused")

	// The payment succeeds and completes the session: both are told.
	p.Status = checkout.PaymentSucceeded
	p.Version++
	complete := &checkout.SessionChange{From: checkout.SessionOpen, To: checkout.SessionComplete,
		Events: []checkout.Event{newEvent(s, checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)}}
	if err := db.UpdatePayment(ctx, p, complete, told("payment.succeeded")); err != nil {
		t.Fatal(err)
	}
	events, hooks = events+2, hooks+2
	unchanged("a payment succeeded with its session")

	// A later write with the same session change: the session is not open
	// any more, so it is not completed (or announced) twice.
	p.ProviderRef = "PSP-1"
	p.Version++
	again := &checkout.SessionChange{From: checkout.SessionOpen, To: checkout.SessionComplete,
		Events: []checkout.Event{newEvent(s, checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)}}
	if err := db.UpdatePayment(ctx, p, again, newEvent(s, checkout.EventProviderCall, "")); err != nil {
		t.Fatal(err)
	}
	events++
	unchanged("a session change of a session that moved already")
	if got := mustPayment(t, db, p.ID); got.ProviderRef != "PSP-1" {
		t.Fatal("the payment write beside a session change that did not apply was lost")
	}

	if err := db.CreatePayment(ctx, NewPayment(s, 2), told("payment.processing")); err == nil {
		t.Fatal("a payment on a complete session was created")
	}
	unchanged("a payment on a complete session refused")

	r := mustCreateRefund(t, db, newRefund(mustPayment(t, db, p.ID), 1999))
	events++
	more := newRefund(p, 1)
	if err := db.CreateRefund(ctx, more, told("refund.created")); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a refund with no room: %v, want ErrConflict", err)
	}
	unchanged("a refund with no room refused")

	mustSettle(t, db, r.ID, checkout.RefundFailed)
	events, hooks = events+1, hooks+1
	if err := settle(db, r.ID, checkout.RefundSucceeded, now); !errors.Is(err, errRefundSettled) {
		t.Fatalf("settling a settled refund: %v", err)
	}
	late := *mustRefund(t, db, r.ID)
	late.Status = checkout.RefundSucceeded
	if err := db.UpdateRefund(ctx, &late, nil, newEvent(s, checkout.EventRefundUpdated, checkout.WebhookRefundSucceeded)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a late answer for a settled refund: %v, want ErrConflict", err)
	}
	unchanged("a settlement of a settled refund refused")

	// A session that expired refuses a payment, and says nothing.
	_, closed := MustSession(t, db)
	if err := db.ExpireSession(ctx, closed.ID, now, false); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePayment(ctx, NewPayment(closed, 1), newEvent(closed, checkout.EventPaymentCreated, "payment.processing")); !errors.Is(err, checkout.ErrSessionNotOpen) {
		t.Fatalf("a payment on an expired session: %v, want ErrSessionNotOpen", err)
	}
	if got := len(timeline(t, db, closed.ID)); got != 1 {
		t.Fatalf("a refused payment on an expired session wrote %d events", got-1)
	}
}
