package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type testWebhookRequest struct {
	Endpoint string `json:"endpoint"`
	Type     string `json:"type"`
}

// APITestWebhooksCreate handles POST /v1/test/webhooks {endpoint, type}:
// a signed test event of that type, with a synthetic object, is queued for
// that one endpoint (test keys only). 202: it is on its way, through the
// relay, and shows in the delivery log under its delivery_id.
func (h *Handlers) APITestWebhooksCreate(c echo.Context) error {
	var in testWebhookRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := h.Service.TriggerTestWebhook(ctx(c), merchant(c), in.Endpoint, in.Type)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, v)
}
