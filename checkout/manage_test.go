package checkout_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// managedProvider adds capture, cancel, refund, notifications and a return
// binding check to fakeProvider.
type managedProvider struct {
	*fakeProvider
	capture, cancel func() (checkout.Outcome, error)
	refund          func(checkout.RefundRequest) (checkout.RefundOutcome, error)
	refunds         atomic.Int32
	notification    func(checkout.NotificationRequest) (checkout.Notification, error)
	returnMAC       string
}

func (m *managedProvider) Capture(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	m.calls.Add(1)
	return m.capture()
}
func (m *managedProvider) Cancel(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	m.calls.Add(1)
	return m.cancel()
}
func (m *managedProvider) Refund(ctx context.Context, p checkout.Payment, r checkout.RefundRequest) (checkout.RefundOutcome, error) {
	m.refunds.Add(1)
	return m.refund(r)
}
func (m *managedProvider) Notification(ctx context.Context, r checkout.NotificationRequest) (checkout.Notification, error) {
	return m.notification(r)
}
func (m *managedProvider) CheckReturn(p checkout.Payment, c checkout.Continuation) error {
	if c.Values.Get("RETURNMAC") != m.returnMAC {
		return errors.New("RETURNMAC mismatch")
	}
	return nil
}

// paidWith pays a new session (capture mode as given) with the provider's
// scripted pay outcome.
func paidWith(t *testing.T, svc *checkout.Service, m *checkout.Merchant, mode checkout.CaptureMode) *checkout.Payment {
	t.Helper()
	s, err := svc.CreateSession(context.Background(), m, checkout.CreateSessionParams{Amount: 1000, Currency: "EUR",
		SuccessURL: "https://shop.test/ok", CaptureMode: mode})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func managed(t *testing.T) (*managedProvider, *checkout.Service, *checkout.Merchant) {
	mp := &managedProvider{fakeProvider: &fakeProvider{
		pay:     outcome(checkout.Outcome{Status: checkout.OutcomeAuthorized, ProviderRef: "wl-1"}, nil),
		inquire: outcome(checkout.Outcome{Status: checkout.OutcomePending}, nil),
	}}
	svc, m, _ := MustService(t, mp)
	return mp, svc, m
}

func (m *managedProvider) Capabilities() checkout.Capabilities {
	c := m.fakeProvider.Capabilities()
	c.ManualCapture = true
	return c
}

func TestCaptureAndCancel(t *testing.T) {
	ctx := context.Background()
	mp, svc, m := managed(t)
	p := paidWith(t, svc, m, checkout.CaptureManual)
	if p.Status != checkout.PaymentAuthorized {
		t.Fatalf("paid: %s", p.Status)
	}

	// An unknown answer changes nothing and says retrying is safe.
	mp.capture = outcome(checkout.Outcome{}, errors.New("timeout"))
	if _, err := svc.Capture(ctx, m.ID, p.ID); checkout.ErrorCodeOf(err) != checkout.EUnavailable {
		t.Fatalf("capture with unknown answer: %v", err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentAuthorized {
		t.Fatalf("after unknown capture: %s", got.Status)
	}
	// Another merchant cannot touch it.
	if _, err := svc.Capture(ctx, "mer_other", p.ID); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("other merchant: %v", err)
	}
	mp.capture = outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil)
	got, err := svc.Capture(ctx, m.ID, p.ID)
	if err != nil || got.Status != checkout.PaymentCaptured {
		t.Fatalf("capture: %+v %v", got, err)
	}
	calls := mp.calls.Load()
	if again, err := svc.Capture(ctx, m.ID, p.ID); err != nil || again.Status != checkout.PaymentCaptured || mp.calls.Load() != calls {
		t.Fatalf("second capture: %+v %v (provider called again: %v)", again, err, mp.calls.Load() != calls)
	}
	if _, err := svc.Cancel(ctx, m.ID, p.ID); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("cancel after capture: %v", err)
	}
	s, _, _ := svc.Session(ctx, m.ID, got.SessionID)
	if s.Status != checkout.SessionComplete {
		t.Fatalf("session after capture: %s", s.Status)
	}

	// Cancel of another authorized payment.
	p2 := paidWith(t, svc, m, checkout.CaptureManual)
	mp.cancel = outcome(checkout.Outcome{Status: checkout.OutcomeCanceled}, nil)
	got, err = svc.Cancel(ctx, m.ID, p2.ID)
	if err != nil || got.Status != checkout.PaymentCanceled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if _, err := svc.Capture(ctx, m.ID, p2.ID); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("capture after cancel: %v", err)
	}
}

