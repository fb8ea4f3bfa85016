package providertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Refund amounts the suite uses, in minor units of a payment of 12.34.
// Every sandbox that refunds honours the same test values: a refund whose
// amount ends in 71 is held (pending) and then succeeds, one ending in 72
// is held and then fails, releasing its amount; each settles once it has
// been inquired twice.
const (
	refundPartial         int64 = 234
	refundPendingSucceeds int64 = 171
	refundPendingFails    int64 = 172
	refundTooMuch         int64 = 1235 // more than was captured
	paymentAmount         int64 = 1234
)

// RefundHarness pairs a refunding adapter with its sandbox.
type RefundHarness struct {
	// Provider is the adapter under test, configured for the sandbox with
	// an HTTP timeout of a few seconds. It must be a checkout.Refunder, a
	// checkout.RefundInquirer and a checkout.Notifier.
	Provider checkout.Provider
	// Currency of the test payments; USD when empty.
	Currency string
	// InjectFault arms a fault on the sandbox (its InjectFault);
	// RefundOperation and InquiryOperation are the sandbox's operation
	// names for the refund call and the refund inquiry.
	InjectFault      func(sandboxfault.Fault) error
	RefundOperation  string
	InquiryOperation string
	// Refunds reads the sandbox's ledger: the refunds of our payment, in
	// the order they were made, as the provider holds them.
	Refunds func(paymentID string) []LedgerRefund
	// Notifications returns every notification the sandbox has posted to
	// our notify URL so far, exactly as it arrived.
	Notifications func() []checkout.NotificationRequest
	// WaitNotifications waits until every notification the sandbox has
	// emitted so far was delivered (or given up).
	WaitNotifications func(ctx context.Context) error
}

// LedgerRefund is one refund as the sandbox's ledger holds it.
type LedgerRefund struct {
	ID     string // our refund id, as the provider echoes it
	Amount int64
	Status checkout.RefundStatus // what the provider's status means for the money
}

