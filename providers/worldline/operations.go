package worldline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

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
	out, known := mapRefund(rr)
	if !known {
		// Accepted (2xx) in a status we do not know: pending, so that the
		// Service asks again (InquireRefund) instead of concluding.
		out.Status = checkout.RefundPending
	}
	return out, nil
}

// InquireRefund asks Worldline where a refund is: Get refund by its
// Worldline id when the refund call answered, else Find refunds by our
// refund id, which the refund call sent as refundReferences.merchantReference.
// A 404 (with Worldline's error body) or an empty Find is
// checkout.ErrRefundNotFound: the refund call never reached Worldline. The
// answer must be about our refund (its merchant reference, amount and
// currency, when it states them); a status we do not know, a 5xx, no
// answer or an unreadable one is an error (unknown).
func (c *Client) InquireRefund(ctx context.Context, p checkout.Payment, r checkout.Refund) (checkout.RefundOutcome, error) {
	if r.ID == "" {
		return checkout.RefundOutcome{}, errors.New("worldline: inquire refund: the refund has no id")
	}
	var rr refundResponse
	if r.ProviderRef != "" {
		got, err := c.getRefund(ctx, r)
		if err != nil {
			return checkout.RefundOutcome{}, err
		}
		rr = got
	} else {
		got, err := c.findRefund(ctx, r)
		if err != nil {
			return checkout.RefundOutcome{}, err
		}
		rr = got
	}
	out, known := mapRefund(rr)
	if !known {
		return checkout.RefundOutcome{}, fmt.Errorf("worldline: inquire refund: refund %s in status %s, which we do not know", out.ProviderRef, cleanWord(rr.Status))
	}
	return out, nil
}

// getRefund reads a refund by Worldline's id.
func (c *Client) getRefund(ctx context.Context, r checkout.Refund) (refundResponse, error) {
	if !pathSegment.MatchString(r.ProviderRef) {
		return refundResponse{}, errors.New("worldline: " + opGetRefund + ": malformed Worldline refund id")
	}
	a, err := c.send(ctx, call{op: opGetRefund, method: http.MethodGet, path: "/refunds/" + r.ProviderRef})
	if err != nil {
		return refundResponse{}, err
	}
	if !a.ok() {
		e := newAPIError(opGetRefund, a)
		if a.status == http.StatusNotFound && (e.errorID != "" || len(e.items) > 0) {
			return refundResponse{}, fmt.Errorf("worldline: %s %s: %w", opGetRefund, r.ProviderRef, checkout.ErrRefundNotFound)
		}
		return refundResponse{}, e
	}
	var rr refundResponse
	if err := decode(opGetRefund, a, &rr); err != nil {
		return refundResponse{}, err
	}
	return rr, checkRefund(opGetRefund, a, rr, r)
}

// findRefund finds our refund by its merchant reference: none is
// checkout.ErrRefundNotFound, more than one an error.
func (c *Client) findRefund(ctx context.Context, r checkout.Refund) (refundResponse, error) {
	q := "merchantReference=" + url.QueryEscape(r.ID) + "&offset=0&limit=" + strconv.Itoa(findPaymentsPageSize)
	a, err := c.send(ctx, call{op: opFindRefunds, method: http.MethodGet, path: "/refunds", query: q})
	if err != nil {
		return refundResponse{}, err
	}
	if !a.ok() {
		return refundResponse{}, newAPIError(opFindRefunds, a)
	}
	var found findRefundsResponse
	if err := decode(opFindRefunds, a, &found); err != nil {
		return refundResponse{}, err
	}
	switch n := max(len(found.Refunds), found.TotalCount); {
	case n == 0:
		return refundResponse{}, fmt.Errorf("worldline: %s: %w", opFindRefunds, checkout.ErrRefundNotFound)
	case n > 1 || len(found.Refunds) == 0:
		return refundResponse{}, fmt.Errorf("worldline: %s: %d refunds under one reference", opFindRefunds, n)
	}
	rr := found.Refunds[0]
	if rr.RefundOutput.References == nil || rr.RefundOutput.References.MerchantReference == "" {
		// Find filtered on it; an item that does not repeat it is still ours.
		rr.RefundOutput.References = &refundReferences{MerchantReference: r.ID}
	}
	return rr, checkRefund(opFindRefunds, a, rr, r)
}

// checkRefund refuses an answer without a refund id and status, or about
// another refund than ours: another Worldline id, merchant reference,
// amount or currency (those it does not state are not held against it).
func checkRefund(op string, a answer, rr refundResponse, r checkout.Refund) error {
	switch {
	case rr.ID == "" || rr.Status == "":
		return fmt.Errorf("worldline: %s: HTTP %d, answer without a refund id and status", op, a.status)
	case !pathSegment.MatchString(rr.ID) || checkout.LooksLikeCardNumber(rr.ID):
		return fmt.Errorf("worldline: %s: HTTP %d, malformed refund id", op, a.status)
	case r.ProviderRef != "" && rr.ID != r.ProviderRef:
		return fmt.Errorf("worldline: %s: HTTP %d, answer about refund %s, not %s", op, a.status, rr.ID, r.ProviderRef)
	case rr.RefundOutput.References != nil && rr.RefundOutput.References.MerchantReference != "" && rr.RefundOutput.References.MerchantReference != r.ID:
		return fmt.Errorf("worldline: %s: HTTP %d, answer about another merchantReference", op, a.status)
	}
	if m := rr.RefundOutput.AmountOfMoney; m != nil && (m.Amount != r.Amount.Amount || m.CurrencyCode != r.Amount.Currency) {
		return fmt.Errorf("worldline: %s: HTTP %d, refund %s is for another amount or currency than %d %s", op, a.status, rr.ID, r.Amount.Amount, r.Amount.Currency)
	}
	return nil
}
