package handlers

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// createSessionRequest is the JSON body of POST /v1/checkout/sessions.
type createSessionRequest struct {
	Amount            *int64                     `json:"amount"`
	Currency          string                     `json:"currency"`
	MerchantReference string                     `json:"merchant_reference"`
	LineItems         []checkout.LineItem        `json:"line_items"`
	Customer          checkout.Customer          `json:"customer"`
	Locale            string                     `json:"locale"`
	SuccessURL        string                     `json:"success_url"`
	CancelURL         string                     `json:"cancel_url"`
	PaymentMethods    []checkout.PaymentMethod   `json:"payment_methods"`
	Provider          string                     `json:"provider"`
	CaptureMode       checkout.CaptureMode       `json:"capture_mode"`
	ThreeDS           checkout.ThreeDSPreference `json:"three_ds"`
	SetupRecurring    bool                       `json:"setup_recurring"`
	ExpiresAt         *int64                     `json:"expires_at"`
	Metadata          map[string]string          `json:"metadata"`
}

// APISessionsCreate handles POST /v1/checkout/sessions.
func (h *Handlers) APISessionsCreate(c echo.Context) error {
	var req createSessionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return checkout.InvalidParam("amount", "amount is required")
	}
	p := checkout.CreateSessionParams{
		Amount: *req.Amount, Currency: req.Currency, MerchantReference: req.MerchantReference, LineItems: req.LineItems,
		Customer: req.Customer, Locale: req.Locale, SuccessURL: req.SuccessURL, CancelURL: req.CancelURL,
		PaymentMethods: req.PaymentMethods, Provider: req.Provider, CaptureMode: req.CaptureMode, ThreeDS: req.ThreeDS,
		SetupRecurring: req.SetupRecurring, Metadata: req.Metadata, IdempotencyKey: idempotencyKey(c),
	}
	if req.ExpiresAt != nil {
		t := time.Unix(*req.ExpiresAt, 0).UTC()
		p.ExpiresAt = &t
	}
	if request, ok := answeredRequest(c); ok {
		// The answer is stored with the session, in its transaction.
		rec, replayed, err := h.Service.CreateSessionAnswered(ctx(c), merchant(c), p, request, func(s *checkout.Session) (int, []byte, error) {
			b, err := json.Marshal(h.Service.SessionObject(s, nil))
			return http.StatusCreated, append(b, '\n'), err
		})
		if err != nil {
			return err
		}
		if replayed {
			c.Response().Header().Set("Idempotent-Replayed", "true")
		}
		return c.JSONBlob(rec.Status, rec.Body)
	}
	s, err := h.Service.CreateSession(ctx(c), merchant(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h.Service.SessionObject(s, nil))
}
