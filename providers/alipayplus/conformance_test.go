package alipayplus_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipayplus"
	"github.com/opencheckout/hostedcheckout/providers/alipayplus/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/providertest"
)

// mount is where the app mounts the sandbox.
const mount = "/sandbox/alipayplus"

// env is the sandbox served over HTTP under its mount point, the way the
// app serves it. Its notifications reach the merchant's notify endpoint
// (the adapter behind notifySink) in process, whatever host the notify URL
// names, so that nothing leaves the machine.
type env struct {
	sb    *sandbox.Sandbox
	creds sandbox.Credentials
	base  string
	sink  *notifySink
}

func newEnv(t testing.TB, cfg sandbox.Config) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	creds, err := sandbox.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	sink := &notifySink{}
	cfg.PublicURL = srv.URL + mount
	cfg.Credentials = creds
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: handlerTransport{sink}}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	e := &env{sb: sb, creds: creds, base: srv.URL + mount, sink: sink}
	sink.client = e.client(t, creds.MerchantPrivateKey, creds.WalletPublicKey, cfg.PathPrefix)
	return e
}

func (e *env) client(t testing.TB, merchantKey, walletKey, prefix string) *alipayplus.Client {
	t.Helper()
	c, err := alipayplus.New(alipayplus.Config{
		BaseURL:            e.base,
		PathPrefix:         prefix,
		ClientID:           e.creds.ClientID,
		MerchantPrivateKey: merchantKey,
		WalletPublicKey:    walletKey,
		MerchantName:       "Demo Shop",
		HTTPClient:         &http.Client{Timeout: 5 * time.Second},
		// The sandbox stores an order before it answers: "not found" is
		// final at once here (10 minutes against a real wallet).
		NotFoundAfter: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handlerTransport serves every request with a handler, in process.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	ht.h.ServeHTTP(rec, in)
	return rec.Result(), nil
}

// notifySink is the merchant's notify endpoint: it hands every request to
// the adapter and answers what the adapter says.
type notifySink struct {
	client   *alipayplus.Client
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
	n, err := s.client.Notification(r.Context(), checkout.NotificationRequest{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header, Body: body})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.rejected = append(s.rejected, err)
		http.Error(w, "rejected", http.StatusUnauthorized)
		return
	}
	s.accepted = append(s.accepted, n)
	w.Header().Set("Content-Type", n.Reply.ContentType)
	w.WriteHeader(n.Reply.Status)
	_, _ = io.WriteString(w, n.Reply.Body)
}

func (s *notifySink) notifications(paymentID string) []checkout.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []checkout.Notification
	for _, n := range s.accepted {
		if n.PaymentID == paymentID {
			out = append(out, n)
		}
	}
	return out
}

// TestConformance runs the shared wallet journeys against the sandbox,
// with the cashier reached by a POST form (the seed's) and by a GET, and
// with the API under a path prefix.
func TestConformance(t *testing.T) {
	for name, cfg := range map[string]sandbox.Config{
		"POST cashier":           {},
		"GET cashier":            {CashierMethod: http.MethodGet},
		"prefix, notified later": {PathPrefix: "/api", NotifyAfterReturn: true, NotifyDelay: 50 * time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, cfg)
			stranger, err := alipaysign.NewKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := e.sb.WaitNotifications(ctx); err != nil {
					t.Error(err)
				}
				e.sink.mu.Lock()
				defer e.sink.mu.Unlock()
				if len(e.sink.rejected) > 0 {
					t.Errorf("notifications rejected: %v", e.sink.rejected)
				}
				if len(e.sink.accepted) == 0 {
					t.Error("no notification arrived")
				}
				for _, d := range e.sb.Deliveries() {
					if !d.Acked {
						t.Errorf("notification for %s not acknowledged: %v", d.PaymentRequestID, d.Attempts)
					}
				}
			})
			providertest.RunWallet(t, providertest.WalletHarness{
				Provider: e.client(t, e.creds.MerchantPrivateKey, e.creds.WalletPublicKey, cfg.PathPrefix),
				MisKeyed: func(t testing.TB) checkout.Provider {
					// Neither key matches: the wallet refuses the request and
					// the adapter cannot verify the refusal.
					return e.client(t, stranger.Private, stranger.Public, cfg.PathPrefix)
				},
				Charges: e.sb.Charges,
				Cashier: cashier,
			})
		})
	}
}

// TestMisKeyedMerchantKey: with only the merchant's key wrong, the wallet's
// signed refusal is read: F INVALID_SIGNATURE is final (nothing was
// created) and a processing error for the shopper.
func TestMisKeyedMerchantKey(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	stranger, err := alipaysign.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t, stranger.Private, e.creds.WalletPublicKey, "")
	req := checkout.PayRequest{PaymentID: "pay_" + strings.Repeat("k", 32), Amount: checkout.Money{Amount: 500, Currency: "USD"}, Method: checkout.MethodWallet}
	out, err := c.Pay(t.Context(), req)
	if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineProcessingError || out.Decline.ProviderCode != "INVALID_SIGNATURE" {
		t.Fatalf("pay = %+v, %v", out, err)
	}
	if _, ok := e.sb.PaymentState(req.PaymentID); ok {
		t.Error("the sandbox created an order for a request it could not verify")
	}
}

