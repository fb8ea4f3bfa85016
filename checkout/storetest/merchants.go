package storetest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// MustLogo is a real w×h PNG, checked as the CLI checks it.
func MustLogo(tb testing.TB, w, h int) *checkout.Logo {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		tb.Fatal(err)
	}
	l, err := checkout.ParseLogo(buf.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// SaveMerchant inserts or updates a merchant by id, every field included;
// MerchantByKeyHash follows a rotated key, and the old hash finds nothing
// (a revoked key stops working at once). A logo is stored with its
// merchant, once per content: a merchant is loaded with its logo's hash,
// type and size but never its bytes, Logo loads the bytes by hash, and a
// logo is served while any merchant uses it and deleted once none does (a
// replaced logo stops being served).
func merchantsKeysAndLogos(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	oldKey := checkout.HashAPIKey(checkout.NewSecretKey(false))
	a := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "A Ltd", APIKeyHash: oldKey,
		DefaultProvider: "payorder", Live: true, ReturnOrigins: []string{"https://a.example"}, EmbedOrigins: []string{"https://blog.a.example"},
		CreatedAt: now, DisplayName: "Shop A", BrandColor: "#3056d3", Logo: MustLogo(t, 4, 3)}
	if err := db.SaveMerchant(ctx, a); err != nil {
		t.Fatal(err)
	}
	first := a.Logo
	got, err := db.Merchant(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "A Ltd" || got.APIKeyHash != oldKey || got.DefaultProvider != "payorder" || !got.Live ||
		!slices.Equal(got.ReturnOrigins, a.ReturnOrigins) || !slices.Equal(got.EmbedOrigins, a.EmbedOrigins) || !got.CreatedAt.Equal(now) ||
		got.DisplayName != "Shop A" || got.BrandColor != "#3056d3" {
		t.Fatalf("merchant: %+v", got)
	}
	if got.Logo == nil || got.Logo.SHA256 != first.SHA256 || got.Logo.ContentType != "image/png" || got.Logo.Width != 4 || got.Logo.Height != 3 || got.Logo.Body != nil {
		t.Fatalf("merchant's logo: %+v", got.Logo)
	}
	if l, err := db.Logo(ctx, first.SHA256); err != nil || !bytes.Equal(l.Body, first.Body) || l.ContentType != "image/png" || l.Width != 4 {
		t.Fatalf("logo: %+v %v", l, err)
	}
	if _, err := db.Merchant(ctx, "mer_missing"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("missing merchant: %v, want ErrNotFound", err)
	}

	// A new key and a new name, saved as loaded (the logo without bytes).
	got.APIKeyHash, got.Name, got.Live = checkout.HashAPIKey(checkout.NewSecretKey(false)), "A & Co", false
	if err := db.SaveMerchant(ctx, got); err != nil {
		t.Fatal(err)
	}
	if m, err := db.MerchantByKeyHash(ctx, got.APIKeyHash, now); err != nil || m.ID != a.ID || m.Name != "A & Co" || m.Live || m.Logo == nil || m.Logo.SHA256 != first.SHA256 {
		t.Fatalf("merchant by its new key: %+v %v", m, err)
	}
	if _, err := db.MerchantByKeyHash(ctx, oldKey, now); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("merchant by its revoked key: %v, want ErrNotFound", err)
	}

	// A second merchant with the same logo shares it; it is served while
	// either uses it.
	b := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "B", APIKeyHash: checkout.HashAPIKey(checkout.NewSecretKey(false)),
		DefaultProvider: "payorder", CreatedAt: now, Logo: MustLogo(t, 4, 3)}
	if err := db.SaveMerchant(ctx, b); err != nil {
		t.Fatal(err)
	}
	got.Logo = MustLogo(t, 5, 5)
	if err := db.SaveMerchant(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Logo(ctx, first.SHA256); err != nil {
		t.Fatalf("a logo merchant B still uses: %v", err)
	}
	b.Logo = nil
	if err := db.SaveMerchant(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Logo(ctx, first.SHA256); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("a logo no merchant uses: %v, want ErrNotFound", err)
	}
	if _, err := db.Logo(ctx, got.Logo.SHA256); err != nil {
		t.Fatalf("merchant A's new logo: %v", err)
	}
	if m, _ := db.Merchant(ctx, b.ID); m.Logo != nil {
		t.Fatalf("a removed logo still loads: %+v", m.Logo)
	}
}

