package checkout

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"
)

// PayInput is what the shopper submitted.
type PayInput struct {
	Method      PaymentMethod
	Card        *CardInput
	SavedCardID string // for MethodSavedCard: the provider's token id, checked against the shopper's cards
	Browser     BrowserInfo
	// ParentProviderRef makes a saved-card payment a merchant-initiated
	// recurring charge (set by ChargeRecurring only).
	ParentProviderRef string
	// FormToken is the one-time token of the submitted form: a form
	// submitted again (even after its attempt was declined) makes no new
	// attempt and returns the first one.
	FormToken string
	// Locale is the BCP 47 tag of the language the shopper's page is in
	// (the session's locale resolved against the browser's); the provider
	// gets it in its language fields so that its own pages match. Empty
	// means the session's locale, or English when that is "auto".
	Locale string
}

// Admit says whether sess, with its payments pays, may take a new payment
// attempt: nil if so; else an EConflict error saying why, with the
// attempt in progress or done when that is the reason. The one admission
// rule: Pay applies it, and the pages ask it before showing the form. (The
// store's statements guard the same at the write.)
func (s *Service) Admit(sess *Session, pays []*Payment) (*Payment, error) {
	if active := activePayment(pays); active != nil {
		return active, Errorf(EConflict, "A payment for this checkout is already in progress or done.").ForShopper("error.payment_in_progress")
	}
	if sess.Status != SessionOpen {
		return nil, Errorf(EConflict, "This checkout is %s.", sess.Status).ForShopper("error.checkout_closed")
	}
	if len(pays) >= s.MaxAttemptsPerSession() {
		return nil, Errorf(EConflict, "Too many payment attempts for this checkout.").ForShopper("error.too_many_attempts")
	}
	return nil, nil
}

// Pay starts a payment attempt for an open session, in three steps:
// admission (may this session take this attempt now?), the payment as
// recorded (inserted only while the session is open and has no active
// attempt), and the provider request, whose answer settle records. At most
// one attempt of a session is active at a time: a second submit while one
// is in flight (a double click, a Back and resubmit) returns the existing
// payment with an EConflict error and never reaches the provider.
func (s *Service) Pay(ctx context.Context, sessionID string, in PayInput) (*Payment, error) {
	sess, pays, err := s.Session(ctx, "", sessionID)
	if err != nil {
		return nil, err
	}
	return s.PaySession(ctx, sess, pays, in)
}

// PaySession is Pay for a session and its payments the caller has just
// read (Session): the page's handler reads them once per request. The
// store's statements, not this read, guard the write.
func (s *Service) PaySession(ctx context.Context, sess *Session, pays []*Payment, in PayInput) (*Payment, error) {
	a, existing, err := s.admitPay(ctx, sess, pays, in)
	if err != nil {
		return existing, err
	}
	p, existing, err := s.createPayment(ctx, a)
	if err != nil {
		return existing, err
	}
	req := s.payRequest(a, p)
	start := time.Now()
	out, callErr := a.provider.Pay(ctx, req)
	s.crashPoint("pay.answered")
	settled, err := s.settleIn(ctx, &sessionRead{sess: sess, payments: pays}, p, "pay", time.Since(start), out, callErr)
	s.crashPoint("pay.settled")
	return settled, err
}

// admitted is an attempt Pay has admitted: what the payment and the
// provider request are built from.
type admitted struct {
	sess     *Session
	attempt  int // its number in the session
	in       PayInput
	name     string // the provider's name
	provider Provider
	// charge and savedCard are the saved card to charge, for MethodSavedCard.
	charge    *SavedCardCharge
	savedCard *CardDetails
}

