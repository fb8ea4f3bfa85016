package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// Delivery is one notification and what the receiver answered, for tests.
type Delivery struct {
	OrderID           string
	MerchantReference string
	Status            string // SUCCESS, DECLINED or VOIDED
	URL               string
	Body              []byte // exactly what was signed and sent
	Attempts          []int  // HTTP status of each try; 0 when no answer came
	Acknowledged      bool   // a try got HTTP 200 with the body OK
	Done              bool   // acknowledged, or given up
}

type delivery struct {
	orderID, reference, status, url string
	body                            []byte
	sandboxnotify.Tries
}

// Deliveries returns every notification so far, in the order they were
// emitted, with the answers they got.
func (s *Sandbox) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	for i, d := range s.deliveries {
		out[i] = Delivery{
			OrderID: d.orderID, MerchantReference: d.reference, Status: d.status, URL: d.url, Body: bytes.Clone(d.body),
			Attempts: append([]int(nil), d.Attempts...), Acknowledged: d.Acknowledged, Done: d.Done,
		}
	}
	return out
}

// WaitNotifications waits until every notification emitted so far is
// acknowledged or given up, or ctx ends.
func (s *Sandbox) WaitNotifications(ctx context.Context) error { return s.Outbox.Wait(ctx) }

// emit starts delivering a notification of the order's current status:
// orderId, merchantReference, amount, cardType, status, maskedPan and
// updateTime [V], currency [I], and the decline's responseCode [I]. The
// caller holds s.mu.
func (s *Sandbox) emit(o *orderRec) {
	target := s.notifyURL
	if target == "" {
		target = o.notifyURL
	}
	if target == "" || !s.Outbox.Begin() {
		return
	}
	fields := map[string]string{
		"orderId":           strconv.FormatInt(o.id, 10),
		"merchantReference": o.reference,
		"amount":            string(s.decimal(o.amount, o.currency)),
		"currency":          o.currency,
		"cardType":          o.cardType,
		"status":            o.txStatus,
		"maskedPan":         o.maskedPan,
		"updateTime":        o.updatedAt.Format(timeFormat),
	}
	if o.txStatus == statusDeclined {
		fields["responseCode"] = o.code
	}
	body, err := bbmsl.SignNotification(s.bbmslKey, fields)
	if err != nil {
		s.Outbox.End()
		return
	}
	d := &delivery{orderID: fields["orderId"], reference: o.reference, status: o.txStatus, url: target, body: body}
	s.deliveries = append(s.deliveries, d)
	s.Outbox.Go(func(ctx context.Context) { s.deliver(ctx, d) })
}

// deliver posts a notification until it is acknowledged, with growing
// waits, or until Close.
func (s *Sandbox) deliver(ctx context.Context, d *delivery) {
	s.Outbox.Deliver(ctx, &s.mu, &d.Tries, s.retryDelays, func(ctx context.Context) (int, bool) { return s.post(ctx, d) })
}

// post sends one try and reports the HTTP status (0 without an answer) and
// whether it was the acknowledgement.
func (s *Sandbox) post(ctx context.Context, d *delivery) (int, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return 0, false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.StatusCode == http.StatusOK && string(bytes.TrimSpace(body)) == bbmsl.NotificationAck
}
