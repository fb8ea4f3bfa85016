package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Merchant settings and key rotation (issue 15, point 6).

// merchantEvent is a merchant event of m (no session) that notifies typ.
func merchantEvent(m *checkout.Merchant, typ checkout.EventType, notify string) checkout.Event {
	return checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), MerchantID: m.ID, Type: typ, CreatedAt: now,
		Data: map[string]any{"changed": []string{"display_name"}}, Notify: notify, Object: map[string]any{"id": m.ID, "object": "merchant"}}
}

// byKey is the merchant MerchantByKeyHash finds for hash at t, or "" for
// none (ErrNotFound); any other error fails the test.
func byKey(tb testing.TB, db checkout.Store, hash string, t time.Time) string {
	tb.Helper()
	m, err := db.MerchantByKeyHash(context.Background(), hash, t)
	if errors.Is(err, checkout.ErrNotFound) {
		return ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	return m.ID
}

// A rotated-out key keeps authenticating until its overlap ends, compared
// with the caller's clock in the statement: found at now and a moment
// before the end, not at the end nor after; the new key works throughout.
// A second rotation drops the first previous key at once (two keys at
// most), an overlap of 0 ends the old key now, and a key hash set
// outright with SaveMerchant (not rotated) ends any overlap. The loaded
// merchant shows its previous key's hash and expiry, and its support
// settings round-trip.
func merchantKeyOverlapAndExpiry(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	a, b, c := m.APIKeyHash, checkout.HashAPIKey(checkout.NewSecretKey(false)), checkout.HashAPIKey(checkout.NewSecretKey(false))
	end := now.Add(time.Hour)
	if err := db.RotateMerchantKey(ctx, m.ID, a, b, end); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		hash string
		at   time.Time
		want string
	}{
		{b, now, m.ID}, {b, end.Add(24 * time.Hour), m.ID},
		{a, now, m.ID}, {a, end.Add(-time.Millisecond), m.ID}, {a, end, ""}, {a, end.Add(time.Hour), ""},
	} {
		if got := byKey(t, db, q.hash, q.at); got != q.want {
			t.Errorf("key %.8s at now%+v: found %q, want %q", q.hash, q.at.Sub(now), got, q.want)
		}
	}
	got, err := db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.APIKeyHash != b || got.PreviousKeyHash != a || !got.PreviousKeyExpiresAt.Equal(end) || got.Version <= m.Version {
		t.Fatalf("after a rotation: key %.8s, previous %.8s until %v, version %d (was %d)", got.APIKeyHash, got.PreviousKeyHash,
			got.PreviousKeyExpiresAt, got.Version, m.Version)
	}

	// Rotating again: b becomes the previous key, a stops at once.
	if err := db.RotateMerchantKey(ctx, m.ID, b, c, end); err != nil {
		t.Fatal(err)
	}
	if byKey(t, db, a, now) != "" || byKey(t, db, b, now) != m.ID || byKey(t, db, c, now) != m.ID {
		t.Fatal("after a second rotation, the first key still works or the second or third does not")
	}
	// An overlap ending now: the old key stops now.
	d := checkout.HashAPIKey(checkout.NewSecretKey(false))
	if err := db.RotateMerchantKey(ctx, m.ID, c, d, now); err != nil {
		t.Fatal(err)
	}
	if byKey(t, db, c, now) != "" || byKey(t, db, b, now) != "" || byKey(t, db, d, now) != m.ID {
		t.Fatal("an overlap of 0: the old key still works, or the new one does not")
	}

	// A key set outright ends the overlap; support settings round-trip.
	e := checkout.HashAPIKey(checkout.NewSecretKey(false))
	if err := db.RotateMerchantKey(ctx, m.ID, d, e, end); err != nil {
		t.Fatal(err)
	}
	got, err = db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := checkout.HashAPIKey(checkout.NewSecretKey(false))
	got.APIKeyHash, got.SupportEmail, got.SupportURL = f, "help@shop.example", "https://shop.example/help"
	if err := db.SaveMerchant(ctx, got); err != nil {
		t.Fatal(err)
	}
	if byKey(t, db, d, now) != "" || byKey(t, db, e, now) != "" || byKey(t, db, f, now) != m.ID {
		t.Fatal("a key hash saved outright: an older key still works, or the new one does not")
	}
	got, err = db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PreviousKeyHash != "" || !got.PreviousKeyExpiresAt.IsZero() || got.SupportEmail != "help@shop.example" ||
		got.SupportURL != "https://shop.example/help" {
		t.Fatalf("after a key saved outright: previous %q until %v; support %q %q", got.PreviousKeyHash, got.PreviousKeyExpiresAt,
			got.SupportEmail, got.SupportURL)
	}
}

