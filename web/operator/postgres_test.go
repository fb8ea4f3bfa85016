package operator_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

var pgCluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pgCluster)) }

// The operator commands work on PostgreSQL (CHECKOUT_DATABASE_URL) as on
// the SQLite file: a merchant and a dashboard user made with them are
// there to list; backup, which copies the SQLite file, says to use the
// database's own tools instead (exit 2), writing nothing.
func TestCommandsOnPostgres(t *testing.T) {
	if pgCluster == nil {
		t.Skip("no PostgreSQL (pgtest); CI fails instead")
	}
	url := pgCluster.NewDatabase(t)
	env := func(k string) string {
		if k == "CHECKOUT_DATABASE_URL" {
			return url
		}
		return ""
	}
	var out strings.Builder
	if code := operator.MerchantsCommand([]string{"create", "-name", "Shop", "-return-origin", "https://shop.example", "-test"},
		env, &out, &out); code != 0 {
		t.Fatalf("merchants create: %d %s", code, out.String())
	}
	mer := regexp.MustCompile(`mer_[0-9a-z]+`).FindString(out.String())
	out.Reset()
	if code := operator.UsersCommand([]string{"create", "-merchant", mer, "-email", "ada@shop.example"}, env, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("users create: %d %s", code, out.String())
	}
	out.Reset()
	if code := operator.UsersCommand([]string{"list", "-merchant", mer}, env, strings.NewReader(""), &out, &out); code != 0 || !strings.Contains(out.String(), "ada@shop.example") {
		t.Fatalf("users list: %d %s", code, out.String())
	}
	out.Reset()
	dir := t.TempDir()
	if code := operator.BackupCommand(context.Background(), []string{"-to", dir + "/b.db"}, env, &out, &out); code != 2 || !strings.Contains(out.String(), "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %d %s", code, out.String())
	}
	if _, err := os.Stat(dir + "/b.db"); err == nil {
		t.Fatal("backup wrote a file")
	}
}
