package storetest

import (
	"context"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// livemodeIsKept: a session, its payment and its refund keep the mode they
// were made in, live or test, through every read (the providers they go to
// and the livemode every object shows come from it).
func livemodeIsKept(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	for _, live := range []bool{true, false} {
		s := newSession(m)
		s.Livemode = live
		mustCreateSession(t, db, s)
		got, err := db.Session(ctx, s.ID)
		if err != nil || got.Livemode != live {
			t.Fatalf("session made with livemode %v reads %v (%v)", live, got, err)
		}
		p := NewPayment(s, 1)
		p.Livemode = live
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		p.Status = checkout.PaymentSucceeded
		mustUpdate(t, db, p)
		if got := mustPayment(t, db, p.ID); got.Livemode != live {
			t.Fatalf("payment made with livemode %v reads %v", live, got.Livemode)
		}
		pays, err := db.SessionPayments(ctx, s.ID)
		if err != nil || len(pays) != 1 || pays[0].Livemode != live {
			t.Fatalf("the session's payments: %v %v", pays, err)
		}
		r := newRefund(mustPayment(t, db, p.ID), 100)
		r.Livemode = live
		mustCreateRefund(t, db, r)
		if got := mustRefund(t, db, r.ID); got.Livemode != live {
			t.Fatalf("refund made with livemode %v reads %v", live, got.Livemode)
		}
	}
}
