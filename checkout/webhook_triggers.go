package checkout

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Test webhooks (POST /v1/test/webhooks): a test-mode merchant makes the
// server send one event of a type it chooses to one of its endpoints, so
// that its webhook handler can be tested without a payment (Stripe's
// `stripe trigger`). The event goes through the outbox and the relay as
// real ones do (signing with every active secret, retries, the delivery
// log); its data is a synthetic object built by the constructors real
// events use, and its body says "triggered": true. Nothing else changes:
// no session, payment or refund is written, no event joins GET /v1/events
// or a timeline, and no other endpoint is sent anything.

// ErrEndpointDisabled is returned by a Store when a test webhook is queued
// for an endpoint that is disabled.
var ErrEndpointDisabled = Errorf(EConflict, "The webhook endpoint is disabled.")

// TriggeredWebhookObject is the answer of POST /v1/test/webhooks: the test
// event queued for one endpoint, with the id of its delivery in the log.
type TriggeredWebhookObject struct {
	// ID is the event's id, sent as the webhook-id.
	ID         string `json:"id"`
	Object     string `json:"object"`
	Livemode   bool   `json:"livemode"`
	Type       string `json:"type"`
	EndpointID string `json:"endpoint_id"`
	DeliveryID string `json:"delivery_id"`
	Created    int64  `json:"created"`
	Triggered  bool   `json:"triggered"`
	// Data is the object the webhook carries.
	Data any `json:"data"`
}

// TriggerTestWebhook queues a test event of type typ, with a synthetic
// object of that type's kind, for the merchant's endpoint endpointID only.
// Test merchants only (a live one gets ETestModeOnly); typ is any of
// WebhookEventTypes; the endpoint must be the merchant's (ENotFound
// otherwise) and enabled (EConflict). Its enabled_events do not filter an
// explicit trigger.
func (s *Service) TriggerTestWebhook(ctx context.Context, m *Merchant, endpointID, typ string) (*TriggeredWebhookObject, error) {
	if m.Live {
		return nil, Errorf(ETestModeOnly, "Test webhooks are for test mode: use a test key (sk_test_...).")
	}
	if !slices.Contains(WebhookEventTypes, typ) {
		return nil, InvalidParam("type", "type must be one of %s", strings.Join(WebhookEventTypes, ", "))
	}
	if endpointID == "" {
		return nil, InvalidParam("endpoint", "endpoint is required: the id (we_...) of one of your webhook endpoints")
	}
	if !ValidID(PrefixWebhookEndpoint, endpointID) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	obj, err := s.testWebhookObject(m, typ)
	if err != nil {
		return nil, Internal(err)
	}
	at := s.now()
	id := s.IDs.NewID(PrefixEvent)
	payload, err := json.Marshal(webhookBody{Type: typ, Timestamp: at.Format(time.RFC3339), Data: obj, Triggered: true})
	if err != nil {
		return nil, Internal(err)
	}
	d := &WebhookDelivery{MessageID: id, EndpointID: endpointID, MerchantID: m.ID, Type: typ, Payload: payload,
		Status: DeliveryPending, NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
	switch err := s.Store.QueueTestWebhook(ctx, d); {
	case errors.Is(err, ErrNotFound):
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	case errors.Is(err, ErrEndpointDisabled):
		return nil, Errorf(EConflict, "The webhook endpoint %s is disabled: enable it (POST /v1/webhook_endpoints/%s/enable) "+
			"to send it test webhooks.", endpointID, endpointID)
	case err != nil:
		return nil, Internal(err)
	}
	s.Log.InfoContext(ctx, "test webhook queued", "merchant_id", m.ID, "endpoint_id", endpointID, "type", typ, "event_id", id)
	return &TriggeredWebhookObject{ID: id, Object: "test_webhook", Type: typ, EndpointID: endpointID, DeliveryID: d.ID,
		Created: at.Unix(), Triggered: true, Data: obj}, nil
}

// Synthetic values of a test webhook's objects: a visa test card of which,
// as of every payment, only the brand, BIN, last 4 and expiry are kept.
const (
	testWebhookAmount = 2500
	testWebhookBIN    = "424242"
	testWebhookLast4  = "4242"
)

// testWebhookObject is a realistic test object for an event of type typ,
// made by the constructors real events use from synthetic domain values
// of test merchant m: a session, a payment (the visa test card,
// frictionless 3-D Secure), a refund, a key, or m itself. An unknown type
// is an error, so a type added to WebhookEventTypes without an object here
// fails the tests that trigger every type.
func (s *Service) testWebhookObject(m *Merchant, typ string) (any, error) {
	now := s.now()
	sess := s.testSession(m, now)
	pay := &Payment{ID: s.IDs.NewID(PrefixPayment), SessionID: sess.ID, MerchantID: m.ID, Provider: sess.Provider,
		Method: MethodCard, Status: PaymentSucceeded, Amount: sess.Amount, CaptureMode: CaptureAutomatic,
		Card:    &CardDetails{Brand: BrandVisa, BIN: testWebhookBIN, Last4: testWebhookLast4, ExpMonth: 12, ExpYear: now.Year() + 3},
		ThreeDS: &ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: testTransactionID(), AuthenticationValuePresent: true, Flow: FlowFrictionless, Status: "Y"},
		Attempt: 1, CreatedAt: now.Add(-time.Minute), UpdatedAt: now}
	refund := &Refund{ID: s.IDs.NewID(PrefixRefund), PaymentID: pay.ID, SessionID: sess.ID, MerchantID: m.ID,
		Status: RefundSucceeded, Amount: sess.Amount, CreatedAt: now.Add(-time.Minute), UpdatedAt: now}
	paymentObject := func(status PaymentStatus, capture CaptureMode, refunds ...*Refund) PaymentObject {
		p := *pay
		p.Status, p.CaptureMode = status, capture
		switch status {
		case PaymentFailed:
			p.Decline = NewDecline(DeclineGeneric, "05")
		case PaymentPending:
			p.ThreeDS = nil // the provider has not answered yet
		case PaymentRefunded:
			p.AmountRefunded = p.Amount.Amount
		}
		return NewPaymentObject(&p, append([]*Refund{}, refunds...))
	}
	switch typ {
	case WebhookSessionCompleted:
		sess.Status = SessionComplete
		return NewSessionObject(sess, []*Payment{pay}, s.testSessionURL(sess.ID), sess.Locale), nil
	case WebhookSessionExpired:
		sess.Status = SessionExpired
		sess.ExpiresAt = now
		return NewSessionObject(sess, nil, s.testSessionURL(sess.ID), sess.Locale), nil
	case "payment." + string(PaymentSucceeded):
		return paymentObject(PaymentSucceeded, CaptureAutomatic), nil
	case "payment." + string(PaymentFailed):
		return paymentObject(PaymentFailed, CaptureAutomatic), nil
	case "payment." + string(PaymentPending):
		return paymentObject(PaymentPending, CaptureAutomatic), nil
	case "payment." + string(PaymentAuthorized):
		return paymentObject(PaymentAuthorized, CaptureManual), nil
	case "payment." + string(PaymentCaptured):
		return paymentObject(PaymentCaptured, CaptureManual), nil
	case "payment." + string(PaymentCanceled):
		return paymentObject(PaymentCanceled, CaptureManual), nil
	case "payment.refunded":
		return paymentObject(PaymentRefunded, CaptureAutomatic, refund), nil
	case WebhookRefundSucceeded:
		return NewRefundObject(refund), nil
	case WebhookRefundFailed:
		failed := *refund
		failed.Status, failed.ProviderCode = RefundFailed, "refund_refused"
		return NewRefundObject(&failed), nil
	case WebhookMerchantUpdated:
		return s.MerchantObject(m), nil
	case WebhookMerchantKeyRotated:
		// As the rotation's event shows it: without the key.
		return NewAPIKeyObject(&RotatedKey{Live: m.Live, CreatedAt: now, PreviousExpiresAt: now.Add(DefaultKeyOverlap)}), nil
	}
	return nil, errors.New("test webhook: no test object for event type " + typ)
}

