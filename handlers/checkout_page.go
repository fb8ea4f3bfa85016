package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// CheckoutPage handles GET /c/:id, the hosted payment page. A session that
// is no longer open, or has a payment in progress or done, goes to its
// status page instead: the form is only ever shown when paying is possible.
func (h *Handlers) CheckoutPage(c echo.Context) error {
	noStore(c)
	s, pays, err := h.Service.Session(ctx(c), "", c.Param("id"))
	if err != nil {
		return err
	}
	if !h.payable(s, pays) {
		return seeOther(c, statusPath(s.ID))
	}
	// The one write of this GET: the first view goes on the session's
	// timeline (page.viewed), guarded in the statement; a session that
	// shows a view writes nothing.
	h.Service.RecordPageView(ctx(c), s)
	return Render(c, http.StatusOK, templates.CheckoutForm(h.checkoutForm(c, s, pays, nil, "")))
}

// payable reports whether the form may be shown: the service's admission
// rule (open, nothing active, attempts left) lets a new attempt in.
func (h *Handlers) payable(s *checkout.Session, pays []*checkout.Payment) bool {
	_, err := h.Service.Admit(s, pays)
	return err == nil
}
