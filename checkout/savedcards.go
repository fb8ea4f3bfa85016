package checkout

import (
	"context"
	"errors"
	"sort"
	"time"
)

// vault returns the provider that keeps saved cards for a merchant: the
// merchant's default provider when it does, otherwise the first configured
// provider (by name) that does.
func (s *Service) vault(m *Merchant) (string, CardVault, bool) {
	names := []string{m.DefaultProvider}
	provs := s.providers(m.Live)
	for name := range provs {
		names = append(names, name)
	}
	sort.Strings(names[1:])
	for _, name := range names {
		p, ok := provs[name]
		if !ok || !p.Capabilities().Supports(MethodSavedCard) {
			continue
		}
		if v, ok := p.(CardVault); ok {
			return name, v, true
		}
	}
	return "", nil, false
}

// sessionVault is the saved-card provider of a session that offers saved
// cards, and the customer key its shopper is known by there.
func (s *Service) sessionVault(sess *Session) (CardVault, string, error) {
	if !sess.Allows(MethodSavedCard) || sess.Customer.Reference == "" {
		return nil, "", Errorf(EInvalid, "This checkout does not offer saved cards.").ForShopper("error.saved_cards_not_offered")
	}
	v, ok := s.providers(sess.Livemode)[sess.ProviderFor(MethodSavedCard)].(CardVault)
	if !ok {
		return nil, "", Internal(errors.New("saved-card provider " + sess.ProviderFor(MethodSavedCard) + " keeps no cards"))
	}
	return v, CustomerKey(sess.MerchantID, sess.Customer.Reference), nil
}

// SessionSavedCards lists the cards the session's shopper saved with this
// merchant; none when the session does not offer saved cards. An
// unreachable provider is an EUnavailable error, so the page can still
// offer the other ways to pay.
func (s *Service) SessionSavedCards(ctx context.Context, sess *Session) ([]SavedCard, error) {
	if !sess.Allows(MethodSavedCard) || sess.Customer.Reference == "" {
		return nil, nil
	}
	v, key, err := s.sessionVault(sess)
	if err != nil {
		return nil, err
	}
	cards, err := v.SavedCards(ctx, key)
	if err != nil {
		s.Log.WarnContext(ctx, "saved cards unavailable", "session_id", sess.ID, "err", err)
		return nil, &Error{Code: EUnavailable, Message: "Your saved cards cannot be shown right now.", Err: err, Shopper: "error.saved_cards_hidden"}
	}
	return cards, nil
}

// AddCard asks the session's saved-card provider for its add-card page;
// the shopper comes back to returnURL (or cancelURL). locale is the
// language of the shopper's page (as PayInput.Locale), for the provider's.
func (s *Service) AddCard(ctx context.Context, sessionID, returnURL, cancelURL, locale string) (string, error) {
	sess, _, err := s.Session(ctx, "", sessionID)
	if err != nil {
		return "", err
	}
	if sess.Status != SessionOpen {
		return "", Errorf(EConflict, "This checkout is %s.", sess.Status).ForShopper("error.checkout_closed")
	}
	v, key, err := s.sessionVault(sess)
	if err != nil {
		return "", err
	}
	u, err := v.AddCard(ctx, AddCardRequest{Customer: key, ReturnURL: returnURL, CancelURL: cancelURL,
		NotifyURL: s.Links.NotifyURL(sess.ProviderFor(MethodSavedCard)), Locale: providerLocale(locale, sess.Locale)})
	if err != nil {
		s.Log.WarnContext(ctx, "add card failed", "session_id", sess.ID, "err", err)
		return "", &Error{Code: EUnavailable, Message: "Adding a card is not possible right now. Please try again.", Err: err, Shopper: "error.add_card_unavailable"}
	}
	_ = s.Store.AppendEvents(ctx, s.event(sess.ID, "", EventBrowserReturn, map[string]any{"kind": "add_card_started"}))
	return u, nil
}

