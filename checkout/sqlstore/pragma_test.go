package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Every pooled connection runs in WAL mode with a busy timeout, foreign
// keys and secure_delete (deleted rows are overwritten, not left in free pages).
func TestConnectionPragmas(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "checkout.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]string{"journal_mode": "wal", "busy_timeout": "10000", "foreign_keys": "1", "secure_delete": "1"}
	// Hold several connections at once so the check covers more than one.
	for i := 0; i < 4; i++ {
		conn, err := d.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for name, v := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, name, got, v)
			}
		}
	}
}

// Every connection the pool can hold syncs each commit to disk (FULL, 2) by
// default, and only fsyncs at checkpoints (NORMAL, 1) when the operator opts
// in. The test holds the pool's whole capacity at once, so no connection
// escapes the check.
func TestSynchronousOnEveryConnection(t *testing.T) {
	tests := []struct {
		name string
		open func(ctx context.Context, path string) (*DB, error)
		want int
	}{
		{"default", Open, 2},
		{"full", func(ctx context.Context, path string) (*DB, error) {
			return OpenWith(ctx, path, Options{Sync: SyncFull})
		}, 2},
		{"normal", func(ctx context.Context, path string) (*DB, error) {
			return OpenWith(ctx, path, Options{Sync: SyncNormal})
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d, err := tt.open(ctx, filepath.Join(t.TempDir(), "checkout.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			got := pragmaOnEveryConnection(t, d, "synchronous")
			for i, v := range got {
				if v != tt.want {
					t.Errorf("connection %d: PRAGMA synchronous = %d, want %d", i, v, tt.want)
				}
			}
		})
	}
	if _, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "checkout.db"), Options{Sync: "off"}); err == nil {
		t.Error("OpenWith accepted synchronous=off")
	}
}

// pragmaOnEveryConnection reads an integer pragma on as many connections as
// the pool may open, all held at the same time so that each is a different
// one.
func pragmaOnEveryConnection(t *testing.T, d *DB, name string) []int {
	t.Helper()
	ctx := context.Background()
	n := d.db.Stats().MaxOpenConnections
	got := make([]int, n)
	errs := make([]error, n)
	var held, done sync.WaitGroup
	release := make(chan struct{})
	held.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			conn, err := d.db.Conn(ctx)
			if err != nil {
				errs[i] = err
				held.Done()
				return
			}
			defer conn.Close()
			errs[i] = conn.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got[i])
			held.Done()
			<-release
		}()
	}
	held.Wait()
	if s := d.db.Stats(); s.OpenConnections != n || s.InUse != n {
		t.Errorf("%d connections open, %d in use; want all %d", s.OpenConnections, s.InUse, n)
	}
	close(release)
	done.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// Writers of one process take turns on the store's mutex, never in
// SQLite's busy handler (which sleeps 1, 2, 5… ms between tries): with
// every pooled connection's busy_timeout at 0, so that any writer that
// met another's lock would fail at once with SQLITE_BUSY, 16 goroutines
// writing at once (transactions committed and rolled back, and single
// statements outside one) all succeed, and each commit is counted.
func TestWritersTakeTurnsInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "checkout.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE turns (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	var conns []*sql.Conn
	for range 8 { // the pool's every connection
		conn, err := d.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	for _, c := range conns {
		c.Close()
	}
	refused := errors.New("refused on purpose")
	var wg sync.WaitGroup
	errs := make(chan error, 16*30)
	for g := range 16 {
		wg.Go(func() {
			for i := range 30 {
				var err error
				switch (g + i) % 3 {
				case 0:
					err = d.tx(ctx, func(tx *sql.Tx) error {
						_, err := tx.ExecContext(ctx, `INSERT INTO turns (n) VALUES (?)`, 1)
						return err
					})
				case 1:
					err = d.tx(ctx, func(tx *sql.Tx) error {
						if _, err := tx.ExecContext(ctx, `INSERT INTO turns (n) VALUES (?)`, 1000); err != nil {
							return err
						}
						return refused // rolled back: its turn must still be given back
					})
					if errors.Is(err, refused) {
						err = nil
					}
				default:
					_, err = d.db.ExecContext(ctx, `INSERT INTO turns (n) VALUES (?)`, 1)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a writer failed: %v", err)
	}
	var sum int
	if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM turns`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if want := 16 * 30 * 2 / 3; sum != want { // the two thirds that committed, 1 each
		t.Fatalf("the rows sum to %d, want %d", sum, want)
	}
}
