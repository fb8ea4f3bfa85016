package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// A merchant's return secret is written with the merchant when it is new
// and never by a later SaveMerchant (a merchant read before a rotation and
// saved after it cannot undo the rotation). EnsureReturnSecret fills only
// an empty secret: of twenty concurrent callers with twenty fresh secrets,
// all get the same one, one of those offered, and it stays.
func returnSecretsAreSetOnce(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	first := checkout.NewReturnSecret()
	m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Shop", APIKeyHash: checkout.HashAPIKey(checkout.NewSecretKey(false)),
		DefaultProvider: "payorder", CreatedAt: now, ReturnSecret: first}
	if err := db.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := db.Merchant(ctx, m.ID)
	if err != nil || got.ReturnSecret != first || got.PreviousReturnSecret != "" || !got.PreviousReturnSecretExpiresAt.IsZero() {
		t.Fatalf("a new merchant's return secret: %+v %v", got, err)
	}
	for _, other := range []string{checkout.NewReturnSecret(), ""} {
		got.ReturnSecret, got.Name = other, "Shop renamed"
		if err := db.SaveMerchant(ctx, got); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.Merchant(ctx, m.ID); again.ReturnSecret != first || again.Name != "Shop renamed" {
			t.Fatalf("an update with return secret %q: the stored secret is %q (name %q), want %q", other, again.ReturnSecret, again.Name, first)
		}
	}
	if got, err := db.EnsureReturnSecret(ctx, m.ID, checkout.NewReturnSecret()); err != nil || got.ReturnSecret != first {
		t.Fatalf("EnsureReturnSecret on a merchant that has one: %q %v", got.ReturnSecret, err)
	}

	legacy := mustMerchant(t, db) // saved without a secret
	if got, _ := db.Merchant(ctx, legacy.ID); got.ReturnSecret != "" {
		t.Fatalf("a merchant saved without a secret has %q", got.ReturnSecret)
	}
	var mu sync.Mutex
	offered, seen := map[string]bool{}, map[string]int{}
	var wg sync.WaitGroup
	for range 20 {
		fresh := checkout.NewReturnSecret()
		offered[fresh] = true
		wg.Go(func() {
			got, err := db.EnsureReturnSecret(ctx, legacy.ID, fresh)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			seen[got.ReturnSecret]++
		})
	}
	wg.Wait()
	if len(seen) != 1 {
		t.Fatalf("20 concurrent EnsureReturnSecret got %d different secrets, want 1", len(seen))
	}
	for s := range seen {
		if !offered[s] {
			t.Fatal("the secret is none of those offered")
		}
		if got, _ := db.Merchant(ctx, legacy.ID); got.ReturnSecret != s {
			t.Fatalf("stored %q, callers got %q", got.ReturnSecret, s)
		}
	}
	if _, err := db.EnsureReturnSecret(ctx, "mer_missing", checkout.NewReturnSecret()); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("EnsureReturnSecret of no merchant: %v, want ErrNotFound", err)
	}
}

// Rotation is one compare-and-set statement: it swaps in the new secret
// only while the caller's current secret is still the merchant's, the old
// one becoming the previous (until its expiry), with the merchant's event
// in the same transaction. A rotation from a secret that is no longer
// current is ErrConflict and writes nothing, event included; of ten
// concurrent rotations from one secret exactly one wins, and the stored
// previous secret is the one it replaced. MerchantEvents lists only the
// merchant's own events (no session, no other merchant), newest first.
func returnSecretRotationIsCompareAndSet(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	m, err := db.EnsureReturnSecret(ctx, m.ID, checkout.NewReturnSecret())
	if err != nil {
		t.Fatal(err)
	}
	rotated := func(at time.Time) checkout.Event {
		return checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), MerchantID: m.ID, Type: checkout.EventReturnSecretRotated,
			Data: map[string]any{"previous_expires_at": at.Unix()}, CreatedAt: now}
	}
	first, second := m.ReturnSecret, checkout.NewReturnSecret()
	until := now.Add(24 * time.Hour)
	firstRotation := rotated(until)
	got, err := db.RotateReturnSecret(ctx, m.ID, first, second, until, firstRotation)
	if err != nil || got.ReturnSecret != second || got.PreviousReturnSecret != first || !got.PreviousReturnSecretExpiresAt.Equal(until) {
		t.Fatalf("rotation: %+v %v", got, err)
	}
	if got, _ := db.Merchant(ctx, m.ID); got.ReturnSecret != second || got.PreviousReturnSecret != first || !got.PreviousReturnSecretExpiresAt.Equal(until) {
		t.Fatalf("stored after rotation: %+v", got)
	}

	// From the secret that was current before: a conflict, nothing written.
	if _, err := db.RotateReturnSecret(ctx, m.ID, first, checkout.NewReturnSecret(), now, rotated(now)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("rotation from a stale secret: %v, want ErrConflict", err)
	}
	if got, _ := db.Merchant(ctx, m.ID); got.ReturnSecret != second || got.PreviousReturnSecret != first {
		t.Fatalf("a refused rotation changed the merchant: %+v", got)
	}
	if _, err := db.RotateReturnSecret(ctx, "mer_missing", first, checkout.NewReturnSecret(), now); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("rotation of no merchant: %v, want ErrNotFound", err)
	}

	// Ten at once from the same secret: one wins.
	won, refused := race(t, 10, checkout.ErrConflict, func() (string, error) {
		fresh := checkout.NewReturnSecret()
		_, err := db.RotateReturnSecret(ctx, m.ID, second, fresh, until, rotated(until))
		return fresh, err
	})
	if len(won) != 1 || refused != 9 {
		t.Fatalf("10 concurrent rotations: %d won, %d refused; want 1 and 9", len(won), refused)
	}
	if got, _ := db.Merchant(ctx, m.ID); got.ReturnSecret != won[0] || got.PreviousReturnSecret != second {
		t.Fatalf("after the race: secret %q previous %q; want the winner's and the one it replaced", got.ReturnSecret, got.PreviousReturnSecret)
	}

	// The merchant's own events: the two rotations that happened, newest
	// first; not the session's, not another merchant's.
	if err := db.AppendEvents(ctx, newEvent(s, checkout.EventSessionExpired, "")); err != nil {
		t.Fatal(err)
	}
	other := mustMerchant(t, db)
	if err := db.AppendEvents(ctx, checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), MerchantID: other.ID,
		Type: checkout.EventReturnSecretRotated, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	events, err := db.MerchantEvents(ctx, m.ID, 10)
	if err != nil || len(events) != 2 || events[1].ID != firstRotation.ID {
		t.Fatalf("merchant events: %+v %v, want the 2 rotations, newest first", events, err)
	}
	for _, e := range events {
		if e.Type != checkout.EventReturnSecretRotated || e.SessionID != "" || e.MerchantID != m.ID || !e.CreatedAt.Equal(now) ||
			e.Data["previous_expires_at"] != float64(until.Unix()) {
			t.Fatalf("merchant event: %+v", e)
		}
	}
	if latest, err := db.MerchantEvents(ctx, m.ID, 1); err != nil || len(latest) != 1 || latest[0].ID != events[0].ID {
		t.Fatalf("the latest merchant event: %+v %v", latest, err)
	}
}
