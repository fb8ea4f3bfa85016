package checkout_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

// fakeProvider answers from scripts and counts calls.
type fakeProvider struct {
	pay, cont, inquire func() (checkout.Outcome, error)
	calls              atomic.Int32
	gate               chan struct{} // when set, Pay waits on it
}

func (f *fakeProvider) Name() string { return "fake" }
func (f *fakeProvider) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodCard}, Currencies: []string{"USD", "EUR"}}
}
func (f *fakeProvider) Pay(ctx context.Context, req checkout.PayRequest) (checkout.Outcome, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	return f.pay()
}
func (f *fakeProvider) Continue(ctx context.Context, p checkout.Payment, c checkout.Continuation) (checkout.Outcome, error) {
	f.calls.Add(1)
	return f.cont()
}
func (f *fakeProvider) Inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	f.calls.Add(1)
	return f.inquire()
}

type testLinks struct{}

func (testLinks) SessionURL(id string) string { return "https://pay.test/c/" + id }
func (testLinks) ReturnURL(sid, pid string) string {
	return "https://pay.test/c/" + sid + "/payments/" + pid + "/return"
}
func (testLinks) NotifyURL(provider string) string { return "https://pay.test/notify/" + provider }
func (testLinks) Origin() string                   { return "https://pay.test" }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func MustService(tb testing.TB, p checkout.Provider) (*checkout.Service, *checkout.Merchant, *clock) {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(tb.TempDir(), "checkout.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	clk := &clock{t: today}
	svc := &checkout.Service{Store: db, Providers: map[string]checkout.Provider{"fake": p}, Links: testLinks{},
		Now: clk.Now, IDs: checkout.RandomIDs{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m := &checkout.Merchant{ID: "mer_test", Name: "Test shop", APIKeyHash: checkout.HashAPIKey("sk_test_x"), DefaultProvider: "fake", CreatedAt: today}
	if err := db.SaveMerchant(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return svc, m, clk
}

func mustCreate(tb testing.TB, svc *checkout.Service, m *checkout.Merchant) *checkout.Session {
	tb.Helper()
	s, err := svc.CreateSession(context.Background(), m, checkout.CreateSessionParams{Amount: 1000, Currency: "usd", SuccessURL: "https://shop.test/ok"})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func card(tb testing.TB) *checkout.CardInput {
	c, errs := checkout.ParseCard("4242424242424242", "12/30", "123", "Ada Lovelace", today)
	if errs != nil {
		tb.Fatal(errs)
	}
	return &c
}

func outcome(o checkout.Outcome, err error) func() (checkout.Outcome, error) {
	return func() (checkout.Outcome, error) { return o, err }
}

func TestPayApprovedCompletesSession(t *testing.T) {
	prov := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "ref1",
		ThreeDS: &checkout.ThreeDSResult{ECI: "05", Flow: checkout.FlowFrictionless}}, nil)}
	svc, m, _ := MustService(t, prov)
	s := mustCreate(t, svc, m)
	if s.Amount.Currency != "USD" || s.Locale != checkout.LocaleAuto || s.CaptureMode != checkout.CaptureAutomatic {
		t.Fatalf("defaults not applied: %+v", s)
	}
	p, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
	if err != nil || p.Status != checkout.PaymentSucceeded || p.ProviderRef != "ref1" || p.Card.Last4 != "4242" {
		t.Fatalf("pay: %+v %v", p, err)
	}
	s2, pays, _ := svc.Session(context.Background(), m.ID, s.ID)
	if s2.Status != checkout.SessionComplete || len(pays) != 1 {
		t.Fatalf("session %s with %d payments", s2.Status, len(pays))
	}
	// Paying again after success is refused without a provider call.
	before := prov.calls.Load()
	if _, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("second pay: %v", err)
	}
	if prov.calls.Load() != before {
		t.Fatal("second pay reached the provider")
	}
}

func TestConcurrentPaysReachProviderOnce(t *testing.T) {
	prov := &fakeProvider{gate: make(chan struct{}), pay: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil)}
	svc, m, _ := MustService(t, prov)
	s := mustCreate(t, svc, m)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
		}()
	}
	time.Sleep(200 * time.Millisecond)
	close(prov.gate)
	wg.Wait()
	if n := prov.calls.Load(); n != 1 {
		t.Fatalf("provider called %d times, want 1", n)
	}
}