// TestNotificationBeforeReturn: by default the wallet's notification is
// acknowledged before the browser is sent back; delayed, it comes after.
func TestNotificationBeforeReturn(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(t, e.creds.MerchantPrivateKey, e.creds.WalletPublicKey, "")
	for name, delay := range map[string]time.Duration{"before": 0, "after": 500 * time.Millisecond} {
		t.Run(name, func(t *testing.T) {
			req := checkout.PayRequest{
				PaymentID: checkout.RandomIDs{}.NewID(checkout.PrefixPayment), Amount: checkout.Money{Amount: 800, Currency: "SGD"},
				Method: checkout.MethodWallet, ReturnURL: "https://checkout.example.com/return", NotifyURL: "https://checkout.example.com/notify/alipayplus?x=1",
			}
			if delay > 0 {
				e.sb.DelayNotifications(req.PaymentID, delay)
			}
			out, err := c.Pay(t.Context(), req)
			if err != nil || out.Action == nil {
				t.Fatalf("pay = %+v, %v", out, err)
			}
			back := cashier(t, *out.Action, "approve")
			if back.Kind != checkout.ContinueRedirect {
				t.Fatalf("came back with %q", back.Kind)
			}
			got := e.sink.notifications(req.PaymentID)
			if delay == 0 && (len(got) != 1 || got[0].Outcome.Status != checkout.OutcomeSucceeded) {
				t.Fatalf("at the return: %d notifications %+v, want the success", len(got), got)
			}
			if delay > 0 && len(got) != 0 {
				t.Fatalf("at the return: %d notifications, want none yet", len(got))
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if err := e.sb.WaitNotifications(ctx); err != nil {
				t.Fatal(err)
			}
			got = e.sink.notifications(req.PaymentID)
			if len(got) != 1 || got[0].Amount == nil || *got[0].Amount != req.Amount || got[0].ProviderRef != out.ProviderRef {
				t.Fatalf("notifications %+v", got)
			}
		})
	}
}

// cashier plays the shopper's browser for a wallet action over plain HTTP:
// it opens the cashier (the form's method and fields, or a GET), presses
// the button for choice, and follows the wallet until the first URL outside
// the sandbox (our return URL), whose query it brings back. A finished
// cashier's "return" link counts as that URL.
func cashier(t testing.TB, a checkout.Action, choice string) checkout.Continuation {
	t.Helper()
	origin := a.Origin()
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var next *http.Request
	switch {
	case a.Kind == checkout.ActionRedirect || (a.Kind == checkout.ActionRedirectForm && strings.EqualFold(a.Method, http.MethodGet)):
		u, err := url.Parse(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind == checkout.ActionRedirectForm { // a GET form replaces the query
			q := url.Values{}
			for _, f := range a.Fields {
				q.Add(f.Name, f.Value)
			}
			u.RawQuery = q.Encode()
		}
		next, _ = http.NewRequest(http.MethodGet, u.String(), nil)
	case a.Kind == checkout.ActionRedirectForm:
		form := url.Values{}
		for _, f := range a.Fields {
			form.Add(f.Name, f.Value)
		}
		next, _ = http.NewRequest(http.MethodPost, a.URL, strings.NewReader(form.Encode()))
		next.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		t.Fatalf("action %q, want a redirect or a form", a.Kind)
	}
	back := func(loc *url.URL) checkout.Continuation {
		return checkout.Continuation{Kind: checkout.ContinueRedirect, Values: loc.Query()}
	}
	for range 5 {
		resp, err := hc.Do(next)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case http.StatusSeeOther, http.StatusFound:
			resp.Body.Close()
			loc, err := next.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(loc.String(), origin+"/") {
				return back(loc)
			}
			next, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
		case http.StatusOK:
			doc, err := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if link := doc.Find(`[data-testid="` + sandbox.TestIDReturn + `"]`); link.Length() > 0 {
				loc, err := next.URL.Parse(link.AttrOr("href", ""))
				if err != nil {
					t.Fatal(err)
				}
				return back(loc)
			}
			button := doc.Find(`[data-testid="wallet-` + choice + `"]`)
			form := button.Closest("form")
			if button.Length() != 1 || form.Length() != 1 {
				t.Fatalf("page at %s has no %q button in a form", next.URL, choice)
			}
			values := url.Values{}
			form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
				values.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
			})
			values.Set(button.AttrOr("name", ""), button.AttrOr("value", ""))
			action, err := next.URL.Parse(form.AttrOr("action", ""))
			if err != nil {
				t.Fatal(err)
			}
			next, _ = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
			next.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			resp.Body.Close()
			t.Fatalf("%s %s: HTTP %d", next.Method, next.URL, resp.StatusCode)
		}
	}
	t.Fatal("the browser went round in circles")
	return checkout.Continuation{}
}
