package checkout

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Links builds the public URLs the Service hands to providers and merchants.
type Links interface {
	SessionURL(sessionID string) string
	ReturnURL(sessionID, paymentID string) string
	NotifyURL(provider string) string
	Origin() string
}

// Service orchestrates checkout sessions and payments over a Store and the
// configured Providers. Handlers call it; it never renders anything.
type Service struct {
	Store       Store
	Providers   map[string]Provider
	Links       Links
	Now         func() time.Time
	IDs         IDSource
	Log         *slog.Logger
	MaxAttempts int // payment attempts per session; 5 when zero
	// Sandbox is a server in sandbox mode: test merchants may then send
	// shoppers back to http://localhost.
	Sandbox bool
	// Limits slow card testing (per IP and per card); nil is no limits.
	Limits *AttemptLimits
	// ProcessingTimeout is how long a provider call may run before the
	// reconciler treats its payment as unknown (the process may have died
	// mid-call); ProcessingCheckAfter when zero. Keep it above the
	// provider timeout.
	ProcessingTimeout time.Duration
	// CrashPoint, when set, is called at each step of a payment and of a
	// refund where a crash leaves something half done (the crash test
	// kills the process there); nil in production.
	CrashPoint func(step string)
	// IdempotencyLease is how long a merchant request holds its
	// Idempotency-Key; DefaultIdempotencyLease when zero.
	IdempotencyLease time.Duration
	// PageLocale is the locale a session's pages render in for the
	// session's own locale ("auto" stays "auto": each shopper's browser
	// decides), as the merchant sees it on the session; nil keeps the
	// session's locale as it was given.
	PageLocale func(sessionLocale string) string
	// RejectedReturns counts the refused browser returns put on each
	// payment's timeline, so that forged returns cannot grow the database
	// (MaxRejectedReturnEvents an hour); nil puts none there (they are
	// refused all the same).
	RejectedReturns Counter
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// crashPoint marks a step a crash test may stop the process at.
func (s *Service) crashPoint(step string) {
	if s.CrashPoint != nil {
		s.CrashPoint(step)
	}
}

// processingCheckAfter is how long after a provider call started the
// reconciler treats its payment (or refund) as unknown.
func (s *Service) processingCheckAfter() time.Duration {
	if s.ProcessingTimeout > 0 {
		return s.ProcessingTimeout
	}
	return ProcessingCheckAfter
}

// MaxAttemptsPerSession is how many payment attempts a session allows.
func (s *Service) MaxAttemptsPerSession() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 5
}

func (s *Service) event(sessionID, paymentID string, t EventType, data map[string]any) Event {
	return Event{ID: s.IDs.NewID(PrefixEvent), SessionID: sessionID, PaymentID: paymentID, Type: t, Data: data, CreatedAt: s.now()}
}

