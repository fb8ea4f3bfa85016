package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// CheckoutAddCard handles POST /c/:id/cards: the shopper goes to the
// saved-card provider's own page to enter a card (we never see it) and
// comes back to CheckoutCardReturn.
func (h *Handlers) CheckoutAddCard(c echo.Context) error {
	noStore(c)
	id := c.Param("id")
	back := h.Service.Links.Origin() + cardReturnPath(id)
	s, _, err := h.Service.Session(ctx(c), "", id)
	if err != nil {
		return err
	}
	l := locale(c, s)
	u, err := h.Service.AddCard(ctx(c), id, back+"?result=added", back+"?result=canceled", l.ProviderTag())
	if err != nil {
		return err
	}
	sum := h.summary(c, l, s)
	// A page that moves on by itself (a link without JavaScript) rather than
	// a 303: the page's CSP form-action would block a form submission that
	// redirects to another origin.
	return Render(c, http.StatusOK, templates.Action(templates.ActionPage{
		Page:    page(l, l.T("title.add_card"), "action.js").Branded(sum.Brand),
		Summary: sum,
		Kind:    string(checkout.ActionRedirect),
		URL:     u,
	}))
}

// CheckoutCardReturn handles GET /c/:id/cards/return, where the provider's
// add-card page sends the shopper back. The page then lists the cards as
// the provider has them; nothing in this request is trusted beyond which
// message to show.
func (h *Handlers) CheckoutCardReturn(c echo.Context) error {
	noStore(c)
	id := c.Param("id")
	if _, _, err := h.Service.Session(ctx(c), "", id); err != nil {
		return err
	}
	q := url.Values{}
	if c.QueryParam("result") == "added" {
		q.Set("card_added", "1")
	} else {
		q.Set("card_canceled", "1")
	}
	return seeOther(c, SessionPath(id)+"?"+q.Encode())
}

// CheckoutRemoveCard handles POST /c/:id/cards/:cid/remove.
func (h *Handlers) CheckoutRemoveCard(c echo.Context) error {
	noStore(c)
	id := c.Param("id")
	if err := h.Service.RemoveSessionCard(ctx(c), id, c.Param("cid")); err != nil && checkout.ErrorCodeOf(err) != checkout.ENotFound {
		return err
	}
	return seeOther(c, SessionPath(id))
}
