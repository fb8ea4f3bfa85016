package checkout

import (
	"context"
	"errors"
	"maps"
	"time"
)

// Merchant webhooks about refunds: a refund settled at the provider.
const (
	WebhookRefundSucceeded = "refund.succeeded"
	WebhookRefundFailed    = "refund.failed"
)

// RefundParams is what a merchant asks to refund: Amount 0 means whatever
// is left. IdempotencyKey is the request's Idempotency-Key, kept on the
// refund so that the same request retried after a crash finds it.
type RefundParams struct {
	Amount         int64
	IdempotencyKey string
}

// A refund's life: created pending (its amount reserved on the payment, in
// the statement that inserts it), then settled by the provider's answer to
// the refund call, or, when that answer is unknown or "in process", by
// InquireRefund on the inquiry schedule or a provider notification. Only a
// succeeded refund counts as refunded (amount_refunded, the payment's
// refunded status, payment.refunded); a failed one releases its reservation
// and may be retried once by the merchant (RetryRefund). A pending refund
// is never left unchecked: past the schedule it is inquired at its last
// interval and logged for a person.

// Refund returns money of a paid payment. The amount is reserved on the
// payment before the provider is called, so concurrent refunds can never
// return more than was paid. The provider's answer settles it: succeeded,
// failed (the reservation is released; an EConflict error with the refund),
// or pending when the answer is unknown or the provider holds it in
// process; a pending refund is settled later by inquiry or notification.
func (s *Service) Refund(ctx context.Context, merchantID, paymentID string, in RefundParams) (*Refund, *Payment, error) {
	p, err := s.MerchantPayment(ctx, merchantID, paymentID)
	if err != nil {
		return nil, nil, err
	}
	if r, err := s.Store.RefundByIdempotencyKey(ctx, merchantID, in.IdempotencyKey); err == nil {
		return s.replayRefund(ctx, p, r, in)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, nil, Internal(err)
	}
	switch p.Status {
	case PaymentSucceeded, PaymentCaptured, PaymentPartiallyRefunded:
	default:
		return nil, nil, Errorf(EConflict, "Only paid payments can be refunded; this one is %s.", p.Status)
	}
	if _, ok := s.providerOf(p).(Refunder); !ok {
		return nil, nil, &Error{Code: EUnsupported, Message: "Provider " + p.Provider + " cannot refund payments."}
	}
	amount, err := refundAmount(p, in.Amount)
	if err != nil {
		return nil, nil, err
	}
	r := s.newRefund(p, amount)
	r.IdempotencyKey = in.IdempotencyKey
	return s.startRefund(ctx, p, r, in)
}

// refundAmount checks the amount asked for against what is left to refund
// (the payment less its confirmed and pending refunds).
func refundAmount(p *Payment, asked int64) (int64, error) {
	left := p.Amount.Amount - p.AmountRefunded - p.AmountRefundPending
	if asked < 0 {
		return 0, InvalidParam("amount", "amount must be a positive integer in minor units")
	}
	if left <= 0 {
		if p.AmountRefundPending > 0 {
			return 0, Errorf(EConflict, "Nothing is left to refund: %d is refunded and %d is being refunded.", p.AmountRefunded, p.AmountRefundPending)
		}
		return 0, Errorf(EConflict, "Nothing is left to refund.")
	}
	if asked == 0 {
		return left, nil
	}
	if asked > left {
		if p.AmountRefundPending > 0 {
			return 0, InvalidParam("amount", "amount %d is more than the %d left to refund (%d is being refunded)", asked, left, p.AmountRefundPending)
		}
		return 0, InvalidParam("amount", "amount %d is more than the %d left to refund", asked, left)
	}
	return asked, nil
}

func (s *Service) newRefund(p *Payment, amount int64) *Refund {
	now := s.now()
	return &Refund{
		ID: s.IDs.NewID(PrefixRefund), PaymentID: p.ID, SessionID: p.SessionID, MerchantID: p.MerchantID, Livemode: p.Livemode,
		Status: RefundPending, Amount: Money{Amount: amount, Currency: p.Amount.Currency},
		// Should this process die during the provider call, the refund
		// is inquired then.
		NextCheckAt: now.Add(s.processingCheckAfter()),
		CreatedAt:   now, UpdatedAt: now,
	}
}

