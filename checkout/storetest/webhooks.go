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

// queueDeliveries appends n events of s that every endpoint wants, the
// i-th at now+i seconds, and returns their ids (the deliveries' message
// ids) in that order.
func queueDeliveries(tb testing.TB, db checkout.Store, s *checkout.Session, n int) []string {
	tb.Helper()
	var ids []string
	for i := range n {
		ev := newEvent(s, checkout.EventPaymentStatus, "payment.succeeded")
		ev.CreatedAt = now.Add(time.Duration(i) * time.Second)
		if err := db.AppendEvents(context.Background(), ev); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

func claimAt(tb testing.TB, db checkout.Store, at time.Time, limit int) []*checkout.WebhookDelivery {
	tb.Helper()
	ds, err := db.ClaimWebhookDeliveries(context.Background(), at, time.Minute, limit, 50)
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

func messageIDs(ds []*checkout.WebhookDelivery) []string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.MessageID)
	}
	return ids
}

// A claimed delivery is leased to the relay that claimed it: no claim
// before the lease ends returns it (two relays never send one delivery at
// once), any claim after it does (a relay that died while sending loses it
// to the next). A claim takes at most limit deliveries, the longest waiting
// first, with the URL and secret to send them with; eight relays claiming
// at the same moment share the due deliveries without overlap. A delivery
// recorded as delivered is never claimed again, and one to retry is claimed
// at its next attempt, not before. Merchants get every webhook at least
// once and, barring a crash, once.
func webhookClaimLeases(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	e := mustInsertEndpoint(t, db, endpointFor(m))
	queued := queueDeliveries(t, db, s, 12)
	t0 := now.Add(20 * time.Second)

	first := claimAt(t, db, t0, 3)
	if got := messageIDs(first); len(got) != 3 || got[0] != queued[0] || got[1] != queued[1] || got[2] != queued[2] {
		t.Fatalf("a claim of 3 took %v, want the 3 longest waiting %v", got, queued[:3])
	}
	for _, d := range first {
		if d.URL != e.URL || d.Secret != e.Secret || d.PreviousSecret != "" || d.EndpointID != e.ID {
			t.Fatalf("claimed delivery without its endpoint's URL and secret: %+v", d)
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	for _, d := range first {
		seen[d.ID]++
	}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds, err := db.ClaimWebhookDeliveries(ctx, t0, time.Minute, 50, 50)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range ds {
				seen[d.ID]++
			}
		}()
	}
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %s claimed %d times within its lease", id, n)
		}
	}
	if len(seen) != 12 {
		t.Fatalf("%d of the 12 due deliveries claimed", len(seen))
	}

	if got := claimAt(t, db, t0.Add(59*time.Second), 50); len(got) != 0 {
		t.Fatalf("claimed %d deliveries before their lease ended", len(got))
	}
	again := claimAt(t, db, t0.Add(time.Minute), 50)
	if len(again) != 12 {
		t.Fatalf("claimed %d deliveries once their lease ended, want all 12", len(again))
	}

	// One is delivered, one is to be retried in ten minutes.
	t1 := t0.Add(time.Minute)
	done, retry := again[0], again[1]
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: done.ID, Number: 1, Status: 200, At: t1},
		checkout.DeliverySucceeded, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: retry.ID, Number: 1, Status: 503, Error: "HTTP 503", At: t1},
		checkout.DeliveryPending, t1.Add(10*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	for _, d := range claimAt(t, db, t1.Add(2*time.Minute), 50) {
		if d.ID == done.ID || d.ID == retry.ID {
			t.Fatalf("claimed %s before its retry time or after it was delivered", d.ID)
		}
	}
	later := map[string]bool{}
	for _, d := range claimAt(t, db, t1.Add(10*time.Minute), 50) {
		later[d.ID] = true
	}
	if !later[retry.ID] || later[done.ID] || len(later) != 11 {
		t.Fatalf("at the retry time claimed %d (the retry: %v, the delivered one: %v), want the 11 not delivered", len(later), later[retry.ID], later[done.ID])
	}
}

