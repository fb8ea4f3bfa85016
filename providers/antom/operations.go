package antom

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Capture captures the whole amount of an authorized (manual capture)
// payment under captureRequestId "<payment id>-capture", so a retry is the
// same request. S is a capture; U leaves it unknown (an error, safe to
// repeat); F makes the adapter read the payment: one captured or canceled
// meanwhile answers as it is, one still authorized is a refusal.
func (c *Client) Capture(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	if err := checkRef(opCapture, p.ProviderRef); err != nil {
		return checkout.Outcome{}, err
	}
	body := captureRequest{CaptureRequestID: p.ID + captureKeySuffix, PaymentID: p.ProviderRef, CaptureAmount: wire(p.Amount)}
	var r captureResponse
	if err := c.call(ctx, opCapture, pathCapture, body, &r); err != nil {
		return checkout.Outcome{}, err
	}
	switch r.Result.ResultStatus {
	case ResultSuccess:
		if r.PaymentID != "" && r.PaymentID != p.ProviderRef {
			return checkout.Outcome{}, fmt.Errorf("antom: %s: answer about another paymentId", opCapture)
		}
		if err := checkAmount(opCapture, r.CaptureAmount, p.Amount); err != nil {
			return checkout.Outcome{}, err
		}
		out := checkout.Outcome{
			Status:       checkout.OutcomeSucceeded,
			ProviderRef:  p.ProviderRef,
			ProviderData: map[string]string{keyPaymentID: p.ProviderRef},
		}
		if id := cleanRef(r.CaptureID); id != "" {
			out.ProviderData[keyCaptureID] = id
		}
		return out, nil
	case ResultFailure:
		if requestRefused[r.Result.ResultCode] {
			return checkout.Outcome{}, resultError(opCapture, r.Result)
		}
		return c.afterRefusal(ctx, p, opCapture, r.Result)
	}
	return checkout.Outcome{}, resultError(opCapture, r.Result)
}

// Cancel voids an authorized, uncaptured payment (by our
// paymentRequestId). S is a cancellation; U leaves it unknown; F makes the
// adapter read the payment, as for Capture.
func (c *Client) Cancel(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	id := p.IdempotencyKey()
	if id == "" || len(id) > maxID {
		return checkout.Outcome{}, errors.New("antom: cancel: the payment id must be 1 to 64 characters")
	}
	var r cancelResponse
	if err := c.call(ctx, opCancel, pathCancel, cancelRequest{PaymentRequestID: id}, &r); err != nil {
		return checkout.Outcome{}, err
	}
	switch r.Result.ResultStatus {
	case ResultSuccess:
		if (r.PaymentRequestID != "" && r.PaymentRequestID != id) || (p.ProviderRef != "" && r.PaymentID != "" && r.PaymentID != p.ProviderRef) {
			return checkout.Outcome{}, fmt.Errorf("antom: %s: answer about another payment", opCancel)
		}
		out := checkout.Outcome{Status: checkout.OutcomeCanceled, ProviderRef: cleanRef(r.PaymentID), ProviderData: map[string]string{keyStatus: StatusCancelled}}
		if out.ProviderRef != "" {
			out.ProviderData[keyPaymentID] = out.ProviderRef
		}
		return out, nil
	case ResultFailure:
		if requestRefused[r.Result.ResultCode] {
			return checkout.Outcome{}, resultError(opCancel, r.Result)
		}
		return c.afterRefusal(ctx, p, opCancel, r.Result)
	}
	return checkout.Outcome{}, resultError(opCancel, r.Result)
}

// afterRefusal answers a refused capture or cancel with the payment as it
// now is, when it moved on (captured or canceled); a payment that did not
// is a refusal, with Antom's code.
func (c *Client) afterRefusal(ctx context.Context, p checkout.Payment, op string, refused result) (checkout.Outcome, error) {
	r, err := c.inquiry(ctx, p)
	if err != nil {
		return checkout.Outcome{}, fmt.Errorf("antom: %s refused (%s), and reading the payment failed: %w", op, cleanCode(refused.ResultCode), err)
	}
	var now checkout.Outcome
	if r != nil {
		now = mapPayment(inquiryView(r), checkout.CaptureManual)
		if now.Status == checkout.OutcomeSucceeded || now.Status == checkout.OutcomeCanceled {
			return now, nil
		}
	}
	code := ""
	if codePattern.MatchString(refused.ResultCode) {
		code = refused.ResultCode
	}
	out := checkout.Outcome{
		Status:       checkout.OutcomeFailed,
		ProviderRef:  p.ProviderRef,
		ProviderData: map[string]string{},
		Decline:      checkout.NewDecline(checkout.DeclineProcessingError, code),
	}
	maps.Copy(out.ProviderData, now.ProviderData)
	return out, nil
}

