package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestMerchantSnapshot: a page's merchant comes from the snapshot; a write
// through the same store shows at once, another instance's (a second
// store on the same database) within merchantSnapshotAge, and the copy
// handed out cannot change the snapshot.
func TestMerchantSnapshot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkout.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := &checkout.Merchant{ID: "mer_snap", Name: "Snap", APIKeyHash: "h1", DefaultProvider: "worldline",
		DisplayName: "Before", EmbedOrigins: []string{"https://shop.example"}, CreatedAt: time.Now().UTC()}
	if err := a.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*DB{a, b} {
		got, err := s.MerchantSnapshot(ctx, "mer_snap")
		if err != nil || got.DisplayName != "Before" {
			t.Fatalf("snapshot: %+v %v", got, err)
		}
		got.EmbedOrigins[0] = "https://evil.example"
	}
	if got, _ := a.MerchantSnapshot(ctx, "mer_snap"); got.EmbedOrigins[0] != "https://shop.example" {
		t.Fatalf("a caller changed the snapshot: %v", got.EmbedOrigins)
	}

	// A write through a: a sees it at once; b within the snapshot's age.
	m.DisplayName = "After"
	if err := a.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.MerchantSnapshot(ctx, "mer_snap"); got.DisplayName != "After" {
		t.Fatalf("the writing store shows %q", got.DisplayName)
	}
	if got, _ := b.MerchantSnapshot(ctx, "mer_snap"); got.DisplayName != "Before" {
		t.Logf("the other store read it again already (%q)", got.DisplayName)
	}
	time.Sleep(merchantSnapshotAge + 50*time.Millisecond)
	if got, _ := b.MerchantSnapshot(ctx, "mer_snap"); got.DisplayName != "After" {
		t.Fatalf("the other store still shows %q after %v", got.DisplayName, merchantSnapshotAge)
	}
	if _, err := a.MerchantSnapshot(ctx, "mer_nope"); err != checkout.ErrNotFound {
		t.Fatalf("unknown merchant: %v", err)
	}
}
