package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

type endpointJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	URL     string `json:"url"`
	Secret  string `json:"secret,omitempty"` // only when created or rotated
	Enabled bool   `json:"enabled"`
	// The event types it receives; ["*"] is all of them.
	EnabledEvents []string `json:"enabled_events"`
	Created       int64    `json:"created_at"`
	// While a rotated-out secret still signs, until when.
	PreviousSecretExpiresAt int64 `json:"previous_secret_expires_at,omitempty"`
}

// endpointView shows an endpoint without its secrets.
func endpointView(e *checkout.WebhookEndpoint, now time.Time) endpointJSON {
	v := endpointJSON{ID: e.ID, Object: "webhook_endpoint", URL: e.URL, Enabled: e.Enabled, EnabledEvents: e.EnabledEvents,
		Created: e.CreatedAt.Unix()}
	if len(v.EnabledEvents) == 0 {
		v.EnabledEvents = []string{"*"}
	}
	if e.PreviousSecret != "" && e.PreviousSecretExpiresAt.After(now) {
		v.PreviousSecretExpiresAt = e.PreviousSecretExpiresAt.Unix()
	}
	return v
}

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
	v := endpointView(e, h.Service.Now())
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
	e, err := h.Service.RotateWebhookSecret(ctx(c), merchant(c), c.Param("id"), in.ExpirePreviousIn)
	if err != nil {
		return err
	}
	v := endpointView(e, h.Service.Now())
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
	return c.JSON(http.StatusOK, endpointView(e, h.Service.Now()))
}

// APIWebhookEndpointsList handles GET /v1/webhook_endpoints.
func (h *Handlers) APIWebhookEndpointsList(c echo.Context) error {
	es, err := h.Service.WebhookEndpoints(ctx(c), merchant(c))
	if err != nil {
		return err
	}
	out := make([]endpointJSON, 0, len(es))
	for _, e := range es {
		if e.URL == "" {
			continue // the demo merchant's endpoint, unconfigured
		}
		out = append(out, endpointView(e, h.Service.Now()))
	}
	return c.JSON(http.StatusOK, map[string]any{"object": "list", "data": out})
}

type attemptJSON struct {
	Number     int    `json:"number"`
	Status     int    `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	At         int64  `json:"at"`
}

type deliveryJSON struct {
	ID            string        `json:"id"`
	Object        string        `json:"object"`
	WebhookID     string        `json:"webhook_id"`
	EndpointID    string        `json:"endpoint_id"`
	Type          string        `json:"type"`
	Status        string        `json:"status"`
	Attempts      []attemptJSON `json:"attempts"`
	NextAttemptAt int64         `json:"next_attempt_at,omitempty"`
	Created       int64         `json:"created_at"`
}

func deliveryView(d *checkout.WebhookDelivery, attempts []checkout.WebhookAttempt) deliveryJSON {
	v := deliveryJSON{ID: d.ID, Object: "webhook_delivery", WebhookID: d.MessageID, EndpointID: d.EndpointID, Type: d.Type,
		Status: d.Status, Attempts: []attemptJSON{}, Created: d.CreatedAt.Unix()}
	if d.Status == checkout.DeliveryPending {
		v.NextAttemptAt = d.NextAttemptAt.Unix()
	}
	for _, a := range attempts {
		v.Attempts = append(v.Attempts, attemptJSON{Number: a.Number, Status: a.Status, Error: a.Error, DurationMS: a.DurationMS, At: a.At.Unix()})
	}
	return v
}

// APIWebhookDeliveriesList handles GET /v1/webhook_deliveries?limit=n: the
// merchant's delivery log, newest first.
func (h *Handlers) APIWebhookDeliveriesList(c echo.Context) error {
	limit := 20
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return checkout.InvalidParam("limit", "limit must be an integer from 1 to 100")
		}
		limit = n
	}
	ds, attempts, err := h.Service.WebhookDeliveries(ctx(c), merchant(c), limit)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, deliveryView(d, attempts[d.ID]))
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
	return c.JSON(http.StatusOK, deliveryView(d, nil))
}
