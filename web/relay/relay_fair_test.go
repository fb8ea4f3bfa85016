package relay

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
)

// fairMerchant saves a merchant with n endpoints at url and an open session
// to hang events on.
func fairMerchant(t *testing.T, db *sqlstore.DB, name string, n int, endpointURL string, now time.Time) *checkout.Session {
	t.Helper()
	ctx := context.Background()
	ids := checkout.RandomIDs{}
	m := &checkout.Merchant{ID: "mer_" + name, Name: name, APIKeyHash: checkout.HashAPIKey("sk_test_" + name + "_0123456789abcdef"), DefaultProvider: "x", CreatedAt: now}
	if err := db.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	for range n {
		ep := &checkout.WebhookEndpoint{ID: ids.NewID(checkout.PrefixWebhookEndpoint), MerchantID: m.ID, URL: endpointURL,
			Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: now}
		if err := db.SaveWebhookEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	sess := &checkout.Session{ID: ids.NewID(checkout.PrefixSession), MerchantID: m.ID, Status: checkout.SessionOpen,
		Amount: checkout.Money{Amount: 100, Currency: "USD"}, Locale: "en", SuccessURL: "https://shop.test/ok",
		PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard}, Provider: "x", CaptureMode: checkout.CaptureAutomatic,
		ThreeDS: checkout.ThreeDSAutomatic, ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := db.CreateSession(ctx, sess, checkout.Event{ID: ids.NewID(checkout.PrefixEvent), SessionID: sess.ID,
		Type: checkout.EventSessionCreated, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return sess
}

func notifyEvent(t *testing.T, db *sqlstore.DB, sess *checkout.Session, at time.Time) {
	t.Helper()
	ev := checkout.Event{ID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent), SessionID: sess.ID, Type: checkout.EventSessionExpired,
		CreatedAt: at, Notify: checkout.WebhookSessionExpired, Object: map[string]any{"id": sess.ID}}
	if err := db.AppendEvents(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// issue 12, defect 7: a merchant with its 16 endpoints on a server that
// hangs, and a backlog of webhooks for them, must not delay another
// merchant's webhook. The relay runs as in production (a round every tick)
// with a short attempt timeout; the other merchant's webhook, queued while
// the hanging merchant's backlog is being worked off, must arrive within 3
// attempt timeouts (old code: the backlog is claimed oldest first, 50 a
// round, 8 at a time, so it waits for many timeouts).
func TestRelayIsFairWhileOneMerchantsEndpointsHang(t *testing.T) {
	const timeout = 300 * time.Millisecond
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })
	got := make(chan time.Time, 16)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- time.Now()
	}))
	t.Cleanup(fast.Close)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	start := time.Now()
	slow := fairMerchant(t, db, "slowshop", 16, hanging.URL+"/hooks", start)
	other := fairMerchant(t, db, "othershop", 1, fast.URL+"/hooks", start)
	for range 8 { // 128 deliveries, all due before the other merchant's
		notifyEvent(t, db, slow, start.Add(-time.Minute))
	}

	r := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, false, timeout)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // runRelay's loop
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			r.DeliverDue(ctx)
			<-tick.C
		}
	}()
	defer wg.Wait()
	defer cancel()

	time.Sleep(timeout / 2) // the relay is busy with the hanging backlog
	queued := time.Now()
	notifyEvent(t, db, other, queued)
	bound := 3 * timeout
	select {
	case at := <-got:
		if took := at.Sub(queued); took > bound {
			t.Fatalf("the other merchant's webhook took %v, want under %v (3 attempt timeouts)", took, bound)
		}
	case <-time.After(bound + 5*time.Second):
		t.Fatalf("the other merchant's webhook did not arrive within %v", bound+5*time.Second)
	}
}

// issue 12, defect 8: live-mode webhooks to special-purpose addresses
// (CGNAT with cloud metadata, benchmarking, IETF, NAT64, 6to4, IPv4-mapped
// loopback) are refused before any connection, and the delivery log says
// address_not_allowed and nothing more; other failures are logged as safe
// categories without addresses or Go's error text.
func TestRelayRefusesSpecialPurposeAddressesWithSafeErrors(t *testing.T) {
	ctx := context.Background()
	r, db, _, ep := relayFixture(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	strict := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), r.now, true, 300*time.Millisecond)
	closed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	closedURL := closed.URL
	closed.Close()
	for _, tc := range []struct {
		relay    *Relay
		url, err string
	}{
		{strict, "http://100.100.100.200/latest/meta-data/", "address_not_allowed"},
		{strict, "http://100.64.0.1:8080/hooks", "address_not_allowed"},
		{strict, "http://198.18.0.1/hooks", "address_not_allowed"},
		{strict, "http://192.0.0.170/hooks", "address_not_allowed"},
		{strict, "http://0.1.2.3/hooks", "address_not_allowed"},
		{strict, "http://[64:ff9b::7f00:1]/hooks", "address_not_allowed"},
		{strict, "http://[2002:7f00:1::1]/hooks", "address_not_allowed"},
		{strict, "http://[::ffff:127.0.0.1]/hooks", "address_not_allowed"},
		{strict, "http://[fec0::1]/hooks", "address_not_allowed"},
		{r, closedURL + "/hooks", "connection_refused"},
	} {
		ep.URL = tc.url
		if err := db.SaveWebhookEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		ds, _ := db.WebhookDeliveries(ctx, ep.MerchantID, 1)
		if _, err := db.RedeliverWebhook(ctx, ep.MerchantID, ds[0].ID, r.now()); err != nil {
			t.Fatal(err)
		}
		if n, err := tc.relay.DeliverDue(ctx); n != 1 || err != nil {
			t.Fatalf("%s: sent %d, %v", tc.url, n, err)
		}
		attempts, _ := db.WebhookAttempts(ctx, ds[0].ID)
		last := attempts[len(attempts)-1]
		if last.Error != tc.err {
			t.Errorf("%s: the delivery log says %q, want %q", tc.url, last.Error, tc.err)
		}
		u, _ := url.Parse(tc.url)
		host := u.Hostname()
		if strings.Contains(last.Error, host) || strings.Contains(last.Error, "dial") || strings.Contains(last.Error, "Post") {
			t.Errorf("%s: the delivery log leaks %q", tc.url, last.Error)
		}
	}
}
