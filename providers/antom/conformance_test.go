package antom_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/antom"
	"github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/providertest"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// mount is where the app mounts the sandbox.
const mount = "/sandbox/antom"

// env is the sandbox served over HTTP under its mount point, the way the app
// serves it, with the merchant's notification endpoint next to it.
type env struct {
	sb     *sandbox.Sandbox
	creds  sandbox.Credentials
	base   string
	notify *notifySink
}

func newEnv(t testing.TB, edits ...func(*sandbox.Config)) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	creds, err := sandbox.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.Config{
		PublicURL:   srv.URL + mount,
		Credentials: creds,
		// The journeys' paymentNotifyUrl is the public checkout.example.com;
		// the sandbox posts to this process instead.
		NotifyURL: srv.URL + "/notify/antom",
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	sink := &notifySink{}
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	mux.Handle("/notify/antom", sink)
	e := &env{sb: sb, creds: creds, base: srv.URL + mount, notify: sink}
	sink.client = e.client(t, 5*time.Second, creds.MerchantPrivateKey)
	return e
}

func (e *env) client(t testing.TB, timeout time.Duration, merchantKey string) *antom.Client {
	t.Helper()
	c, err := antom.New(antom.Config{
		BaseURL:            e.base,
		ClientID:           e.creds.ClientID,
		MerchantPrivateKey: merchantKey,
		AntomPublicKey:     e.creds.AntomPublicKey,
		HTTPClient:         &http.Client{Timeout: timeout},
		// The sandbox stores a payment before it answers: ORDER_NOT_EXIST
		// is final at once here (10 minutes against the real Antom).
		NotFoundAfter: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// notifySink is the merchant's notify endpoint: it hands every request to
// the adapter and answers what the adapter says.
type notifySink struct {
	client   *antom.Client
	mu       sync.Mutex
	received []checkout.NotificationRequest // every request, as it arrived
	accepted []checkout.Notification
	rejected []error
}

func (s *notifySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable", http.StatusBadRequest)
		return
	}
	req := checkout.NotificationRequest{Method: r.Method, RequestURI: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body}
	n, err := s.client.Notification(r.Context(), req)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, req)
	if err != nil {
		s.rejected = append(s.rejected, err)
		http.Error(w, "rejected", http.StatusUnauthorized)
		return
	}
	s.accepted = append(s.accepted, n)
	w.Header().Set("Content-Type", n.Reply.ContentType)
	w.WriteHeader(n.Reply.Status)
	_, _ = w.Write([]byte(n.Reply.Body))
}

// TestConformance runs the shared provider journeys against the sandbox.
// Antom's challenge is a full-page redirect, so the sandbox says whether
// its 3DS page was shown.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	providertest.Run(t, providertest.Harness{
		Provider: e.client(t, 5*time.Second, e.creds.MerchantPrivateKey),
		MisKeyed: func(t testing.TB) checkout.Provider {
			other, err := alipaysign.NewKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			return e.client(t, 5*time.Second, other.Private)
		},
		Charges:    e.sb.Charges,
		Challenged: e.sb.Challenged,
		Browser:    providertest.BrowseRedirect,
	})
}

// Requests returns every notification request received so far.
func (s *notifySink) Requests() []checkout.NotificationRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]checkout.NotificationRequest(nil), s.received...)
}

// TestRefundConformance runs the shared refund scenarios against the
// sandbox: refunds made, refused, held then settled both ways, faults on
// the refund call and on the inquiry, duplicates and notifications.
func TestRefundConformance(t *testing.T) {
	e := newEnv(t)
	providertest.RunRefunds(t, providertest.RefundHarness{
		Provider:         e.client(t, 5*time.Second, e.creds.MerchantPrivateKey),
		InjectFault:      e.sb.InjectFault,
		RefundOperation:  sandbox.OperationRefund,
		InquiryOperation: sandbox.OperationInquiryRefund,
		Refunds: func(paymentID string) []providertest.LedgerRefund {
			var out []providertest.LedgerRefund
			for _, r := range e.sb.Refunds(paymentID) {
				out = append(out, providertest.LedgerRefund{ID: r.RefundRequestID, Amount: r.Amount, Status: r.Outcome})
			}
			return out
		},
		Notifications:     e.notify.Requests,
		WaitNotifications: e.sb.WaitNotifications,
	})
}

