package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/web"
)

// The merchant's expire and the shopper's pay, sent at the same instant
// (issue 12, defect 1): every session must end either complete with one
// payment, charged once, or expired with nothing charged, and the merchant
// is never told both checkout.session.completed and
// checkout.session.expired. The guards are in the store's statements (a
// payment is inserted only where its session is open; a session is expired
// only where no payment is active), so no interleaving can break them.

// racePairs is how many expire/pay pairs each provider gets.
const racePairs = 200

// raceProvider is how to pay one session with one provider through the
// hosted page, and how to play the shopper's part after the pay POST.
type raceProvider struct {
	name    string
	session func() map[string]any
	// form is the pay form for a session (a card, the wallet, a saved card).
	form func(sid string) url.Values
	// complete drives a payment that waits for the shopper (device data
	// collection, the wallet's cashier) to its provider call.
	complete func(app *web.App, sid string, p *checkout.Payment) error
	charges  func(app *web.App, pid string) int
}

func TestExpireRacingPayNeverChargesAClosedSession(t *testing.T) {
	t.Parallel()
	pairs := racePairs
	if testing.Short() {
		pairs = 20
	}
	var all sync.WaitGroup
	for _, p := range raceProviders() {
		all.Go(func() {
			t.Run(p.name, func(t *testing.T) { runExpirePayRace(t, p, pairs) })
		})
	}
	all.Wait()
}

func runExpirePayRace(t *testing.T, rp raceProvider, pairs int) {
	logs := &lockedBuffer{}
	app := MustApp(t, logs)
	var savedCard string
	if rp.name == "bbmsl" {
		// One saved card for the race's customer, added once through
		// BBMSL's page; every session of the race pays with it.
		sid := mustCreateSession(t, app, rp.session())["id"].(string)
		savedCard = saveCard(t, app, sid)
	}
	var paid, expired atomic.Int64
	jobs := make(chan int)
	var workers sync.WaitGroup
	for range 6 {
		workers.Go(func() {
			for i := range jobs {
				end, err := expirePayPair(app, rp, savedCard)
				switch {
				case err != nil:
					t.Errorf("%s pair %d: %v", rp.name, i, err)
				case end == checkout.SessionComplete:
					paid.Add(1)
				default:
					expired.Add(1)
				}
			}
		})
	}
	for i := range pairs {
		jobs <- i
	}
	close(jobs)
	workers.Wait()
	t.Logf("%s: %d pairs, %d sessions complete, %d expired", rp.name, pairs, paid.Load(), expired.Load())
	if t.Failed() {
		t.Logf("app log (tail):\n%s", logs.tail(40))
	}
}