// startRefund stores r (reserving its amount) and sends it to the provider.
func (s *Service) startRefund(ctx context.Context, p *Payment, r *Refund, in RefundParams) (*Refund, *Payment, error) {
	data := map[string]any{"refund_id": r.ID, "amount": r.Amount.Amount, "currency": r.Amount.Currency}
	if r.RetryOf != "" {
		data["retry_of"] = r.RetryOf
	}
	switch err := s.Store.CreateRefund(ctx, r, s.event(p.SessionID, p.ID, EventRefundCreated, actorData(ctx, data))); {
	case errors.Is(err, ErrDuplicate) && r.RetryOf != "":
		done, err := s.Store.RefundRetry(ctx, r.RetryOf)
		if err != nil {
			return nil, nil, Internal(err)
		}
		return s.replayRefund(ctx, p, done, RefundParams{Amount: done.Amount.Amount, IdempotencyKey: done.IdempotencyKey})
	case errors.Is(err, ErrDuplicate):
		// The same request, run concurrently or before a crash.
		done, err := s.Store.RefundByIdempotencyKey(ctx, r.MerchantID, r.IdempotencyKey)
		if err != nil {
			return nil, nil, Internal(err)
		}
		return s.replayRefund(ctx, p, done, in)
	case errors.Is(err, ErrConflict):
		// The statement refused the reservation: the payment changed
		// since it was read (another refund, a cancel). A twin of this
		// request (the same retry, the same key) that won the race is
		// answered as such; otherwise say why as it is.
		if twin, ok := s.refundTwin(ctx, r); ok {
			return s.replayRefund(ctx, p, twin, in)
		}
		now, err := s.Store.Payment(ctx, p.ID)
		if err != nil {
			return nil, nil, Internal(err)
		}
		switch now.Status {
		case PaymentSucceeded, PaymentCaptured, PaymentPartiallyRefunded:
		default:
			return nil, nil, Errorf(EConflict, "Only paid payments can be refunded; this one is %s.", now.Status)
		}
		if _, err := refundAmount(now, r.Amount.Amount); err != nil {
			return nil, nil, err
		}
		return nil, nil, Errorf(EConflict, "The payment changed while refunding it; fetch it and try again.")
	case err != nil:
		return nil, nil, Internal(err)
	}
	s.crashPoint("refund.created")
	return s.sendRefund(ctx, r, "refund")
}

// refundTwin finds the refund that a concurrent twin of r made: the retry
// of the same failed refund, or the refund made under the same
// Idempotency-Key.
func (s *Service) refundTwin(ctx context.Context, r *Refund) (*Refund, bool) {
	if r.RetryOf != "" {
		if twin, err := s.Store.RefundRetry(ctx, r.RetryOf); err == nil {
			return twin, true
		}
	}
	if r.IdempotencyKey != "" {
		if twin, err := s.Store.RefundByIdempotencyKey(ctx, r.MerchantID, r.IdempotencyKey); err == nil && twin.PaymentID == r.PaymentID {
			return twin, true
		}
	}
	return nil, false
}

// replayRefund answers a refund request whose Idempotency-Key already made
// a refund: the same request gets that refund as it is now; a different
// one (another payment or amount) is an idempotency error.
func (s *Service) replayRefund(ctx context.Context, p *Payment, r *Refund, in RefundParams) (*Refund, *Payment, error) {
	if r.PaymentID != p.ID || (in.Amount != 0 && in.Amount != r.Amount.Amount) {
		return nil, nil, &Error{Code: EIdempotencyMismatch, Param: "Idempotency-Key", Message: "This Idempotency-Key was already used with a different request."}
	}
	fresh, err := s.Store.Payment(ctx, p.ID)
	if err != nil {
		return nil, nil, Internal(err)
	}
	if r.Status == RefundFailed {
		return r, fresh, &Error{Code: EConflict, Message: "The payment provider refused the refund."}
	}
	return r, fresh, nil
}

