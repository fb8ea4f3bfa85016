package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// The webhooks page (admins only).
const (
	RouteDashWebhooks       = "/dashboard/webhooks"
	RouteDashEndpointToggle = "/dashboard/webhooks/:endpoint/toggle"
	RouteDashEndpointRotate = "/dashboard/webhooks/:endpoint/rotate"
	RouteDashEndpointDelete = "/dashboard/webhooks/:endpoint/delete"
)

var deliveryOutcomes = []string{checkout.DeliveryPending, checkout.DeliverySucceeded, checkout.DeliveryFailed, checkout.DeliveryCanceled}

// webhooksView is the webhooks page: the endpoints (through the merchant
// API's own service calls), the add form and a page of the delivery log
// (?outcome= filters it, ?after= pages it).
func (h *Handlers) webhooksView(c echo.Context) (templates.DashboardWebhooksPage, *checkout.Merchant, int, error) {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	chrome := h.dashChrome(c, "webhooks")
	v := templates.DashboardWebhooksPage{Page: templates.Page{Title: l.T("dashboard.session.webhooks"), L: l}, DashboardChrome: chrome,
		FormToken: chrome.FormToken, EventTypes: checkout.WebhookEventTypes, Chosen: []string{"*"}}
	m, err := h.Service.Store.Merchant(ctx(c), u.MerchantID)
	if err != nil {
		return v, nil, 0, err
	}
	endpoints, err := h.Service.WebhookEndpoints(ctx(c), m)
	if err != nil {
		return v, nil, 0, err
	}
	for _, e := range endpoints {
		events := strings.Join(e.EnabledEvents, ", ")
		if slices.Equal(e.EnabledEvents, []string{"*"}) {
			events = l.T("dashboard.webhooks.all_events")
		}
		v.Endpoints = append(v.Endpoints, templates.DashboardEndpointRow{ID: e.ID, URL: e.URL, Events: events, Enabled: e.Enabled})
	}
	q := c.QueryParams()
	v.Outcome = q.Get("outcome")
	for _, o := range deliveryOutcomes {
		v.Outcomes = append(v.Outcomes, templates.DashboardStatusOption{Value: o, Label: l.T("dashboard.webhook.status." + o), Selected: o == v.Outcome})
	}
	query := url.Values{"limit": {"25"}}
	if v.Outcome != "" {
		query.Set("outcome", v.Outcome)
	}
	if after := q.Get("after"); after != "" {
		query.Set("starting_after", after)
	}
	list, err := h.Service.ListWebhookDeliveries(ctx(c), m, query)
	if code := checkout.ErrorCodeOf(err); code == checkout.EInvalid || code == checkout.ENotFound {
		v.Error = l.T("dashboard.payments.invalid")
		return v, m, http.StatusUnprocessableEntity, nil
	}
	if err != nil {
		return v, nil, 0, err
	}
	for _, d := range list.Data {
		v.Deliveries = append(v.Deliveries, templates.DashboardDeliveryRow{ID: d.ID, Created: dashTime(time.Unix(d.CreatedAt, 0), false),
			Event: d.Type, Endpoint: d.EndpointID, Status: d.Status, StatusLabel: l.T("dashboard.webhook.status." + d.Status), Attempts: len(d.Attempts)})
	}
	if list.HasMore && len(v.Deliveries) > 0 {
		next := url.Values{"after": {v.Deliveries[len(v.Deliveries)-1].ID}}
		if v.Outcome != "" {
			next.Set("outcome", v.Outcome)
		}
		v.OlderURL = RouteDashWebhooks + "?" + next.Encode()
	}
	return v, m, http.StatusOK, nil
}

// DashboardWebhooks handles GET /dashboard/webhooks.
func (h *Handlers) DashboardWebhooks(c echo.Context) error {
	if err := h.requireAdmin(c); err != nil {
		return err
	}
	v, _, status, err := h.webhooksView(c)
	if err != nil {
		return err
	}
	if c.QueryParam("done") == "deleted" {
		v.Notice = h.dashLocale(c).T("dashboard.webhooks.deleted")
	}
	return Render(c, status, templates.DashboardWebhooks(v))
}