func TestUnknownOutcomeIsPendingThenReconciled(t *testing.T) {
	prov := &fakeProvider{
		pay:     outcome(checkout.Outcome{}, errors.New("fake: timeout")),
		inquire: outcome(checkout.Outcome{Status: checkout.OutcomePending}, nil),
	}
	svc, m, clk := MustService(t, prov)
	s := mustCreate(t, svc, m)
	p, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
	if err != nil || p.Status != checkout.PaymentPending || p.NextCheckAt.IsZero() {
		t.Fatalf("after timeout: %+v %v", p, err)
	}
	if n, _ := svc.ReconcileDue(context.Background()); n != 0 {
		t.Fatalf("reconciled %d before the first check was due", n)
	}
	clk.Add(3 * time.Second)
	if n, _ := svc.ReconcileDue(context.Background()); n != 1 {
		t.Fatalf("reconciled %d, want 1", n)
	}
	p, _ = svc.Store.Payment(context.Background(), p.ID)
	if p.Status != checkout.PaymentPending || p.CheckCount != 1 {
		t.Fatalf("an inconclusive inquiry changed the payment: %+v", p)
	}
	prov.inquire = outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil)
	clk.Add(time.Minute)
	svc.ReconcileDue(context.Background())
	p, _ = svc.Store.Payment(context.Background(), p.ID)
	if p.Status != checkout.PaymentSucceeded || !p.NextCheckAt.IsZero() {
		t.Fatalf("after definitive inquiry: %+v", p)
	}
	// A late contradicting answer never moves a final state backwards.
	prov.inquire = outcome(checkout.Outcome{Status: checkout.OutcomeFailed}, nil)
	if p2, _ := svc.Reconcile(context.Background(), p.ID); p2.Status != checkout.PaymentSucceeded {
		t.Fatalf("final state moved: %s", p2.Status)
	}
}

func TestDeclineThenRetryAndAttemptLimit(t *testing.T) {
	prov := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(checkout.DeclineInsufficientFunds, "51")}, nil)}
	svc, m, _ := MustService(t, prov)
	s := mustCreate(t, svc, m)
	for i := 1; i <= 5; i++ {
		p, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
		if err != nil || p.Status != checkout.PaymentFailed || p.Attempt != i || p.Decline.Code != checkout.DeclineInsufficientFunds {
			t.Fatalf("attempt %d: %+v %v", i, p, err)
		}
	}
	if _, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("sixth attempt: %v", err)
	}
	if prov.calls.Load() != 5 {
		t.Fatalf("provider calls %d, want 5", prov.calls.Load())
	}
}

func TestChallengeContinuationChecksMD(t *testing.T) {
	prov := &fakeProvider{
		pay:  outcome(checkout.Outcome{Status: checkout.OutcomeActionRequired, Action: &checkout.Action{Kind: checkout.ActionChallenge, URL: "https://acs.test/c", JWT: "j", MD: "md-1"}}, nil),
		cont: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil),
	}
	svc, m, _ := MustService(t, prov)
	s := mustCreate(t, svc, m)
	p, _ := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
	if p.Status != checkout.PaymentRequiresAction || p.Action.MD != "md-1" {
		t.Fatalf("after pay: %+v", p)
	}
	if _, _, err := svc.Return(context.Background(), s.ID, p.ID, url.Values{"MD": {"forged"}}); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("forged MD: %v", err)
	}
	if _, _, err := svc.Return(context.Background(), "cs_other", p.ID, url.Values{"MD": {"md-1"}}); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("other session: %v", err)
	}
	got, kind, err := svc.Return(context.Background(), s.ID, p.ID, url.Values{"MD": {"md-1"}})
	if err != nil || kind != checkout.ContinueChallenge || got.Status != checkout.PaymentSucceeded || got.Action != nil {
		t.Fatalf("return: %+v %s %v", got, kind, err)
	}
	// A replayed return changes nothing and calls no provider.
	before := prov.calls.Load()
	got, _, err = svc.Return(context.Background(), s.ID, p.ID, url.Values{"MD": {"md-1"}})
	if err != nil || got.Status != checkout.PaymentSucceeded || prov.calls.Load() != before {
		t.Fatalf("replayed return: %+v %v", got, err)
	}
}

