package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// CheckoutDeviceData handles POST /c/:id/payments/:pid/device-data: the page
// reports the end of device data collection (with the collector's SessionId,
// or none after the 10 s timeout) and the payment carries on.
func (h *Handlers) CheckoutDeviceData(c echo.Context) error {
	noStore(c)
	sid, pid := c.Param("id"), c.Param("pid")
	values := url.Values{"SessionId": {clip(c.FormValue("SessionId"), 128)}}
	// The page says whether the collector answered (ddc_timed_out is
	// "true" until its script hears back, and stays so without script).
	timedOut := c.FormValue("ddc_timed_out") == "true" || values.Get("SessionId") == ""
	_, err := h.Service.Continue(ctx(c), sid, pid, checkout.Continuation{Kind: checkout.ContinueDeviceData, Values: values,
		TimedOut: timedOut})
	if err != nil && checkout.ErrorCodeOf(err) != checkout.EInvalid {
		return err
	}
	return seeOther(c, statusPath(sid))
}

// CheckoutReturn handles GET and POST /c/:id/payments/:pid/return, where a
// provider sends the shopper back from a challenge (inside our iframe) or a
// redirect. Nothing in the request is trusted: the service confirms the
// result with the provider before the page shows it. A POST answers with a
// small page that moves the page holding the iframe on; a GET redirects.
func (h *Handlers) CheckoutReturn(c echo.Context) error {
	noStore(c)
	if c.Request().Method == http.MethodPost {
		Policy(c).FramedBySelf = true // it answers inside our challenge iframe, errors included
	}
	sid, pid := c.Param("id"), c.Param("pid")
	l := i18n.Resolve("", c.Request().Header.Get("Accept-Language"))
	if s, _, err := h.Service.Session(ctx(c), "", sid); err == nil {
		h.allowEmbedding(c, s)
		l = locale(c, s)
	}
	values, err := c.FormParams()
	if err != nil {
		return checkout.Errorf(checkout.EMalformed, "The provider's response could not be read.")
	}
	if _, _, err := h.Service.Return(ctx(c), sid, pid, values); err != nil {
		return err
	}
	if c.Request().Method == http.MethodGet {
		return seeOther(c, statusPath(sid))
	}
	return Render(c, http.StatusOK, templates.FrameReturn(templates.FrameReturnPage{
		Page:      page(l, l.T("title.verification_finished"), "action.js"),
		StatusURL: statusPath(sid),
	}))
}
