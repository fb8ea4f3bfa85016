package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// newRefund is a pending refund of amount on p, to be inquired a minute
// after now.
func newRefund(p *checkout.Payment, amount int64) *checkout.Refund {
	return &checkout.Refund{ID: checkout.RandomIDs{}.NewID(checkout.PrefixRefund), PaymentID: p.ID, SessionID: p.SessionID,
		MerchantID: p.MerchantID, Status: checkout.RefundPending, Amount: checkout.Money{Amount: amount, Currency: p.Amount.Currency},
		NextCheckAt: now.Add(time.Minute), CreatedAt: now, UpdatedAt: now}
}

func refundCreated(r *checkout.Refund) checkout.Event {
	return checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: r.SessionID, PaymentID: r.PaymentID,
		Type: checkout.EventRefundCreated, Data: map[string]any{"refund_id": r.ID}, CreatedAt: r.CreatedAt}
}

func mustCreateRefund(tb testing.TB, db checkout.Store, r *checkout.Refund) *checkout.Refund {
	tb.Helper()
	if err := db.CreateRefund(context.Background(), r, refundCreated(r)); err != nil {
		tb.Fatal(err)
	}
	return r
}

func mustRefund(tb testing.TB, db checkout.Store, id string) *checkout.Refund {
	tb.Helper()
	r, err := db.Refund(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// errRefundSettled is settle's answer for a refund that is not pending.
var errRefundSettled = errors.New("the refund is settled already")

// settle moves the pending refund id to succeeded or failed as the domain
// does (checkout.Service.settleRefund): read the refund and its payment,
// write both, with the refund.updated event and its webhook, and read again
// while the payment keeps moving under it.
func settle(db checkout.Store, id string, to checkout.RefundStatus, at time.Time) error {
	ctx := context.Background()
	for range 1000 {
		r, err := db.Refund(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != checkout.RefundPending {
			return errRefundSettled
		}
		p, err := db.Payment(ctx, r.PaymentID)
		if err != nil {
			return err
		}
		next := *r
		next.Status, next.NextCheckAt, next.UpdatedAt = to, time.Time{}, at
		np := *p
		np.AmountRefundPending -= r.Amount.Amount
		if to == checkout.RefundSucceeded {
			np.AmountRefunded += r.Amount.Amount
			np.Status = checkout.PaymentPartiallyRefunded
			if np.AmountRefunded == np.Amount.Amount {
				np.Status = checkout.PaymentRefunded
			}
		} else {
			next.ProviderCode = "declined"
		}
		np.Version, np.UpdatedAt = p.Version+1, at
		notify := checkout.WebhookRefundSucceeded
		if to == checkout.RefundFailed {
			notify = checkout.WebhookRefundFailed
		}
		ev := checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: r.SessionID, PaymentID: r.PaymentID,
			Type: checkout.EventRefundUpdated, Data: map[string]any{"refund_id": r.ID, "status": string(to)}, CreatedAt: at,
			Notify: notify, Object: map[string]any{"id": r.ID}}
		if err := db.UpdateRefund(ctx, &next, &np, ev); !errors.Is(err, checkout.ErrConflict) {
			return err
		}
	}
	return errors.New("the payment kept moving")
}

func mustSettle(tb testing.TB, db checkout.Store, id string, to checkout.RefundStatus) {
	tb.Helper()
	if err := settle(db, id, to, now); err != nil {
		tb.Fatal(err)
	}
}

// countEvents counts the session's events of one type.
func countEvents(tb testing.TB, db checkout.Store, sessionID string, typ checkout.EventType) int {
	tb.Helper()
	n := 0
	for _, e := range timeline(tb, db, sessionID) {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// A refund's amount is reserved on its payment by the statement that
// inserts the refund: only a paid payment (succeeded, captured, partially
// refunded) and only while its confirmed and pending refunds leave room (the
// exact remainder fits, one unit more does not). A refused refund writes
// nothing: no row, no reservation, no event. The reservation moves the
// payment's version, so that a write based on a read from before it (a
// refund settling, a capture) is refused instead of wiping the reservation
// out; and the store refuses a payment whose refunded and pending amounts
// add up to more than it, whoever writes it. The domain checks the amount on
// a payment it read earlier (checkout.refundAmount) and relies on these to
// never return more than was paid.
func refundReservationIsInTheStatement(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	p := NewPayment(s, 1)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, st := range []checkout.PaymentStatus{checkout.PaymentCreated, checkout.PaymentProcessing, checkout.PaymentRequiresAction,
		checkout.PaymentPending, checkout.PaymentAuthorized, checkout.PaymentFailed, checkout.PaymentCanceled, checkout.PaymentRefunded} {
		p = mustPayment(t, db, p.ID)
		if p.Status != st {
			p.Status = st
			mustUpdate(t, db, p)
		}
		r := newRefund(p, 100)
		if err := db.CreateRefund(ctx, r, refundCreated(r)); !errors.Is(err, checkout.ErrConflict) {
			t.Fatalf("refund of a %s payment: %v, want ErrConflict", st, err)
		}
		if _, err := db.Refund(ctx, r.ID); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("the refused refund of a %s payment was stored: %v", st, err)
		}
	}
	if got := mustPayment(t, db, p.ID); got.AmountRefundPending != 0 || countEvents(t, db, s.ID, checkout.EventRefundCreated) != 0 {
		t.Fatalf("refused refunds reserved %d or wrote events", got.AmountRefundPending)
	}

	// Each paid status takes a refund and reserves it.
	for i, st := range []checkout.PaymentStatus{checkout.PaymentSucceeded, checkout.PaymentCaptured, checkout.PaymentPartiallyRefunded} {
		p = mustPayment(t, db, p.ID)
		p.Status = st
		mustUpdate(t, db, p)
		r := newRefund(p, 100)
		if err := db.CreateRefund(ctx, r, refundCreated(r)); err != nil {
			t.Fatalf("refund of a %s payment: %v", st, err)
		}
		if got := mustPayment(t, db, p.ID); got.AmountRefundPending != int64(100*(i+1)) || got.AmountRefunded != 0 {
			t.Fatalf("after a refund of a %s payment: refunded %d, pending %d", st, got.AmountRefunded, got.AmountRefundPending)
		}
	}

	// 300 is reserved of 1999: 1700 is one too many, 1699 fits exactly.
	before := mustPayment(t, db, p.ID)
	tooMuch := newRefund(p, 1700)
	if err := db.CreateRefund(ctx, tooMuch, refundCreated(tooMuch)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a refund past the amount: %v, want ErrConflict", err)
	}
	if _, err := db.Refund(ctx, tooMuch.ID); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("the refused refund was stored: %v", err)
	}
	if got := mustPayment(t, db, p.ID); got.AmountRefundPending != 300 || got.Version != before.Version {
		t.Fatalf("a refused refund changed the payment: pending %d, version %d (was %d)", got.AmountRefundPending, got.Version, before.Version)
	}
	mustCreateRefund(t, db, newRefund(p, 1699))
	if got := mustPayment(t, db, p.ID); got.AmountRefundPending != 1999 {
		t.Fatalf("pending %d after refunding the rest, want 1999", got.AmountRefundPending)
	}
	if err := db.CreateRefund(ctx, newRefund(p, 1)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a refund of a fully reserved payment: %v, want ErrConflict", err)
	}
	if n := countEvents(t, db, s.ID, checkout.EventRefundCreated); n != 4 {
		t.Fatalf("%d refund.created events, want one per refund stored (4)", n)
	}

	// A write from a read before the reservation is refused.
	stale := *before
	stale.Status, stale.Version = checkout.PaymentRefunded, before.Version+1
	if err := db.UpdatePayment(ctx, &stale, nil); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a payment write from before a refund was reserved: %v, want ErrConflict", err)
	}
	if got := mustPayment(t, db, p.ID); got.AmountRefundPending != 1999 || got.Status != checkout.PaymentPartiallyRefunded {
		t.Fatalf("the stale write went through: %s, pending %d", got.Status, got.AmountRefundPending)
	}

	// Confirmed refunds count as well as pending ones.
	_, s2 := MustSession(t, db)
	q := paidPayment(t, db, s2)
	q.AmountRefunded, q.Status = 1500, checkout.PaymentPartiallyRefunded
	mustUpdate(t, db, q)
	if err := db.CreateRefund(ctx, newRefund(q, 500)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a refund past what the confirmed refunds leave: %v, want ErrConflict", err)
	}
	mustCreateRefund(t, db, newRefund(q, 499))

	// The amounts never add up to more than the payment, whoever writes.
	over := mustPayment(t, db, q.ID)
	over.AmountRefunded, over.AmountRefundPending, over.Version = 1999, 499, over.Version+1
	if err := db.UpdatePayment(ctx, over, nil); err == nil {
		t.Fatal("stored a payment with more refunded and pending than its amount")
	}
	if got := mustPayment(t, db, q.ID); got.AmountRefunded != 1500 || got.AmountRefundPending != 499 {
		t.Fatalf("refunded %d, pending %d after a refused write", got.AmountRefunded, got.AmountRefundPending)
	}
}

// Twenty refunds of 300 on a 1999 payment at once: exactly six are
// reserved (1800), the rest are ErrConflict, and the pending amount is
// the sum of the refunds that exist. Then all six settle at once, half
// succeeded, half failed, each retrying its compare-and-set while the
// others move the payment: refunded is the sum of the succeeded ones and
// nothing stays pending. Two instances, or the API and the dashboard,
// refunding one payment must never return more than was paid, and a
// settlement must never lose another's.
func concurrentRefundsNeverOverRefund(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	p := paidPayment(t, db, s)
	created, conflicts := race(t, 20, checkout.ErrConflict, func() (string, error) {
		r := newRefund(p, 300)
		return r.ID, db.CreateRefund(ctx, r, refundCreated(r))
	})
	if len(created) != 6 || conflicts != 14 {
		t.Fatalf("%d refunds reserved, %d refused; want 6 and 14", len(created), conflicts)
	}
	rs, err := db.PaymentRefunds(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, r := range rs {
		sum += r.Amount.Amount
	}
	if got := mustPayment(t, db, p.ID); len(rs) != 6 || got.AmountRefundPending != sum || sum != 1800 {
		t.Fatalf("%d refunds stored for %d, %d pending on the payment; want 6 for 1800", len(rs), sum, got.AmountRefundPending)
	}

	var wg sync.WaitGroup
	for i, id := range created {
		to := checkout.RefundSucceeded
		if i%2 == 1 {
			to = checkout.RefundFailed
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := settle(db, id, to, now); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := mustPayment(t, db, p.ID)
	if got.AmountRefunded != 900 || got.AmountRefundPending != 0 || got.Status != checkout.PaymentPartiallyRefunded {
		t.Fatalf("after settling 3 succeeded and 3 failed refunds of 300: %s, refunded %d, pending %d; want partially_refunded, 900, 0",
			got.Status, got.AmountRefunded, got.AmountRefundPending)
	}
}

// A refund's Idempotency-Key is unique per merchant: a second refund under
// it is ErrDuplicate with nothing reserved or written, even when twenty
// arrive at once with room for all, and RefundByIdempotencyKey finds the
// one that won; that is how the domain answers a request retried after a
// crash or run twice at once, instead of refunding twice. Another merchant
// may use the same key; refunds without a key never collide, and the empty
// key finds nothing. A failed refund is retried at most once (a second
// retry is ErrDuplicate) and RefundRetry finds that retry, and nothing for
// a refund never retried.
func refundIdempotencyKeysAndRetries(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	p := paidPayment(t, db, s)
	won, duplicates := race(t, 20, checkout.ErrDuplicate, func() (string, error) {
		r := newRefund(p, 100)
		r.IdempotencyKey = "refund-order-42"
		return r.ID, db.CreateRefund(ctx, r, refundCreated(r))
	})
	if len(won) != 1 || duplicates != 19 {
		t.Fatalf("%d refunds made under one key, %d duplicates; want 1 and 19", len(won), duplicates)
	}
	if got := mustPayment(t, db, p.ID); got.AmountRefundPending != 100 || countEvents(t, db, s.ID, checkout.EventRefundCreated) != 1 {
		t.Fatalf("duplicates reserved or wrote: pending %d, want 100", got.AmountRefundPending)
	}
	if r, err := db.RefundByIdempotencyKey(ctx, m.ID, "refund-order-42"); err != nil || r.ID != won[0] {
		t.Fatalf("refund by key: %v %v, want %s", r, err, won[0])
	}
	if _, err := db.RefundByIdempotencyKey(ctx, m.ID, "refund-order-43"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("refund by an unused key: %v, want ErrNotFound", err)
	}

	// Another merchant's key space is its own.
	other, otherSession := MustSession(t, db)
	q := paidPayment(t, db, otherSession)
	theirs := newRefund(q, 100)
	theirs.IdempotencyKey = "refund-order-42"
	mustCreateRefund(t, db, theirs)
	if r, err := db.RefundByIdempotencyKey(ctx, other.ID, "refund-order-42"); err != nil || r.ID != theirs.ID {
		t.Fatalf("the other merchant's refund by key: %v %v", r, err)
	}
	if r, err := db.RefundByIdempotencyKey(ctx, m.ID, "refund-order-42"); err != nil || r.ID != won[0] {
		t.Fatalf("refund by key after another merchant used it: %v %v", r, err)
	}

	// Refunds without a key.
	first, second := mustCreateRefund(t, db, newRefund(p, 200)), mustCreateRefund(t, db, newRefund(p, 200))
	if _, err := db.RefundByIdempotencyKey(ctx, m.ID, ""); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("refund by the empty key: %v, want ErrNotFound", err)
	}

	// One retry per failed refund.
	mustSettle(t, db, first.ID, checkout.RefundFailed)
	retry := newRefund(p, 200)
	retry.RetryOf = first.ID
	mustCreateRefund(t, db, retry)
	again := newRefund(p, 200)
	again.RetryOf = first.ID
	if err := db.CreateRefund(ctx, again, refundCreated(again)); !errors.Is(err, checkout.ErrDuplicate) {
		t.Fatalf("a second retry of one failed refund: %v, want ErrDuplicate", err)
	}
	if got := mustPayment(t, db, p.ID); got.AmountRefundPending != 100+200+200 {
		t.Fatalf("pending %d after a refused second retry, want 500", got.AmountRefundPending)
	}
	if r, err := db.RefundRetry(ctx, first.ID); err != nil || r.ID != retry.ID {
		t.Fatalf("retry of the failed refund: %v %v, want %s", r, err, retry.ID)
	}
	if _, err := db.RefundRetry(ctx, second.ID); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("retry of a refund never retried: %v, want ErrNotFound", err)
	}
	if _, err := db.RefundRetry(ctx, ""); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("retry of no refund: %v, want ErrNotFound", err)
	}
}

// UpdateRefund settles a pending refund and writes its payment in one
// transaction: succeeded moves the reservation to refunded, failed releases
// it, and both rows change or neither does. A refund settled already is not
// settled again (the first definitive answer stands: a late "failed" must
// not release a reservation that was refunded), a payment that moved since
// it was read refuses the whole write (the domain reads both again), and a
// refused write leaves no event and no webhook. Without a payment it only
// reschedules the inquiry, keeping what the provider said (its reference).
func updateRefundMovesRefundAndPaymentTogether(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	mustInsertEndpoint(t, db, endpointFor(m))
	p := paidPayment(t, db, s)
	r1 := mustCreateRefund(t, db, newRefund(p, 500))
	r2 := mustCreateRefund(t, db, newRefund(p, 300))
	read := mustPayment(t, db, p.ID)

	// An inquiry that learned nothing final reschedules r2 only.
	later := *mustRefund(t, db, r2.ID)
	later.ProviderRef, later.CheckCount, later.NextCheckAt, later.UpdatedAt = "RF-2", 1, now.Add(10*time.Minute), now.Add(time.Minute)
	if err := db.UpdateRefund(ctx, &later, nil); err != nil {
		t.Fatal(err)
	}
	got := mustRefund(t, db, r2.ID)
	if got.Status != checkout.RefundPending || got.ProviderRef != "RF-2" || got.CheckCount != 1 ||
		!got.NextCheckAt.Equal(now.Add(10*time.Minute)) || !got.UpdatedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("rescheduled refund: %+v", got)
	}
	if now := mustPayment(t, db, p.ID); now.Version != read.Version {
		t.Fatal("rescheduling a refund wrote its payment")
	}

	mustSettle(t, db, r1.ID, checkout.RefundSucceeded)
	pay := mustPayment(t, db, p.ID)
	if pay.AmountRefunded != 500 || pay.AmountRefundPending != 300 || pay.Status != checkout.PaymentPartiallyRefunded {
		t.Fatalf("after a 500 refund succeeded: %s, refunded %d, pending %d", pay.Status, pay.AmountRefunded, pay.AmountRefundPending)
	}
	if r := mustRefund(t, db, r1.ID); r.Status != checkout.RefundSucceeded {
		t.Fatalf("settled refund is %s", r.Status)
	}
	events, hooks := len(timeline(t, db, s.ID)), len(deliveries(t, db, m.ID))

	// A late answer for the settled refund changes nothing.
	late := *mustRefund(t, db, r1.ID)
	late.Status = checkout.RefundFailed
	np := *pay
	np.AmountRefunded, np.Version = 0, pay.Version+1
	if err := db.UpdateRefund(ctx, &late, &np, newEvent(s, checkout.EventRefundUpdated, checkout.WebhookRefundFailed)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("settling a settled refund again: %v, want ErrConflict", err)
	}
	// Settling r2 on a payment read before r1 settled changes nothing.
	settled := *mustRefund(t, db, r2.ID)
	settled.Status, settled.NextCheckAt = checkout.RefundSucceeded, time.Time{}
	np = *read
	np.AmountRefunded, np.AmountRefundPending, np.Version = 300, 500, read.Version+1
	if err := db.UpdateRefund(ctx, &settled, &np, newEvent(s, checkout.EventRefundUpdated, checkout.WebhookRefundSucceeded)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("settling a refund on a stale payment: %v, want ErrConflict", err)
	}
	if got := mustRefund(t, db, r1.ID); got.Status != checkout.RefundSucceeded {
		t.Fatalf("a late answer moved a settled refund to %s", got.Status)
	}
	if got := mustRefund(t, db, r2.ID); got.Status != checkout.RefundPending || got.ProviderRef != "RF-2" || !got.NextCheckAt.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("a refused settlement wrote the refund: %+v", got)
	}
	if got := mustPayment(t, db, p.ID); got.Version != pay.Version || got.AmountRefunded != 500 || got.AmountRefundPending != 300 {
		t.Fatalf("refused settlements wrote the payment: refunded %d, pending %d", got.AmountRefunded, got.AmountRefundPending)
	}
	if len(timeline(t, db, s.ID)) != events || len(deliveries(t, db, m.ID)) != hooks {
		t.Fatal("a refused settlement wrote its event or queued its webhook")
	}

	// A refusal releases the reservation.
	mustSettle(t, db, r2.ID, checkout.RefundFailed)
	if got := mustRefund(t, db, r2.ID); got.Status != checkout.RefundFailed || got.ProviderCode != "declined" || got.ProviderRef != "RF-2" {
		t.Fatalf("failed refund: %+v", got)
	}
	if got := mustPayment(t, db, p.ID); got.AmountRefunded != 500 || got.AmountRefundPending != 0 || got.Status != checkout.PaymentPartiallyRefunded {
		t.Fatalf("after the 300 refund failed: %s, refunded %d, pending %d", got.Status, got.AmountRefunded, got.AmountRefundPending)
	}
	types := map[string]int{}
	for _, d := range deliveries(t, db, m.ID) {
		types[d.Type]++
	}
	if types[checkout.WebhookRefundSucceeded] != 1 || types[checkout.WebhookRefundFailed] != 1 || countEvents(t, db, s.ID, checkout.EventRefundUpdated) != 2 {
		t.Fatalf("webhooks %v; want one refund.succeeded and one refund.failed, with their events", types)
	}
}

