package checkout_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

// issue 12, defect 8: on a server in live mode every merchant's webhook URL
// must be https, test merchants' too; a sandbox server accepts http.
func TestLiveServerWebhookEndpointsMustBeHTTPS(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := &checkout.Merchant{ID: "mer_livehttps", Name: "Shop", APIKeyHash: checkout.HashAPIKey("sk_test_livehttps_0123456789"),
		DefaultProvider: "fake", CreatedAt: time.Now()}
	if err := db.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	live := &checkout.Service{Store: db, IDs: checkout.RandomIDs{}, Now: time.Now, Sandbox: false}
	if _, err := live.CreateWebhookEndpoint(ctx, m, "http://shop.test/hooks", "", nil); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("http on a live server: %v", err)
	}
	if _, err := live.CreateWebhookEndpoint(ctx, m, "https://shop.test/hooks", "", nil); err != nil {
		t.Fatalf("https on a live server: %v", err)
	}
	sandbox := &checkout.Service{Store: db, IDs: checkout.RandomIDs{}, Now: time.Now, Sandbox: true}
	if _, err := sandbox.CreateWebhookEndpoint(ctx, m, "http://localhost:8080/hooks", "", nil); err != nil {
		t.Fatalf("http on a sandbox server: %v", err)
	}
}
