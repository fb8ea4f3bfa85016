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
		return seeOther(c, SessionPath(s.ID))
	}
	if p != nil && p.Status == checkout.PaymentRequiresAction && p.Action != nil {
		return h.renderAction(c, s, p)
	}
	return Render(c, http.StatusOK, templates.Result(h.result(c, s, pays, p)))
}

func (h *Handlers) renderAction(c echo.Context, s *checkout.Session, p *checkout.Payment) error {
	a := p.Action
	l := locale(c, s)
	v := templates.ActionPage{
		Summary:     h.summary(c, l, s),
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
		StepURL:     stepPath(s.ID, p.ID),
		FormToken:   h.Forms.Issue(s.ID),
		StatusURL:   statusPath(s.ID),
	}
	v.Page = framedPage(c, l, s, l.T("title.confirm"), "action.js").Branded(v.Summary.Brand)
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
	AllowProviderOrigin(c, v.Origin)
	return Render(c, http.StatusOK, templates.Action(v))
}

// result words the outcome for the shopper.
func (h *Handlers) result(c echo.Context, s *checkout.Session, pays []*checkout.Payment, p *checkout.Payment) templates.ResultPage {
	l := locale(c, s)
	sum := h.summary(c, l, s)
	v := templates.ResultPage{Page: framedPage(c, l, s, l.T("title.status"), "").Branded(sum.Brand), Summary: sum}
	if p != nil {
		v.PaymentID = p.ID
		v.ShopperMessage = p.ShopperMessage
		if p.Card != nil {
			v.Card = p.Card.String()
		}
	}
	merchant, amount := v.Summary.MerchantName, v.Summary.Total
	switch {
	case p != nil && p.Status == checkout.PaymentAuthorized:
		v.Status, v.Heading = "authorized", l.T("result.authorized_heading")
		v.Message = l.T("result.authorized_message", "Amount", amount, "Merchant", merchant)
		v.ReturnURL = leavePath(s.ID)
	case p != nil && p.Status.Paid():
		v.Status, v.Heading = "succeeded", l.T("result.succeeded_heading")
		v.Message = l.T("result.succeeded_message", "Amount", amount, "Merchant", merchant)
		if c.QueryParam("notice") == "already-paid" {
			v.Message = l.T("result.already_paid") + " " + v.Message
		}
		v.ReturnURL = leavePath(s.ID)
	case p != nil && p.Status.InFlight():
		v.Status, v.Heading = "pending", l.T("result.pending_heading")
		v.Message = l.T("result.pending_message")
		// The page script asks again every few seconds and announces the
		// change; without JavaScript, "Check again" does.
		v.Script, v.CheckURL = "status.js", statusPath(s.ID)
	case s.Status == checkout.SessionExpired, s.Status == checkout.SessionCanceled:
		v.Status, v.Heading = "expired", l.T("result.expired_heading")
		v.Message = l.T("result.expired_message")
		v.ReturnURL = leavePath(s.ID)
	case p != nil && p.Status == checkout.PaymentFailed:
		v.Status, v.Heading = "failed", l.T("result.failed_heading")
		v.Message = paymentDeclineMessage(l, p)
		if h.payable(s, pays) {
			v.RetryURL = SessionPath(s.ID)
		} else {
			v.Message += " " + l.T("result.no_attempts")
		}
		v.ReturnURL = leavePath(s.ID)
	default:
		v.Status, v.Heading = "canceled", l.T("result.canceled_heading")
		v.Message = l.T("result.canceled_message")
		v.ReturnURL = leavePath(s.ID)
	}
	return v
}
