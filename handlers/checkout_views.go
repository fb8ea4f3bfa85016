package handlers

import (
	"errors"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// locale is the language of a session's page: the session's locale when
// the merchant set one, else the shopper's Accept-Language, else English.
func locale(c echo.Context, s *checkout.Session) *i18n.Locale {
	return i18n.Resolve(s.Locale, c.Request().Header.Get("Accept-Language"))
}

func (h *Handlers) summary(c echo.Context, l *i18n.Locale, s *checkout.Session) templates.Summary {
	b := h.pageBrand(c, s.MerchantID)
	if b.Name == "" {
		b.Name = l.T("summary.merchant_fallback")
	}
	tag := i18n.FormatTag(l, s.Locale) // amounts as the session's regional variant writes them (de-AT)
	sum := templates.Summary{MerchantName: b.Name, Brand: b, Reference: s.MerchantReference, Total: s.Amount.Format(tag)}
	for _, li := range s.LineItems {
		sum.Lines = append(sum.Lines, templates.SummaryLine{
			Name: li.Name, Quantity: li.Quantity,
			Amount: checkout.Money{Amount: li.Total(), Currency: s.Amount.Currency}.Format(tag),
		})
	}
	return sum
}

// savedCards fills the saved-card part of the form: the shopper's cards
// (the one just added first and selected), and adding and removing.
func (h *Handlers) savedCards(c echo.Context, s *checkout.Session, v *templates.CheckoutPage) {
	l := v.L
	if !s.Allows(checkout.MethodSavedCard) || s.Customer.Reference == "" {
		return
	}
	cards, err := h.Service.SessionSavedCards(ctx(c), s)
	if err != nil {
		v.CardsNotice = shopperMessage(l, err)
		return
	}
	v.CanSaveCards = s.Status == checkout.SessionOpen
	v.AddCardURL = addCardPath(s.ID)
	selected := ""
	if c.QueryParam("card_added") != "" && len(cards) > 0 {
		selected = cards[len(cards)-1].ID // providers list cards oldest first: the new one is last
		v.CardsNotice = l.T("saved.added")
	}
	if c.QueryParam("card_canceled") != "" {
		v.CardsNotice = l.T("saved.not_added")
	}
	for _, sc := range cards {
		o := templates.SavedCardOption{
			ID: sc.ID, Label: sc.Card.String(), Expiry: fmt.Sprintf("%02d/%02d", sc.Card.ExpMonth, sc.Card.ExpYear%100),
			Selected: sc.ID == selected, PayURL: payPath(s.ID), RemoveURL: removeCardPath(s.ID, sc.ID),
		}
		if o.Selected {
			v.SavedCards = append([]templates.SavedCardOption{o}, v.SavedCards...)
		} else {
			v.SavedCards = append(v.SavedCards, o)
		}
	}
}

func page(l *i18n.Locale, title, script string) templates.Page {
	return templates.Page{Title: title, L: l, Script: script}
}

// framedPage is page for a session page its merchant may embed.
func framedPage(c echo.Context, l *i18n.Locale, s *checkout.Session, title, script string) templates.Page {
	p := page(l, title, script)
	p.Embedders, p.SessionID = embedders(c), s.ID
	return p
}

// fieldOrder is the order of the card form's fields (the error summary
// lists them so).
var fieldOrder = []string{checkout.FieldCardNumber, checkout.FieldCardExpiry, checkout.FieldCardCVC, checkout.FieldCardholder}

// checkoutForm is the card form view for a session; errs and banner come
// from a refused submission (banner already in the page's language).
func (h *Handlers) checkoutForm(c echo.Context, s *checkout.Session, pays []*checkout.Payment, errs checkout.FieldErrors, banner string) templates.CheckoutPage {
	h.allowEmbedding(c, s)
	l := locale(c, s)
	sum := h.summary(c, l, s)
	v := templates.CheckoutPage{
		Page:      framedPage(c, l, s, l.T("title.pay", "Merchant", sum.MerchantName), "checkout.js").Branded(sum.Brand),
		SessionID: s.ID,
		Summary:   sum,
		PayURL:    payPath(s.ID),
		Banner:    banner,
		FormToken: h.Forms.Issue(s.ID),
	}
	if len(errs) > 0 {
		v.Errors = map[string]string{}
		for _, f := range fieldOrder {
			if e, ok := errs[f]; ok {
				v.Errors[f] = fieldMessage(l, e)
				v.ErrorOrder = append(v.ErrorOrder, f)
			}
		}
	}
	if len(pays) > 0 {
		v.AttemptsLeft = h.Service.MaxAttemptsPerSession() - len(pays)
	}
	if s.CancelURL != "" {
		v.CancelURL = leavePath(s.ID)
	}
	v.Card = s.Allows(checkout.MethodCard)
	v.Wallet = s.Allows(checkout.MethodWallet)
	h.savedCards(c, s, &v)
	if banner == "" && len(pays) > 0 {
		if last := pays[len(pays)-1]; last.Status == checkout.PaymentFailed && last.Decline != nil {
			v.Banner = paymentDeclineMessage(l, last)
			v.WalletChosen = last.Method == checkout.MethodWallet
		}
	}
	return v
}

// fieldMessage is a card field's error in the page's language.
func fieldMessage(l *i18n.Locale, e checkout.FieldError) string {
	if e.Count != 0 {
		return l.N(e.Key, e.Count)
	}
	return l.T(e.Key)
}

// paymentDeclineMessage is why a failed payment failed, for the shopper:
// a wallet's decline or cancellation in wallet words, a card's by its
// decline code.
func paymentDeclineMessage(l *i18n.Locale, p *checkout.Payment) string {
	if p.Method == checkout.MethodWallet {
		return l.T("decline.wallet")
	}
	if p.Decline == nil {
		return declineMessage(l, checkout.DeclineGeneric)
	}
	return declineMessage(l, p.Decline.Code)
}

// declineMessage is a decline, rendered from its code for the shopper
// (the merchant API keeps the English message).
func declineMessage(l *i18n.Locale, code checkout.DeclineCode) string {
	switch code {
	case checkout.DeclineInsufficientFunds, checkout.DeclineExpiredCard, checkout.DeclineIncorrectCVC,
		checkout.DeclineIncorrectNumber, checkout.DeclineAuthenticationFailed, checkout.DeclineFraudSuspected,
		checkout.DeclineLimitExceeded, checkout.DeclineNotSupported, checkout.DeclineProcessingError:
		return l.T("decline." + string(code))
	}
	return l.T("decline.card_declined")
}

// shopperMessage is what a shopper reads for err, in the page's language:
// the error's own catalog message, or one for its kind. Never the
// English text meant for merchants, never internals.
func shopperMessage(l *i18n.Locale, err error) string {
	var e *checkout.Error
	if !errors.As(err, &e) {
		return l.T("error.generic")
	}
	if e.Shopper != "" {
		return l.T(e.Shopper)
	}
	switch e.Code {
	case checkout.ERateLimited:
		return l.N("error.rate_limited", retryMinutes(e.RetryAfter))
	case checkout.EUnavailable:
		return l.T("error.provider_unavailable")
	}
	return l.T("error.generic")
}

// retryMinutes is a wait in whole minutes, at least one.
func retryMinutes(d time.Duration) int {
	return max(1, int((d+time.Minute-1)/time.Minute))
}
