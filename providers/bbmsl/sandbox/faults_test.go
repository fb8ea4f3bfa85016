package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// rawAnswer is what a client got from a call that may misbehave.
type rawAnswer struct {
	status int
	body   []byte
	err    error
	took   time.Duration
}

// rawCall signs fields and posts them to path, reading whatever comes back
// within timeout (no limit when zero).
func (e *env) rawCall(t *testing.T, path string, fields map[string]any, timeout time.Duration) rawAnswer {
	t.Helper()
	fields["merchantId"] = e.creds.MerchantID
	request, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.base+path, bytes.NewReader(e.sealed(t, request)))
	req.Header.Set("Content-Type", "application/json")
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawAnswer{err: err, took: time.Since(began)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawAnswer{status: resp.StatusCode, body: b, err: err, took: time.Since(began)}
}

// savedAs saves 4242 for userID typing name on the add-card page.
func (e *env) savedAs(t *testing.T, userID, name string) string {
	t.Helper()
	followed, err := CompleteAddCardAs(t.Context(), nil, e.addToken(t, userID, nil), testcards.Visa, name, "")
	if err != nil || followed != successURL {
		t.Fatalf("saving a card as %s: %q %v", name, followed, err)
	}
	tokens := e.sb.Tokens(userID)
	return tokens[len(tokens)-1].TokenID
}

// TestFaultHolders: a magic name typed on the add-card page makes the
// token's sales misbehave; the ledger counts every charge made; replays
// answer normally.
func TestFaultHolders(t *testing.T) {
	e := newEnv(t)
	sale := func(user, token, ref string, timeout time.Duration) rawAnswer {
		t.Helper()
		return e.rawCall(t, "/tokenization/sale", e.saleFields(user, token, ref), timeout)
	}
	replay := func(user, token, ref string) {
		t.Helper()
		if a := sale(user, token, ref, 0); a.status != http.StatusOK || !json.Valid(a.body) || e.sb.Charges(ref) != 1 {
			t.Fatalf("replay of %s: %d %s, charges %d", ref, a.status, a.body, e.sb.Charges(ref))
		}
	}

	tok := e.savedAs(t, "u-5xx", sandboxfault.HolderServerError)
	if a := sale("u-5xx", tok, "r-5xx", 0); a.status != http.StatusInternalServerError {
		t.Fatalf("server error: %d %s", a.status, a.body)
	}
	if _, ok := e.sb.Order("r-5xx"); ok {
		t.Fatal("an order was made")
	}

	tok = e.savedAs(t, "u-malformed", sandboxfault.HolderMalformed)
	for _, ref := range []string{"r-malformed-1", "r-malformed-2"} { // every new sale with the token
		if a := sale("u-malformed", tok, ref, 0); a.status != http.StatusOK || json.Valid(a.body) || e.sb.Charges(ref) != 1 {
			t.Fatalf("malformed %s: %d %s", ref, a.status, a.body)
		}
	}
	replay("u-malformed", tok, "r-malformed-1")

	tok = e.savedAs(t, "u-reset", sandboxfault.HolderReset)
	if a := sale("u-reset", tok, "r-reset", 0); a.err == nil || e.sb.Charges("r-reset") != 1 {
		t.Fatalf("reset: %d, charges %d", a.status, e.sb.Charges("r-reset"))
	}
	replay("u-reset", tok, "r-reset")

	tok = e.savedAs(t, "u-timeout", sandboxfault.HolderTimeout)
	if a := sale("u-timeout", tok, "r-timeout", 300*time.Millisecond); a.err == nil || e.sb.Charges("r-timeout") != 1 {
		t.Fatalf("timeout: %d, charges %d", a.status, e.sb.Charges("r-timeout"))
	}
	replay("u-timeout", tok, "r-timeout")

	tok = e.savedAs(t, "u-slow", sandboxfault.HolderSlow)
	if a := sale("u-slow", tok, "r-slow", 0); a.status != http.StatusOK || a.took < sandboxfault.DefaultSlowDelay {
		t.Fatalf("slow: %d after %v", a.status, a.took)
	}
	if e.sb.TotalCharges() != 5 {
		t.Fatalf("%d charges in all, want 5", e.sb.TotalCharges())
	}
}

// TestInjectedFaults: a fault armed over HTTP hits only the operation it
// names; a 5xx does nothing.
func TestInjectedFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.saveCard(t, "u-1", testcards.Visa)
	resp, err := http.Post(e.base+sandboxfault.Path, "application/json", bytes.NewReader([]byte(`{"fault":"5xx","operation":"void"}`)))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("arming: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, a := e.call(t, "/tokenization/sale", e.saleFields("u-1", tok, "r-1")); status != http.StatusOK || code(a) != bbmsl.CodeSuccess {
		t.Fatalf("sale: %d %v", status, a)
	}
	if status, a := e.call(t, "/tokenization/query", map[string]any{"merchantReference": "r-1"}); status != http.StatusOK || code(a) != bbmsl.CodeSuccess {
		t.Fatalf("query: %d %v", status, a)
	}
	if a := e.rawCall(t, "/tokenization/void", map[string]any{"merchantReference": "r-1"}, 0); a.status != http.StatusBadGateway {
		t.Fatalf("void under 5xx: %d %s", a.status, a.body)
	}
	if o, _ := e.sb.Order("r-1"); o.Status != statusSuccess {
		t.Fatalf("the 5xx voided: %+v", o)
	}
	if status, a := e.call(t, "/tokenization/void", map[string]any{"merchantReference": "r-1"}); status != http.StatusOK || code(a) != bbmsl.CodeSuccess {
		t.Fatalf("void: %d %v", status, a)
	}
	if o, _ := e.sb.Order("r-1"); o.Status != statusVoided || e.sb.Charges("r-1") != 1 {
		t.Fatalf("after the void: %+v", o)
	}
}
