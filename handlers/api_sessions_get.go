package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// APISessionsGet handles GET /v1/checkout/sessions/:id.
func (h *Handlers) APISessionsGet(c echo.Context) error {
	s, pays, err := h.Service.Session(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.Service.SessionObject(s, pays))
}
