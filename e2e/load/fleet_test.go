package load

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/e2e/fleet"
)

// TestMain serves as an instance of the fleet, or as make bench's server,
// when this binary was started as one.
func TestMain(m *testing.M) {
	fleet.ServeChild()
	benchServe()
	os.Exit(m.Run())
}

// TestLoadOnFleet runs the same mix, with the same checks, against three
// instances on one PostgreSQL database behind a round-robin load balancer
// (e2e/fleet): every shopper's requests spread over the instances, every
// provider's sandbox and the merchant's webhook endpoint in this process.
// Once a quarter of the sessions are done, one instance is SIGKILLed and
// started again a second later. A shopper whose request died with it sends
// it again (a reload, or the browser's "resubmit the form"; the merchant's
// client retries its POST under the same Idempotency-Key). On top of the
// run's checks: every payment's webhook reaches the merchant, each event
// under one webhook-id, none delivered twice at the same time (the
// merchant refuses the first attempt of every fourth).
func TestLoadOnFleet(t *testing.T) {
	pg := pgtest.For(t)
	f := fleet.New(t, pg, 3, "CHECKOUT_PROVIDER_TIMEOUT="+providerTimeout.String(), "CHECKOUT_RECONCILE_INTERVAL=100ms",
		"CHECKOUT_LOG_LEVEL=debug")
	f.StartAll()
	ctx := context.Background()
	store, err := sqlstore.OpenPostgres(ctx, f.DatabaseURL, sqlstore.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	var retried atomic.Int32
	const victim = 1
	tg := &target{
		base: f.URL, apiKey: f.Key, transport: f.Transport(),
		sandboxes: f.Sandboxes, store: store,
		export: func(ctx context.Context) ([]serverPayment, []string, error) {
			return exportPayments(ctx, "pgx", f.DatabaseURL)
		},
		atRest: func() []string {
			var files []string
			for _, l := range f.Logs() {
				files = append(files, l.Path)
			}
			if pg.Dir() != "" {
				// Every file of the cluster: tables, indexes, WAL.
				_ = filepath.WalkDir(filepath.Join(pg.Dir(), "data"), func(p string, d fs.DirEntry, err error) error {
					if err == nil && d.Type().IsRegular() {
						files = append(files, p)
					}
					return nil
				})
			}
			return files
		},
		minFiles: 10,
		midRun: func() {
			f.Kill(victim)
			time.Sleep(time.Second)
			f.Start(victim)
		},
		stop: func() error { f.Stop(); return nil },
		logs: func() []logFile {
			var out []logFile
			for _, l := range f.Logs() {
				out = append(out, logFile{Path: l.Path, Killed: l.Killed})
			}
			return out
		},
		check: func(rep *report, rows []serverPayment, problem func(string, ...any)) {
			var want []string
			for _, p := range rows {
				if p.Status == string(checkout.PaymentSucceeded) || p.Status == string(checkout.PaymentAuthorized) {
					want = append(want, checkout.WebhookSessionCompleted+" "+p.SessionID)
				}
				want = append(want, "payment."+p.Status+" "+p.ID)
			}
			missing := f.Inbox.Wait(want, 60*time.Second)
			for _, m := range missing {
				problem("webhook never delivered: %s", m)
			}
			for _, p := range f.Inbox.Problems() {
				problem("webhooks: %s", p)
			}
			events, afterRefusal := f.Inbox.Counts()
			rep.Fleet = &fleetReport{Instances: f.Size(), Killed: 1, Cut: int(f.Cut()), Resent: int(retried.Load()),
				Webhooks: events, WebhooksAfterRefusal: afterRefusal}
		},
	}
	var busy sync.Map
	tg.transport = resendCut{next: tg.transport, resent: &retried, busy: &busy}
	tg.expected = func(requestID string) bool { _, ok := busy.Load(requestID); return ok }
	runLoad(t, tg)
}

// fleetReport is what the fleet run adds to the report.
type fleetReport struct {
	Instances            int `json:"instances"`
	Killed               int `json:"killed_and_restarted"`
	Cut                  int `json:"requests_cut"`
	Resent               int `json:"requests_resent"`
	Webhooks             int `json:"webhook_events_delivered"`
	WebhooksAfterRefusal int `json:"webhook_events_after_refused_attempt"`
}

// resendCut is the shopper whose page did not load because its instance
// died under the request (the load balancer's 502 with fleet.CutHeader):
// it sends the request again, as a reload or the browser's "resubmit the
// form" would; the merchant's client does the same under the same
// Idempotency-Key, which answers 409 while the dead instance's lease on it
// runs.
type resendCut struct {
	next   http.RoundTripper
	resent *atomic.Int32
	// busy are the request ids of the 409s answered while the key's lease
	// ran: the server log's check expects them.
	busy *sync.Map
}

func (rt resendCut) RoundTrip(req *http.Request) (*http.Response, error) {
	cut := false
	for try := 0; ; try++ {
		if try > 0 {
			if req.GetBody == nil && req.Body != nil {
				return nil, io.ErrUnexpectedEOF // cannot be sent again
			}
			next := req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				next.Body = body
			}
			req = next
		}
		res, err := rt.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		again := res.StatusCode == http.StatusBadGateway && res.Header.Get(fleet.CutHeader) != ""
		cut = cut || again
		if cut && res.StatusCode == http.StatusConflict && req.Header.Get("Idempotency-Key") != "" {
			again = true
			rt.busy.Store(res.Header.Get("X-Request-Id"), true)
		}
		if !again || try >= 40 {
			return res, nil
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		rt.resent.Add(1)
		time.Sleep(250 * time.Millisecond)
	}
}
