package sqlstore_test

import (
	"context"
	"os"
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
