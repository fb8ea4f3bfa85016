package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

// BenchmarkCreateSession measures one small write transaction (a session
// and its event) under each synchronous setting: the price of FULL is one
// fsync of the WAL per commit.
func BenchmarkCreateSession(b *testing.B) {
	for _, sync := range []sqlstore.Sync{sqlstore.SyncFull, sqlstore.SyncNormal} {
		b.Run("sync="+string(sync), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlstore.OpenWith(ctx, filepath.Join(b.TempDir(), "checkout.db"), sqlstore.Options{Sync: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			m, _ := MustSession(b, db)
			ids := checkout.RandomIDs{}
			b.ResetTimer()
			for b.Loop() {
				s := &checkout.Session{
					ID: ids.NewID(checkout.PrefixSession), MerchantID: m.ID, Status: checkout.SessionOpen,
					Amount: checkout.Money{Amount: 1999, Currency: "USD"}, LineItems: []checkout.LineItem{{Name: "Mug", Quantity: 1, UnitAmount: 1999}},
					Locale: "en", SuccessURL: "https://shop.test/ok", PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard},
					Provider: "payorder", CaptureMode: checkout.CaptureAutomatic, ThreeDS: checkout.ThreeDSAutomatic,
					ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now,
				}
				if err := db.CreateSession(ctx, s, checkout.Event{ID: ids.NewID(checkout.PrefixEvent), SessionID: s.ID, Type: checkout.EventSessionCreated, CreatedAt: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