// sendRefund makes the refund call (again, after a crash or a "not found",
// under the same idempotency key: the refund id) and records the answer.
func (s *Service) sendRefund(ctx context.Context, r *Refund, op string) (*Refund, *Payment, error) {
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return nil, nil, Internal(err)
	}
	refunder, ok := s.providerOf(p).(Refunder)
	if !ok {
		return nil, nil, Internal(errors.New("provider " + p.Provider + " is not configured or cannot refund"))
	}
	start := time.Now()
	out, callErr := refunder.Refund(ctx, *p, RefundRequest{RefundID: r.ID, IdempotencyKey: r.ID, Amount: r.Amount})
	s.crashPoint("refund.answered")
	r, p, err = s.settleRefund(ctx, r, op, time.Since(start), out, callErr)
	s.crashPoint("refund.settled")
	if err == nil && r.Status == RefundFailed {
		err = &Error{Code: EConflict, Message: "The payment provider refused the refund."}
	}
	return r, p, err
}

// settleRefund records a provider's answer about a pending refund: the call
// on the timeline, then succeeded or failed (moving the reserved amount to
// refunded, or releasing it) or, for pending and unknown answers, the next
// inquiry. A refund settled meanwhile by someone else stays as it is.
func (s *Service) settleRefund(ctx context.Context, r *Refund, op string, took time.Duration, out RefundOutcome, callErr error) (*Refund, *Payment, error) {
	call := map[string]any{"operation": op, "provider": "", "duration_ms": took.Milliseconds(), "refund_id": r.ID}
	if callErr != nil {
		call["error"] = ProviderErrorClass(callErr)
	} else {
		call["outcome"] = string(out.Status)
		if out.ProviderCode != "" {
			call["provider_code"] = out.ProviderCode
		}
	}
	observed := false
	for range 10 {
		delete(call, "settled") // a try that lost a race settled nothing
		cur, err := s.Store.Refund(ctx, r.ID)
		if err != nil {
			return nil, nil, Internal(err)
		}
		p, err := s.Store.Payment(ctx, cur.PaymentID)
		if err != nil {
			return nil, nil, Internal(err)
		}
		call["provider"] = p.Provider
		if !observed {
			s.observeCall(ctx, call, took)
			observed = true
		}
		if cur.Status != RefundPending {
			// Settled meanwhile (a notification, another instance): the
			// first definitive answer stands; this one goes on the timeline.
			_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, call))
			return cur, p, nil
		}
		next := *cur
		next.UpdatedAt = s.now()
		if callErr == nil && out.ProviderRef != "" {
			next.ProviderRef = out.ProviderRef
		}
		settled := callErr == nil && (out.Status == RefundSucceeded || out.Status == RefundFailed)
		if settled {
			call["settled"] = string(out.Status) // for the timeline: written only with the change
		}
		events := []Event{s.event(p.SessionID, p.ID, EventProviderCall, actorData(ctx, call))}
		if !settled {
			// Unknown, or in process at the provider: ask again later.
			if op != "refund" {
				next.CheckCount++
			}
			delay, ok := NextCheckDelay(next.CheckCount)
			if !ok {
				s.Log.ErrorContext(ctx, "refund outcome still unknown after the whole inquiry schedule; needs a person",
					"payment_id", p.ID, "refund_id", r.ID, "provider", p.Provider, "inquiries", next.CheckCount)
			}
			next.NextCheckAt = next.UpdatedAt.Add(delay)
			if callErr != nil {
				s.Log.WarnContext(ctx, "provider call failed", "payment_id", p.ID, "refund_id", r.ID, "operation", op, "err", callErr)
			}
		} else {
			next.Status, next.NextCheckAt = out.Status, time.Time{}
			if out.Status == RefundFailed {
				next.ProviderCode = out.ProviderCode
			}
			np := *p
			np.ProviderData = maps.Clone(p.ProviderData)
			np.AmountRefundPending -= cur.Amount.Amount
			if out.Status == RefundSucceeded {
				np.AmountRefunded += cur.Amount.Amount
				np.Status = PaymentPartiallyRefunded
				if np.AmountRefunded == np.Amount.Amount {
					np.Status = PaymentRefunded
				}
			}
			// The payment and the refund move together in one statement.
			pay, err := s.transition(ctx, p, np, step{
				reason: "refund " + r.ID,
				before: append(events, s.refundEvent(&next)),
				// Every confirmed refund is news for the merchant, partial
				// ones included.
				notify:  out.Status == RefundSucceeded,
				refunds: []*Refund{&next},
				at:      next.UpdatedAt,
				write: func(np *Payment, events []Event) error {
					return s.Store.UpdateRefund(ctx, &next, np, events...)
				},
			})
			if errors.Is(err, ErrConflict) {
				continue // the payment or the refund moved: read both again
			}
			if err != nil {
				return nil, nil, err
			}
			s.Log.InfoContext(ctx, "refund settled", "payment_id", p.ID, "refund_id", r.ID, "status", next.Status,
				"amount", next.Amount.Amount, "operation", op)
			return &next, pay, nil
		}
		// Not settled: only the refund's schedule changes.
		if err := s.Store.UpdateRefund(ctx, &next, nil, events...); errors.Is(err, ErrConflict) {
			continue // the refund moved: read it again
		} else if err != nil {
			return nil, nil, Internal(err)
		}
		return &next, p, nil
	}
	return nil, nil, Internal(errors.New("refund " + r.ID + ": the payment kept changing"))
}