// Every attempt is kept, in order, for the merchant's delivery log, and the
// delivery shows the last one; an endpoint that answers 410 is turned off
// with it. An attempt that ends after its endpoint was deleted leaves the
// delivery canceled. A merchant redelivers its own delivery (pending again,
// due at once, its attempts kept), never another merchant's.
// WebhookDeliveries lists a merchant's deliveries newest first, at most
// limit, as the delivery log shows them.
func webhookAttemptsAndRedelivery(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	other, _ := MustSession(t, db)
	e := mustInsertEndpoint(t, db, endpointFor(m))
	queued := queueDeliveries(t, db, s, 3)

	newest, err := db.WebhookDeliveries(ctx, m.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := messageIDs(newest); len(got) != 2 || got[0] != queued[2] || got[1] != queued[1] {
		t.Fatalf("the 2 newest deliveries: %v, want %v", got, []string{queued[2], queued[1]})
	}
	all := deliveries(t, db, m.ID)
	d1, d2, d3 := all[2], all[1], all[0]

	at := now.Add(time.Minute)
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: d1.ID, Number: 1, Status: 500, Error: "HTTP 500", DurationMS: 40, At: at},
		checkout.DeliveryPending, at.Add(5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: d1.ID, Number: 2, Status: 204, DurationMS: 12, At: at.Add(5 * time.Second)},
		checkout.DeliverySucceeded, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	attempts, err := db.WebhookAttempts(ctx, d1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 2 || attempts[0].Number != 1 || attempts[0].Status != 500 || attempts[0].Error != "HTTP 500" || attempts[0].DurationMS != 40 ||
		!attempts[0].At.Equal(at) || attempts[1].Number != 2 || attempts[1].Status != 204 || !attempts[1].At.Equal(at.Add(5*time.Second)) {
		t.Fatalf("attempts: %+v", attempts)
	}
	if d := deliveries(t, db, m.ID)[2]; d.ID != d1.ID || d.MessageID != queued[0] || d.Status != checkout.DeliverySucceeded ||
		d.Attempts != 2 || d.LastStatus != 204 || d.LastError != "" {
		t.Fatalf("delivered: %+v", d)
	}

	// Redelivery.
	if _, err := db.RedeliverWebhook(ctx, other.ID, d1.ID, at); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("another merchant redelivered it: %v, want ErrNotFound", err)
	}
	redo := at.Add(time.Hour)
	d, err := db.RedeliverWebhook(ctx, m.ID, d1.ID, redo)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != checkout.DeliveryPending || !d.NextAttemptAt.Equal(redo) || d.Attempts != 2 {
		t.Fatalf("redelivered: %+v", d)
	}
	if _, err := db.RedeliverWebhook(ctx, m.ID, "whd_missing", redo); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("redelivering a missing delivery: %v, want ErrNotFound", err)
	}

	// 410 Gone.
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: d2.ID, Number: 1, Status: 410, Error: "410 Gone: endpoint disabled", At: at},
		checkout.DeliveryFailed, time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	es, _ := db.WebhookEndpoints(ctx, m.ID)
	if len(es) != 1 || es[0].Enabled {
		t.Fatal("an endpoint that answered 410 is still enabled")
	}
	if got := mustClaim(t, db, redo); len(got) != 0 {
		t.Fatalf("claimed %d deliveries of a disabled endpoint", len(got))
	}
	if _, err := db.SetWebhookEndpointEnabled(ctx, m.ID, e.ID, true, redo); err != nil {
		t.Fatal(err)
	}

	// The endpoint is deleted while d3 is being sent.
	sending := mustClaim(t, db, redo)
	if len(sending) != 2 {
		t.Fatalf("claimed %d, want the redelivered one and d3", len(sending))
	}
	if _, err := db.DeleteWebhookEndpoint(ctx, m.ID, e.ID, redo); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: d3.ID, Number: 1, Status: 200, At: redo},
		checkout.DeliverySucceeded, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	for _, d := range deliveries(t, db, m.ID) {
		if d.ID == d3.ID && d.Status != checkout.DeliveryCanceled {
			t.Fatalf("a delivery of a deleted endpoint became %s", d.Status)
		}
	}
}