func TestRefunds(t *testing.T) {
	ctx := context.Background()
	mp, svc, m := managed(t)
	mp.pay = outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "wl-2"}, nil)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)

	mp.refund = func(r checkout.RefundRequest) (checkout.RefundOutcome, error) {
		if r.IdempotencyKey != r.RefundID || r.Amount.Currency != "EUR" {
			t.Errorf("refund request %+v", r)
		}
		return checkout.RefundOutcome{Status: checkout.RefundFailed, ProviderCode: "300450"}, nil
	}
	if _, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 400}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("refused refund: %v", err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.AmountRefunded != 0 || got.Status != checkout.PaymentSucceeded {
		t.Fatalf("a refused refund kept its reservation: %+v", got)
	}
	if _, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 1001}); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("over-refund: %v", err)
	}

	// Concurrent refunds of 300 each: at most three fit in 1000.
	mp.refund = func(r checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundSucceeded, ProviderRef: "r-" + r.RefundID}, nil
	}
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 300}); err == nil && r.Status == checkout.RefundSucceeded {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	got, _ := svc.MerchantPayment(ctx, m.ID, p.ID)
	if int64(ok.Load())*300 != got.AmountRefunded || got.AmountRefunded > 1000 || ok.Load() == 0 {
		t.Fatalf("%d refunds succeeded, payment says %d refunded", ok.Load(), got.AmountRefunded)
	}
	if got.Status != checkout.PaymentPartiallyRefunded {
		t.Fatalf("status after partial refunds: %s", got.Status)
	}
	// The rest, with no amount.
	r, after, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{})
	if err != nil || r.Amount.Amount != 1000-got.AmountRefunded || after.Status != checkout.PaymentRefunded || after.AmountRefunded != 1000 {
		t.Fatalf("final refund: %+v %+v %v", r, after, err)
	}
	if _, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 1}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("refund of a refunded payment: %v", err)
	}
	rs, _ := svc.Refunds(ctx, p.ID)
	var sum int64
	for _, r := range rs {
		if r.Status == checkout.RefundSucceeded {
			sum += r.Amount.Amount
		}
	}
	if sum != 1000 {
		t.Fatalf("succeeded refunds add up to %d", sum)
	}
}