func payRequest(card string, mode checkout.CaptureMode) checkout.PayRequest {
	id := checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
	return checkout.PayRequest{
		PaymentID: id, IdempotencyKey: id, MerchantReference: "order-1", Description: "Linen shirt",
		Amount:    checkout.Money{Amount: 1234, Currency: "USD"},
		LineItems: []checkout.LineItem{{Name: "Linen shirt", Quantity: 1, UnitAmount: 1234}},
		Customer:  checkout.Customer{Email: "jane.doe@example.com"}, Locale: "en-US", Method: checkout.MethodCard,
		Card: &checkout.CardInput{Number: card, CVC: "123", ExpMonth: 12, ExpYear: time.Now().Year() + 2, Holder: "Jane Doe"},
		Browser: checkout.BrowserInfo{UserAgent: "Mozilla/5.0", AcceptHeader: "text/html", IP: "203.0.113.7", Language: "en-US",
			ColorDepth: 24, ScreenWidth: 1440, ScreenHeight: 900, JavaScriptEnabled: true},
		ThreeDS: checkout.ThreeDSAutomatic, CaptureMode: mode,
		ReturnURL: "https://checkout.example.com/return/" + id, NotifyURL: "https://checkout.example.com/notify/antom",
	}
}

func paymentOf(req checkout.PayRequest) checkout.Payment {
	return checkout.Payment{ID: req.PaymentID, Provider: antom.Name, Amount: req.Amount, CaptureMode: req.CaptureMode,
		ProviderData: map[string]string{}, CreatedAt: time.Now()}
}

// TestSandboxRedirectJourneys pays with the cards that send the browser to
// the 3DS page, under both capture modes and 3DS preferences, and continues
// after the browser's return, as the Service does.
func TestSandboxRedirectJourneys(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, 5*time.Second, e.creds.MerchantPrivateKey)
	for name, tc := range map[string]struct {
		card       string
		otp        string
		mode       checkout.CaptureMode
		threeDS    checkout.ThreeDSPreference
		redirects  int
		want       checkout.OutcomeStatus
		decline    checkout.DeclineCode
		challenged bool
		flow       string
	}{
		"challenge pass":            {card: testcards.Challenge, otp: testcards.ChallengeCode, redirects: 1, want: checkout.OutcomeSucceeded, challenged: true, flow: checkout.FlowChallenge},
		"challenge pass, manual":    {card: testcards.Challenge, otp: testcards.ChallengeCode, mode: checkout.CaptureManual, redirects: 1, want: checkout.OutcomeAuthorized, challenged: true, flow: checkout.FlowChallenge},
		"challenge fail":            {card: testcards.Challenge, otp: "0000", redirects: 1, want: checkout.OutcomeFailed, decline: checkout.DeclineAuthenticationFailed, challenged: true},
		"challenge, issuer says no": {card: testcards.ChallengeThenDecline, otp: testcards.ChallengeCode, redirects: 1, want: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, challenged: true},
		"Cardinal challenge card":   {card: sandbox.CardinalVisaChallenge, otp: testcards.ChallengeCode, redirects: 1, want: checkout.OutcomeSucceeded, challenged: true, flow: checkout.FlowChallenge},
		"no challenge requested, issuer insists": {card: testcards.Challenge, otp: testcards.ChallengeCode, threeDS: checkout.ThreeDSNoChallengeRequested,
			redirects: 1, want: checkout.OutcomeSucceeded, challenged: true, flow: checkout.FlowChallenge},
		"no challenge requested, frictionless card": {card: testcards.Visa, threeDS: checkout.ThreeDSNoChallengeRequested, want: checkout.OutcomeSucceeded},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := payRequest(tc.card, tc.mode)
			if tc.threeDS != "" {
				req.ThreeDS = tc.threeDS
			}
			p := paymentOf(req)
			out, err := c.Pay(t.Context(), req)
			redirects := 0
			for err == nil && out.Status == checkout.OutcomeActionRequired {
				if redirects++; redirects > 3 {
					t.Fatal("still redirecting after 3 returns")
				}
				p.ProviderRef = out.ProviderRef
				maps.Copy(p.ProviderData, out.ProviderData)
				back := providertest.BrowseRedirect(t, *out.Action, tc.otp)
				out, err = c.Continue(t.Context(), p, back)
			}
			if err != nil {
				t.Fatal(err)
			}
			if redirects != tc.redirects || out.Status != tc.want {
				t.Fatalf("after %d redirects: %s %+v, want %s after %d", redirects, out.Status, out.Decline, tc.want, tc.redirects)
			}
			if tc.decline != "" && (out.Decline == nil || out.Decline.Code != tc.decline) {
				t.Errorf("decline = %+v, want %s", out.Decline, tc.decline)
			}
			if tc.flow != "" && (out.ThreeDS == nil || out.ThreeDS.Flow != tc.flow || !out.ThreeDS.LiabilityShift()) {
				t.Errorf("3DS = %+v, want %s with liability shift", out.ThreeDS, tc.flow)
			}
			if got := e.sb.Challenged(req.PaymentID); got != tc.challenged {
				t.Errorf("challenge shown = %v, want %v", got, tc.challenged)
			}
			again, err := c.Inquire(t.Context(), p)
			if err != nil || again.Status != tc.want {
				t.Errorf("inquiry afterwards = %s, %v; want %s", again.Status, err, tc.want)
			}
			st, _ := e.sb.PaymentState(req.PaymentID)
			if st.Authorisations > 1 {
				t.Errorf("authorised %d times", st.Authorisations)
			}
			if st.ThreeDSRequested != (req.ThreeDS != checkout.ThreeDSNoChallengeRequested) {
				t.Errorf("is3DSAuthentication = %v for %s", st.ThreeDSRequested, req.ThreeDS)
			}
		})
	}
}

