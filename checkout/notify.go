package checkout

import (
	"context"
	"errors"
	"net/http"
)

// Notify handles a notification a provider pushed to us. The provider
// verifies it (signature first) before anything is read. Duplicates, by the
// provider's event id, are acknowledged and dropped. A notification about a
// payment still in flight is only a trigger: the payment is settled by an
// inquiry, server to server, as for any unknown outcome. For a settled
// payment, only forward moves are applied (authorized to captured or
// canceled, paid to refunded); nothing moves back out of a final state.
func (s *Service) Notify(ctx context.Context, provider string, req NotificationRequest) (NotificationReply, error) {
	return s.notify(ctx, provider, !s.Sandbox, req)
}

// NotifyTest handles a notification from a sandbox on a server in live
// mode (TestProviders): it only ever reaches test payments and refunds.
func (s *Service) NotifyTest(ctx context.Context, provider string, req NotificationRequest) (NotificationReply, error) {
	if s.TestProviders == nil {
		return NotificationReply{}, Errorf(ENotFound, "No such notification endpoint.")
	}
	return s.notify(ctx, provider, false, req)
}

func (s *Service) notify(ctx context.Context, provider string, live bool, req NotificationRequest) (NotificationReply, error) {
	notifier, ok := s.providers(live)[provider].(Notifier)
	if !ok {
		return NotificationReply{}, Errorf(ENotFound, "No such notification endpoint.")
	}
	n, err := notifier.Notification(ctx, req)
	if err != nil {
		s.Log.WarnContext(ctx, "provider notification rejected", "provider", provider, "err", err)
		return NotificationReply{}, &Error{Code: EUnauthorized, Message: "Notification rejected.", Err: err}
	}
	if n.Reply.Status == 0 {
		n.Reply = NotificationReply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: "OK"}
	}
	if n.EventID == "" {
		return n.Reply, nil // a handshake
	}
	// The sandboxes of a live server keep their event ids apart from the
	// real providers'.
	key := provider
	if !s.inMode(true, live) {
		key = "test:" + provider
	}
	seen, err := s.Store.NotificationSeen(ctx, key, n.EventID)
	if err != nil {
		return NotificationReply{}, Internal(err)
	}
	if seen {
		s.Log.InfoContext(ctx, "duplicate provider notification dropped", "provider", provider, "event_id", n.EventID)
		return n.Reply, nil
	}
	events, err := s.applyNotification(ctx, provider, live, n)
	if err != nil {
		// Not recorded: the provider retries and we try again.
		return NotificationReply{}, err
	}
	// A notification that changes nothing is recorded with its timeline
	// event, in one transaction.
	if err := s.Store.RecordNotification(ctx, key, n.EventID, s.now(), events...); err != nil {
		return NotificationReply{}, Internal(err)
	}
	return n.Reply, nil
}

// applyNotification acts on a notification; the events it answers are
// written with the notification's record (those of a notification that
// changes nothing).
func (s *Service) applyNotification(ctx context.Context, provider string, live bool, n Notification) ([]Event, error) {
	if n.Refund != nil {
		return nil, s.applyRefundNotice(ctx, provider, live, n)
	}
	p, err := s.notifiedPayment(ctx, provider, live, n)
	if errors.Is(err, ErrNotFound) {
		s.Log.WarnContext(ctx, "provider notification for an unknown payment", "provider", provider,
			"event_id", n.EventID, "type", n.Type)
		return nil, nil
	}
	if err != nil {
		return nil, Internal(err)
	}
	data := map[string]any{"provider": provider, "event_id": n.EventID, "type": n.Type, "outcome": string(n.Outcome.Status)}
	if n.Amount != nil && *n.Amount != p.Amount {
		data["ignored"] = "amount or currency differs from the payment"
		s.Log.ErrorContext(ctx, "provider notification amount differs from the payment; ignored", "payment_id", p.ID,
			"event_id", n.EventID, "notified", n.Amount.Amount, "notified_currency", n.Amount.Currency,
			"amount", p.Amount.Amount, "currency", p.Amount.Currency)
		return []Event{s.paymentEvent(p, EventNotification, data)}, nil
	}
	if p.Status == PaymentProcessing {
		// A provider call for it is running right now and will settle it;
		// an inquiry alongside would only race it.
		data["action"] = "none: a provider call is running"
		return []Event{s.paymentEvent(p, EventNotification, data)}, nil
	}
	if p.Status.InFlight() {
		data["action"] = "inquire"
		if err := s.appendEvents(ctx, s.paymentEvent(p, EventNotification, data)); err != nil {
			return nil, err
		}
		if _, err := s.Reconcile(ctx, p.ID); err != nil {
			return nil, Internal(err)
		}
		return nil, nil
	}
	var forward bool
	switch n.Outcome.Status {
	case OutcomeSucceeded:
		forward = p.Status == PaymentAuthorized
	case OutcomeCanceled:
		forward = p.Status == PaymentAuthorized
	case OutcomeRefunded:
		forward = p.Status == PaymentSucceeded || p.Status == PaymentCaptured || p.Status == PaymentPartiallyRefunded
	}
	if !forward {
		data["action"] = "none"
		return []Event{s.paymentEvent(p, EventNotification, data)}, nil
	}
	if n.Outcome.Status == OutcomeRefunded && p.AmountRefundPending > 0 {
		// Our own refunds are still pending: they settle by inquiry, one
		// by one, and the payment follows them; asking now is enough.
		data["action"] = "inquire pending refunds"
		if err := s.appendEvents(ctx, s.paymentEvent(p, EventNotification, data)); err != nil {
			return nil, err
		}
		if err := s.Store.CheckRefundsNow(ctx, p.ID, s.now()); err != nil {
			return nil, Internal(err)
		}
		return nil, nil
	}
	data["action"] = "apply"
	if err := s.appendEvents(ctx, s.paymentEvent(p, EventNotification, data)); err != nil {
		return nil, err
	}
	out := n.Outcome
	out.Action = nil
	_, err = s.settle(ctx, p, "notification", 0, out, nil)
	return nil, err
}

// notifiedPayment finds the payment a notification is about, among the
// payments of the notifying provider's mode only.
func (s *Service) notifiedPayment(ctx context.Context, provider string, live bool, n Notification) (*Payment, error) {
	if ValidID(PrefixPayment, n.PaymentID) {
		p, err := s.Store.Payment(ctx, n.PaymentID)
		if err == nil && p.Provider == provider && s.inMode(p.Livemode, live) && (n.ProviderRef == "" || p.ProviderRef == "" || p.ProviderRef == n.ProviderRef) {
			return p, nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	p, err := s.Store.PaymentByProviderRef(ctx, provider, n.ProviderRef)
	if err == nil && !s.inMode(p.Livemode, live) {
		return nil, ErrNotFound
	}
	return p, err
}

func (s *Service) appendEvents(ctx context.Context, events ...Event) error {
	if err := s.Store.AppendEvents(ctx, events...); err != nil {
		return Internal(err)
	}
	return nil
}