// Rotating an endpoint's secret keeps the old one signing beside the new
// one until the overlap ends, so that a merchant can switch verifiers
// without rejecting a webhook: claims carry the previous secret before
// that time and not after, and rotating again replaces it (two secrets at
// most). Another merchant's endpoint, or a deleted one, is not found.
// SaveWebhookEndpoint updates an endpoint in place, and an endpoint saved
// without a filter receives every event type. WebhookEndpoints lists the
// merchant's live endpoints, oldest first.
func webhookSecretRotationAndEndpoints(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	other, _ := MustSession(t, db)
	e := endpointFor(m)
	e.CreatedAt = now.Add(2 * time.Second)
	mustInsertEndpoint(t, db, e)
	old := e.Secret

	if _, err := db.RotateWebhookSecret(ctx, other.ID, e.ID, "", checkout.NewWebhookSecret(), now.Add(time.Hour)); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("another merchant rotated the secret: %v, want ErrNotFound", err)
	}
	fresh := checkout.NewWebhookSecret()
	got, err := db.RotateWebhookSecret(ctx, m.ID, e.ID, "", fresh, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || got.Secret != fresh || got.PreviousSecret != old || !got.PreviousSecretExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("rotated: %+v", got)
	}
	queueDeliveries(t, db, s, 1)
	if ds := mustClaim(t, db, now.Add(10*time.Minute)); len(ds) != 1 || ds[0].Secret != fresh || ds[0].PreviousSecret != old {
		t.Fatalf("claimed during the overlap: %+v", ds)
	}
	if ds := mustClaim(t, db, now.Add(2*time.Hour)); len(ds) != 1 || ds[0].Secret != fresh || ds[0].PreviousSecret != "" {
		t.Fatalf("claimed after the overlap: %+v", ds)
	}
	fresher := checkout.NewWebhookSecret()
	if got, err := db.RotateWebhookSecret(ctx, m.ID, e.ID, fresh, fresher, now.Add(3*time.Hour)); err != nil || got.Secret != fresher || got.PreviousSecret != fresh {
		t.Fatalf("rotated again: %+v %v", got, err)
	}
	// From a secret that is no longer current: refused, nothing written
	// (a second click on the same confirmation keeps the secret in use).
	if _, err := db.RotateWebhookSecret(ctx, m.ID, e.ID, fresh, checkout.NewWebhookSecret(), now.Add(4*time.Hour)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a rotation from a stale secret: %v", err)
	}
	if eps, _ := db.WebhookEndpoints(ctx, m.ID); len(eps) == 0 || eps[0].Secret != fresher || eps[0].PreviousSecret != fresh {
		t.Fatalf("after a refused rotation: %+v", eps)
	}

	// Saved in place; saved without a filter.
	e.URL, e.Enabled, e.EnabledEvents = "https://shop.test/hooks/v2", false, []string{checkout.WebhookRefundFailed}
	if err := db.SaveWebhookEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	seeded := endpointFor(m)
	seeded.EnabledEvents, seeded.CreatedAt = nil, now.Add(time.Second)
	if err := db.SaveWebhookEndpoint(ctx, seeded); err != nil {
		t.Fatal(err)
	}
	first := mustInsertEndpoint(t, db, endpointFor(m))
	es, err := db.WebhookEndpoints(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{first.ID, seeded.ID, e.ID}; !slices.Equal(endpointIDs(es), want) {
		t.Fatalf("endpoints %v, want oldest first %v", endpointIDs(es), want)
	}
	for _, x := range es {
		switch x.ID {
		case e.ID:
			if x.URL != e.URL || x.Enabled || len(x.EnabledEvents) != 1 || x.EnabledEvents[0] != checkout.WebhookRefundFailed {
				t.Fatalf("saved endpoint: %+v", x)
			}
		case seeded.ID:
			if len(x.EnabledEvents) != 1 || x.EnabledEvents[0] != "*" || !x.Enabled {
				t.Fatalf("endpoint saved without a filter: %+v", x)
			}
		}
	}
	ev := newEvent(s, checkout.EventSessionExpired, checkout.WebhookSessionExpired)
	if err := db.AppendEvents(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if pendingOf(t, db, m.ID)[seeded.ID] == nil {
		t.Fatal("an endpoint saved without a filter got no delivery")
	}
	if others, _ := db.WebhookEndpoints(ctx, other.ID); len(others) != 0 {
		t.Fatalf("another merchant lists %d endpoints", len(others))
	}

	if _, err := db.DeleteWebhookEndpoint(ctx, m.ID, e.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RotateWebhookSecret(ctx, m.ID, e.ID, "", checkout.NewWebhookSecret(), now); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("rotating a deleted endpoint: %v, want ErrNotFound", err)
	}
	if _, err := db.SetWebhookEndpointEnabled(ctx, m.ID, e.ID, true, now); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("enabling a deleted endpoint: %v, want ErrNotFound", err)
	}
	if es, _ := db.WebhookEndpoints(ctx, m.ID); len(es) != 2 {
		t.Fatalf("%d endpoints listed after deleting one of 3", len(es))
	}
}

