package worldline_test

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
	"github.com/opencheckout/hostedcheckout/providers/providertest"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
	"github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
)

// mount is where the app mounts the sandbox.
const mount = "/sandbox/worldline"

// env is the sandbox served over HTTP under its mount point, the way the app
// serves it, with the merchant's webhook endpoint next to it.
type env struct {
	sb       *sandbox.Sandbox
	creds    sandbox.Credentials
	base     string
	webhooks *webhookSink
}

func newEnv(t testing.TB) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	creds, err := sandbox.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	sink := &webhookSink{}
	sb, err := sandbox.New(sandbox.Config{PublicURL: srv.URL + mount, Credentials: creds, WebhookURL: srv.URL + "/notify/worldline"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	mux.Handle("/notify/worldline", sink)
	e := &env{sb: sb, creds: creds, base: srv.URL + mount, webhooks: sink}
	sink.client = e.client(t, 5*time.Second, creds.SecretAPIKey)
	return e
}

func (e *env) client(t testing.TB, timeout time.Duration, secret string) *worldline.Client {
	t.Helper()
	c, err := worldline.New(worldline.Config{
		BaseURL:       e.base,
		MerchantID:    e.creds.MerchantID,
		APIKeyID:      e.creds.APIKeyID,
		SecretAPIKey:  secret,
		WebhookKeyID:  e.creds.WebhookKeyID,
		WebhookSecret: e.creds.WebhookSecret,
		HTTPClient:    &http.Client{Timeout: timeout},
		// The sandbox stores a payment before it answers: "not found" is
		// final at once here (10 minutes against the real Worldline).
		NotFoundAfter: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// webhookSink is the merchant's notify endpoint: it hands every request to
// the adapter and answers what the adapter says.
type webhookSink struct {
	client   *worldline.Client
	mu       sync.Mutex
	received []checkout.NotificationRequest // every request, as it arrived
	accepted []checkout.Notification
	rejected []error
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
// Worldline's challenge is a full-page redirect, so the sandbox says
// whether its challenge page was shown.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	providertest.Run(t, providertest.Harness{
		Provider: e.client(t, 5*time.Second, e.creds.SecretAPIKey),
		MisKeyed: func(t testing.TB) checkout.Provider {
			wrong := "A" + e.creds.SecretAPIKey[1:]
			if wrong == e.creds.SecretAPIKey {
				wrong = "B" + e.creds.SecretAPIKey[1:]
			}
			return e.client(t, 5*time.Second, wrong)
		},
		Charges:    e.sb.Charges,
		Challenged: e.sb.Challenged,
		Browser:    providertest.BrowseRedirect,
	})
}

// Requests returns every notification request received so far.
func (s *webhookSink) Requests() []checkout.NotificationRequest {
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
		Provider:         e.client(t, 5*time.Second, e.creds.SecretAPIKey),
		InjectFault:      e.sb.InjectFault,
		RefundOperation:  sandbox.OperationRefund,
		InquiryOperation: sandbox.OperationInquireRefund,
		Refunds: func(paymentID string) []providertest.LedgerRefund {
			var out []providertest.LedgerRefund
			for _, r := range e.sb.Refunds(paymentID) {
				out = append(out, providertest.LedgerRefund{ID: r.MerchantReference, Amount: r.Amount, Status: r.Outcome})
			}
			return out
		},
		Notifications:     e.webhooks.Requests,
		WaitNotifications: e.sb.WaitWebhooks,
	})
}

// TestSandboxRedirectJourneys pays through the sandbox with the cards that
// send the browser away (a challenge, a 3DS Method hop) under both capture
// modes and continues after the browser's return, as the Service does.
func TestSandboxRedirectJourneys(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, 5*time.Second, e.creds.SecretAPIKey)
	for name, tc := range map[string]struct {
		card       string
		otp        string
		mode       checkout.CaptureMode
		want       checkout.OutcomeStatus
		decline    checkout.DeclineCode
		challenged bool
		flow       string
	}{
		"challenge pass":            {card: testcards.Challenge, otp: testcards.ChallengeCode, want: checkout.OutcomeSucceeded, challenged: true, flow: checkout.FlowChallenge},
		"challenge pass, manual":    {card: testcards.Challenge, otp: testcards.ChallengeCode, mode: checkout.CaptureManual, want: checkout.OutcomeAuthorized, challenged: true, flow: checkout.FlowChallenge},
		"challenge fail":            {card: testcards.Challenge, otp: "0000", want: checkout.OutcomeFailed, decline: checkout.DeclineAuthenticationFailed, challenged: true},
		"challenge, issuer says no": {card: testcards.ChallengeThenDecline, otp: testcards.ChallengeCode, want: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, challenged: true},
		"3DS Method hop":            {card: "4000000000052672", want: checkout.OutcomeSucceeded, flow: checkout.FlowFrictionless},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := payRequest(tc.card, tc.mode)
			p := checkout.Payment{ID: req.PaymentID, Provider: c.Name(), Amount: req.Amount, CaptureMode: req.CaptureMode, ProviderData: map[string]string{}}
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
			if redirects != 1 || out.Status != tc.want {
				t.Fatalf("after %d redirects: %s %+v, want %s", redirects, out.Status, out.Decline, tc.want)
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
			st, _ := e.sb.Payment(req.PaymentID)
			if st.Authorisations > 1 {
				t.Errorf("authorised %d times", st.Authorisations)
			}
		})
	}
}

