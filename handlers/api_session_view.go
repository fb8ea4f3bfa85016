package handlers

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// sessionJSON is the merchant API representation of a checkout session.
type sessionJSON struct {
	ID                string                            `json:"id"`
	Object            string                            `json:"object"`
	URL               string                            `json:"url"`
	Status            checkout.SessionStatus            `json:"status"`
	PaymentStatus     string                            `json:"payment_status"`
	Amount            int64                             `json:"amount"`
	Currency          string                            `json:"currency"`
	MerchantReference string                            `json:"merchant_reference"`
	LineItems         []checkout.LineItem               `json:"line_items"`
	Customer          checkout.Customer                 `json:"customer"`
	Locale            string                            `json:"locale"`
	SuccessURL        string                            `json:"success_url"`
	CancelURL         string                            `json:"cancel_url"`
	PaymentMethods    []checkout.PaymentMethod          `json:"payment_methods"`
	Provider          string                            `json:"provider"`
	Routes            map[checkout.PaymentMethod]string `json:"routes"`
	CaptureMode       checkout.CaptureMode              `json:"capture_mode"`
	ThreeDS           checkout.ThreeDSPreference        `json:"three_ds"`
	SetupRecurring    bool                              `json:"setup_recurring"`
	Metadata          map[string]string                 `json:"metadata"`
	ExpiresAt         int64                             `json:"expires_at"`
	CreatedAt         int64                             `json:"created_at"`
	Attempts          int                               `json:"attempts"`
	Payment           *paymentJSON                      `json:"payment"`
}

// paymentJSON is the merchant API representation of a payment attempt.
type paymentJSON struct {
	ID             string                 `json:"id"`
	Object         string                 `json:"object"`
	SessionID      string                 `json:"session_id"`
	Provider       string                 `json:"provider"`
	Status         checkout.PaymentStatus `json:"status"`
	Amount         int64                  `json:"amount"`
	AmountRefunded int64                  `json:"amount_refunded"`
	// AmountRefundPending is reserved by refunds the provider has not
	// confirmed yet; it is not refunded.
	AmountRefundPending int64                  `json:"amount_refund_pending"`
	Currency            string                 `json:"currency"`
	CaptureMode         checkout.CaptureMode   `json:"capture_mode"`
	Method              checkout.PaymentMethod `json:"method"`
	SavedCardID         string                 `json:"saved_card,omitempty"`
	Card                *cardJSON              `json:"card"`
	ThreeDS             *threeDSJSON           `json:"three_ds"`
	Decline             *checkout.Decline      `json:"decline"`
	Created             int64                  `json:"created_at"`
	Refunds             []refundJSON           `json:"refunds,omitempty"`
}

type cardJSON struct {
	Brand    checkout.CardBrand `json:"brand"`
	Last4    string             `json:"last4"`
	ExpMonth int                `json:"exp_month"`
	ExpYear  int                `json:"exp_year"`
}

type threeDSJSON struct {
	Version                    string `json:"version"`
	ECI                        string `json:"eci"`
	Flow                       string `json:"flow"`
	Status                     string `json:"status"`
	AuthenticationValuePresent bool   `json:"authentication_value_present"`
	LiabilityShift             bool   `json:"liability_shift"`
	TransactionID              string `json:"transaction_id"`
}

// paymentStatus summarises a session's payments for the merchant.
func paymentStatus(pays []*checkout.Payment) string {
	if len(pays) == 0 {
		return "unpaid"
	}
	switch p := pays[len(pays)-1]; {
	case p.Status == checkout.PaymentAuthorized:
		return "authorized"
	case p.Status.Paid():
		return "paid"
	case p.Status == checkout.PaymentProcessing, p.Status == checkout.PaymentPending:
		return "pending"
	case p.Status == checkout.PaymentFailed:
		return "failed"
	}
	return "unpaid"
}

func (h *Handlers) sessionView(s *checkout.Session, pays []*checkout.Payment) sessionJSON {
	v := sessionJSON{
		ID: s.ID, Object: "checkout.session", URL: h.Service.Links.SessionURL(s.ID), Status: s.Status,
		PaymentStatus: paymentStatus(pays), Amount: s.Amount.Amount, Currency: s.Amount.Currency,
		MerchantReference: s.MerchantReference, LineItems: s.LineItems, Customer: s.Customer, Locale: apiLocale(s.Locale),
		SuccessURL: s.SuccessURL, CancelURL: s.CancelURL, PaymentMethods: s.PaymentMethods, Provider: s.Provider,
		CaptureMode: s.CaptureMode, ThreeDS: s.ThreeDS, SetupRecurring: s.SetupRecurring, Metadata: s.Metadata, ExpiresAt: s.ExpiresAt.Unix(),
		CreatedAt: s.CreatedAt.Unix(), Attempts: len(pays), Routes: map[checkout.PaymentMethod]string{},
	}
	for _, m := range s.PaymentMethods {
		v.Routes[m] = s.ProviderFor(m)
	}
	if v.LineItems == nil {
		v.LineItems = []checkout.LineItem{}
	}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if len(pays) > 0 {
		v.Payment = paymentView(pays[len(pays)-1])
	}
	return v
}

func paymentView(p *checkout.Payment) *paymentJSON {
	v := &paymentJSON{ID: p.ID, Object: "payment", SessionID: p.SessionID, Provider: p.Provider, Status: p.Status,
		Method: p.Method, SavedCardID: p.SavedCardID, Amount: p.Amount.Amount, AmountRefunded: p.AmountRefunded,
		AmountRefundPending: p.AmountRefundPending, Currency: p.Amount.Currency, CaptureMode: p.CaptureMode,
		Decline: p.Decline, Created: p.CreatedAt.Unix()}
	if p.Card != nil {
		v.Card = &cardJSON{Brand: p.Card.Brand, Last4: p.Card.Last4, ExpMonth: p.Card.ExpMonth, ExpYear: p.Card.ExpYear}
	}
	if t := p.ThreeDS; t != nil {
		v.ThreeDS = &threeDSJSON{Version: t.Version, ECI: t.ECI, Flow: t.Flow, Status: t.Status,
			AuthenticationValuePresent: t.AuthenticationValuePresent, LiabilityShift: t.LiabilityShift(), TransactionID: t.TransactionID}
	}
	return v
}

// apiLocale is the locale a session's pages render in: the shipped locale
// its own matches (de-AT renders de; a language we do not ship, en), or
// "auto" when each shopper's browser decides.
func apiLocale(sessionLocale string) string {
	if sessionLocale == checkout.LocaleAuto {
		return checkout.LocaleAuto
	}
	return i18n.Resolve(sessionLocale, "").Tag()
}
