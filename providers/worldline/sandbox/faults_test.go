package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// arm posts a fault to the control endpoint.
func (e *env) arm(t *testing.T, fault string) {
	t.Helper()
	resp, err := http.Post(e.base+sandboxfault.Path, "application/json", bytes.NewReader([]byte(fault)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("arming %s: HTTP %d", fault, resp.StatusCode)
	}
}

func holder(name string) func(map[string]any) {
	return func(b map[string]any) { set(b, "cardPaymentMethodSpecificInput.card.cardholderName", name) }
}

// TestFaultHolders: each magic cardholder name misbehaves on create as
// documented, the ledger counts what was authorised, and the idempotent
// replay answers normally.
func TestFaultHolders(t *testing.T) {
	e := newEnv(t)
	replay := func(t *testing.T, ref string) {
		t.Helper()
		r := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.Visa, ref), key: ref})
		if r.status != http.StatusCreated || !json.Valid(r.body) || r.header.Get(headerIdempotenceTimestamp) == "" {
			t.Fatalf("replay: %d %s", r.status, r.body)
		}
		if e.sb.Charges(ref) != 1 {
			t.Fatalf("charges after the replay: %d", e.sb.Charges(ref))
		}
	}

	t.Run("server error", func(t *testing.T) {
		ref, r := e.create(testcards.Visa, holder(sandboxfault.HolderServerError))
		if r.status != http.StatusInternalServerError || r.path(t, "errors.0.code") != "9999" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if _, ok := e.sb.Payment(ref); ok || e.sb.Charges(ref) != 0 {
			t.Fatal("a payment was made")
		}
	})
	t.Run("malformed", func(t *testing.T) {
		ref, r := e.create(testcards.Visa, holder(sandboxfault.HolderMalformed))
		if r.status != http.StatusCreated || json.Valid(r.body) || r.header.Get("Location") == "" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if st, _ := e.sb.Payment(ref); st.Status != statusPendingApproval || e.sb.Charges(ref) != 1 {
			t.Fatalf("ledger: %+v, %d charges", st, e.sb.Charges(ref))
		}
		replay(t, ref)
	})
	t.Run("reset", func(t *testing.T) {
		ref, r := e.create(testcards.Visa, holder(sandboxfault.HolderReset))
		if r.err == nil {
			t.Fatalf("answered %d %s", r.status, r.body)
		}
		replay(t, ref)
	})
	t.Run("slow", func(t *testing.T) {
		began := time.Now()
		ref, r := e.create(testcards.Visa, holder(sandboxfault.HolderSlow))
		if r.status != http.StatusCreated || !json.Valid(r.body) || time.Since(began) < sandboxfault.DefaultSlowDelay {
			t.Fatalf("%d %s after %v", r.status, r.body, time.Since(began))
		}
		if e.sb.Charges(ref) != 1 {
			t.Fatal("not charged")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		ref := newReference()
		body := set(createBody(testcards.Visa, ref), "cardPaymentMethodSpecificInput.card.cardholderName", sandboxfault.HolderTimeout)
		r := e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref,
			after: func(r *http.Request) { *r = *r.WithContext(ctx) }})
		if r.err == nil {
			t.Fatalf("answered %d %s", r.status, r.body)
		}
		if e.sb.Charges(ref) != 1 {
			t.Fatal("the timed-out payment was not authorised")
		}
		replay(t, ref)
	})
}

// TestInjectedFaults: faults armed over HTTP hit only the calls they name,
// as many as they count; a 5xx does nothing and remembers nothing.
func TestInjectedFaults(t *testing.T) {
	e := newEnv(t)

	// 5xx on approve: the create before it is not touched.
	e.arm(t, `{"fault":"5xx","operation":"approve"}`)
	ref, r := e.create(testcards.Visa)
	c, _ := paymentOf(t, r)
	find := e.do(call{method: http.MethodGet, path: "/payments", query: "merchantReference=" + ref})
	if find.status != http.StatusOK || len(e.sb.ArmedFaults()) != 1 {
		t.Fatalf("create or find used the approve fault: %d, armed %v", find.status, e.sb.ArmedFaults())
	}
	approve := call{method: http.MethodPost, path: "/payments/" + c.Payment.ID + "/approve", body: map[string]any{}, key: ref + "-approve"}
	if a := e.do(approve); a.status != http.StatusBadGateway {
		t.Fatalf("approve under 5xx: %d %s", a.status, a.body)
	}
	if st, _ := e.sb.Payment(ref); st.Status != statusPendingApproval || st.Captured != 0 {
		t.Fatalf("the 5xx approved: %+v", st)
	}
	if a := e.do(approve); a.status != http.StatusOK || a.header.Get(headerIdempotenceTimestamp) != "" {
		t.Fatalf("approve after the 5xx: %d %v %s (the key must not have been remembered)", a.status, a.header, a.body)
	}
	if st, _ := e.sb.Payment(ref); st.Captured != 1234 {
		t.Fatalf("not captured: %+v", st)
	}

	// Two slow creates, then none.
	e.arm(t, `{"fault":"slow","count":2,"operation":"create","delay_ms":200}`)
	for i := range 2 {
		began := time.Now()
		if _, r := e.create(testcards.Visa); r.status != http.StatusCreated || time.Since(began) < 200*time.Millisecond {
			t.Fatalf("slow create %d: %d after %v", i, r.status, time.Since(began))
		}
	}
	if len(e.sb.ArmedFaults()) != 0 {
		t.Fatalf("still armed: %v", e.sb.ArmedFaults())
	}

	// A malformed answer is the real answer cut short; the replay is whole.
	e.arm(t, `{"fault":"malformed"}`)
	ref, r = e.create(testcards.Visa)
	if r.status != http.StatusCreated || json.Valid(r.body) || e.sb.Charges(ref) != 1 {
		t.Fatalf("malformed: %d %s, %d charges", r.status, r.body, e.sb.Charges(ref))
	}
	again := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.Visa, ref), key: ref})
	if again.status != http.StatusCreated || !json.Valid(again.body) || e.sb.Charges(ref) != 1 || e.sb.TotalCharges() != 4 {
		t.Fatalf("replay: %d %s, %d charges, %d in all", again.status, again.body, e.sb.Charges(ref), e.sb.TotalCharges())
	}

	// A reset on a replay: the call counts, nothing more is charged.
	e.arm(t, `{"fault":"reset"}`)
	if r := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.Visa, ref), key: ref}); r.err == nil {
		t.Fatalf("reset: %d", r.status)
	}
	if e.sb.Charges(ref) != 1 {
		t.Fatal("a replay charged again")
	}
}
