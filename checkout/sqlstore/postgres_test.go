package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/checkout/storetest"
)

// cluster is this package's PostgreSQL (pgtest.Main).
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// MustOpenPostgres is a fresh, migrated PostgreSQL store on a database of
// its own, closed when tb ends.
func MustOpenPostgres(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	if cluster == nil {
		tb.Skip("no PostgreSQL (pgtest); CI fails instead")
	}
	d, err := sqlstore.OpenPostgres(context.Background(), cluster.NewDatabase(tb), sqlstore.PostgresOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// The store conformance suite on PostgreSQL: the same cases as on SQLite.
func TestPostgresStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) checkout.Store { return MustOpenPostgres(t) })
}

// Instances starting together on one new database migrate it once: the
// advisory lock lets one apply the migrations while the others wait, then
// find them applied. Without the lock, two would run the same CREATE TABLE.
func TestPostgresInstancesMigrateTogether(t *testing.T) {
	if cluster == nil {
		t.Skip("no PostgreSQL (pgtest); CI fails instead")
	}
	url := cluster.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := sqlstore.OpenPostgres(context.Background(), url, sqlstore.PostgresOptions{MaxConns: 2})
			if err == nil {
				d.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("an instance could not start: %v", err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, _ := filepath.Glob("migrations_postgres/*.sql")
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) || n == 0 {
		t.Fatalf("%d migrations recorded (%v), want each of the %d once", n, err, len(files))
	}
}

// Settling unrelated payments at once is never refused: a payment's
// update with its session's move (UpdatePayment) guards itself in single
// statements and runs at READ COMMITTED, where PostgreSQL does not refuse
// it for the page-level conflicts serializable isolation finds between
// rows that only share index pages (with serializable, 16 settlements at
// once were refused and run again more often than not). Each still
// settles once, and a stale version is still refused.
func TestPostgresSettlementsOfUnrelatedPaymentsAreNotRefused(t *testing.T) {
	db := MustOpenPostgres(t)
	ctx := context.Background()
	const n = 16
	var pays []*checkout.Payment
	var sessions []*checkout.Session
	for range n {
		_, s := MustSession(t, db)
		p := newPayment(s, 1)
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		pays, sessions = append(pays, p), append(sessions, s)
	}
	for round := range 5 {
		before := db.Retries()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, p := range pays {
			wg.Go(func() {
				next := *p
				next.Version = p.Version + 1
				next.Status = checkout.PaymentPending
				var change *checkout.SessionChange
				if round == 4 {
					next.Status = checkout.PaymentSucceeded
					change = &checkout.SessionChange{From: checkout.SessionOpen, To: checkout.SessionComplete,
						Events: []checkout.Event{newEvent(sessions[i], checkout.EventSessionCompleted, checkout.WebhookSessionCompleted)}}
				}
				err := db.UpdatePayment(ctx, &next, change, newEvent(sessions[i], checkout.EventPaymentStatus, ""))
				if err == nil {
					*p = next
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if r := db.Retries() - before; r != 0 {
			t.Fatalf("round %d: %d of %d settlements of unrelated payments were refused and run again", round, r, n)
		}
	}
	for i, p := range pays {
		if s, err := db.Session(ctx, sessions[i].ID); err != nil || s.Status != checkout.SessionComplete {
			t.Fatalf("session %d: %v %v", i, s, err)
		}
		stale := *p
		stale.Version = p.Version // the stored version is p.Version: this one expects p.Version-1
		if err := db.UpdatePayment(ctx, &stale, nil); !errors.Is(err, checkout.ErrConflict) {
			t.Fatalf("a stale version: %v, want ErrConflict", err)
		}
	}
}
