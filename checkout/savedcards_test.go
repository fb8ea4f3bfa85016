package checkout_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// vaultFake keeps cards per customer key and records the last charge.
type vaultFake struct {
	*fakeProvider
	mu      sync.Mutex
	cards   map[string][]checkout.SavedCard
	charges []checkout.SavedCardCharge
}

func (v *vaultFake) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodCard, checkout.MethodSavedCard}, Currencies: []string{"USD", "EUR"}}
}
func (v *vaultFake) Pay(ctx context.Context, req checkout.PayRequest) (checkout.Outcome, error) {
	v.mu.Lock()
	if req.SavedCard != nil {
		v.charges = append(v.charges, *req.SavedCard)
	}
	v.mu.Unlock()
	return v.fakeProvider.Pay(ctx, req)
}
func (v *vaultFake) AddCard(ctx context.Context, r checkout.AddCardRequest) (string, error) {
	return "https://vault.test/add?user=" + r.Customer, nil
}
func (v *vaultFake) SavedCards(ctx context.Context, customer string) ([]checkout.SavedCard, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]checkout.SavedCard(nil), v.cards[customer]...), nil
}
func (v *vaultFake) DeleteSavedCard(ctx context.Context, customer, id string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	var keep []checkout.SavedCard
	for _, c := range v.cards[customer] {
		if c.ID != id {
			keep = append(keep, c)
		}
	}
	v.cards[customer] = keep
	return nil
}

func TestSavedCards(t *testing.T) {
	ctx := context.Background()
	v := &vaultFake{fakeProvider: &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "order-1"}, nil)},
		cards: map[string][]checkout.SavedCard{}}
	svc, m, _ := MustService(t, v)
	key := checkout.CustomerKey(m.ID, "cust-7")
	if key == checkout.CustomerKey("mer_other", "cust-7") || len(key) != 40 {
		t.Fatalf("customer keys must be per merchant: %s", key)
	}
	v.cards[key] = []checkout.SavedCard{{ID: "436", Card: checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "424242", Last4: "4242", ExpMonth: 12, ExpYear: 2030}}}

	params := checkout.CreateSessionParams{Amount: 1000, Currency: "USD", SuccessURL: "https://shop.test/ok",
		PaymentMethods: []checkout.PaymentMethod{checkout.MethodSavedCard, checkout.MethodCard}}
	if _, err := svc.CreateSession(ctx, m, params); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("saved cards without a customer: %v", err)
	}
	params.Customer.Reference = "cust-7"
	params.SetupRecurring = true
	sess, err := svc.CreateSession(ctx, m, params)
	if err != nil {
		t.Fatal(err)
	}
	cards, err := svc.SessionSavedCards(ctx, sess)
	if err != nil || len(cards) != 1 || cards[0].ID != "436" {
		t.Fatalf("cards: %+v %v", cards, err)
	}
	// Another merchant's shopper with the same reference sees nothing.
	other := &checkout.Merchant{ID: "mer_other", Name: "Other", APIKeyHash: checkout.HashAPIKey("sk_test_other"), DefaultProvider: "fake", CreatedAt: today}
	if err := svc.Store.SaveMerchant(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, cards, err := svc.CustomerCards(ctx, other, "cust-7"); err != nil || len(cards) != 0 {
		t.Fatalf("another merchant sees %+v %v", cards, err)
	}
	if err := svc.DeleteCustomerCard(ctx, other, "cust-7", "436"); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("another merchant deletes: %v", err)
	}
	u, err := svc.AddCard(ctx, sess.ID, "https://pay.test/back", "https://pay.test/cancel", "")
	if err != nil || u != "https://vault.test/add?user="+key {
		t.Fatalf("add card: %s %v", u, err)
	}

	// A token that is not the shopper's is refused before any provider call.
	if _, err := svc.Pay(ctx, sess.ID, checkout.PayInput{Method: checkout.MethodSavedCard, SavedCardID: "999"}); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("foreign token: %v", err)
	}
	p, err := svc.Pay(ctx, sess.ID, checkout.PayInput{Method: checkout.MethodSavedCard, SavedCardID: "436"})
	if err != nil || p.Status != checkout.PaymentSucceeded || p.SavedCardID != "436" || p.Card == nil || p.Card.Last4 != "4242" {
		t.Fatalf("saved card pay: %+v %v", p, err)
	}
	if len(v.charges) != 1 || v.charges[0] != (checkout.SavedCardCharge{Customer: key, CardID: "436", SetupRecurring: true}) {
		t.Fatalf("charge sent: %+v", v.charges)
	}

	// A merchant-initiated recurring charge follows the parent.
	v.pay = outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "order-2"}, nil)
	rs, rp, err := svc.ChargeRecurring(ctx, m, checkout.RecurringParams{ParentPaymentID: p.ID, Amount: 500, MerchantReference: "sub-2"})
	if err != nil || rp.Status != checkout.PaymentSucceeded || rs.Status != checkout.SessionComplete || rs.Amount.Amount != 500 || rs.Amount.Currency != "USD" {
		t.Fatalf("recurring: %+v %+v %v", rs, rp, err)
	}
	if last := v.charges[len(v.charges)-1]; last.ParentProviderRef != "order-1" || last.CardID != "436" || last.SetupRecurring {
		t.Fatalf("recurring charge sent: %+v", last)
	}
	for _, tt := range []struct {
		in    checkout.RecurringParams
		param string
	}{
		{checkout.RecurringParams{ParentPaymentID: p.ID, Amount: 0}, "amount"},
		{checkout.RecurringParams{ParentPaymentID: "pay_nope", Amount: 100}, "parent_payment"},
	} {
		if _, _, err := svc.ChargeRecurring(ctx, m, tt.in); checkout.ErrorCodeOf(err) != checkout.EInvalid || err.(*checkout.Error).Param != tt.param {
			t.Errorf("%+v: %v", tt.in, err)
		}
	}
	if _, _, err := svc.ChargeRecurring(ctx, other, checkout.RecurringParams{ParentPaymentID: p.ID, Amount: 100}); !errors.As(err, new(*checkout.Error)) || err.(*checkout.Error).Param != "parent_payment" {
		t.Errorf("another merchant's parent: %v", err)
	}

	// Removing the card.
	if err := svc.RemoveSessionCard(ctx, sess.ID, "436"); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveSessionCard(ctx, sess.ID, "436"); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("removing twice: %v", err)
	}
}