// TestSandboxOperations captures, cancels and refunds sandbox payments
// and checks the webhooks the sandbox sends verify and read.
func TestSandboxOperations(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, 5*time.Second, e.creds.SecretAPIKey)
	ctx := t.Context()
	pay := func(mode checkout.CaptureMode) checkout.Payment {
		t.Helper()
		req := payRequest(testcards.Visa, mode)
		out, err := c.Pay(ctx, req)
		if err != nil || out.Status != checkout.OutcomeAuthorized {
			t.Fatalf("manual pay = %s, %v", out.Status, err)
		}
		return checkout.Payment{ID: req.PaymentID, Provider: c.Name(), Amount: req.Amount, CaptureMode: mode,
			Status: checkout.PaymentAuthorized, ProviderRef: out.ProviderRef, ProviderData: out.ProviderData}
	}

	captured := pay(checkout.CaptureManual)
	if out, err := c.Capture(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("capture = %s, %v", out.Status, err)
	}
	if out, err := c.Capture(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("capture again = %s, %v", out.Status, err)
	}
	if st, _ := e.sb.Payment(captured.ID); st.Captured != 1234 || st.Authorisations != 1 {
		t.Errorf("captured %d with %d authorisations", st.Captured, st.Authorisations)
	}
	if out, err := c.Cancel(ctx, captured); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("cancel after capture = %s, %v; want the captured payment", out.Status, err)
	}
	r1 := checkout.RefundRequest{RefundID: "re_" + strings.Repeat("a", 32), IdempotencyKey: "re_" + strings.Repeat("a", 32), Amount: checkout.Money{Amount: 234, Currency: "USD"}}
	if out, err := c.Refund(ctx, captured, r1); err != nil || out.Status != checkout.RefundSucceeded || out.ProviderRef == "" {
		t.Fatalf("refund = %+v, %v", out, err)
	}
	r2 := checkout.RefundRequest{RefundID: "re_" + strings.Repeat("b", 32), IdempotencyKey: "re_" + strings.Repeat("b", 32), Amount: checkout.Money{Amount: 1001, Currency: "USD"}}
	if out, err := c.Refund(ctx, captured, r2); err != nil || out.Status != checkout.RefundFailed {
		t.Fatalf("refund over the rest = %+v, %v", out, err)
	}

	canceled := pay(checkout.CaptureManual)
	if out, err := c.Cancel(ctx, canceled); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Fatalf("cancel = %s, %v", out.Status, err)
	}
	if out, err := c.Capture(ctx, canceled); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Errorf("capture after cancel = %s, %v; want the canceled payment", out.Status, err)
	}
	if st, _ := e.sb.Payment(canceled.ID); st.Status != worldline.StatusCancelled || st.Captured != 0 {
		t.Errorf("the canceled payment is %s with %d captured", st.Status, st.Captured)
	}

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.sb.WaitWebhooks(wctx); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.VerifyEndpoint(wctx); err != nil {
		t.Errorf("endpoint verification: %v", err)
	}
	e.webhooks.mu.Lock()
	defer e.webhooks.mu.Unlock()
	if len(e.webhooks.rejected) > 0 {
		t.Errorf("webhooks rejected: %v", e.webhooks.rejected)
	}
	types := map[string]bool{}
	for _, n := range e.webhooks.accepted {
		types[n.Type] = true
		if strings.HasPrefix(n.Type, "payment.") && (n.PaymentID == "" || n.ProviderRef == "" || n.Amount == nil) {
			t.Errorf("payment webhook without our id, its ref or an amount: %+v", n)
		}
	}
	for _, want := range []string{"payment.pending_approval", "payment.capture_requested", "payment.cancelled", "refund.refund_requested"} {
		if !types[want] {
			t.Errorf("no %s webhook among %v", want, types)
		}
	}
}

func payRequest(card string, mode checkout.CaptureMode) checkout.PayRequest {
	id := checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
	return checkout.PayRequest{
		PaymentID: id, IdempotencyKey: id, MerchantReference: "order-1", Amount: checkout.Money{Amount: 1234, Currency: "USD"},
		Customer: checkout.Customer{Email: "jane.doe@example.com"}, Locale: "en-US", Method: checkout.MethodCard,
		Card: &checkout.CardInput{Number: card, CVC: "123", ExpMonth: 12, ExpYear: time.Now().Year() + 2, Holder: "Jane Doe"},
		Browser: checkout.BrowserInfo{UserAgent: "Mozilla/5.0", AcceptHeader: "text/html", IP: "203.0.113.7", Language: "en-US",
			ColorDepth: 24, ScreenWidth: 1440, ScreenHeight: 900, JavaScriptEnabled: true},
		ThreeDS: checkout.ThreeDSAutomatic, CaptureMode: mode, ReturnURL: "https://checkout.example.com/return/" + id,
	}
}
