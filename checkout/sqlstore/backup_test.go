package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

// commitLog is what a writer committed, in order: a session id, then its
// payment's id, and so on.
type commitLog struct {
	mu  sync.Mutex
	ids []string
	err error
}

func (l *commitLog) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
}

func (l *commitLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

// waitFor returns once the log holds n ids (or the writer failed).
func (l *commitLog) waitFor(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		got, err := len(l.ids), l.err
		l.mu.Unlock()
		if err != nil {
			tb.Fatalf("writer: %v", err)
		}
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatalf("the writer committed fewer than %d rows in 30 s", n)
}

// writeUntil keeps creating sessions and their payments through the store
// until stop is closed; log records each commit in order.
func writeUntil(db *sqlstore.DB, m *checkout.Merchant, log *commitLog, stop <-chan struct{}) {
	ctx := context.Background()
	ids := checkout.RandomIDs{}
	for {
		select {
		case <-stop:
			return
		default:
		}
		s := &checkout.Session{
			ID: ids.NewID(checkout.PrefixSession), MerchantID: m.ID, Status: checkout.SessionOpen,
			Amount: checkout.Money{Amount: 1999, Currency: "USD"}, LineItems: []checkout.LineItem{{Name: "Mug", Quantity: 1, UnitAmount: 1999}},
			Locale: "en", SuccessURL: "https://shop.test/ok", PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard},
			Provider: "payorder", CaptureMode: checkout.CaptureAutomatic, ThreeDS: checkout.ThreeDSAutomatic,
			ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now,
		}
		err := db.CreateSession(ctx, s, checkout.Event{ID: ids.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: checkout.EventSessionCreated, CreatedAt: now})
		if err == nil {
			log.add(s.ID)
			p := newPayment(s, 1)
			if err = db.CreatePayment(ctx, p); err == nil {
				log.add(p.ID)
			}
		}
		if err != nil {
			log.mu.Lock()
			log.err = err
			log.mu.Unlock()
			return
		}
	}
}

// present reports whether a logged id (session or payment) is in db.
func present(tb testing.TB, db *sqlstore.DB, id string) bool {
	tb.Helper()
	ctx := context.Background()
	var err error
	if strings.HasPrefix(id, checkout.PrefixSession) {
		_, err = db.Session(ctx, id)
	} else {
		_, err = db.Payment(ctx, id)
	}
	if errors.Is(err, checkout.ErrNotFound) {
		return false
	}
	if err != nil {
		tb.Fatal(err)
	}
	return true
}

// A backup taken while a writer keeps committing sessions and payments is a
// sound database holding one moment of the original: every row committed
// before the backup started, and of the later ones an unbroken prefix (one
// snapshot, nothing torn). The original keeps taking writes throughout, and
// the restore drill (the copy put at a fresh CHECKOUT_DB and opened as the
// server would) finds the rows with no migration run again.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "checkout.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, _ := MustSession(t, db)

	var log commitLog
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		writeUntil(db, m, &log, stop)
	}()
	stopWriter := sync.OnceFunc(func() { close(stop); <-stopped })
	defer stopWriter()

	log.waitFor(t, 40)
	before := log.snapshot()
	backup := filepath.Join(dir, "backups", "checkout-backup.db")
	if err := os.Mkdir(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	size, err := db.Backup(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	during := len(log.snapshot()) - len(before)
	// The original keeps working: the writer goes on committing after the
	// backup, on the same connections.
	log.waitFor(t, len(before)+during+20)
	stopWriter()
	all := log.snapshot()
	t.Logf("%d rows committed before the backup, %d while it ran, %d in all; backup %d bytes", len(before), during, len(all), size)

	if info, err := os.Stat(backup); err != nil || info.Size() != size || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, reported size %d", info, err, size)
	}
	if entries, _ := os.ReadDir(filepath.Dir(backup)); len(entries) != 1 {
		t.Fatalf("the backup directory holds %v, want the backup alone", entries)
	}
	raw, err := sql.Open("sqlite", "file:"+backup+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var integrity string
	if err := raw.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check: %q %v", integrity, err)
	}
	var orphans int
	if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM pragma_foreign_key_check").Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("foreign_key_check: %d rows %v", orphans, err)
	}
	var migrations int
	var lastApplied int64
	if err := raw.QueryRowContext(ctx, "SELECT count(*), max(applied_at) FROM schema_migrations").Scan(&migrations, &lastApplied); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	// The restore drill: the server is stopped, the backup is put at a
	// fresh CHECKOUT_DB, and the server opens it.
	restored := filepath.Join(t.TempDir(), "data", "checkout.db")
	copyFile(t, backup, restored)
	rdb, err := sqlstore.Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	k := 0
	for k < len(all) && present(t, rdb, all[k]) {
		k++
	}
	if k < len(before) {
		t.Fatalf("the restored backup lacks %s, committed before the backup started (%d of %d there)", all[k], k, len(before))
	}
	for _, id := range all[k:] {
		if present(t, rdb, id) {
			t.Fatalf("the restored backup holds the first %d commits, then %s again: not one snapshot", k, id)
		}
	}
	if _, s := MustSession(t, rdb); !present(t, rdb, s.ID) {
		t.Fatal("the restored database does not take writes")
	}
	rdb.Close()
	raw, err = sql.Open("sqlite", "file:"+restored+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var migrationsAfter int
	var lastAppliedAfter int64
	if err := raw.QueryRowContext(ctx, "SELECT count(*), max(applied_at) FROM schema_migrations").Scan(&migrationsAfter, &lastAppliedAfter); err != nil {
		t.Fatal(err)
	}
	if migrationsAfter != migrations || lastAppliedAfter != lastApplied {
		t.Fatalf("opening the restored copy ran migrations: %d (last %d), backup had %d (last %d)", migrationsAfter, lastAppliedAfter, migrations, lastApplied)
	}

	// And the original still serves reads and writes after it all.
	for _, id := range all {
		if !present(t, db, id) {
			t.Fatalf("the original lost %s", id)
		}
	}
	if _, s := MustSession(t, db); !present(t, db, s.ID) {
		t.Fatal("the original no longer takes writes")
	}
}

// A backup never replaces a file, and a backup that fails leaves nothing
// behind: no file under the final name, no temporary file.
func TestBackupRefusesExistingFileAndLeavesNothingOnFailure(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	MustSession(t, db)
	dir := t.TempDir()

	existing := filepath.Join(dir, "taken.db")
	if err := os.WriteFile(existing, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(ctx, existing); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("backup onto an existing file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "an older backup" {
		t.Fatalf("the existing file changed: %q", b)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Backup(cancelled, filepath.Join(dir, "cancelled.db")); err == nil {
		t.Fatal("a cancelled backup succeeded")
	}
	if _, err := db.Backup(ctx, filepath.Join(dir, "missing", "b.db")); err == nil {
		t.Fatal("a backup into a missing directory succeeded")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "taken.db" {
		t.Fatalf("left behind: %v", entries)
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		tb.Fatal(err)
	}
	src, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
}
