package worldline

import (
	"context"
	"fmt"
	"net/http"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Capture approves the whole amount of an authorized (manual capture)
// payment. If Worldline says the payment is no longer waiting for approval,
// the payment as it now is answers instead.
func (c *Client) Capture(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	pay, err := c.approve(ctx, p.ID, p.ProviderRef, p.Amount.Amount)
	if err != nil {
		return checkout.Outcome{}, err
	}
	return mapPayment(pay, nil, checkout.CaptureManual), nil
}

// Cancel voids an authorized, unapproved payment. If Worldline says it
// cannot be cancelled any more, the payment as it now is answers instead.
func (c *Client) Cancel(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	if err := checkRef(opCancelPayment, p.ProviderRef); err != nil {
		return checkout.Outcome{}, err
	}
	a, err := c.send(ctx, call{op: opCancelPayment, method: http.MethodPost, path: "/payments/" + p.ProviderRef + "/cancel",
		idempotenceKey: p.ID + cancelKeySuffix})
	if err != nil {
		return checkout.Outcome{}, err
	}
	var pay payment
	switch {
	case a.ok():
		var r paymentEnvelope
		if err := decode(opCancelPayment, a, &r); err != nil {
			return checkout.Outcome{}, err
		}
		if err := checkPayment(opCancelPayment, a, r.Payment, p.ProviderRef, ""); err != nil {
			return checkout.Outcome{}, err
		}
		pay = r.Payment
	case newAPIError(opCancelPayment, a).wrongState():
		if pay, err = c.getPayment(ctx, p.ProviderRef); err != nil {
			return checkout.Outcome{}, err
		}
	default:
		return checkout.Outcome{}, newAPIError(opCancelPayment, a)
	}
	return mapPayment(pay, nil, checkout.CaptureManual), nil
}

// Refund returns (part of) a paid payment. Worldline accepting the refund
// (REFUND_REQUESTED) is a success; a 4xx is a refusal with its code; a 5xx,
// a refund still running under the same key (409, 1409) or no answer leaves
// it unknown.
func (c *Client) Refund(ctx context.Context, p checkout.Payment, r checkout.RefundRequest) (checkout.RefundOutcome, error) {
	if err := checkRef(opRefundPayment, p.ProviderRef); err != nil {
		return checkout.RefundOutcome{}, err
	}
	key := r.IdempotencyKey
	if key == "" {
		key = r.RefundID
	}
	a, err := c.send(ctx, call{op: opRefundPayment, method: http.MethodPost, path: "/payments/" + p.ProviderRef + "/refund",
		body: refundRequest{
			AmountOfMoney:    amountOfMoney{Amount: r.Amount.Amount, CurrencyCode: r.Amount.Currency},
			RefundReferences: refundReferences{MerchantReference: r.RefundID},
		},
		idempotenceKey: key})
	if err != nil {
		return checkout.RefundOutcome{}, err
	}
	if !a.ok() {
		e := newAPIError(opRefundPayment, a)
		if a.status < 400 || a.status >= 500 || (a.status == http.StatusConflict && !e.wrongState()) {
			return checkout.RefundOutcome{}, e
		}
		return checkout.RefundOutcome{Status: checkout.RefundFailed, ProviderCode: e.code()}, nil
	}
	var rr refundResponse
	if err := decode(opRefundPayment, a, &rr); err != nil {
		return checkout.RefundOutcome{}, err
	}
	if rr.Status == "" {
		return checkout.RefundOutcome{}, fmt.Errorf("worldline: %s: HTTP %d, answer without a status", opRefundPayment, a.status)
	}
	out := checkout.RefundOutcome{Status: checkout.RefundPending}
	if pathSegment.MatchString(rr.ID) {
		out.ProviderRef = rr.ID
	}
	switch rr.Status {
	case StatusRefundRequested, StatusRefunded, StatusCaptured:
		out.Status = checkout.RefundSucceeded
	case StatusRejected, StatusCancelled:
		out.Status = checkout.RefundFailed
		out.ProviderCode = rr.Status
	case StatusPendingApproval, StatusCreated:
		// Accepted, waiting at Worldline: pending.
	}
	return out, nil
}
