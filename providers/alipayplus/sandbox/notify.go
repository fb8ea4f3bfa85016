package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// retryDelays are the waits before the second to fifth tries of a
// notification [I: Antom retries over a day; these are short so that tests
// finish quickly].
var retryDelays = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond, 6400 * time.Millisecond}

// ackBody is the only acknowledgement the wallet accepts.
const ackBody = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`

// Delivery is one notification and what the merchant answered, for tests.
type Delivery struct {
	PaymentRequestID string
	PaymentID        string
	ResultStatus     string // paymentResult.resultStatus: S or F
	ResultCode       string // paymentResult.resultCode
	Body             []byte // exactly what was signed and sent
	Attempts         []int  // HTTP status of each try; 0 when no answer came
	Acked            bool   // a try got HTTP 200 with the acknowledgement body
	Done             bool   // acked, or given up
	AckedAt          time.Time
}

type delivery struct {
	requestID, paymentID string
	status, code         string
	url                  string
	body                 []byte
	delay                time.Duration // wait before the first try; 0 sends it before the browser goes back
	attempts             []int
	acked, done          bool
	ackedAt              time.Time
}

// notification builds the notifyPayment of an order's final state and
// registers it as pending; nil when the order has no paymentNotifyUrl or
// the sandbox is closed. The caller holds s.mu.
func (s *Sandbox) notification(o *order) *delivery {
	if o.notifyURL == "" || !s.Outbox.Begin() {
		return nil
	}
	pr := paymentResult(o)
	b := notifyBody{
		PaymentID:         o.paymentID,
		PaymentRequestID:  o.requestID,
		PaymentResult:     pr,
		PaymentAmount:     amount{Currency: o.currency, Value: o.value},
		PaymentCreateTime: o.created.Format(timeFormat),
	}
	if o.status == StatusSuccess {
		b.PaymentTime = o.paidAt.Format(timeFormat)
	}
	body, err := json.Marshal(b)
	if err != nil {
		s.Outbox.End()
		return nil
	}
	d := &delivery{requestID: o.requestID, paymentID: o.paymentID, status: pr.ResultStatus, code: pr.ResultCode, url: o.notifyURL, body: body}
	if delay, ok := s.delays[o.requestID]; ok {
		d.delay = delay
	} else if s.notifyLater {
		d.delay = s.notifyDelay
	}
	s.deliveries = append(s.deliveries, d)
	return d
}

// dispatch sends a registered notification. With inline set and no delay
// the first try runs now, on the caller's goroutine (the cashier, before it
// answers the browser); retries and delayed notifications run in the
// background.
func (s *Sandbox) dispatch(d *delivery, inline bool) {
	if d == nil {
		return
	}
	first, delays := d.delay, retryDelays
	if inline && d.delay == 0 {
		if s.attempt(s.Outbox.Context(), d) {
			s.finish(d)
			return
		}
		first, delays = retryDelays[0], retryDelays[1:]
	}
	s.Outbox.Go(func(ctx context.Context) {
		sandboxnotify.Retry(ctx, first, delays, func() bool { return s.attempt(ctx, d) })
		s.finish(d)
	})
}

// finish marks a delivery done.
func (s *Sandbox) finish(d *delivery) {
	s.mu.Lock()
	d.done = true
	s.mu.Unlock()
	s.Outbox.End()
}

// attempt posts one try and reports whether it was acknowledged.
func (s *Sandbox) attempt(ctx context.Context, d *delivery) bool {
	status, acked := s.post(ctx, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	d.attempts = append(d.attempts, status)
	if acked {
		d.acked = true
		d.ackedAt = time.Now()
	}
	return acked
}

// post signs and sends one try: over the path and query of the notify URL,
// under the merchant's Client-Id, with the wallet's key.
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
	if err := alipaysign.SignMessage(s.walletKey, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, u.RequestURI(),
		s.creds.ClientID, s.now().Format(timeFormat), d.body); err != nil {
		return 0, false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, resp.StatusCode == http.StatusOK && string(bytes.TrimSpace(b)) == ackBody
}

// Deliveries returns every notification so far, in the order they were
// emitted, with the answers they got.
func (s *Sandbox) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	for i, d := range s.deliveries {
		out[i] = Delivery{
			PaymentRequestID: d.requestID, PaymentID: d.paymentID, ResultStatus: d.status, ResultCode: d.code,
			Body: bytes.Clone(d.body), Attempts: append([]int(nil), d.attempts...), Acked: d.acked, Done: d.done, AckedAt: d.ackedAt,
		}
	}
	return out
}

// WaitNotifications waits until every notification emitted so far is
// acknowledged or given up, or ctx ends.
func (s *Sandbox) WaitNotifications(ctx context.Context) error { return s.Outbox.Wait(ctx) }
