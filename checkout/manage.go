package checkout

import (
	"context"
	"errors"
	"time"
)

// MerchantPayment returns one of the merchant's payments.
func (s *Service) MerchantPayment(ctx context.Context, merchantID, id string) (*Payment, error) {
	if !ValidID(PrefixPayment, id) {
		return nil, Errorf(ENotFound, "No such payment.")
	}
	p, err := s.Store.Payment(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && p.MerchantID != merchantID) {
		return nil, Errorf(ENotFound, "No such payment.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return p, nil
}

// Refunds lists a payment's refunds, oldest first.
func (s *Service) Refunds(ctx context.Context, paymentID string) ([]*Refund, error) {
	rs, err := s.Store.PaymentRefunds(ctx, paymentID)
	if err != nil {
		return nil, Internal(err)
	}
	return rs, nil
}

// Capture takes the money of an authorized (manual capture) payment. A
// payment captured already is returned as it is, so a retry is harmless.
func (s *Service) Capture(ctx context.Context, merchantID, paymentID string) (*Payment, error) {
	p, err := s.MerchantPayment(ctx, merchantID, paymentID)
	if err != nil {
		return nil, err
	}
	if p.Status == PaymentCaptured {
		return p, nil
	}
	if p.Status != PaymentAuthorized {
		return nil, Errorf(EConflict, "Only authorized payments can be captured; this one is %s.", p.Status)
	}
	capturer, ok := s.Providers[p.Provider].(Capturer)
	if !ok {
		return nil, &Error{Code: EUnsupported, Message: "Provider " + p.Provider + " cannot capture payments."}
	}
	start := time.Now()
	out, callErr := capturer.Capture(ctx, *p)
	return s.manage(ctx, p, "capture", time.Since(start), out, callErr, PaymentCaptured)
}

// Cancel releases the authorization of an uncaptured payment. A payment
// canceled already is returned as it is.
func (s *Service) Cancel(ctx context.Context, merchantID, paymentID string) (*Payment, error) {
	p, err := s.MerchantPayment(ctx, merchantID, paymentID)
	if err != nil {
		return nil, err
	}
	if p.Status == PaymentCanceled {
		return p, nil
	}
	if p.Status != PaymentAuthorized {
		return nil, Errorf(EConflict, "Only authorized, uncaptured payments can be canceled; this one is %s.", p.Status)
	}
	canceler, ok := s.Providers[p.Provider].(Canceler)
	if !ok {
		return nil, &Error{Code: EUnsupported, Message: "Provider " + p.Provider + " cannot cancel payments."}
	}
	start := time.Now()
	out, callErr := canceler.Cancel(ctx, *p)
	return s.manage(ctx, p, "cancel", time.Since(start), out, callErr, PaymentCanceled)
}

// manage records the answer to a capture or cancel. Only the status asked
// for (or an answer that the payment is still authorized) is accepted; an
// unknown answer changes nothing and tells the merchant to retry.
func (s *Service) manage(ctx context.Context, p *Payment, op string, took time.Duration, out Outcome, callErr error, want PaymentStatus) (*Payment, error) {
	if callErr != nil {
		s.Log.WarnContext(ctx, "provider call failed", "session_id", p.SessionID, "payment_id", p.ID,
			"provider", p.Provider, "operation", op, "duration_ms", took.Milliseconds(), "err", callErr)
		_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, map[string]any{
			"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds(), "error": callErr.Error()}))
		return nil, &Error{Code: EUnavailable, Message: "The payment provider did not confirm the " + op + "; nothing changed here. Retrying is safe.", Err: callErr}
	}
	switch {
	case want == PaymentCaptured && out.Status == OutcomeSucceeded, want == PaymentCanceled && out.Status == OutcomeCanceled:
		return s.settle(ctx, p, op, took, out, nil)
	case out.Status == OutcomeAuthorized:
		_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, map[string]any{
			"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds(), "outcome": string(out.Status)}))
		return nil, &Error{Code: EUnavailable, Message: "The payment provider has not completed the " + op + " yet; retry later."}
	}
	s.Log.WarnContext(ctx, "provider refused", "session_id", p.SessionID, "payment_id", p.ID, "provider", p.Provider,
		"operation", op, "outcome", out.Status)
	_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, map[string]any{
		"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds(), "outcome": string(out.Status)}))
	if out.Status == OutcomeSucceeded || out.Status == OutcomeCanceled || out.Status == OutcomeRefunded {
		// The provider says the payment moved on another way (captured
		// when asked to cancel, or the reverse): record the truth.
		if q, err := s.settle(ctx, p, op, took, out, nil); err == nil && q.Status != p.Status {
			return nil, Errorf(EConflict, "The payment is %s at the provider; nothing else changed.", q.Status)
		}
	}
	return nil, Errorf(EConflict, "The payment provider refused the %s.", op)
}

// RefundParams is what a merchant asks to refund; Amount 0 means whatever
// is left.
type RefundParams struct {
	Amount int64
}

// Refund returns money of a paid payment. The amount is reserved on the
// payment before the provider is called, so concurrent refunds can never
// return more than was paid; a refused refund releases it. An unknown
// answer leaves the refund pending (and its amount reserved).
func (s *Service) Refund(ctx context.Context, merchantID, paymentID string, in RefundParams) (*Refund, *Payment, error) {
	p, err := s.MerchantPayment(ctx, merchantID, paymentID)
	if err != nil {
		return nil, nil, err
	}
	switch p.Status {
	case PaymentSucceeded, PaymentCaptured, PaymentPartiallyRefunded:
	default:
		return nil, nil, Errorf(EConflict, "Only paid payments can be refunded; this one is %s.", p.Status)
	}
	refunder, ok := s.Providers[p.Provider].(Refunder)
	if !ok {
		return nil, nil, &Error{Code: EUnsupported, Message: "Provider " + p.Provider + " cannot refund payments."}
	}
	left := p.Amount.Amount - p.AmountRefunded
	amount := in.Amount
	if amount == 0 {
		amount = left
	}
	if amount < 0 {
		return nil, nil, InvalidParam("amount", "amount must be a positive integer in minor units")
	}
	if amount > left {
		return nil, nil, InvalidParam("amount", "amount %d is more than the %d left to refund", amount, left)
	}
	now := s.now()
	r := &Refund{
		ID: s.IDs.NewID(PrefixRefund), PaymentID: p.ID, SessionID: p.SessionID, MerchantID: p.MerchantID,
		Status: RefundPending, Amount: Money{Amount: amount, Currency: p.Amount.Currency}, CreatedAt: now, UpdatedAt: now,
	}
	reserved := *p
	reserved.AmountRefunded += amount
	reserved.Version++
	reserved.UpdatedAt = now
	created := s.event(p.SessionID, p.ID, EventRefundCreated, map[string]any{"refund_id": r.ID, "amount": amount, "currency": r.Amount.Currency})
	if err := s.Store.CreateRefund(ctx, r, &reserved, created); errors.Is(err, ErrConflict) {
		return nil, nil, Errorf(EConflict, "The payment changed while refunding it; fetch it and try again.")
	} else if err != nil {
		return nil, nil, Internal(err)
	}
	start := time.Now()
	out, callErr := refunder.Refund(ctx, reserved, RefundRequest{RefundID: r.ID, IdempotencyKey: r.ID, Amount: r.Amount})
	took := time.Since(start)
	call := map[string]any{"operation": "refund", "provider": p.Provider, "duration_ms": took.Milliseconds(), "refund_id": r.ID}
	if callErr != nil {
		call["error"] = callErr.Error()
		s.Log.WarnContext(ctx, "provider call failed", "payment_id", p.ID, "refund_id", r.ID, "operation", "refund", "err", callErr)
		_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, call))
		return r, &reserved, nil // pending: reserved until a person or a later answer settles it
	}
	call["outcome"] = string(out.Status)
	r.ProviderRef, r.ProviderCode, r.UpdatedAt = out.ProviderRef, out.ProviderCode, s.now()
	events := []Event{s.event(p.SessionID, p.ID, EventProviderCall, call)}
	next := reserved
	next.Version++
	next.UpdatedAt = r.UpdatedAt
	switch out.Status {
	case RefundSucceeded, RefundPending:
		r.Status = out.Status
		to := PaymentPartiallyRefunded
		if next.AmountRefunded == next.Amount.Amount {
			to = PaymentRefunded
		}
		from := next.Status
		next.Status = to
		if to != from || to == PaymentPartiallyRefunded {
			// Every accepted refund is news for the merchant, partial ones included.
			e := s.statusEvent(&next, "", map[string]any{"from": string(from), "to": string(to), "reason": "refund " + r.ID})
			events = append(events, e)
		}
	default:
		r.Status = RefundFailed
		next.AmountRefunded -= amount
	}
	events = append(events, s.event(p.SessionID, p.ID, EventRefundUpdated, map[string]any{"refund_id": r.ID, "status": string(r.Status)}))
	for {
		err := s.Store.UpdateRefund(ctx, r, &next, events...)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) {
			return nil, nil, Internal(err)
		}
		// The payment moved meanwhile (another refund): apply ours to the fresh row.
		fresh, err := s.Store.Payment(ctx, p.ID)
		if err != nil {
			return nil, nil, Internal(err)
		}
		next = rebase(fresh, r, amount, s.now())
	}
	if r.Status == RefundFailed {
		return r, &next, Errorf(EConflict, "The payment provider refused the refund.")
	}
	s.Log.InfoContext(ctx, "refund recorded", "payment_id", p.ID, "refund_id", r.ID, "status", r.Status, "amount", amount)
	return r, &next, nil
}

// rebase applies a settled refund to a freshly read payment.
func rebase(fresh *Payment, r *Refund, amount int64, now time.Time) Payment {
	next := *fresh
	next.Version++
	next.UpdatedAt = now
	if r.Status == RefundFailed {
		next.AmountRefunded -= amount
		return next
	}
	if next.AmountRefunded == next.Amount.Amount {
		next.Status = PaymentRefunded
	} else if next.Status != PaymentRefunded {
		next.Status = PaymentPartiallyRefunded
	}
	return next
}