// RemoveSessionCard deletes one of the session shopper's saved cards.
func (s *Service) RemoveSessionCard(ctx context.Context, sessionID, cardID string) error {
	sess, _, err := s.Session(ctx, "", sessionID)
	if err != nil {
		return err
	}
	v, key, err := s.sessionVault(sess)
	if err != nil {
		return err
	}
	return s.removeCard(ctx, v, key, cardID)
}

func (s *Service) removeCard(ctx context.Context, v CardVault, key, cardID string) error {
	cards, err := v.SavedCards(ctx, key)
	if err != nil {
		return &Error{Code: EUnavailable, Message: "Saved cards cannot be changed right now. Please try again.", Err: err, Shopper: "error.saved_cards_locked"}
	}
	if findCard(cards, cardID) == nil {
		return Errorf(ENotFound, "No such saved card.")
	}
	if err := v.DeleteSavedCard(ctx, key, cardID); err != nil {
		return &Error{Code: EUnavailable, Message: "The saved card could not be removed. Please try again.", Err: err, Shopper: "error.saved_card_remove_failed"}
	}
	return nil
}

func findCard(cards []SavedCard, id string) *SavedCard {
	for i := range cards {
		if cards[i].ID == id {
			return &cards[i]
		}
	}
	return nil
}

// CustomerCards lists a merchant's customer's saved cards (merchant API).
func (s *Service) CustomerCards(ctx context.Context, m *Merchant, reference string) (string, []SavedCard, error) {
	name, v, err := s.customerVault(m, reference)
	if err != nil {
		return "", nil, err
	}
	cards, err := v.SavedCards(ctx, CustomerKey(m.ID, reference))
	if err != nil {
		return "", nil, &Error{Code: EUnavailable, Message: "The payment provider did not answer; retrying is safe.", Err: err}
	}
	return name, cards, nil
}

// DeleteCustomerCard removes a merchant's customer's saved card.
func (s *Service) DeleteCustomerCard(ctx context.Context, m *Merchant, reference, cardID string) error {
	_, v, err := s.customerVault(m, reference)
	if err != nil {
		return err
	}
	return s.removeCard(ctx, v, CustomerKey(m.ID, reference), cardID)
}

func (s *Service) customerVault(m *Merchant, reference string) (string, CardVault, error) {
	if err := CheckCustomerReference("reference", reference); err != nil {
		return "", nil, err
	}
	name, v, ok := s.vault(m)
	if !ok {
		return "", nil, &Error{Code: EUnsupported, Message: "No configured provider keeps saved cards."}
	}
	return name, v, nil
}

// RecurringParams is a merchant-initiated charge of the saved card that
// paid an earlier payment whose session set up recurring payments.
type RecurringParams struct {
	ParentPaymentID   string
	Amount            int64
	MerchantReference string
	// IdempotencyKey is the request's Idempotency-Key, kept on the new
	// session: the same request retried after a crash finds that session
	// and its payment instead of charging the card again.
	IdempotencyKey string
}

