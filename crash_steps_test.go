package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
)

// TestCrashAtEveryStep kills the server (SIGKILL, from inside, at an exact
// step) at each step of a payment and of a refund: before the provider
// call, during it, after its answer came and before it was stored, and
// after it was stored but before the answer went out (for a refund, before
// the Idempotency-Key's answer was stored). The server comes back on the
// same database; every session, payment and refund must reach a final state
// on its own (the reconciler, the refund inquiries, the expiry), the
// Worldline sandbox's ledger must agree (one charge per succeeded payment,
// none for a failed one; refunded exactly what succeeded), a refund request
// retried under its Idempotency-Key must find its refund and never refund
// twice, every webhook must arrive, and nothing may be left created,
// processing or pending.
func TestCrashAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server as a child process")
	}
	for _, step := range []string{"pay.created", "pay.during", "pay.answered", "pay.settled"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			crashPayment(t, step)
		})
	}
	for _, step := range []string{"refund.created", "refund.during", "refund.answered", "refund.settled"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			crashRefund(t, step)
		})
	}
}

// newStepRig is a crash rig whose provider calls time out after 2 s (so a
// call cut short is taken over by the reconciler 9 s later), whose
// providers' "not found" is believed after 1 s, and whose Idempotency-Key
// lease is 2 s.
func newStepRig(t *testing.T) *crashRig {
	rig := newCrashRig(t)
	rig.env = append(rig.env, "CHECKOUT_PROVIDER_TIMEOUT=2s", "CHECKOUT_PROVIDER_NOT_FOUND_AFTER=1s",
		childLeaseEnv+"=2s")
	return rig
}

// dies waits for a child that killed itself (or is killed) to be gone.
func (r *crashRig) dies() {
	r.t.Helper()
	done := make(chan struct{})
	go func() { _ = r.child.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		r.t.Fatal("the server did not die at its crash point")
	}
}

// keyed sends a merchant API request with an Idempotency-Key; err is set
// when no answer came (the server died).
func (r *crashRig) keyed(method, path, key string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+r.addr+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	// No transport-level retry: a fresh client with keep-alives off.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out, nil
}

