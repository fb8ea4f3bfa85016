package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	bbsandbox "github.com/opencheckout/hostedcheckout/providers/bbmsl/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/web"
)

// The provider fault matrix (SECURITY.md R19, R27, R29, R37, R39): for
// every provider and every fault of package sandboxfault, a payment made
// through the hosted page while the provider misbehaves on its
// money-moving call must end in the right final state, found by the
// reconciler (or a notification), and the sandbox's ledger must agree with
// our database: one charge for a payment we call succeeded, none for one we
// call failed, never two.
//
// Each provider gets one app; its five fault cases run in parallel. The
// fault is armed through the sandbox's HTTP control endpoint, limited to
// the operation the case's payment makes, and a per-provider lock holds
// from arming to the end of that call, so that no other case's call can
// use it up.

// faultKinds are the faults of package sandboxfault.
var faultKinds = []string{"timeout", "5xx", "malformed", "reset", "slow"}

// faultProviderTimeout is the fault apps' provider timeout: longer than
// MustApp's 2 s, so that a call the case does not fault (the create before
// an approve) still answers in time on a loaded CI machine.
const faultProviderTimeout = 5 * time.Second

// slowDelay is the slow fault's delay, well under faultProviderTimeout.
const slowDelay = 300 * time.Millisecond

// faultDeadline bounds the wait for a final state: the first inquiry is
// due 2 s after the unknown outcome, the providers' "not found" grace is
// 1 s in sandbox mode, and a timeout costs the client timeout first.
const faultDeadline = 20*time.Second + faultProviderTimeout

// faultProvider is how to pay with one provider through the hosted page.
type faultProvider struct {
	name  string
	mount string
	// operation is the sandbox operation the fault is limited to: the
	// money-moving call the payment makes first.
	operation string
	// call is the Service operation (on the timeline) that makes it.
	call    string
	session func(kind string) map[string]any
	// start does what comes before the money-moving call (a saved card,
	// device data collection) and returns the request that makes it, which
	// returns the payment id.
	start func(t *testing.T, app *web.App, sid string) (trigger func() string)
	// finish plays the shopper after the call, where the provider needs one
	// to take the money (the wallet's cashier).
	finish func(t *testing.T, app *web.App, sid, pid, kind string)
	// charges reads the sandbox ledger for one payment; total for all.
	charges func(app *web.App, pid string) int
	total   func(app *web.App) int
	// captured reads, where the sandbox tells, how much of the payment was
	// captured (-1: not told).
	captured func(app *web.App, pid string) int64
	// succeedsOn5xx: a 5xx on this call leaves an earlier call's
	// authorisation standing, and the reconciler completes the payment
	// (the capture step). Otherwise a 5xx means nothing was charged.
	succeedsOn5xx bool
	// isolated gives each case an app of its own: the reconciler makes
	// this operation's calls too (for another case's payment), so a fault
	// armed for one case could be used up by another's.
	isolated bool
}

// want is the final status of a payment under fault kind.
func (p faultProvider) want(kind string) checkout.PaymentStatus {
	if kind == "5xx" && !p.succeedsOn5xx {
		return checkout.PaymentFailed
	}
	return checkout.PaymentSucceeded
}

func TestProviderFaultsEndInTheRightState(t *testing.T) {
	t.Parallel()
	// Subtests run from goroutines rather than with t.Parallel: they mostly
	// wait (for a timeout, for the reconciler), and -parallel would run only
	// GOMAXPROCS of them at a time.
	var providers sync.WaitGroup
	for _, p := range faultProviders() {
		providers.Go(func() {
			t.Run(p.name, func(t *testing.T) { testProviderFaults(t, p) })
		})
	}
	providers.Wait()
}

// testProviderFaults runs every fault against one provider, on one app
// (or one app per case when the provider's cases must be isolated).
func testProviderFaults(t *testing.T, p faultProvider) {
	var shared *faultApp
	if !p.isolated {
		shared = newFaultApp(t)
		checkControlEndpoint(t, shared.App, p)
	}
	var cases sync.WaitGroup
	for _, kind := range faultKinds {
		cases.Go(func() {
			t.Run(kind, func(t *testing.T) {
				fa := shared
				if fa == nil {
					fa = newFaultApp(t)
					defer fa.check(t, p)
				}
				if runFaultCase(t, fa.App, p, kind, &fa.mu) {
					fa.succeeded.Add(1)
				}
			})
		})
	}
	cases.Wait()
	if shared != nil {
		shared.check(t, p)
	}
}