// RunRefunds runs the refund scenarios. The ones that arm faults run one
// after the other (a fault is armed on the whole sandbox); the others then
// run in parallel.
func RunRefunds(t *testing.T, h RefundHarness) {
	t.Helper()
	if h.Provider == nil || h.InjectFault == nil || h.Refunds == nil || h.Notifications == nil || h.WaitNotifications == nil ||
		h.RefundOperation == "" || h.InquiryOperation == "" {
		t.Fatal("providertest: the refund harness needs Provider, InjectFault, both operations, Refunds, Notifications and WaitNotifications")
	}
	if _, ok := h.Provider.(checkout.Refunder); !ok {
		t.Fatal("providertest: the provider does not refund")
	}
	if _, ok := h.Provider.(checkout.RefundInquirer); !ok {
		t.Fatal("providertest: the provider does not inquire refunds")
	}
	if _, ok := h.Provider.(checkout.Notifier); !ok {
		t.Fatal("providertest: the provider reads no notifications")
	}
	if h.Currency == "" {
		h.Currency = "USD"
	}

	// Faults first, one at a time.
	t.Run("timeout after the provider refunded, resolved by inquiry", func(t *testing.T) {
		j := newRefundJourney(t, h)
		r := j.request(refundPartial)
		j.arm(sandboxfault.Fault{Kind: sandboxfault.Timeout, Operation: h.RefundOperation})
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		if out, err := j.refunder().Refund(ctx, j.payment, r); err == nil {
			t.Fatalf("the provider held its answer but the adapter concluded %+v", out)
		} else {
			j.unknown(err)
		}
		out := j.settle(j.record(r, checkout.RefundOutcome{}))
		j.expect(out, checkout.RefundSucceeded)
		j.expectLedger(LedgerRefund{r.RefundID, refundPartial, checkout.RefundSucceeded})
		// The same refund sent again under its key refunds nothing more.
		if again, err := j.refunder().Refund(t.Context(), j.payment, r); err == nil {
			j.expect(again, checkout.RefundSucceeded)
		}
		j.expectLedger(LedgerRefund{r.RefundID, refundPartial, checkout.RefundSucceeded})
	})

	t.Run("5xx before the provider refunded: not found, sent again, refunded once", func(t *testing.T) {
		j := newRefundJourney(t, h)
		r := j.request(refundPartial)
		j.arm(sandboxfault.Fault{Kind: sandboxfault.ServerError, Operation: h.RefundOperation})
		if out, err := j.refunder().Refund(t.Context(), j.payment, r); err == nil {
			t.Fatalf("the provider answered 502 but the adapter concluded %+v", out)
		} else {
			j.unknown(err)
		}
		lost := j.record(r, checkout.RefundOutcome{})
		if out, err := j.inquirer().InquireRefund(t.Context(), j.payment, lost); !errors.Is(err, checkout.ErrRefundNotFound) {
			t.Fatalf("inquiry after the 5xx = %+v, %v; want ErrRefundNotFound", out, err)
		}
		j.expectLedger()
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatalf("the refund sent again: %v", err)
		}
		j.expect(out, checkout.RefundSucceeded)
		j.expect(j.settle(j.record(r, out)), checkout.RefundSucceeded)
		j.expectLedger(LedgerRefund{r.RefundID, refundPartial, checkout.RefundSucceeded})
	})

	t.Run("reset or malformed after the provider refunded, resolved by inquiry", func(t *testing.T) {
		j := newRefundJourney(t, h)
		var want []LedgerRefund
		for _, kind := range []sandboxfault.Kind{sandboxfault.Reset, sandboxfault.Malformed} {
			r := j.request(refundPartial)
			j.arm(sandboxfault.Fault{Kind: kind, Operation: h.RefundOperation})
			if out, err := j.refunder().Refund(t.Context(), j.payment, r); err == nil {
				t.Fatalf("%s: the adapter concluded %+v", kind, out)
			} else {
				j.unknown(err)
			}
			j.expect(j.settle(j.record(r, checkout.RefundOutcome{})), checkout.RefundSucceeded)
			want = append(want, LedgerRefund{r.RefundID, refundPartial, checkout.RefundSucceeded})
		}
		j.expectLedger(want...)
	})

	t.Run("a failed inquiry is unknown, never not found", func(t *testing.T) {
		j := newRefundJourney(t, h)
		r := j.request(refundPartial)
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatal(err)
		}
		made := j.record(r, out)
		lost := j.record(j.request(refundPartial), checkout.RefundOutcome{})
		for _, rf := range []checkout.Refund{made, lost} {
			// (A reset is left out: Go's client may retry an inquiry that
			// is a GET on a reused connection, and then rightly succeeds.)
			for _, kind := range []sandboxfault.Kind{sandboxfault.ServerError, sandboxfault.Malformed} {
				j.arm(sandboxfault.Fault{Kind: kind, Operation: h.InquiryOperation})
				if got, err := j.inquirer().InquireRefund(t.Context(), j.payment, rf); err == nil {
					t.Fatalf("inquiry under %s = %+v", kind, got)
				} else {
					j.unknown(err)
				}
			}
		}
		j.expect(j.settle(made), checkout.RefundSucceeded)
		if got, err := j.inquirer().InquireRefund(t.Context(), j.payment, lost); !errors.Is(err, checkout.ErrRefundNotFound) {
			t.Fatalf("inquiry about a refund never sent = %+v, %v; want ErrRefundNotFound", got, err)
		}
	})

	// Then the rest, in parallel.
	t.Run("refund succeeded", func(t *testing.T) {
		t.Parallel()
		j := newRefundJourney(t, h)
		r := j.request(refundPartial)
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatal(err)
		}
		j.expect(out, checkout.RefundSucceeded)
		if out.ProviderRef == "" {
			t.Error("a refund without the provider's id")
		}
		j.expect(j.settle(j.record(r, out)), checkout.RefundSucceeded)
		// Found by our id alone too, as after a crash before the answer was stored.
		j.expect(j.settle(j.record(r, checkout.RefundOutcome{})), checkout.RefundSucceeded)
		j.expectLedger(LedgerRefund{r.RefundID, refundPartial, checkout.RefundSucceeded})
	})

	t.Run("refund refused: more than was captured", func(t *testing.T) {
		t.Parallel()
		j := newRefundJourney(t, h)
		r := j.request(refundTooMuch)
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatal(err)
		}
		j.expect(out, checkout.RefundFailed)
		if got, err := j.inquirer().InquireRefund(t.Context(), j.payment, j.record(r, out)); err == nil && got.Status != checkout.RefundFailed ||
			err != nil && !errors.Is(err, checkout.ErrRefundNotFound) {
			t.Errorf("inquiry about the refused refund = %+v, %v; want failed or not found", got, err)
		}
		j.expectLedger()
	})

	t.Run("pending, then succeeded by inquiry", func(t *testing.T) {
		t.Parallel()
		j := newRefundJourney(t, h)
		r := j.request(refundPendingSucceeds)
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatal(err)
		}
		j.expect(out, checkout.RefundPending)
		j.expectLedger(LedgerRefund{r.RefundID, refundPendingSucceeds, checkout.RefundPending})
		final := j.settleAfterPending(j.record(r, out))
		j.expect(final, checkout.RefundSucceeded)
		j.expectLedger(LedgerRefund{r.RefundID, refundPendingSucceeds, checkout.RefundSucceeded})
		j.expectNotice(r, checkout.RefundSucceeded)
	})

	t.Run("pending, then failed by inquiry, the amount released", func(t *testing.T) {
		t.Parallel()
		j := newRefundJourney(t, h)
		r := j.request(refundPendingFails)
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatal(err)
		}
		j.expect(out, checkout.RefundPending)
		final := j.settleAfterPending(j.record(r, out))
		j.expect(final, checkout.RefundFailed)
		j.expectNotice(r, checkout.RefundFailed)
		// The failed amount is free again: the whole payment can be refunded.
		all := j.request(paymentAmount)
		if out, err := j.refunder().Refund(t.Context(), j.payment, all); err != nil || out.Status != checkout.RefundSucceeded {
			t.Fatalf("refund of everything after the failed one = %+v, %v", out, err)
		}
		j.expectLedger(LedgerRefund{r.RefundID, refundPendingFails, checkout.RefundFailed}, LedgerRefund{all.RefundID, paymentAmount, checkout.RefundSucceeded})
	})

	t.Run("duplicate refund call under the same key refunds once", func(t *testing.T) {
		t.Parallel()
		j := newRefundJourney(t, h)
		r := j.request(refundPartial)
		first, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			t.Fatal(err)
		}
		j.expect(first, checkout.RefundSucceeded)
		again, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil {
			again = j.settle(j.record(r, first))
		}
		j.expect(again, checkout.RefundSucceeded)
		if again.ProviderRef != first.ProviderRef {
			t.Errorf("the repeat is refund %q, the first %q", again.ProviderRef, first.ProviderRef)
		}
		j.expectLedger(LedgerRefund{r.RefundID, refundPartial, checkout.RefundSucceeded})
	})

	t.Run("signed refund notification read, tampered one rejected", func(t *testing.T) {
		t.Parallel()
		j := newRefundJourney(t, h)
		r := j.request(refundPartial)
		out, err := j.refunder().Refund(t.Context(), j.payment, r)
		if err != nil || out.Status != checkout.RefundSucceeded {
			t.Fatalf("refund = %+v, %v", out, err)
		}
		req, n := j.notice(r, checkout.RefundSucceeded)
		if n.EventID == "" || n.Refund.ProviderRef != out.ProviderRef || n.Refund.Outcome.ProviderRef != out.ProviderRef ||
			n.Refund.Amount == nil || *n.Refund.Amount != r.Amount || n.Reply.Status < 200 || n.Reply.Status > 299 {
			t.Errorf("refund notification = %+v (notice %+v)", n, n.Refund)
		}
		for name, tamper := range map[string]func([]byte) []byte{
			"a byte more": func(b []byte) []byte { return append(append([]byte(nil), b...), ' ') },
			"another amount": func(b []byte) []byte {
				return []byte(strings.Replace(string(b), "234", "233", 1))
			},
			"another refund": func(b []byte) []byte {
				return []byte(strings.Replace(string(b), r.RefundID, j.request(1).RefundID, 1))
			},
		} {
			bad := req
			bad.Header = req.Header.Clone()
			if bad.Body = tamper(req.Body); string(bad.Body) == string(req.Body) {
				continue // nothing to change in this provider's body
			}
			if _, err := j.notifier().Notification(t.Context(), bad); err == nil {
				t.Errorf("a notification with %s was accepted", name)
			}
		}
	})
}

