package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// oldDatabase builds a database as the migrations up to and including
// version `upTo` left it, with rows written by seed.
func oldDatabase(t *testing.T, upTo int, seed string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, _ := strconv.Atoi(num)
		if v > upTo {
			break
		}
		body, _ := migrations.ReadFile(name)
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, v, base); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(seed); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 12, defects 2 and 3, for data written before the fix: a payment a
// crash left `created` is handed to the reconciler; a pending refund that
// was counted as refunded is moved back to reserved, its payment no longer
// (partially) refunded, and is inquired; an authorization gets its check.
func TestMigrationGivesLegacyRowsAWayOut(t *testing.T) {
	ctx := context.Background()
	const at = 1_800_000_000_000
	seed := strings.NewReplacer("AT", strconv.Itoa(at)).Replace(`
INSERT INTO merchants (id, name, api_key_hash, default_provider, created_at) VALUES ('mer_1', 'Shop', 'h', 'worldline', AT);
INSERT INTO sessions (id, merchant_id, status, amount, currency, locale, success_url, payment_methods, provider, capture_mode, three_ds, expires_at, created_at, updated_at)
VALUES ('cs_created', 'mer_1', 'open', 2500, 'EUR', 'en', 'https://shop.test/ok', '["card"]', 'worldline', 'automatic', 'automatic', AT + 3600000, AT, AT),
       ('cs_refunded', 'mer_1', 'complete', 2500, 'EUR', 'en', 'https://shop.test/ok', '["card"]', 'worldline', 'automatic', 'automatic', AT + 3600000, AT, AT),
       ('cs_authorized', 'mer_1', 'complete', 2500, 'EUR', 'en', 'https://shop.test/ok', '["card"]', 'worldline', 'manual', 'automatic', AT + 3600000, AT, AT);
INSERT INTO payments (id, session_id, merchant_id, provider, method, status, amount, currency, capture_mode, attempt, version, created_at, updated_at, amount_refunded)
VALUES ('pay_created', 'cs_created', 'mer_1', 'worldline', 'card', 'created', 2500, 'EUR', 'automatic', 1, 1, AT, AT, 0),
       ('pay_refunded', 'cs_refunded', 'mer_1', 'worldline', 'card', 'partially_refunded', 2500, 'EUR', 'automatic', 1, 3, AT, AT, 1500),
       ('pay_authorized', 'cs_authorized', 'mer_1', 'worldline', 'card', 'authorized', 2500, 'EUR', 'manual', 1, 2, AT, AT, 0);
INSERT INTO refunds (id, payment_id, session_id, merchant_id, status, amount, currency, created_at, updated_at)
VALUES ('re_ok', 'pay_refunded', 'cs_refunded', 'mer_1', 'succeeded', 500, 'EUR', AT, AT),
       ('re_pending', 'pay_refunded', 'cs_refunded', 'mer_1', 'pending', 1000, 'EUR', AT, AT);
`)
	d, err := Open(ctx, oldDatabase(t, 9, seed))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	p, err := d.Payment(ctx, "pay_created")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != checkout.PaymentProcessing || p.NextCheckAt.IsZero() {
		t.Fatalf("a payment left created: %s, next check %v", p.Status, p.NextCheckAt)
	}
	due, err := d.PaymentsToCheck(ctx, time.UnixMilli(at).Add(3*time.Minute), time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, x := range due {
		ids = append(ids, x.ID)
	}
	if !slices.Contains(ids, "pay_created") || slices.Contains(ids, "pay_authorized") {
		t.Fatalf("due for a check 3 minutes on: %v", ids)
	}
	if due, _ := d.PaymentsToCheck(ctx, time.UnixMilli(at).Add(8*24*time.Hour), time.Millisecond, 10); len(due) != 2 {
		t.Fatalf("%d payments due after 8 days, want the stranded one and the authorization", len(due))
	}

	p, err = d.Payment(ctx, "pay_refunded")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != checkout.PaymentPartiallyRefunded || p.AmountRefunded != 500 || p.AmountRefundPending != 1000 {
		t.Fatalf("payment with a pending refund: %s, refunded %d, pending %d", p.Status, p.AmountRefunded, p.AmountRefundPending)
	}
	refunds, err := d.RefundsToCheck(ctx, time.UnixMilli(at).Add(time.Second), time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(refunds) != 1 || refunds[0].ID != "re_pending" {
		t.Fatalf("refunds due: %+v", refunds)
	}
}
