package antom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

// Notification verifies and reads a notification Antom posted to our
// paymentNotifyUrl. The Signature header must verify with the Antom public
// key over "POST <the request URI as received>\n<Client-Id>.<Request-Time>.<raw body>",
// with Client-Id equal to ours, before anything in the body is read.
//
// PAYMENT_RESULT and PAYMENT_PENDING are mapped like any answer about the
// payment, with the capture mode unknown: a SUCCESS is reported as
// authorized, never as a capture (the Service uses notifications about
// payments in flight only as a trigger to inquire). CAPTURE_RESULT S is
// the capture of an authorized payment; F leaves it authorized.
// REFUND_RESULT (notifyRefund) is a RefundNotice: our refund id
// (refundRequestId), Antom's refundId, the refund amount and refundStatus
// SUCCESS or FAIL mapped (a status we do not know is pending, a trigger to
// inquire). Other notification types are acknowledged and ignored (no
// EventID).
//
// EventID is "<notifyType>:<paymentId, captureId or refundId>:<resultStatus>:<resultCode>":
// Antom's retries of one notification share it, and a later, different
// result about the same payment does not.
func (c *Client) Notification(_ context.Context, req checkout.NotificationRequest) (checkout.Notification, error) {
	if req.Method != http.MethodPost {
		return checkout.Notification{}, errors.New("antom: notification with method " + cleanCode(strings.ToUpper(req.Method)) + ", want POST")
	}
	if !strings.HasPrefix(req.RequestURI, "/") || strings.ContainsAny(req.RequestURI, " \r\n") {
		return checkout.Notification{}, errors.New("antom: notification without the request URI it was posted to")
	}
	if _, err := alipaysign.VerifyMessage(c.antomKey, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, req.RequestURI, c.clientID, req.Body); err != nil {
		return checkout.Notification{}, fmt.Errorf("antom: notification not trusted: %w", err)
	}

	var n notification
	if err := json.Unmarshal(req.Body, &n); err != nil {
		return checkout.Notification{}, errors.New("antom: notification body is not readable JSON")
	}
	out := checkout.Notification{
		Type:  n.NotifyType,
		Reply: checkout.NotificationReply{Status: http.StatusOK, ContentType: "application/json", Body: notificationAck},
	}
	if !codePattern.MatchString(n.NotifyType) {
		return checkout.Notification{}, errors.New("antom: notification without a well-formed notifyType")
	}
	if !codePattern.MatchString(n.Result.ResultStatus) || !codePattern.MatchString(n.Result.ResultCode) {
		if n.NotifyType != NotifyPaymentResult && n.NotifyType != NotifyPaymentPending && n.NotifyType != NotifyCaptureResult && n.NotifyType != NotifyRefundResult {
			return out, nil
		}
		return checkout.Notification{}, errors.New("antom: notification without a well-formed result")
	}
	suffix := ":" + n.Result.ResultStatus + ":" + n.Result.ResultCode

	switch n.NotifyType {
	case NotifyPaymentResult, NotifyPaymentPending:
		ref := cleanRef(n.PaymentID)
		if ref == "" {
			return checkout.Notification{}, errors.New("antom: payment notification without a well-formed paymentId")
		}
		money, err := parseAmount(n.PaymentAmount)
		if err != nil {
			return checkout.Notification{}, fmt.Errorf("antom: payment notification: %v", err)
		}
		status := statusOfResult(n.Result)
		if n.NotifyType == NotifyPaymentPending && status != StatusFail {
			status = StatusProcessing
		}
		if status == "" {
			return checkout.Notification{}, errors.New("antom: payment notification with resultStatus " + n.Result.ResultStatus)
		}
		out.EventID = n.NotifyType + ":" + ref + suffix
		out.PaymentID = cleanRef(n.PaymentRequestID)
		out.ProviderRef = ref
		out.Amount = &money
		out.Outcome = mapPayment(paymentView{status: status, code: n.Result.ResultCode, paymentID: ref, info: n.PaymentResultInfo}, "")
		return out, nil

	case NotifyCaptureResult:
		ref, captureID := cleanRef(n.PaymentID), cleanRef(n.CaptureID)
		if ref == "" || captureID == "" {
			return checkout.Notification{}, errors.New("antom: capture notification without a well-formed paymentId and captureId")
		}
		money, err := parseAmount(n.CaptureAmount)
		if err != nil {
			return checkout.Notification{}, fmt.Errorf("antom: capture notification: %v", err)
		}
		out.EventID = n.NotifyType + ":" + captureID + suffix
		if id, ok := strings.CutSuffix(n.CaptureRequestID, captureKeySuffix); ok {
			out.PaymentID = cleanRef(id)
		}
		out.ProviderRef = ref
		out.Amount = &money
		data := map[string]string{keyPaymentID: ref, keyResultCode: n.Result.ResultCode}
		switch n.Result.ResultStatus {
		case ResultSuccess:
			data[keyCaptureID] = captureID
			out.Outcome = checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: ref, ProviderData: data}
		case ResultFailure:
			// A refused capture leaves the authorization as it was.
			out.Outcome = checkout.Outcome{Status: checkout.OutcomeAuthorized, ProviderRef: ref, ProviderData: data}
		default:
			return checkout.Notification{}, errors.New("antom: capture notification with resultStatus " + n.Result.ResultStatus)
		}
		return out, nil

	case NotifyRefundResult:
		refundID := cleanRef(n.RefundID)
		if refundID == "" {
			return checkout.Notification{}, errors.New("antom: refund notification without a well-formed refundId")
		}
		money, err := parseAmount(n.RefundAmount)
		if err != nil {
			return checkout.Notification{}, fmt.Errorf("antom: refund notification: %v", err)
		}
		status := n.RefundStatus
		if status == "" {
			status = refundStatusOfResult(n.Result)
		}
		refund, known := mapRefund(status, n.Result.ResultCode, refundID)
		if !known {
			// Authentic, but saying something we do not know: a trigger to
			// inquire, never a success.
			refund = checkout.RefundOutcome{Status: checkout.RefundPending, ProviderRef: refundID}
		}
		out.EventID = n.NotifyType + ":" + refundID + suffix
		out.Refund = &checkout.RefundNotice{RefundID: cleanRef(n.RefundRequestID), ProviderRef: refundID, Amount: &money, Outcome: refund}
		return out, nil
	}
	// Dispute and other notifications: acknowledged, not acted on.
	return out, nil
}