// refundJourney is one captured payment and the refunds made on it, driven
// the way the Service drives them.
type refundJourney struct {
	t       testing.TB
	h       RefundHarness
	payment checkout.Payment
	ids     checkout.RandomIDs
}

// newRefundJourney pays 12.34 with a frictionless card and automatic capture.
func newRefundJourney(t testing.TB, h RefundHarness) *refundJourney {
	t.Helper()
	pj := newJourney(t, Harness{Provider: h.Provider, Currency: h.Currency}, testcards.Visa)
	out, err := pj.pay("")
	if err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("paying before the refund: %s, %v", out.Status, err)
	}
	p := pj.payment
	p.Status = checkout.PaymentSucceeded
	return &refundJourney{t: t, h: h, payment: p}
}

func (j *refundJourney) refunder() checkout.Refunder { return j.h.Provider.(checkout.Refunder) }
func (j *refundJourney) inquirer() checkout.RefundInquirer {
	return j.h.Provider.(checkout.RefundInquirer)
}
func (j *refundJourney) notifier() checkout.Notifier { return j.h.Provider.(checkout.Notifier) }

// request is a refund of amount under a fresh refund id, which is also its
// idempotency key, as the Service makes them.
func (j *refundJourney) request(amount int64) checkout.RefundRequest {
	id := j.ids.NewID(checkout.PrefixRefund)
	return checkout.RefundRequest{RefundID: id, IdempotencyKey: id, Amount: checkout.Money{Amount: amount, Currency: j.payment.Amount.Currency}}
}

