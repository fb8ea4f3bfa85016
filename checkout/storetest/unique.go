package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Ids are unique, whoever writes: a second session, payment, refund or
// event under an id in use is refused and changes nothing (a refused refund
// keeps no reservation; a refused event takes the payment write it came
// with along). Within a session, attempt numbers are unique, and so is a
// form's token even after its attempt failed: the domain numbers an attempt
// len(attempts)+1 and counts on ErrConflict when a concurrent submit took
// the number or the same form was submitted twice (it then answers with
// that form's payment). Attempts without a token never collide. A secret
// key's hash names one merchant.
func uniqueIdentifiers(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)

	twin := newSession(m)
	twin.ID, twin.Amount.Amount = s.ID, 5000
	if err := db.CreateSession(ctx, twin); err == nil {
		t.Fatal("created a session under an id in use")
	}
	if got, _ := db.Session(ctx, s.ID); got.Amount.Amount != 1999 {
		t.Fatalf("a refused session overwrote the first: amount %d", got.Amount.Amount)
	}

	fail := func(p *checkout.Payment) {
		t.Helper()
		p = mustPayment(t, db, p.ID)
		p.Status = checkout.PaymentFailed
		mustUpdate(t, db, p)
	}
	p1 := NewPayment(s, 1)
	if err := db.CreatePayment(ctx, p1); err != nil {
		t.Fatal(err)
	}
	fail(p1)
	sameID := NewPayment(s, 2)
	sameID.ID = p1.ID
	if err := db.CreatePayment(ctx, sameID); err == nil {
		t.Fatal("created a payment under an id in use")
	}
	if err := db.CreatePayment(ctx, NewPayment(s, 1)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a second attempt 1: %v, want ErrConflict", err)
	}
	p2 := NewPayment(s, 2)
	p2.FormToken = "form-a"
	if err := db.CreatePayment(ctx, p2); err != nil {
		t.Fatal(err)
	}
	fail(p2)
	resubmit := NewPayment(s, 3)
	resubmit.FormToken = "form-a"
	if err := db.CreatePayment(ctx, resubmit); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("the same form submitted again after its attempt failed: %v, want ErrConflict", err)
	}
	p3 := NewPayment(s, 3) // no token, like p1
	if err := db.CreatePayment(ctx, p3); err != nil {
		t.Fatalf("a second attempt without a form token: %v", err)
	}
	if pays, _ := db.SessionPayments(ctx, s.ID); len(pays) != 3 {
		t.Fatalf("%d attempts stored, want 3", len(pays))
	}
	_, elsewhere := MustSession(t, db)
	sameForm := NewPayment(elsewhere, 1)
	sameForm.FormToken = "form-a"
	if err := db.CreatePayment(ctx, sameForm); err != nil {
		t.Fatalf("another session's form with the same token: %v", err)
	}

	// Refunds.
	p3.Status = checkout.PaymentSucceeded
	mustUpdate(t, db, p3)
	r := mustCreateRefund(t, db, newRefund(p3, 100))
	again := newRefund(p3, 200)
	again.ID = r.ID
	if err := db.CreateRefund(ctx, again); err == nil {
		t.Fatal("created a refund under an id in use")
	}
	if got := mustPayment(t, db, p3.ID); got.AmountRefundPending != 100 {
		t.Fatalf("a refused refund reserved: pending %d, want 100", got.AmountRefundPending)
	}
	if got := mustRefund(t, db, r.ID); got.Amount.Amount != 100 {
		t.Fatalf("a refused refund overwrote the first: amount %d", got.Amount.Amount)
	}

	// Events.
	used := timeline(t, db, s.ID)[0].ID
	p := mustPayment(t, db, p3.ID)
	p.ProviderRef = "PSP-9"
	p.Version++
	dup := newEvent(s, checkout.EventProviderCall, "")
	dup.ID = used
	if err := db.UpdatePayment(ctx, p, nil, dup); err == nil {
		t.Fatal("wrote an event under an id in use")
	}
	if got := mustPayment(t, db, p3.ID); got.ProviderRef != "" || got.Version != p.Version-1 {
		t.Fatal("the payment write went through without its event")
	}

	// Merchants' key hashes.
	thief := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Other", APIKeyHash: m.APIKeyHash,
		DefaultProvider: "payorder", CreatedAt: now}
	if err := db.SaveMerchant(ctx, thief); err == nil {
		t.Fatal("saved a second merchant with the same key hash")
	}
	if got, err := db.MerchantByKeyHash(ctx, m.APIKeyHash, now); err != nil || got.ID != m.ID {
		t.Fatalf("merchant by key hash: %v %v, want %s", got, err, m.ID)
	}
}

