// Package storetest is the conformance suite every checkout.Store runs:
// the guards that protect money (compare-and-set, conditions in the
// statements, unique indexes), atomicity of a change with its events and
// webhook outbox, idempotency leases and the webhook claims, each checked
// through the Store interface alone. A store's tests call Run with a
// function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Open makes a fresh, empty store for one test (and closes it in the
// test's cleanup).
type Open func(t *testing.T) checkout.Store

// Run runs every case of the suite against stores made by open.
func Run(t *testing.T, open Open) {
	t.Run("ExpiryAndPaymentGuards", func(t *testing.T) { expiryAndPaymentGuards(t, open(t)) })
	t.Run("OneActivePaymentPerSession", func(t *testing.T) { oneActivePaymentPerSession(t, open(t)) })
	t.Run("UpdatePaymentCompareAndSetAndSessionChange", func(t *testing.T) { updatePaymentCompareAndSetAndSessionChange(t, open(t)) })
	t.Run("PaymentsToCheck", func(t *testing.T) { paymentsToCheck(t, open(t)) })
	t.Run("IdempotencyRecords", func(t *testing.T) { idempotencyRecords(t, open(t)) })
	t.Run("WebhookEndpointCapIsInTheInsert", func(t *testing.T) { webhookEndpointCapIsInTheInsert(t, open(t)) })
	t.Run("WebhookClaimIsFairAndEndpointsControlTheirDeliveries", func(t *testing.T) { webhookClaimIsFairAndEndpointsControlTheirDeliveries(t, open(t)) })
	t.Run("RefundReservationIsInTheStatement", func(t *testing.T) { refundReservationIsInTheStatement(t, open(t)) })
	t.Run("ConcurrentRefundsNeverOverRefund", func(t *testing.T) { concurrentRefundsNeverOverRefund(t, open(t)) })
	t.Run("RefundIdempotencyKeysAndRetries", func(t *testing.T) { refundIdempotencyKeysAndRetries(t, open(t)) })
	t.Run("UpdateRefundMovesRefundAndPaymentTogether", func(t *testing.T) { updateRefundMovesRefundAndPaymentTogether(t, open(t)) })
	t.Run("RefundInquirySchedule", func(t *testing.T) { refundInquirySchedule(t, open(t)) })
	t.Run("EventsKeepInsertionOrder", func(t *testing.T) { eventsKeepInsertionOrder(t, open(t)) })
	t.Run("OutboxIsWrittenWithTheEvent", func(t *testing.T) { outboxIsWrittenWithTheEvent(t, open(t)) })
	t.Run("RefusedChangesWriteNoEvents", func(t *testing.T) { refusedChangesWriteNoEvents(t, open(t)) })
	t.Run("WebhookClaimLeases", func(t *testing.T) { webhookClaimLeases(t, open(t)) })
	t.Run("WebhookAttemptsAndRedelivery", func(t *testing.T) { webhookAttemptsAndRedelivery(t, open(t)) })
	t.Run("WebhookSecretRotationAndEndpoints", func(t *testing.T) { webhookSecretRotationAndEndpoints(t, open(t)) })
	t.Run("TestWebhookGoesToOneEndpoint", func(t *testing.T) { testWebhookGoesToOneEndpoint(t, open(t)) })
	t.Run("IdempotencyLeases", func(t *testing.T) { idempotencyLeases(t, open(t)) })
	t.Run("IdempotencyTakeoverFencesTheFirstOwner", func(t *testing.T) { idempotencyTakeoverFencesTheFirstOwner(t, open(t)) })
	t.Run("SessionsByIdempotencyKey", func(t *testing.T) { sessionsByIdempotencyKey(t, open(t)) })
	t.Run("SessionAnswerIsStoredWithTheSession", func(t *testing.T) { sessionAnswerIsStoredWithTheSession(t, open(t)) })
	t.Run("SessionWithPayments", func(t *testing.T) { sessionWithPayments(t, open(t)) })
	t.Run("UniqueIdentifiers", func(t *testing.T) { uniqueIdentifiers(t, open(t)) })
	t.Run("ListsInTheirOrder", func(t *testing.T) { listsInTheirOrder(t, open(t)) })
	t.Run("MerchantsKeysAndLogos", func(t *testing.T) { merchantsKeysAndLogos(t, open(t)) })
	t.Run("ServerKeyFirstWriterWins", func(t *testing.T) { serverKeyFirstWriterWins(t, open(t)) })
	t.Run("ReturnSecretsAreSetOnce", func(t *testing.T) { returnSecretsAreSetOnce(t, open(t)) })
	t.Run("ReturnSecretRotationIsCompareAndSet", func(t *testing.T) { returnSecretRotationIsCompareAndSet(t, open(t)) })
	t.Run("ProviderNotificationsAreRememberedPerProvider", func(t *testing.T) { providerNotificationsAreRememberedPerProvider(t, open(t)) })
	t.Run("ProviderReferenceLookups", func(t *testing.T) { providerReferenceLookups(t, open(t)) })
	t.Run("LivemodeIsKept", func(t *testing.T) { livemodeIsKept(t, open(t)) })
	t.Run("ListsPageBothWaysAndStayWithTheirMerchant", func(t *testing.T) { listsPageBothWaysAndStayWithTheirMerchant(t, open(t)) })
	t.Run("ListSessionsFilters", func(t *testing.T) { listSessionsFilters(t, open(t)) })
	t.Run("ListPaymentsFilters", func(t *testing.T) { listPaymentsFilters(t, open(t)) })
	t.Run("ListRefundsFilters", func(t *testing.T) { listRefundsFilters(t, open(t)) })
	t.Run("ListEventsFilters", func(t *testing.T) { listEventsFilters(t, open(t)) })
	t.Run("ListDeliveriesFilters", func(t *testing.T) { listDeliveriesFilters(t, open(t)) })
	t.Run("MerchantKeyOverlapAndExpiry", func(t *testing.T) { merchantKeyOverlapAndExpiry(t, open(t)) })
	t.Run("MerchantKeyRotationIsGuarded", func(t *testing.T) { merchantKeyRotationIsGuarded(t, open(t)) })
	t.Run("MerchantKeyReplaceIsGuarded", func(t *testing.T) { merchantKeyReplaceIsGuarded(t, open(t)) })
	t.Run("SaveMerchantIsCompareAndSet", func(t *testing.T) { saveMerchantIsCompareAndSet(t, open(t)) })
	t.Run("SessionTimeline", func(t *testing.T) { sessionTimeline(t, open(t)) })
	t.Run("DashboardUsers", func(t *testing.T) { dashboardUsers(t, open(t)) })
	t.Run("DashboardSessions", func(t *testing.T) { dashboardSessions(t, open(t)) })
	t.Run("DashboardTOTP", func(t *testing.T) { dashboardTOTP(t, open(t)) })
	t.Run("OverviewCounts", func(t *testing.T) { overviewCounts(t, open(t)) })
	t.Run("OperationalStats", func(t *testing.T) { operationalStats(t, open(t)) })
}

