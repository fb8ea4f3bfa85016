package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgresOptions tunes OpenPostgres; the zero value is the default.
type PostgresOptions struct {
	// MaxConns bounds the pool (0: 16).
	MaxConns int
}

// migrationLock is the advisory lock instances starting together take
// around their migrations, so that one applies them and the others then
// find them applied.
const migrationLock = 7_306_204_411_733_512_001

// OpenPostgres opens and migrates the PostgreSQL database at url
// (postgres://user:password@host:port/database?sslmode=…), through pgx.
func OpenPostgres(ctx context.Context, url string, opts PostgresOptions) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Every statement, in a transaction or not, is serializable: the
	// guards that SQLite's one writer at a time makes safe (a count in an
	// INSERT's condition, say) stay safe with concurrent writers.
	cfg.RuntimeParams["default_transaction_isolation"] = "serializable"
	counts := &counters{}
	db := sql.OpenDB(pgConnector{base: stdlib.GetConnector(*cfg), counts: counts})
	conns := opts.MaxConns
	if conns <= 0 {
		conns = 16
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{db: timedDB{db}, dialect: postgresDialect, counts: counts}
	if err := d.migrateLocked(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// migrateLocked migrates under the advisory lock, held on a connection of
// its own for the whole run.
func (d *DB) migrateLocked(ctx context.Context) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, int64(migrationLock))
	}()
	return d.migrate(ctx)
}

// Transactions refused for a serialization failure are run again, up to
// maxTxAttempts more times and for txRetryBudget at most: with 16
// shoppers paying at once (make bench) PostgreSQL refused transactions of
// unrelated payments often enough (its predicate locks can cover whole
// pages) that 20 attempts in about a second and a half ran out.
const (
	maxTxAttempts = 100
	txRetryBudget = 10 * time.Second
)

// retryAgain says whether a statement or transaction refused for a
// serialization failure at its attempt (0-based), first tried at start,
// may run again.
func retryAgain(attempt int, start time.Time) bool {
	return attempt < maxTxAttempts && time.Since(start) < txRetryBudget
}

func txBackoff(attempt int) time.Duration {
	base := time.Millisecond << min(attempt, 6)
	return base + rand.N(base)
}

// pgCode is a PostgreSQL error's SQLSTATE, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// retryable reports a serialization failure or a deadlock: the
// transaction changed nothing and may be run again.
func retryable(err error) bool {
	switch pgCode(err) {
	case "40001", "40P01":
		return true
	}
	return false
}

// pgConnector makes pgx's database/sql connections speak the statements
// as the store writes them (rebind: $n placeholders, no INDEXED BY) and
// its flags as integers.
type pgConnector struct {
	base   driver.Connector
	counts *counters
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(stdlibConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("postgres: the pgx connection is a %T", conn)
	}
	return &pgConn{stdlibConn: sc, counts: c.counts}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.base.Driver() }

// stdlibConn is what pgx's stdlib connection implements and the store uses.
type stdlibConn interface {
	driverConn
	driver.NamedValueChecker
}

// pgConn is a connection: statements outside a transaction (which run
// serializable, the connection's default) are run again when PostgreSQL
// refuses them for a conflict with a concurrent one.
type pgConn struct {
	stdlibConn
	inTx   bool
	counts *counters
}

func (c *pgConn) count(query string) {
	c.counts.statements.Add(1)
	if !c.inTx && writes(query) {
		c.counts.commits.Add(1)
	}
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.stdlibConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return countedTx{Tx: tx, inTx: &c.inTx, counts: c.counts}, nil
}

// again runs one statement outside a transaction until it is not refused
// for a serialization failure (which changed nothing), a few times at most.
func again[T any](ctx context.Context, c *pgConn, run func() (T, error)) (T, error) {
	start := time.Now()
	for attempt := 0; ; attempt++ {
		v, err := run()
		if err == nil || c.inTx || !retryable(err) || !retryAgain(attempt, start) {
			return v, err
		}
		c.counts.retries.Add(1)
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(txBackoff(attempt)):
		}
	}
}

// rebound caches rebind's answers: the store's statements are few.
var rebound sync.Map

func pgQuery(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	r := rebind(q)
	rebound.Store(q, r)
	return r
}

// pgArgs is args with booleans as the integers the schema stores.
func pgArgs(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		if b, ok := a.Value.(bool); ok {
			if b {
				args[i].Value = int64(1)
			} else {
				args[i].Value = int64(0)
			}
		}
	}
	return args
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.stdlibConn.PrepareContext(context.Background(), pgQuery(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.stdlibConn.PrepareContext(ctx, pgQuery(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	q, a := pgQuery(query), pgArgs(args)
	c.count(query)
	return again(ctx, c, func() (driver.Result, error) { return c.stdlibConn.ExecContext(ctx, q, a) })
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, a := pgQuery(query), pgArgs(args)
	c.count(query)
	return again(ctx, c, func() (driver.Rows, error) { return c.stdlibConn.QueryContext(ctx, q, a) })
}
