package load

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/sandboxset"
	"github.com/opencheckout/hostedcheckout/web"
)

var (
	flagN      = flag.Int("load.n", 200, "sessions in the run; without this flag the run is the short one (40 sessions)")
	flagC      = flag.Int("load.c", 32, "concurrent shoppers")
	flagShort  = flag.Bool("load.short", false, "force the short run (also implied by -short and by a missing -load.n)")
	flagReport = flag.String("load.report", "", "also write the figures to this file (JSON when it ends in .json, text otherwise)")
	flagStrict = flag.Bool("load.strict", false, "also fail on a payment failed after an unplanned provider timeout")
)

const (
	// shortN is the size of the short run that go test ./... (and CI) runs.
	shortN = 40
	// providerTimeout bounds every provider call; the 0259 card makes
	// payOrder hang until it passes.
	providerTimeout = 5 * time.Second
	// sessionTimeout bounds one shopper's whole journey.
	sessionTimeout = 2 * time.Minute
)

// settings reads the flags: the run is short unless -load.n is given (or
// -load.short=false); -short always makes it short.
func settings() (n, c int, short bool) {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	short = !set["load.n"]
	if set["load.short"] {
		short = *flagShort
	}
	if testing.Short() {
		short = true
	}
	n = *flagN
	if short && !set["load.n"] {
		n = shortN
	}
	return max(n, 1), max(*flagC, 1), short
}

// target is the server a run drives, and how the run reads its books.
type target struct {
	base, apiKey string
	transport    http.RoundTripper
	sandboxes    *sandboxset.Set
	store        interface {
		SessionEvents(ctx context.Context, sessionID string) ([]checkout.Event, error)
	}
	// export reads the payments table and the session ids.
	export func(context.Context) ([]serverPayment, []string, error)
	// atRest are the files the card-data scan reads while the server
	// runs, and after it stopped; minFiles is how many the scan must find.
	atRest   func() []string
	minFiles int
	// midRun runs once a quarter of the sessions are done (the fleet
	// kills an instance then); stop stops the server; logs are its log files.
	midRun func()
	stop   func() error
	logs   func() []logFile
	// expected says whether an error answer in the server's log was
	// expected (a 409 while a dead instance's Idempotency-Key lease ran).
	expected func(requestID string) bool
	// check adds the target's own checks once the books are compared.
	check func(rep *report, rows []serverPayment, problem func(string, ...any))
}

// TestLoad runs the mix against one app in this process, on SQLite.
func TestLoad(t *testing.T) {
	runLoad(t, inProcess(t))
}

