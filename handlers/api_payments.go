package handlers

import (
	"bytes"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// APIPaymentsGet handles GET /v1/payments/:id.
func (h *Handlers) APIPaymentsGet(c echo.Context) error {
	p, err := h.Service.MerchantPayment(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return h.paymentJSON(c, http.StatusOK, p)
}

// APIPaymentsCapture handles POST /v1/payments/:id/capture: the full
// authorized amount is captured.
func (h *Handlers) APIPaymentsCapture(c echo.Context) error {
	if err := emptyOrObject(c); err != nil {
		return err
	}
	p, err := h.Service.Capture(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return h.paymentJSON(c, http.StatusOK, p)
}

// APIPaymentsCancel handles POST /v1/payments/:id/cancel.
func (h *Handlers) APIPaymentsCancel(c echo.Context) error {
	if err := emptyOrObject(c); err != nil {
		return err
	}
	p, err := h.Service.Cancel(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return h.paymentJSON(c, http.StatusOK, p)
}

type refundRequest struct {
	Amount *int64 `json:"amount"`
}

// APIPaymentsRefund handles POST /v1/payments/:id/refunds with an optional
// {"amount": n}; without it, whatever is left is refunded.
func (h *Handlers) APIPaymentsRefund(c echo.Context) error {
	var in refundRequest
	if hasBody(c) {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	params := checkout.RefundParams{IdempotencyKey: idempotencyKey(c)}
	if in.Amount != nil {
		if *in.Amount <= 0 {
			return checkout.InvalidParam("amount", "amount must be a positive integer in minor units")
		}
		params.Amount = *in.Amount
	}
	r, _, err := h.Service.Refund(ctx(c), merchant(c).ID, c.Param("id"), params)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, checkout.NewRefundObject(r))
}

// APIRefundsGet handles GET /v1/refunds/:id.
func (h *Handlers) APIRefundsGet(c echo.Context) error {
	r, err := h.Service.MerchantRefund(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, checkout.NewRefundObject(r))
}

// APIRefundsRetry handles POST /v1/refunds/:id/retry: a failed refund is
// sent again as a new refund of the same amount (retry_of names the failed
// one); asking again returns that same retry.
func (h *Handlers) APIRefundsRetry(c echo.Context) error {
	if err := emptyOrObject(c); err != nil {
		return err
	}
	r, _, err := h.Service.RetryRefund(ctx(c), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, checkout.NewRefundObject(r))
}

// emptyOrObject accepts no body or an empty JSON object: these endpoints
// take no parameters, and anything else is a mistake worth reporting.
func emptyOrObject(c echo.Context) error {
	if !hasBody(c) {
		return nil
	}
	var none struct{}
	return decodeJSON(c, &none)
}

// hasBody reports whether the (buffered) request body holds anything.
func hasBody(c echo.Context) bool {
	r := c.Request()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return len(bytes.TrimSpace(body)) > 0
}

func (h *Handlers) paymentJSON(c echo.Context, status int, p *checkout.Payment) error {
	refunds, err := h.Service.Refunds(ctx(c), p.ID)
	if err != nil {
		return err
	}
	if refunds == nil {
		refunds = []*checkout.Refund{}
	}
	return c.JSON(status, checkout.NewPaymentObject(p, refunds))
}