// faultApp is an app the fault cases share.
type faultApp struct {
	*web.App
	logs      *lockedBuffer
	mu        sync.Mutex // from arming a fault to the end of the call it is for
	succeeded atomic.Int64
}

func newFaultApp(t *testing.T) *faultApp {
	logs := &lockedBuffer{}
	return &faultApp{App: MustApp(t, logs, func(c *web.Config) { c.ProviderTimeout = faultProviderTimeout }), logs: logs}
}

// check runs after the cases: the whole ledger agrees with our database
// (R37), as many charges as payments we call succeeded, none under another
// key.
func (fa *faultApp) check(t *testing.T, p faultProvider) {
	if got := p.total(fa.App); got != int(fa.succeeded.Load()) {
		t.Errorf("the %s sandbox charged %d times in all; %d payments succeeded", p.name, got, fa.succeeded.Load())
	}
	if t.Failed() {
		t.Logf("app log (tail):\n%s", fa.logs.tail(60))
	}
}

// runFaultCase pays once under one fault and checks where it ends; it
// reports whether the payment succeeded.
func runFaultCase(t *testing.T, app *web.App, p faultProvider, kind string, mu *sync.Mutex) bool {
	sid := mustCreateSession(t, app, p.session(kind))["id"].(string)
	trigger := p.start(t, app, sid)

	var pid string
	var took time.Duration
	var left []any
	func() {
		mu.Lock()
		defer func() { // also when the case fails on the way
			if t.Failed() || len(left) != 0 {
				// Leave no fault for the next case's call.
				if req, err := http.NewRequest(http.MethodDelete, app.SandboxURL+p.mount+"/_faults", nil); err == nil {
					if res, err := http.DefaultClient.Do(req); err == nil {
						res.Body.Close()
					}
				}
			}
			mu.Unlock()
		}()
		arm := map[string]any{"fault": kind, "count": 1, "operation": p.operation}
		if kind == "slow" {
			arm["delay_ms"] = slowDelay.Milliseconds()
		}
		body, _ := json.Marshal(arm)
		if res := do(t, http.MethodPost, app.SandboxURL+p.mount+"/_faults", body, "Content-Type", "application/json"); res.Status != http.StatusNoContent {
			t.Fatalf("arming %s: %d %s", kind, res.Status, res.Body)
		}
		began := time.Now()
		pid = trigger()
		took = time.Since(began)
		left = armedFaults(t, app, p.mount)
	}()
	if len(left) != 0 {
		t.Fatalf("the %s fault was not used by the payment's %s call: still armed %v", kind, p.operation, left)
	}
	if kind == "timeout" && took < faultProviderTimeout {
		t.Errorf("the payment's call returned after %v, before the %v provider timeout", took, faultProviderTimeout)
	}

	if p.finish != nil {
		p.finish(t, app, sid, pid, kind)
	}

	final := waitFinal(t, app, pid)
	wantStatus, wantCharges := p.want(kind), 1
	if wantStatus == checkout.PaymentFailed {
		wantCharges = 0
	}
	charges := p.charges(app, pid)
	if final.Status != wantStatus || charges != wantCharges {
		t.Errorf("%s under %s: payment %s with %d charges on the sandbox ledger; want %s and %d",
			p.name, kind, final.Status, charges, wantStatus, wantCharges)
	}
	if charges > 1 {
		t.Errorf("double charge: %d charges for one payment (R19)", charges)
	}
	if c := p.captured(app, pid); c >= 0 && final.Status == checkout.PaymentSucceeded && c != final.Amount.Amount {
		t.Errorf("a succeeded payment of %d has %d captured at the provider", final.Amount.Amount, c)
	}

	// The merchant sees the same.
	s := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t)
	wantSession, wantPaymentStatus := "complete", "paid"
	if wantStatus == checkout.PaymentFailed {
		wantSession, wantPaymentStatus = "open", "failed"
	}
	if s["status"] != wantSession || s["payment_status"] != wantPaymentStatus {
		t.Errorf("session %v with payment_status %v; want %s and %s", s["status"], s["payment_status"], wantSession, wantPaymentStatus)
	}
	if wantStatus == checkout.PaymentFailed && (final.Decline == nil || final.Decline.Code != checkout.DeclineProcessingError) {
		t.Errorf("the failed payment's decline is %+v, want %s", final.Decline, checkout.DeclineProcessingError)
	}

	checkTimeline(t, app, p, kind, sid, pid)
	return final.Status == checkout.PaymentSucceeded
}