// The rotation is one guarded statement: of twenty concurrent rotations
// from the same key, exactly one wins and the others get ErrConflict and
// write nothing (no key of theirs works, no event of theirs is queued),
// so no rotation silently loses a key. A rotation from a key already
// rotated out is a conflict too; a missing merchant is ErrNotFound. The
// winner's event is queued to the merchant's endpoints that enabled it.
func merchantKeyRotationIsGuarded(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	hooks := mustInsertEndpoint(t, db, endpointFor(m, checkout.WebhookMerchantKeyRotated))
	mustInsertEndpoint(t, db, endpointFor(m, checkout.WebhookSessionCompleted))
	old := m.APIKeyHash
	end := now.Add(time.Hour)
	won, refused := race(t, 20, checkout.ErrConflict, func() (string, error) {
		key := checkout.HashAPIKey(checkout.NewSecretKey(false))
		e := merchantEvent(m, checkout.EventMerchantKeyRotated, checkout.WebhookMerchantKeyRotated)
		return key, db.RotateMerchantKey(ctx, m.ID, old, key, end, e)
	})
	if len(won) != 1 || refused != 19 {
		t.Fatalf("20 concurrent rotations: %d won, %d refused; want 1 and 19", len(won), refused)
	}
	got, err := db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.APIKeyHash != won[0] || got.PreviousKeyHash != old {
		t.Fatalf("after the race: key %.8s, previous %.8s; want the winner's and the old one", got.APIKeyHash, got.PreviousKeyHash)
	}
	if byKey(t, db, won[0], now) != m.ID || byKey(t, db, old, now) != m.ID {
		t.Fatal("the winner's key or the old key does not work")
	}
	ds := deliveries(t, db, m.ID)
	if len(ds) != 1 || ds[0].EndpointID != hooks.ID || ds[0].Type != checkout.WebhookMerchantKeyRotated {
		t.Fatalf("%d deliveries after the race, want the winner's merchant.key_rotated to the one endpoint that enabled it", len(ds))
	}

	// From the key rotated out: a conflict, nothing changes.
	if err := db.RotateMerchantKey(ctx, m.ID, old, checkout.HashAPIKey(checkout.NewSecretKey(false)), end); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("rotation from a previous key: %v, want ErrConflict", err)
	}
	if after, _ := db.Merchant(ctx, m.ID); after.APIKeyHash != won[0] || after.PreviousKeyHash != old {
		t.Fatal("a refused rotation changed the keys")
	}
	if err := db.RotateMerchantKey(ctx, "mer_missing", old, "x", end); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("rotation of a missing merchant: %v, want ErrNotFound", err)
	}
}

