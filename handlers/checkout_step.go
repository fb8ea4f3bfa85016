package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// CheckoutStep handles POST /c/:id/payments/:pid/steps {step, form_token}:
// the action page reports a step of the payment's action as it takes it
// (device_data.started, challenge.shown, redirect.left), for the
// session's timeline. It is bound to the session by the form token and to
// the payment by the path (and taken only while the payment waits for that
// step: 409 otherwise), and each step is recorded at most once per
// payment: 204 whether it was new or not, so a page posting it again
// changes nothing.
func (h *Handlers) CheckoutStep(c echo.Context) error {
	noStore(c)
	if _, err := h.Service.RecordBrowserStep(ctx(c), c.Param("id"), c.Param("pid"), clip(c.FormValue("step"), 64)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