func endpointIDs(es []*checkout.WebhookEndpoint) []string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// A test webhook (POST /v1/test/webhooks) is one delivery to one endpoint:
// the merchant's own, not deleted, enabled, whatever its enabled_events.
// It writes no event (the merchant's event list and the other endpoints
// stay as they were) and is claimed for sending as any delivery. Another
// merchant's, a deleted or an unknown endpoint is ErrNotFound, a disabled
// one ErrEndpointDisabled, and then nothing is written.
func testWebhookGoesToOneEndpoint(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, other := mustMerchant(t, db), mustMerchant(t, db)
	target := mustInsertEndpoint(t, db, endpointFor(m, checkout.WebhookRefundFailed))
	everything := mustInsertEndpoint(t, db, endpointFor(m))
	theirs := mustInsertEndpoint(t, db, endpointFor(other))
	deleted, disabled := mustInsertEndpoint(t, db, endpointFor(m)), mustInsertEndpoint(t, db, endpointFor(m))
	if _, err := db.DeleteWebhookEndpoint(ctx, m.ID, deleted.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetWebhookEndpointEnabled(ctx, m.ID, disabled.ID, false, now); err != nil {
		t.Fatal(err)
	}
	delivery := func(endpoint string) *checkout.WebhookDelivery {
		return &checkout.WebhookDelivery{MessageID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), EndpointID: endpoint,
			MerchantID: m.ID, Type: "payment.succeeded", Payload: []byte(`{"type":"payment.succeeded","triggered":true}`),
			Status: checkout.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	}
	for _, tt := range []struct {
		name     string
		endpoint string
		want     error
	}{
		{"another merchant's", theirs.ID, checkout.ErrNotFound},
		{"a deleted", deleted.ID, checkout.ErrNotFound},
		{"an unknown", checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), checkout.ErrNotFound},
		{"a disabled", disabled.ID, checkout.ErrEndpointDisabled},
	} {
		if err := db.QueueTestWebhook(ctx, delivery(tt.endpoint)); !errors.Is(err, tt.want) {
			t.Errorf("%s endpoint: %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, id := range []string{m.ID, other.ID} {
		if ds, err := db.WebhookDeliveries(ctx, id, 10); err != nil || len(ds) != 0 {
			t.Fatalf("refused test webhooks wrote %d deliveries (%v)", len(ds), err)
		}
	}

	d := delivery(target.ID)
	if err := db.QueueTestWebhook(ctx, d); err != nil {
		t.Fatal(err)
	}
	ds, err := db.WebhookDeliveries(ctx, m.ID, 10)
	if err != nil || len(ds) != 1 || ds[0].ID != d.ID || ds[0].EndpointID != target.ID || ds[0].MessageID != d.MessageID ||
		ds[0].Status != checkout.DeliveryPending || string(ds[0].Payload) != string(d.Payload) {
		t.Fatalf("deliveries after a test webhook: %v (%v), want one to %s and none to %s", ds, err, target.ID, everything.ID)
	}
	if events, err := db.ListEvents(ctx, m.ID, checkout.EventFilter{}, checkout.Page{Limit: 10}); err != nil || len(events) != 0 {
		t.Fatalf("a test webhook wrote events: %v (%v)", events, err)
	}
	claimed := claimAt(t, db, now, 10)
	if len(claimed) != 1 || claimed[0].ID != d.ID || claimed[0].URL != target.URL || claimed[0].Secret != target.Secret {
		t.Fatalf("claimed %v, want the test delivery with its endpoint's URL and secret", claimed)
	}
}