// TestSandboxOperations captures, cancels and refunds sandbox payments
// and checks that the notifications the sandbox sends verify and read.
func TestSandboxOperations(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, 5*time.Second, e.creds.MerchantPrivateKey)
	ctx := t.Context()
	pay := func(mode checkout.CaptureMode) checkout.Payment {
		t.Helper()
		req := payRequest(testcards.Visa, mode)
		want := checkout.OutcomeAuthorized
		if mode == checkout.CaptureAutomatic {
			want = checkout.OutcomeSucceeded
		}
		out, err := c.Pay(ctx, req)
		if err != nil || out.Status != want {
			t.Fatalf("pay = %s, %v; want %s", out.Status, err, want)
		}
		p := paymentOf(req)
		p.Status, p.ProviderRef, p.ProviderData = checkout.PaymentStatus(out.Status), out.ProviderRef, out.ProviderData
		return p
	}

	captured := pay(checkout.CaptureManual)
	if out, err := c.Inquire(ctx, captured); err != nil || out.Status != checkout.OutcomeAuthorized {
		t.Fatalf("inquiry before capture = %s, %v", out.Status, err)
	}
	if out, err := c.Capture(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded || out.ProviderData["capture_id"] == "" {
		t.Fatalf("capture = %+v, %v", out, err)
	}
	if out, err := c.Capture(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("capture again = %s, %v", out.Status, err)
	}
	if out, err := c.Inquire(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("inquiry after capture = %s, %v", out.Status, err)
	}
	if st, _ := e.sb.PaymentState(captured.ID); st.Captured != 1234 || st.Authorisations != 1 || st.CaptureMode != "MANUAL" {
		t.Errorf("ledger after capture: %+v", st)
	}
	if out, err := c.Cancel(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("cancel after capture = %s, %v; want the captured payment", out.Status, err)
	}
	r1 := checkout.RefundRequest{RefundID: "re_" + strings.Repeat("a", 32), IdempotencyKey: "re_" + strings.Repeat("a", 32), Amount: checkout.Money{Amount: 234, Currency: "USD"}}
	if out, err := c.Refund(ctx, captured, r1); err != nil || out.Status != checkout.RefundSucceeded || out.ProviderRef == "" {
		t.Fatalf("refund = %+v, %v", out, err)
	}
	if out, err := c.Refund(ctx, captured, r1); err != nil || out.Status != checkout.RefundSucceeded {
		t.Fatalf("refund repeated = %+v, %v", out, err)
	}
	r2 := checkout.RefundRequest{RefundID: "re_" + strings.Repeat("b", 32), IdempotencyKey: "re_" + strings.Repeat("b", 32), Amount: checkout.Money{Amount: 1001, Currency: "USD"}}
	if out, err := c.Refund(ctx, captured, r2); err != nil || out.Status != checkout.RefundFailed || out.ProviderCode != "REFUND_AMOUNT_EXCEED" {
		t.Fatalf("refund over the rest = %+v, %v", out, err)
	}
	if st, _ := e.sb.PaymentState(captured.ID); st.Refunded != 234 {
		t.Errorf("refunded %d, want 234", st.Refunded)
	}

	canceled := pay(checkout.CaptureManual)
	if out, err := c.Cancel(ctx, canceled); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Fatalf("cancel = %s, %v", out.Status, err)
	}
	if out, err := c.Cancel(ctx, canceled); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Fatalf("cancel again = %s, %v", out.Status, err)
	}
	if out, err := c.Capture(ctx, canceled); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Errorf("capture after cancel = %s, %v; want the canceled payment", out.Status, err)
	}
	if out, err := c.Refund(ctx, canceled, checkout.RefundRequest{RefundID: "re_c", Amount: canceled.Amount}); err != nil || out.Status != checkout.RefundFailed {
		t.Errorf("refund of a canceled payment = %+v, %v", out, err)
	}
	if st, _ := e.sb.PaymentState(canceled.ID); st.Status != "CANCELLED" || st.Captured != 0 {
		t.Errorf("the canceled payment is %s with %d captured", st.Status, st.Captured)
	}
	if out, err := c.Inquire(ctx, canceled); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Errorf("inquiry of the canceled payment = %s, %v", out.Status, err)
	}

	automatic := pay(checkout.CaptureAutomatic)
	if out, err := c.Capture(ctx, automatic); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("capture of an automatic payment = %s, %v; want the captured payment", out.Status, err)
	}
	if out, err := c.Refund(ctx, automatic, checkout.RefundRequest{RefundID: "re_d", Amount: automatic.Amount}); err != nil || out.Status != checkout.RefundSucceeded {
		t.Errorf("full refund = %+v, %v", out, err)
	}

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(wctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.sb.Deliveries() {
		if !d.Acknowledged || len(d.Attempts) != 1 {
			t.Errorf("%s for %s: acknowledged %v after %v", d.NotifyType, d.PaymentRequestID, d.Acknowledged, d.Attempts)
		}
	}
	e.notify.mu.Lock()
	defer e.notify.mu.Unlock()
	if len(e.notify.rejected) > 0 {
		t.Errorf("notifications rejected: %v", e.notify.rejected)
	}
	types := map[string]int{}
	for _, n := range e.notify.accepted {
		types[n.Type]++
		if n.Type == antom.NotifyRefundResult {
			if n.Refund == nil || n.Refund.RefundID == "" || n.Refund.ProviderRef == "" || n.Refund.Amount == nil || n.EventID == "" ||
				n.Refund.Outcome.Status != checkout.RefundSucceeded {
				t.Errorf("REFUND_RESULT = %+v", n)
			}
			continue
		}
		if n.PaymentID == "" || n.ProviderRef == "" || n.Amount == nil || n.EventID == "" {
			t.Errorf("notification without our id, its ref, an amount or an event id: %+v", n)
		}
		if n.Type == antom.NotifyPaymentResult && n.Outcome.Status != checkout.OutcomeAuthorized {
			t.Errorf("PAYMENT_RESULT mapped to %s; a notification never passes for a capture", n.Outcome.Status)
		}
		if n.Type == antom.NotifyCaptureResult && (n.Outcome.Status != checkout.OutcomeSucceeded || n.PaymentID != captured.ID) {
			t.Errorf("CAPTURE_RESULT = %+v", n)
		}
	}
	if types[antom.NotifyPaymentResult] != 3 || types[antom.NotifyCaptureResult] != 1 || types[antom.NotifyRefundResult] == 0 {
		t.Errorf("notifications by type: %v, want 3 PAYMENT_RESULT, 1 CAPTURE_RESULT and REFUND_RESULTs", types)
	}
}
