package sqlite_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlite"
)

func endpointFor(m *checkout.Merchant, events ...string) *checkout.WebhookEndpoint {
	return &checkout.WebhookEndpoint{ID: checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), MerchantID: m.ID,
		URL: "https://shop.test/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: now, EnabledEvents: events}
}

func pendingOf(t *testing.T, db *sqlite.DB, merchantID string) map[string]*checkout.WebhookDelivery {
	t.Helper()
	ds, err := db.WebhookDeliveries(context.Background(), merchantID, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*checkout.WebhookDelivery{}
	for _, d := range ds {
		out[d.EndpointID] = d
	}
	return out
}

// issue 12, defect 7: the cap of endpoints per merchant holds under 40
// concurrent creations because it is part of the INSERT; deleted endpoints
// do not count.
func TestWebhookEndpointCapIsInTheInsert(t *testing.T) {
	db := MustOpen(t)
	m, _ := MustSession(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, full := 0, 0
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InsertWebhookEndpoint(ctx, endpointFor(m), checkout.MaxWebhookEndpoints)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, checkout.ErrEndpointLimit):
				full++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	es, _ := db.WebhookEndpoints(ctx, m.ID)
	if ok != checkout.MaxWebhookEndpoints || full != 40-ok || len(es) != checkout.MaxWebhookEndpoints {
		t.Fatalf("%d created, %d refused, %d stored; want %d", ok, full, len(es), checkout.MaxWebhookEndpoints)
	}
	if _, err := db.DeleteWebhookEndpoint(ctx, m.ID, es[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertWebhookEndpoint(ctx, endpointFor(m), checkout.MaxWebhookEndpoints); err != nil {
		t.Fatalf("a deleted endpoint still counts: %v", err)
	}
}

// issue 12, defect 7: a claim takes at most perMerchant due deliveries of
// each merchant, so a merchant with a backlog leaves room for the others;
// enabled_events decide which endpoints get a delivery at all; a disabled
// endpoint's deliveries are held and come back on enable; deleting an
// endpoint cancels its pending deliveries for good; and an endpoint that
// keeps failing backs off without its deliveries using up attempts.
func TestWebhookClaimIsFairAndEndpointsControlTheirDeliveries(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	busy, busySession := MustSession(t, db)
	quiet, quietSession := MustSession(t, db)
	all := endpointFor(busy)
	refundsOnly := endpointFor(busy, checkout.WebhookRefundSucceeded)
	for _, e := range []*checkout.WebhookEndpoint{all, refundsOnly, endpointFor(busy), endpointFor(busy)} {
		if err := db.InsertWebhookEndpoint(ctx, e, checkout.MaxWebhookEndpoints); err != nil {
			t.Fatal(err)
		}
	}
	theirs := endpointFor(quiet)
	if err := db.InsertWebhookEndpoint(ctx, theirs, checkout.MaxWebhookEndpoints); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvents(ctx, newEvent(busySession, checkout.EventSessionExpired, checkout.WebhookSessionExpired)); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvents(ctx, newEvent(quietSession, checkout.EventSessionExpired, checkout.WebhookSessionExpired)); err != nil {
		t.Fatal(err)
	}
	pending := pendingOf(t, db, busy.ID)
	if len(pending) != 3 || pending[refundsOnly.ID] != nil {
		t.Fatalf("checkout.session.expired went to %d endpoints (refund-only one: %v), want the 3 that enabled it", len(pending), pending[refundsOnly.ID] != nil)
	}

	claimed, err := db.ClaimWebhookDeliveries(ctx, now, time.Minute, 50, 2)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, d := range claimed {
		per[d.MerchantID]++
	}
	if per[busy.ID] != 2 || per[quiet.ID] != 1 {
		t.Fatalf("claimed per merchant %v, want 2 of the busy one's and the quiet one's", per)
	}

	// Disable holds, enable resumes; delete cancels.
	if _, err := db.SetWebhookEndpointEnabled(ctx, busy.ID, all.ID, false, now); err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Minute)
	for _, d := range mustClaim(t, db, later) {
		if d.EndpointID == all.ID {
			t.Fatal("a disabled endpoint's delivery was claimed")
		}
	}
	if _, err := db.SetWebhookEndpointEnabled(ctx, quiet.ID, all.ID, true, later); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("another merchant enabled the endpoint: %v", err)
	}
	e, err := db.SetWebhookEndpointEnabled(ctx, busy.ID, all.ID, true, later)
	if err != nil || !e.Enabled {
		t.Fatalf("enable: %v %v", e, err)
	}
	if got := mustClaim(t, db, later.Add(time.Second)); len(got) != 1 || got[0].EndpointID != all.ID || pendingOf(t, db, busy.ID)[all.ID].Status != checkout.DeliveryPending {
		t.Fatalf("after enable: %d claimed", len(got))
	}
	if _, err := db.DeleteWebhookEndpoint(ctx, quiet.ID, all.ID, later); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("another merchant deleted the endpoint: %v", err)
	}
	if _, err := db.DeleteWebhookEndpoint(ctx, busy.ID, all.ID, later); err != nil {
		t.Fatal(err)
	}
	if d := pendingOf(t, db, busy.ID)[all.ID]; d.Status != checkout.DeliveryCanceled {
		t.Fatalf("a deleted endpoint's delivery is %s, want canceled", d.Status)
	}
	if _, err := db.DeleteWebhookEndpoint(ctx, busy.ID, all.ID, later); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if _, err := db.RedeliverWebhook(ctx, busy.ID, pendingOf(t, db, busy.ID)[all.ID].ID, later); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("a delivery of a deleted endpoint was redelivered: %v", err)
	}

	// The quiet merchant's endpoint fails again and again: from the 5th
	// failure in a row its deliveries wait for the endpoint backoff, and
	// a second delivery queued meanwhile waits too, with no attempt spent.
	at := later
	var d *checkout.WebhookDelivery
	for i := 1; i <= checkout.EndpointBackoffAfter; i++ {
		d = pendingOf(t, db, quiet.ID)[theirs.ID]
		next := at.Add(time.Second)
		if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: d.ID, Number: d.Attempts + 1, Status: 0,
			Error: checkout.DeliveryErrTimeout, At: at}, checkout.DeliveryPending, next, false); err != nil {
			t.Fatal(err)
		}
	}
	es, _ := db.WebhookEndpoints(ctx, quiet.ID)
	d = pendingOf(t, db, quiet.ID)[theirs.ID]
	if es[0].ConsecutiveFailures != checkout.EndpointBackoffAfter || d.NextAttemptAt.Before(at.Add(checkout.EndpointBackoff(checkout.EndpointBackoffAfter))) {
		t.Fatalf("after %d failures: streak %d, next attempt in %v", checkout.EndpointBackoffAfter, es[0].ConsecutiveFailures, d.NextAttemptAt.Sub(at))
	}
	if d.Status != checkout.DeliveryPending || d.Attempts != checkout.EndpointBackoffAfter {
		t.Fatalf("backoff lost the delivery: %+v", d)
	}
	// A success resets the streak.
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: d.ID, Number: d.Attempts + 1, Status: 200, At: at},
		checkout.DeliverySucceeded, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if es, _ := db.WebhookEndpoints(ctx, quiet.ID); es[0].ConsecutiveFailures != 0 {
		t.Fatalf("streak after a success: %d", es[0].ConsecutiveFailures)
	}
}

func mustClaim(t *testing.T, db *sqlite.DB, at time.Time) []*checkout.WebhookDelivery {
	t.Helper()
	ds, err := db.ClaimWebhookDeliveries(context.Background(), at, time.Minute, 50, 50)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
