package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/checkout/storetest"
)

func MustOpen(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(tb.TempDir(), "sub", "checkout.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func MustSession(tb testing.TB, db *sqlstore.DB) (*checkout.Merchant, *checkout.Session) {
	tb.Helper()
	return storetest.MustSession(tb, db)
}

func newPayment(s *checkout.Session, attempt int) *checkout.Payment {
	return storetest.NewPayment(s, attempt)
}

// TestStoreConformance runs the store conformance suite on SQLite.
func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) checkout.Store { return MustOpen(t) })
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	_, s := MustSession(t, db)
	db.Close()
	db, err = sqlstore.Open(ctx, path)
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

// The database holds webhook secrets and key hashes: a new database and its
// WAL are readable by their owner only, whatever the umask.
func TestNewDatabaseIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlstore.Open(context.Background(), path)
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

// A session completes, and its completion event is written, only if it was
// still open.
func TestSessionChangeEventsOnlyWhenTheSessionMoved(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlstore.Open(ctx, path)
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

func newEvent(s *checkout.Session, typ checkout.EventType, notify string) checkout.Event {
	return checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: typ, CreatedAt: now,
		Notify: notify, Object: map[string]any{"id": s.ID}}
}
