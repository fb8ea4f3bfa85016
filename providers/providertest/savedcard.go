package providertest

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// SavedCardHarness pairs a card-vault (tokenization) adapter with its
// sandbox.
type SavedCardHarness struct {
	// Provider is the adapter under test, configured to talk to the
	// sandbox; it must implement checkout.CardVault. Its "order not found"
	// grace (if it has one) should be short, so that an inquiry about a
	// charge the provider never made is final at once.
	Provider checkout.Provider
	// MisKeyed builds an adapter for the same sandbox with a wrong signing
	// key.
	MisKeyed func(t testing.TB) checkout.Provider
	// Charges reports how many times the sandbox's ledger charged our
	// payment id.
	Charges func(paymentID string) int
	// AddCard plays the shopper on the provider's add-card page at url,
	// over plain HTTP: it types cardNumber (with a future expiry, a CVC and
	// a name), answers a 3-D Secure challenge with otp, and returns the URL
	// the page finally sends the browser to, without following it.
	AddCard func(t testing.TB, url, cardNumber, otp string) (followed string)
	// Currency of the test payments; USD when empty.
	Currency string
}

// RunSavedCard runs every saved-card scenario as a parallel subtest: saving
// cards on the provider's page (with the shared table's 3-D Secure rows),
// listing and deleting them, charging them (approvals, declines, unknown
// outcomes, idempotency, recurring charges), keeping customers apart, and
// refusing a mis-keyed adapter.
func RunSavedCard(t *testing.T, h SavedCardHarness) {
	t.Helper()
	if h.Provider == nil || h.MisKeyed == nil || h.Charges == nil || h.AddCard == nil {
		t.Fatal("providertest: the saved-card harness needs Provider, MisKeyed, Charges and AddCard")
	}
	if _, ok := h.Provider.(checkout.CardVault); !ok {
		t.Fatalf("%s does not implement checkout.CardVault", h.Provider.Name())
	}
	if !h.Provider.Capabilities().Supports(checkout.MethodSavedCard) {
		t.Fatalf("%s does not offer saved-card payments", h.Provider.Name())
	}
	if h.Currency == "" {
		h.Currency = "USD"
	}

	t.Run("add a card", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.Visa, "", true)
		if card.Card.Brand != checkout.BrandVisa || card.Card.Last4 != "4242" {
			t.Errorf("listed as %s •••• %s, want visa •••• 4242", card.Card.Brand, card.Card.Last4)
		}
		if card.Card.BIN != "" && card.Card.BIN != "424242" {
			t.Errorf("BIN %q, want 424242", card.Card.BIN)
		}
		if card.Card.ExpMonth < 1 || card.Card.ExpMonth > 12 || card.Card.ExpYear < time.Now().Year() {
			t.Errorf("expiry %d/%d, want the future one typed", card.Card.ExpMonth, card.Card.ExpYear)
		}
		if got := w.list(); len(got) != 1 {
			t.Errorf("the customer has %d cards, want 1", len(got))
		}
	})

	for _, sc := range []struct {
		name  string
		card  string
		otp   string
		saved bool
	}{
		{name: "add a card: challenge passed", card: testcards.Challenge, otp: testcards.ChallengeCode, saved: true},
		{name: "add a card: challenge failed", card: testcards.Challenge, otp: wrongCode},
		{name: "add a card: authentication failed", card: testcards.AuthFailed},
		{name: "add a card: 3DS unavailable", card: testcards.AuthUnavailable, saved: true},
		{name: "add a card: Mastercard", card: testcards.Mastercard, saved: true},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			w := newWallet(t, h)
			card := w.add(sc.card, sc.otp, sc.saved)
			if !sc.saved {
				if got := w.list(); len(got) != 0 {
					t.Fatalf("a refused card is listed: %+v", got)
				}
				return
			}
			if card.Card.Last4 != sc.card[len(sc.card)-4:] {
				t.Errorf("listed with last four %q", card.Card.Last4)
			}
			j := w.charge(card.ID, chargeOptions{})
			j.expect(j.pay(), checkout.OutcomeSucceeded, "")
			j.expectCharges(1)
		})
	}

	t.Run("sale approved", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.Visa, "", true)
		j := w.charge(card.ID, chargeOptions{})
		out := j.pay()
		j.expect(out, checkout.OutcomeSucceeded, "")
		if out.ProviderRef == "" {
			t.Error("the charge has no provider reference")
		}
		if out.Card != nil && out.Card.Last4 != "" && out.Card.Last4 != "4242" {
			t.Errorf("the charge reports card •••• %s", out.Card.Last4)
		}
		j.expectCharges(1)
		j.expect(j.inquire(), checkout.OutcomeSucceeded, "")
	})

	for _, sc := range []struct {
		name    string
		card    string
		otp     string
		decline checkout.DeclineCode
	}{
		{name: "decline generic", card: testcards.DeclineGeneric, decline: checkout.DeclineGeneric},
		{name: "decline insufficient funds", card: testcards.DeclineFunds, decline: checkout.DeclineInsufficientFunds},
		{name: "decline expired card", card: testcards.DeclineExpired, decline: checkout.DeclineExpiredCard},
		{name: "decline incorrect CVC", card: testcards.DeclineCVC, decline: checkout.DeclineIncorrectCVC},
		{name: "challenge passed, issuer declines the sale", card: testcards.ChallengeThenDecline, otp: testcards.ChallengeCode, decline: checkout.DeclineGeneric},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			w := newWallet(t, h)
			card := w.add(sc.card, sc.otp, true)
			j := w.charge(card.ID, chargeOptions{})
			j.expect(j.pay(), checkout.OutcomeFailed, sc.decline)
			j.expectCharges(0)
			j.expect(j.inquire(), checkout.OutcomeFailed, sc.decline)
		})
	}

	t.Run("duplicate idempotency key", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.Visa, "", true)
		j := w.charge(card.ID, chargeOptions{})
		j.expect(j.pay(), checkout.OutcomeSucceeded, "")
		// The same payment charged again, as after a crash between the call
		// and recording its answer: never a second charge, never a decline.
		out, err := j.try()
		if err != nil {
			out = j.inquire()
		}
		j.expect(out, checkout.OutcomeSucceeded, "")
		j.expectCharges(1)
	})

	t.Run("unknown then not charged, resolved by inquiry", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.ServerError, "", true)
		j := w.charge(card.ID, chargeOptions{})
		if out, err := j.try(); err == nil {
			t.Fatalf("the provider failed with a 500 but the adapter concluded %s", out.Status)
		}
		out := j.inquire()
		if out.Status != checkout.OutcomeFailed {
			t.Fatalf("inquiry status = %s, want %s", out.Status, checkout.OutcomeFailed)
		}
		j.expectCharges(0)
	})

	t.Run("unknown then charged, resolved by inquiry", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.TimeoutAfterCharge, "", true)
		j := w.charge(card.ID, chargeOptions{})
		if out, err := j.try(); err == nil {
			t.Fatalf("the provider timed out but the adapter concluded %s", out.Status)
		}
		j.expect(j.inquire(), checkout.OutcomeSucceeded, "")
		j.expectCharges(1)
	})

	t.Run("recurring charge after a recurring sale", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.Visa, "", true)
		first := w.charge(card.ID, chargeOptions{setupRecurring: true})
		out := first.pay()
		first.expect(out, checkout.OutcomeSucceeded, "")
		if out.ProviderRef == "" {
			t.Fatal("the recurring sale has no provider reference to charge after")
		}
		next := w.charge(card.ID, chargeOptions{parent: out.ProviderRef})
		again := next.pay()
		next.expect(again, checkout.OutcomeSucceeded, "")
		if again.ProviderRef == out.ProviderRef {
			t.Error("the recurring charge has the first sale's reference")
		}
		first.expectCharges(1)
		next.expectCharges(1)
		next.expect(next.inquire(), checkout.OutcomeSucceeded, "")
	})

	t.Run("recurring charge after a one-off sale", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.Visa, "", true)
		first := w.charge(card.ID, chargeOptions{})
		out := first.pay()
		first.expect(out, checkout.OutcomeSucceeded, "")
		next := w.charge(card.ID, chargeOptions{parent: out.ProviderRef})
		if again, err := next.try(); err == nil && again.Status != checkout.OutcomeFailed {
			t.Fatalf("a recurring charge after a one-off sale = %s; want failed or an error", again.Status)
		}
		next.expectCharges(0)
	})

	t.Run("delete a card", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		keep := w.add(testcards.Mastercard, "", true)
		gone := w.add(testcards.Visa, "", true)
		if err := w.vault.DeleteSavedCard(t.Context(), w.customer, gone.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		cards := w.list()
		if len(cards) != 1 || cards[0].ID != keep.ID {
			t.Fatalf("after deleting %s the customer has %+v, want only %s", gone.ID, cards, keep.ID)
		}
		if err := w.vault.DeleteSavedCard(t.Context(), w.customer, gone.ID); err != nil {
			t.Errorf("deleting a card that is gone: %v; want no error", err)
		}
		j := w.charge(gone.ID, chargeOptions{})
		if out, err := j.try(); err == nil && out.Status != checkout.OutcomeFailed {
			t.Fatalf("charging a deleted card = %s; want failed or an error", out.Status)
		}
		j.expectCharges(0)
	})

	t.Run("customers are kept apart", func(t *testing.T) {
		t.Parallel()
		owner := newWallet(t, h)
		card := owner.add(testcards.Visa, "", true)
		other := newWallet(t, h)
		for _, c := range other.list() {
			if c.ID == card.ID {
				t.Fatalf("another customer sees card %s", card.ID)
			}
		}
		j := other.charge(card.ID, chargeOptions{})
		if out, err := j.try(); err == nil && out.Status != checkout.OutcomeFailed {
			t.Fatalf("another customer charged the card: %s", out.Status)
		}
		j.expectCharges(0)
		if err := other.vault.DeleteSavedCard(t.Context(), other.customer, card.ID); err != nil {
			t.Logf("another customer deleting the card: %v", err)
		}
		if cards := owner.list(); len(cards) != 1 || cards[0].ID != card.ID {
			t.Errorf("another customer's delete removed the owner's card: %+v", cards)
		}
	})

	t.Run("mis-keyed adapter", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		card := w.add(testcards.Visa, "", true)
		bad := h.MisKeyed(t)
		j := w.charge(card.ID, chargeOptions{})
		out, err := bad.Pay(t.Context(), j.req)
		switch {
		case err != nil:
			j.noSecrets(err.Error())
		case out.Status != checkout.OutcomeFailed || out.Decline == nil:
			t.Fatalf("a mis-keyed adapter concluded %s; want an error or a failure", out.Status)
		}
		j.expectCharges(0)
		vault, ok := bad.(checkout.CardVault)
		if !ok {
			t.Fatal("the mis-keyed adapter is not a CardVault")
		}
		if cards, err := vault.SavedCards(t.Context(), w.customer); err == nil {
			t.Errorf("a mis-keyed adapter listed %d cards; want an error", len(cards))
		}
		if _, err := vault.AddCard(t.Context(), w.addRequest()); err == nil {
			t.Error("a mis-keyed adapter got an add-card page; want an error")
		}
	})

	t.Run("not a saved-card payment", func(t *testing.T) {
		t.Parallel()
		w := newWallet(t, h)
		j := w.charge("436", chargeOptions{})
		req := j.req
		req.Method, req.SavedCard = checkout.MethodCard, nil
		out, err := h.Provider.Pay(t.Context(), req)
		if err != nil || out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Decline.Code != checkout.DeclineNotSupported {
			t.Fatalf("a card payment = %s %+v, %v; want failed, not_supported", out.Status, out.Decline, err)
		}
		j.expectCharges(0)
	})
}

