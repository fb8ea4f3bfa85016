package operator_test

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// merchants update takes the API's path (Service.UpdateMerchant): it sets
// and clears the support contacts with the API's checks, refuses a bad
// one with exit 2 and writes nothing, and every change it makes is a
// merchant.updated webhook. rotate-key's merchant.key_rotated webhook
// carries no key.
func TestMerchantsCommandSettingsAreEvents(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	env := func(k string) string {
		if k == "CHECKOUT_DB" {
			return db
		}
		return ""
	}
	cli := func(args ...string) (int, string) {
		var out, errs strings.Builder
		code := operator.MerchantsCommand(args, env, &out, &errs)
		return code, out.String() + errs.String()
	}
	code, out := cli("create", "-name", "Corner Shop", "-test", "-return-origin", "https://shop.example", "-webhook-url", "https://shop.example/hooks")
	if code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	id := regexp.MustCompile(`merchant:\s+(mer_\S+)`).FindStringSubmatch(out)[1]
	state := func() (*checkout.Merchant, []*checkout.WebhookDelivery) {
		t.Helper()
		s, err := sqlstore.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		m, err := s.Merchant(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := s.WebhookDeliveries(context.Background(), id, 100)
		if err != nil {
			t.Fatal(err)
		}
		return m, ds
	}

	if code, out := cli("update", "-id", id, "-support-email", "help@shop.example", "-support-url", "https://shop.example/help"); code != 0 ||
		!strings.Contains(out, "support:      help@shop.example https://shop.example/help") {
		t.Fatalf("update: %d %s", code, out)
	}
	m, ds := state()
	if m.SupportEmail != "help@shop.example" || m.SupportURL != "https://shop.example/help" || len(ds) != 1 || ds[0].Type != checkout.WebhookMerchantUpdated {
		t.Fatalf("after update: %q %q, %d deliveries", m.SupportEmail, m.SupportURL, len(ds))
	}
	for _, bad := range [][]string{
		{"-support-email", "Help <help@shop.example>"},
		{"-support-url", "http://shop.example/help"},
		{"-display-name", "Fine", "-support-url", "javascript:alert(1)"},
	} {
		code, out := cli(append([]string{"update", "-id", id}, bad...)...)
		if code != 2 || !strings.Contains(out, bad[len(bad)-2]+": support_") {
			t.Errorf("update %q: %d %s", bad, code, out)
		}
	}
	if code, out := cli("update", "-id", id, "-support-email", "none", "-support-url", "none"); code != 0 || !strings.Contains(out, "support:      (none)") {
		t.Fatalf("clear: %d %s", code, out)
	}
	m, ds = state()
	if m.SupportEmail != "" || m.SupportURL != "" || m.DisplayName != "" || len(ds) != 2 {
		t.Fatalf("after clearing: %+v, %d deliveries (refused updates wrote some?)", m, len(ds))
	}

	code, out = cli("rotate-key", "-id", id)
	key := regexp.MustCompile(`secret key: (sk_test_\S+)`).FindStringSubmatch(out)
	if code != 0 || key == nil {
		t.Fatalf("rotate-key: %d %s", code, out)
	}
	_, ds = state()
	if len(ds) != 3 || ds[0].Type != checkout.WebhookMerchantKeyRotated || !bytes.Contains(ds[0].Payload, []byte(`"object":"api_key"`)) ||
		bytes.Contains(ds[0].Payload, []byte("sk_")) ||
		bytes.Contains(ds[0].Payload, []byte(checkout.HashAPIKey(key[1]))) {
		t.Fatalf("after rotate-key: %d deliveries, the newest %s %s", len(ds), ds[0].Type, ds[0].Payload)
	}
}
