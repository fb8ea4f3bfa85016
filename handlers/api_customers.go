package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// APISavedCardsList handles GET /v1/customers/:reference/saved_cards: the
// cards the merchant's customer saved (as the provider keeps them).
func (h *Handlers) APISavedCardsList(c echo.Context) error {
	provider, cards, err := h.Service.CustomerCards(ctx(c), merchant(c), c.Param("reference"))
	if err != nil {
		return err
	}
	out := make([]checkout.SavedCardObject, 0, len(cards))
	for _, sc := range cards {
		out = append(out, checkout.NewSavedCardObject(sc, provider, merchant(c).Live))
	}
	return c.JSON(http.StatusOK, map[string]any{"object": "list", "data": out})
}

// APISavedCardsDelete handles DELETE /v1/customers/:reference/saved_cards/:id.
func (h *Handlers) APISavedCardsDelete(c echo.Context) error {
	if err := h.Service.DeleteCustomerCard(ctx(c), merchant(c), c.Param("reference"), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "object": "saved_card", "deleted": true})
}

type recurringRequest struct {
	ParentPayment     string `json:"parent_payment"`
	Amount            *int64 `json:"amount"`
	MerchantReference string `json:"merchant_reference"`
}

// APIRecurringCharge handles POST /v1/recurring_charges: a
// merchant-initiated charge of the saved card that paid parent_payment (a
// session created with setup_recurring). It answers with the new payment.
func (h *Handlers) APIRecurringCharge(c echo.Context) error {
	var in recurringRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.ParentPayment == "" {
		return checkout.InvalidParam("parent_payment", "parent_payment is required")
	}
	if in.Amount == nil {
		return checkout.InvalidParam("amount", "amount is required")
	}
	_, p, err := h.Service.ChargeRecurring(ctx(c), merchant(c), checkout.RecurringParams{
		ParentPaymentID: in.ParentPayment, Amount: *in.Amount, MerchantReference: in.MerchantReference,
		IdempotencyKey: idempotencyKey(c)})
	if err != nil {
		return err
	}
	return h.paymentJSON(c, http.StatusCreated, p)
}
