package handlers

import (
	"github.com/labstack/echo/v4"
)

// CheckoutLeave handles GET /c/:id/leave, every way back to the merchant
// from a session's pages (the form's cancel link, the result page's
// return button, also inside the embedded checkout, where it takes the
// whole window): a 303 to the session's success URL when its payment
// succeeded or was authorized, else to its cancel URL, with the return
// signed now, as the shopper leaves, so that the merchant's 10-minute
// window starts at the click and not when the page was drawn. The
// destination follows the session's state, never the link.
func (h *Handlers) CheckoutLeave(c echo.Context) error {
	noStore(c)
	s, pays, err := h.Service.Session(ctx(c), "", c.Param("id"))
	if err != nil {
		return err
	}
	u, err := h.Service.ReturnURL(ctx(c), s, pays)
	if err != nil {
		return err
	}
	return seeOther(c, u)
}