// record is the refund as the Service keeps it after the call answered out
// (nothing known when the call failed).
func (j *refundJourney) record(r checkout.RefundRequest, out checkout.RefundOutcome) checkout.Refund {
	return checkout.Refund{
		ID: r.RefundID, PaymentID: j.payment.ID, SessionID: j.payment.SessionID, Status: checkout.RefundPending,
		Amount: r.Amount, ProviderRef: out.ProviderRef, CreatedAt: time.Now().UTC(),
	}
}

func (j *refundJourney) arm(f sandboxfault.Fault) {
	j.t.Helper()
	if err := j.h.InjectFault(f); err != nil {
		j.t.Fatal(err)
	}
}

// settle inquires until the refund is no longer pending.
func (j *refundJourney) settle(r checkout.Refund) checkout.RefundOutcome {
	j.t.Helper()
	out, _ := j.inquireUntilFinal(r)
	return out
}

// settleAfterPending inquires a refund the provider holds: the first
// answer must say pending, and a later one must settle it.
func (j *refundJourney) settleAfterPending(r checkout.Refund) checkout.RefundOutcome {
	j.t.Helper()
	out, pending := j.inquireUntilFinal(r)
	if pending == 0 {
		j.t.Errorf("a held refund was %s at the first inquiry", out.Status)
	}
	return out
}

func (j *refundJourney) inquireUntilFinal(r checkout.Refund) (checkout.RefundOutcome, int) {
	j.t.Helper()
	for pending := range 10 {
		out, err := j.inquirer().InquireRefund(j.t.Context(), j.payment, r)
		if err != nil {
			j.t.Fatalf("inquiry %d: %v", pending+1, err)
		}
		if out.Status != checkout.RefundPending {
			if r.ProviderRef != "" && out.ProviderRef != r.ProviderRef {
				j.t.Errorf("the inquiry answered about refund %q, not %q", out.ProviderRef, r.ProviderRef)
			}
			return out, pending
		}
		if r.ProviderRef == "" {
			r.ProviderRef = out.ProviderRef
		}
	}
	j.t.Fatal("the refund stayed pending after 10 inquiries")
	return checkout.RefundOutcome{}, 0
}

func (j *refundJourney) expect(out checkout.RefundOutcome, status checkout.RefundStatus) {
	j.t.Helper()
	if out.Status != status {
		j.t.Fatalf("refund = %+v, want %s", out, status)
	}
	if status == checkout.RefundFailed && out.ProviderCode == "" {
		j.t.Error("a failed refund without the provider's code")
	}
}

// unknown checks that an error is an unknown outcome: not "not found", and
// prefixed with the provider's name.
func (j *refundJourney) unknown(err error) {
	j.t.Helper()
	if errors.Is(err, checkout.ErrRefundNotFound) {
		j.t.Errorf("an unknown outcome read as not found: %v", err)
	}
	if !strings.HasPrefix(err.Error(), j.h.Provider.Name()+": ") {
		j.t.Errorf("error %q is not prefixed with the provider name", err)
	}
}

func (j *refundJourney) expectLedger(want ...LedgerRefund) {
	j.t.Helper()
	got := j.h.Refunds(j.payment.ID)
	if len(got) != len(want) {
		j.t.Fatalf("the sandbox holds %d refunds %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			j.t.Errorf("the sandbox's refund %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// notice waits for the sandbox's notification that says refund r reached
// status, and returns the request as received and the adapter's reading.
func (j *refundJourney) notice(r checkout.RefundRequest, status checkout.RefundStatus) (checkout.NotificationRequest, checkout.Notification) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.t.Context(), 10*time.Second)
	defer cancel()
	if err := j.h.WaitNotifications(ctx); err != nil {
		j.t.Fatal(err)
	}
	for _, req := range j.h.Notifications() {
		n, err := j.notifier().Notification(j.t.Context(), req)
		if err != nil || n.Refund == nil || n.Refund.RefundID != r.RefundID || n.Refund.Outcome.Status != status {
			continue
		}
		return req, n
	}
	j.t.Fatalf("no notification says refund %s is %s", r.RefundID, status)
	return checkout.NotificationRequest{}, checkout.Notification{}
}

// expectNotice checks that a notification told the refund's final status.
func (j *refundJourney) expectNotice(r checkout.RefundRequest, status checkout.RefundStatus) {
	j.t.Helper()
	_, n := j.notice(r, status)
	if n.Refund.Amount == nil || *n.Refund.Amount != r.Amount || n.Refund.ProviderRef == "" {
		j.t.Errorf("refund notice %+v", n.Refund)
	}
}
