package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// timedDB is the pool, with the time of each statement run outside a
// transaction added to the request's checkout.Timing (transactions are
// timed whole by DB.tx).
type timedDB struct{ *sql.DB }

func (t timedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer checkout.DBTime(ctx, time.Now())
	return t.DB.ExecContext(ctx, query, args...)
}

func (t timedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer checkout.DBTime(ctx, time.Now())
	return t.DB.QueryContext(ctx, query, args...)
}

func (t timedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	defer checkout.DBTime(ctx, time.Now())
	return t.DB.QueryRowContext(ctx, query, args...)
}

// Pool is the database/sql pool, for its statistics (the metrics).
func (d *DB) Pool() *sql.DB { return d.db.DB }