func crashPayment(t *testing.T, step string) {
	rig := newStepRig(t)
	sid := ""
	switch step {
	case "pay.during":
		// Worldline authorises, then holds its answer; the server is
		// killed while it waits.
		rig.start()
		if err := rig.sandbox.InjectFault(sandboxfault.Fault{Kind: sandboxfault.Slow, Operation: wlsandbox.OperationCreate, Delay: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		sid = rig.newSession()
		go rig.pay(sid)
		rig.eventually("Worldline to charge the payment", 10*time.Second, func() bool {
			p := rig.payment(sid)
			return p != nil && rig.sandbox.Charges(p["id"].(string)) == 1
		})
		rig.kill()
		rig.sandbox.ClearFaults()
	default:
		rig.start(crashAtEnv + "=" + step)
		sid = rig.newSession()
		rig.pay(sid)
		rig.dies()
	}
	rig.start()

	// The payment reaches its true outcome without anyone asking.
	var final map[string]any
	rig.eventually("the payment to settle", 40*time.Second, func() bool {
		final = rig.payment(sid)
		return final != nil && final["status"] != "processing" && final["status"] != "pending" && final["status"] != "created"
	})
	pid := final["id"].(string)
	charges := rig.sandbox.Charges(pid)
	switch {
	case step == "pay.created":
		// Killed before Worldline was called: nothing charged; Worldline
		// has no such payment, so it failed, and the session can be
		// expired (or paid again).
		if final["status"] != "failed" || charges != 0 {
			t.Fatalf("payment killed before the provider call: %v with %d charges", final["status"], charges)
		}
		if status, s := rig.api(http.MethodPost, "/v1/checkout/sessions/"+sid+"/expire", nil); status != 200 || s["status"] != "expired" {
			t.Fatalf("expiring the session: %d %v", status, s)
		}
		rig.eventually("the expiry webhook", 20*time.Second, func() bool { return rig.receiver.has(sid, "checkout.session.expired") })
	default:
		if final["status"] != "succeeded" || charges != 1 {
			t.Fatalf("payment killed at %s: %v with %d charges, want succeeded and charged once", step, final["status"], charges)
		}
		rig.eventually("the payment's webhooks", 20*time.Second, func() bool {
			return rig.receiver.has(pid, "payment.succeeded") && rig.receiver.has(sid, "checkout.session.completed")
		})
	}
	rig.checkNothingLeft()
}

func crashRefund(t *testing.T, step string) {
	rig := newStepRig(t)
	rig.start()
	sid := rig.newSession()
	rig.pay(sid)
	p := rig.payment(sid)
	if p == nil || p["status"] != "succeeded" {
		t.Fatalf("payment before the refund: %v", p)
	}
	pid := p["id"].(string)
	key := "refund-" + step
	body := map[string]any{"amount": 600}
	switch step {
	case "refund.during":
		// Worldline refunds, then holds its answer; the server is killed
		// while it waits.
		if err := rig.sandbox.InjectFault(sandboxfault.Fault{Kind: sandboxfault.Slow, Operation: wlsandbox.OperationRefund, Delay: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		go func() { _, _, _ = rig.keyed(http.MethodPost, "/v1/payments/"+pid+"/refunds", key, body) }()
		rig.eventually("Worldline to refund", 10*time.Second, func() bool {
			st, _ := rig.sandbox.Payment(pid)
			return st.Refunded == 600
		})
		rig.kill()
		rig.sandbox.ClearFaults()
	default:
		rig.kill()
		rig.start(crashAtEnv + "=" + step)
		if status, out, err := rig.keyed(http.MethodPost, "/v1/payments/"+pid+"/refunds", key, body); err == nil {
			t.Fatalf("the refund answered %d %v; the server should have died at %s", status, out, step)
		}
		rig.dies()
	}
	rig.start()

	// The refund settles without anyone asking.
	var refund map[string]any
	rig.eventually("the refund to settle", 40*time.Second, func() bool {
		_, pay := rig.api(http.MethodGet, "/v1/payments/"+pid, nil)
		refunds, _ := pay["refunds"].([]any)
		if len(refunds) != 1 {
			return false
		}
		refund = refunds[0].(map[string]any)
		return refund["status"] != "pending"
	})
	if refund["status"] != "succeeded" {
		t.Fatalf("refund killed at %s: %v", step, refund)
	}
	// The merchant retries the request that got no answer (as told, again
	// while the key is still held): the same refund.
	var status int
	var again map[string]any
	var err error
	rig.eventually("the key's lease to run out", 10*time.Second, func() bool {
		status, again, err = rig.keyed(http.MethodPost, "/v1/payments/"+pid+"/refunds", key, body)
		code, _ := again["error"].(map[string]any)
		return err != nil || status != http.StatusConflict || code["code"] != "idempotency_key_in_use"
	})
	if err != nil || status != 201 || again["id"] != refund["id"] || again["status"] != "succeeded" {
		t.Fatalf("retry under the same key: %d %v %v, want refund %v", status, again, err, refund["id"])
	}
	_, pay := rig.api(http.MethodGet, "/v1/payments/"+pid, nil)
	st, _ := rig.sandbox.Payment(pid)
	if st.Refunded != 600 || pay["amount_refunded"] != float64(600) || pay["status"] != "partially_refunded" || len(pay["refunds"].([]any)) != 1 {
		t.Fatalf("after the retry: Worldline refunded %d; we say %v refunded, %v, %d refunds", st.Refunded, pay["amount_refunded"], pay["status"], len(pay["refunds"].([]any)))
	}
	rig.eventually("the refund's webhooks", 20*time.Second, func() bool {
		return rig.receiver.has(refund["id"].(string), "refund.succeeded") && rig.receiver.has(pid, "payment.refunded")
	})
	rig.checkNothingLeft()
}

// checkNothingLeft reads the database: no payment created, processing or
// pending, no refund pending, no open session without a payment on its way
// past its expiry, every webhook delivered and verified, no card data.
func (r *crashRig) checkNothingLeft() {
	r.t.Helper()
	db, err := sql.Open("sqlite", "file:"+r.db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []struct{ what, query string }{
		{"payments left in flight", `SELECT count(*) FROM payments WHERE status IN ('created', 'processing', 'pending', 'requires_action')`},
		{"refunds left pending", `SELECT count(*) FROM refunds WHERE status = 'pending'`},
		{"undelivered webhooks", `SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'`},
	} {
		var n int
		if err := db.QueryRow(q.query).Scan(&n); err != nil {
			r.t.Fatal(err)
		}
		if n != 0 {
			if q.what == "undelivered webhooks" {
				// They may be on their way: give the relay its time.
				r.eventually(q.what+" to be delivered", 20*time.Second, func() bool {
					_ = db.QueryRow(q.query).Scan(&n)
					return n == 0
				})
				continue
			}
			r.t.Errorf("%d %s", n, q.what)
		}
	}
	r.receiver.mu.Lock()
	bad := r.receiver.bad
	r.receiver.mu.Unlock()
	if bad != 0 {
		r.t.Errorf("%d webhooks failed signature verification", bad)
	}
	r.scanForCardData()
}

// scanForCardData looks for the test card's number and code in the
// database, its WAL and the server's logs.
func (r *crashRig) scanForCardData() {
	r.t.Helper()
	for _, f := range append([]string{r.db, r.db + "-wal"}, r.logs...) {
		b, err := readIfExists(f)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, needle := range []string{"4242424242424242", "4242 4242 4242 4242", `"737"`, "=737&"} {
			if strings.Contains(string(b), needle) {
				r.t.Errorf("card data %q at rest in %s", needle, f)
			}
		}
	}
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil && strings.Contains(err.Error(), "no such file") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}