// Pending refunds are inquired on their schedule: RefundsToCheck lists the
// pending ones due at a time, the most overdue first and at most limit of
// them, never a settled one; CheckRefundsNow (a provider said something
// about a payment's refunds) makes that payment's pending refunds due at
// once, and no other refund. PaymentRefunds lists a payment's refunds
// oldest first, as the merchant API and dashboard show them.
func refundInquirySchedule(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	_, s := MustSession(t, db)
	p := paidPayment(t, db, s)
	at := func(r *checkout.Refund, created, due time.Duration) *checkout.Refund {
		r.CreatedAt, r.UpdatedAt, r.NextCheckAt = now.Add(created), now.Add(created), now.Add(due)
		return mustCreateRefund(t, db, r)
	}
	a := at(newRefund(p, 100), 2*time.Second, 10*time.Minute)
	b := at(newRefund(p, 100), 0, 5*time.Minute)
	c := at(newRefund(p, 100), time.Second, 7*time.Minute)
	mustSettle(t, db, c.ID, checkout.RefundSucceeded)
	_, s2 := MustSession(t, db)
	d := at(newRefund(paidPayment(t, db, s2), 100), 0, 30*time.Minute)

	due := func(at time.Duration, limit int) []string {
		t.Helper()
		rs, err := db.RefundsToCheck(ctx, now.Add(at), time.Minute, limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string {
		slices.Sort(ids)
		return ids
	}
	for _, tc := range []struct {
		name  string
		at    time.Duration
		limit int
		want  []string
	}{
		{"before any is due", 0, 10, nil},
		{"once b is due", 6 * time.Minute, 10, []string{b.ID}},
		{"b claimed for a minute", 6 * time.Minute, 10, nil},
		{"limited to the most overdue (b, its claim over)", 11 * time.Minute, 1, []string{b.ID}},
		{"then a (b claimed again, c settled)", 11 * time.Minute, 10, []string{a.ID}},
		{"all due, every claim over", time.Hour, 10, sorted(b.ID, a.ID, d.ID)},
	} {
		if got := due(tc.at, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("%s: due %v, want %v", tc.name, got, tc.want)
		}
	}

	if err := db.CheckRefundsNow(ctx, p.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := due(time.Minute, 10); !slices.Equal(got, sorted(a.ID, b.ID)) {
		t.Fatalf("due after CheckRefundsNow: %v, want the payment's pending refunds %s and %s", got, a.ID, b.ID)
	}
	if got := mustRefund(t, db, c.ID); !got.NextCheckAt.IsZero() {
		t.Fatalf("CheckRefundsNow scheduled a settled refund for %v", got.NextCheckAt)
	}
	if got := mustRefund(t, db, d.ID); !got.NextCheckAt.Equal(now.Add(time.Hour + time.Minute)) {
		t.Fatalf("CheckRefundsNow moved another payment's refund to %v (want its claim's end)", got.NextCheckAt)
	}

	rs, err := db.PaymentRefunds(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{b.ID, c.ID, a.ID}) {
		t.Fatalf("payment refunds %v, want oldest first %v", ids, []string{b.ID, c.ID, a.ID})
	}
}