// ChargeRecurring charges the saved card of a parent payment again, with
// no shopper present: a new session (complete once paid) holds the new
// payment. The provider links it to the parent (BBMSL parentOrderId).
func (s *Service) ChargeRecurring(ctx context.Context, m *Merchant, in RecurringParams) (*Session, *Payment, error) {
	if in.Amount <= 0 || in.Amount > MaxAmount {
		return nil, nil, InvalidParam("amount", "amount must be a positive integer in minor units, at most %d", MaxAmount)
	}
	if err := checkText("merchant_reference", in.MerchantReference, 200); err != nil {
		return nil, nil, err
	}
	parent, err := s.MerchantPayment(ctx, m.ID, in.ParentPaymentID)
	if errors.Is(err, ErrNotFound) || ErrorCodeOf(err) == ENotFound {
		return nil, nil, InvalidParam("parent_payment", "no such payment")
	}
	if err != nil {
		return nil, nil, err
	}
	parentSession, _, err := s.Session(ctx, m.ID, parent.SessionID)
	if err != nil {
		return nil, nil, err
	}
	if parent.Method != MethodSavedCard || parent.SavedCardID == "" || !parentSession.SetupRecurring {
		return nil, nil, InvalidParam("parent_payment", "the parent must be a saved-card payment of a session with setup_recurring")
	}
	if !parent.Status.Paid() || parent.ProviderRef == "" {
		return nil, nil, InvalidParam("parent_payment", "the parent payment is %s; it must have succeeded", parent.Status)
	}
	now := s.now()
	sess := &Session{
		ID:                s.IDs.NewID(PrefixSession),
		MerchantID:        m.ID,
		Livemode:          m.Live,
		Status:            SessionOpen,
		Amount:            Money{Amount: in.Amount, Currency: parent.Amount.Currency},
		MerchantReference: in.MerchantReference,
		Customer:          parentSession.Customer,
		Locale:            parentSession.Locale,
		SuccessURL:        parentSession.SuccessURL,
		CancelURL:         parentSession.CancelURL,
		PaymentMethods:    []PaymentMethod{MethodSavedCard},
		Provider:          parent.Provider,
		Routes:            map[PaymentMethod]string{MethodSavedCard: parent.Provider},
		CaptureMode:       CaptureAutomatic,
		ThreeDS:           ThreeDSAutomatic,
		Metadata:          map[string]string{"recurring_parent_payment": parent.ID},
		ExpiresAt:         now.Add(30 * time.Minute).Truncate(time.Second),
		IdempotencyKey:    in.IdempotencyKey,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	ev := s.event(sess.ID, "", EventSessionCreated, map[string]any{
		"amount": sess.Amount.Amount, "currency": sess.Amount.Currency, "provider": parent.Provider,
		"recurring_parent_payment": parent.ID,
	})
	if err := s.Store.CreateSession(ctx, sess, ev); errors.Is(err, ErrDuplicate) {
		// The same request ran before (its answer lost to a crash or a
		// 5xx): carry on with what it made, never a second charge.
		return s.resumeRecurring(ctx, m, parent, in)
	} else if err != nil {
		return nil, nil, Internal(err)
	}
	p, err := s.Pay(ctx, sess.ID, PayInput{Method: MethodSavedCard, SavedCardID: parent.SavedCardID,
		ParentProviderRef: parent.ProviderRef})
	if err != nil && !(ErrorCodeOf(err) == EConflict && p != nil) {
		return nil, nil, err
	}
	sess, _, err = s.Session(ctx, m.ID, sess.ID)
	if err != nil {
		return nil, nil, err
	}
	return sess, p, nil
}

// resumeRecurring answers a recurring charge whose Idempotency-Key already
// made its session: the payment of that session, made now if a crash came
// between the two.
func (s *Service) resumeRecurring(ctx context.Context, m *Merchant, parent *Payment, in RecurringParams) (*Session, *Payment, error) {
	sess, err := s.Store.SessionByIdempotencyKey(ctx, m.ID, in.IdempotencyKey)
	if err != nil {
		return nil, nil, Internal(err)
	}
	if sess.Metadata["recurring_parent_payment"] != parent.ID || sess.Amount.Amount != in.Amount ||
		sess.MerchantReference != in.MerchantReference {
		return nil, nil, &Error{Code: EIdempotencyMismatch, Param: "Idempotency-Key", Message: "This Idempotency-Key was already used with a different request."}
	}
	pays, err := s.Store.SessionPayments(ctx, sess.ID)
	if err != nil {
		return nil, nil, Internal(err)
	}
	if len(pays) > 0 {
		return sess, pays[len(pays)-1], nil
	}
	p, err := s.Pay(ctx, sess.ID, PayInput{Method: MethodSavedCard, SavedCardID: parent.SavedCardID,
		ParentProviderRef: parent.ProviderRef})
	if err != nil && !(ErrorCodeOf(err) == EConflict && p != nil) {
		return nil, nil, err
	}
	if sess, err = s.Store.Session(ctx, sess.ID); err != nil {
		return nil, nil, Internal(err)
	}
	return sess, p, nil
}
