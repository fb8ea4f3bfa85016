package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// query is queryOrder's outcome for an order.
func (e *testEnv) query(orderSN, linkID string) string {
	e.t.Helper()
	a := e.send(e.request(payorder.ServiceQueryOrder, map[string]string{"order_sn": orderSN, "linkID": linkID}))
	var d struct{ Outcome string }
	if err := json.Unmarshal(a.Data, &d); err != nil || a.Status != payorder.StatusSuccess {
		e.t.Fatalf("queryOrder: %+v", a)
	}
	return d.Outcome
}

// collect runs device data collection for a checked-out payment and
// returns the SessionId, "" when the page refused.
func (e *testEnv) collect(a *checkout.Action) string {
	e.t.Helper()
	_, doc := e.postForm(a.URL, url.Values{"Bin": {a.BIN}, "JWT": {a.JWT}})
	var msg profileMessage
	if err := json.Unmarshal([]byte(doc.Find("#profile-message").Text()), &msg); err != nil {
		e.t.Fatal(err)
	}
	return msg.SessionID
}

// waiting is a payment the adapter started and left waiting.
type waiting struct {
	req checkout.PayRequest
	p   checkout.Payment
	out checkout.Outcome // the last answer: device data collection or the challenge
}

func (w *waiting) orderSN() string { return w.req.PaymentID }
func (w *waiting) linkID() string  { return w.p.ProviderData["linkID"] }

// startPayment pays with the adapter up to device data collection and,
// with challenge, through payOrder to the challenge.
func (e *testEnv) startPayment(number string, challenge bool) *waiting {
	e.t.Helper()
	req, out := e.checkedOut(number, "02")
	// CreatedAt is now, so that the adapter's own rule for payments never
	// paid (Config.StaleAfter) does not decide in the sandbox's place.
	w := &waiting{req: req, out: out, p: checkout.Payment{ID: req.PaymentID, Browser: req.Browser,
		ProviderData: out.ProviderData, CreatedAt: time.Now()}}
	if !challenge {
		return w
	}
	out, err := e.adapter.Continue(e.t.Context(), w.p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
	if err != nil || out.Status != checkout.OutcomeActionRequired || out.Action.Kind != checkout.ActionChallenge {
		e.t.Fatalf("Continue = %+v, %v", out, err)
	}
	w.p.ProviderData[keyChallengeReference] = out.ProviderData[keyChallengeReference]
	w.out = out
	return w
}

const keyChallengeReference = "challengeReference"

// answerChallenge opens the challenge page and submits code; it returns
// the page the shopper ends on.
func (e *testEnv) answerChallenge(a *checkout.Action, code string) *goquery.Document {
	e.t.Helper()
	_, doc := e.postForm(a.URL, url.Values{"JWT": {a.JWT}, "MD": {a.MD}})
	form := doc.Find(`[data-testid="otp-input"]`).Closest("form")
	if form.Length() == 0 {
		return doc // no challenge to answer: the page sends the shopper back
	}
	values := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) { values.Set(in.AttrOr("name", ""), in.AttrOr("value", "")) })
	values.Set("challengeDataEntry", code)
	_, doc = e.postForm(form.AttrOr("action", ""), values)
	return doc
}

// returnStatus is the transStatus of the CRes a return page posts back.
func returnStatus(t *testing.T, doc *goquery.Document) string {
	t.Helper()
	back := doc.Find("form#return")
	if back.Length() == 0 {
		t.Fatalf("not a return page: %s", doc.Text())
	}
	raw, err := base64.StdEncoding.DecodeString(back.Find(`input[name="Response"]`).AttrOr("value", ""))
	var cres struct{ TransStatus string }
	if err != nil || json.Unmarshal(raw, &cres) != nil {
		t.Fatalf("Response is not a base64 CRes: %v", err)
	}
	return cres.TransStatus
}