// SaveMerchant is a compare-and-set on the version the merchant was
// loaded with: of two changes made from the same read, the second gets
// ErrConflict and writes nothing (neither its fields nor its event); a
// merchant read before a key rotation cannot be saved over it (which
// would bring the rotated-out key back). Its merchant.updated event (no
// session) is queued in the same transaction to the merchant's endpoints
// that enabled it, and to no other merchant's.
func saveMerchantIsCompareAndSet(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	other := mustMerchant(t, db)
	hooks := mustInsertEndpoint(t, db, endpointFor(m, checkout.WebhookMerchantUpdated))
	mustInsertEndpoint(t, db, endpointFor(m, checkout.WebhookSessionExpired))
	mustInsertEndpoint(t, db, endpointFor(other))

	first, err := db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	second := *first
	second.EmbedOrigins = []string{"https://blog.shop.example"}
	first.DisplayName, first.SupportEmail = "First", "help@shop.example"
	version := first.Version
	if err := db.SaveMerchant(ctx, first, merchantEvent(m, checkout.EventMerchantUpdated, checkout.WebhookMerchantUpdated)); err != nil {
		t.Fatal(err)
	}
	if first.Version != version+1 {
		t.Fatalf("saved merchant's version %d, want %d", first.Version, version+1)
	}
	lost := merchantEvent(m, checkout.EventMerchantUpdated, checkout.WebhookMerchantUpdated)
	if err := db.SaveMerchant(ctx, &second, lost); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a save from a stale read: %v, want ErrConflict", err)
	}
	got, err := db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "First" || got.SupportEmail != "help@shop.example" || len(got.EmbedOrigins) != 0 || got.Version != version+1 {
		t.Fatalf("after a refused save: %+v", got)
	}
	ds := deliveries(t, db, m.ID)
	if len(ds) != 1 || ds[0].EndpointID != hooks.ID || ds[0].Type != checkout.WebhookMerchantUpdated {
		t.Fatalf("%d deliveries, want one merchant.updated to the endpoint that enabled it", len(ds))
	}
	if slices.ContainsFunc(ds, func(d *checkout.WebhookDelivery) bool { return d.MessageID == lost.ID }) {
		t.Fatal("a refused save queued its event")
	}
	if n := len(deliveries(t, db, other.ID)); n != 0 {
		t.Fatalf("another merchant got %d deliveries of this merchant's event", n)
	}

	// A rotation moves the version on: a merchant read before it cannot
	// be saved over it.
	stale := *got
	fresh := checkout.HashAPIKey(checkout.NewSecretKey(false))
	if err := db.RotateMerchantKey(ctx, m.ID, got.APIKeyHash, fresh, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	stale.DisplayName = "Stale"
	if err := db.SaveMerchant(ctx, &stale); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a save from a read before the rotation: %v, want ErrConflict", err)
	}
	if byKey(t, db, fresh, now) != m.ID {
		t.Fatal("the rotated key was lost")
	}
	// Saved as loaded after the rotation, the keys stay as rotated.
	after, err := db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	after.DisplayName = "After"
	if err := db.SaveMerchant(ctx, after); err != nil {
		t.Fatal(err)
	}
	if byKey(t, db, fresh, now) != m.ID || byKey(t, db, got.APIKeyHash, now) != m.ID {
		t.Fatal("a save after the rotation lost the new or the previous key")
	}
}

// A key replaced right after its rotation (its answer never reached the
// screen) is replaced in one statement guarded by both hashes: of 20
// concurrent replacements one wins; the previous key and its end stay;
// the replaced key stops at once; from hashes no longer current and
// previous nothing changes.
func merchantKeyReplaceIsGuarded(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	old, unseen := m.APIKeyHash, checkout.HashAPIKey(checkout.NewSecretKey(false))
	end := now.Add(time.Hour)
	if err := db.RotateMerchantKey(ctx, m.ID, old, unseen, end); err != nil {
		t.Fatal(err)
	}
	won, refused := race(t, 20, checkout.ErrConflict, func() (string, error) {
		key := checkout.HashAPIKey(checkout.NewSecretKey(false))
		e := merchantEvent(m, checkout.EventMerchantKeyRotated, "")
		return key, db.ReplaceMerchantKey(ctx, m.ID, old, unseen, key, e)
	})
	if len(won) != 1 || refused != 19 {
		t.Fatalf("20 concurrent replacements: %d won, %d refused; want 1 and 19", len(won), refused)
	}
	got, err := db.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.APIKeyHash != won[0] || got.PreviousKeyHash != old || !got.PreviousKeyExpiresAt.Equal(end) {
		t.Fatalf("after the race: key %.8s, previous %.8s until %v; want the winner's, and the old one until %v", got.APIKeyHash, got.PreviousKeyHash, got.PreviousKeyExpiresAt, end)
	}
	if byKey(t, db, unseen, now) != "" || byKey(t, db, old, now) != m.ID || byKey(t, db, won[0], now) != m.ID {
		t.Fatal("the replaced key still works, or the old or the new one does not")
	}
	if err := db.ReplaceMerchantKey(ctx, m.ID, unseen, won[0], "x"); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("replacement naming the wrong previous key: %v, want ErrConflict", err)
	}
	if err := db.ReplaceMerchantKey(ctx, "mer_missing", old, won[0], "x"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("replacement of a missing merchant: %v, want ErrNotFound", err)
	}
	if after, _ := db.Merchant(ctx, m.ID); after.APIKeyHash != won[0] {
		t.Fatal("a refused replacement changed the key")
	}
}
