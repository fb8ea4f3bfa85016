package checkout

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"
)

// CreateSession validates the merchant's request, routes it to a provider
// able to serve it and stores a new open session.
func (s *Service) CreateSession(ctx context.Context, m *Merchant, p CreateSessionParams) (*Session, error) {
	sess, ev, err := s.newSession(m, p)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateSession(ctx, sess, ev); errors.Is(err, ErrDuplicate) {
		// The same request ran before (its answer was lost to a crash or
		// a 5xx): the session it made is the answer.
		return s.Store.SessionByIdempotencyKey(ctx, m.ID, p.IdempotencyKey)
	} else if err != nil {
		return nil, Internal(err)
	}
	s.logCreated(ctx, sess)
	return sess, nil
}

// CreateSessionAnswered is CreateSession for a merchant API request under
// an Idempotency-Key (p.IdempotencyKey), whose answer is stored with the
// session in one transaction rather than claimed and completed in commits
// of their own. request is that request's record (merchant, key, request
// digest, time); answer renders the answer to a session. It returns the
// answer to send: the new session's, or the one stored for an earlier
// request under the key (replayed). The same key with another request is
// EIdempotencyMismatch; a key another request still holds (a claim of the
// two-step Idempotency-Key) is EIdempotencyInUse.
func (s *Service) CreateSessionAnswered(ctx context.Context, m *Merchant, p CreateSessionParams, request IdempotencyRecord,
	answer func(*Session) (int, []byte, error)) (_ *IdempotencyRecord, replayed bool, _ error) {
	sess, ev, err := s.newSession(m, p)
	if err != nil {
		// A retry of a request that was valid then (its expires_at has
		// passed since, or the merchant's settings changed) still gets
		// its first answer.
		if existing, rerr := s.Store.IdempotencyRecord(ctx, m.ID, p.IdempotencyKey); rerr == nil && existing != nil {
			if err := existing.Replayable(request.RequestHash); err != nil {
				return nil, false, err
			}
			return existing, true, nil
		}
		return nil, false, err
	}
	rec := request
	if rec.Status, rec.Body, err = answer(sess); err != nil {
		return nil, false, Internal(err)
	}
	existing, err := s.Store.CreateSessionAnswered(ctx, sess, rec, ev)
	switch {
	case errors.Is(err, ErrDuplicate):
		// A session holds the key without a record (its record was
		// pruned, or it was made before answers were stored with their
		// session): that session is the answer, as for CreateSession.
		if sess, err = s.Store.SessionByIdempotencyKey(ctx, m.ID, p.IdempotencyKey); err != nil {
			return nil, false, Internal(err)
		}
		if rec.Status, rec.Body, err = answer(sess); err != nil {
			return nil, false, Internal(err)
		}
		return &rec, false, nil
	case err != nil:
		return nil, false, Internal(err)
	case existing != nil:
		if err := existing.Replayable(request.RequestHash); err != nil {
			return nil, false, err
		}
		return existing, true, nil
	}
	s.logCreated(ctx, sess)
	return &rec, false, nil
}

func (s *Service) logCreated(ctx context.Context, sess *Session) {
	s.Log.InfoContext(ctx, "session created", "session_id", sess.ID, "merchant_id", sess.MerchantID, "provider", sess.Provider,
		"amount", sess.Amount.Amount, "currency", sess.Amount.Currency)
}

