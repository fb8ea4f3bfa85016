package handlers

import (
	"fmt"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

func sessionPath(id string) string { return "/c/" + id }
func statusPath(id string) string  { return "/c/" + id + "/status" }
func payPath(id string) string     { return "/c/" + id + "/pay" }
func deviceDataPath(sid, pid string) string {
	return "/c/" + sid + "/payments/" + pid + "/device-data"
}

func (h *Handlers) summary(c echo.Context, s *checkout.Session) templates.Summary {
	name := "Merchant"
	if m, err := h.Service.Merchant(ctx(c), s.MerchantID); err == nil {
		name = m.Name
	}
	sum := templates.Summary{MerchantName: name, Reference: s.MerchantReference, Total: s.Amount.Format(s.Locale)}
	for _, li := range s.LineItems {
		sum.Lines = append(sum.Lines, templates.SummaryLine{
			Name: li.Name, Quantity: li.Quantity,
			Amount: checkout.Money{Amount: li.Total(), Currency: s.Amount.Currency}.Format(s.Locale),
		})
	}
	return sum
}

// savedCards fills the saved-card part of the form: the shopper's cards
// (the one just added first and selected), and adding and removing.
func (h *Handlers) savedCards(c echo.Context, s *checkout.Session, v *templates.CheckoutPage) {
	if !s.Allows(checkout.MethodSavedCard) || s.Customer.Reference == "" {
		return
	}
	cards, err := h.Service.SessionSavedCards(ctx(c), s)
	if err != nil {
		v.CardsNotice = safeMessage(err)
		return
	}
	v.CanSaveCards = s.Status == checkout.SessionOpen
	v.AddCardURL = "/c/" + s.ID + "/cards"
	selected := ""
	if c.QueryParam("card_added") != "" && len(cards) > 0 {
		selected = cards[len(cards)-1].ID // providers list cards oldest first: the new one is last
		v.CardsNotice = "Card added. Pay with it below."
	}
	if c.QueryParam("card_canceled") != "" {
		v.CardsNotice = "No card was added."
	}
	for _, sc := range cards {
		o := templates.SavedCardOption{
			ID: sc.ID, Label: sc.Card.String(), Expiry: fmt.Sprintf("%02d/%02d", sc.Card.ExpMonth, sc.Card.ExpYear%100),
			Selected: sc.ID == selected, PayURL: payPath(s.ID), RemoveURL: "/c/" + s.ID + "/cards/" + url.PathEscape(sc.ID) + "/remove",
		}
		if o.Selected {
			v.SavedCards = append([]templates.SavedCardOption{o}, v.SavedCards...)
		} else {
			v.SavedCards = append(v.SavedCards, o)
		}
	}
}

func page(s *checkout.Session, title, script string) templates.Page {
	return templates.Page{Title: title, Lang: s.Locale, Script: script}
}

// framedPage is page for a session page its merchant may embed.
func framedPage(c echo.Context, s *checkout.Session, title, script string) templates.Page {
	p := page(s, title, script)
	p.Embedders, p.SessionID = embedders(c), s.ID
	return p
}

// checkoutForm is the card form view for a session; errs and banner come
// from a refused submission.
func (h *Handlers) checkoutForm(c echo.Context, s *checkout.Session, pays []*checkout.Payment, errs checkout.FieldErrors, banner string) templates.CheckoutPage {
	h.allowEmbedding(c, s)
	sum := h.summary(c, s)
	v := templates.CheckoutPage{
		Page:      framedPage(c, s, "Pay "+sum.MerchantName, "checkout.js"),
		SessionID: s.ID,
		Summary:   sum,
		PayURL:    payPath(s.ID),
		Errors:    errs,
		Banner:    banner,
		PayLabel:  "Pay " + sum.Total,
		FormToken: h.Forms.Issue(s.ID),
	}
	if len(pays) > 0 {
		v.AttemptsLeft = h.Service.MaxAttemptsPerSession() - len(pays)
	}
	if s.CancelURL != "" {
		v.CancelURL = s.ReturnURL(false)
	}
	v.Card = s.Allows(checkout.MethodCard)
	v.Wallet = s.Allows(checkout.MethodWallet)
	h.savedCards(c, s, &v)
	if banner == "" && len(pays) > 0 {
		if last := pays[len(pays)-1]; last.Status == checkout.PaymentFailed && last.Decline != nil {
			v.Banner = last.Decline.Message
		}
	}
	return v
}
