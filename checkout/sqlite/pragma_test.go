package sqlite

import (
	"context"
	"path/filepath"
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