// DashboardAddEndpoint handles POST /dashboard/webhooks: an endpoint with
// the merchant API's checks (an https address on the public internet in
// live mode, known event types, the endpoint cap), whose signing secret
// the page that answers shows once.
func (h *Handlers) DashboardAddEndpoint(c echo.Context) error {
	if err := h.requireAdmin(c); err != nil {
		return err
	}
	l := h.dashLocale(c)
	v, m, _, err := h.webhooksView(c)
	if err != nil {
		return err
	}
	f := c.Request().PostForm
	v.URL, v.Chosen = clip(strings.TrimSpace(f.Get("url")), 2048), f["events"]
	e, err := h.Service.CreateWebhookEndpoint(ctx(c), m, v.URL, "", f["events"])
	if err != nil {
		var ce *checkout.Error
		if !errors.As(err, &ce) || ce.Code == checkout.EInternal {
			return err
		}
		v.Error = l.T("dashboard.webhooks.error.other")
		if ce.Param == "url" {
			v.Error = l.T("dashboard.webhooks.error.url")
		}
		return Render(c, http.StatusUnprocessableEntity, templates.DashboardWebhooks(v))
	}
	h.Log.InfoContext(ctx(c), "dashboard webhook endpoint added", "user_id", DashboardUser(c).ID, "endpoint_id", e.ID)
	if v, _, _, err = h.webhooksView(c); err != nil {
		return err
	}
	v.Notice, v.Secret = l.T("dashboard.webhooks.created"), e.Secret
	return Render(c, http.StatusCreated, templates.DashboardWebhooks(v))
}

// DashboardEndpointAction handles the POSTs on one endpoint: toggle (on or
// off at once), rotate and delete (each after a confirmation). Another
// merchant's endpoint is a 404.
func (h *Handlers) DashboardEndpointAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.requireAdmin(c); err != nil {
			return err
		}
		l := h.dashLocale(c)
		u := DashboardUser(c)
		m, err := h.Service.Store.Merchant(ctx(c), u.MerchantID)
		if err != nil {
			return err
		}
		id := c.Param("endpoint")
		endpoints, err := h.Service.WebhookEndpoints(ctx(c), m)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(endpoints, func(e *checkout.WebhookEndpoint) bool { return e.ID == id })
		f := c.Request().PostForm
		confirmed := f.Get("confirm") == "yes" && len(f.Get("key")) >= 16 && len(f.Get("key")) <= 64
		if i < 0 {
			if action == "delete" && confirmed { // a second Yes: the first deleted it
				return c.Redirect(http.StatusSeeOther, RouteDashWebhooks+"?done=deleted")
			}
			return checkout.Errorf(checkout.ENotFound, "No such webhook endpoint.")
		}
		e := endpoints[i]
		if action == "toggle" {
			if _, err := h.Service.SetWebhookEndpointEnabled(ctx(c), m, id, !e.Enabled); err != nil {
				return err
			}
			return c.Redirect(http.StatusSeeOther, RouteDashWebhooks)
		}
		if !confirmed {
			// A rotation's key names the secret it replaces (a hash of
			// it): the rotation is a compare-and-set on that secret.
			key := checkout.RandomToken(16)
			if action == "rotate" {
				key = secretFingerprint(e.Secret)
			}
			chrome := h.dashChrome(c, "webhooks")
			return Render(c, http.StatusOK, templates.DashboardConfirm(templates.DashboardConfirmPage{
				Page: templates.Page{Title: l.T("dashboard.title.confirm"), L: l}, DashboardChrome: chrome,
				Question: l.T("dashboard.webhooks.confirm_"+action, "URL", e.URL), ActionURL: "/dashboard/webhooks/" + url.PathEscape(id) + "/" + action,
				BackURL: RouteDashWebhooks, FormToken: chrome.FormToken, Key: key}))
		}
		h.Log.InfoContext(ctx(c), "dashboard webhook endpoint "+action, "user_id", u.ID, "endpoint_id", id)
		if action == "delete" {
			if _, err := h.Service.DeleteWebhookEndpoint(ctx(c), m, id); err != nil && checkout.ErrorCodeOf(err) != checkout.ENotFound {
				return err
			}
			return c.Redirect(http.StatusSeeOther, RouteDashWebhooks+"?done=deleted")
		}
		// Only from the secret the confirmation named, in the store's
		// statement: a second Yes (a double click, a reload) finds it
		// replaced and shows the secret now in use rather than making
		// another, which would drop the one the shop's server still
		// uses (two sign at most).
		rotated := e
		if secretFingerprint(e.Secret) == f.Get("key") {
			rotated, err = h.Service.RotateWebhookSecret(ctx(c), m, id, e.Secret, nil)
			if checkout.ErrorCodeOf(err) == checkout.EConflict {
				// Rotated at the same moment by another request: show that one.
				if eps, lerr := h.Service.WebhookEndpoints(ctx(c), m); lerr == nil {
					if j := slices.IndexFunc(eps, func(x *checkout.WebhookEndpoint) bool { return x.ID == id }); j >= 0 {
						rotated, err = eps[j], nil
					}
				}
			}
			if err != nil {
				return err
			}
		}
		v, _, status, err := h.webhooksView(c)
		if err != nil {
			return err
		}
		v.Notice, v.Secret = l.T("dashboard.webhooks.rotated"), rotated.Secret
		return Render(c, status, templates.DashboardWebhooks(v))
	}
}

// secretFingerprint names a signing secret without showing it: the first
// 16 bytes of its SHA-256, in hex.
func secretFingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:16])
}