// admitPay is Pay's admission: a form submitted again returns its first
// attempt, the session must admit a new attempt (Admit), the method must be
// offered, the card-testing limits must allow it, and a saved card must be
// one of the shopper's at the provider. On refusal it returns the attempt
// concerned, if any, with the error.
func (s *Service) admitPay(ctx context.Context, sess *Session, pays []*Payment, in PayInput) (*admitted, *Payment, error) {
	if in.FormToken != "" {
		for _, p := range pays {
			if p.FormToken == in.FormToken {
				return nil, p, Errorf(EConflict, "This form was already submitted.").ForShopper("error.form_submitted")
			}
		}
	}
	if active, err := s.Admit(sess, pays); err != nil {
		return nil, active, err
	}
	if !sess.Allows(in.Method) {
		return nil, nil, InvalidParam("payment_method", "This payment method is not available for this checkout.").ForShopper("form.method_unavailable")
	}
	number := ""
	if in.Card != nil {
		number = in.Card.Number
	}
	limits := s.Limits
	if !sess.Livemode {
		limits = s.TestLimits
	}
	if err := limits.check(s.now, in.Browser.IP, number); err != nil {
		s.Log.WarnContext(ctx, "payment attempt refused by a limit", "session_id", sess.ID, "ip", in.Browser.IP, "reason", err)
		return nil, nil, err
	}
	a := &admitted{sess: sess, attempt: len(pays) + 1, in: in, name: sess.ProviderFor(in.Method)}
	var ok bool
	if a.provider, ok = s.providers(sess.Livemode)[a.name]; !ok {
		return nil, nil, Internal(errors.New("provider " + a.name + " is not configured"))
	}
	if in.Method == MethodSavedCard {
		v, key, err := s.sessionVault(sess)
		if err != nil {
			return nil, nil, err
		}
		cards, err := v.SavedCards(ctx, key)
		if err != nil {
			return nil, nil, &Error{Code: EUnavailable, Message: "Your saved cards cannot be used right now. Please try again.", Err: err, Shopper: "error.saved_cards_unavailable"}
		}
		card := findCard(cards, in.SavedCardID)
		if card == nil {
			return nil, nil, InvalidParam("saved_card", "This saved card is not available. Choose another one.").ForShopper("error.saved_card_missing")
		}
		a.savedCard = &card.Card
		a.charge = &SavedCardCharge{Customer: key, CardID: card.ID, SetupRecurring: sess.SetupRecurring,
			ParentProviderRef: in.ParentProviderRef}
	}
	return a, nil, nil
}

