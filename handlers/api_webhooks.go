package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

type createEndpointRequest struct {
	URL           string   `json:"url"`
	Secret        string   `json:"secret"`
	EnabledEvents []string `json:"enabled_events"`
}

// APIWebhookEndpointsCreate handles POST /v1/webhook_endpoints {url,
// secret?, enabled_events?}: the answer is the only time the secret is
// shown.
func (h *Handlers) APIWebhookEndpointsCreate(c echo.Context) error {
	var in createEndpointRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := h.Service.CreateWebhookEndpoint(ctx(c), merchant(c), in.URL, in.Secret, in.EnabledEvents)
	if err != nil {
		return err
	}
	v := checkout.NewWebhookEndpointObject(e, merchant(c).Live, h.Service.Now())
	v.Secret = e.Secret
	return c.JSON(http.StatusCreated, v)
}

type rotateSecretRequest struct {
	ExpirePreviousIn *int64 `json:"expire_previous_in"`
}

// APIWebhookEndpointsRotateSecret handles POST
// /v1/webhook_endpoints/:id/rotate_secret {expire_previous_in?}: a new
// secret, shown only in this answer; the old one keeps signing alongside it
// for expire_previous_in seconds (default 24 h).
func (h *Handlers) APIWebhookEndpointsRotateSecret(c echo.Context) error {
	var in rotateSecretRequest
	if hasBody(c) {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	e, err := h.Service.RotateWebhookSecret(ctx(c), merchant(c), c.Param("id"), "", in.ExpirePreviousIn)
	if err != nil {
		return err
	}
	v := checkout.NewWebhookEndpointObject(e, merchant(c).Live, h.Service.Now())
	v.Secret = e.Secret
	return c.JSON(http.StatusOK, v)
}

// APIWebhookEndpointsDelete handles DELETE /v1/webhook_endpoints/:id: the
// endpoint is gone and its pending deliveries are canceled.
func (h *Handlers) APIWebhookEndpointsDelete(c echo.Context) error {
	e, err := h.Service.DeleteWebhookEndpoint(ctx(c), merchant(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": e.ID, "object": "webhook_endpoint", "deleted": true})
}

// APIWebhookEndpointsDisable handles POST /v1/webhook_endpoints/:id/disable:
// its pending deliveries are held until it is enabled again.
func (h *Handlers) APIWebhookEndpointsDisable(c echo.Context) error {
	return h.setEndpointEnabled(c, false)
}

// APIWebhookEndpointsEnable handles POST /v1/webhook_endpoints/:id/enable:
// held deliveries are due at once.
func (h *Handlers) APIWebhookEndpointsEnable(c echo.Context) error {
	return h.setEndpointEnabled(c, true)
}

func (h *Handlers) setEndpointEnabled(c echo.Context, enabled bool) error {
	if err := emptyOrObject(c); err != nil {
		return err
	}
	e, err := h.Service.SetWebhookEndpointEnabled(ctx(c), merchant(c), c.Param("id"), enabled)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, checkout.NewWebhookEndpointObject(e, merchant(c).Live, h.Service.Now()))
}

// APIWebhookEndpointsList handles GET /v1/webhook_endpoints.
func (h *Handlers) APIWebhookEndpointsList(c echo.Context) error {
	es, err := h.Service.WebhookEndpoints(ctx(c), merchant(c))
	if err != nil {
		return err
	}
	out := make([]checkout.WebhookEndpointObject, 0, len(es))
	for _, e := range es {
		if e.URL == "" {
			continue // the demo merchant's endpoint, unconfigured
		}
		out = append(out, checkout.NewWebhookEndpointObject(e, merchant(c).Live, h.Service.Now()))
	}
	return c.JSON(http.StatusOK, map[string]any{"object": "list", "data": out})
}

// APIWebhookDeliveriesRedeliver handles POST /v1/webhook_deliveries/:id/redeliver.
func (h *Handlers) APIWebhookDeliveriesRedeliver(c echo.Context) error {
	if err := emptyOrObject(c); err != nil {
		return err
	}
	d, err := h.Service.Redeliver(ctx(c), merchant(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, checkout.NewWebhookDeliveryObject(d, nil, merchant(c).Live))
}