// TestActionTimeout: an order left waiting, at any step, for the shopper
// or for the merchant's next call expires after the action timeout (15
// minutes by default) with nothing charged, and every way of reading it
// then says so. Each wait has the whole timeout: the clock starts again
// when the order moves on to the next wait.
func TestActionTimeout(t *testing.T) {
	const almost = registry.DefaultActionTimeout - time.Second

	t.Run("created, never checked out", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.send(e.request(payorder.ServiceCreateOrder, map[string]any{
			"order_sn": "pay_created", "currency": "USD", "amount": json.Number("5.00"), "payerID": e.payerID(),
			"purposeOfTransaction": "PAY_FOR_GOODS", "description": "d", "skip3ds": "False",
			"domain": "https://checkout.example.com", "product": "p",
		}))
		var d struct{ LinkID string }
		if err := json.Unmarshal(a.Data, &d); err != nil || d.LinkID == "" {
			t.Fatalf("createOrder: %+v", a)
		}
		e.now = e.now.Add(almost)
		if got := e.query("pay_created", d.LinkID); got != payorder.OutcomeCreated {
			t.Fatalf("before the timeout: %s", got)
		}
		e.now = e.now.Add(time.Second)
		if got := e.query("pay_created", d.LinkID); got != payorder.OutcomeFailed {
			t.Errorf("after the timeout: %s, want failed", got)
		}
	})

	t.Run("device data collection never ran", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.startPayment("4242424242424242", false)
		e.now = e.now.Add(almost)
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeInitialized {
			t.Fatalf("before the timeout: %s", got)
		}
		e.now = e.now.Add(time.Second)
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeFailed {
			t.Errorf("after the timeout: %s, want failed", got)
		}
		inquiry, err := e.adapter.Inquire(t.Context(), w.p)
		if err != nil || inquiry.Status != checkout.OutcomeFailed {
			t.Errorf("Inquire = %+v, %v; want failed", inquiry, err)
		}
		if id := e.collect(w.out.Action); id != "" {
			t.Errorf("device data collection of an expired order gave SessionId %q", id)
		}
		// The merchant's payOrder, late, gets the failure and charges nothing.
		out, err := e.adapter.Continue(t.Context(), w.p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
		if err != nil || out.Status != checkout.OutcomeFailed {
			t.Errorf("payOrder after the timeout = %+v, %v; want failed", out, err)
		}
		if o, _ := e.sb.Order(w.orderSN()); !o.Expired || o.Charges != 0 || o.Outcome != payorder.OutcomeFailed || e.sb.Charges() != 0 {
			t.Errorf("ledger: %+v, %d charges in all", o, e.sb.Charges())
		}
	})

	t.Run("payOrder never came after device data collection", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.startPayment("4242424242424242", false)
		e.now = e.now.Add(almost)
		if e.collect(w.out.Action) == "" {
			t.Fatal("device data collection refused within the timeout")
		}
		e.now = e.now.Add(almost) // the wait for payOrder has its own timeout
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeInitialized {
			t.Fatalf("before the timeout: %s", got)
		}
		e.now = e.now.Add(time.Second)
		out, err := e.adapter.Continue(t.Context(), w.p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
		if err != nil || out.Status != checkout.OutcomeFailed {
			t.Errorf("payOrder after the timeout = %+v, %v; want failed", out, err)
		}
		if o, _ := e.sb.Order(w.orderSN()); !o.Expired || o.Charges != 0 || o.Outcome != payorder.OutcomeFailed {
			t.Errorf("ledger: %+v", o)
		}
	})

	t.Run("challenge never answered", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.startPayment("4000000000003220", true)
		e.now = e.now.Add(almost)
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeChallenged {
			t.Fatalf("before the timeout: %s", got)
		}
		e.now = e.now.Add(time.Second)
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeAuthenticationFailed {
			t.Errorf("after the timeout: %s, want authenticationFailed", got)
		}
		inquiry, err := e.adapter.Inquire(t.Context(), w.p)
		if err != nil || inquiry.Status != checkout.OutcomeFailed || inquiry.Decline.Code != checkout.DeclineAuthenticationFailed {
			t.Errorf("Inquire = %+v, %v; want failed authentication", inquiry, err)
		}
		// A shopper who arrives late, even with the right code, is sent
		// back to the merchant as after a failed challenge.
		doc := e.answerChallenge(w.out.Action, testcards.ChallengeCode)
		if st := returnStatus(t, doc); st != "N" || !strings.Contains(doc.Text(), "ran out") {
			t.Errorf("late shopper: transStatus %q, page %q", st, doc.Text())
		}
		out, err := e.adapter.Continue(t.Context(), w.p, checkout.Continuation{Kind: checkout.ContinueChallenge})
		if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineAuthenticationFailed {
			t.Errorf("verification after the timeout = %+v, %v; want failed authentication", out, err)
		}
		if o, _ := e.sb.Order(w.orderSN()); !o.Expired || o.Charges != 0 || o.ChallengeResult != "" || e.sb.Charges() != 0 {
			t.Errorf("ledger: %+v, %d charges in all", o, e.sb.Charges())
		}
	})

	t.Run("verification never came after the challenge", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.startPayment("4000000000003220", true)
		e.now = e.now.Add(almost)
		if st := returnStatus(t, e.answerChallenge(w.out.Action, testcards.ChallengeCode)); st != "Y" {
			t.Fatalf("challenge answered within the timeout: transStatus %q", st)
		}
		e.now = e.now.Add(almost) // the wait for the verification has its own timeout
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeChallenged {
			t.Fatalf("before the timeout: %s", got)
		}
		e.now = e.now.Add(time.Second)
		out, err := e.adapter.Continue(t.Context(), w.p, checkout.Continuation{Kind: checkout.ContinueChallenge})
		if err != nil || out.Status != checkout.OutcomeFailed {
			t.Errorf("verification after the timeout = %+v, %v; want failed", out, err)
		}
		if o, _ := e.sb.Order(w.orderSN()); !o.Expired || o.Charges != 0 || o.Outcome != payorder.OutcomeAuthenticationFailed {
			t.Errorf("ledger: %+v", o)
		}
	})
}

