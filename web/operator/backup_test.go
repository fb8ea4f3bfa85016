package operator_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// `checkout backup -to FILE` copies the database of a running server, says
// what it wrote, refuses a target that exists and bad usage, and the copy,
// put at a fresh CHECKOUT_DB, is the same shop.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "checkout.db")
	envFor := func(path string) func(string) string {
		return func(k string) string {
			if k == "CHECKOUT_DB" {
				return path
			}
			return ""
		}
	}
	backup := func(path string, args ...string) (int, string, string) {
		var out, errs strings.Builder
		code := operator.BackupCommand(context.Background(), args, envFor(path), &out, &errs)
		return code, out.String(), errs.String()
	}

	for _, bad := range [][]string{{}, {"-to"}, {"-to", ""}, {"-to", filepath.Join(dir, "b.db"), "extra"}, {"extra"}, {"-force", "-to", "x"}} {
		if code, _, errs := backup(db, bad...); code != 2 || !strings.Contains(errs, "usage: checkout backup -to FILE") {
			t.Errorf("%q: exit %d, %s", bad, code, errs)
		}
	}
	if code, _, errs := backup(db, "-to", filepath.Join(dir, "b.db")); code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("no database yet: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("backing up a missing database created it")
	}

	var out strings.Builder
	if code := operator.MerchantsCommand([]string{"create", "-name", "Corner Shop", "-test", "-return-origin", "https://shop.example"}, envFor(db), &out, &out); code != 0 {
		t.Fatalf("create a merchant: %d %s", code, out.String())
	}
	merchant := regexp.MustCompile(`merchant:\s+(mer_\S+)`).FindStringSubmatch(out.String())
	if merchant == nil {
		t.Fatalf("create printed %s", out.String())
	}

	// The server runs on the database while the backup is taken.
	ctx, cancel := context.WithCancel(context.Background())
	app, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", DBPath: db, Mode: web.ModeSandbox, LogFormat: "text"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- app.Run(ctx) }()
	defer func() { cancel(); <-stopped }()

	target := filepath.Join(dir, "backups", "checkout-1.db")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := backup(db, "-to", target)
	info, err := os.Stat(target)
	if code != 0 || err != nil || stdout != fmt.Sprintf("backup: %s (%d bytes)\n", target, info.Size()) {
		t.Fatalf("backup: exit %d, %q %s, %v", code, stdout, errs, err)
	}
	// A second backup to the same name is refused and changes nothing.
	if code, _, errs := backup(db, "-to", target); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("backup onto an existing file: exit %d, %s", code, errs)
	}
	if again, err := os.Stat(target); err != nil || !again.ModTime().Equal(info.ModTime()) || again.Size() != info.Size() {
		t.Fatalf("the existing backup changed: %v %v", again, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) != 1 {
		t.Fatalf("left in the backup directory: %v", entries)
	}

	// The restore drill: the copy at a fresh CHECKOUT_DB holds the merchant.
	restored := filepath.Join(t.TempDir(), "data", "checkout.db")
	if err := os.MkdirAll(filepath.Dir(restored), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := operator.MerchantsCommand([]string{"list"}, envFor(restored), &out, &out); code != 0 || !strings.Contains(out.String(), merchant[1]) {
		t.Fatalf("merchants in the restored copy: %d %s", code, out.String())
	}
}
