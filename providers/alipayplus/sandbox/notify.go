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
	if o.notifyURL == "" || s.closed {
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
		return nil
	}
	d := &delivery{requestID: o.requestID, paymentID: o.paymentID, status: pr.ResultStatus, code: pr.ResultCode, url: o.notifyURL, body: body}
	if delay, ok := s.delays[o.requestID]; ok {
		d.delay = delay
	} else if s.notifyLater {
		d.delay = s.notifyDelay
	}
	s.deliveries = append(s.deliveries, d)
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
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
	if inline && d.delay == 0 {
		if s.attempt(d) {
			s.finish(d)
			return
		}
		s.background(d, 1)
		return
	}
	s.background(d, 0)
}

// background continues a delivery from try next on its own goroutine.
func (s *Sandbox) background(d *delivery, next int) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.finish(d)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.finish(d)
		wait := d.delay
		for try := next; try <= len(retryDelays); try++ {
			if try > 0 {
				wait = retryDelays[try-1]
			}
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-s.ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if s.attempt(d) {
				return
			}
		}
	}()
}

// finish marks a delivery done.
func (s *Sandbox) finish(d *delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.done {
		return
	}
	d.done = true
	s.pending--
	if s.pending == 0 {
		close(s.idle)
	}
}

// attempt posts one try and reports whether it was acknowledged.
func (s *Sandbox) attempt(d *delivery) bool {
	status, acked := s.post(d)
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
func (s *Sandbox) post(d *delivery) (int, bool) {
	u, err := url.Parse(d.url)
	if err != nil {
		return 0, false
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
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
func (s *Sandbox) WaitNotifications(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.pending == 0 {
			s.mu.Unlock()
			return nil
		}
		idle := s.idle
		s.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