// Authenticate finds the merchant owning a secret key.
func (s *Service) Authenticate(ctx context.Context, key string) (*Merchant, error) {
	if !LooksLikeSecretKey(key) {
		return nil, Errorf(EUnauthorized, "Invalid API key.")
	}
	m, err := s.Store.MerchantByKeyHash(ctx, HashAPIKey(key))
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(EUnauthorized, "Invalid API key.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return m, nil
}

// CreateSession validates the merchant's request, routes it to a provider
// able to serve it and stores a new open session.
func (s *Service) CreateSession(ctx context.Context, m *Merchant, p CreateSessionParams) (*Session, error) {
	now := s.now()
	if err := p.normalize(now); err != nil {
		return nil, err
	}
	for _, u := range []struct{ param, url string }{{"success_url", p.SuccessURL}, {"cancel_url", p.CancelURL}} {
		if u.url == "" {
			continue
		}
		if err := m.AllowsReturn(u.url, s.Sandbox); err != nil {
			return nil, InvalidParam(u.param, "%s %s", u.param, err.Error())
		}
	}
	routes, err := s.route(m, p)
	if err != nil {
		return nil, err
	}
	name := routes[p.PaymentMethods[0]]

	sess := &Session{
		ID:                s.IDs.NewID(PrefixSession),
		MerchantID:        m.ID,
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
	if err := s.Store.CreateSession(ctx, sess, ev); errors.Is(err, ErrDuplicate) {
		// The same request ran before (its answer was lost to a crash or
		// a 5xx): the session it made is the answer.
		return s.Store.SessionByIdempotencyKey(ctx, m.ID, p.IdempotencyKey)
	} else if err != nil {
		return nil, Internal(err)
	}
	s.Log.InfoContext(ctx, "session created", "session_id", sess.ID, "merchant_id", m.ID, "provider", name,
		"amount", sess.Amount.Amount, "currency", sess.Amount.Currency)
	return sess, nil
}

// Session returns a session and its payments, oldest first. A non-empty
// merchantID limits the lookup to that merchant's sessions. An open session
// past its expiry time is expired on the way.
func (s *Service) Session(ctx context.Context, merchantID, id string) (*Session, []*Payment, error) {
	if !ValidID(PrefixSession, id) {
		return nil, nil, Errorf(ENotFound, "No such checkout session.")
	}
	sess, err := s.Store.Session(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && merchantID != "" && sess.MerchantID != merchantID) {
		return nil, nil, Errorf(ENotFound, "No such checkout session.")
	}
	if err != nil {
		return nil, nil, Internal(err)
	}
	pays, err := s.Store.SessionPayments(ctx, id)
	if err != nil {
		return nil, nil, Internal(err)
	}
	if sess.ExpiredAt(s.now()) && activePayment(pays) == nil {
		// Past its time with nothing in flight: expire it now rather than
		// at the worker's next sweep (the statement re-checks both).
		if err := s.expire(ctx, sess, "expires_at passed", true); err != nil && !errors.Is(err, ErrConflict) {
			return nil, nil, Internal(err)
		}
		if sess, err = s.Store.Session(ctx, id); err != nil {
			return nil, nil, Internal(err)
		}
		if pays, err = s.Store.SessionPayments(ctx, id); err != nil {
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
	if _, ok := s.Providers[preferred]; !ok {
		if param == "" {
			// The merchant's default is not run by this server (the
			// server refuses to start with such a merchant; this answers
			// a change made since): say so, never a 500.
			return nil, &Error{Code: EUnsupported, Param: "provider",
				Message: "this merchant's default provider " + preferred + " is not configured on this server; name a configured provider in provider"}
		}
		return nil, InvalidParam("provider", "%q is not a configured provider", preferred)
	}
	names := make([]string, 0, len(s.Providers))
	for name := range s.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	routes := map[PaymentMethod]string{}
	for i, meth := range p.PaymentMethods {
		name := preferred
		if !s.Providers[name].Capabilities().Supports(meth) {
			name = ""
			for _, other := range names {
				if s.Providers[other].Capabilities().Supports(meth) {
					name = other
					break
				}
			}
		}
		if name == "" {
			return nil, &Error{Code: EUnsupported, Param: "payment_methods[" + itoa(i) + "]", Message: "no configured provider supports " + string(meth) + " payments"}
		}
		caps := s.Providers[name].Capabilities()
		if !caps.SupportsCurrency(p.Currency) {
			return nil, &Error{Code: EUnsupported, Param: "currency", Message: "provider " + name + " does not accept " + p.Currency + " (it accepts " + strings.Join(caps.Currencies, ", ") + ")"}
		}
		if p.CaptureMode == CaptureManual && !caps.ManualCapture {
			return nil, &Error{Code: EUnsupported, Param: "capture_mode", Message: "provider " + name + " does not support manual capture"}
		}
		routes[meth] = name
	}
	if p.Provider != "" && !slices.ContainsFunc(p.PaymentMethods, s.Providers[p.Provider].Capabilities().Supports) {
		return nil, &Error{Code: EUnsupported, Param: "provider", Message: "provider " + p.Provider + " supports none of the payment methods asked for"}
	}
	return routes, nil
}

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

// Pay starts a payment attempt for an open session. At most one attempt of a
// session is active at a time: a second submit while one is in flight (a
// double click, a Back and resubmit) returns the existing payment with an
// EConflict error and never reaches the provider.
func (s *Service) Pay(ctx context.Context, sessionID string, in PayInput) (*Payment, error) {
	sess, pays, err := s.Session(ctx, "", sessionID)
	if err != nil {
		return nil, err
	}
	if in.FormToken != "" {
		for _, p := range pays {
			if p.FormToken == in.FormToken {
				return p, Errorf(EConflict, "This form was already submitted.").ForShopper("error.form_submitted")
			}
		}
	}
	if active, err := s.Admit(sess, pays); err != nil {
		return active, err
	}
	if !sess.Allows(in.Method) {
		return nil, InvalidParam("payment_method", "This payment method is not available for this checkout.").ForShopper("form.method_unavailable")
	}
	number := ""
	if in.Card != nil {
		number = in.Card.Number
	}
	if err := s.Limits.check(s.now, in.Browser.IP, number); err != nil {
		s.Log.WarnContext(ctx, "payment attempt refused by a limit", "session_id", sess.ID, "ip", in.Browser.IP, "reason", err)
		return nil, err
	}
	provName := sess.ProviderFor(in.Method)
	prov, ok := s.Providers[provName]
	if !ok {
		return nil, Internal(errors.New("provider " + provName + " is not configured"))
	}

	var charge *SavedCardCharge
	var savedCard *CardDetails
	if in.Method == MethodSavedCard {
		v, key, err := s.sessionVault(sess)
		if err != nil {
			return nil, err
		}
		cards, err := v.SavedCards(ctx, key)
		if err != nil {
			return nil, &Error{Code: EUnavailable, Message: "Your saved cards cannot be used right now. Please try again.", Err: err, Shopper: "error.saved_cards_unavailable"}
		}
		card := findCard(cards, in.SavedCardID)
		if card == nil {
			return nil, InvalidParam("saved_card", "This saved card is not available. Choose another one.").ForShopper("error.saved_card_missing")
		}
		savedCard = &card.Card
		charge = &SavedCardCharge{Customer: key, CardID: card.ID, SetupRecurring: sess.SetupRecurring,
			ParentProviderRef: in.ParentProviderRef}
	}

	now := s.now()
	p := &Payment{
		ID:          s.IDs.NewID(PrefixPayment),
		SessionID:   sess.ID,
		MerchantID:  sess.MerchantID,
		Provider:    provName,
		Method:      in.Method,
		Status:      PaymentProcessing,
		Amount:      sess.Amount,
		CaptureMode: sess.CaptureMode,
		Browser:     in.Browser.Normalize(),
		Attempt:     len(pays) + 1,
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
	if charge != nil {
		p.Card, p.SavedCardID = savedCard, charge.CardID
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
		if now, err := s.Store.Session(ctx, sessionID); err == nil && now.Status != SessionOpen {
			return nil, Errorf(EConflict, "This checkout is %s.", now.Status).ForShopper("error.checkout_closed")
		}
		return nil, Errorf(EConflict, "This checkout has expired.").ForShopper("error.checkout_expired")
	case errors.Is(err, ErrConflict):
		// A concurrent submit (of this form, or another) created its attempt first.
		_, pays, err := s.Session(ctx, "", sessionID)
		if err != nil {
			return nil, err
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
		return other, Errorf(EConflict, "A payment for this checkout is already in progress or done.").ForShopper("error.payment_in_progress")
	case err != nil:
		return nil, Internal(err)
	}
	s.Log.InfoContext(ctx, "payment created", "session_id", sess.ID, "payment_id", p.ID, "attempt", p.Attempt, "card", p.Card)
	s.crashPoint("pay.created")

	req := PayRequest{
		PaymentID:         p.ID,
		IdempotencyKey:    p.IdempotencyKey(),
		SessionID:         sess.ID,
		MerchantReference: sess.MerchantReference,
		Description:       describe(sess),
		Amount:            sess.Amount,
		LineItems:         sess.LineItems,
		Customer:          sess.Customer,
		Locale:            providerLocale(in.Locale, sess.Locale),
		Method:            in.Method,
		Card:              in.Card,
		SavedCard:         charge,
		Browser:           p.Browser,
		ThreeDS:           sess.ThreeDS,
		CaptureMode:       sess.CaptureMode,
		ChallengeWindow:   ChallengeWindowFor(p.Browser.InnerWidth, p.Browser.InnerHeight),
		ReturnURL:         s.Links.ReturnURL(sess.ID, p.ID),
		NotifyURL:         s.Links.NotifyURL(provName),
		OriginURL:         s.Links.Origin(),
	}
	start := time.Now()
	out, callErr := prov.Pay(ctx, req)
	s.crashPoint("pay.answered")
	settled, err := s.settle(ctx, p, "pay", time.Since(start), out, callErr)
	s.crashPoint("pay.settled")
	return settled, err
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
	prov, ok := s.Providers[p.Provider]
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
	if err := s.move(ctx, p, PaymentProcessing, "browser returned from "+string(p.Action.Kind),
		s.event(p.SessionID, p.ID, EventBrowserReturn, map[string]any{"kind": string(c.Kind), "accepted": true})); errors.Is(err, ErrConflict) {
		// Another request continued this payment first.
		return s.Store.Payment(ctx, p.ID)
	} else if err != nil {
		return nil, err
	}
	start := time.Now()
	out, callErr := prov.Continue(ctx, *p, c)
	return s.settle(ctx, p, "continue", time.Since(start), out, callErr)
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

// Reconcile asks the provider about one payment whose outcome is unknown
// and settles it only on a definitive answer; otherwise it schedules the
// next inquiry.
func (s *Service) Reconcile(ctx context.Context, paymentID string) (*Payment, error) {
	p, err := s.Store.Payment(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	if !p.Status.InFlight() && (p.Status != PaymentAuthorized || p.NextCheckAt.IsZero() || p.NextCheckAt.After(s.now())) {
		return p, nil
	}
	prov, ok := s.Providers[p.Provider]
	if !ok {
		return nil, Internal(errors.New("provider " + p.Provider + " is not configured"))
	}
	start := time.Now()
	out, callErr := prov.Inquire(ctx, *p)
	return s.settle(ctx, p, "inquire", time.Since(start), out, callErr)
}

// ReconcileDue runs Reconcile on every payment due for an inquiry.
func (s *Service) ReconcileDue(ctx context.Context) (int, error) {
	due, err := s.Store.PaymentsToCheck(ctx, s.now(), 50)
	if err != nil {
		return 0, err
	}
	for _, p := range due {
		if _, err := s.Reconcile(ctx, p.ID); err != nil {
			s.Log.WarnContext(ctx, "reconcile failed", "payment_id", p.ID, "err", err)
		}
	}
	return len(due), nil
}

// settle records a provider answer on the payment: the call on the
// timeline, then the status it leads to. An error or an answer that does not
// make sense is an unknown outcome: pending, checked again later.
func (s *Service) settle(ctx context.Context, p *Payment, op string, took time.Duration, out Outcome, callErr error) (*Payment, error) {
	call := map[string]any{"operation": op, "provider": p.Provider, "duration_ms": took.Milliseconds()}
	if callErr != nil {
		call["error"] = callErr.Error()
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
	events := []Event{s.event(p.SessionID, p.ID, EventProviderCall, call)}

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

	var sessChange *SessionChange
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
		next.Status = to
		data := map[string]any{"from": string(p.Status), "to": string(to), "reason": reason}
		if to == PaymentFailed {
			data["decline_code"] = string(next.Decline.Code)
		}
		events = append(events, s.statusEvent(ctx, &next, p.Status, data))
		if to.Paid() && !p.Status.Paid() {
			// The session completes, and the merchant hears it, only if it
			// is still open (the store checks, in the same transaction).
			done := s.event(p.SessionID, p.ID, EventSessionCompleted, map[string]any{"payment_status": string(to)})
			done.Notify = WebhookSessionCompleted
			obj, err := s.completedSession(ctx, &next)
			if err != nil {
				return nil, Internal(err)
			}
			done.Object = obj
			sessChange = &SessionChange{From: SessionOpen, To: SessionComplete, Events: []Event{done}}
		}
	}
	next.Version = p.Version + 1
	next.UpdatedAt = s.now()
	if err := s.Store.UpdatePayment(ctx, &next, sessChange, events...); err != nil {
		if errors.Is(err, ErrConflict) {
			// Someone else settled it meanwhile; theirs stands.
			return s.Store.Payment(ctx, p.ID)
		}
		return nil, Internal(err)
	}
	if to != p.Status {
		s.Log.InfoContext(ctx, "payment status changed", "session_id", p.SessionID, "payment_id", p.ID, "from", p.Status, "to", to, "reason", reason)
	}
	return &next, nil
}

// target decides the status a provider answer leads to.
func (s *Service) target(p *Payment, out Outcome, callErr error) (PaymentStatus, string) {
	if callErr != nil {
		if p.Status == PaymentRequiresAction {
			return p.Status, "provider unreachable"
		}
		return PaymentPending, "outcome unknown: " + callErr.Error()
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
		refunds, err := s.Store.PaymentRefunds(ctx, next.ID)
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
		found := false
		for i, r := range list {
			if r.ID == u.ID {
				list[i], found = u, true
			}
		}
		if !found {
			list = append(list, u)
		}
	}
	return list
}

// completedSession is the session of paid as it will be once the payment
// completes it: complete, with paid as its latest attempt.
func (s *Service) completedSession(ctx context.Context, paid *Payment) (SessionObject, error) {
	sess, err := s.Store.Session(ctx, paid.SessionID)
	if err != nil {
		return SessionObject{}, err
	}
	pays, err := s.Store.SessionPayments(ctx, paid.SessionID)
	if err != nil {
		return SessionObject{}, err
	}
	found := false
	for i, p := range pays {
		if p.ID == paid.ID {
			pays[i], found = paid, true
		}
	}
	if !found {
		pays = append(pays, paid)
	}
	done := *sess
	done.Status = SessionComplete
	return s.SessionObject(&done, pays), nil
}

// move is a plain status change with a timeline entry.
func (s *Service) move(ctx context.Context, p *Payment, to PaymentStatus, reason string, extra ...Event) error {
	if !CanTransition(p.Status, to) {
		return Errorf(EConflict, "payment cannot move from %s to %s", p.Status, to)
	}
	next := *p
	next.Status = to
	events := append(extra, s.statusEvent(ctx, &next, p.Status, map[string]any{"from": string(p.Status), "to": string(to), "reason": reason}))
	next.Version = p.Version + 1
	next.UpdatedAt = s.now()
	if to == PaymentProcessing {
		// Should this process die mid-call, the reconciler picks it up.
		next.NextCheckAt = next.UpdatedAt.Add(s.processingCheckAfter())
	}
	if err := s.Store.UpdatePayment(ctx, &next, nil, events...); err != nil {
		if errors.Is(err, ErrConflict) {
			return err
		}
		return Internal(err)
	}
	*p = next
	return nil
}

// Merchant returns a merchant by id.
func (s *Service) Merchant(ctx context.Context, id string) (*Merchant, error) {
	m, err := s.Store.Merchant(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such merchant.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return m, nil
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