// savedCardWallet is one fresh customer of the vault.
type savedCardWallet struct {
	t        testing.TB
	h        SavedCardHarness
	vault    checkout.CardVault
	customer string
	origin   string
}

func newWallet(t testing.TB, h SavedCardHarness) *savedCardWallet {
	ids := checkout.RandomIDs{}
	return &savedCardWallet{
		t: t, h: h, vault: h.Provider.(checkout.CardVault),
		customer: checkout.CustomerKey(ids.NewID("mer_"), ids.NewID("cus_")),
		origin:   "https://checkout.example.com",
	}
}

func (w *savedCardWallet) addRequest() checkout.AddCardRequest {
	return checkout.AddCardRequest{
		Customer:  w.customer,
		ReturnURL: w.origin + "/cards/added",
		CancelURL: w.origin + "/cards/canceled",
		NotifyURL: w.origin + "/notify/" + w.h.Provider.Name(),
		Locale:    "en-US",
	}
}

// add saves a card on the provider's page and returns it as listed; when
// saved is false it checks that the page sent the shopper to the cancel URL.
func (w *savedCardWallet) add(number, otp string, saved bool) checkout.SavedCard {
	w.t.Helper()
	before := map[string]bool{}
	for _, c := range w.list() {
		before[c.ID] = true
	}
	req := w.addRequest()
	page, err := w.vault.AddCard(w.t.Context(), req)
	if err != nil {
		w.t.Fatalf("add card: %v", err)
	}
	followed := w.h.AddCard(w.t, page, number, otp)
	want := req.ReturnURL
	if !saved {
		want = req.CancelURL
	}
	if !strings.HasPrefix(followed, want) {
		w.t.Fatalf("the add-card page sent the shopper to %q, want %q", followed, want)
	}
	cards := w.list()
	b, _ := json.Marshal(cards)
	if strings.Contains(string(b), number) {
		w.t.Fatalf("the saved cards carry the card number: %s", b)
	}
	if !saved {
		return checkout.SavedCard{}
	}
	for _, c := range cards {
		if !before[c.ID] {
			if c.ID == "" {
				w.t.Fatal("a saved card without an id")
			}
			return c
		}
	}
	w.t.Fatalf("the saved card is not listed (%d cards)", len(cards))
	return checkout.SavedCard{}
}