func TestReturnBindingCheckedBeforeAnythingMoves(t *testing.T) {
	ctx := context.Background()
	mp, svc, m := managed(t)
	mp.returnMAC = "mac-1"
	mp.pay = outcome(checkout.Outcome{Status: checkout.OutcomeActionRequired, Action: &checkout.Action{Kind: checkout.ActionRedirect, URL: "https://acs.test/3dsecure/1"}}, nil)
	mp.cont = outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	calls := mp.calls.Load()
	if _, _, err := svc.Return(ctx, p.SessionID, p.ID, url.Values{"RETURNMAC": {"forged"}}); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("forged return: %v", err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentRequiresAction || mp.calls.Load() != calls {
		t.Fatalf("a forged return moved the payment to %s or called the provider", got.Status)
	}
	got, kind, err := svc.Return(ctx, p.SessionID, p.ID, url.Values{"RETURNMAC": {"mac-1"}})
	if err != nil || kind != checkout.ContinueRedirect || got.Status != checkout.PaymentSucceeded {
		t.Fatalf("return: %+v %s %v", got, kind, err)
	}
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	mp, svc, m := managed(t)
	mp.pay = outcome(checkout.Outcome{}, errors.New("timeout")) // pending
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	if p.Status != checkout.PaymentPending {
		t.Fatalf("paid: %s", p.Status)
	}
	var inquiries atomic.Int32
	mp.inquire = func() (checkout.Outcome, error) {
		inquiries.Add(1)
		return checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil
	}
	eur := checkout.Money{Amount: 1000, Currency: "EUR"}
	next := checkout.Notification{EventID: "ev-1", Type: "payment.paid", PaymentID: p.ID, Amount: &eur,
		Outcome: checkout.Outcome{Status: checkout.OutcomeSucceeded}}
	mp.notification = func(r checkout.NotificationRequest) (checkout.Notification, error) {
		if string(r.Body) != "signed" {
			return checkout.Notification{}, errors.New("bad signature")
		}
		return next, nil
	}
	if _, err := svc.Notify(ctx, "fake", checkout.NotificationRequest{Method: http.MethodPost, Body: []byte("forged")}); checkout.ErrorCodeOf(err) != checkout.EUnauthorized {
		t.Fatalf("forged notification: %v", err)
	}
	if inquiries.Load() != 0 {
		t.Fatal("a forged notification triggered an inquiry")
	}
	if _, err := svc.Notify(ctx, "nope", checkout.NotificationRequest{}); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("unknown provider: %v", err)
	}
	signed := checkout.NotificationRequest{Method: http.MethodPost, Body: []byte("signed")}
	reply, err := svc.Notify(ctx, "fake", signed)
	if err != nil || reply.Status != http.StatusOK {
		t.Fatalf("notification: %+v %v", reply, err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentSucceeded || inquiries.Load() != 1 {
		t.Fatalf("after notification: %s after %d inquiries", got.Status, inquiries.Load())
	}
	// The same event again is acknowledged and dropped.
	if _, err := svc.Notify(ctx, "fake", signed); err != nil || inquiries.Load() != 1 {
		t.Fatalf("duplicate: %v, %d inquiries", err, inquiries.Load())
	}
	// A later "rejected" event cannot move a succeeded payment back.
	next = checkout.Notification{EventID: "ev-2", Type: "payment.rejected", PaymentID: p.ID, Amount: &eur,
		Outcome: checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(checkout.DeclineGeneric, "")}}
	if _, err := svc.Notify(ctx, "fake", signed); err != nil {
		t.Fatal(err)
	}
	// Nor can one with another amount refund it.
	other := checkout.Money{Amount: 999, Currency: "EUR"}
	next = checkout.Notification{EventID: "ev-3", Type: "payment.refunded", PaymentID: p.ID, Amount: &other,
		Outcome: checkout.Outcome{Status: checkout.OutcomeRefunded}}
	if _, err := svc.Notify(ctx, "fake", signed); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentSucceeded {
		t.Fatalf("a final payment moved to %s", got.Status)
	}
	// A matching refund event moves it forward.
	next = checkout.Notification{EventID: "ev-4", Type: "payment.refunded", ProviderRef: "", PaymentID: p.ID, Amount: &eur,
		Outcome: checkout.Outcome{Status: checkout.OutcomeRefunded}}
	if _, err := svc.Notify(ctx, "fake", signed); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentRefunded || got.AmountRefunded != 1000 {
		t.Fatalf("after refund event: %s, %d refunded", got.Status, got.AmountRefunded)
	}
	// A handshake has only a reply.
	next = checkout.Notification{Reply: checkout.NotificationReply{Status: 200, ContentType: "text/plain", Body: "echo"}}
	if reply, err := svc.Notify(ctx, "fake", signed); err != nil || reply.Body != "echo" {
		t.Fatalf("handshake: %+v %v", reply, err)
	}
}

func TestRefundUnsupportedByProvider(t *testing.T) {
	prov := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil)}
	svc, m, _ := MustService(t, prov)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	if _, _, err := svc.Refund(context.Background(), m.ID, p.ID, checkout.RefundParams{}); checkout.ErrorCodeOf(err) != checkout.EUnsupported {
		t.Fatalf("refund without a Refunder: %v", err)
	}
	if got, _ := svc.MerchantPayment(context.Background(), m.ID, p.ID); got.AmountRefunded != 0 {
		t.Fatalf("reserved %d", got.AmountRefunded)
	}
}

