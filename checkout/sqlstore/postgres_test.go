package sqlstore_test

import (
	"context"
	"database/sql"
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