// refundEvent is the timeline entry and merchant webhook of a refund that
// settled.
func (s *Service) refundEvent(r *Refund) Event {
	e := s.event(r.SessionID, r.PaymentID, EventRefundUpdated, map[string]any{"refund_id": r.ID, "status": string(r.Status)})
	switch r.Status {
	case RefundSucceeded:
		e.Notify = WebhookRefundSucceeded
	case RefundFailed:
		e.Notify = WebhookRefundFailed
	}
	e.Object = NewRefundObject(r)
	return e
}

// CheckRefund asks the provider about one pending refund and settles it on
// a definitive answer. A provider that has no such refund never got the
// call: it is sent again, under the same idempotency key. A provider that
// cannot be asked is sent the refund again, which its idempotency answers.
func (s *Service) CheckRefund(ctx context.Context, id string) (*Refund, error) {
	r, err := s.Store.Refund(ctx, id)
	if err != nil {
		return nil, Internal(err)
	}
	if r.Status != RefundPending {
		return r, nil
	}
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return nil, Internal(err)
	}
	inquirer, ok := s.providerOf(p).(RefundInquirer)
	if !ok {
		r, _, err = s.sendRefund(ctx, r, "refund_again")
		return r, ignoreRefused(err)
	}
	start := time.Now()
	out, callErr := inquirer.InquireRefund(ctx, *p, *r)
	if errors.Is(callErr, ErrRefundNotFound) {
		call := map[string]any{"operation": "inquire_refund", "provider": p.Provider, "duration_ms": time.Since(start).Milliseconds(),
			"refund_id": r.ID, "outcome": "not_found"}
		s.observeCall(ctx, call, time.Since(start))
		_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventProviderCall, call))
		r, _, err = s.sendRefund(ctx, r, "refund_again")
		return r, ignoreRefused(err)
	}
	r, _, err = s.settleRefund(ctx, r, "inquire_refund", time.Since(start), out, callErr)
	return r, err
}

// ignoreRefused drops the EConflict a refused refund answers the merchant
// with: for the workers it is a settled refund, not an error.
func ignoreRefused(err error) error {
	if ErrorCodeOf(err) == EConflict {
		return nil
	}
	return err
}

// CheckRefundsDue runs CheckRefund on every pending refund due for an
// inquiry.
func (s *Service) CheckRefundsDue(ctx context.Context) (int, error) {
	due, err := s.Store.RefundsToCheck(ctx, s.now(), s.processingCheckAfter(), 50)
	if err != nil {
		return 0, err
	}
	for _, r := range due {
		if _, err := s.CheckRefund(ctx, r.ID); err != nil {
			s.Log.WarnContext(ctx, "refund check failed", "refund_id", r.ID, "err", err)
		}
	}
	return len(due), nil
}