// An inquiry (here triggered by a notification) that finds the shopper still
// at the provider must keep the action the status page sends them to.
func TestInquiryWhileWaitingKeepsTheAction(t *testing.T) {
	ctx := context.Background()
	mp, svc, m := managed(t)
	mp.pay = outcome(checkout.Outcome{Status: checkout.OutcomeActionRequired, Action: &checkout.Action{Kind: checkout.ActionRedirect, URL: "https://acs.test/3dsecure/1"}}, nil)
	mp.inquire = outcome(checkout.Outcome{Status: checkout.OutcomePending}, nil)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	mp.notification = func(checkout.NotificationRequest) (checkout.Notification, error) {
		return checkout.Notification{EventID: "ev-r", Type: "payment.redirected", PaymentID: p.ID, Outcome: checkout.Outcome{Status: checkout.OutcomePending}}, nil
	}
	if _, err := svc.Notify(ctx, "fake", checkout.NotificationRequest{Method: http.MethodPost}); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.MerchantPayment(ctx, m.ID, p.ID)
	if got.Status != checkout.PaymentRequiresAction || got.Action == nil || got.Action.URL != "https://acs.test/3dsecure/1" {
		t.Fatalf("after the inquiry: %s, action %+v", got.Status, got.Action)
	}
}

type walletFake struct{ *fakeProvider }

func (walletFake) Name() string { return "wallet" }
func (walletFake) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodWallet}}
}

func TestRoutesPerPaymentMethod(t *testing.T) {
	ctx := context.Background()
	card := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil)}
	wallet := walletFake{&fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeActionRequired,
		Action: &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: "https://wallet.test/cashier"}}, nil)}}
	svc, m, _ := MustService(t, card)
	svc.Providers["wallet"] = wallet
	params := func(methods ...checkout.PaymentMethod) checkout.CreateSessionParams {
		return checkout.CreateSessionParams{Amount: 1000, Currency: "EUR", SuccessURL: "https://shop.test/ok", PaymentMethods: methods}
	}
	s, err := svc.CreateSession(ctx, m, params(checkout.MethodCard, checkout.MethodWallet))
	if err != nil || s.Routes[checkout.MethodCard] != "fake" || s.Routes[checkout.MethodWallet] != "wallet" || s.Provider != "fake" {
		t.Fatalf("routes: %+v %v", s, err)
	}
	got, _, _ := svc.Session(ctx, m.ID, s.ID)
	if got.ProviderFor(checkout.MethodWallet) != "wallet" || got.ProviderFor(checkout.MethodCard) != "fake" {
		t.Fatalf("stored routes: %v", got.Routes)
	}
	p, err := svc.Pay(ctx, s.ID, checkout.PayInput{Method: checkout.MethodWallet})
	if err != nil || p.Provider != "wallet" || p.Status != checkout.PaymentRequiresAction || card.calls.Load() != 0 {
		t.Fatalf("wallet pay: %+v %v (card provider called %d times)", p, err, card.calls.Load())
	}

	w, err := svc.CreateSession(ctx, m, params(checkout.MethodWallet))
	if err != nil || w.Provider != "wallet" {
		t.Fatalf("wallet-only session: %+v %v", w, err)
	}
	for _, tt := range []struct {
		p     checkout.CreateSessionParams
		param string
	}{
		{func() checkout.CreateSessionParams { x := params(checkout.MethodCard); x.Provider = "wallet"; return x }(), "provider"},
		{func() checkout.CreateSessionParams {
			x := params(checkout.MethodWallet)
			x.CaptureMode = checkout.CaptureManual
			return x
		}(), "capture_mode"},
		{func() checkout.CreateSessionParams {
			x := params(checkout.MethodSavedCard)
			x.Customer.Reference = "cust-1"
			return x
		}(), "payment_methods[0]"},
	} {
		if _, err := svc.CreateSession(ctx, m, tt.p); checkout.ErrorCodeOf(err) != checkout.EUnsupported || err.(*checkout.Error).Param != tt.param {
			t.Errorf("%+v: %v, want unsupported %s", tt.p, err, tt.param)
		}
	}
}