// createPayment records the admitted attempt as processing, with its
// timeline entries, in one statement that inserts it only while the
// session is open and has no active attempt. When the statement refuses,
// it says why, with the attempt that won a concurrent submit, if any.
func (s *Service) createPayment(ctx context.Context, a *admitted) (*Payment, *Payment, error) {
	sess, in := a.sess, a.in
	now := s.now()
	p := &Payment{
		ID:          s.IDs.NewID(PrefixPayment),
		SessionID:   sess.ID,
		MerchantID:  sess.MerchantID,
		Livemode:    sess.Livemode,
		Provider:    a.name,
		Method:      in.Method,
		Status:      PaymentProcessing,
		Amount:      sess.Amount,
		CaptureMode: sess.CaptureMode,
		Browser:     in.Browser.Normalize(),
		Attempt:     a.attempt,
		FormToken:   in.FormToken,
		Version:     1,
		// Created as processing, with its check time, in one statement:
		// should the process die before or during the provider call, the
		// reconciler asks the provider about it then.
		NextCheckAt: now.Add(s.processingCheckAfter()),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if in.Card != nil {
		d := in.Card.Details()
		p.Card = &d
	}
	if a.charge != nil {
		p.Card, p.SavedCardID = a.savedCard, a.charge.CardID
	}
	created := s.event(sess.ID, p.ID, EventPaymentCreated, map[string]any{
		"attempt": p.Attempt, "method": string(p.Method), "provider": p.Provider, "card": p.Card,
	})
	started := s.statusEvent(ctx, p, PaymentCreated, map[string]any{"from": string(PaymentCreated), "to": string(PaymentProcessing),
		"reason": "provider call started"})
	switch err := s.Store.CreatePayment(ctx, p, created, started); {
	case errors.Is(err, ErrSessionNotOpen):
		// The session closed (expired, completed) since it was read: the
		// statement refused the payment, no provider is called.
		if now, err := s.Store.Session(ctx, sess.ID); err == nil && now.Status != SessionOpen {
			return nil, nil, Errorf(EConflict, "This checkout is %s.", now.Status).ForShopper("error.checkout_closed")
		}
		return nil, nil, Errorf(EConflict, "This checkout has expired.").ForShopper("error.checkout_expired")
	case errors.Is(err, ErrConflict):
		// A concurrent submit (of this form, or another) created its attempt first.
		_, pays, err := s.Session(ctx, "", sess.ID)
		if err != nil {
			return nil, nil, err
		}
		other := activePayment(pays)
		for _, q := range pays {
			if in.FormToken != "" && q.FormToken == in.FormToken {
				other = q
			}
		}
		if other == nil && len(pays) > 0 {
			other = pays[len(pays)-1]
		}
		return nil, other, Errorf(EConflict, "A payment for this checkout is already in progress or done.").ForShopper("error.payment_in_progress")
	case err != nil:
		return nil, nil, Internal(err)
	}
	s.Log.InfoContext(ctx, "payment created", "session_id", sess.ID, "payment_id", p.ID, "attempt", p.Attempt, "card", p.Card)
	s.crashPoint("pay.created")
	return p, nil, nil
}

// payRequest is what the provider is asked for the admitted attempt p.
func (s *Service) payRequest(a *admitted, p *Payment) PayRequest {
	sess := a.sess
	return PayRequest{
		PaymentID:         p.ID,
		IdempotencyKey:    p.IdempotencyKey(),
		SessionID:         sess.ID,
		MerchantReference: sess.MerchantReference,
		Description:       describe(sess),
		Amount:            sess.Amount,
		LineItems:         sess.LineItems,
		Customer:          sess.Customer,
		Locale:            providerLocale(a.in.Locale, sess.Locale),
		Method:            a.in.Method,
		Card:              a.in.Card,
		SavedCard:         a.charge,
		Browser:           p.Browser,
		ThreeDS:           sess.ThreeDS,
		CaptureMode:       sess.CaptureMode,
		ChallengeWindow:   ChallengeWindowFor(p.Browser.InnerWidth, p.Browser.InnerHeight),
		ReturnURL:         s.Links.ReturnURL(sess.ID, p.ID),
		NotifyURL:         s.Links.NotifyURL(a.name),
		OriginURL:         s.Links.Origin(),
	}
}

func activePayment(pays []*Payment) *Payment {
	for _, p := range pays {
		if p.Status.Active() {
			return p
		}
	}
	return nil
}

func describe(sess *Session) string {
	if sess.MerchantReference != "" {
		return sess.MerchantReference
	}
	names := make([]string, 0, len(sess.LineItems))
	for _, li := range sess.LineItems {
		names = append(names, li.Name)
	}
	d := strings.Join(names, ", ")
	if d == "" {
		return "Checkout " + sess.ID
	}
	if len(d) > 120 {
		d = strings.ToValidUTF8(d[:120], "")
	}
	return d
}

// Continue carries a payment on after the browser performed its action. The
// browser's values are only a trigger: the provider confirms the result
// server-to-server. A repeated or late continuation changes nothing and
// returns the payment as it is.
func (s *Service) Continue(ctx context.Context, sessionID, paymentID string, c Continuation) (*Payment, error) {
	p, err := s.sessionPayment(ctx, sessionID, paymentID)
	if err != nil {
		return nil, err
	}
	if p.Status != PaymentRequiresAction || p.Action == nil {
		s.recordLateReturn(ctx, p, c.Kind)
		return p, nil
	}
	if p.Action.Expects() != c.Kind {
		return p, Errorf(EInvalid, "This step does not match the payment's current action.")
	}
	if c.Kind == ContinueChallenge && p.Action.MD != "" &&
		subtle.ConstantTimeCompare([]byte(c.Values.Get("MD")), []byte(p.Action.MD)) != 1 {
		s.recordRejectedReturn(ctx, p, c.Kind, "MD mismatch")
		return p, Errorf(EInvalid, "This verification response does not belong to this payment.")
	}
	prov, ok := s.providers(p.Livemode)[p.Provider]
	if !ok {
		return nil, Internal(errors.New("provider " + p.Provider + " is not configured"))
	}
	if rc, ok := prov.(ReturnChecker); ok {
		if err := rc.CheckReturn(*p, c); err != nil {
			s.Log.WarnContext(ctx, "browser return rejected", "session_id", p.SessionID, "payment_id", p.ID, "err", err)
			s.recordRejectedReturn(ctx, p, c.Kind, "return binding mismatch")
			return p, Errorf(EInvalid, "This return does not belong to this payment.")
		}
	}
	for attempt := 0; ; attempt++ {
		err := s.move(ctx, p, PaymentProcessing, "browser returned from "+string(p.Action.Kind),
			s.event(p.SessionID, p.ID, returnedType(c), map[string]any{"late": false}))
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) {
			return nil, err
		}
		// Another request changed the payment first. If it continued or
		// settled it, this return is late. If the payment still waits
		// for this very step (a notification's inquiry that found the
		// provider still waiting, while the shopper was answering), the
		// return goes on: dropping it would leave the payment waiting.
		cur, rerr := s.Store.Payment(ctx, p.ID)
		if rerr != nil {
			return nil, Internal(rerr)
		}
		if cur.Status != PaymentRequiresAction || cur.Action == nil || p.Action == nil || cur.Action.Kind != p.Action.Kind ||
			cur.Action.URL != p.Action.URL || cur.Action.MD != p.Action.MD || attempt >= 4 {
			s.recordLateReturn(ctx, cur, c.Kind)
			return cur, nil
		}
		p = cur
	}
	start := time.Now()
	out, callErr := prov.Continue(ctx, *p, c)
	return s.settle(ctx, p, "continue", time.Since(start), out, callErr)
}

