package worldline

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// webhookAPIVersion is the only webhook format the adapter reads; the SDK
// rejects any other the same way.
const webhookAPIVersion = "v1"

// maxVerificationValue bounds the endpoint verification value we echo.
const maxVerificationValue = 1024

var (
	eventIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,100}$`)
	eventTypePattern = regexp.MustCompile(`^[A-Za-z0-9_.]{1,64}$`)
)

// Notification verifies and reads a webhook. A GET carrying
// X-GCS-Webhooks-Endpoint-Verification is Worldline checking the endpoint
// and gets its value echoed back. A POST must name our webhook key id and
// carry a valid X-GCS-Signature over the raw body, checked before anything
// in the body is read.
//
// For a payment event the Outcome maps the payment as it stands, with an
// authorization awaiting approval reported as authorized: the Service only
// uses notifications about payments in flight as a trigger to inquire.
// A refund event (refund.*, the event's "refund" object) is a RefundNotice
// instead: our refund id (refundOutput.references.merchantReference), the
// Worldline refund id, the amount and the refund mapped as it stands, a
// status we do not know being pending (a trigger to inquire, never a
// success). Other events (tokens, captures, disputes) carry their id and
// type only.
func (c *Client) Notification(_ context.Context, req checkout.NotificationRequest) (checkout.Notification, error) {
	if c.webhookSecret == "" {
		return checkout.Notification{}, errors.New("worldline: webhooks are not configured (WebhookKeyID, WebhookSecret)")
	}
	switch req.Method {
	case http.MethodGet:
		v := req.Header.Values(HeaderEndpointVerification)
		if len(v) != 1 || v[0] == "" || len(v[0]) > maxVerificationValue || !printable(v[0]) {
			return checkout.Notification{}, errors.New("worldline: webhook GET without a single, plain " + HeaderEndpointVerification + " value")
		}
		return checkout.Notification{Reply: checkout.NotificationReply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: v[0]}}, nil
	case http.MethodPost:
	default:
		return checkout.Notification{}, errors.New("worldline: webhook with method " + cleanWord(req.Method))
	}

	keyIDs, sigs := req.Header.Values(HeaderKeyID), req.Header.Values(HeaderSignature)
	if len(keyIDs) != 1 || len(sigs) != 1 {
		return checkout.Notification{}, errors.New("worldline: webhook without exactly one " + HeaderKeyID + " and one " + HeaderSignature)
	}
	if subtle.ConstantTimeCompare([]byte(keyIDs[0]), []byte(c.webhookKeyID)) != 1 {
		return checkout.Notification{}, errors.New("worldline: webhook signed with an unknown key id")
	}
	if !VerifyWebhookSignature(c.webhookSecret, req.Body, sigs[0]) {
		return checkout.Notification{}, errors.New("worldline: webhook signature does not verify")
	}

	var ev webhookEvent
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return checkout.Notification{}, errors.New("worldline: webhook body is not readable JSON")
	}
	if ev.APIVersion != webhookAPIVersion {
		return checkout.Notification{}, errors.New("worldline: webhook apiVersion " + cleanWord(ev.APIVersion) + ", want " + webhookAPIVersion)
	}
	if !eventIDPattern.MatchString(ev.ID) || !eventTypePattern.MatchString(ev.Type) {
		return checkout.Notification{}, errors.New("worldline: webhook without a well-formed id and type")
	}
	n := checkout.Notification{
		EventID: ev.ID,
		Type:    ev.Type,
		Reply:   checkout.NotificationReply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: "OK"},
	}
	if strings.HasPrefix(ev.Type, "refund.") {
		notice, err := refundNotice(ev.Refund)
		if err != nil {
			return checkout.Notification{}, err
		}
		n.Refund = notice
		return n, nil
	}
	if !strings.HasPrefix(ev.Type, "payment.") {
		return n, nil
	}
	p := ev.Payment
	if p == nil || !pathSegment.MatchString(p.ID) || checkout.LooksLikeCardNumber(p.ID) || p.Status == "" {
		return checkout.Notification{}, errors.New("worldline: payment webhook without a well-formed payment")
	}
	n.ProviderRef = p.ID
	n.PaymentID = p.PaymentOutput.References.MerchantReference
	if m := p.PaymentOutput.AmountOfMoney; m != nil && m.CurrencyCode != "" {
		n.Amount = &checkout.Money{Amount: m.Amount, Currency: m.CurrencyCode}
	}
	n.Outcome = mapPayment(*p, nil, "")
	return n, nil
}

// refundNotice reads the refund of a refund.* webhook. Our refund id is
// kept only when it looks like one of ours: a refund made elsewhere (in
// Worldline's portal) carries whatever its maker typed.
func refundNotice(r *refundResponse) (*checkout.RefundNotice, error) {
	if r == nil || !pathSegment.MatchString(r.ID) || checkout.LooksLikeCardNumber(r.ID) || r.Status == "" {
		return nil, errors.New("worldline: refund webhook without a well-formed refund")
	}
	out, known := mapRefund(*r)
	if !known {
		out = checkout.RefundOutcome{Status: checkout.RefundPending, ProviderRef: out.ProviderRef}
	}
	notice := &checkout.RefundNotice{ProviderRef: r.ID, Outcome: out}
	if ref := r.RefundOutput.References; ref != nil && pathSegment.MatchString(ref.MerchantReference) && !checkout.LooksLikeCardNumber(ref.MerchantReference) {
		notice.RefundID = ref.MerchantReference
	}
	if m := r.RefundOutput.AmountOfMoney; m != nil && checkout.ValidCurrency(m.CurrencyCode) && m.Amount >= 0 {
		notice.Amount = &checkout.Money{Amount: m.Amount, Currency: m.CurrencyCode}
	}
	return notice, nil
}
