package handlers

import (
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

func page(s *checkout.Session, title, script string) templates.Page {
	return templates.Page{Title: title, Lang: s.Locale, Script: script}
}

// checkoutForm is the card form view for a session; errs and banner come
// from a refused submission.
func (h *Handlers) checkoutForm(c echo.Context, s *checkout.Session, pays []*checkout.Payment, errs checkout.FieldErrors, banner string) templates.CheckoutPage {
	sum := h.summary(c, s)
	v := templates.CheckoutPage{
		Page:      page(s, "Pay "+sum.MerchantName, "checkout.js"),
		SessionID: s.ID,
		Summary:   sum,
		PayURL:    payPath(s.ID),
		Errors:    errs,
		Banner:    banner,
		PayLabel:  "Pay " + sum.Total,
	}
	if len(pays) > 0 {
		v.AttemptsLeft = h.Service.MaxAttemptsPerSession() - len(pays)
	}
	if s.CancelURL != "" {
		v.CancelURL = s.ReturnURL(false)
	}
	v.Card = s.Allows(checkout.MethodCard)
	v.Wallet = s.Allows(checkout.MethodWallet)
	if banner == "" && len(pays) > 0 {
		if last := pays[len(pays)-1]; last.Status == checkout.PaymentFailed && last.Decline != nil {
			v.Banner = last.Decline.Message
		}
	}
	return v
}
