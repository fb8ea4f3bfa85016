package handlers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The merchant API's lists: the query string goes to the Service, which
// checks every parameter (checkout/lists.go); the answer is one page.

// APISessionsList handles GET /v1/checkout/sessions.
func (h *Handlers) APISessionsList(c echo.Context) error {
	return listJSON(c, h.Service.ListSessions)
}

// APIPaymentsList handles GET /v1/payments.
func (h *Handlers) APIPaymentsList(c echo.Context) error {
	return listJSON(c, h.Service.ListPayments)
}

// APIRefundsList handles GET /v1/refunds.
func (h *Handlers) APIRefundsList(c echo.Context) error {
	return listJSON(c, h.Service.ListRefunds)
}

// APIEventsList handles GET /v1/events.
func (h *Handlers) APIEventsList(c echo.Context) error {
	return listJSON(c, h.Service.ListEvents)
}

// APIWebhookDeliveriesList handles GET /v1/webhook_deliveries: the
// merchant's delivery log, newest first.
func (h *Handlers) APIWebhookDeliveriesList(c echo.Context) error {
	return listJSON(c, h.Service.ListWebhookDeliveries)
}

type lister[T any] func(context.Context, *checkout.Merchant, url.Values) (*checkout.ListObject[T], error)

// listJSON answers one page of a list, whose url is the route's path.
func listJSON[T any](c echo.Context, list lister[T]) error {
	// Parsed here, strictly: echo's QueryParams drops a pair with a bad
	// escape, which would turn limit=%zz into no limit at all.
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return checkout.Errorf(checkout.EMalformed, "The query string is not valid (a bad %%-escape, or a ';' between parameters).")
	}
	page, err := list(ctx(c), merchant(c), q)
	if err != nil {
		return err
	}
	page.URL = c.Path()
	return c.JSON(http.StatusOK, page)
}