// checkTimeline reads the payment's events: the faulted call is on it as
// an unknown outcome (an answer for slow), and an unknown outcome never
// made the payment failed (R27); a payment that fails (5xx: nothing was
// done) failed only after an inquiry found nothing.
func checkTimeline(t *testing.T, app *web.App, p faultProvider, kind, sid, pid string) {
	t.Helper()
	events, err := app.Store.SessionEvents(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	var statuses, trail []string
	var faulted map[string]any
	inquiredBeforeFailure := false
	for _, e := range events {
		if e.PaymentID != pid {
			continue
		}
		switch e.Type {
		case checkout.EventProviderCall:
			step := fmt.Sprint(e.Data["operation"])
			if _, ok := e.Data["error"]; ok {
				step += "(unknown)"
			} else {
				step += "(" + fmt.Sprint(e.Data["outcome"]) + ")"
			}
			trail = append(trail, step)
			if faulted == nil && e.Data["operation"] == p.call {
				faulted = e.Data
			}
			if e.Data["operation"] == "inquire" && !contains(statuses, string(checkout.PaymentFailed)) {
				inquiredBeforeFailure = true
			}
		case checkout.EventPaymentStatus:
			statuses = append(statuses, fmt.Sprint(e.Data["to"]))
			trail = append(trail, "->"+fmt.Sprint(e.Data["to"]))
		case checkout.EventNotification, checkout.EventBrowserReturn:
			trail = append(trail, string(e.Type))
		}
	}
	t.Logf("timeline: %s", strings.Join(trail, " "))
	if faulted == nil {
		t.Fatalf("no %s provider call on the timeline", p.call)
	}
	_, unknown := faulted["error"]
	switch {
	case kind == "slow" && unknown:
		t.Errorf("the slow call was taken for an unknown outcome: %v", faulted)
	case kind == "slow":
		if ms, _ := faulted["duration_ms"].(float64); time.Duration(ms)*time.Millisecond < slowDelay {
			t.Errorf("the slow call took %v ms, less than the %v delay", faulted["duration_ms"], slowDelay)
		}
	case !unknown:
		t.Errorf("the %s call under %s was taken for an answer: %v", p.call, kind, faulted)
	}
	failing := p.want(kind) == checkout.PaymentFailed
	for i, st := range statuses {
		if st == string(checkout.PaymentFailed) && (!failing || i != len(statuses)-1) {
			t.Errorf("the payment was failed under %s (statuses %v): an unknown outcome is never a failure", kind, statuses)
		}
	}
	if failing {
		if !contains(statuses, string(checkout.PaymentPending)) || !inquiredBeforeFailure {
			t.Errorf("the 5xx payment failed without being pending and inquired first: statuses %v", statuses)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// waitFinal waits until the payment's outcome is known.
func waitFinal(t *testing.T, app *web.App, pid string) *checkout.Payment {
	t.Helper()
	deadline := time.Now().Add(faultDeadline)
	for {
		p, err := app.Store.Payment(context.Background(), pid)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Status.InFlight() {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment still %s after %v (next check %v, %d checks)", p.Status, faultDeadline, p.NextCheckAt, p.CheckCount)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// armedFaults lists, through the control endpoint, the faults not used up.
func armedFaults(t *testing.T, app *web.App, mount string) []any {
	t.Helper()
	res := do(t, http.MethodGet, app.SandboxURL+mount+"/_faults", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("listing faults: %d %s", res.Status, res.Body)
	}
	armed, _ := res.JSON(t)["armed"].([]any)
	return armed
}

// checkControlEndpoint exercises the rest of the endpoint's contract on the
// app's mount: a bad fault is refused, DELETE clears.
func checkControlEndpoint(t *testing.T, app *web.App, p faultProvider) {
	t.Helper()
	u := app.SandboxURL + p.mount + "/_faults"
	for _, bad := range []string{
		`{"fault":"flaky"}`,
		`{"fault":"timeout","operation":"inquiry"}`,
		`{"fault":"5xx","count":-1}`,
		`{"fault":"reset","delay_ms":10}`,
		`{"fault":"slow","delay_ms":999999}`,
		`{"fault":"slow","colour":"red"}`,
		`not json`,
	} {
		if res := do(t, http.MethodPost, u, []byte(bad), "Content-Type", "application/json"); res.Status != http.StatusBadRequest {
			t.Errorf("POST %s: %d %s, want 400", bad, res.Status, res.Body)
		}
	}
	if res := do(t, http.MethodPost, u, []byte(`{"fault":"5xx","count":3}`)); res.Status != http.StatusNoContent {
		t.Fatalf("arming: %d %s", res.Status, res.Body)
	}
	if armed := armedFaults(t, app, p.mount); len(armed) != 1 || armed[0].(map[string]any)["count"] != float64(3) {
		t.Fatalf("armed: %v", armed)
	}
	if res := do(t, http.MethodDelete, u, nil); res.Status != http.StatusNoContent {
		t.Fatalf("clearing: %d %s", res.Status, res.Body)
	}
	if armed := armedFaults(t, app, p.mount); len(armed) != 0 {
		t.Fatalf("still armed after DELETE: %v", armed)
	}
	if res := do(t, http.MethodPut, u, nil); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", res.Status)
	}
}

// postPage posts a form as a browser would and returns the response. A
// form of one of our session pages carries a token of the session's forms,
// as those pages render it.
func postPage(t *testing.T, app *web.App, target string, form url.Values) response {
	t.Helper()
	body := []byte(form.Encode())
	if rest, ok := strings.CutPrefix(target, app.URL+"/c/"); ok && !strings.HasSuffix(rest, "/return") {
		sid, _, _ := strings.Cut(rest, "/")
		body = shopperForm(t, app, sid, form)
	}
	return do(t, http.MethodPost, target, body, "Content-Type", "application/x-www-form-urlencoded")
}

// payCard posts a card to the hosted page and returns the payment's id.
func payCard(t *testing.T, app *web.App, sid, number string) string {
	t.Helper()
	form := url.Values{"card_number": {number}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", form); res.Status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", res.Status, res.Body)
	}
	return onlyPayment(t, app, sid).ID
}

func onlyPayment(t *testing.T, app *web.App, sid string) *checkout.Payment {
	t.Helper()
	pays, err := app.Store.SessionPayments(context.Background(), sid)
	if err != nil || len(pays) != 1 {
		t.Fatalf("payments of %s: %v %v", sid, pays, err)
	}
	return pays[0]
}

func cardSession(provider, currency string) func(string) map[string]any {
	return func(string) map[string]any {
		s := validSession()
		s["provider"], s["currency"] = provider, currency
		return s
	}
}

func faultProviders() []faultProvider {
	return []faultProvider{
		{
			// Device data collection first (a hidden iframe, here plain
			// HTTP), then payOrder, the call that charges.
			name: "payorder", mount: "/sandbox/payorder", operation: "payOrder", call: "continue",
			session: cardSession("payorder", "USD"),
			start: func(t *testing.T, app *web.App, sid string) func() string {
				pid := payCard(t, app, sid, testcards.Visa)
				p := onlyPayment(t, app, sid)
				if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.Kind != checkout.ActionDeviceDataCollection {
					t.Fatalf("payorder payment before device data collection: %s %+v", p.Status, p.Action)
				}
				page := doc(t, postPage(t, app, p.Action.URL, url.Values{"Bin": {p.Action.BIN}, "JWT": {p.Action.JWT}}))
				var msg struct {
					MessageType string
					SessionID   string `json:"SessionId"`
					Status      bool
				}
				if err := json.Unmarshal([]byte(page.Find("#profile-message").Text()), &msg); err != nil || !msg.Status || msg.SessionID == "" {
					t.Fatalf("device data collection: %+v %v", msg, err)
				}
				return func() string {
					res := postPage(t, app, app.URL+"/c/"+sid+"/payments/"+pid+"/device-data", url.Values{"SessionId": {msg.SessionID}})
					if res.Status != http.StatusSeeOther {
						t.Fatalf("device data: %d %s", res.Status, res.Body)
					}
					return pid
				}
			},
			charges: func(app *web.App, pid string) int {
				o, _ := app.Sandbox.Payorder.Order(pid)
				return o.Charges
			},
			total:    func(app *web.App) int { return app.Sandbox.Payorder.Charges() },
			captured: func(*web.App, string) int64 { return -1 },
		},
		{
			// A frictionless card: create, then approve (automatic capture).
			name: "worldline", mount: "/sandbox/worldline", operation: "create", call: "pay",
			session: cardSession("worldline", "EUR"),
			start: func(t *testing.T, app *web.App, sid string) func() string {
				return func() string { return payCard(t, app, sid, testcards.Visa) }
			},
			charges: func(app *web.App, pid string) int { return app.Sandbox.Worldline.Charges(pid) },
			total:   func(app *web.App) int { return app.Sandbox.Worldline.TotalCharges() },
			captured: func(app *web.App, pid string) int64 {
				st, _ := app.Sandbox.Worldline.Payment(pid)
				return st.Captured
			},
		},
		{
			// The same payment, the fault on its second money-moving call:
			// the approval that captures the authorisation. A 5xx there
			// leaves the authorisation, which the reconciler approves.
			name: "worldline-approve", mount: "/sandbox/worldline", operation: "approve", call: "pay",
			session: cardSession("worldline", "EUR"),
			start: func(t *testing.T, app *web.App, sid string) func() string {
				return func() string { return payCard(t, app, sid, testcards.Mastercard) }
			},
			charges: func(app *web.App, pid string) int { return app.Sandbox.Worldline.Charges(pid) },
			total:   func(app *web.App) int { return app.Sandbox.Worldline.TotalCharges() },
			captured: func(app *web.App, pid string) int64 {
				st, _ := app.Sandbox.Worldline.Payment(pid)
				return st.Captured
			},
			succeedsOn5xx: true,
			isolated:      true, // the reconciler approves the 5xx case's payment
		},
		{
			// A frictionless card: pay answers S at once.
			name: "antom", mount: "/sandbox/antom", operation: "pay", call: "pay",
			session: cardSession("antom", "USD"),
			start: func(t *testing.T, app *web.App, sid string) func() string {
				return func() string { return payCard(t, app, sid, testcards.Visa) }
			},
			charges: func(app *web.App, pid string) int { return app.Sandbox.Antom.Charges(pid) },
			total:   func(app *web.App) int { return app.Sandbox.Antom.TotalCharges() },
			captured: func(app *web.App, pid string) int64 {
				st, _ := app.Sandbox.Antom.PaymentState(pid)
				return st.Captured
			},
		},
		{
			// The wallet: pay creates the order, the shopper approves it
			// at the cashier (plain HTTP here).
			name: "alipayplus", mount: "/sandbox/alipayplus", operation: "pay", call: "pay",
			session: func(string) map[string]any {
				s := validSession()
				s["payment_methods"] = []string{"wallet"}
				return s
			},
			start: func(t *testing.T, app *web.App, sid string) func() string {
				return func() string {
					if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", url.Values{"payment_method": {"wallet"}}); res.Status != http.StatusSeeOther {
						t.Fatalf("wallet pay: %d %s", res.Status, res.Body)
					}
					return onlyPayment(t, app, sid).ID
				}
			},
			finish:  approveAtCashier,
			charges: func(app *web.App, pid string) int { return app.Sandbox.AlipayPlus.Charges(pid) },
			total:   func(app *web.App) int { return app.Sandbox.AlipayPlus.TotalCharges() },
			captured: func(app *web.App, pid string) int64 {
				st, _ := app.Sandbox.AlipayPlus.PaymentState(pid)
				if st.Charges == 0 {
					return 0
				}
				return st.Amount.Amount
			},
		},
		{
			// A saved card: the shopper adds it on BBMSL's page first
			// (plain HTTP, CompleteAddCard), then the sale charges it.
			name: "bbmsl", mount: "/sandbox/bbmsl", operation: "sale", call: "pay",
			session: func(kind string) map[string]any {
				s := validSession()
				s["payment_methods"] = []string{"saved_card"}
				s["customer"] = map[string]any{"reference": "fault-" + strings.ReplaceAll(kind, "5xx", "server-error"), "email": "ada@example.test"}
				return s
			},
			start: func(t *testing.T, app *web.App, sid string) func() string {
				card := saveCard(t, app, sid)
				return func() string {
					if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", url.Values{"payment_method": {"saved_card"}, "saved_card": {card}}); res.Status != http.StatusSeeOther {
						t.Fatalf("saved-card pay: %d %s", res.Status, res.Body)
					}
					return onlyPayment(t, app, sid).ID
				}
			},
			charges: func(app *web.App, pid string) int { return app.Sandbox.BBMSL.Charges(pid) },
			total:   func(app *web.App) int { return app.Sandbox.BBMSL.TotalCharges() },
			captured: func(app *web.App, pid string) int64 {
				o, _ := app.Sandbox.BBMSL.Order(pid)
				if !o.Charged {
					return 0
				}
				return o.Amount
			},
		},
	}
}

// saveCard adds 4242 as a saved card from the hosted page, through BBMSL's
// add-card page, and returns its id.
func saveCard(t *testing.T, app *web.App, sid string) string {
	t.Helper()
	res := postPage(t, app, app.URL+"/c/"+sid+"/cards", url.Values{})
	if res.Status != http.StatusOK {
		t.Fatalf("add card: %d %s", res.Status, res.Body)
	}
	page := testid(doc(t, res), "redirect-continue").AttrOr("href", "")
	if !strings.HasPrefix(page, app.SandboxURL+"/sandbox/bbmsl/") {
		t.Fatalf("add-card page %q", page)
	}
	back, err := bbsandbox.CompleteAddCard(context.Background(), nil, page, testcards.Visa, "")
	if err != nil || !strings.Contains(back, "result=added") {
		t.Fatalf("adding the card: %q %v", back, err)
	}
	s := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t)
	ref := s["customer"].(map[string]any)["reference"].(string)
	list := api(t, app, http.MethodGet, "/v1/customers/"+url.PathEscape(ref)+"/saved_cards", nil).JSON(t)
	cards, _ := list["data"].([]any)
	if len(cards) != 1 {
		t.Fatalf("saved cards: %v", list)
	}
	return cards[0].(map[string]any)["id"].(string)
}

// approveAtCashier plays the wallet's shopper: the cashier from the form
// the status page shows, or, when pay's answer was lost, from the sandbox
// (no real shopper could get there; the order waits all the same), then
// Approve, then back to our return URL.
func approveAtCashier(t *testing.T, app *web.App, sid, pid, kind string) {
	t.Helper()
	cashier, ok := app.Sandbox.AlipayPlus.CashierURL(pid)
	if kind == "5xx" {
		if ok {
			t.Errorf("an order exists after a 5xx: %s", cashier)
		}
		return
	}
	if !ok {
		t.Fatalf("no wallet order for %s", pid)
	}
	p := onlyPayment(t, app, sid)
	if kind == "slow" {
		if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.URL != cashier {
			t.Fatalf("after a slow pay the payment is %s with action %+v, want the cashier %s", p.Status, p.Action, cashier)
		}
	}
	if res := do(t, http.MethodPost, cashier, nil, "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusOK ||
		testid(doc(t, res), "wallet-approve").Length() != 1 {
		t.Fatalf("cashier: %d", res.Status)
	}
	u, err := url.Parse(cashier)
	if err != nil {
		t.Fatal(err)
	}
	confirm := strings.TrimSuffix(strings.SplitN(cashier, "?", 2)[0], "/cashier") + "/cashier/confirm"
	res := postPage(t, app, confirm, url.Values{"orderId": {u.Query().Get("orderId")}, "choice": {"approve"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	// The browser comes back to us: a trigger, not a result.
	if back := do(t, http.MethodGet, res.Header.Get("Location"), nil); back.Status != http.StatusSeeOther {
		t.Fatalf("return from the cashier: %d %s", back.Status, back.Body)
	}
}

// lockedBuffer collects the app's log lines for a failing test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
