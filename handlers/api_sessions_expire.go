package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// APISessionsExpire handles POST /v1/checkout/sessions/:id/expire. It
// takes no parameters: a body, when sent, is the empty object.
func (h *Handlers) APISessionsExpire(c echo.Context) error {
	if err := emptyOrObject(c); err != nil {
		return err
	}
	s, pays, err := h.Service.ExpireSession(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.Service.SessionObject(s, pays))
}
