package sandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// cardForm is the add-card form filled with card.
func cardForm(card string) url.Values {
	return url.Values{"card-number": {card}, "card-expiry": {"12/39"}, "card-cvc": {"123"}, "cardholder-name": {"Jane Doe"}}
}

// wantFail checks that a request on a page was sent to callbackUrl.fail.
func wantFail(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != failURL {
		t.Errorf("%s: HTTP %d to %q, want 303 to the fail URL", what, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// activeTokens is what query-token (the adapter's SavedCards) lists for userID.
func (e *env) activeTokens(t *testing.T, userID string) int {
	t.Helper()
	_, a := e.call(t, "/tokenization/query-token", map[string]any{"userId": userID})
	if code(a) != bbmsl.CodeSuccess {
		t.Fatalf("query-token %s: %v", userID, a)
	}
	list, _ := a["list"].([]any)
	return len(list)
}

// TestActionTimeoutExpiresWaitingPages: a hosted add-card page still
// waiting for its card, or for its one-time code, longer than
// Config.ActionTimeout expires as a failed authentication (no card saved,
// every request to callbackUrl.fail, nothing charged), while a page
// finished in time, its token and the order charged with it are unchanged.
func TestActionTimeoutExpiresWaitingPages(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ActionTimeout = 20 * time.Second })

	idle := e.addToken(t, "user-idle", nil) // the shopper never types a card
	challenged := e.addToken(t, "user-challenged", nil)
	if resp, doc := page(t, http.MethodPost, challenged, cardForm(testcards.Challenge)); resp.StatusCode != http.StatusOK || hook(doc, "otp-input").Length() != 1 {
		t.Fatalf("challenge page: HTTP %d", resp.StatusCode)
	}
	challenge := e.base + "/token/challenge?" + must(url.Parse(challenged)).RawQuery
	done := e.addToken(t, "user-done", nil) // finished in time
	if followed, err := CompleteAddCard(t.Context(), nil, done, testcards.Visa, ""); err != nil || followed != successURL {
		t.Fatalf("saving a card in time: %q, %v", followed, err)
	}
	token := e.sb.Tokens("user-done")[0].TokenID
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("user-done", token, "pay_before")); code(a) != bbmsl.CodeSuccess {
		t.Fatalf("sale before the timeout: %v", a)
	}

	// Exactly the timeout is not longer than it: the pages still wait.
	e.clock.Advance(20 * time.Second)
	if resp, doc := page(t, http.MethodGet, idle, nil); resp.StatusCode != http.StatusOK || hook(doc, "card-number").Length() != 1 {
		t.Errorf("idle page at the timeout: HTTP %d", resp.StatusCode)
	}
	if resp, doc := page(t, http.MethodGet, challenged, nil); resp.StatusCode != http.StatusOK || hook(doc, "otp-input").Length() != 1 {
		t.Errorf("challenge page at the timeout: HTTP %d", resp.StatusCode)
	}

	e.clock.Advance(time.Second)
	// The shopper comes back late: the card form and the right code
	// save nothing and go to the fail URL, as a failed authentication.
	resp, _ := page(t, http.MethodPost, idle, cardForm(testcards.Visa))
	wantFail(t, "late card", resp)
	resp, _ = page(t, http.MethodPost, challenge, url.Values{"otp": {ChallengeCode}})
	wantFail(t, "late one-time code", resp)
	for _, u := range []string{idle, challenged} {
		resp, _ = page(t, http.MethodGet, u, nil)
		wantFail(t, "expired page", resp)
	}
	resp, _ = page(t, http.MethodGet, e.base+"/token/cancel?"+must(url.Parse(idle)).RawQuery, nil)
	wantFail(t, "cancel after expiry", resp)
	if _, err := CompleteAddCard(t.Context(), nil, idle, testcards.Visa, ""); err == nil {
		t.Error("CompleteAddCard filled an expired page")
	}
	for _, user := range []string{"user-idle", "user-challenged"} {
		if n, all := e.activeTokens(t, user), len(e.sb.Tokens(user)); n != 0 || all != 0 {
			t.Errorf("%s: %d active tokens, %d in all, after the page expired", user, n, all)
		}
	}
	if n := e.sb.TotalCharges(); n != 1 {
		t.Errorf("%d charges, want the one sale made in time", n)
	}

	// The page finished in time: its token stays and charges, and its
	// order still reads as paid.
	if n := e.activeTokens(t, "user-done"); n != 1 {
		t.Errorf("user-done: %d active tokens after the timeout", n)
	}
	if _, a := e.call(t, "/tokenization/query", map[string]any{"merchantReference": "pay_before"}); code(a) != bbmsl.CodeSuccess ||
		a["transaction"].(map[string]any)["status"] != statusSuccess {
		t.Errorf("the order made in time reads %v", a)
	}
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("user-done", token, "pay_after")); code(a) != bbmsl.CodeSuccess {
		t.Errorf("sale after the timeout: %v", a)
	}
	if e.sb.Charges("pay_before") != 1 || e.sb.Charges("pay_after") != 1 || e.sb.TotalCharges() != 2 {
		t.Errorf("charges: before %d, after %d, total %d", e.sb.Charges("pay_before"), e.sb.Charges("pay_after"), e.sb.TotalCharges())
	}
	// A page finished in time is not expired after the fact: it still
	// shows where it sent the shopper.
	if resp, doc := page(t, http.MethodGet, done, nil); resp.StatusCode != http.StatusOK || hook(doc, "add-card-return").AttrOr("href", "") != successURL {
		t.Errorf("the page finished in time: HTTP %d", resp.StatusCode)
	}
}

// TestActionTimeoutDefault: with Config.ActionTimeout 0 a page waits
// registry.DefaultActionTimeout, 15 minutes; Start passes
// SandboxEnv.ActionTimeout through.
func TestActionTimeoutDefault(t *testing.T) {
	if registry.DefaultActionTimeout != 15*time.Minute {
		t.Fatalf("DefaultActionTimeout is %v", registry.DefaultActionTimeout)
	}
	e := newEnv(t)
	p := e.addToken(t, "user-default", nil)
	e.clock.Advance(15 * time.Minute)
	if resp, _ := page(t, http.MethodGet, p, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("page after 15 minutes: HTTP %d, want 200", resp.StatusCode)
	}
	e.clock.Advance(time.Second)
	resp, _ := page(t, http.MethodPost, p, cardForm(testcards.Visa))
	wantFail(t, "card after 15 minutes and a second", resp)
	if n := len(e.sb.Tokens("user-default")); n != 0 {
		t.Errorf("%d tokens saved by an expired page", n)
	}

	for _, tc := range []struct{ set, want time.Duration }{{0, 15 * time.Minute}, {7 * time.Minute, 7 * time.Minute}} {
		st, err := Start(registry.SandboxEnv{PublicURL: "http://127.0.0.1:1" + mount, InternalURL: "http://127.0.0.1:1" + mount, ActionTimeout: tc.set})
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Sandbox.(*Sandbox).actionTimeout; got != tc.want {
			t.Errorf("Start with ActionTimeout %v: %v, want %v", tc.set, got, tc.want)
		}
		_ = st.Sandbox.Close()
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