// ServerKey stores the first key offered under a name and gives it to
// every caller after, so that all instances started at once sign form
// tokens with one key and a restart keeps it: of twenty concurrent first
// starts, all get the same key. Other names are other keys.
func serverKeyFirstWriterWins(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	keys := map[string]int{}
	offered := map[string]bool{}
	for range 20 {
		fresh := []byte(checkout.RandomToken(32))
		offered[string(fresh)] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, err := db.ServerKey(ctx, "form_tokens", fresh, now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			keys[string(key)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(keys) != 1 {
		t.Fatalf("20 concurrent starts got %d different keys, want 1", len(keys))
	}
	var key []byte
	for k := range keys {
		key = []byte(k)
	}
	if !offered[string(key)] {
		t.Fatal("the key is none of those offered")
	}
	if got, err := db.ServerKey(ctx, "form_tokens", []byte("later"), now.Add(time.Hour)); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("the key after a restart: %q %v", got, err)
	}
	if got, err := db.ServerKey(ctx, "other", []byte("other key"), now); err != nil || string(got) != "other key" {
		t.Fatalf("another name's key: %q %v", got, err)
	}
}

// A provider event is handled once: NotificationSeen is false until
// RecordNotification and true after, per provider (two providers may use
// one event id), and recording twice is not an error (two deliveries of
// one event can both finish).
func providerNotificationsAreRememberedPerProvider(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	seen := func(provider, id string) bool {
		t.Helper()
		ok, err := db.NotificationSeen(ctx, provider, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if seen("payorder", "evt-1") {
		t.Fatal("an event never recorded was seen")
	}
	for range 2 {
		if err := db.RecordNotification(ctx, "payorder", "evt-1", now); err != nil {
			t.Fatal(err)
		}
	}
	if !seen("payorder", "evt-1") {
		t.Fatal("a recorded event was not seen")
	}
	if seen("worldline", "evt-1") || seen("payorder", "evt-2") {
		t.Fatal("another provider's event, or another event, was seen")
	}
}

// Provider notifications find our payment or refund by the provider's id
// for it, scoped to the provider: another provider's same id is not ours.
// The empty reference (every payment has it until its provider answers,
// every refund until its provider names it) finds nothing, or a
// notification without one would land on an arbitrary payment. Missing
// ids are ErrNotFound.
func providerReferenceLookups(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	p := paidPayment(t, db, s)
	p.ProviderRef = "PSP-1"
	mustUpdate(t, db, p)
	_, s2 := MustSession(t, db)
	paidPayment(t, db, s2) // no reference

	if got, err := db.PaymentByProviderRef(ctx, "payorder", "PSP-1"); err != nil || got.ID != p.ID {
		t.Fatalf("payment by reference: %v %v", got, err)
	}
	for _, q := range [][2]string{{"worldline", "PSP-1"}, {"payorder", "PSP-2"}, {"payorder", ""}} {
		if _, err := db.PaymentByProviderRef(ctx, q[0], q[1]); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("payment by %s reference %q: %v, want ErrNotFound", q[0], q[1], err)
		}
	}
	if _, err := db.Payment(ctx, "pay_missing"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("missing payment: %v, want ErrNotFound", err)
	}

	r := mustCreateRefund(t, db, newRefund(p, 100))
	mustCreateRefund(t, db, newRefund(p, 100)) // no reference
	named := *r
	named.ProviderRef = "RF-1"
	if err := db.UpdateRefund(ctx, &named, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RefundByProviderRef(ctx, "payorder", "RF-1"); err != nil || got.ID != r.ID {
		t.Fatalf("refund by reference: %v %v", got, err)
	}
	for _, q := range [][2]string{{"worldline", "RF-1"}, {"payorder", "RF-2"}, {"payorder", ""}} {
		if _, err := db.RefundByProviderRef(ctx, q[0], q[1]); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("refund by %s reference %q: %v, want ErrNotFound", q[0], q[1], err)
		}
	}
	if _, err := db.Refund(ctx, "re_missing"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("missing refund: %v, want ErrNotFound", err)
	}
}
