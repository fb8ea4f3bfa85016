package sqlstore

import (
	"context"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Migration 0015 leaves merchants made before it without a return secret
// (an empty one), for Go to fill one by one in a guarded statement; the
// table takes nothing but an empty secret or an rsec_ secret of the right
// length, and the merchant's own events are read through their partial
// index.
func TestReturnSecretMigration(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, oldDatabase(t, 13, `
INSERT INTO merchants (id, name, api_key_hash, default_provider, created_at) VALUES ('mer_1', 'Shop', 'h1', 'payorder', 1),
	('mer_2', 'Shop 2', 'h2', 'payorder', 1);`))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, id := range []string{"mer_1", "mer_2"} {
		m, err := d.Merchant(ctx, id)
		if err != nil || m.ReturnSecret != "" || m.PreviousReturnSecret != "" || !m.PreviousReturnSecretExpiresAt.IsZero() {
			t.Fatalf("legacy merchant %s: %+v %v", id, m, err)
		}
	}
	a, err := d.EnsureReturnSecret(ctx, "mer_1", checkout.NewReturnSecret())
	if err != nil || !checkout.ValidReturnSecret(a.ReturnSecret) {
		t.Fatalf("mer_1's secret: %+v %v", a, err)
	}
	if b, _ := d.EnsureReturnSecret(ctx, "mer_2", checkout.NewReturnSecret()); b.ReturnSecret == a.ReturnSecret {
		t.Fatal("two merchants got the same secret")
	}
	for _, bad := range []string{"rsec_short", "whsec_" + strings.Repeat("A", 43), strings.Repeat("x", 48)} {
		if _, err := d.db.ExecContext(ctx, `UPDATE merchants SET return_secret = ? WHERE id = 'mer_1'`, bad); err == nil {
			t.Errorf("the table took return secret %q", bad)
		}
	}
	var plan string
	rows, err := d.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM events WHERE merchant_id = ? AND session_id = '' ORDER BY seq DESC LIMIT 10`, "mer_1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "; "
	}
	if !strings.Contains(plan, "events_of_merchant") || strings.Contains(plan, "TEMP B-TREE") {
		t.Fatalf("MerchantEvents' query plan: %s", plan)
	}
}
