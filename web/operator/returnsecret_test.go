package operator_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// `merchants create` prints the merchant's return secret once, beside its
// secret key, and stores it; `list` never shows it. `rotate-return-secret`
// prints a new one, the old one signing next to it for
// -expire-previous-in seconds (24 h by default, none with 0); a bad value
// or an unknown merchant exits 2 and changes nothing.
func TestMerchantsCommandReturnSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	env := func(k string) string {
		if k == "CHECKOUT_DB" {
			return path
		}
		return ""
	}
	cli := func(args ...string) (int, string) {
		var out, errs strings.Builder
		code := operator.MerchantsCommand(args, env, &out, &errs)
		return code, out.String() + errs.String()
	}
	secretRE := regexp.MustCompile(`return secret: (rsec_\S+)`)
	code, out := cli("create", "-name", "Corner Shop", "-test", "-return-origin", "https://shop.example")
	printed := secretRE.FindStringSubmatch(out)
	id := regexp.MustCompile(`merchant:\s+(mer_\S+)`).FindStringSubmatch(out)
	if code != 0 || printed == nil || id == nil || !checkout.ValidReturnSecret(printed[1]) || !strings.Contains(out, "secret key: sk_test_") {
		t.Fatalf("create: %d %s", code, out)
	}
	stored := func() *checkout.Merchant {
		t.Helper()
		db, err := sqlstore.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		m, err := db.Merchant(context.Background(), id[1])
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := stored(); m.ReturnSecret != printed[1] {
		t.Fatalf("stored %q, printed %q", m.ReturnSecret, printed[1])
	}
	if code, out := cli("list"); code != 0 || strings.Contains(out, "rsec_") {
		t.Fatalf("list: %d %s", code, out)
	}

	for _, bad := range [][]string{
		{"rotate-return-secret", "-id", id[1], "-expire-previous-in", "-1"},
		{"rotate-return-secret", "-id", id[1], "-expire-previous-in", "604801"},
		{"rotate-return-secret", "-id", id[1], "-expire-previous-in", "soon"},
		{"rotate-return-secret", "-id", "mer_nope"},
	} {
		if code, out := cli(bad...); code != 2 || strings.Contains(out, "rsec_") {
			t.Errorf("%v: exit %d (%s)", bad, code, out)
		}
	}
	if m := stored(); m.ReturnSecret != printed[1] || m.PreviousReturnSecret != "" {
		t.Fatal("a refused rotation changed the secret")
	}

	code, out = cli("rotate-return-secret", "-id", id[1])
	next := secretRE.FindStringSubmatch(out)
	if code != 0 || next == nil || next[1] == printed[1] || !strings.Contains(out, "signs next to it until") {
		t.Fatalf("rotate-return-secret: %d %s", code, out)
	}
	m := stored()
	if m.ReturnSecret != next[1] || m.PreviousReturnSecret != printed[1] ||
		m.PreviousReturnSecretExpiresAt.Before(time.Now().Add(24*time.Hour-time.Minute)) || m.PreviousReturnSecretExpiresAt.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("after rotation: %+v", m)
	}
	code, out = cli("rotate-return-secret", "-id", id[1], "-expire-previous-in", "0")
	last := secretRE.FindStringSubmatch(out)
	if code != 0 || last == nil || !strings.Contains(out, "no longer signs") {
		t.Fatalf("rotate-return-secret with 0: %d %s", code, out)
	}
	if m := stored(); m.ReturnSecret != last[1] || len(m.ReturnSecrets(time.Now())) != 1 {
		t.Fatalf("after a rotation with no overlap: %+v", m)
	}
}
