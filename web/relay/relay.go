// Package relay delivers merchant webhooks from the store's outbox: signed
// per Standard Webhooks, retried on schedule, fair between merchants, and
// sent through a dialer that refuses private and special-purpose addresses
// in live mode (ssrf.go).
package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
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

// Relay delivers merchant webhooks from the outbox: at least once, only a
// 2xx counts, redirects are not followed, retries back off over about three
// days (NextAttempt), a 410 disables the endpoint.
type Relay struct {
	store  checkout.Store
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	lease  time.Duration
	// OnAttempt, when set, hears each recorded attempt's outcome
	// (pending: it will be tried again), for the metrics.
	OnAttempt func(outcome string)
}

// defaultWebhookTimeout bounds one attempt (Standard Webhooks: 15 to 30 s).
const defaultWebhookTimeout = 15 * time.Second

// New is a Relay over store. publicOnly refuses endpoints on private and
// special-purpose addresses (live mode); timeout bounds one attempt (15 s
// when zero).
func New(store checkout.Store, log *slog.Logger, now func() time.Time, publicOnly bool, timeout time.Duration) *Relay {
	if timeout <= 0 {
		timeout = defaultWebhookTimeout
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if publicOnly {
		// Merchant URLs are untrusted: only global unicast addresses
		// (ssrf.go), checked on the address dialed, after DNS.
		dialer.Control = publicOnlyControl
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 5 * time.Second, MaxIdleConnsPerHost: 4}
	return &Relay{
		store: store, log: log, now: now,
		// A claimed delivery is ours for longer than one attempt can take,
		// so a crashed relay's deliveries are retried once it runs out.
		lease: timeout + 5*time.Second,
		client: &http.Client{Timeout: timeout, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// Relay fairness: a round claims at most relayPerMerchant due deliveries
// of each merchant (and relayClaim in all), runs at most relayPerMerchant
// of one merchant's at once and relayWorkers in all. A merchant whose
// endpoints hang therefore holds at most relayPerMerchant workers for one
// timeout per round, and every other merchant's deliveries go out in the
// same round; endpoints that keep failing also back off
// (checkout.EndpointBackoff).
const (
	relayWorkers     = 16
	relayPerMerchant = 2
	relayClaim       = 64
)

// DeliverDue sends a fair share of the due deliveries and reports how many
// it attempted.
func (r *Relay) DeliverDue(ctx context.Context) (int, error) {
	due, err := r.store.ClaimWebhookDeliveries(ctx, r.now(), r.lease, relayClaim, relayPerMerchant)
	if err != nil {
		return 0, err
	}
	byMerchant := map[string][]*checkout.WebhookDelivery{}
	var order []string
	for _, d := range due {
		if _, ok := byMerchant[d.MerchantID]; !ok {
			order = append(order, d.MerchantID)
		}
		byMerchant[d.MerchantID] = append(byMerchant[d.MerchantID], d)
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, relayWorkers)
	for _, m := range order {
		own := make(chan struct{}, relayPerMerchant)
		for _, d := range byMerchant[m] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				own <- struct{}{}
				defer func() { <-own }()
				slots <- struct{}{}
				defer func() { <-slots }()
				r.attempt(ctx, d)
			}()
		}
	}
	wg.Wait()
	return len(due), nil
}

func (r *Relay) attempt(ctx context.Context, d *checkout.WebhookDelivery) {
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
			a.Error = deliveryErrorCategory(sendErr)
		} else {
			a.Error = "HTTP " + strconv.Itoa(status)
		}
		var ok bool
		if next, ok = NextAttempt(a.At, a.Number); !ok {
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
	if r.OnAttempt != nil {
		r.OnAttempt(outcome)
	}
	var cause any
	if sendErr != nil {
		cause = sendErr.Error() // for our logs only
	}
	level := slog.LevelInfo
	if outcome != checkout.DeliverySucceeded {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "webhook delivery", "delivery_id", d.ID, "webhook_id", d.MessageID, "type", d.Type,
		"merchant_id", d.MerchantID, "attempt", a.Number, "status", status, "outcome", outcome, "err", a.Error, "cause", cause)
}

// send makes one signed POST; the status is 0 when no answer came. During
// a secret rotation's overlap the new secret's signature comes first and the
// previous one's after it, space-delimited (Standard Webhooks), so receivers
// holding either secret verify.
func (r *Relay) send(ctx context.Context, d *checkout.WebhookDelivery, at time.Time) (int, error) {
	sig, err := Sign(d.Secret, d.MessageID, at, d.Payload)
	if err != nil {
		return 0, err
	}
	if d.PreviousSecret != "" {
		old, err := Sign(d.PreviousSecret, d.MessageID, at, d.Payload)
		if err != nil {
			return 0, err
		}
		sig += " " + old
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, errBadURL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "opencheckout-webhooks/1")
	req.Header.Set("webhook-id", d.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}

var errBadURL = errors.New("bad endpoint URL")

// deliveryErrorCategory names why an attempt got no answer in the safe
// words of the delivery log (checkout.DeliveryErr*): never the resolver's
// address, the dialed IP or Go's error text, which merchants must not see
// (they would map our network).
func deliveryErrorCategory(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var certInvalid x509.CertificateInvalidError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.Is(err, errBadURL):
		return checkout.DeliveryErrBadURL
	case errors.Is(err, errAddressNotAllowed):
		return checkout.DeliveryErrAddressNotAllowed
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return checkout.DeliveryErrTimeout
		}
		return checkout.DeliveryErrDNS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return checkout.DeliveryErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return checkout.DeliveryErrConnectionRefused
	case errors.As(err, &certInvalid), errors.As(err, &unknownAuthority), errors.As(err, &hostname),
		errors.As(err, &verify), errors.As(err, &header), errors.As(err, &alert):
		return checkout.DeliveryErrTLS
	}
	return checkout.DeliveryErrConnection
}
