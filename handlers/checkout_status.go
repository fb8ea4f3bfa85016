package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// CheckoutStatus handles GET /c/:id/status: it runs the step the current
// payment waits for (device data collection, a challenge, a redirect), shows
// a self-refreshing page while the outcome is unknown, or shows the result.
// It only reads: reloading it never calls a provider.
func (h *Handlers) CheckoutStatus(c echo.Context) error {
	noStore(c)
	s, pays, err := h.Service.Session(ctx(c), "", c.Param("id"))
	if err != nil {
		return err
	}
	h.allowEmbedding(c, s)
	var p *checkout.Payment
	if len(pays) > 0 {
		p = pays[len(pays)-1]
	}
	if p == nil && s.Status == checkout.SessionOpen {
		return seeOther(c, sessionPath(s.ID))
	}
	if p != nil && p.Status == checkout.PaymentRequiresAction && p.Action != nil {
		return h.renderAction(c, s, p)
	}
	return Render(c, http.StatusOK, templates.Result(h.result(c, s, pays, p)))
}

func (h *Handlers) renderAction(c echo.Context, s *checkout.Session, p *checkout.Payment) error {
	a := p.Action
	v := templates.ActionPage{
		Page:        framedPage(c, s, "Confirm your payment", "action.js"),
		Summary:     h.summary(c, s),
		Kind:        string(a.Kind),
		URL:         a.URL,
		Origin:      a.Origin(),
		Method:      a.Method,
		JWT:         a.JWT,
		BIN:         a.BIN,
		MD:          a.MD,
		Width:       a.Width,
		Height:      a.Height,
		ContinueURL: deviceDataPath(s.ID, p.ID),
		FormToken:   h.Forms.Issue(s.ID),
		StatusURL:   statusPath(s.ID),
	}
	if v.Width == 0 || v.Height == 0 {
		w := checkout.ChallengeWindowFor(p.Browser.InnerWidth, p.Browser.InnerHeight)
		v.Width, v.Height = w.Width, w.Height
	}
	if v.Method == "" {
		v.Method = http.MethodPost
	}
	for _, f := range a.Fields {
		v.Fields = append(v.Fields, templates.FormField{Name: f.Name, Value: f.Value})
	}
	allowProviderOrigin(c, v.Origin)
	return Render(c, http.StatusOK, templates.Action(v))
}

// result words the outcome for the shopper.
func (h *Handlers) result(c echo.Context, s *checkout.Session, pays []*checkout.Payment, p *checkout.Payment) templates.ResultPage {
	v := templates.ResultPage{Page: framedPage(c, s, "Payment status", ""), Summary: h.summary(c, s)}
	if p != nil {
		v.PaymentID = p.ID
		v.ShopperMessage = p.ShopperMessage
		if p.Card != nil {
			v.Card = p.Card.String()
		}
	}
	merchant := v.Summary.MerchantName
	v.ReturnLabel = "Return to " + merchant
	switch {
	case p != nil && p.Status == checkout.PaymentAuthorized:
		v.Status, v.Heading = "authorized", "Payment authorized"
		v.Message = "Your payment of " + v.Summary.Total + " is authorized. " + merchant + " will collect it when your order is ready."
		v.ReturnURL = s.ReturnURL(true)
	case p != nil && p.Status.Paid():
		v.Status, v.Heading = "succeeded", "Payment successful"
		v.Message = "Thank you! Your payment of " + v.Summary.Total + " to " + merchant + " went through."
		if c.QueryParam("notice") == "already-paid" {
			v.Message = "This order is already paid. " + v.Message
		}
		v.ReturnURL = s.ReturnURL(true)
	case p != nil && p.Status.InFlight():
		v.Status, v.Heading = "pending", "Confirming your payment"
		v.Message = "We are waiting for the final answer from the payment provider. This page updates by itself; you will not be charged twice."
		v.Refresh = 2
	case s.Status == checkout.SessionExpired, s.Status == checkout.SessionCanceled:
		v.Status, v.Heading = "expired", "Checkout expired"
		v.Message = "This checkout is no longer available. No payment was taken."
		v.ReturnURL = s.ReturnURL(false)
	case p != nil && p.Status == checkout.PaymentFailed:
		v.Status, v.Heading = "failed", "Payment failed"
		v.Message = checkout.DeclineMessage(checkout.DeclineGeneric)
		if p.Decline != nil && p.Decline.Message != "" {
			v.Message = p.Decline.Message
		}
		if payable(s, pays, h.Service.MaxAttemptsPerSession()) {
			v.RetryURL = sessionPath(s.ID)
		} else {
			v.Message += " No attempts are left for this checkout."
		}
		v.ReturnURL = s.ReturnURL(false)
	default:
		v.Status, v.Heading = "canceled", "Payment canceled"
		v.Message = "No payment was taken."
		v.ReturnURL = s.ReturnURL(false)
	}
	return v
}
