package checkout

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"
)

// settle records a provider answer on the payment: the call on the
// timeline, then the status it leads to. An error or an answer that does not
// make sense is an unknown outcome: pending, checked again later.
func (s *Service) settle(ctx context.Context, p *Payment, op string, took time.Duration, out Outcome, callErr error) (*Payment, error) {
	return s.settleIn(ctx, nil, p, op, took, out, callErr)
}

// settleIn is settle for a caller that read p's session and its payments
// (the pay request): the session webhook is built from them, with no
// second read.
func (s *Service) settleIn(ctx context.Context, in *sessionRead, p *Payment, op string, took time.Duration, out Outcome, callErr error) (*Payment, error) {
	call := map[string]any{"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds()}
	if callErr != nil {
		// The timeline (and the merchant) get the kind of failure only:
		// the error's own text is for the log.
		call["error"] = ProviderErrorClass(callErr)
		s.Log.WarnContext(ctx, "provider call failed", "session_id", p.SessionID, "payment_id", p.ID,
			"provider", p.Provider, "operation", op, "duration_ms", took.Milliseconds(), "err", callErr)
	} else {
		call["outcome"] = string(out.Status)
		if out.Decline != nil {
			call["decline_code"] = string(out.Decline.Code)
			call["provider_code"] = out.Decline.ProviderCode
		}
		if out.Action != nil {
			call["action"] = string(out.Action.Kind)
		}
		s.Log.InfoContext(ctx, "provider call", "session_id", p.SessionID, "payment_id", p.ID,
			"provider", p.Provider, "operation", op, "duration_ms", took.Milliseconds(), "outcome", out.Status)
	}
	events := []Event{s.event(p.SessionID, p.ID, EventProviderCall, actorData(ctx, call))}
	s.observeCall(ctx, call, took)

	to, reason := s.target(p, out, callErr)
	next := *p
	next.ProviderData = maps.Clone(p.ProviderData)
	if callErr == nil {
		if out.ProviderRef != "" {
			next.ProviderRef = out.ProviderRef
		}
		if len(out.ProviderData) > 0 && next.ProviderData == nil {
			next.ProviderData = map[string]string{}
		}
		maps.Copy(next.ProviderData, out.ProviderData)
		if out.ThreeDS != nil {
			next.ThreeDS = out.ThreeDS
		}
		if out.Card != nil && next.Card == nil {
			next.Card = out.Card
		}
		if out.ShopperMessage != "" {
			next.ShopperMessage = out.ShopperMessage
		}
	}
	switch to {
	case PaymentRefunded:
		next.AmountRefunded = next.Amount.Amount
	case PaymentRequiresAction:
		// An answer that keeps the payment waiting (an inquiry while the
		// shopper is at the provider) keeps the action the shopper follows.
		if out.Action != nil && p.Status != PaymentRequiresAction {
			next.Action = out.Action
		}
	case PaymentFailed:
		next.Decline = out.Decline
		if next.Decline == nil {
			next.Decline = NewDecline(DeclineGeneric, "")
		}
		if next.Decline.Message == "" {
			next.Decline.Message = DeclineMessage(next.Decline.Code)
		}
	}
	switch {
	case to == PaymentAuthorized:
		// Held for the merchant to capture or cancel. Providers let
		// uncaptured authorisations lapse after about a week, so from then
		// on the provider is asked daily and a void is recorded.
		next.Action = nil
		next.NextCheckAt = s.now().Add(AuthorizationCheckAfter)
		if p.Status == PaymentAuthorized {
			next.NextCheckAt = s.now().Add(AuthorizationCheckEvery)
		}
	case !to.InFlight():
		next.Action = nil
		next.NextCheckAt = time.Time{}
	case op == "inquire":
		next.CheckCount = p.CheckCount + 1
		next.NextCheckAt = s.checkAt(ctx, p, next.CheckCount)
	case to == PaymentRequiresAction:
		next.NextCheckAt = s.now().Add(StaleActionAfter)
	default:
		next.NextCheckAt = s.checkAt(ctx, p, p.CheckCount)
	}

	if to != p.Status && !CanTransition(p.Status, to) {
		s.Log.ErrorContext(ctx, "provider answer would move payment backwards; ignored",
			"payment_id", p.ID, "from", p.Status, "to", to)
		if !p.Status.InFlight() && p.Status != PaymentAuthorized {
			_ = s.Store.AppendEvents(ctx, events...)
			return p, nil
		}
		// Still unknown: keep it as it is but keep asking, on schedule,
		// so that it is never left unchecked.
		next = *p
		to = p.Status
		if op == "inquire" {
			next.CheckCount = p.CheckCount + 1
		}
		next.NextCheckAt = s.checkAt(ctx, p, next.CheckCount)
		if p.Status == PaymentAuthorized {
			next.NextCheckAt = s.now().Add(AuthorizationCheckEvery)
		}
	}
	if to != p.Status {
		// What the answer settled, for the timeline (written only if
		// the change below is).
		call["settled"] = string(to)
	}
	next.Status = to
	st := step{reason: reason, before: events, session: in}
	if to == PaymentFailed && to != p.Status {
		st.data = map[string]any{"decline_code": string(next.Decline.Code)}
	}
	done, err := s.transition(ctx, p, next, st)
	if err == nil && to != p.Status {
		if (to == PaymentSucceeded || to == PaymentAuthorized) && next.ThreeDS != nil && next.ThreeDS.Flow == FlowFrictionless {
			s.observeThreeDS(ThreeDSFrictionless)
		}
	}
	if errors.Is(err, ErrConflict) {
		// Someone else settled it meanwhile; theirs stands. The call
		// still happened: it goes on the timeline alone, having settled
		// nothing.
		delete(call, "settled")
		_ = s.Store.AppendEvents(ctx, events...)
		return s.Store.Payment(ctx, p.ID)
	}
	return done, err
}

// step says why a payment changes and what else the change writes.
type step struct {
	reason string
	// data is more for the status event (a decline code).
	data map[string]any
	// before are events written first, in the same transaction (the
	// provider call, the browser return).
	before []Event
	// notify sends the merchant the payment webhook even where the status
	// stays (a second partial refund).
	notify bool
	// refunds are refunds changed in the same step, as they will be, for
	// the webhook's payment object.
	refunds []*Refund
	// at is the time of the change; now when zero.
	at time.Time
	// write is the store statement for a change that writes more than the
	// payment (a refund settling); nil is Store.UpdatePayment.
	write func(next *Payment, events []Event) error
	// session is the payment's session and its payments, as the caller
	// read them; nil to read them when needed.
	session *sessionRead
}

// sessionRead is a session and its payments as a request read them. Only
// what no payment's change alters is taken from it: the session's fields
// apart from its status, and its other payments (a session has one active
// payment at a time, and this one is replaced by its new state).
type sessionRead struct {
	sess     *Session
	payments []*Payment
}

// transition is the one way a payment changes status: from p to next, which
// the caller has filled in, as one compare-and-set write of version
// p.Version. A status change must be allowed by CanTransition; it gets its
// timeline entry and merchant webhook, with the payment as it will be; and
// the first paid status completes the session, only if the session is
// still open (the store checks in the same statement). A write that finds
// the payment changed meanwhile is ErrConflict, unwrapped, for the caller
// to read it again.
func (s *Service) transition(ctx context.Context, p *Payment, next Payment, st step) (*Payment, error) {
	moved := next.Status != p.Status
	if moved && !CanTransition(p.Status, next.Status) {
		return nil, Errorf(EConflict, "payment cannot move from %s to %s", p.Status, next.Status)
	}
	next.Version = p.Version + 1
	next.UpdatedAt = st.at
	if next.UpdatedAt.IsZero() {
		next.UpdatedAt = s.now()
	}
	events := slices.Clone(st.before)
	var sessChange *SessionChange
	if moved || st.notify {
		data := map[string]any{"from": string(p.Status), "to": string(next.Status), "reason": st.reason}
		maps.Copy(data, st.data)
		from := p.Status
		if st.notify {
			from = ""
		}
		events = append(events, s.statusEvent(ctx, &next, from, data, st.refunds...))
	}
	if moved && next.Status.Paid() && !p.Status.Paid() {
		done := s.event(p.SessionID, p.ID, EventSessionCompleted, map[string]any{"payment_status": string(next.Status)})
		done.Notify = WebhookSessionCompleted
		obj, err := s.completedSession(ctx, &next, st.session)
		if err != nil {
			return nil, Internal(err)
		}
		done.Object = obj
		sessChange = &SessionChange{From: SessionOpen, To: SessionComplete, Events: []Event{done}}
	}
	write := st.write
	if write == nil {
		write = func(next *Payment, events []Event) error {
			return s.Store.UpdatePayment(ctx, next, sessChange, events...)
		}
	}
	if err := write(&next, events); errors.Is(err, ErrConflict) {
		return nil, ErrConflict
	} else if err != nil {
		return nil, Internal(err)
	}
	if moved {
		s.Log.InfoContext(ctx, "payment status changed", "session_id", p.SessionID, "payment_id", p.ID,
			"from", p.Status, "to", next.Status, "reason", st.reason)
		s.observeStatus(p, next.Status)
	}
	return &next, nil
}

// target decides the status a provider answer leads to.
func (s *Service) target(p *Payment, out Outcome, callErr error) (PaymentStatus, string) {
	if callErr != nil {
		if p.Status == PaymentRequiresAction {
			return p.Status, "provider unreachable"
		}
		return PaymentPending, "outcome unknown: " + ProviderErrorClass(callErr)
	}
	switch out.Status {
	case OutcomeSucceeded:
		if p.Status == PaymentAuthorized {
			return PaymentCaptured, "provider confirmed capture"
		}
		if p.Status == PaymentCaptured || p.Status == PaymentSucceeded {
			return p.Status, "provider confirmed payment again"
		}
		return PaymentSucceeded, "provider confirmed payment"
	case OutcomeCanceled:
		return PaymentCanceled, "provider released the authorization"
	case OutcomeRefunded:
		return PaymentRefunded, "provider refunded the payment"
	case OutcomeAuthorized:
		if p.Status == PaymentAuthorized {
			return p.Status, "provider confirmed authorization again"
		}
		return PaymentAuthorized, "provider confirmed authorization"
	case OutcomeFailed:
		return PaymentFailed, "provider declined"
	case OutcomeActionRequired:
		if out.Action != nil && out.Action.URL != "" {
			if p.Status == PaymentRequiresAction || p.Status == PaymentPending {
				return p.Status, "still waiting for the shopper"
			}
			return PaymentRequiresAction, "shopper action needed: " + string(out.Action.Kind)
		}
		return PaymentPending, "provider asked for an action without one"
	case OutcomePending:
		if p.Status == PaymentRequiresAction {
			return p.Status, "provider still waiting"
		}
		return PaymentPending, "provider has no final answer yet"
	}
	return PaymentPending, "unrecognised provider outcome"
}

// checkAt is when inquiry number n of p is due. Past the schedule the
// inquiries go on at its last interval, each logged for a person to look at.
func (s *Service) checkAt(ctx context.Context, p *Payment, n int) time.Time {
	delay, ok := NextCheckDelay(n)
	if !ok {
		s.Log.ErrorContext(ctx, "payment outcome still unknown after the whole inquiry schedule; needs a person",
			"session_id", p.SessionID, "payment_id", p.ID, "provider", p.Provider, "status", p.Status, "inquiries", n)
	}
	return s.now().Add(delay)
}

// statusEvent is the timeline entry of a payment moving to next.Status,
// and the merchant webhook it leads to, with the payment as it will be.
// updated are refunds changed in the same step, as they will be.
func (s *Service) statusEvent(ctx context.Context, next *Payment, from PaymentStatus, data map[string]any, updated ...*Refund) Event {
	e := s.event(next.SessionID, next.ID, EventPaymentStatus, data)
	if t := paymentWebhook(next.Status); t != "" && next.Status != from {
		e.Notify = t
		var refunds []*Refund
		var err error
		if from == "" || !from.InFlight() {
			// A payment still in flight was never paid: it has no
			// refunds to read.
			refunds, err = s.Store.PaymentRefunds(ctx, next.ID)
		}
		if err != nil {
			// The webhook still goes, with the refunds we knew of: none
			// would be a lie, so say so in the log.
			s.Log.WarnContext(ctx, "refunds unreadable for a payment webhook", "payment_id", next.ID, "err", err)
		}
		refunds = replaceRefunds(refunds, updated)
		if refunds == nil {
			refunds = []*Refund{}
		}
		e.Object = NewPaymentObject(next, refunds)
	}
	return e
}

// replaceRefunds is list with each refund of updated in place of the one
// with its id (appended when new).
func replaceRefunds(list []*Refund, updated []*Refund) []*Refund {
	for _, u := range updated {
		list = upsertByID(list, u, func(r *Refund) string { return r.ID })
	}
	return list
}

// upsertByID is list with item in place of the element with its id, or
// appended when none has it.
func upsertByID[T any](list []*T, item *T, id func(*T) string) []*T {
	for i, x := range list {
		if id(x) == id(item) {
			list[i] = item
			return list
		}
	}
	return append(list, item)
}

// move is a plain status change with a timeline entry, through transition;
// p becomes the payment as written.
func (s *Service) move(ctx context.Context, p *Payment, to PaymentStatus, reason string, extra ...Event) error {
	next := *p
	next.Status = to
	if to == PaymentProcessing {
		// Should this process die mid-call, the reconciler picks it up.
		next.NextCheckAt = s.now().Add(s.processingCheckAfter())
	}
	done, err := s.transition(ctx, p, next, step{reason: reason, before: extra})
	if err != nil {
		return err
	}
	*p = *done
	return nil
}