func (w *savedCardWallet) list() []checkout.SavedCard {
	w.t.Helper()
	cards, err := w.vault.SavedCards(w.t.Context(), w.customer)
	if err != nil {
		w.t.Fatalf("saved cards: %v", err)
	}
	return cards
}

type chargeOptions struct {
	setupRecurring bool
	parent         string
}

// charge prepares a payment of 12.34 with the saved card cardID.
func (w *savedCardWallet) charge(cardID string, o chargeOptions) *savedCardJourney {
	ids := checkout.RandomIDs{}
	paymentID, sessionID := ids.NewID(checkout.PrefixPayment), ids.NewID(checkout.PrefixSession)
	reference := "order-" + paymentID[len(checkout.PrefixPayment):][:8]
	req := checkout.PayRequest{
		PaymentID:         paymentID,
		IdempotencyKey:    paymentID,
		SessionID:         sessionID,
		MerchantReference: reference,
		Description:       "Linen shirt and socks",
		Amount:            checkout.Money{Amount: 1234, Currency: w.h.Currency},
		LineItems: []checkout.LineItem{
			{Name: "Linen shirt", Quantity: 1, UnitAmount: 1000},
			{Name: "Socks", Quantity: 1, UnitAmount: 234},
		},
		Customer:    checkout.Customer{Email: "jane.doe@example.com", Reference: "cust-42"},
		Locale:      "en-US",
		Method:      checkout.MethodSavedCard,
		SavedCard:   &checkout.SavedCardCharge{Customer: w.customer, CardID: cardID, SetupRecurring: o.setupRecurring, ParentProviderRef: o.parent},
		CaptureMode: checkout.CaptureAutomatic,
		ReturnURL:   w.origin + "/c/" + sessionID + "/return/" + paymentID,
		NotifyURL:   w.origin + "/notify/" + w.h.Provider.Name(),
		OriginURL:   w.origin,
	}
	return &savedCardJourney{t: w.t, h: w.h, req: req, payment: checkout.Payment{
		ID:           paymentID,
		SessionID:    sessionID,
		Provider:     w.h.Provider.Name(),
		Method:       checkout.MethodSavedCard,
		Status:       checkout.PaymentProcessing,
		Amount:       req.Amount,
		CaptureMode:  req.CaptureMode,
		ProviderData: map[string]string{},
		Attempt:      1,
		CreatedAt:    time.Now().UTC(),
	}}
}