// MerchantRefund returns one of the merchant's refunds.
func (s *Service) MerchantRefund(ctx context.Context, merchantID, id string) (*Refund, error) {
	if !ValidID(PrefixRefund, id) {
		return nil, Errorf(ENotFound, "No such refund.")
	}
	r, err := s.Store.Refund(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && r.MerchantID != merchantID) {
		return nil, Errorf(ENotFound, "No such refund.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return r, nil
}

// RetryRefund sends a failed refund again as a new refund of the same
// amount (the provider refused the first under its own key, so the retry
// needs one of its own). A failed refund is retried at most once: asking
// again returns that retry.
func (s *Service) RetryRefund(ctx context.Context, merchantID, id string) (*Refund, *Payment, error) {
	failed, err := s.MerchantRefund(ctx, merchantID, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.MerchantPayment(ctx, merchantID, failed.PaymentID)
	if err != nil {
		return nil, nil, err
	}
	if done, err := s.Store.RefundRetry(ctx, failed.ID); err == nil {
		return s.replayRefund(ctx, p, done, RefundParams{})
	} else if !errors.Is(err, ErrNotFound) {
		return nil, nil, Internal(err)
	}
	if failed.Status != RefundFailed {
		return nil, nil, Errorf(EConflict, "Only failed refunds can be retried; this one is %s.", failed.Status)
	}
	switch p.Status {
	case PaymentSucceeded, PaymentCaptured, PaymentPartiallyRefunded:
	default:
		return nil, nil, Errorf(EConflict, "Only paid payments can be refunded; this one is %s.", p.Status)
	}
	if _, err := refundAmount(p, failed.Amount.Amount); err != nil {
		return nil, nil, err
	}
	r := s.newRefund(p, failed.Amount.Amount)
	r.RetryOf = failed.ID
	return s.startRefund(ctx, p, r, RefundParams{})
}

// applyRefundNotice handles a verified provider notification about a
// refund: a trigger for an inquiry where the provider can be asked, else
// its definitive outcome settles a pending refund. A settled refund never
// moves again.
func (s *Service) applyRefundNotice(ctx context.Context, provider string, live bool, n Notification) error {
	notice := n.Refund
	var r *Refund
	var err error
	if ValidID(PrefixRefund, notice.RefundID) {
		r, err = s.Store.Refund(ctx, notice.RefundID)
	} else {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) {
		r, err = s.Store.RefundByProviderRef(ctx, provider, notice.ProviderRef)
	}
	if err == nil && !s.inMode(r.Livemode, live) {
		err = ErrNotFound // another mode's refund: not this provider set's to move
	}
	if errors.Is(err, ErrNotFound) {
		s.Log.WarnContext(ctx, "provider notification for an unknown refund", "provider", provider, "event_id", n.EventID, "type", n.Type)
		return nil
	}
	if err != nil {
		return Internal(err)
	}
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return Internal(err)
	}
	if p.Provider != provider {
		s.Log.WarnContext(ctx, "provider notification for another provider's refund", "provider", provider, "refund_id", r.ID)
		return nil
	}
	data := map[string]any{"provider": provider, "event_id": n.EventID, "type": n.Type, "refund_id": r.ID,
		"outcome": string(notice.Outcome.Status)}
	switch {
	case notice.Amount != nil && *notice.Amount != r.Amount:
		data["ignored"] = "amount or currency differs from the refund"
		s.Log.ErrorContext(ctx, "provider refund notification amount differs from the refund; ignored", "refund_id", r.ID,
			"event_id", n.EventID, "notified", notice.Amount.Amount, "notified_currency", notice.Amount.Currency,
			"amount", r.Amount.Amount, "currency", r.Amount.Currency)
		return s.appendEvents(ctx, s.event(p.SessionID, p.ID, EventNotification, data))
	case r.Status != RefundPending:
		data["action"] = "none: the refund is " + string(r.Status)
		return s.appendEvents(ctx, s.event(p.SessionID, p.ID, EventNotification, data))
	}
	if _, ok := s.providerOf(p).(RefundInquirer); ok {
		data["action"] = "inquire"
		if err := s.appendEvents(ctx, s.event(p.SessionID, p.ID, EventNotification, data)); err != nil {
			return err
		}
		_, err := s.CheckRefund(ctx, r.ID)
		return err
	}
	data["action"] = "apply"
	if err := s.appendEvents(ctx, s.event(p.SessionID, p.ID, EventNotification, data)); err != nil {
		return err
	}
	_, _, err = s.settleRefund(ctx, r, "notification", 0, notice.Outcome, nil)
	return err
}