// An authorized payment nobody captures is not left authorized forever:
// a week on, the provider is asked daily, and a lapsed authorisation is
// recorded as canceled (and told to the merchant).
func TestLapsedAuthorizationIsCanceled(t *testing.T) {
	ctx := context.Background()
	mp := &managedProvider{fakeProvider: &fakeProvider{
		pay:     outcome(checkout.Outcome{Status: checkout.OutcomeAuthorized, ProviderRef: "wl-a"}, nil),
		inquire: outcome(checkout.Outcome{Status: checkout.OutcomeAuthorized}, nil),
	}}
	svc, m, clk := MustService(t, mp)
	p := paidWith(t, svc, m, checkout.CaptureManual)
	if p.Status != checkout.PaymentAuthorized || p.NextCheckAt.Sub(clk.Now()) != checkout.AuthorizationCheckAfter {
		t.Fatalf("authorized: %s, next check %v", p.Status, p.NextCheckAt)
	}
	if n, _ := svc.ReconcileDue(ctx); n != 0 {
		t.Fatalf("%d checked before the week was out", n)
	}
	clk.Add(checkout.AuthorizationCheckAfter + time.Second)
	calls := mp.calls.Load()
	if n, _ := svc.ReconcileDue(ctx); n != 1 || mp.calls.Load() != calls+1 {
		t.Fatalf("checked %d, %d calls", n, mp.calls.Load()-calls)
	}
	got, _ := svc.MerchantPayment(ctx, m.ID, p.ID)
	if got.Status != checkout.PaymentAuthorized || got.NextCheckAt.Sub(clk.Now()) != checkout.AuthorizationCheckEvery {
		t.Fatalf("still authorized: %s, next check in %v", got.Status, got.NextCheckAt.Sub(clk.Now()))
	}
	mp.inquire = outcome(checkout.Outcome{Status: checkout.OutcomeCanceled}, nil)
	clk.Add(checkout.AuthorizationCheckEvery)
	if _, err := svc.ReconcileDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentCanceled || !got.NextCheckAt.IsZero() {
		t.Fatalf("after the provider let it lapse: %s, next check %v", got.Status, got.NextCheckAt)
	}
}

// TestNotificationsStayInTheirMode: on a live server, which runs the
// sandboxes for test keys too, a notification to the real providers' route
// never moves a test payment, and one to the sandboxes' route moves it.
func TestNotificationsStayInTheirMode(t *testing.T) {
	ctx := context.Background()
	mp, svc, m := managed(t)
	if m.Live {
		t.Fatal("the managed merchant is a test one")
	}
	svc.TestProviders = svc.Providers
	svc.Providers = map[string]checkout.Provider{"fake": mp}
	mp.pay = outcome(checkout.Outcome{}, errors.New("timeout")) // pending
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	if p.Status != checkout.PaymentPending || p.Livemode {
		t.Fatalf("paid: %s, livemode %v", p.Status, p.Livemode)
	}
	var inquiries atomic.Int32
	mp.inquire = func() (checkout.Outcome, error) {
		inquiries.Add(1)
		return checkout.Outcome{Status: checkout.OutcomeSucceeded}, nil
	}
	eur := checkout.Money{Amount: 1000, Currency: "EUR"}
	mp.notification = func(checkout.NotificationRequest) (checkout.Notification, error) {
		return checkout.Notification{EventID: "ev-1", Type: "payment.paid", PaymentID: p.ID, Amount: &eur,
			Outcome: checkout.Outcome{Status: checkout.OutcomeSucceeded}}, nil
	}
	req := checkout.NotificationRequest{Method: http.MethodPost, Body: []byte("signed")}
	if _, err := svc.Notify(ctx, "fake", req); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentPending || inquiries.Load() != 0 {
		t.Fatalf("the live route moved a test payment to %s (%d inquiries)", got.Status, inquiries.Load())
	}
	// The same event id on the sandboxes' route is its own: not a duplicate.
	if _, err := svc.NotifyTest(ctx, "fake", req); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantPayment(ctx, m.ID, p.ID); got.Status != checkout.PaymentSucceeded || inquiries.Load() != 1 {
		t.Fatalf("the test route: %s after %d inquiries", got.Status, inquiries.Load())
	}
}