// returnedType is the timeline's event for the browser coming back with c.
func returnedType(c Continuation) EventType {
	switch {
	case c.Kind == ContinueDeviceData && c.TimedOut:
		return EventDeviceDataTimedOut
	case c.Kind == ContinueDeviceData:
		return EventDeviceDataCompleted
	case c.Kind == ContinueChallenge:
		return EventChallengeReturned
	}
	return EventRedirectReturned
}

// recordLateReturn puts on p's timeline a browser that came back from a
// challenge or a redirect after the payment had moved on (a notification
// or an inquiry settled it first, or an earlier return carries it on):
// nothing is checked or done, and at most one return of each kind per
// payment is recorded (the store's statement refuses more).
func (s *Service) recordLateReturn(ctx context.Context, p *Payment, kind ContinuationKind) {
	if kind != ContinueChallenge && kind != ContinueRedirect {
		return
	}
	e := s.event(p.SessionID, p.ID, returnedType(Continuation{Kind: kind}), map[string]any{"late": true})
	if _, err := s.Store.RecordBrowserStep(ctx, e); err != nil {
		s.Log.WarnContext(ctx, "late browser return not recorded", "session_id", p.SessionID, "payment_id", p.ID, "err", err)
	}
}

// MaxRejectedReturnEvents is how many rejected browser returns of one
// payment an hour go on its timeline; more are refused all the same, but
// only counted in the log, so that forged returns cannot grow the database.
const MaxRejectedReturnEvents = 5

// recordRejectedReturn puts a refused browser return on the payment's
// timeline, up to MaxRejectedReturnEvents an hour per payment.
func (s *Service) recordRejectedReturn(ctx context.Context, p *Payment, kind ContinuationKind, reason string) {
	if s.RejectedReturns == nil {
		return
	}
	if ok, _ := s.RejectedReturns.Allow(p.ID, MaxRejectedReturnEvents, time.Hour, s.now()); !ok {
		return
	}
	_ = s.Store.AppendEvents(ctx, s.event(p.SessionID, p.ID, EventBrowserReturn,
		map[string]any{"kind": string(kind), "accepted": false, "reason": reason}))
}

func (s *Service) sessionPayment(ctx context.Context, sessionID, paymentID string) (*Payment, error) {
	if !ValidID(PrefixPayment, paymentID) {
		return nil, Errorf(ENotFound, "No such payment.")
	}
	p, err := s.Store.Payment(ctx, paymentID)
	if errors.Is(err, ErrNotFound) || (err == nil && p.SessionID != sessionID) {
		return nil, Errorf(ENotFound, "No such payment.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return p, nil
}

// Return carries a payment on when the shopper's browser comes back from a
// provider page (a challenge inside our iframe, or a top-level redirect).
// It reports which kind of step the browser came back from.
func (s *Service) Return(ctx context.Context, sessionID, paymentID string, values url.Values) (*Payment, ContinuationKind, error) {
	p, err := s.sessionPayment(ctx, sessionID, paymentID)
	if err != nil {
		return nil, "", err
	}
	kind := ContinueRedirect
	if p.Action != nil && p.Action.Kind == ActionChallenge {
		kind = ContinueChallenge
	}
	if p.Action != nil && p.Action.Kind == ActionDeviceDataCollection {
		return p, kind, Errorf(EInvalid, "This payment is not waiting for a provider return.")
	}
	p, err = s.Continue(ctx, sessionID, paymentID, Continuation{Kind: kind, Values: values})
	return p, kind, err
}
