package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

type rotateReturnSecretRequest struct {
	ExpirePreviousIn *int64 `json:"expire_previous_in"`
}

// APIReturnSecretRotate handles POST /v1/merchant/return_secret/rotate
// {expire_previous_in?}: a new return secret, shown only in this answer;
// the old one keeps signing returns next to it for expire_previous_in
// seconds (default 24 h, 0: no more).
func (h *Handlers) APIReturnSecretRotate(c echo.Context) error {
	var in rotateReturnSecretRequest
	if hasBody(c) {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	// As the merchant's other settings: only with the current key.
	hash, _ := c.Get(keyHashKey).(string)
	if err := h.Service.RequireCurrentKey(merchant(c), hash); err != nil {
		return err
	}
	m, err := h.Service.RotateReturnSecret(ctx(c), merchant(c), in.ExpirePreviousIn)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, checkout.NewReturnSecretObject(m))
}