// TestActionTimeoutSparesFinishedOrders: orders decided before the timeout
// keep their outcome and their one charge however late they are read.
func TestActionTimeoutSparesFinishedOrders(t *testing.T) {
	e := newTestEnv(t)
	frictionless := e.startPayment("4242424242424242", false)
	out, err := e.adapter.Continue(t.Context(), frictionless.p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
	if err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("payOrder = %+v, %v", out, err)
	}
	challenged := e.startPayment("4000000000003220", true)
	e.answerChallenge(challenged.out.Action, testcards.ChallengeCode)
	out, err = e.adapter.Continue(t.Context(), challenged.p, checkout.Continuation{Kind: checkout.ContinueChallenge})
	if err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("verification = %+v, %v", out, err)
	}

	e.now = e.now.Add(24 * time.Hour)
	for _, w := range []*waiting{frictionless, challenged} {
		if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeAuthorized {
			t.Errorf("%s a day later: %s, want authorized", w.req.Card.Number, got)
		}
		if inquiry, err := e.adapter.Inquire(t.Context(), w.p); err != nil || inquiry.Status != checkout.OutcomeSucceeded {
			t.Errorf("Inquire a day later = %+v, %v", inquiry, err)
		}
		if o, _ := e.sb.Order(w.orderSN()); o.Expired || o.Charges != 1 {
			t.Errorf("ledger: %+v", o)
		}
	}
	if st := returnStatus(t, e.answerChallenge(challenged.out.Action, "0000")); st != "Y" {
		t.Errorf("the challenge page a day later: transStatus %q, want the answer given, Y", st)
	}
	if e.sb.Charges() != 2 {
		t.Errorf("%d charges, want 2", e.sb.Charges())
	}
}

// TestActionTimeoutConfig: Config.ActionTimeout sets the timeout, 0 is
// registry.DefaultActionTimeout, and Start passes the registry's on.
func TestActionTimeoutConfig(t *testing.T) {
	e := newTestEnvConfig(t, func(c *Config) { c.ActionTimeout = 20 * time.Second })
	w := e.startPayment("4242424242424242", false)
	e.now = e.now.Add(19 * time.Second)
	if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeInitialized {
		t.Fatalf("after 19s of 20: %s", got)
	}
	e.now = e.now.Add(time.Second)
	if got := e.query(w.orderSN(), w.linkID()); got != payorder.OutcomeFailed {
		t.Errorf("after 20s of 20: %s, want failed", got)
	}

	if d := newTestEnv(t).sb.actionTimeout; d != 15*time.Minute {
		t.Errorf("default timeout %v, want 15m", d)
	}
	started, err := Start(registry.SandboxEnv{PublicURL: "http://127.0.0.1:1/sandbox/payorder", InternalURL: "http://127.0.0.1:1/sandbox/payorder",
		ActionTimeout: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if d := started.Sandbox.(*Sandbox).actionTimeout; d != 7*time.Second {
		t.Errorf("Start: timeout %v, want the registry's 7s", d)
	}
}
