package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlite"
)

func MustOpen(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "sub", "checkout.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func MustSession(tb testing.TB, db *sqlite.DB) (*checkout.Merchant, *checkout.Session) {
	tb.Helper()
	ctx := context.Background()
	ids := checkout.RandomIDs{}
	m := &checkout.Merchant{ID: ids.NewID(checkout.PrefixMerchant), Name: "Shop", APIKeyHash: checkout.HashAPIKey(checkout.NewSecretKey(false)), DefaultProvider: "payorder", CreatedAt: now}
	if err := db.SaveMerchant(ctx, m); err != nil {
		tb.Fatal(err)
	}
	s := &checkout.Session{
		ID: ids.NewID(checkout.PrefixSession), MerchantID: m.ID, Status: checkout.SessionOpen,
		Amount: checkout.Money{Amount: 1999, Currency: "USD"}, LineItems: []checkout.LineItem{{Name: "Mug", Quantity: 1, UnitAmount: 1999}},
		Locale: "en", SuccessURL: "https://shop.test/ok", PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard},
		Provider: "payorder", CaptureMode: checkout.CaptureAutomatic, ThreeDS: checkout.ThreeDSAutomatic,
		Metadata: map[string]string{"order": "42"}, ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now,
	}
	if err := db.CreateSession(ctx, s, checkout.Event{ID: ids.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: checkout.EventSessionCreated, CreatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	return m, s
}

func newPayment(s *checkout.Session, attempt int) *checkout.Payment {
	return &checkout.Payment{
		ID: checkout.RandomIDs{}.NewID(checkout.PrefixPayment), SessionID: s.ID, MerchantID: s.MerchantID, Provider: "payorder",
		Method: checkout.MethodCard, Status: checkout.PaymentCreated, Amount: s.Amount, CaptureMode: s.CaptureMode,
		Card:    &checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "424242", Last4: "4242", ExpMonth: 12, ExpYear: 2030},
		Attempt: attempt, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	_, s := MustSession(t, db)
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Session(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount != s.Amount || got.LineItems[0].Name != "Mug" || got.Metadata["order"] != "42" || !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("round trip changed the session: %+v", got)
	}
}

func newEvent(s *checkout.Session, typ checkout.EventType, notify string) checkout.Event {
	return checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: typ, CreatedAt: now,
		Notify: notify, Object: map[string]any{"id": s.ID}}
}

// The guards that keep expiry and payment apart are in the statements: a
// session with an active payment is not expired, a payment is not created
// on a session that is not open or is past its time, and the expiry's
// event is written only when the row changed.
func TestExpiryAndPaymentGuards(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	_, s := MustSession(t, db)
	if err := db.ExpireSession(ctx, s.ID, now, true, newEvent(s, checkout.EventSessionExpired, "")); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("expiring by time before expires_at: %v, want ErrConflict", err)
	}
	p := newPayment(s, 1)
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
	if err := db.CreatePayment(ctx, newPayment(s, 2)); !errors.Is(err, checkout.ErrSessionNotOpen) {
		t.Fatalf("payment on an expired session: %v, want ErrSessionNotOpen", err)
	}

	// Open, but past its time (the sweeper has not come by): no payment.
	_, late := MustSession(t, db)
	lateP := newPayment(late, 1)
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

// A session completes, and its completion event is written, only if it was
// still open.
func TestSessionChangeEventsOnlyWhenTheSessionMoved(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_, s := MustSession(t, db)
	p := newPayment(s, 1)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Status, p.Version = checkout.PaymentPending, 2
	if err := db.UpdatePayment(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	// Force the session closed under the payment (as a bug or an operator
	// would): the completion must not be announced.
	if _, err := raw.ExecContext(ctx, `UPDATE sessions SET status = 'expired' WHERE id = ?`, s.ID); err != nil {
		t.Fatal(err)
	}
	p.Status, p.Version = checkout.PaymentSucceeded, 3
	done := newEvent(s, checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)
	if err := db.UpdatePayment(ctx, p, &checkout.SessionChange{From: checkout.SessionOpen, To: checkout.SessionComplete,
		Events: []checkout.Event{done}}); err != nil {
		t.Fatal(err)
	}
	events, _ := db.SessionEvents(ctx, s.ID)
	for _, e := range events {
		if e.Type == checkout.EventSessionCompleted {
			t.Fatal("a session that did not move was announced complete")
		}
	}
}

func TestOneActivePaymentPerSession(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	_, s := MustSession(t, db)

	// Twenty concurrent attempts: exactly one insert wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.CreatePayment(ctx, newPayment(s, 1))
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
	if err := db.CreatePayment(ctx, newPayment(s, 2)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("second attempt while first active: %v", err)
	}
	p.Status, p.Version = checkout.PaymentFailed, p.Version+1
	if err := db.UpdatePayment(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePayment(ctx, newPayment(s, 2)); err != nil {
		t.Fatalf("retry after a failed attempt: %v", err)
	}
}

func TestUpdatePaymentCompareAndSetAndSessionChange(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	_, s := MustSession(t, db)
	p := newPayment(s, 1)
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

func TestPaymentsToCheck(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	_, s := MustSession(t, db)
	p := newPayment(s, 1)
	p.Status, p.NextCheckAt = checkout.PaymentPending, now.Add(5*time.Second)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.PaymentsToCheck(ctx, now, 10); len(due) != 0 {
		t.Fatalf("due before its time: %d", len(due))
	}
	if due, _ := db.PaymentsToCheck(ctx, now.Add(6*time.Second), 10); len(due) != 1 || due[0].ID != p.ID {
		t.Fatalf("due after its time: %v", due)
	}
}

func TestIdempotencyRecords(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	m, _ := MustSession(t, db)
	rec := checkout.IdempotencyRecord{MerchantID: m.ID, Key: "k1", RequestHash: "h1", LockedUntil: now.Add(time.Minute), CreatedAt: now}

	if got, err := db.BeginIdempotent(ctx, rec); err != nil || got != nil {
		t.Fatalf("first claim: %v %v", got, err)
	}
	got, err := db.BeginIdempotent(ctx, rec)
	if err != nil || got == nil || got.Done() {
		t.Fatalf("claim while in flight: %+v %v", got, err)
	}
	if err := db.CompleteIdempotent(ctx, m.ID, "k1", 201, []byte(`{"id":"x"}`)); err != nil {
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
	if err := db.ReleaseIdempotent(ctx, m.ID, "k2"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PruneIdempotent(ctx, now.Add(time.Second)); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
}

// The database holds webhook secrets and key hashes: a new database and its
// WAL are readable by their owner only, whatever the umask.
func TestNewDatabaseIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	MustSession(t, db) // a write, so that the WAL exists
	for _, f := range []string{path, path + "-wal"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s is %v, want -rw-------", filepath.Base(f), mode)
		}
	}
}
