package bbmsl_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/bbmsl/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/providertest"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// mount is where the app mounts the sandbox.
const mount = "/sandbox/bbmsl"

// env is the sandbox served over HTTP under its mount point, the way the app
// serves it, with the merchant's notification endpoint next to it.
type env struct {
	sb     *sandbox.Sandbox
	creds  sandbox.Credentials
	base   string
	notify *notifySink
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
	sb, err := sandbox.New(sandbox.Config{
		PublicURL:   srv.URL + mount,
		Credentials: creds,
		// The journeys' callbackUrl.notify is the public checkout.example.com;
		// the sandbox posts to this process instead.
		NotifyURL: srv.URL + "/notify/bbmsl",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	sink := &notifySink{}
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	mux.Handle("/notify/bbmsl", sink)
	e := &env{sb: sb, creds: creds, base: srv.URL + mount, notify: sink}
	sink.client = e.client(t, creds.MerchantPrivateKey)
	return e
}

func (e *env) client(t testing.TB, merchantKey string) *bbmsl.Client {
	t.Helper()
	c, err := bbmsl.New(bbmsl.Config{
		BaseURL:            e.base,
		MerchantID:         e.creds.MerchantID,
		MerchantPrivateKey: merchantKey,
		BBMSLPublicKey:     e.creds.BBMSLPublicKey,
		HTTPClient:         &http.Client{Timeout: 5 * time.Second},
		// The sandbox stores an order before it answers: "order not found"
		// is final at once here (10 minutes against BBMSL).
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
	client   *bbmsl.Client
	mu       sync.Mutex
	accepted []checkout.Notification
	rejected []error
}

func (s *notifySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable", http.StatusBadRequest)
		return
	}
	n, err := s.client.Notification(r.Context(), checkout.NotificationRequest{
		Method: r.Method, RequestURI: r.URL.RequestURI(), Header: r.Header, Body: body,
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.rejected = append(s.rejected, err)
		http.Error(w, "rejected", http.StatusForbidden)
		return
	}
	s.accepted = append(s.accepted, n)
	w.Header().Set("Content-Type", n.Reply.ContentType)
	w.WriteHeader(n.Reply.Status)
	_, _ = w.Write([]byte(n.Reply.Body))
}

// addCard plays the shopper on the sandbox's hosted page.
func addCard(t testing.TB, url, card, otp string) string {
	t.Helper()
	followed, err := sandbox.CompleteAddCard(t.Context(), nil, url, card, otp)
	if err != nil {
		t.Fatal(err)
	}
	return followed
}

// TestConformance runs the shared saved-card journeys against the sandbox,
// in both currencies.
func TestConformance(t *testing.T) {
	for _, currency := range []string{"HKD", "USD"} {
		t.Run(currency, func(t *testing.T) {
			e := newEnv(t)
			providertest.RunSavedCard(t, providertest.SavedCardHarness{
				Provider: e.client(t, e.creds.MerchantPrivateKey),
				MisKeyed: func(t testing.TB) checkout.Provider {
					other, err := bbmsl.NewKeyPair()
					if err != nil {
						t.Fatal(err)
					}
					return e.client(t, other.Private)
				},
				Charges:  e.sb.Charges,
				AddCard:  addCard,
				Currency: currency,
			})
		})
	}
}

// TestNotificationsFromTheSandbox charges, declines and voids, then checks
// that every notification the sandbox sent verified, was acknowledged at
// the first try and reads as the ledger says.
func TestNotificationsFromTheSandbox(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, e.creds.MerchantPrivateKey)
	ctx := t.Context()
	customer := checkout.CustomerKey("mer_notify", "cus_notify")
	save := func(card string) string {
		t.Helper()
		page, err := c.AddCard(ctx, checkout.AddCardRequest{Customer: customer, ReturnURL: "https://shop.example/ok", CancelURL: "https://shop.example/no"})
		if err != nil {
			t.Fatal(err)
		}
		addCard(t, page, card, "")
		cards, err := c.SavedCards(ctx, customer)
		if err != nil || len(cards) == 0 {
			t.Fatalf("saved cards = %v, %v", cards, err)
		}
		return cards[len(cards)-1].ID
	}
	pay := func(cardID string) checkout.PayRequest {
		id := checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
		return checkout.PayRequest{PaymentID: id, IdempotencyKey: id, Amount: checkout.Money{Amount: 69900, Currency: "HKD"},
			Method: checkout.MethodSavedCard, SavedCard: &checkout.SavedCardCharge{Customer: customer, CardID: cardID},
			NotifyURL: "https://checkout.example.com/notify/bbmsl"}
	}

	approved := pay(save(testcards.Visa))
	if out, err := c.Pay(ctx, approved); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("sale = %s, %v", out.Status, err)
	}
	declined := pay(save(testcards.DeclineFunds))
	if out, err := c.Pay(ctx, declined); err != nil || out.Status != checkout.OutcomeFailed {
		t.Fatalf("declined sale = %s, %v", out.Status, err)
	}
	p := checkout.Payment{ID: approved.PaymentID, Amount: approved.Amount, CreatedAt: time.Now()}
	if out, err := c.Cancel(ctx, p); err != nil || out.Status != checkout.OutcomeCanceled {
		t.Fatalf("void = %s, %v", out.Status, err)
	}

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(wctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.sb.Deliveries() {
		if !d.Acknowledged || len(d.Attempts) != 1 {
			t.Errorf("%s for %s: acknowledged %v after %v", d.Status, d.MerchantReference, d.Acknowledged, d.Attempts)
		}
	}
	e.notify.mu.Lock()
	defer e.notify.mu.Unlock()
	if len(e.notify.rejected) > 0 {
		t.Errorf("notifications rejected: %v", e.notify.rejected)
	}
	want := map[string]checkout.OutcomeStatus{
		approved.PaymentID + " SUCCESS":  checkout.OutcomeSucceeded,
		declined.PaymentID + " DECLINED": checkout.OutcomeFailed,
		approved.PaymentID + " VOIDED":   checkout.OutcomeCanceled,
	}
	for _, n := range e.notify.accepted {
		key := n.PaymentID + " " + n.Type
		status, ok := want[key]
		if !ok {
			t.Errorf("unexpected notification %s", key)
			continue
		}
		delete(want, key)
		if n.Outcome.Status != status || n.ProviderRef == "" || n.EventID != n.ProviderRef+":"+n.Type {
			t.Errorf("%s: %s, ref %q, event %q", key, n.Outcome.Status, n.ProviderRef, n.EventID)
		}
		if n.Amount == nil || *n.Amount != approved.Amount {
			t.Errorf("%s: amount %+v, want %+v", key, n.Amount, approved.Amount)
		}
		if status == checkout.OutcomeFailed && (n.Outcome.Decline == nil || n.Outcome.Decline.Code != checkout.DeclineInsufficientFunds) {
			t.Errorf("%s: decline %+v", key, n.Outcome.Decline)
		}
	}
	if len(want) > 0 {
		t.Errorf("notifications missing: %v", want)
	}
}