// testSession is an open test session of m: one line item, paid by card
// with the merchant's default provider (else the server's first), in a
// currency that provider takes.
func (s *Service) testSession(m *Merchant, now time.Time) *Session {
	provs := s.providers(false)
	name := m.DefaultProvider
	if _, ok := provs[name]; !ok {
		if order := s.providerOrder(provs); len(order) > 0 {
			name = order[0]
		}
	}
	currency := "EUR"
	if p, ok := provs[name]; ok {
		if caps := p.Capabilities(); !caps.SupportsCurrency(currency) {
			currency = caps.Currencies[0]
		}
	}
	back := "https://shop.example"
	if len(m.ReturnOrigins) > 0 {
		back = m.ReturnOrigins[0]
	}
	return &Session{ID: s.IDs.NewID(PrefixSession), MerchantID: m.ID, Status: SessionOpen,
		Amount: Money{Amount: testWebhookAmount, Currency: currency}, MerchantReference: "test-order-1001",
		LineItems: []LineItem{{Name: "Test item", Quantity: 1, UnitAmount: testWebhookAmount}},
		Customer:  Customer{Email: "shopper@example.com"}, Locale: "en",
		SuccessURL: back + "/checkout/success", CancelURL: back + "/checkout/cancel",
		PaymentMethods: []PaymentMethod{MethodCard}, Provider: name, CaptureMode: CaptureAutomatic, ThreeDS: ThreeDSAutomatic,
		Metadata: map[string]string{}, ExpiresAt: now.Add(DefaultSessionTTL), CreatedAt: now.Add(-2 * time.Minute), UpdatedAt: now}
}

// testSessionURL is where a session of this id would be paid.
func (s *Service) testSessionURL(id string) string {
	if s.Links == nil {
		return ""
	}
	return s.Links.SessionURL(id)
}

// testTransactionID is a random 3-D Secure transaction id, a UUID as
// directory servers make them.
func testTransactionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