// Refund returns (part of) a captured payment under refundRequestId = the
// refund's idempotency key. S is a refund; F a refusal with Antom's code;
// U REFUND_IN_PROCESS is pending; any other U, or no answer, is unknown.
func (c *Client) Refund(ctx context.Context, p checkout.Payment, rr checkout.RefundRequest) (checkout.RefundOutcome, error) {
	if err := checkRef(opRefund, p.ProviderRef); err != nil {
		return checkout.RefundOutcome{}, err
	}
	key := rr.IdempotencyKey
	if key == "" {
		key = rr.RefundID
	}
	if key == "" || len(key) > maxID {
		return checkout.RefundOutcome{}, errors.New("antom: refund: the refund id must be 1 to 64 characters")
	}
	body := refundRequest{RefundRequestID: key, PaymentID: p.ProviderRef, RefundAmount: wire(rr.Amount)}
	var r refundResponse
	if err := c.call(ctx, opRefund, pathRefund, body, &r); err != nil {
		return checkout.RefundOutcome{}, err
	}
	if r.Result.ResultStatus == ResultFailure && requestRefused[r.Result.ResultCode] {
		return checkout.RefundOutcome{}, resultError(opRefund, r.Result)
	}
	out, known := mapRefund(refundStatusOfResult(r.Result), r.Result.ResultCode, r.RefundID)
	if !known {
		return checkout.RefundOutcome{}, resultError(opRefund, r.Result)
	}
	if out.Status == checkout.RefundFailed {
		// A refusal names Antom's code, never "FAIL", and is about nothing
		// Antom kept.
		out = checkout.RefundOutcome{Status: checkout.RefundFailed}
		if codePattern.MatchString(r.Result.ResultCode) {
			out.ProviderCode = r.Result.ResultCode
		}
		return out, nil
	}
	if (r.RefundRequestID != "" && r.RefundRequestID != key) || (r.PaymentID != "" && r.PaymentID != p.ProviderRef) {
		return checkout.RefundOutcome{}, fmt.Errorf("antom: %s: answer about another refund", opRefund)
	}
	if err := checkAmount(opRefund, r.RefundAmount, rr.Amount); err != nil {
		return checkout.RefundOutcome{}, err
	}
	return out, nil
}

// InquireRefund asks Antom where a refund is (inquiryRefund by
// refundRequestId, our refund id, which the refund call sent). F
// REFUND_NOT_EXIST (or ORDER_NOT_EXIST) is checkout.ErrRefundNotFound: the
// refund call never reached Antom. S with refundStatus SUCCESS, PROCESSING
// or FAIL is the answer, once it is about our refund (refundRequestId,
// refundId when we know it, amount and currency, where it states them);
// any other result, a status we do not know, no answer or an untrusted one
// is an error (unknown).
func (c *Client) InquireRefund(ctx context.Context, p checkout.Payment, rf checkout.Refund) (checkout.RefundOutcome, error) {
	if rf.ID == "" || len(rf.ID) > maxID {
		return checkout.RefundOutcome{}, errors.New("antom: inquiry refund: the refund id must be 1 to 64 characters")
	}
	var r inquiryRefundResponse
	if err := c.call(ctx, opInquiryRefund, pathInquiryRefund, inquiryRefundRequest{RefundRequestID: rf.ID}, &r); err != nil {
		return checkout.RefundOutcome{}, err
	}
	switch {
	case r.Result.ResultStatus == ResultFailure && (r.Result.ResultCode == CodeRefundNotExist || r.Result.ResultCode == CodeOrderNotExist):
		return checkout.RefundOutcome{}, fmt.Errorf("antom: %s: result F %s: %w", opInquiryRefund, r.Result.ResultCode, checkout.ErrRefundNotFound)
	case r.Result.ResultStatus != ResultSuccess:
		return checkout.RefundOutcome{}, resultError(opInquiryRefund, r.Result)
	case r.RefundRequestID != "" && r.RefundRequestID != rf.ID:
		return checkout.RefundOutcome{}, fmt.Errorf("antom: %s: answer about another refundRequestId", opInquiryRefund)
	case rf.ProviderRef != "" && r.RefundID != "" && r.RefundID != rf.ProviderRef:
		return checkout.RefundOutcome{}, fmt.Errorf("antom: %s: answer about another refundId", opInquiryRefund)
	}
	if err := checkAmount(opInquiryRefund, r.RefundAmount, rf.Amount); err != nil {
		return checkout.RefundOutcome{}, err
	}
	out, known := mapRefund(r.RefundStatus, "", r.RefundID)
	if !known {
		return checkout.RefundOutcome{}, fmt.Errorf("antom: %s: answer with refundStatus %s, which we do not know", opInquiryRefund, cleanCode(r.RefundStatus))
	}
	return out, nil
}

// checkRef refuses a payment without a well-formed Antom paymentId before
// it is sent.
func checkRef(op, ref string) error {
	if ref == "" {
		return errors.New("antom: " + op + ": the payment has no Antom paymentId")
	}
	if cleanRef(ref) == "" {
		return errors.New("antom: " + op + ": malformed Antom paymentId")
	}
	return nil
}