// newSession validates p and makes the session it asks for, with its
// session.created event.
func (s *Service) newSession(m *Merchant, p CreateSessionParams) (*Session, Event, error) {
	now := s.now()
	if err := p.normalize(now); err != nil {
		return nil, Event{}, err
	}
	for _, u := range []struct{ param, url string }{{"success_url", p.SuccessURL}, {"cancel_url", p.CancelURL}} {
		if u.url == "" {
			continue
		}
		if err := m.AllowsReturn(u.url, s.Sandbox); err != nil {
			return nil, Event{}, InvalidParam(u.param, "%s %s", u.param, err.Error())
		}
	}
	routes, err := s.route(m, p)
	if err != nil {
		return nil, Event{}, err
	}
	name := routes[p.PaymentMethods[0]]

	sess := &Session{
		ID:                s.IDs.NewID(PrefixSession),
		MerchantID:        m.ID,
		Livemode:          m.Live,
		Status:            SessionOpen,
		Amount:            Money{Amount: p.Amount, Currency: p.Currency},
		MerchantReference: p.MerchantReference,
		LineItems:         p.LineItems,
		Customer:          p.Customer,
		Locale:            p.Locale,
		SuccessURL:        p.SuccessURL,
		CancelURL:         p.CancelURL,
		PaymentMethods:    p.PaymentMethods,
		Provider:          name,
		Routes:            routes,
		CaptureMode:       p.CaptureMode,
		ThreeDS:           p.ThreeDS,
		SetupRecurring:    p.SetupRecurring,
		Metadata:          p.Metadata,
		ExpiresAt:         p.ExpiresAt.UTC().Truncate(time.Second),
		IdempotencyKey:    p.IdempotencyKey,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	ev := s.event(sess.ID, "", EventSessionCreated, map[string]any{
		"amount": sess.Amount.Amount, "currency": sess.Amount.Currency, "provider": name, "routes": routes,
	})
	return sess, ev, nil
}

// Session returns a session and its payments, oldest first. A non-empty
// merchantID limits the lookup to that merchant's sessions. An open session
// past its expiry time is expired on the way.
func (s *Service) Session(ctx context.Context, merchantID, id string) (*Session, []*Payment, error) {
	if !ValidID(PrefixSession, id) {
		return nil, nil, Errorf(ENotFound, "No such checkout session.")
	}
	sess, pays, err := s.Store.SessionWithPayments(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && merchantID != "" && sess.MerchantID != merchantID) {
		return nil, nil, Errorf(ENotFound, "No such checkout session.")
	}
	if err != nil {
		return nil, nil, Internal(err)
	}
	if sess.ExpiredAt(s.now()) && activePayment(pays) == nil {
		// Past its time with nothing in flight: expire it now rather than
		// at the worker's next sweep (the statement re-checks both).
		if err := s.expire(ctx, sess, "expires_at passed", true); err != nil && !errors.Is(err, ErrConflict) {
			return nil, nil, Internal(err)
		}
		if sess, pays, err = s.Store.SessionWithPayments(ctx, id); err != nil {
			return nil, nil, Internal(err)
		}
	}
	return sess, pays, nil
}

// expire moves an open session to expired with its merchant event. The
// store's statement is the guard: it refuses (ErrConflict) a session that
// is no longer open or has an active payment, and, with dueOnly, one not
// yet past its expiry time; the event is queued only when the row changed.
func (s *Service) expire(ctx context.Context, sess *Session, reason string, dueOnly bool) error {
	ev := s.event(sess.ID, "", EventSessionExpired, map[string]any{"reason": reason})
	ev.Notify = WebhookSessionExpired
	// The session as it will be: expired, with the attempts that failed
	// (the store refuses the change while one is still active).
	pays, err := s.Store.SessionPayments(ctx, sess.ID)
	if err != nil {
		return Internal(err)
	}
	expired := *sess
	expired.Status = SessionExpired
	ev.Object = s.SessionObject(&expired, pays)
	err = s.Store.ExpireSession(ctx, sess.ID, s.now(), dueOnly, ev)
	if err == nil {
		s.Log.InfoContext(ctx, "session expired", "session_id", sess.ID, "reason", reason)
	}
	return err
}

// ExpireSession ends an open session at the merchant's request. A session
// with a payment in flight cannot be expired: its outcome must settle first.
func (s *Service) ExpireSession(ctx context.Context, merchantID, id string) (*Session, []*Payment, error) {
	sess, _, err := s.Session(ctx, merchantID, id)
	if err != nil {
		return nil, nil, err
	}
	if sess.Status != SessionOpen {
		return nil, nil, Errorf(EConflict, "Only open checkout sessions can be expired; this one is %s.", sess.Status)
	}
	if err := s.expire(ctx, sess, "expired by merchant", false); errors.Is(err, ErrConflict) {
		// Refused by the statement: say why, as it is now.
		sess, pays, err := s.Session(ctx, merchantID, id)
		if err != nil {
			return nil, nil, err
		}
		if sess.Status != SessionOpen {
			return nil, nil, Errorf(EConflict, "Only open checkout sessions can be expired; this one is %s.", sess.Status)
		}
		if activePayment(pays) != nil {
			return nil, nil, Errorf(EConflict, "A payment for this checkout session is in progress; try again once it has settled.")
		}
		return nil, nil, Errorf(EConflict, "The checkout session changed while expiring it; fetch it again.")
	} else if err != nil {
		return nil, nil, Internal(err)
	}
	return s.Session(ctx, merchantID, id)
}

// ExpireDue expires open sessions past their expiry time that have no
// active payment, and reports how many it expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	ids, err := s.Store.SessionsExpiringBefore(ctx, s.now(), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		sess, err := s.Store.Session(ctx, id)
		if err != nil {
			return n, err
		}
		switch err := s.expire(ctx, sess, "expires_at passed", true); {
		case err == nil:
			n++
		case !errors.Is(err, ErrConflict):
			return n, err
		}
	}
	return n, nil
}

