package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
)

// counters count what the store asks of the database: statements (in and
// out of transactions) and commits (a transaction's, or a writing
// statement's outside one). DB.Counts reads them (make bench).
type counters struct{ statements, commits, retries atomic.Int64 }

// Counts is how many statements and commits the store has run since it
// opened.
func (d *DB) Counts() (statements, commits int64) {
	return d.counts.statements.Load(), d.counts.commits.Load()
}

// Retries is how many transactions PostgreSQL refused (a serialization
// failure or a deadlock) and the store ran again, since it opened.
func (d *DB) Retries() int64 { return d.counts.retries.Load() }

// writes says whether a statement changes rows (its commit, outside a
// transaction, is one).
func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "REPLAC":
		return true
	}
	return false
}

// sqliteConnector opens SQLite connections that keep their prepared
// statements (cachingConn).
type sqliteConnector struct {
	drv    driver.Driver
	dsn    string
	counts *counters
	// writer is this process's turn to write to the file: held for a
	// transaction (each begins IMMEDIATE, taking SQLite's write lock) and
	// for a writing statement outside one. SQLite lets one writer in at a
	// time and makes the others wait in its busy handler, which sleeps
	// 1 ms, then 2, 5, 10… between tries: under load most of a writer's
	// wait was those sleeps, not the lock (make bench: Worldline's p99 at
	// 16 shoppers). Waiting on the mutex, a writer starts as soon as the
	// one before it ends. A writer in another process (an operator
	// command) still meets the busy handler.
	writer *sync.Mutex
}

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	base, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: the driver's connection lacks the context methods")
	}
	return &cachingConn{base: base, stmts: map[string]*cachedStmt{}, counts: c.counts, writer: c.writer}, nil
}

func (c sqliteConnector) Driver() driver.Driver { return c.drv }

// driverConn is what both drivers' connections implement and the store's
// wrappers (cachingConn, pgConn) use.
type driverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
}

// sqliteConn is what the SQLite driver's connection implements and the
// store uses.
type sqliteConn interface {
	driverConn
	driver.Validator
}

// maxCachedStmts bounds a connection's prepared statements: the store has
// a few hundred distinct ones (the lists' filters make variants).
const maxCachedStmts = 512

// cachingConn is a SQLite connection that prepares each statement once and
// runs it again at every call (SQLite then parses no SQL on the hot path;
// the driver resets a statement after each use). A statement whose rows are
// still being read when the same text runs again (a query inside a loop
// over another's rows) is prepared apart for that call. database/sql gives
// a connection to one goroutine at a time, so the map needs no lock.
type cachingConn struct {
	base   sqliteConn
	stmts  map[string]*cachedStmt
	counts *counters
	inTx   bool
	writer *sync.Mutex
}

type cachedStmt struct {
	stmt   driver.Stmt
	busy   bool // its rows are open
	writes bool
}

// cached is the connection's statement for query, prepared now if it is
// new; nil when it is busy.
func (c *cachingConn) cached(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	stmt, err := c.base.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) >= maxCachedStmts {
		for q, s := range c.stmts {
			if !s.busy {
				_ = s.stmt.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	s := &cachedStmt{stmt: stmt, writes: writes(query)}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) count(query string, writes bool) {
	c.counts.statements.Add(1)
	if !c.inTx && writes {
		c.counts.commits.Add(1)
	}
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.cached(ctx, query)
	if err != nil {
		return nil, err
	}
	w := s == nil && writes(query) || s != nil && s.writes
	if w && !c.inTx && c.writer != nil {
		c.writer.Lock()
		defer c.writer.Unlock()
	}
	if s == nil {
		c.count(query, w)
		return c.base.ExecContext(ctx, query, args)
	}
	c.count(query, s.writes)
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.cached(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		c.count(query, writes(query))
		return c.base.QueryContext(ctx, query, args)
	}
	c.count(query, s.writes)
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// cachedRows frees its statement for the next call when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	r.s.busy = false
	return r.Rows.Close()
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.base.PrepareContext(context.Background(), query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.base.PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.writer != nil {
		c.writer.Lock()
	}
	tx, err := c.base.BeginTx(ctx, opts)
	if err != nil {
		if c.writer != nil {
			c.writer.Unlock()
		}
		return nil, err
	}
	c.inTx = true
	return countedTx{Tx: tx, inTx: &c.inTx, counts: c.counts, writer: c.writer}, nil
}

// countedTx is a connection's transaction (SQLite's or PostgreSQL's): its
// end clears the connection's inTx, and its commit is counted.
type countedTx struct {
	driver.Tx
	inTx   *bool
	counts *counters
	writer *sync.Mutex // SQLite's (sqliteConnector.writer); nil on PostgreSQL
}

func (t countedTx) Commit() error {
	defer t.end()
	t.counts.commits.Add(1)
	return t.Tx.Commit()
}

func (t countedTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

// end clears the connection's inTx and, on SQLite, gives the writer's
// turn back; database/sql ends a transaction once.
func (t countedTx) end() {
	*t.inTx = false
	if t.writer != nil {
		t.writer.Unlock()
	}
}

func (c *cachingConn) Close() error {
	for q, s := range c.stmts {
		_ = s.stmt.Close()
		delete(c.stmts, q)
	}
	return c.base.Close()
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.base.Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error { return c.base.ResetSession(ctx) }

func (c *cachingConn) IsValid() bool { return c.base.IsValid() }
