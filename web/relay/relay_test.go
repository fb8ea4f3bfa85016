package relay

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// relayFixture is a store with one merchant, one endpoint pointing at
// handler, and one queued message.
func relayFixture(t *testing.T, handler http.Handler) (*Relay, *sqlstore.DB, *fakeClock, *checkout.WebhookEndpoint) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &fakeClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	m := &checkout.Merchant{ID: "mer_relay", Name: "Relay", APIKeyHash: checkout.HashAPIKey("sk_test_relay_key_0123456789"), DefaultProvider: "x", CreatedAt: clk.now()}
	if err := db.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	ep := &checkout.WebhookEndpoint{ID: "we_" + "relayendpointaaaaaaaaaaaaaaaaaaa", MerchantID: m.ID, URL: srv.URL + "/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: clk.now()}
	if err := db.SaveWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	ids := checkout.RandomIDs{}
	sess := &checkout.Session{ID: ids.NewID(checkout.PrefixSession), MerchantID: m.ID, Status: checkout.SessionOpen,
		Amount: checkout.Money{Amount: 100, Currency: "USD"}, Locale: "en", SuccessURL: "https://shop.test/ok",
		PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard}, Provider: "x", CaptureMode: checkout.CaptureAutomatic,
		ThreeDS: checkout.ThreeDSAutomatic, ExpiresAt: clk.now().Add(time.Hour), CreatedAt: clk.now(), UpdatedAt: clk.now()}
	ev := checkout.Event{ID: ids.NewID(checkout.PrefixEvent), SessionID: sess.ID, Type: checkout.EventSessionExpired,
		CreatedAt: clk.now(), Notify: checkout.WebhookSessionExpired, Object: map[string]any{"id": sess.ID, "status": "expired"}}
	if err := db.CreateSession(ctx, sess, ev); err != nil {
		t.Fatal(err)
	}
	r := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now, false, 0)
	return r, db, clk, ep
}

// The retry schedule: 500 four times, then 200. Attempts land at 0, 5 s,
// 5 min 5 s, 35 min 5 s and 2 h 35 min 5 s (each wait up to 10% longer),
// the webhook-id stays, the timestamp and signature are recomputed, and our
// signatures verify with the official Standard Webhooks library.
func TestRelayRetriesOnScheduleAndSignsPerStandardWebhooks(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	var bodies [][]byte
	var calls atomic.Int32
	r, db, clk, ep := relayFixture(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		got, bodies = append(got, req.Header.Clone()), append(bodies, b)
		mu.Unlock()
		if calls.Add(1) <= 4 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	ctx := context.Background()
	start := clk.now()
	waits := []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	at := start
	for i, wait := range waits {
		// Just before the earliest due time nothing is sent...
		if i > 0 {
			clk.set(at.Add(wait - time.Millisecond))
			if n, _ := r.DeliverDue(ctx); n != 0 {
				t.Fatalf("attempt %d sent before its time", i+1)
			}
			// ...and by the latest (wait + 10% jitter) it is.
			clk.set(at.Add(wait + wait/10))
		}
		if n, err := r.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("attempt %d: sent %d, %v", i+1, n, err)
		}
		at = clk.now()
	}
	clk.set(at.Add(48 * time.Hour))
	if n, _ := r.DeliverDue(ctx); n != 0 {
		t.Fatal("a delivered webhook was sent again")
	}
	ds, _ := db.WebhookDeliveries(ctx, ep.MerchantID, 10)
	if len(ds) != 1 || ds[0].Status != checkout.DeliverySucceeded || ds[0].Attempts != 5 {
		t.Fatalf("delivery: %+v", ds)
	}
	attempts, _ := db.WebhookAttempts(ctx, ds[0].ID)
	if len(attempts) != 5 || attempts[0].Status != 500 || attempts[4].Status != 204 {
		t.Fatalf("attempt log: %+v", attempts)
	}

	wh, err := standardwebhooks.NewWebhook(ep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range got {
		if h.Get("webhook-id") != ds[0].MessageID {
			t.Errorf("attempt %d: webhook-id %q, want %q", i+1, h.Get("webhook-id"), ds[0].MessageID)
		}
		if err := wh.VerifyIgnoringTimestamp(bodies[i], h); err != nil {
			t.Errorf("attempt %d: the official library rejects our signature: %v", i+1, err)
		}
		if i > 0 && h.Get("webhook-timestamp") == got[i-1].Get("webhook-timestamp") {
			t.Errorf("attempt %d reused the timestamp", i+1)
		}
	}
	// A tampered body or another secret does not verify.
	other, _ := standardwebhooks.NewWebhook(checkout.NewWebhookSecret())
	if other.VerifyIgnoringTimestamp(bodies[0], got[0]) == nil || wh.VerifyIgnoringTimestamp(append(bodies[0], ' '), got[0]) == nil {
		t.Fatal("a wrong secret or a changed body verifies")
	}
}

func TestRelayTreatsRedirectsAsFailuresAndGoneDisables(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/hooks", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed.Store(true) })
	r, db, _, ep := relayFixture(t, mux)
	ctx := context.Background()
	r.DeliverDue(ctx)
	ds, _ := db.WebhookDeliveries(ctx, ep.MerchantID, 10)
	if ds[0].Status != checkout.DeliveryPending || ds[0].LastStatus != 301 || followed.Load() {
		t.Fatalf("after a 301: %+v, followed %v", ds[0], followed.Load())
	}

	gone, db2, _, ep2 := relayFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	gone.DeliverDue(ctx)
	ds, _ = db2.WebhookDeliveries(ctx, ep2.MerchantID, 10)
	es, _ := db2.WebhookEndpoints(ctx, ep2.MerchantID)
	if ds[0].Status != checkout.DeliveryFailed || len(es) != 1 || es[0].Enabled {
		t.Fatalf("after a 410: delivery %s, endpoint enabled %v", ds[0].Status, es[0].Enabled)
	}
}

// A relay that dies mid-delivery leaves a lease; once it runs out another
// relay (the restarted process) sends the delivery again.
func TestRelayLeaseSurvivesACrash(t *testing.T) {
	r, db, clk, ep := relayFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ctx := context.Background()
	claimed, err := db.ClaimWebhookDeliveries(ctx, clk.now(), r.lease, 10, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	// The "crashed" relay never records anything.
	if n, _ := r.DeliverDue(ctx); n != 0 {
		t.Fatal("a leased delivery was sent twice at once")
	}
	clk.set(clk.now().Add(r.lease + time.Second))
	if n, _ := r.DeliverDue(ctx); n != 1 {
		t.Fatal("the delivery was lost with the crashed relay")
	}
	ds, _ := db.WebhookDeliveries(ctx, ep.MerchantID, 10)
	if ds[0].Status != checkout.DeliverySucceeded {
		t.Fatalf("after the retry: %s", ds[0].Status)
	}
}