func TestCreateSessionRouting(t *testing.T) {
	svc, m, _ := MustService(t, &fakeProvider{})
	ctx := context.Background()
	base := checkout.CreateSessionParams{Amount: 1000, Currency: "USD", SuccessURL: "https://shop.test/ok"}
	for name, tt := range map[string]struct {
		mut   func(*checkout.CreateSessionParams)
		code  checkout.ErrorCode
		param string
	}{
		"currency the provider lacks": {func(p *checkout.CreateSessionParams) { p.Currency = "JPY" }, checkout.EUnsupported, "currency"},
		"unknown provider":            {func(p *checkout.CreateSessionParams) { p.Provider = "nope" }, checkout.EInvalid, "provider"},
		"wallet unsupported":          {func(p *checkout.CreateSessionParams) { p.PaymentMethods = []checkout.PaymentMethod{"card", "wallet"} }, checkout.EUnsupported, "payment_methods[1]"},
		"manual capture unsupported":  {func(p *checkout.CreateSessionParams) { p.CaptureMode = checkout.CaptureManual }, checkout.EUnsupported, "capture_mode"},
	} {
		p := base
		tt.mut(&p)
		_, err := svc.CreateSession(ctx, m, p)
		var ce *checkout.Error
		if !errors.As(err, &ce) || ce.Code != tt.code || ce.Param != tt.param {
			t.Errorf("%s: %v, want %s on %s", name, err, tt.code, tt.param)
		}
	}
}

func TestExpiry(t *testing.T) {
	prov := &fakeProvider{pay: outcome(checkout.Outcome{}, errors.New("fake: timeout")), inquire: outcome(checkout.Outcome{Status: checkout.OutcomePending}, nil)}
	svc, m, clk := MustService(t, prov)
	ctx := context.Background()
	idle := mustCreate(t, svc, m)
	busy := mustCreate(t, svc, m)
	if _, err := svc.Pay(ctx, busy.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ExpireSession(ctx, m.ID, busy.ID); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("expiring a session with a payment in flight: %v", err)
	}
	clk.Add(25 * time.Hour)
	if n, err := svc.ExpireDue(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d %v, want 1 (the busy one waits for its payment)", n, err)
	}
	s, _, _ := svc.Session(ctx, m.ID, idle.ID)
	if s.Status != checkout.SessionExpired {
		t.Fatalf("idle session %s", s.Status)
	}
	if _, _, err := svc.ExpireSession(ctx, m.ID, idle.ID); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("expiring twice: %v", err)
	}
	if _, _, err := svc.Session(ctx, "mer_other", idle.ID); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("another merchant's session: %v", err)
	}
}

