// Package sqlstore implements checkout.Store in SQL, on SQLite
// (modernc.org/sqlite, no cgo: the embedded default) or on PostgreSQL
// (github.com/jackc/pgx/v5: several instances on one database). The
// statements are written once (dialect.go says where the two differ);
// each dialect has its own embedded migrations. On SQLite: a WAL journal
// synced on every commit (synchronous=FULL unless the operator opts out),
// a busy timeout, secure_delete, and online backups (VACUUM INTO). On
// PostgreSQL: serializable transactions retried on a serialization
// failure, and migrations under an advisory lock.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql migrations_postgres/*.sql
var migrations embed.FS

// DB is the SQL checkout.Store.
type DB struct {
	db        timedDB
	dialect   dialect
	counts    *counters
	merchants merchantCache
}

var _ checkout.Store = (*DB)(nil)

// Sync is how hard SQLite pushes each commit to disk (PRAGMA synchronous in
// WAL mode).
type Sync string

// The Sync settings. The zero value means SyncFull.
const (
	// SyncFull fsyncs the WAL on every commit: a commit that was
	// acknowledged survives a power loss or an OS crash.
	SyncFull Sync = "full"
	// SyncNormal fsyncs only at checkpoints: faster, but the last commits
	// before a power loss or an OS crash may be lost (a process crash loses
	// nothing). For a payment system a lost payment row can mean a second
	// charge on retry, so this is an explicit opt-in.
	SyncNormal Sync = "normal"
)

// Options tunes Open; the zero value is the safe default.
type Options struct {
	Sync Sync // "" means SyncFull
}

// Open opens (creating the file and its directory if needed) and migrates
// the database at path with the default Options (synchronous=FULL).
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with explicit Options.
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	var synchronous string
	switch opts.Sync {
	case "", SyncFull:
		synchronous = "FULL"
	case SyncNormal:
		synchronous = "NORMAL"
	default:
		return nil, fmt.Errorf("sqlite: sync must be %q or %q, not %q", SyncFull, SyncNormal, opts.Sync)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	// The database holds webhook secrets and key hashes: a new file is
	// readable by its owner only (SQLite gives its -wal and -shm files the
	// same mode).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: create database file: %w", err)
	}
	// The pragmas go in the DSN so that the driver runs them on every new
	// connection of the pool, not only on the first.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(" + synchronous + ")", "secure_delete(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	probe, err := sql.Open("sqlite", dsn) // for the registered driver
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	drv := probe.Driver()
	probe.Close()
	counts := &counters{}
	db := sql.OpenDB(sqliteConnector{drv: drv, dsn: dsn, counts: counts, writer: &sync.Mutex{}})
	// Every connection stays open: database/sql keeps only 2 idle ones by
	// default, and a connection closed and opened again under load runs
	// its pragmas and prepares its statements again.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	d := &DB{db: timedDB{db}, dialect: sqliteDialect, counts: counts}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Synchronous reads PRAGMA synchronous from a pooled connection.
func (d *DB) Synchronous(ctx context.Context) (Sync, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
		return "", fmt.Errorf("sqlite: read synchronous: %w", err)
	}
	switch n {
	case 1:
		return SyncNormal, nil
	case 2:
		return SyncFull, nil
	}
	return "", fmt.Errorf("sqlite: synchronous is %d, neither NORMAL (1) nor FULL (2)", n)
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// migrationsDir is where the dialect's migrations are embedded.
func (d *DB) migrationsDir() string {
	if d.dialect == postgresDialect {
		return "migrations_postgres"
	}
	return "migrations"
}

// migrate applies the migrations not applied yet, each in a transaction
// of its own with its schema_migrations row.
func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("%s: migrations table: %w", d.dialect, err)
	}
	names, err := fs.Glob(migrations, d.migrationsDir()+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("%s: migration %s: name must start with a number", d.dialect, base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = d.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				version, base, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: migration %s: %w", d.dialect, base, err)
		}
	}
	return nil
}

// tx runs fn in one transaction: on SQLite an immediate one (writers take
// turns); on PostgreSQL a serializable one, run again from the start when
// PostgreSQL refuses it for a conflict with a concurrent one (so that
// every transaction behaves as if the writers had taken turns, as on
// SQLite). fn must be safe to run again.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return d.txAt(ctx, sql.LevelSerializable, fn)
}

// txGuarded is tx for a transaction whose guards are each the condition of
// one statement: a compare-and-set UPDATE (… WHERE version = ?, … AND
// status = ?) or an INSERT that a unique index refuses, with no guard that
// spans rows (no "insert only while no other row says otherwise"). On
// PostgreSQL it runs at READ COMMITTED, which keeps such guards (an UPDATE
// waits for a concurrent writer of its row and checks its WHERE clause
// again on the row as committed; a unique index sees uncommitted rows),
// and is not refused for conflicts that serializable isolation finds
// between unrelated rows sharing an index page. The transactions whose
// guard spans rows (a payment created only while its session is open and
// unexpired, a session expired only while it has no active payment) stay
// in tx. On SQLite, where writers take turns, it is tx.
func (d *DB) txGuarded(ctx context.Context, fn func(*sql.Tx) error) error {
	return d.txAt(ctx, sql.LevelReadCommitted, fn)
}

func (d *DB) txAt(ctx context.Context, level sql.IsolationLevel, fn func(*sql.Tx) error) error {
	defer checkout.DBTime(ctx, time.Now())
	var opts *sql.TxOptions
	if d.dialect == postgresDialect {
		opts = &sql.TxOptions{Isolation: level}
	}
	start := time.Now()
	for attempt := 0; ; attempt++ {
		err := d.tx1(ctx, opts, fn)
		if err == nil || d.dialect != postgresDialect || !retryable(err) || !retryAgain(attempt, start) {
			return err
		}
		d.counts.retries.Add(1)
		// A short, growing, random pause, so that the transactions that
		// collided do not collide again.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(txBackoff(attempt)):
		}
	}
}

// querier is the pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// claimed runs a claim (an UPDATE … RETURNING the rows it leased) in a
// transaction of its own and reads its rows there: on PostgreSQL a
// serialization failure may surface only while the rows are read, or at
// the commit, and the whole claim then runs again (DB.tx).
func claimed[T any](ctx context.Context, d *DB, read func(context.Context, querier, string, ...any) ([]T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = read(ctx, tx, query, args...)
		return err
	})
	return out, err
}

func (d *DB) tx1(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return checkout.ErrNotFound
	}
	return err
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || pgCode(err) == "23505")
}

// Ready reports whether the database answers and carries every migration
// this build embeds (/readyz): an instance of an older build, or one whose
// database is out of reach, takes no traffic.
func (d *DB) Ready(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	names, err := fs.Glob(migrations, d.migrationsDir()+"/*.sql")
	if err != nil || len(names) == 0 {
		return fmt.Errorf("no embedded migrations: %v", err)
	}
	sort.Strings(names)
	latest, _ := strconv.Atoi(strings.SplitN(filepath.Base(names[len(names)-1]), "_", 2)[0])
	var applied int
	if err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("migrations unreadable: %w", err)
	}
	if applied != latest {
		return fmt.Errorf("the database is at migration %d, this build at %d", applied, latest)
	}
	return nil
}