// now is the suite's clock: the stores take times from their callers.
var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// MustSession saves a merchant and an open USD session of it, due to
// expire an hour after now.
func MustSession(tb testing.TB, db checkout.Store) (*checkout.Merchant, *checkout.Session) {
	tb.Helper()
	m := mustMerchant(tb, db)
	return m, mustCreateSession(tb, db, newSession(m))
}

// mustMerchant saves a merchant with a fresh test key.
func mustMerchant(tb testing.TB, db checkout.Store) *checkout.Merchant {
	tb.Helper()
	m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Shop", APIKeyHash: checkout.HashAPIKey(checkout.NewSecretKey(false)), DefaultProvider: "payorder", CreatedAt: now}
	if err := db.SaveMerchant(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// newSession is an open USD session of m, due to expire an hour after now.
func newSession(m *checkout.Merchant) *checkout.Session {
	return &checkout.Session{
		ID: checkout.RandomIDs{}.NewID(checkout.PrefixSession), MerchantID: m.ID, Status: checkout.SessionOpen,
		Amount: checkout.Money{Amount: 1999, Currency: "USD"}, LineItems: []checkout.LineItem{{Name: "Mug", Quantity: 1, UnitAmount: 1999}},
		Locale: "en", SuccessURL: "https://shop.test/ok", PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard},
		Provider: "payorder", CaptureMode: checkout.CaptureAutomatic, ThreeDS: checkout.ThreeDSAutomatic,
		Metadata: map[string]string{"order": "42"}, ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now,
	}
}

// mustCreateSession stores s with its session.created event.
func mustCreateSession(tb testing.TB, db checkout.Store, s *checkout.Session) *checkout.Session {
	tb.Helper()
	if err := db.CreateSession(context.Background(), s, checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: checkout.EventSessionCreated, CreatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	return s
}

// NewPayment is attempt number attempt (created, a Visa card) on s.
func NewPayment(s *checkout.Session, attempt int) *checkout.Payment {
	return &checkout.Payment{
		ID: checkout.RandomIDs{}.NewID(checkout.PrefixPayment), SessionID: s.ID, MerchantID: s.MerchantID, Provider: "payorder",
		Method: checkout.MethodCard, Status: checkout.PaymentCreated, Amount: s.Amount, CaptureMode: s.CaptureMode,
		Card:    &checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "424242", Last4: "4242", ExpMonth: 12, ExpYear: 2030},
		Attempt: attempt, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
}

func newEvent(s *checkout.Session, typ checkout.EventType, notify string) checkout.Event {
	return checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: typ, CreatedAt: now,
		Notify: notify, Object: map[string]any{"id": s.ID}}
}

func endpointFor(m *checkout.Merchant, events ...string) *checkout.WebhookEndpoint {
	return &checkout.WebhookEndpoint{ID: checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), MerchantID: m.ID,
		URL: "https://shop.test/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: now, EnabledEvents: events}
}

func pendingOf(t *testing.T, db checkout.Store, merchantID string) map[string]*checkout.WebhookDelivery {
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

func mustClaim(t *testing.T, db checkout.Store, at time.Time) []*checkout.WebhookDelivery {
	t.Helper()
	ds, err := db.ClaimWebhookDeliveries(context.Background(), at, time.Minute, 50, 50)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// The guards that keep expiry and payment apart are in the statements: a
// session with an active payment is not expired, a payment is not created
// on a session that is not open or is past its time, and the expiry's
// event is written only when the row changed.
func expiryAndPaymentGuards(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	if err := db.ExpireSession(ctx, s.ID, now, true, newEvent(s, checkout.EventSessionExpired, "")); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("expiring by time before expires_at: %v, want ErrConflict", err)
	}
	p := NewPayment(s, 1)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, st := range []checkout.PaymentStatus{checkout.PaymentProcessing, checkout.PaymentRequiresAction, checkout.PaymentPending, checkout.PaymentSucceeded} {
		p.Status, p.Version = st, p.Version+1
		if err := db.UpdatePayment(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.ExpireSession(ctx, s.ID, now, false, newEvent(s, checkout.EventSessionExpired, checkout.WebhookSessionExpired)); !errors.Is(err, checkout.ErrConflict) {
			t.Fatalf("expiring with a %s payment: %v, want ErrConflict", st, err)
		}
	}
	p.Status, p.Version = checkout.PaymentFailed, p.Version+1
	if err := db.UpdatePayment(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.ExpireSession(ctx, s.ID, now, false, newEvent(s, checkout.EventSessionExpired, checkout.WebhookSessionExpired)); err != nil {
		t.Fatalf("expiring with only a failed payment: %v", err)
	}
	if err := db.ExpireSession(ctx, s.ID, now, false, newEvent(s, checkout.EventSessionExpired, checkout.WebhookSessionExpired)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("expiring twice: %v, want ErrConflict", err)
	}
	events, _ := db.SessionEvents(ctx, s.ID)
	expired := 0
	for _, e := range events {
		if e.Type == checkout.EventSessionExpired {
			expired++
		}
	}
	if expired != 1 {
		t.Fatalf("%d expiry events, want 1 (only the statement that changed the row writes one)", expired)
	}
	if err := db.CreatePayment(ctx, NewPayment(s, 2)); !errors.Is(err, checkout.ErrSessionNotOpen) {
		t.Fatalf("payment on an expired session: %v, want ErrSessionNotOpen", err)
	}

	// Open, but past its time (the sweeper has not come by): no payment.
	_, late := MustSession(t, db)
	lateP := NewPayment(late, 1)
	lateP.CreatedAt = late.ExpiresAt
	if err := db.CreatePayment(ctx, lateP); !errors.Is(err, checkout.ErrSessionNotOpen) {
		t.Fatalf("payment at expires_at: %v, want ErrSessionNotOpen", err)
	}
	if due, _ := db.SessionsExpiringBefore(ctx, late.ExpiresAt, 10); len(due) != 1 || due[0] != late.ID {
		t.Fatalf("sessions due: %v", due)
	}
	if err := db.ExpireSession(ctx, late.ID, late.ExpiresAt, true); err != nil {
		t.Fatalf("expiring by time at expires_at: %v", err)
	}
	if _, err := db.Session(ctx, "cs_missing"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("missing session: %v", err)
	}
}

func oneActivePaymentPerSession(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)

	// Twenty concurrent attempts: exactly one insert wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.CreatePayment(ctx, NewPayment(s, 1))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, checkout.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 19 {
		t.Fatalf("wins=%d conflicts=%d, want 1 and 19", wins, conflicts)
	}

	pays, _ := db.SessionPayments(ctx, s.ID)
	p := pays[0]
	if err := db.CreatePayment(ctx, NewPayment(s, 2)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("second attempt while first active: %v", err)
	}
	p.Status, p.Version = checkout.PaymentFailed, p.Version+1
	if err := db.UpdatePayment(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePayment(ctx, NewPayment(s, 2)); err != nil {
		t.Fatalf("retry after a failed attempt: %v", err)
	}
}

func updatePaymentCompareAndSetAndSessionChange(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	p := NewPayment(s, 1)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	a, b := *p, *p
	a.Status, a.Version = checkout.PaymentProcessing, 2
	b.Status, b.Version = checkout.PaymentFailed, 2
	if err := db.UpdatePayment(ctx, &a, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdatePayment(ctx, &b, nil); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("stale write: %v, want ErrConflict", err)
	}
	a.Status, a.Version = checkout.PaymentSucceeded, 3
	a.ThreeDS = &checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", AuthenticationValuePresent: true}
	a.ProviderData = map[string]string{"linkID": "L1"}
	ev := checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: s.ID, PaymentID: p.ID, Type: checkout.EventPaymentStatus, Data: map[string]any{"to": "succeeded"}, CreatedAt: now}
	done := newEvent(s, checkout.EventSessionCompleted, "")
	if err := db.UpdatePayment(ctx, &a, &checkout.SessionChange{From: checkout.SessionOpen, To: checkout.SessionComplete, Events: []checkout.Event{done}}, ev); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Payment(ctx, p.ID)
	if got.Status != checkout.PaymentSucceeded || got.ThreeDS.ECI != "05" || got.ProviderData["linkID"] != "L1" || got.Card.Last4 != "4242" {
		t.Fatalf("payment after update: %+v", got)
	}
	sess, _ := db.Session(ctx, s.ID)
	if sess.Status != checkout.SessionComplete {
		t.Fatalf("session status %s, want complete", sess.Status)
	}
	events, _ := db.SessionEvents(ctx, s.ID)
	if len(events) != 3 || events[1].Type != checkout.EventPaymentStatus || events[1].Data["to"] != "succeeded" ||
		events[2].Type != checkout.EventSessionCompleted {
		t.Fatalf("events: %+v", events)
	}
}

func paymentsToCheck(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	p := NewPayment(s, 1)
	p.Status, p.NextCheckAt = checkout.PaymentPending, now.Add(5*time.Second)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.PaymentsToCheck(ctx, now, time.Minute, 10); len(due) != 0 {
		t.Fatalf("due before its time: %d", len(due))
	}
	// Twenty instances ask at once: one claims it, for the lease.
	at := now.Add(6 * time.Second)
	claimed, refused := race(t, 20, nil, func() (string, error) {
		due, err := db.PaymentsToCheck(ctx, at, time.Minute, 10)
		if err != nil || len(due) == 0 {
			return "", err
		}
		return due[0].ID, nil
	})
	var got []string
	for _, id := range claimed {
		if id != "" {
			got = append(got, id)
		}
	}
	if len(got) != 1 || got[0] != p.ID || refused != 0 {
		t.Fatalf("20 concurrent claims took %v (%d errors), want %s once", got, refused, p.ID)
	}
	if due, _ := db.PaymentsToCheck(ctx, at.Add(59*time.Second), time.Minute, 10); len(due) != 0 {
		t.Fatalf("claimed, yet claimed again within its lease: %d", len(due))
	}
	// Its instance died: after the lease, another takes it over.
	if due, _ := db.PaymentsToCheck(ctx, at.Add(61*time.Second), time.Minute, 10); len(due) != 1 || due[0].ID != p.ID {
		t.Fatalf("not taken over after the lease: %v", due)
	}
	// A claim changes only the schedule: the payment's version stays, so
	// that the answer it waits for is written as usual.
	if cur, err := db.Payment(ctx, p.ID); err != nil || cur.Version != p.Version || cur.Status != checkout.PaymentPending {
		t.Fatalf("after claims: %+v %v", cur, err)
	}
}

func idempotencyRecords(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, _ := MustSession(t, db)
	rec := checkout.IdempotencyRecord{MerchantID: m.ID, Key: "k1", RequestHash: "h1", LockedUntil: now.Add(time.Minute), CreatedAt: now}

	if got, err := db.BeginIdempotent(ctx, rec); err != nil || got != nil {
		t.Fatalf("first claim: %v %v", got, err)
	}
	got, err := db.BeginIdempotent(ctx, rec)
	if err != nil || got == nil || got.Done() {
		t.Fatalf("claim while in flight: %+v %v", got, err)
	}
	if err := db.CompleteIdempotent(ctx, m.ID, "k1", "", 201, []byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	got, _ = db.BeginIdempotent(ctx, rec)
	if got == nil || got.Status != 201 || string(got.Body) != `{"id":"x"}` {
		t.Fatalf("replay: %+v", got)
	}

	// A claim whose lease ran out is taken over by the same request.
	stale := rec
	stale.Key, stale.LockedUntil = "k2", now
	_, _ = db.BeginIdempotent(ctx, stale)
	later := stale
	later.CreatedAt, later.LockedUntil = now.Add(2*time.Minute), now.Add(3*time.Minute)
	if got, _ := db.BeginIdempotent(ctx, later); got != nil {
		t.Fatalf("expired lease not taken over: %+v", got)
	}

	// Released keys are forgotten; pruning removes old ones.
	if err := db.ReleaseIdempotent(ctx, m.ID, "k2", ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PruneIdempotent(ctx, now.Add(time.Second)); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
}

// issue 12, defect 7: the cap of endpoints per merchant holds under 40
// concurrent creations because it is part of the INSERT; deleted endpoints
// do not count.
func webhookEndpointCapIsInTheInsert(t *testing.T, db checkout.Store) {
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
func webhookClaimIsFairAndEndpointsControlTheirDeliveries(t *testing.T, db checkout.Store) {
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

// mustPayment loads a payment as the store has it now.
func mustPayment(tb testing.TB, db checkout.Store, id string) *checkout.Payment {
	tb.Helper()
	p, err := db.Payment(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// mustUpdate writes p as its next version.
func mustUpdate(tb testing.TB, db checkout.Store, p *checkout.Payment, events ...checkout.Event) {
	tb.Helper()
	p.Version++
	if err := db.UpdatePayment(context.Background(), p, nil, events...); err != nil {
		tb.Fatal(err)
	}
}

// paidPayment is attempt 1 of s, succeeded, as the store has it.
func paidPayment(tb testing.TB, db checkout.Store, s *checkout.Session) *checkout.Payment {
	tb.Helper()
	p := NewPayment(s, 1)
	if err := db.CreatePayment(context.Background(), p); err != nil {
		tb.Fatal(err)
	}
	p.Status = checkout.PaymentSucceeded
	mustUpdate(tb, db, p)
	return mustPayment(tb, db, p.ID)
}

// timeline is the session's events as the store has them.
func timeline(tb testing.TB, db checkout.Store, sessionID string) []checkout.Event {
	tb.Helper()
	events, err := db.SessionEvents(context.Background(), sessionID)
	if err != nil {
		tb.Fatal(err)
	}
	return events
}

// deliveries is every delivery of the merchant, newest first.
func deliveries(tb testing.TB, db checkout.Store, merchantID string) []*checkout.WebhookDelivery {
	tb.Helper()
	ds, err := db.WebhookDeliveries(context.Background(), merchantID, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

// mustInsertEndpoint adds e under the endpoint cap.
func mustInsertEndpoint(tb testing.TB, db checkout.Store, e *checkout.WebhookEndpoint) *checkout.WebhookEndpoint {
	tb.Helper()
	if err := db.InsertWebhookEndpoint(context.Background(), e, checkout.MaxWebhookEndpoints); err != nil {
		tb.Fatal(err)
	}
	return e
}

// descendingIDs are n fresh ids with prefix, sorted from the greatest
// down: rows written in this order come back in it only if a list is
// really ordered by something other than the id.
func descendingIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = checkout.RandomIDs{}.NewID(prefix)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids
}

// race runs attempt n times at once; each makes a row and returns its id
// with the store's answer. It returns the ids of the attempts that
// succeeded and how many were refused with refusal; any other error fails
// the test.
func race(t *testing.T, n int, refusal error, attempt func() (string, error)) (won []string, refused int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range n {
		wg.Go(func() {
			id, err := attempt()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, id)
			case errors.Is(err, refusal):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return won, refused
}

// SessionWithPayments is Session and SessionPayments in one: a session
// without payments has none (and is otherwise the same session), one with
// payments has them oldest first, and an unknown id is ErrNotFound.
func sessionWithPayments(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	got, pays, err := db.SessionWithPayments(ctx, s.ID)
	want, _ := db.Session(ctx, s.ID)
	if err != nil || len(pays) != 0 || got.ID != s.ID || !reflect.DeepEqual(got, want) {
		t.Fatalf("a session without payments: %+v %v %v, want %+v and none", got, pays, err, want)
	}
	first := NewPayment(s, 1)
	first.Status = checkout.PaymentFailed
	second := NewPayment(s, 2)
	for _, p := range []*checkout.Payment{first, second} {
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, pays, err = db.SessionWithPayments(ctx, s.ID)
	if err != nil || got.ID != s.ID || len(pays) != 2 || pays[0].ID != first.ID || pays[1].ID != second.ID {
		t.Fatalf("a session with two payments: %v %v %v", got, pays, err)
	}
	if _, _, err := db.SessionWithPayments(ctx, checkout.RandomIDs{}.NewID(checkout.PrefixSession)); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("an unknown session: %v, want ErrNotFound", err)
	}
}