// Expiry is on time and told to the merchant; a payment in flight at the
// expiry still ends in its true state, and the session follows it.
func TestExpiryWebhooksAndAPaymentInFlight(t *testing.T) {
	var answer atomic.Value
	answer.Store(checkout.OutcomePending)
	prov := &fakeProvider{pay: outcome(checkout.Outcome{}, errors.New("fake: timeout")),
		inquire: func() (checkout.Outcome, error) {
			return checkout.Outcome{Status: answer.Load().(checkout.OutcomeStatus)}, nil
		}}
	svc, m, clk := MustService(t, prov)
	ctx := context.Background()
	if err := svc.Store.SaveWebhookEndpoint(ctx, &checkout.WebhookEndpoint{ID: "we_" + strings.Repeat("e", 32), MerchantID: m.ID,
		URL: "https://shop.test/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: today}); err != nil {
		t.Fatal(err)
	}
	idle := mustCreate(t, svc, m)
	busy := mustCreate(t, svc, m)
	p, err := svc.Pay(ctx, busy.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
	if err != nil || p.Status != checkout.PaymentPending {
		t.Fatalf("pay: %+v %v", p, err)
	}
	clk.Add(24*time.Hour + time.Second)
	if n, _ := svc.ExpireDue(ctx); n != 1 {
		t.Fatalf("expired %d, want the idle one", n)
	}
	answer.Store(checkout.OutcomeSucceeded)
	if got, err := svc.Reconcile(ctx, p.ID); err != nil || got.Status != checkout.PaymentSucceeded {
		t.Fatalf("reconcile: %+v %v", got, err)
	}
	if s, _, _ := svc.Session(ctx, m.ID, busy.ID); s.Status != checkout.SessionComplete {
		t.Fatalf("the busy session is %s, want complete", s.Status)
	}
	ds, err := svc.Store.WebhookDeliveries(ctx, m.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, d := range ds {
		var body struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &body); err != nil || body.Type != d.Type {
			t.Fatalf("payload %s: %v", d.Payload, err)
		}
		id, _ := body.Data["id"].(string)
		types[d.Type+" "+id]++
	}
	for _, want := range []string{"checkout.session.expired " + idle.ID, "payment.pending " + p.ID, "payment.succeeded " + p.ID,
		"checkout.session.completed " + busy.ID} {
		if types[want] != 1 {
			t.Errorf("webhook %q queued %d times, want once (all: %v)", want, types[want], types)
		}
	}
	if types["checkout.session.expired "+busy.ID] != 0 {
		t.Error("the paid session was reported expired")
	}
}

// racingStore runs an inquiry of the payment (a provider notification's,
// finding the provider still waiting) just before the shopper's return
// moves it: the return's compare-and-set then fails on a payment that
// still waits for that very step.
type racingStore struct {
	checkout.Store
	svc   *checkout.Service
	raced atomic.Bool
}

func (r *racingStore) UpdatePayment(ctx context.Context, p *checkout.Payment, s *checkout.SessionChange, events ...checkout.Event) error {
	if p.Status == checkout.PaymentProcessing && r.raced.CompareAndSwap(false, true) {
		if _, err := r.svc.Reconcile(ctx, p.ID); err != nil {
			return err
		}
	}
	return r.Store.UpdatePayment(ctx, p, s, events...)
}

// TestReturnGoesOnAfterANoOpInquiry: a shopper's return that loses the
// race to an inquiry which left the payment waiting for the same step is
// not dropped (before, the payment waited 15 minutes for the reconciler).
func TestReturnGoesOnAfterANoOpInquiry(t *testing.T) {
	ctx := context.Background()
	action := &checkout.Action{Kind: checkout.ActionRedirect, URL: "https://acs.test/3dsecure/1"}
	prov := &fakeProvider{
		pay:     outcome(checkout.Outcome{Status: checkout.OutcomeActionRequired, Action: action}, nil),
		inquire: outcome(checkout.Outcome{Status: checkout.OutcomePending}, nil), // the provider still waits for the shopper
		cont:    outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "ref1"}, nil),
	}
	svc, m, _ := MustService(t, prov)
	s := mustCreate(t, svc, m)
	p, err := svc.Pay(ctx, s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
	if err != nil || p.Status != checkout.PaymentRequiresAction {
		t.Fatalf("pay: %+v %v", p, err)
	}
	race := &racingStore{Store: svc.Store, svc: svc}
	svc.Store = race
	got, _, err := svc.Return(ctx, s.ID, p.ID, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	if !race.raced.Load() {
		t.Fatal("the inquiry did not run before the return's move")
	}
	if got.Status != checkout.PaymentSucceeded {
		t.Fatalf("after the race the return left the payment %s", got.Status)
	}
}

// A session created under an Idempotency-Key stores its answer with it: a
// retry gets that answer (replayed) even once the request would be refused
// now (its expires_at has passed); the same key with another request is
// refused, and a refused request stores nothing, so its key stays free.
func TestCreateSessionAnsweredReplaysTheFirstAnswer(t *testing.T) {
	svc, m, clk := MustService(t, &fakeProvider{})
	ctx := context.Background()
	expires := today.Add(time.Hour)
	p := checkout.CreateSessionParams{Amount: 1000, Currency: "usd", SuccessURL: "https://shop.test/ok", ExpiresAt: &expires, IdempotencyKey: "order-1"}
	request := checkout.IdempotencyRecord{MerchantID: m.ID, Key: "order-1", RequestHash: "h1", CreatedAt: today}
	made := 0
	answer := func(s *checkout.Session) (int, []byte, error) {
		made++
		return 201, []byte(s.ID), nil
	}
	first, replayed, err := svc.CreateSessionAnswered(ctx, m, p, request, answer)
	if err != nil || replayed || first.Status != 201 {
		t.Fatalf("first: %+v %v %v", first, replayed, err)
	}
	if s, err := svc.Store.SessionByIdempotencyKey(ctx, m.ID, "order-1"); err != nil || s.ID != string(first.Body) {
		t.Fatalf("the session under the key: %v %v, want %s", s, err, first.Body)
	}

	clk.Add(2 * time.Hour) // the request's expires_at is past now
	p2 := p
	if again, replayed, err := svc.CreateSessionAnswered(ctx, m, p2, request, answer); err != nil || !replayed || string(again.Body) != string(first.Body) {
		t.Fatalf("retry after expires_at passed: %+v %v %v, want the first answer replayed", again, replayed, err)
	}
	other := request
	other.RequestHash = "h2"
	if _, _, err := svc.CreateSessionAnswered(ctx, m, p2, other, answer); checkout.ErrorCodeOf(err) != checkout.EIdempotencyMismatch {
		t.Fatalf("same key, another request: %v, want %s", err, checkout.EIdempotencyMismatch)
	}

	bad := p2
	bad.IdempotencyKey = "order-2"
	request2 := request
	request2.Key = "order-2"
	if _, _, err := svc.CreateSessionAnswered(ctx, m, bad, request2, answer); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("an invalid request: %v, want %s", err, checkout.EInvalid)
	}
	if r, err := svc.Store.IdempotencyRecord(ctx, m.ID, "order-2"); err != nil || r != nil {
		t.Fatalf("a refused request stored %+v %v", r, err)
	}
	if made != 1 {
		t.Fatalf("%d answers made, want 1", made)
	}
}