// Lists come back in the order the domain reads them: a session's attempts
// by attempt number whatever their ids or times (the last is the latest,
// the next is numbered len+1); sessions to expire and payments to inquire
// the most overdue first and at most limit, so that a backlog is worked off
// oldest first and every worker round makes progress. Sessions with an
// active payment wait for it rather than expire; settled payments are not
// inquired.
func listsInTheirOrder(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	ids := descendingIDs(checkout.PrefixPayment, 4)
	for i, id := range ids {
		p := NewPayment(s, i+1)
		p.ID, p.CreatedAt = id, now.Add(-time.Duration(i)*time.Second)
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		p.Status = checkout.PaymentFailed
		mustUpdate(t, db, p)
	}
	pays, err := db.SessionPayments(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pays {
		if p.Attempt != i+1 || p.ID != ids[i] {
			t.Fatalf("attempt %d listed at %d", p.Attempt, i+1)
		}
	}
	if len(pays) != 4 {
		t.Fatalf("%d attempts listed, want 4", len(pays))
	}

	// Sessions due to expire.
	expiring := func(in time.Duration) *checkout.Session {
		s := newSession(m)
		s.ExpiresAt = now.Add(in)
		return mustCreateSession(t, db, s)
	}
	a, b, c := expiring(2*time.Hour), expiring(90*time.Minute), expiring(3*time.Hour)
	busy := expiring(30 * time.Minute)
	q := NewPayment(busy, 1)
	q.Status = checkout.PaymentPending
	if err := db.CreatePayment(ctx, q); err != nil {
		t.Fatal(err)
	}
	gone := expiring(45 * time.Minute)
	if err := db.ExpireSession(ctx, gone.ID, now, false); err != nil {
		t.Fatal(err)
	}
	due, err := db.SessionsExpiringBefore(ctx, now.Add(4*time.Hour), 3)
	if err != nil {
		t.Fatal(err)
	}
	// s (from MustSession) expires in an hour, then b, a; c is fourth.
	if want := []string{s.ID, b.ID, a.ID}; !slices.Equal(due, want) {
		t.Fatalf("sessions due %v, want the 3 most overdue open ones without an active payment %v", due, want)
	}
	if due, _ := db.SessionsExpiringBefore(ctx, now.Add(4*time.Hour), 10); len(due) != 4 || due[3] != c.ID {
		t.Fatalf("sessions due %v, want 4 ending with %s", due, c.ID)
	}
	if due, _ := db.SessionsExpiringBefore(ctx, now.Add(100*time.Minute), 10); !slices.Equal(due, []string{s.ID, b.ID}) {
		t.Fatalf("sessions due in 100 minutes: %v", due)
	}

	// Payments due for an inquiry: q (pending) is due in 5 minutes.
	q.NextCheckAt = now.Add(5 * time.Minute)
	mustUpdate(t, db, q)
	inquire := func(st checkout.PaymentStatus, in time.Duration) *checkout.Payment {
		_, s := MustSession(t, db)
		p := NewPayment(s, 1)
		p.Status, p.NextCheckAt = st, now.Add(in)
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	authorized := inquire(checkout.PaymentAuthorized, 3*time.Minute)
	processing := inquire(checkout.PaymentProcessing, 4*time.Minute)
	inquire(checkout.PaymentSucceeded, time.Minute)
	inquire(checkout.PaymentFailed, time.Minute)
	later := inquire(checkout.PaymentRequiresAction, time.Hour)
	check, err := db.PaymentsToCheck(ctx, now.Add(10*time.Minute), time.Minute, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paymentIDs(check), sortedIDs(authorized.ID, processing.ID); !slices.Equal(got, want) {
		t.Fatalf("payments to check %v, want the 2 most overdue in flight or authorized %v", got, want)
	}
	check, _ = db.PaymentsToCheck(ctx, now.Add(10*time.Minute), time.Minute, 10)
	if got, want := paymentIDs(check), []string{q.ID}; !slices.Equal(got, want) {
		t.Fatalf("payments to check %v, want %v (not the 2 claimed, not the settled ones, not %s due later)", got, want, later.ID)
	}
}

// paymentIDs is the payments' ids, sorted (a claim's rows come in no
// particular order).
func paymentIDs(ps []*checkout.Payment) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}
