package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web"
)

// BackupCommand runs `checkout backup -to FILE`: a consistent copy of the
// database of the configuration (CHECKOUT_DB; nothing else is needed), safe
// while the server runs. It never overwrites a file, and a copy cut short
// (ctx cancelled, a full disk) leaves no file under the name. It returns the
// process exit code.
func BackupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const usage = "usage: checkout backup -to FILE"
	flags := flag.NewFlagSet("backup", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, usage)
		flags.PrintDefaults()
	}
	to := flags.String("to", "", "the file to write; it must not exist yet")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *to == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cfg, err := web.ReadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "checkout: configuration:", err)
		return 2
	}
	if cfg.Postgres() {
		fmt.Fprintln(stderr, "checkout: backup copies the SQLite file; for PostgreSQL (CHECKOUT_DATABASE_URL) use pg_dump or the server's own backups (see the README's operations section)")
		return 2
	}
	// Opening would create an empty database where CHECKOUT_DB names none
	// (a typo), and back that up.
	if _, err := os.Stat(cfg.DBPath); err != nil {
		fmt.Fprintln(stderr, "checkout: database:", err)
		return 1
	}
	db, err := sqlstore.OpenWith(ctx, cfg.DBPath, cfg.SQLiteOptions())
	if err != nil {
		fmt.Fprintln(stderr, "checkout: database:", err)
		return 1
	}
	defer db.Close()
	target, err := filepath.Abs(*to)
	if err != nil {
		fmt.Fprintln(stderr, "checkout:", err)
		return 1
	}
	size, err := db.Backup(ctx, target)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "checkout: %s already exists; a backup never overwrites a file\n", target)
		return 1
	} else if err != nil {
		fmt.Fprintln(stderr, "checkout:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup: %s (%d bytes)\n", target, size)
	return 0
}
