package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/web"
)

// movableClock is a clock a test moves by hand.
type movableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movableClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movableClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Issue 12, defect 4: a 5xx answer (the provider did not answer a capture)
// is not stored under its Idempotency-Key, so retrying with the same key
// does what the README promises: it captures, instead of replaying the 502
// for 24 hours.
func TestIdempotencyKeyReleasedOn5xx(t *testing.T) {
	app := MustApp(t, nil)
	_, pid := payWorldline(t, app, "manual", "4242424242424242")
	arm, _ := json.Marshal(map[string]any{"fault": "5xx", "count": 1, "operation": "approve"})
	if res := do(t, http.MethodPost, app.SandboxURL+"/sandbox/worldline/_faults", arm, "Content-Type", "application/json"); res.Status != http.StatusNoContent {
		t.Fatalf("arming: %d %s", res.Status, res.Body)
	}
	first := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil, "Idempotency-Key", "capture-"+pid)
	if first.Status != http.StatusBadGateway || first.JSON(t)["error"].(map[string]any)["code"] != "provider_unavailable" {
		t.Fatalf("capture while the provider fails: %d %s", first.Status, first.Body)
	}
	again := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil, "Idempotency-Key", "capture-"+pid)
	if again.Status != http.StatusOK || again.JSON(t)["status"] != "captured" || again.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry with the same key: %d %s (replayed: %q); a 5xx must not be stored", again.Status, again.Body, again.Header.Get("Idempotent-Replayed"))
	}
	third := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/capture", nil, "Idempotency-Key", "capture-"+pid)
	if third.Status != http.StatusOK || third.Header.Get("Idempotent-Replayed") != "true" || string(third.Body) != string(again.Body) {
		t.Fatalf("the successful answer is replayed: %d %s", third.Status, third.Body)
	}
}

// Issue 12, defect 4: the process dies after a refund was stored and sent,
// before its answer was stored under the Idempotency-Key (here: the
// request is aborted at that step). The merchant retries with the same key
// once the key's lease has run out: it gets that refund, and the provider
// refunded once. (The crash test does the same with a SIGKILL.)
func TestIdempotentRefundRetriedAfterALostAnswer(t *testing.T) {
	clk := &movableClock{t: time.Now().UTC()}
	var armed atomic.Bool
	app := MustApp(t, nil, func(c *web.Config) {
		c.Now = clk.Now
		c.CrashPoint = func(step string) {
			if step == "refund.settled" && armed.CompareAndSwap(true, false) {
				panic(http.ErrAbortHandler) // the connection drops; nothing after this step runs
			}
		}
	})
	_, pid := payWorldline(t, app, "automatic", "4242424242424242")
	armed.Store(true)
	req, err := http.NewRequest(http.MethodPost, app.URL+"/v1/payments/"+pid+"/refunds", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Idempotency-Key", "refund-"+pid)
	// Go's transport itself retries a request with an Idempotency-Key once
	// when the connection drops: that retry meets the key still in use.
	if res, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("the aborted request answered %d %s", res.StatusCode, b)
		}
	}
	if st, _ := app.Sandbox.Worldline.Payment(pid); st.Refunded != 2500 {
		t.Fatalf("the provider refunded %d before the crash", st.Refunded)
	}
	// While the first request's lease lasts, the key is in use.
	if res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", nil, "Idempotency-Key", "refund-"+pid); res.Status != http.StatusConflict ||
		res.JSON(t)["error"].(map[string]any)["code"] != "idempotency_key_in_use" {
		t.Fatalf("retry within the lease: %d %s", res.Status, res.Body)
	}
	clk.Add(2 * time.Minute)
	res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", nil, "Idempotency-Key", "refund-"+pid)
	if res.Status != http.StatusCreated || res.JSON(t)["status"] != "succeeded" || res.JSON(t)["amount"] != float64(2500) {
		t.Fatalf("retry after the lease: %d %s", res.Status, res.Body)
	}
	p := api(t, app, http.MethodGet, "/v1/payments/"+pid, nil).JSON(t)
	if refunds := p["refunds"].([]any); len(refunds) != 1 || refunds[0].(map[string]any)["id"] != res.JSON(t)["id"] {
		t.Fatalf("refunds after the retry: %v", refunds)
	}
	if st, _ := app.Sandbox.Worldline.Payment(pid); st.Refunded != 2500 || p["amount_refunded"] != float64(2500) {
		t.Fatalf("the provider refunded %d, we say %v", st.Refunded, p["amount_refunded"])
	}
}
