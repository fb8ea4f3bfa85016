package web_test

import (
	"database/sql"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/web"
)

// scrape reads the app's /metrics and returns the value of the series
// whose name and labels are exactly series (a missing series is 0).
func scrape(t *testing.T, app *web.App) func(series string) float64 {
	t.Helper()
	res, err := http.Get(app.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", res.StatusCode, body)
	}
	values := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("unreadable metric line %q", line)
		}
		values[line[:i]] = v
	}
	return func(series string) float64 {
		if _, ok := values[series]; !ok && (!strings.Contains(series, "{") || strings.HasPrefix(series, "go_sql")) {
			t.Errorf("no series %s", series)
		}
		return values[series]
	}
}

// TestMetricsMoveWithAPayment: /metrics (on its own listener, not the
// main one) counts a Worldline payment's status, its provider call with
// its latency, the API request by route pattern and status, and shows the
// queue gauges and the pool; an API answer carries Server-Timing with the
// database and provider time.
func TestMetricsMoveWithAPayment(t *testing.T) {
	app := MustApp(t, nil, func(c *web.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if app.MetricsURL == "" {
		t.Fatal("no metrics listener")
	}
	if res := do(t, "GET", app.URL+"/metrics", nil); res.Status != http.StatusNotFound {
		t.Fatalf("/metrics on the main listener: %d, want 404 (it has a listener of its own)", res.Status)
	}
	paid := `checkout_payments_total{method="card",provider="worldline",status="succeeded"}`
	before := scrape(t, app)
	if before(paid) != 0 {
		t.Fatalf("%s before any payment: %v", paid, before(paid))
	}
	payWorldline(t, app, "automatic", "4242424242424242")
	after := scrape(t, app)
	if after(paid) != 1 {
		t.Errorf("%s after one payment: %v", paid, after(paid))
	}
	if n := after(`checkout_provider_call_duration_seconds_count{operation="pay",outcome="succeeded",provider="worldline"}`); n != 1 {
		t.Errorf("Worldline pay calls: %v, want 1", n)
	}
	if n := after(`checkout_http_requests_total{method="POST",route="/v1/checkout/sessions",status="201"}`); n != 1 {
		t.Errorf("session creations counted: %v, want 1", n)
	}
	if n := after(`checkout_http_requests_total{method="POST",route="/c/:id/pay",status="303"}`); n != 1 {
		t.Errorf("pay submits counted: %v, want 1 (by route pattern, not path)", n)
	}
	if n := after(`checkout_three_ds_flows_total{kind="frictionless"}`); n != 1 {
		t.Errorf("frictionless 3-D Secure flows: %v, want 1", n)
	}
	for _, series := range []string{"checkout_webhook_queue_depth", "checkout_webhook_oldest_pending_age_seconds",
		"checkout_payments_pending_reconciliation", `go_sql_in_use_connections{db_name="checkout"}`} {
		after(series)
	}

	res := api(t, app, http.MethodGet, "/v1/checkout/sessions?limit=1", nil)
	timing := res.Header.Get("Server-Timing")
	if !regexp.MustCompile(`^db;dur=\d+\.\d, provider;dur=\d+\.\d, app;dur=\d+\.\d$`).MatchString(timing) {
		t.Fatalf("Server-Timing %q", timing)
	}
	// A capture waits for the provider and writes: both are in its header.
	_, pid := payWorldline(t, app, "manual", "4242424242424242")
	capture := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil)
	m := regexp.MustCompile(`^db;dur=([\d.]+), provider;dur=([\d.]+), app;dur=([\d.]+)$`).FindStringSubmatch(capture.Header.Get("Server-Timing"))
	if capture.Status != 200 || m == nil {
		t.Fatalf("capture: %d, Server-Timing %q", capture.Status, capture.Header.Get("Server-Timing"))
	}
	db, _ := strconv.ParseFloat(m[1], 64)
	provider, _ := strconv.ParseFloat(m[2], 64)
	total, _ := strconv.ParseFloat(m[3], 64)
	if db <= 0 || provider <= 0 || db+provider > total+0.2 {
		t.Errorf("capture's Server-Timing: db %v, provider %v, app %v", db, provider, total)
	}
	if n := scrape(t, app)(`checkout_provider_call_duration_seconds_count{operation="capture",outcome="succeeded",provider="worldline"}`); n != 1 {
		t.Errorf("Worldline captures: %v, want 1", n)
	}
	if page := do(t, "GET", app.URL+"/", nil); page.Header.Get("Server-Timing") != "" {
		t.Error("a page (not the API) carries Server-Timing")
	}
}

// TestLiveAndReady: /livez answers while the process runs; /readyz only
// while the database answers and carries this build's migrations.
func TestLiveAndReady(t *testing.T) {
	app := MustApp(t, nil)
	for _, path := range []string{"/livez", "/readyz"} {
		if res := do(t, "GET", app.URL+path, nil); res.Status != 200 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
	}
	// A database a newer build migrated: this one must take no traffic.
	db, err := sql.Open("sqlite", app.Config.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future.sql', ?)`, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	res := do(t, "GET", app.URL+"/readyz", nil)
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(string(res.Body), "9999") {
		t.Fatalf("/readyz with a migration this build does not know: %d %s", res.Status, res.Body)
	}
	if res := do(t, "GET", app.URL+"/livez", nil); res.Status != 200 {
		t.Fatalf("/livez: %d", res.Status)
	}
}
