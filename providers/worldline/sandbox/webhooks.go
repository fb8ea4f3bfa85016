package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
)

// webhookRetryDelays are the waits before the second, third and fourth
// tries of a webhook [I: Worldline does not publish its schedule; these
// are short so that tests finish quickly].
var webhookRetryDelays = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond}

// Webhook header names.
const (
	headerSignature    = "X-GCS-Signature"
	headerKeyID        = "X-GCS-KeyId"
	headerVerification = "X-GCS-Webhooks-Endpoint-Verification"
)

// Delivery is one webhook event and what the receiver answered, for tests.
type Delivery struct {
	EventID           string
	Type              string // e.g. payment.pending_approval, refund.refund_requested
	PaymentID         string // the Worldline payment the event is about
	MerchantReference string // that payment's merchantReference (our payment id)
	RefundID          string // for a refund event: Worldline's refund id
	RefundReference   string // for a refund event: the refund's merchantReference (our refund id)
	Body              []byte // exactly what was signed and sent
	Attempts          []int  // HTTP status of each try; 0 when no answer came
	Status            int    // HTTP status of the latest try; 0 before any answer
	Delivered         bool   // a try got a 2xx
	Done              bool   // delivered, or given up
}

type delivery struct {
	eventID, typ, paymentID, merchantReference string
	refundID, refundReference                  string
	body                                       []byte
	sandboxnotify.Tries
}

// Deliveries returns every webhook event so far, in the order they were
// emitted, with the answers they got.
func (s *Sandbox) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	for i, d := range s.deliveries {
		out[i] = Delivery{
			EventID: d.eventID, Type: d.typ, PaymentID: d.paymentID, MerchantReference: d.merchantReference,
			RefundID: d.refundID, RefundReference: d.refundReference,
			Body: bytes.Clone(d.body), Attempts: append([]int(nil), d.Attempts...), Delivered: d.Acknowledged, Done: d.Done,
		}
		if n := len(d.Attempts); n > 0 {
			out[i].Status = d.Attempts[n-1]
		}
	}
	return out
}

// WaitWebhooks waits until every webhook emitted so far is delivered or
// given up, or ctx ends.
func (s *Sandbox) WaitWebhooks(ctx context.Context) error { return s.Outbox.Wait(ctx) }

// emitPayment queues the webhook of a payment's new status. The caller holds s.mu.
func (s *Sandbox) emitPayment(p *payment) {
	if s.webhookURL == "" {
		return
	}
	resp := s.response(p)
	s.emit(p, webhookEvent{Type: "payment." + strings.ToLower(p.status), Payment: &resp})
}

// emitRefund queues the webhook of a refund's new status: when it is
// made, and when a pending one settles. The caller holds s.mu.
func (s *Sandbox) emitRefund(r *refund) {
	if s.webhookURL == "" {
		return
	}
	resp := s.refundResponse(r)
	s.emit(r.p, webhookEvent{Type: "refund." + strings.ToLower(r.status), Refund: &resp})
}

// emit signs an event about p and starts delivering it. The caller holds s.mu.
func (s *Sandbox) emit(p *payment, ev webhookEvent) {
	if !s.Outbox.Begin() {
		return
	}
	ev.APIVersion = "v1"
	ev.ID = s.rnd.UUID()
	ev.Created = s.now().UTC().Format(webhookTimeFormat)
	ev.MerchantID = s.creds.MerchantID
	body, err := json.Marshal(ev)
	if err != nil {
		s.Outbox.End()
		return
	}
	d := &delivery{eventID: ev.ID, typ: ev.Type, paymentID: p.id, merchantReference: p.merchantReference, body: body}
	if ev.Refund != nil {
		d.refundID = ev.Refund.ID
		if ev.Refund.RefundOutput.References != nil {
			d.refundReference = ev.Refund.RefundOutput.References.MerchantReference
		}
	}
	s.deliveries = append(s.deliveries, d)
	s.Outbox.Go(func(ctx context.Context) { s.deliver(ctx, d) })
}

// deliver posts an event until a 2xx, with growing waits, or until Close.
func (s *Sandbox) deliver(ctx context.Context, d *delivery) {
	signature := worldline.WebhookSignature(s.creds.WebhookSecret, d.body)
	s.Outbox.Deliver(ctx, &s.mu, &d.Tries, webhookRetryDelays, func(ctx context.Context) (int, bool) {
		status := s.post(ctx, d.body, signature)
		return status, status >= 200 && status < 300
	})
}

// post sends one try and returns the HTTP status, 0 without an answer.
func (s *Sandbox) post(ctx context.Context, body []byte, signature string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.webhookURL, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerSignature, signature)
	req.Header.Set(headerKeyID, s.creds.WebhookKeyID)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode
}

// VerifyEndpoint performs Worldline's endpoint verification against the
// webhook URL: a GET carrying X-GCS-Webhooks-Endpoint-Verification, which
// the receiver must answer 200 text/plain echoing the value.
func (s *Sandbox) VerifyEndpoint(ctx context.Context) error {
	if s.webhookURL == "" {
		return errors.New("worldline sandbox: no WebhookURL configured")
	}
	value := s.token(32)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.webhookURL, nil)
	if err != nil {
		return fmt.Errorf("worldline sandbox: endpoint verification: %w", err)
	}
	req.Header.Set(headerVerification, value)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("worldline sandbox: endpoint verification: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return fmt.Errorf("worldline sandbox: endpoint verification: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("worldline sandbox: endpoint verification: HTTP %d, want 200", resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/plain" {
		return fmt.Errorf("worldline sandbox: endpoint verification: Content-Type %q, want text/plain", resp.Header.Get("Content-Type"))
	}
	if strings.TrimSpace(string(body)) != value {
		return errors.New("worldline sandbox: endpoint verification: the answer does not echo the value")
	}
	return nil
}
