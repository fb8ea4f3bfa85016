package sqlstore

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
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
