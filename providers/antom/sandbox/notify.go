package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// Ack is the one acknowledgement Antom accepts; any other answer makes it
// send the notification again [V].
const Ack = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`

// Notification types [V].
const (
	NotifyPaymentResult = "PAYMENT_RESULT"
	NotifyCaptureResult = "CAPTURE_RESULT"
	NotifyRefundResult  = "REFUND_RESULT"
)

// Delivery is one notification and what the receiver answered, for tests.
type Delivery struct {
	NotifyType       string // PAYMENT_RESULT, CAPTURE_RESULT or REFUND_RESULT
	PaymentRequestID string
	PaymentID        string
	RefundRequestID  string // for REFUND_RESULT: our refund id
	URL              string
	Body             []byte // exactly what was signed and sent
	Attempts         []int  // HTTP status of each try; 0 when no answer came
	Acknowledged     bool   // a try got HTTP 200 with exactly the Ack body
	Done             bool   // acknowledged, or given up
}

type delivery struct {
	notifyType, paymentRequestID, paymentID, url string
	refundRequestID                              string
	body                                         []byte
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
			NotifyType: d.notifyType, PaymentRequestID: d.paymentRequestID, PaymentID: d.paymentID, URL: d.url,
			RefundRequestID: d.refundRequestID,
			Body:            bytes.Clone(d.body), Attempts: append([]int(nil), d.Attempts...), Acknowledged: d.Acknowledged, Done: d.Done,
		}
	}
	return out
}

// WaitNotifications waits until every notification emitted so far is
// acknowledged or given up, or ctx ends.
func (s *Sandbox) WaitNotifications(ctx context.Context) error { return s.Outbox.Wait(ctx) }

// target is where a payment's notifications go; "" sends none.
func (s *Sandbox) target(p *payment) string {
	if s.notifyURL != "" {
		return s.notifyURL
	}
	return p.notifyURL
}

// emitPayment queues notifyPayment for a final pay result. The caller holds s.mu.
func (s *Sandbox) emitPayment(p *payment) {
	n := paymentNotification{
		NotifyType:        NotifyPaymentResult,
		Result:            resultOf(p.code),
		PaymentRequestID:  p.requestID,
		PaymentID:         p.id,
		PaymentAmount:     *p.money(),
		PaymentCreateTime: s.timestamp(p.createdAt),
		PaymentResultInfo: s.resultInfo(p),
	}
	if p.authorised {
		n.PaymentTime = s.timestamp(p.paidAt)
	}
	s.emit(p, NotifyPaymentResult, n)
}

// emitCapture queues notifyCapture for a capture. The caller holds s.mu.
func (s *Sandbox) emitCapture(c *capture) {
	s.emit(c.p, NotifyCaptureResult, captureNotification{
		NotifyType:       NotifyCaptureResult,
		Result:           resultOf(codeSuccess),
		CaptureRequestID: c.requestID,
		PaymentID:        c.p.id,
		CaptureID:        c.id,
		CaptureAmount:    amount{Currency: c.p.currency, Value: strconv.FormatInt(c.amount, 10)},
		CaptureTime:      s.timestamp(c.at),
	})
}

// emitRefund queues notifyRefund for a refund that reached a final state:
// at once, or when a held one settles. It goes to the refund's
// refundNotifyUrl, else where the payment's notifications go. The caller
// holds s.mu.
func (s *Sandbox) emitRefund(rf *refund) {
	n := refundNotification{
		NotifyType:      NotifyRefundResult,
		Result:          resultOf(codeSuccess),
		RefundStatus:    rf.status,
		RefundRequestID: rf.requestID,
		RefundID:        rf.id,
		RefundAmount:    amount{Currency: rf.p.currency, Value: strconv.FormatInt(rf.amount, 10)},
	}
	if rf.status == statusSuccess {
		n.RefundTime = s.timestamp(rf.settledAt)
	} else {
		n.Result = resultOf(codeProcessFail)
	}
	target := rf.notifyURL
	if target == "" || s.notifyURL != "" {
		target = s.target(rf.p)
	}
	s.send(rf.p, target, NotifyRefundResult, rf.requestID, n)
}

// emit starts delivering a notification about p. The caller holds s.mu.
func (s *Sandbox) emit(p *payment, notifyType string, v any) {
	s.send(p, s.target(p), notifyType, "", v)
}

// send starts delivering a notification about p to target. The caller
// holds s.mu.
func (s *Sandbox) send(p *payment, target, notifyType, refundRequestID string, v any) {
	if target == "" || !s.Outbox.Begin() {
		return
	}
	body, err := marshal(v)
	if err != nil {
		s.Outbox.End()
		return
	}
	d := &delivery{notifyType: notifyType, paymentRequestID: p.requestID, paymentID: p.id, url: target, body: body, refundRequestID: refundRequestID}
	s.deliveries = append(s.deliveries, d)
	s.Outbox.Go(func(ctx context.Context) { s.deliver(ctx, d) })
}

// deliver posts a notification until it is acknowledged, with growing
// waits, or until Close.
func (s *Sandbox) deliver(ctx context.Context, d *delivery) {
	s.Outbox.Deliver(ctx, &s.mu, &d.Tries, s.retryDelays, func(ctx context.Context) (int, bool) { return s.post(ctx, d) })
}

// post sends one try, signed afresh, and reports the HTTP status (0 without
// an answer) and whether it was the acknowledgement.
func (s *Sandbox) post(ctx context.Context, d *delivery) (int, bool) {
	u, err := url.Parse(d.url)
	if err != nil {
		return 0, false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return 0, false
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	requestTime := s.now().Format(responseTimeFormat)
	if err := alipaysign.SignMessage(s.antomKey, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, u.RequestURI(), s.creds.ClientID, requestTime, d.body); err != nil {
		return 0, false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.StatusCode == http.StatusOK && bytes.Equal(bytes.TrimSpace(body), []byte(Ack))
}
