package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// relay delivers merchant webhooks from the outbox: at least once, only a
// 2xx counts, redirects are not followed, retries back off over about three
// days (checkout.NextWebhookAttempt), a 410 disables the endpoint.
type relay struct {
	store  checkout.Store
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	lease  time.Duration
}

// defaultWebhookTimeout bounds one attempt (Standard Webhooks: 15 to 30 s).
const defaultWebhookTimeout = 15 * time.Second

func newRelay(store checkout.Store, log *slog.Logger, now func() time.Time, publicOnly bool, timeout time.Duration) *relay {
	if timeout <= 0 {
		timeout = defaultWebhookTimeout
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if publicOnly {
		// Merchant URLs are untrusted: never reach our own network (SSRF).
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
				ip.IsUnspecified() || ip.IsMulticast() {
				return errors.New("webhook address is not public")
			}
			return nil
		}
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 5 * time.Second, MaxIdleConnsPerHost: 4}
	return &relay{
		store: store, log: log, now: now,
		// A claimed delivery is ours for longer than one attempt can take,
		// so a crashed relay's deliveries are retried once it runs out.
		lease: timeout + 5*time.Second,
		client: &http.Client{Timeout: timeout, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// deliverDue sends every due delivery, a few at a time, and reports how
// many it attempted.
func (r *relay) deliverDue(ctx context.Context) (int, error) {
	due, err := r.store.ClaimWebhookDeliveries(ctx, r.now(), r.lease, 50)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for _, d := range due {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.attempt(ctx, d)
		}()
	}
	wg.Wait()
	return len(due), nil
}

func (r *relay) attempt(ctx context.Context, d *checkout.WebhookDelivery) {
	start := r.now()
	status, sendErr := r.send(ctx, d, start)
	a := checkout.WebhookAttempt{DeliveryID: d.ID, Number: d.Attempts + 1, Status: status,
		DurationMS: r.now().Sub(start).Milliseconds(), At: r.now()}
	outcome, next, disable := checkout.DeliveryPending, time.Time{}, false
	switch {
	case sendErr == nil && status >= 200 && status < 300:
		outcome = checkout.DeliverySucceeded
	case status == http.StatusGone:
		outcome, disable = checkout.DeliveryFailed, true
		a.Error = "410 Gone: endpoint disabled"
	default:
		if sendErr != nil {
			a.Error = sendErr.Error()
		} else {
			a.Error = "HTTP " + strconv.Itoa(status)
		}
		var ok bool
		if next, ok = checkout.NextWebhookAttempt(a.At, a.Number); !ok {
			outcome = checkout.DeliveryFailed
		}
	}
	if len(a.Error) > 300 {
		a.Error = a.Error[:300]
	}
	if err := r.store.RecordWebhookAttempt(context.WithoutCancel(ctx), a, outcome, next, disable); err != nil {
		r.log.Error("webhook attempt not recorded", "delivery_id", d.ID, "err", err)
		return
	}
	level := slog.LevelInfo
	if outcome != checkout.DeliverySucceeded {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "webhook delivery", "delivery_id", d.ID, "webhook_id", d.MessageID, "type", d.Type,
		"merchant_id", d.MerchantID, "attempt", a.Number, "status", status, "outcome", outcome, "err", a.Error)
}

// send makes one signed POST; the status is 0 when no answer came. During
// a secret rotation's overlap the new secret's signature comes first and the
// previous one's after it, space-delimited (Standard Webhooks), so receivers
// holding either secret verify.
func (r *relay) send(ctx context.Context, d *checkout.WebhookDelivery, at time.Time) (int, error) {
	sig, err := checkout.SignWebhook(d.Secret, d.MessageID, at, d.Payload)
	if err != nil {
		return 0, err
	}
	if d.PreviousSecret != "" {
		old, err := checkout.SignWebhook(d.PreviousSecret, d.MessageID, at, d.Payload)
		if err != nil {
			return 0, err
		}
		sig += " " + old
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, fmt.Errorf("bad endpoint URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "opencheckout-webhooks/1")
	req.Header.Set("webhook-id", d.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := r.client.Do(req)
	if err != nil {
		return 0, errors.New("no answer: " + err.Error())
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}