// route picks the provider of each payment method of a new session. The
// preferred provider (the request's, else the merchant's default) serves
// every method it supports and must then also take the currency and the
// capture mode; a method it does not support at all (a wallet, for a card
// acquirer) goes to the first configured provider, by name, that does.
func (s *Service) route(m *Merchant, p CreateSessionParams) (map[PaymentMethod]string, error) {
	preferred, param := p.Provider, "provider"
	if preferred == "" {
		preferred, param = m.DefaultProvider, ""
	}
	provs := s.providers(m.Live)
	if _, ok := provs[preferred]; !ok {
		if param == "" {
			// The merchant's default is not run by this server (the
			// server refuses to start with such a merchant; this answers
			// a change made since): say so, never a 500.
			return nil, &Error{Code: EUnsupported, Param: "provider",
				Message: "this merchant's default provider " + preferred + " is not configured on this server; name a configured provider in provider"}
		}
		return nil, InvalidParam("provider", "%q is not a configured provider", preferred)
	}
	routes := map[PaymentMethod]string{}
	for i, meth := range p.PaymentMethods {
		name, err := s.routeMethod(provs, preferred, p.Provider != "", meth, i, p)
		if err != nil {
			return nil, err
		}
		routes[meth] = name
	}
	if p.Provider != "" && !slices.ContainsFunc(p.PaymentMethods, provs[p.Provider].Capabilities().Supports) {
		return nil, &Error{Code: EUnsupported, Param: "provider", Message: "provider " + p.Provider + " supports none of the payment methods asked for"}
	}
	return routes, nil
}

// routeMethod picks the provider of one payment method. A provider the
// request names serves every method it supports and must then also take
// the currency and the capture mode. Otherwise the merchant's default
// serves the method when it can take it in the currency (and capture mode);
// else the first configured provider, in the server's order, that can.
// Nobody able to is a 422 naming the method, the currency or the capture
// mode, whichever no provider could meet.
func (s *Service) routeMethod(provs map[string]Provider, preferred string, named bool, meth PaymentMethod, i int, p CreateSessionParams) (string, error) {
	takes := func(caps Capabilities) bool { return caps.SupportsCurrency(p.Currency) }
	captures := func(caps Capabilities) bool { return p.CaptureMode != CaptureManual || caps.ManualCapture }
	if caps := provs[preferred].Capabilities(); named && caps.Supports(meth) {
		switch {
		case !takes(caps):
			return "", &Error{Code: EUnsupported, Param: "currency", Message: "provider " + preferred + " does not accept " + p.Currency + " (it accepts " + strings.Join(caps.Currencies, ", ") + ")"}
		case !captures(caps):
			return "", &Error{Code: EUnsupported, Param: "capture_mode", Message: "provider " + preferred + " does not support manual capture"}
		}
		return preferred, nil
	}
	candidates := s.providerOrder(provs)
	if !named {
		candidates = append([]string{preferred}, candidates...)
	}
	var method, currency bool
	for _, name := range candidates {
		caps := provs[name].Capabilities()
		if !caps.Supports(meth) {
			continue
		}
		method = true
		if !takes(caps) {
			continue
		}
		currency = true
		if captures(caps) {
			return name, nil
		}
	}
	switch {
	case !method:
		return "", &Error{Code: EUnsupported, Param: "payment_methods[" + itoa(i) + "]", Message: "no configured provider supports " + string(meth) + " payments"}
	case !currency:
		return "", &Error{Code: EUnsupported, Param: "currency", Message: "no configured provider takes " + string(meth) + " payments in " + p.Currency}
	}
	return "", &Error{Code: EUnsupported, Param: "capture_mode", Message: "no configured provider supports manual capture of " + string(meth) + " payments in " + p.Currency}
}

// providerOrder is the configured providers in the server's order
// (ProviderOrder), any others after them by name, of one mode's set.
func (s *Service) providerOrder(provs map[string]Provider) []string {
	out := make([]string, 0, len(provs))
	for _, name := range s.ProviderOrder {
		if _, ok := provs[name]; ok {
			out = append(out, name)
		}
	}
	var rest []string
	for name := range provs {
		if !slices.Contains(out, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// completedSession is the session of paid as it will be once the payment
// completes it: complete, with paid as its latest attempt.
func (s *Service) completedSession(ctx context.Context, paid *Payment, known *sessionRead) (SessionObject, error) {
	var sess *Session
	var pays []*Payment
	if known != nil && known.sess != nil && known.sess.ID == paid.SessionID {
		sess, pays = known.sess, slices.Clone(known.payments)
	} else {
		var err error
		if sess, err = s.Store.Session(ctx, paid.SessionID); err != nil {
			return SessionObject{}, err
		}
		if pays, err = s.Store.SessionPayments(ctx, paid.SessionID); err != nil {
			return SessionObject{}, err
		}
	}
	pays = upsertByID(pays, paid, func(p *Payment) string { return p.ID })
	done := *sess
	done.Status = SessionComplete
	return s.SessionObject(&done, pays), nil
}
