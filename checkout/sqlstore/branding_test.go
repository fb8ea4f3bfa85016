package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/storetest"
)

// Merchants written before branding existed (migration 0012) keep
// working: they load unbranded, their key still finds them, and they can
// be branded afterwards.
func TestMigrationKeepsMerchantsWorkingUnbranded(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, oldDatabase(t, 11, `
INSERT INTO merchants (id, name, api_key_hash, default_provider, live, created_at, return_origins, embed_origins)
VALUES ('mer_old', 'Old Shop', 'hash_old', 'worldline', 1, 1800000000000, '["https://old.example"]', '[]');`))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, load := range []func() (*checkout.Merchant, error){
		func() (*checkout.Merchant, error) { return d.Merchant(ctx, "mer_old") },
		func() (*checkout.Merchant, error) { return d.MerchantByKeyHash(ctx, "hash_old", time.Now()) },
	} {
		m, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "Old Shop" || !m.Live || m.DefaultProvider != "worldline" || !slices.Equal(m.ReturnOrigins, []string{"https://old.example"}) ||
			m.DisplayName != "" || m.BrandColor != "" || m.Logo != nil || m.Brand().Name != "Old Shop" {
			t.Fatalf("old merchant after the migration: %+v", m)
		}
	}
	m, _ := d.Merchant(ctx, "mer_old")
	m.DisplayName, m.BrandColor, m.Logo = "Old Shop & Co", "#3056d3", storetest.MustLogo(t, 3, 2)
	if err := d.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Merchant(ctx, "mer_old"); err != nil || got.DisplayName != "Old Shop & Co" || got.Logo == nil {
		t.Fatalf("branded after the migration: %+v %v", got, err)
	}
}

func TestMerchantBrandingAndLogos(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "checkout.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	a := &checkout.Merchant{ID: "mer_a", Name: "A Ltd", APIKeyHash: "ha", DefaultProvider: "payorder", CreatedAt: at,
		DisplayName: "Shop A", BrandColor: "#3056d3", Logo: storetest.MustLogo(t, 4, 3)}
	if err := d.SaveMerchant(ctx, a); err != nil {
		t.Fatal(err)
	}
	first := a.Logo
	got, err := d.Merchant(ctx, "mer_a")
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Shop A" || got.BrandColor != "#3056d3" || got.Logo == nil || got.Logo.SHA256 != first.SHA256 ||
		got.Logo.ContentType != "image/png" || got.Logo.Width != 4 || got.Logo.Height != 3 || got.Logo.Body != nil {
		t.Fatalf("loaded: %+v, logo %+v", got, got.Logo)
	}
	stored, err := d.Logo(ctx, first.SHA256)
	if err != nil || !bytes.Equal(stored.Body, first.Body) || stored.ContentType != "image/png" {
		t.Fatalf("logo: %+v %v", stored, err)
	}
	if ms, err := d.Merchants(ctx); err != nil || len(ms) != 1 || ms[0].Logo == nil {
		t.Fatalf("list: %v %v", ms, err)
	}

	// Saving a merchant loaded without the bytes keeps its logo. (Logos
	// shared between merchants and deleted once unused are the store
	// conformance suite's MerchantsKeysAndLogos.)
	got.DefaultProvider = "worldline"
	if err := d.SaveMerchant(ctx, got); err != nil {
		t.Fatal(err)
	}
	if m, err := d.Merchant(ctx, got.ID); err != nil || m.Logo == nil || m.Logo.SHA256 != first.SHA256 {
		t.Fatalf("logo after saving a merchant loaded without its bytes: %+v %v", m, err)
	}

	// The table refuses what the domain refuses, whoever writes.
	for _, bad := range []*checkout.Merchant{
		{ID: "mer_c", Name: "C", APIKeyHash: "hc", CreatedAt: at, BrandColor: "red"},
		{ID: "mer_c", Name: "C", APIKeyHash: "hc", CreatedAt: at, BrandColor: "#3056D3"},
		{ID: "mer_c", Name: "C", APIKeyHash: "hc", CreatedAt: at, Logo: &checkout.Logo{SHA256: strings.Repeat("0", 64)}}, // not stored
		{ID: "mer_c", Name: "C", APIKeyHash: "hc", CreatedAt: at, Logo: &checkout.Logo{SHA256: "x", ContentType: "image/png", Width: 1, Height: 1, Body: []byte("x")}},
		{ID: "mer_c", Name: "C", APIKeyHash: "hc", CreatedAt: at, Logo: &checkout.Logo{SHA256: first.SHA256, ContentType: "image/svg+xml", Width: 1, Height: 1, Body: []byte("<svg/>")}},
	} {
		if err := d.SaveMerchant(ctx, bad); err == nil {
			t.Errorf("saved %+v (logo %+v)", bad, bad.Logo)
		}
		if _, err := d.Merchant(ctx, "mer_c"); !errors.Is(err, checkout.ErrNotFound) {
			t.Errorf("a refused save left merchant mer_c: %v", err)
		}
	}
}