// savedCardJourney is one saved-card payment driven the way the Service
// drives it.
type savedCardJourney struct {
	t       testing.TB
	h       SavedCardHarness
	req     checkout.PayRequest
	payment checkout.Payment
}

// try calls Pay once and records a known answer.
func (j *savedCardJourney) try() (checkout.Outcome, error) {
	j.t.Helper()
	out, err := j.h.Provider.Pay(j.t.Context(), j.req)
	if err != nil {
		j.noSecrets(err.Error())
		return out, err
	}
	if out.Status == checkout.OutcomeActionRequired {
		j.t.Fatal("a saved-card charge asked for the browser; it is merchant-initiated")
	}
	j.record(out)
	return out, nil
}

// pay is try where an unknown outcome fails the test.
func (j *savedCardJourney) pay() checkout.Outcome {
	j.t.Helper()
	out, err := j.try()
	if err != nil {
		j.t.Fatalf("pay: outcome unknown: %v", err)
	}
	return out
}

// inquire asks the provider until it gives a final answer.
func (j *savedCardJourney) inquire() checkout.Outcome {
	j.t.Helper()
	for range 20 {
		out, err := j.h.Provider.Inquire(j.t.Context(), j.payment)
		if err != nil {
			j.t.Fatalf("inquiry: %v", err)
		}
		if out.Status != checkout.OutcomePending {
			j.record(out)
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
	j.t.Fatal("the inquiry stayed pending")
	return checkout.Outcome{}
}

func (j *savedCardJourney) record(out checkout.Outcome) {
	if out.ProviderRef != "" {
		j.payment.ProviderRef = out.ProviderRef
	}
	maps.Copy(j.payment.ProviderData, out.ProviderData)
}

func (j *savedCardJourney) expect(out checkout.Outcome, status checkout.OutcomeStatus, decline checkout.DeclineCode) {
	j.t.Helper()
	if out.Status != status {
		j.t.Fatalf("status = %s, want %s (decline %+v)", out.Status, status, out.Decline)
	}
	if status != checkout.OutcomeFailed {
		if out.Decline != nil {
			j.t.Errorf("%s with a decline %+v", status, out.Decline)
		}
		return
	}
	if out.Decline == nil || out.Decline.Code == "" || out.Decline.Message == "" {
		j.t.Fatalf("failed without a decline code and message: %+v", out.Decline)
	}
	if decline != "" && out.Decline.Code != decline {
		j.t.Errorf("decline = %s (provider code %q), want %s", out.Decline.Code, out.Decline.ProviderCode, decline)
	}
}

func (j *savedCardJourney) expectCharges(want int) {
	j.t.Helper()
	if got := j.h.Charges(j.req.PaymentID); got != want {
		j.t.Errorf("the sandbox charged the payment %d times, want %d", got, want)
	}
}

// noSecrets checks that an error names no test card number.
func (j *savedCardJourney) noSecrets(msg string) {
	j.t.Helper()
	for _, row := range testcards.Table() {
		if strings.Contains(msg, row.Number) {
			j.t.Errorf("an error carries a card number: %s", msg)
		}
	}
}
