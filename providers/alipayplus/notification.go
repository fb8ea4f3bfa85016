package alipayplus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

// NotificationType is the Type of every notification the adapter reads.
const NotificationType = "notifyPayment"

// Notification verifies and reads a notifyPayment. The Signature must
// verify with the wallet's key over "POST <the request URI>" (or its path
// alone, when the URI has a query), the Client-Id (ours: the wallet
// notifies under the merchant's client id) and Request-Time, before
// anything in the body is read.
//
// The event id is the wallet's paymentId with the result status and code,
// so that a retried notification is dropped as a duplicate while a later
// one with another result is not. The Service uses notifications about
// payments in flight as a trigger to inquire.
func (c *Client) Notification(_ context.Context, req checkout.NotificationRequest) (checkout.Notification, error) {
	if req.Method != http.MethodPost {
		return checkout.Notification{}, errors.New("alipayplus: notification with a method other than POST")
	}
	if err := c.verifyNotification(req); err != nil {
		return checkout.Notification{}, err
	}
	var body notifyRequest
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return checkout.Notification{}, errors.New("alipayplus: notification body is not readable JSON")
	}
	if body.PaymentID == "" || !idPattern.MatchString(body.PaymentID) {
		return checkout.Notification{}, errors.New("alipayplus: notification without a well-formed paymentId")
	}
	if body.PaymentRequestID == "" || len(body.PaymentRequestID) > maxRequestID || !printable(body.PaymentRequestID) {
		return checkout.Notification{}, errors.New("alipayplus: notification without a well-formed paymentRequestId")
	}
	st, code, err := resultState("notification", body.PaymentResult)
	if err != nil {
		return checkout.Notification{}, err
	}
	out, err := mapReport(report{state: st, code: code, paymentID: body.PaymentID})
	if err != nil {
		return checkout.Notification{}, err
	}
	n := checkout.Notification{
		EventID:     body.PaymentID + ":" + body.PaymentResult.ResultStatus + ":" + code,
		Type:        NotificationType,
		PaymentID:   body.PaymentRequestID,
		ProviderRef: body.PaymentID,
		Outcome:     out,
		Reply:       checkout.NotificationReply{Status: http.StatusOK, ContentType: "application/json", Body: AckBody},
	}
	if body.PaymentAmount != nil {
		m, err := moneyOf(body.PaymentAmount)
		if err != nil {
			return checkout.Notification{}, errors.New("alipayplus: notification: " + err.Error())
		}
		n.Amount = &m
	}
	return n, nil
}

// verifyNotification checks the wallet's signature on a notification.
func (c *Client) verifyNotification(req checkout.NotificationRequest) error {
	uri := req.RequestURI
	if uri == "" || !strings.HasPrefix(uri, "/") {
		return errors.New("alipayplus: notification without the request URI its signature covers")
	}
	paths := []string{uri}
	if u, err := url.ParseRequestURI(uri); err == nil && u.RawQuery != "" {
		paths = append(paths, u.EscapedPath())
	}
	var err error
	for _, p := range paths {
		if _, err = alipaysign.VerifyMessage(c.walletKey, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, p, c.clientID, req.Body); err == nil {
			return nil
		}
		if !errors.Is(err, alipaysign.ErrBadSignature) {
			break // a missing or malformed header fails whatever the path
		}
	}
	return errors.New("alipayplus: notification signature does not verify (" + signReason(err) + ")")
}
