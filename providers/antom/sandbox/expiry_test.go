package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// clock is the sandbox's injectable clock, moved by hand. Notification
// goroutines read it too, hence the lock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// noRedirect is a browser that shows where a page sends it instead of going.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestActionTimeoutExpires: a challenge nobody answers is FAIL
// ORDER_IS_CLOSED with nothing charged once ActionTimeout has passed,
// whichever reader meets it first, and every reader then agrees.
func TestActionTimeoutExpires(t *testing.T) {
	const timeout = 10 * time.Minute
	for _, first := range []string{"inquiryPayment", "pay replay", "page", "page answer", "cancel", "capture", "ledger"} {
		t.Run(first, func(t *testing.T) {
			clk := newClock()
			e := newTestEnv(t, func(c *sandbox.Config) { c.Now, c.ActionTimeout = clk.Now, timeout })
			id := newID()
			body := payBody(id, testcards.Challenge, func(b map[string]any) {
				b["paymentNotifyUrl"] = e.srv.URL + "/notify/antom"
				b["paymentFactor"] = map[string]any{"isAuthorization": true, "captureMode": "MANUAL"}
			})
			u := e.post(t, "pay", body)
			normal, _ := u.fields["normalUrl"].(string)
			paymentID, _ := u.fields["paymentId"].(string)
			if u.code() != "PAYMENT_IN_PROCESS" || normal == "" {
				t.Fatalf("pay: %s", u.raw)
			}

			clk.advance(timeout - time.Second)
			if st, _ := e.sb.PaymentState(id); st.Status != "PROCESSING" {
				t.Fatalf("expired a second early: %+v", st)
			}
			clk.advance(2 * time.Second)

			switch first {
			case "inquiryPayment":
				q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id})
				if q.fields["paymentStatus"] != "FAIL" || q.fields["paymentResultCode"] != "ORDER_IS_CLOSED" || q.fields["paymentTime"] != nil {
					t.Errorf("inquiry: %s", q.raw)
				}
			case "pay replay":
				if a := e.post(t, "pay", body); a.resultStatus() != "F" || a.code() != "ORDER_IS_CLOSED" || a.fields["normalUrl"] != nil {
					t.Errorf("replay: %s", a.raw)
				}
			case "page":
				// The shopper arrives late: back to the merchant, as after a
				// failed authentication, with no code asked for.
				resp, err := noRedirect.Get(normal)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://checkout.example.com/return/"+id {
					t.Errorf("late page: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
				}
			case "page answer":
				// The right code, sent after the timeout.
				resp, err := noRedirect.PostForm(normal, url.Values{"otp": {testcards.ChallengeCode}, "action": {"submit"}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://checkout.example.com/return/"+id {
					t.Errorf("late answer: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
				}
			case "cancel":
				if a := e.post(t, "cancel", map[string]string{"paymentRequestId": id}); a.resultStatus() != "F" || a.code() != "ORDER_IS_CLOSED" {
					t.Errorf("cancel: %s", a.raw)
				}
			case "capture":
				c := map[string]any{"captureRequestId": id + "-capture", "paymentId": paymentID, "captureAmount": map[string]any{"currency": "USD", "value": "1234"}}
				if a := e.post(t, "capture", c); a.resultStatus() != "F" || a.code() != "ORDER_IS_CLOSED" {
					t.Errorf("capture: %s", a.raw)
				}
			}

			st, ok := e.sb.PaymentState(id)
			if !ok || st.Status != "FAIL" || st.ResultCode != "ORDER_IS_CLOSED" || st.Authorisations != 0 || st.Captured != 0 || st.ECI != "" {
				t.Errorf("ledger %+v, want FAIL ORDER_IS_CLOSED with nothing charged", st)
			}
			if n, all := e.sb.Charges(id), e.sb.TotalCharges(); n != 0 || all != 0 {
				t.Errorf("charges %d, total %d", n, all)
			}
			q := e.post(t, "inquiryPayment", map[string]string{"paymentId": paymentID})
			if q.fields["paymentStatus"] != "FAIL" || q.fields["paymentResultCode"] != "ORDER_IS_CLOSED" || q.fields["transactions"] != nil ||
				field(q.fields, "paymentResultInfo.threeDSResult") != nil {
				t.Errorf("inquiry afterwards: %s", q.raw)
			}
			if a := e.post(t, "pay", body); a.resultStatus() != "F" || a.code() != "ORDER_IS_CLOSED" {
				t.Errorf("replay afterwards: %s", a.raw)
			}
			// Reopened later still: back to the merchant; nothing moves it.
			resp, err := noRedirect.PostForm(normal, url.Values{"otp": {testcards.ChallengeCode}, "action": {"submit"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if again, _ := e.sb.PaymentState(id); resp.StatusCode != http.StatusSeeOther || again.Status != "FAIL" || e.sb.Charges(id) != 0 {
				t.Errorf("answer afterwards: HTTP %d, %+v", resp.StatusCode, again)
			}

			// One notifyPayment, F ORDER_IS_CLOSED, signed as usual.
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if err := e.sb.WaitNotifications(ctx); err != nil {
				t.Fatal(err)
			}
			ds := e.sb.Deliveries()
			if len(ds) != 1 || ds[0].NotifyType != "PAYMENT_RESULT" || ds[0].PaymentRequestID != id || !ds[0].Acknowledged ||
				!strings.Contains(string(ds[0].Body), `"resultCode":"ORDER_IS_CLOSED","resultStatus":"F"`) || strings.Contains(string(ds[0].Body), "paymentTime") {
				t.Errorf("deliveries %+v", ds)
			}
			for _, r := range e.sink.got() {
				if _, err := alipaysign.VerifyMessage(e.antomPub, r.header, alipaysign.HeaderRequestTime, http.MethodPost, r.uri, e.creds.ClientID, r.body); err != nil {
					t.Errorf("notification signature: %v", err)
				}
			}
		})
	}
}

// TestActionTimeoutSparesFinished: payments that stopped waiting before
// the timeout (answered, canceled, never challenged) keep their outcome
// however long afterwards they are read.
func TestActionTimeoutSparesFinished(t *testing.T) {
	const timeout = 5 * time.Minute
	clk := newClock()
	e := newTestEnv(t, func(c *sandbox.Config) { c.Now, c.ActionTimeout = clk.Now, timeout })

	passed, failed, canceled, frictionless := newID(), newID(), newID(), newID()
	pass := e.post(t, "pay", payBody(passed, testcards.Challenge))
	fail := e.post(t, "pay", payBody(failed, testcards.Challenge))
	e.post(t, "pay", payBody(canceled, testcards.Challenge))
	if a := e.post(t, "pay", payBody(frictionless, testcards.Visa)); a.code() != "SUCCESS" {
		t.Fatalf("frictionless: %s", a.raw)
	}
	clk.advance(timeout - time.Second)
	answerChallenge(t, pass.fields["normalUrl"].(string), testcards.ChallengeCode, "submit")
	answerChallenge(t, fail.fields["normalUrl"].(string), "0000", "submit")
	if a := e.post(t, "cancel", map[string]string{"paymentRequestId": canceled}); a.code() != "SUCCESS" {
		t.Fatalf("cancel: %s", a.raw)
	}

	clk.advance(24 * time.Hour)
	for id, want := range map[string]struct {
		status, code string
		charges      int
	}{
		passed:       {"SUCCESS", "SUCCESS", 1},
		failed:       {"FAIL", "THREE_D_SECURE_AUTHENTICATION_FAILED", 0},
		canceled:     {"CANCELLED", "ORDER_IS_CLOSED", 0},
		frictionless: {"SUCCESS", "SUCCESS", 1},
	} {
		q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id})
		st, _ := e.sb.PaymentState(id)
		if q.fields["paymentStatus"] != want.status || q.fields["paymentResultCode"] != want.code || st.Status != want.status || e.sb.Charges(id) != want.charges {
			t.Errorf("%s: inquiry %s, ledger %+v, charges %d; want %s %s, %d charges", id, q.raw, st, e.sb.Charges(id), want.status, want.code, want.charges)
		}
	}
	if a := e.post(t, "pay", payBody(passed, testcards.Challenge)); a.code() != "SUCCESS" {
		t.Errorf("replay of the passed challenge: %s", a.raw)
	}
}

// TestActionTimeoutDefault: with ActionTimeout 0 a challenge waits
// registry.DefaultActionTimeout, 15 minutes.
func TestActionTimeoutDefault(t *testing.T) {
	if registry.DefaultActionTimeout != 15*time.Minute {
		t.Fatalf("registry.DefaultActionTimeout = %s", registry.DefaultActionTimeout)
	}
	clk := newClock()
	e := newTestEnv(t, func(c *sandbox.Config) { c.Now = clk.Now })
	id := newID()
	u := e.post(t, "pay", payBody(id, testcards.Challenge))
	clk.advance(15*time.Minute - time.Second)
	if q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}); q.fields["paymentStatus"] != "PROCESSING" {
		t.Errorf("at 14m59s: %s", q.raw)
	}
	// The page still works, until it does not.
	resp, err := noRedirect.Get(u.fields["normalUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || doc.Find(`[data-testid="otp-input"]`).Length() != 1 {
		t.Errorf("page at 14m59s: HTTP %d", resp.StatusCode)
	}
	clk.advance(time.Second)
	if q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}); q.fields["paymentStatus"] != "FAIL" || q.fields["paymentResultCode"] != "ORDER_IS_CLOSED" {
		t.Errorf("at 15m: %s", q.raw)
	}
	if e.sb.Charges(id) != 0 {
		t.Errorf("charged %d times", e.sb.Charges(id))
	}
}

// TestStartActionTimeout: Start passes registry.SandboxEnv's ActionTimeout
// and clock to the sandbox.
func TestStartActionTimeout(t *testing.T) {
	clk := newClock()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	started, err := sandbox.Start(registry.SandboxEnv{PublicURL: srv.URL + mount, InternalURL: srv.URL + mount, Now: clk.Now, ActionTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	sb := started.Sandbox.(*sandbox.Sandbox)
	e := serveEnv(t, srv, mux, sb, sb.Credentials(), &sink{})

	id := newID()
	if u := e.post(t, "pay", payBody(id, testcards.Challenge)); u.code() != "PAYMENT_IN_PROCESS" {
		t.Fatalf("pay: %s", u.raw)
	}
	clk.advance(time.Minute - time.Second)
	if st, _ := sb.PaymentState(id); st.Status != "PROCESSING" {
		t.Errorf("at 59s: %+v", st)
	}
	clk.advance(time.Second)
	if q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}); q.fields["paymentStatus"] != "FAIL" {
		t.Errorf("at 1m: %s", q.raw)
	}
}
