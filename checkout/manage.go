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
	capturer, ok := s.providerOf(p).(Capturer)
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
	canceler, ok := s.providerOf(p).(Canceler)
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
		call := map[string]any{"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds(), "error": ProviderErrorClass(callErr)}
		s.observeCall(ctx, call, took)
		_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, actorData(ctx, call)))
		return nil, &Error{Code: EUnavailable, Message: "The payment provider did not confirm the " + op + "; nothing changed here. Retrying is safe.", Err: callErr}
	}
	switch {
	case want == PaymentCaptured && out.Status == OutcomeSucceeded, want == PaymentCanceled && out.Status == OutcomeCanceled:
		return s.settle(ctx, p, op, took, out, nil)
	case out.Status == OutcomeAuthorized:
		call := map[string]any{"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds(), "outcome": string(out.Status)}
		s.observeCall(ctx, call, took)
		_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, actorData(ctx, call)))
		return nil, &Error{Code: EUnavailable, Message: "The payment provider has not completed the " + op + " yet; retry later."}
	}
	s.Log.WarnContext(ctx, "provider refused", "session_id", p.SessionID, "payment_id", p.ID, "provider", p.Provider,
		"operation", op, "outcome", out.Status)
	call := map[string]any{"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds(), "outcome": string(out.Status)}
	s.observeCall(ctx, call, took)
	_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, actorData(ctx, call)))
	if out.Status == OutcomeSucceeded || out.Status == OutcomeCanceled || out.Status == OutcomeRefunded {
		// The provider says the payment moved on another way (captured
		// when asked to cancel, or the reverse): record the truth.
		if q, err := s.settle(ctx, p, op, took, out, nil); err == nil && q.Status != p.Status {
			return nil, Errorf(EConflict, "The payment is %s at the provider; nothing else changed.", q.Status)
		}
	}
	return nil, Errorf(EConflict, "The payment provider refused the %s.", op)
}

// PaymentActions says which of refund, capture and cancel p's status and
// its provider allow now (what a dashboard offers; the calls themselves
// check again, in the store's statements).
func (s *Service) PaymentActions(p *Payment) (refund, capture, cancel bool) {
	prov := s.providerOf(p)
	_, canRefund := prov.(Refunder)
	_, canCapture := prov.(Capturer)
	_, canCancel := prov.(Canceler)
	switch p.Status {
	case PaymentSucceeded, PaymentCaptured, PaymentPartiallyRefunded:
		refund = canRefund && p.Amount.Amount-p.AmountRefunded-p.AmountRefundPending > 0
	case PaymentAuthorized:
		capture, cancel = canCapture, canCancel
	}
	return refund, capture, cancel
}
