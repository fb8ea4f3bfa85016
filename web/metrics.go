package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

// metrics is what /metrics shows (Prometheus' text format, on
// CHECKOUT_METRICS_ADDR, a listener of its own): HTTP requests by route and
// status with their latency, payments by provider, method and status
// reached, 3-D Secure flows by kind, provider calls by provider, operation
// and outcome with their latency, webhook delivery attempts by outcome, and
// at each scrape the webhook queue's depth and oldest delivery's age, the
// payments being reconciled and the database pool's use.
type metrics struct {
	registry         *prometheus.Registry
	timingEverywhere bool // Config.ServerTimingEverywhere
	requests         *prometheus.CounterVec
	latency          *prometheus.HistogramVec
	payments         *prometheus.CounterVec
	threeDS          *prometheus.CounterVec
	providerCalls    *prometheus.HistogramVec
	webhooks         *prometheus.CounterVec
}

// Latency buckets, in seconds: a page in milliseconds, a provider call in
// up to its timeout.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics(store *sqlstore.DB) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "checkout_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status."}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "checkout_http_request_duration_seconds",
		Help: "Time to answer an HTTP request, by route pattern and method.", Buckets: latencyBuckets}, []string{"route", "method"})
	m.payments = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "checkout_payments_total",
		Help: "Payments reaching a status, by provider, method and status (the outcome)."}, []string{"provider", "method", "status"})
	m.threeDS = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "checkout_three_ds_flows_total",
		Help: "3-D Secure flows by kind: frictionless, challenge, redirect, device_data_timeout."}, []string{"kind"})
	m.providerCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "checkout_provider_call_duration_seconds",
		Help:    "Calls to payment providers, by provider, operation and outcome (the answer's status or the failure's class).",
		Buckets: latencyBuckets}, []string{"provider", "operation", "outcome"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "checkout_webhook_attempts_total",
		Help: "Merchant webhook delivery attempts by outcome: succeeded, failed (given up), pending (to be tried again)."}, []string{"outcome"})
	m.registry.MustRegister(m.requests, m.latency, m.payments, m.threeDS, m.providerCalls, m.webhooks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(store.Pool(), "checkout"), &queueCollector{store: store})
	return m
}

// ProviderCall, PaymentStatus and ThreeDS make metrics the service's
// checkout.Observer.
func (m *metrics) ProviderCall(provider, operation, outcome string, took time.Duration) {
	m.providerCalls.WithLabelValues(provider, operation, outcome).Observe(took.Seconds())
}

func (m *metrics) PaymentStatus(provider string, method checkout.PaymentMethod, status checkout.PaymentStatus) {
	m.payments.WithLabelValues(provider, string(method), string(status)).Inc()
}

func (m *metrics) ThreeDS(kind string) { m.threeDS.WithLabelValues(kind).Inc() }

// webhookAttempt is the relay's OnAttempt.
func (m *metrics) webhookAttempt(outcome string) { m.webhooks.WithLabelValues(outcome).Inc() }

// middleware counts each request by its route pattern (never the path: ids
// would make a series per session), and gives merchant API requests a
// Server-Timing header: the time spent in the database and waiting for
// providers (checkout.Timing); with Config.ServerTimingEverywhere, every
// answer but the sandboxes' gets it.
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if path := c.Request().URL.Path; strings.HasPrefix(path, "/v1/") || m.timingEverywhere && !strings.HasPrefix(path, "/sandbox/") {
			ctx, timing := checkout.WithTiming(c.Request().Context())
			c.SetRequest(c.Request().WithContext(ctx))
			c.Response().Before(func() {
				db, provider := timing.Spent()
				c.Response().Header().Set("Server-Timing", fmt.Sprintf("db;dur=%.1f, provider;dur=%.1f, app;dur=%.1f",
					ms(db), ms(provider), ms(time.Since(start))))
			})
		}
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || c.Response().Status == http.StatusNotFound && strings.Contains(route, "*") {
			route = "unmatched"
		}
		method := c.Request().Method
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return nil
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// queueCollector reads the waiting work at each scrape (bounded to 5 s; a
// store that does not answer yields an error metric, not a hung scrape).
type queueCollector struct{ store *sqlstore.DB }

var (
	webhookQueueDesc = prometheus.NewDesc("checkout_webhook_queue_depth", "Merchant webhook deliveries waiting to be delivered.", nil, nil)
	webhookAgeDesc   = prometheus.NewDesc("checkout_webhook_oldest_pending_age_seconds",
		"Age of the oldest merchant webhook delivery still waiting (0 when none waits).", nil, nil)
	reconcilingDesc = prometheus.NewDesc("checkout_payments_pending_reconciliation",
		"Payments whose outcome is unknown (processing or pending) that the reconciler asks the provider about.", nil, nil)
)

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- webhookQueueDesc
	ch <- webhookAgeDesc
	ch <- reconcilingDesc
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := q.store.OperationalStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(webhookQueueDesc, err)
		return
	}
	age := 0.0
	if !st.OldestWebhook.IsZero() {
		age = max(time.Since(st.OldestWebhook).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(webhookQueueDesc, prometheus.GaugeValue, float64(st.WebhooksPending))
	ch <- prometheus.MustNewConstMetric(webhookAgeDesc, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(reconcilingDesc, prometheus.GaugeValue, float64(st.PaymentsReconciling))
}

// serveMetrics serves /metrics on ln until ctx ends.
func (m *metrics) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