// expirePayPair creates a session, then sends the merchant's expire and the
// shopper's pay at once, plays the shopper to the end, and checks the end.
func expirePayPair(app *web.App, rp raceProvider, savedCard string) (checkout.SessionStatus, error) {
	ctx := context.Background()
	created, err := apiJSON(app, http.MethodPost, "/v1/checkout/sessions", rp.session())
	if err != nil {
		return "", err
	}
	sid, _ := created["id"].(string)
	if sid == "" {
		return "", fmt.Errorf("no session: %v", created)
	}
	form := rp.form(sid)
	if savedCard != "" {
		form.Set("saved_card", savedCard)
	}
	key, err := app.Store.ServerKey(ctx, "form_tokens", []byte("unused"), time.Now())
	if err != nil {
		return "", err
	}
	form.Set("form_token", handlers.NewFormTokens(key).Issue(sid))

	start := make(chan struct{})
	var expireStatus, payStatus int
	var payBody string
	var expireErr, payErr error
	var both sync.WaitGroup
	both.Go(func() {
		<-start
		var res *http.Response
		res, expireErr = plainRequest(http.MethodPost, app.URL+"/v1/checkout/sessions/"+sid+"/expire", nil,
			map[string]string{"Authorization": "Bearer " + testKey})
		if res != nil {
			expireStatus = res.StatusCode
		}
	})
	both.Go(func() {
		<-start
		var res *http.Response
		res, payErr = plainRequest(http.MethodPost, app.URL+"/c/"+sid+"/pay", strings.NewReader(form.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if res != nil {
			payStatus = res.StatusCode
			b, _ := io.ReadAll(res.Body)
			payBody = string(b)
		}
	})
	close(start)
	both.Wait()
	if expireErr != nil || payErr != nil {
		return "", fmt.Errorf("requests: %v %v", expireErr, payErr)
	}
	if expireStatus != http.StatusOK && expireStatus != http.StatusConflict {
		return "", fmt.Errorf("expire answered %d", expireStatus)
	}
	// The form again with a banner is the other right answer when the
	// provider did not answer in time (under CI load): nothing is charged.
	unanswered := payStatus == http.StatusUnprocessableEntity &&
		(strings.Contains(payBody, "The payment provider did not answer") || strings.Contains(payBody, "Your saved cards cannot be used right now"))
	if payStatus != http.StatusSeeOther && !unanswered {
		return "", fmt.Errorf("pay answered %d", payStatus)
	}

	// The shopper carries on where the provider needs them.
	pays, err := app.Store.SessionPayments(ctx, sid)
	if err != nil {
		return "", err
	}
	for _, p := range pays {
		if p.Status == checkout.PaymentRequiresAction && rp.complete != nil {
			if err := rp.complete(app, sid, p); err != nil {
				return "", fmt.Errorf("completing %s: %w", p.ID, err)
			}
		}
	}
	// Every payment reaches its outcome.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if pays, err = app.Store.SessionPayments(ctx, sid); err != nil {
			return "", err
		}
		inFlight := false
		for _, p := range pays {
			inFlight = inFlight || p.Status.InFlight()
		}
		if !inFlight {
			break
		}
		if time.Now().After(deadline) {
			return "", errors.New("a payment is still in flight after 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	sess, err := app.Store.Session(ctx, sid)
	if err != nil {
		return "", err
	}
	paid := 0
	for _, p := range pays {
		charges := rp.charges(app, p.ID)
		if p.Status.Paid() {
			paid++
			if charges != 1 {
				return "", fmt.Errorf("paid payment %s charged %d times", p.ID, charges)
			}
		} else if charges != 0 {
			return "", fmt.Errorf("%s payment %s charged %d times", p.Status, p.ID, charges)
		}
	}
	if sess.Status == checkout.SessionOpen && paid == 0 && expireStatus == http.StatusConflict {
		// The attempt failed without a charge (a provider call that timed
		// out under load fails as processing_error, or was never made), so
		// the session is rightly still open: the merchant's retried expire
		// now succeeds.
		res, err := plainRequest(http.MethodPost, app.URL+"/v1/checkout/sessions/"+sid+"/expire", nil,
			map[string]string{"Authorization": "Bearer " + testKey})
		if err != nil {
			return "", err
		}
		if expireStatus = res.StatusCode; expireStatus != http.StatusOK {
			return "", fmt.Errorf("retried expire after a failed attempt answered %d", expireStatus)
		}
		if sess, err = app.Store.Session(ctx, sid); err != nil {
			return "", err
		}
	}
	switch sess.Status {
	case checkout.SessionComplete:
		if paid != 1 || len(pays) != 1 {
			return "", fmt.Errorf("complete session with %d payments, %d paid", len(pays), paid)
		}
		if expireStatus != http.StatusConflict {
			return "", fmt.Errorf("the session completed but expire answered %d", expireStatus)
		}
	case checkout.SessionExpired:
		if paid != 0 {
			return "", fmt.Errorf("expired session with %d paid payments (%d attempts): the shopper was charged on a closed session", paid, len(pays))
		}
		if expireStatus != http.StatusOK {
			return "", fmt.Errorf("the session expired but expire answered %d", expireStatus)
		}
	default:
		var states []string
		for _, p := range pays {
			state := string(p.Status)
			if p.Decline != nil {
				state += " (" + string(p.Decline.Code) + ")"
			}
			states = append(states, p.ID+" "+state)
		}
		return "", fmt.Errorf("session %s ended %s with %d payments %v, expire answered %d", sid, sess.Status, len(pays), states, expireStatus)
	}
	// What the merchant is told (the outbox is fed from these events).
	events, err := app.Store.SessionEvents(ctx, sid)
	if err != nil {
		return "", err
	}
	told := map[string]int{}
	for _, e := range events {
		if e.Type == checkout.EventSessionCompleted || e.Type == checkout.EventSessionExpired {
			told[string(e.Type)]++
		}
	}
	if told[string(checkout.EventSessionCompleted)] > 0 && told[string(checkout.EventSessionExpired)] > 0 {
		return "", fmt.Errorf("the merchant is told the session both completed and expired: %v", told)
	}
	if told[string(checkout.EventSessionCompleted)]+told[string(checkout.EventSessionExpired)] != 1 {
		return "", fmt.Errorf("session events %v, want exactly one completion or expiry", told)
	}
	return sess.Status, nil
}

func raceProviders() []raceProvider {
	card := func(sid string) url.Values {
		return url.Values{"card_number": {testcards.Visa}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	}
	session := func(provider, currency string) func() map[string]any {
		return func() map[string]any {
			s := validSession()
			s["provider"], s["currency"] = provider, currency
			return s
		}
	}
	return []raceProvider{
		{
			name: "payorder", session: session("payorder", "USD"), form: card,
			complete: completeDeviceData,
			charges: func(app *web.App, pid string) int {
				o, _ := app.Sandbox.Payorder.Order(pid)
				return o.Charges
			},
		},
		{
			name: "worldline", session: session("worldline", "EUR"), form: card,
			charges: func(app *web.App, pid string) int { return app.Sandbox.Worldline.Charges(pid) },
		},
		{
			name: "antom", session: session("antom", "USD"), form: card,
			charges: func(app *web.App, pid string) int { return app.Sandbox.Antom.Charges(pid) },
		},
		{
			name: "alipayplus",
			session: func() map[string]any {
				s := validSession()
				s["payment_methods"] = []string{"wallet"}
				return s
			},
			form:     func(string) url.Values { return url.Values{"payment_method": {"wallet"}} },
			complete: approveWallet,
			charges:  func(app *web.App, pid string) int { return app.Sandbox.AlipayPlus.Charges(pid) },
		},
		{
			name: "bbmsl",
			session: func() map[string]any {
				s := validSession()
				s["payment_methods"] = []string{"saved_card"}
				s["customer"] = map[string]any{"reference": "expire-race", "email": "ada@example.test"}
				return s
			},
			form:    func(string) url.Values { return url.Values{"payment_method": {"saved_card"}} },
			charges: func(app *web.App, pid string) int { return app.Sandbox.BBMSL.Charges(pid) },
		},
	}
}

// completeDeviceData plays payOrder's hidden device-data iframe, then posts
// its SessionId back to us (the call that charges).
func completeDeviceData(app *web.App, sid string, p *checkout.Payment) error {
	if p.Action == nil || p.Action.Kind != checkout.ActionDeviceDataCollection {
		return fmt.Errorf("action %+v", p.Action)
	}
	res, err := plainRequest(http.MethodPost, p.Action.URL, strings.NewReader(url.Values{"Bin": {p.Action.BIN}, "JWT": {p.Action.JWT}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		return err
	}
	page, err := goquery.NewDocumentFromReader(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	var msg struct {
		SessionID string `json:"SessionId"`
	}
	if err := json.Unmarshal([]byte(page.Find("#profile-message").Text()), &msg); err != nil || msg.SessionID == "" {
		return fmt.Errorf("device data collection answered %d: %v", res.StatusCode, err)
	}
	key, err := app.Store.ServerKey(context.Background(), "form_tokens", []byte("unused"), time.Now())
	if err != nil {
		return err
	}
	form := url.Values{"SessionId": {msg.SessionID}, "form_token": {handlers.NewFormTokens(key).Issue(sid)}}
	res, err = plainRequest(http.MethodPost, app.URL+"/c/"+sid+"/payments/"+p.ID+"/device-data", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("device data: %d", res.StatusCode)
	}
	return nil
}

// approveWallet plays the wallet's shopper: Approve at the cashier, then
// back to our return URL.
func approveWallet(app *web.App, sid string, p *checkout.Payment) error {
	cashier, ok := app.Sandbox.AlipayPlus.CashierURL(p.ID)
	if !ok {
		return errors.New("no wallet order")
	}
	u, err := url.Parse(cashier)
	if err != nil {
		return err
	}
	confirm := strings.TrimSuffix(strings.SplitN(cashier, "?", 2)[0], "/cashier") + "/cashier/confirm"
	res, err := plainRequest(http.MethodPost, confirm, strings.NewReader(url.Values{"orderId": {u.Query().Get("orderId")}, "choice": {"approve"}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("approve: %d", res.StatusCode)
	}
	back, err := plainRequest(http.MethodGet, res.Header.Get("Location"), nil, nil)
	if err != nil {
		return err
	}
	back.Body.Close()
	return nil
}

// plainRequest sends a request without following redirects; the caller
// closes the body. It never calls t.Fatal, so goroutines may use it.
func plainRequest(method, target string, body io.Reader, headers map[string]string) (*http.Response, error) {
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	// Read the body now so that the connection is reused; hand back a copy.
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(strings.NewReader(string(b)))
	return res, nil
}

// apiJSON calls the merchant API and decodes the answer.
func apiJSON(app *web.App, method, path string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	res, err := plainRequest(method, app.URL+path, strings.NewReader(string(b)),
		map[string]string{"Authorization": "Bearer " + testKey, "Content-Type": "application/json"})
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s %s: %d, not JSON", method, path, res.StatusCode)
	}
	return m, nil
}