// inProcess starts the app as the e2e suite does: sandbox mode, a fresh
// SQLite database, JSON logs at debug level to a file the final scan
// reads.
func inProcess(t *testing.T) *target {
	dir, err := os.MkdirTemp("", "checkout-load-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept the database and the log in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	dbPath, logPath := filepath.Join(dir, "checkout.db"), filepath.Join(dir, "app.log")
	logOut, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logOut.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	app, err := web.New(ctx, web.Config{
		Addr:              "127.0.0.1:0",
		DBPath:            dbPath,
		Mode:              web.ModeSandbox,
		ProviderTimeout:   providerTimeout,
		ReconcileInterval: 100 * time.Millisecond,
		LogFormat:         "json",
	}, slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Run(ctx) }()
	var stopOnce sync.Once
	var stopErr error
	stop := func() error {
		stopOnce.Do(func() {
			cancel()
			stopErr = <-served
			_ = logOut.Sync()
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return &target{
		base: app.URL, apiKey: app.DemoAPIKey, transport: &http.Transport{},
		sandboxes: app.Sandbox, store: app.Store,
		export: func(ctx context.Context) ([]serverPayment, []string, error) {
			return exportPayments(ctx, "sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
		},
		// The database, its WAL and shared memory (there while the app
		// runs), and the log.
		atRest:   func() []string { return existing(dbPath, dbPath+"-wal", dbPath+"-shm", logPath) },
		minFiles: 3,
		stop:     stop,
		logs:     func() []logFile { return []logFile{{Path: logPath}} },
	}
}

// runLoad drives the shoppers through tg and checks the books.
func runLoad(t *testing.T, tg *target) {
	n, c, short := settings()
	ctx := context.Background()

	// The shoppers.
	if tr, ok := tg.transport.(*http.Transport); ok {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout = 4*c, 4*c, 30*time.Second
		defer tr.CloseIdleConnections()
	}
	r := &run{
		base: tg.base, apiKey: tg.apiKey, runID: fmt.Sprintf("%06x", time.Now().UnixNano()&0xffffff),
		transport: tg.transport, stats: &stats{}, customers: &customers{}, cards: &typedCards{},
	}
	recs := make([]*record, n)
	for i, sc := range plan(n) {
		// Every tenth shopper double-clicks Pay.
		recs[i] = &record{Index: i, Scenario: sc, Steps: map[string]time.Duration{}, DoubleSubmit: i%10 == 7}
	}
	jobs := make(chan *record)
	var wg sync.WaitGroup
	var finished atomic.Int32
	var midRun sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for rec := range jobs {
				sctx, scancel := context.WithTimeout(ctx, sessionTimeout)
				newShopper(r, rec).journey(sctx)
				scancel()
				if finished.Add(1) == int32(max(n/4, 1)) && tg.midRun != nil {
					midRun.Go(tg.midRun)
				}
			}
		})
	}
	for _, rec := range recs {
		jobs <- rec
	}
	close(jobs)
	wg.Wait()
	midRun.Wait()
	wall := time.Since(start)

	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Provider notifications still on their way are let in before the
	// books are compared: a late one must not move anything.
	notifications := waitNotifications(t, tg.sandboxes, problem)

	// Every session ended as its card and flow imply, and the merchant API
	// and the provider's ledger say the same.
	ledger := ledgerCharges(tg.sandboxes)
	for _, rec := range recs {
		if err := readTimeline(tg.store, rec); err != nil {
			rec.fail("read the session's timeline: %v", err)
		}
		checkExpectations(rec, ledger)
	}
	told := 0
	for _, rec := range recs {
		if len(rec.Errors) > 0 && rec.SessionID != "" && told < 10 {
			// The failing session's story, for whoever reads the failure.
			told++
			evs, _ := tg.store.SessionEvents(ctx, rec.SessionID)
			for _, e := range evs {
				t.Logf("timeline of #%d %s: %s %s %v", rec.Index, rec.SessionID, e.CreatedAt.Format("15:04:05.000"), e.Type, e.Data)
			}
		}
		if rec.Disturbed {
			t.Logf("DISTURBED: session #%d %s (session %s, payment %s) went pending after a provider call failed and ended %s",
				rec.Index, rec.Scenario.Name(), rec.SessionID, rec.PaymentID, rec.Final)
		}
	}
	rep := newReport(recs, r.stats, wall, c, short)
	rep.Notifications = notifications

	// R37: the shoppers' records against the payments table, and the
	// payments table against the sandbox ledgers.
	rows, sessions, err := tg.export(ctx)
	if err != nil {
		t.Fatalf("export payments: %v", err)
	}
	var found []finding
	rep.Reconciliation, found = reconcile(recs, rows, sessions)
	for _, f := range found {
		problem("reconciliation %s", f)
	}
	rep.Ledger, found = reconcileLedgers(rows, ledger)
	for _, f := range found {
		problem("ledger %s", f)
	}
	payorderCharges := 0
	for _, p := range rows {
		if p.Provider == "payorder" {
			n, _ := ledger(p.Provider, p.ID)
			payorderCharges += n
		}
	}
	if total := tg.sandboxes.Payorder.Charges(); total != payorderCharges {
		problem("ledger: the payOrder sandbox made %d charges, the payments table accounts for %d", total, payorderCharges)
		rep.Ledger["unattributed_charges"] += total - payorderCharges
	}
	if tg.check != nil {
		tg.check(rep, rows, problem)
	}

	// No card number at rest: the database's files and the log, while the
	// server runs and after it stopped.
	numbers := r.cards.list()
	files := tg.atRest()
	hits := scanForCardData(files, numbers)
	if err := tg.stop(); err != nil {
		problem("the app stopped with: %v", err)
	}
	if rep.ServerLog, err = readServerLog(tg.expected, tg.logs()...); err != nil {
		problem("read the app's log: %v", err)
	} else {
		for _, p := range rep.ServerLog.problems {
			problem("%s", p)
		}
	}
	after := tg.atRest()
	hits = append(hits, scanForCardData(after, numbers)...)
	for _, f := range files {
		rep.ScannedFiles = append(rep.ScannedFiles, filepath.Base(f))
	}
	if len(files) > 8 {
		rep.ScannedFiles = []string{fmt.Sprintf("%d files (the PostgreSQL cluster's and the instances' logs)", len(files))}
	}
	rep.ScanHits = len(hits)
	for _, h := range hits {
		problem("CARD DATA AT REST: %s", h)
	}
	if len(files) < tg.minFiles {
		problem("the scan found only %v; want the database's files and the log", files)
	}

	text := rep.text()
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		t.Log(line)
	}
	if *flagReport != "" {
		out := []byte(text)
		if strings.HasSuffix(*flagReport, ".json") {
			if out, err = rep.json(); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(*flagReport, out, 0o644); err != nil {
			t.Errorf("write the report: %v", err)
		}
	}

	// Failures, with each failing session's details.
	shown := 0
	for _, rec := range recs {
		if len(rec.Errors) == 0 {
			continue
		}
		if shown++; shown > 40 {
			continue
		}
		t.Errorf("session #%d %s (session %s, payment %s, result %q, routed to %s, %d requests, steps %v):\n\t%s",
			rec.Index, rec.Scenario.Name(), rec.SessionID, rec.PaymentID, rec.Final, rec.Routed, rec.Requests,
			roundSteps(rec.Steps), strings.Join(rec.Errors, "\n\t"))
	}
	if shown > 40 {
		t.Errorf("... and %d more sessions with problems", shown-40)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// checkExpectations compares a session's end with what its card and flow
// imply: the result page, whether a challenge was shown, the merchant API,
// and the provider's ledger.
func checkExpectations(rec *record, ledger func(provider, id string) (int, bool)) {
	sc := rec.Scenario
	if rec.Final == "" {
		return // the journey failed; its error says why
	}
	want, charges := sc.Want, sc.Charges
	// A provider call that timed out on a card whose answer the table
	// says comes at once (a starved machine, a slow provider) leaves the
	// outcome to the adapter's inquiry: the payment may then fail with
	// nothing charged. That is safe, and reported; anything else is not.
	rec.Disturbed = rec.WentPending && !sc.Unknown
	if rec.Disturbed && rec.Final == stateFailed && !*flagStrict {
		want, charges = stateFailed, 0
	}
	if rec.Final != want {
		rec.fail("the result page says %s, the card table implies %s", rec.Final, want)
	}
	if sc.Unknown && !rec.Reconciled {
		rec.fail("the provider's answer was lost, yet the payment did not go pending and settle through an inquiry: the outcome was guessed")
	}
	if rec.Challenged != sc.Challenge && !rec.Disturbed {
		rec.fail("challenge shown = %v, the card table implies %v", rec.Challenged, sc.Challenge)
	}
	if rec.PaymentID == "" {
		rec.fail("the result page shows no payment reference")
	}
	a := rec.API
	wantPaymentStatus, wantSession := map[string]string{stateSucceeded: "paid", stateAuthorized: "authorized", stateFailed: "failed"}[want], "complete"
	if want == stateFailed {
		wantSession = "open"
	}
	switch {
	case a.Payment == nil:
		rec.fail("the merchant API shows no payment")
	case a.Payment.ID != rec.PaymentID || pageState(a.Payment.Status) != rec.Final || a.Payment.Provider != sc.Provider || a.Payment.Method != sc.Method:
		rec.fail("the merchant API shows payment %s %s at %s by %s; the page showed %s %s",
			a.Payment.ID, a.Payment.Status, a.Payment.Provider, a.Payment.Method, rec.PaymentID, rec.Final)
	case a.PaymentStatus != wantPaymentStatus || a.Status != wantSession || (a.Attempts != 1 && !rec.DoubleSubmit):
		rec.fail("the merchant API says session %s, payment_status %s, %d attempts; want %s, %s, 1",
			a.Status, a.PaymentStatus, a.Attempts, wantSession, wantPaymentStatus)
	case sc.Card != "" && (a.Payment.Card == nil || a.Payment.Card.Last4 != sc.Card[len(sc.Card)-4:]):
		rec.fail("the merchant API shows card %+v, want last 4 %s", a.Payment.Card, sc.Card[len(sc.Card)-4:])
	}
	if rec.PaymentID != "" {
		if n, _ := ledger(sc.Provider, rec.PaymentID); n != charges {
			rec.fail("the %s sandbox charged payment %s %d times, want %d", sc.Provider, rec.PaymentID, n, charges)
		}
	}
}

// readTimeline reads the session's events: whether the shown payment went
// pending, and whether its final state came from an inquiry (the
// reconciler's, or one a provider notification or the shopper's return
// triggered, or another instance's after the one making the call died)
// rather than from a guess: the provider call just before the change to
// the final state is an inquiry.
func readTimeline(store interface {
	SessionEvents(ctx context.Context, sessionID string) ([]checkout.Event, error)
}, rec *record) error {
	if rec.SessionID == "" || rec.PaymentID == "" {
		return nil
	}
	events, err := store.SessionEvents(context.Background(), rec.SessionID)
	if err != nil {
		return err
	}
	lastCall, byInquiry := "", false
	for _, e := range events {
		if e.PaymentID != rec.PaymentID {
			continue
		}
		switch e.Type {
		case checkout.EventPaymentStatus:
			to, _ := e.Data["to"].(string)
			if to == string(checkout.PaymentPending) {
				rec.WentPending = true
			}
			if pageState(to) == rec.Final {
				byInquiry = lastCall == "inquire"
			}
		case checkout.EventProviderCall:
			lastCall, _ = e.Data["operation"].(string)
		}
	}
	rec.Reconciled = byInquiry
	return nil
}

// ledgerCharges reads each sandbox's ledger by our payment id (every
// adapter sends it as the provider's merchant reference).
func ledgerCharges(sb *sandboxset.Set) func(provider, id string) (int, bool) {
	return func(provider, id string) (int, bool) {
		switch provider {
		case "payorder":
			o, _ := sb.Payorder.Order(id)
			return o.Charges, true
		case "worldline":
			return sb.Worldline.Charges(id), true
		case "antom":
			return sb.Antom.Charges(id), true
		case "alipayplus":
			return sb.AlipayPlus.Charges(id), true
		case "bbmsl":
			return sb.BBMSL.Charges(id), true
		}
		return 0, false
	}
}

// waitNotifications lets the sandboxes finish delivering their
// notifications, then checks each was acknowledged by our /notify endpoint.
func waitNotifications(t *testing.T, sb *sandboxset.Set, problem func(string, ...any)) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, wait := range map[string]func(context.Context) error{
		"worldline": sb.Worldline.WaitWebhooks, "antom": sb.Antom.WaitNotifications,
		"alipayplus": sb.AlipayPlus.WaitNotifications, "bbmsl": sb.BBMSL.WaitNotifications,
	} {
		if err := wait(ctx); err != nil {
			problem("%s notifications still undelivered: %v", name, err)
		}
	}
	counts := map[string]int{}
	tally := func(provider, ref string, ok bool, attempts []int) {
		retried := len(attempts) > 1
		switch {
		case !ok:
			counts[provider+" not acknowledged"]++
			problem("%s notification about %s was not acknowledged: answers %v", provider, ref, attempts)
		case retried:
			counts[provider+" acknowledged after a retry"]++
		default:
			counts[provider+" acknowledged"]++
		}
	}
	for _, d := range sb.Worldline.Deliveries() {
		tally("worldline", d.MerchantReference+" "+d.Type, d.Delivered, d.Attempts)
	}
	for _, d := range sb.Antom.Deliveries() {
		tally("antom", d.PaymentRequestID+" "+d.NotifyType, d.Acknowledged, d.Attempts)
	}
	for _, d := range sb.AlipayPlus.Deliveries() {
		tally("alipayplus", d.PaymentRequestID+" "+d.ResultStatus, d.Acked, d.Attempts)
	}
	for _, d := range sb.BBMSL.Deliveries() {
		tally("bbmsl", d.MerchantReference+" "+d.Status, d.Acknowledged, d.Attempts)
	}
	return counts
}

func roundSteps(m map[string]time.Duration) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v.Round(time.Millisecond).String()
	}
	return out
}
