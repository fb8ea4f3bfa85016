package load

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/e2e/fleet"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/web"
)

// TestBench is make bench (issue 19): for each store (SQLite with
// synchronous=FULL, with NORMAL, PostgreSQL) it starts the server as a
// child process (sandbox mode, rate limits off, every answer with its
// Server-Timing) and measures over real HTTP, from this process:
//
//   - the hosted page's throughput, and the same bytes served from memory
//     by a plain net/http handler in the server's process, and their ratio;
//   - full payments per second and their p50/p99 (create the session over
//     the API, load the page and its assets, pay, whatever the flow asks,
//     the result page, the merchant's confirmation) at 16 concurrent
//     shoppers, per provider: a frictionless Worldline card, payOrder with
//     its device data collection, Antom, the Alipay+ wallet, a BBMSL saved
//     card;
//   - our own server time per payment: the sum over its requests of each
//     handler's time less its wait for the provider (Server-Timing), p50
//     and p99;
//   - SQL statements and commits per payment (the store's counters), and
//     the server's peak RSS (VmHWM).
//
// Without -perf.full it is the smoke that go test ./... runs: 16 payments
// per provider and a short page run, every figure printed, no figure
// asserted (shared machines are noisy: targets are read from the report).
// Any failed payment or request fails it.
var (
	flagPerfFull    = flag.Bool("perf.full", false, "the full benchmark (make bench) instead of the smoke")
	flagPerfTime    = flag.Duration("perf.time", 5*time.Second, "how long each measurement runs in the full benchmark")
	flagPerfReport  = flag.String("perf.report", "", "also write the report to this JSON file")
	flagPerfCompare = flag.String("perf.compare", "", "a JSON report of an earlier run, printed beside this one")
	flagPerfStores  = flag.String("perf.stores", "sqlite-full,sqlite-normal,postgres", "the stores to measure")
	flagPerfProfile = flag.String("perf.profile", "", "write the server's CPU profiles of the page run and of each provider's run to this directory")
)

const (
	benchShoppers  = 16
	benchServerEnv = "CHECKOUT_BENCH_SERVER"
	benchSideEnv   = "CHECKOUT_BENCH_SIDE_ADDR"
)

// benchReport is what make bench prints and writes.
type benchReport struct {
	When     string        `json:"when"`
	Machine  string        `json:"machine"`
	Command  string        `json:"command"`
	Full     bool          `json:"full"`
	Shoppers int           `json:"shoppers"`
	Seconds  float64       `json:"seconds_per_measurement"`
	Stores   []benchResult `json:"stores"`
}

type benchResult struct {
	Store string `json:"store"`
	// Profiles are, with -perf.profile, the heaviest functions of our own
	// code in the server's CPU profile of the page and Worldline runs
	// (cumulative share), by run.
	Profiles  map[string][]string `json:"profiles,omitempty"`
	PageRPS   float64             `json:"page_requests_per_second"`
	PlainRPS  float64             `json:"plain_requests_per_second"`
	PageRatio float64             `json:"page_ratio"`
	// PageCPU and PlainCPU are where the machine's CPU went per request,
	// in microseconds.
	PageCPU   cpuShare        `json:"page_cpu_us_per_request"`
	PlainCPU  cpuShare        `json:"plain_cpu_us_per_request"`
	PeakRSSMB float64         `json:"peak_rss_mb"`
	Providers []benchProvider `json:"providers"`
}

type benchProvider struct {
	Name                 string  `json:"name"`
	Payments             int     `json:"payments"`
	PerSecond            float64 `json:"payments_per_second"`
	P50ms                float64 `json:"p50_ms"`
	P99ms                float64 `json:"p99_ms"`
	OwnP50ms             float64 `json:"own_server_p50_ms"`
	OwnP99ms             float64 `json:"own_server_p99_ms"`
	StatementsPerPayment float64 `json:"sql_statements_per_payment"`
	CommitsPerPayment    float64 `json:"commits_per_payment"`
	// RetriesPerPayment are the transactions and statements PostgreSQL
	// refused (a serialization failure, a deadlock) and the store ran
	// again.
	RetriesPerPayment float64 `json:"retries_per_payment"`
	// CPU is where the machine's CPU went per payment, in milliseconds.
	CPU cpuShare `json:"cpu_ms_per_payment"`
	// Shares are, with -perf.profile, the cumulative shares of the
	// server's CPU profile of this run spent in RSA signatures (the
	// providers' protocols: our requests and the sandboxes' answers), in
	// the in-process provider sandboxes, and in the store's transactions.
	Shares map[string]float64 `json:"profile_shares,omitempty"`
}

// shareOf names the functions whose cumulative share of a profile the
// report shows for each provider's run.
var shareOf = []struct{ name, fn string }{
	{"rsa", "crypto/rsa.SignPKCS1v15"},
	{"sandboxes", "github.com/opencheckout/hostedcheckout/providers/sandboxkit.(*Server).ServeHTTP"},
	{"transactions", "github.com/opencheckout/hostedcheckout/checkout/sqlstore.(*DB).txAt"},
}

// shares reads shareOf's functions' cumulative shares from a CPU profile.
func shares(t *testing.T, file string) map[string]float64 {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=2000", file).Output()
	if err != nil {
		t.Logf("profile %s: %v", file, err)
		return nil
	}
	got := map[string]float64{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		for _, s := range shareOf {
			if f[5] == s.fn {
				got[s.name], _ = strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
			}
		}
	}
	return got
}

// cpuShare splits the machine's busy CPU time during a run between the
// server's process (with its in-process provider sandboxes), the bench's
// own (the load client) and the rest (PostgreSQL, anything else running),
// per unit of work.
type cpuShare struct {
	Server float64 `json:"server"`
	Client float64 `json:"client"`
	Rest   float64 `json:"rest"`
}

// cpuClock is a reading of the CPU time spent so far, in seconds.
type cpuClock struct{ server, client, machine float64 }

// cpuNow reads the server's CPU time (/proc/PID/stat), this process's
// (getrusage) and the machine's busy time (/proc/stat, less idle and
// iowait).
func (s *benchServer) cpuNow() cpuClock {
	var c cpuClock
	const tick = 100.0 // USER_HZ, 100 on every Linux this runs on
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid)); err == nil {
		// The fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 12 {
				u, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				c.server = (u + st) / tick
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.client = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) > 5 && f[0] == "cpu" {
			for i, v := range f[1:] {
				n, _ := strconv.ParseFloat(v, 64)
				if i != 3 && i != 4 && i < 8 { // not idle, not iowait, not guest (counted in user)
					c.machine += n / tick
				}
			}
		}
	}
	return c
}

// per is the CPU spent since c0, in unit (time.Millisecond...) per n.
func (c cpuClock) per(c0 cpuClock, n int, unit time.Duration) cpuShare {
	if n == 0 {
		return cpuShare{}
	}
	k := float64(time.Second/unit) / float64(n)
	server, client := c.server-c0.server, c.client-c0.client
	return cpuShare{Server: server * k, Client: client * k, Rest: max(c.machine-c0.machine-server-client, 0) * k}
}

// benchFlows are the payments measured, one provider each.
func benchFlows() []struct {
	name string
	sc   scenario
} {
	return []struct {
		name string
		sc   scenario
	}{
		{"worldline frictionless", cardScenario("worldline", methodCard, "EUR", testcards.Visa, "")},
		{"payorder device data", cardScenario("payorder", methodCard, "USD", testcards.Visa, "")},
		{"antom", cardScenario("antom", methodCard, "EUR", testcards.Visa, "")},
		{"alipayplus wallet", walletScenario(walletApprove, 0)},
		{"bbmsl saved card", savedScenario(testcards.Visa)},
	}
}

func TestBench(t *testing.T) {
	full := *flagPerfFull
	d := 300 * time.Millisecond
	if full {
		d = *flagPerfTime
	}
	rep := &benchReport{When: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Full: full, Shoppers: benchShoppers,
		Seconds: d.Seconds(), Command: "go test ./e2e/load -run '^TestBench$' -count=1 -v " + strings.Join(perfFlags(), " ")}
	if *flagPerfProfile != "" {
		if err := os.MkdirAll(*flagPerfProfile, 0o755); err != nil {
			t.Fatalf("-perf.profile: %v", err)
		}
	}
	var pg *pgtest.Cluster
	for _, store := range strings.Split(*flagPerfStores, ",") {
		env := []string{}
		switch store {
		case "sqlite-full", "sqlite-normal":
			env = append(env, "CHECKOUT_DB="+filepath.Join(t.TempDir(), "checkout.db"), "CHECKOUT_SQLITE_SYNC="+strings.TrimPrefix(store, "sqlite-"))
		case "postgres":
			if pg == nil {
				var err error
				if pg, err = pgtest.Start(); err != nil {
					if os.Getenv("CI") != "" {
						t.Fatalf("PostgreSQL: %v", err)
					}
					t.Logf("no PostgreSQL, its column is left out: %v", err)
					continue
				}
				t.Cleanup(pg.Stop)
			}
			url, err := pg.CreateDatabase(fmt.Sprintf("bench_%d", time.Now().UnixNano()))
			if err != nil {
				t.Fatal(err)
			}
			env = append(env, "CHECKOUT_DATABASE_URL="+url)
		default:
			t.Fatalf("-perf.stores: unknown store %q (sqlite-full, sqlite-normal, postgres)", store)
		}
		rep.Stores = append(rep.Stores, benchStore(t, store, env, d, full))
	}
	var old *benchReport
	if *flagPerfCompare != "" {
		b, err := os.ReadFile(*flagPerfCompare)
		if err == nil {
			old = &benchReport{}
			err = json.Unmarshal(b, old)
		}
		if err != nil {
			t.Fatalf("-perf.compare: %v", err)
		}
	}
	for _, line := range strings.Split(strings.TrimRight(rep.table(old), "\n"), "\n") {
		t.Log(line)
	}
	if *flagPerfReport != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*flagPerfReport, b, 0o644); err != nil {
			t.Errorf("write the report: %v", err)
		}
	}
}

// perfFlags are the -perf flags this run was given.
func perfFlags() []string {
	var out []string
	flag.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "perf.") {
			out = append(out, "-"+f.Name+"="+f.Value.String())
		}
	})
	return out
}

// benchStore measures one store: a fresh server, the page, then each
// provider's payments.
func benchStore(t *testing.T, store string, env []string, d time.Duration, full bool) benchResult {
	t.Helper()
	srv := startBenchServer(t, env)
	defer srv.stop()
	res := benchResult{Store: store}
	ctx := context.Background()
	transport := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	// The page: one open session's page again and again, then its bytes
	// from the plain handler.
	r := &run{base: srv.base, apiKey: srv.key, runID: fmt.Sprintf("%06x", time.Now().UnixNano()&0xffffff),
		transport: transport, stats: &stats{}, customers: &customers{}, cards: &typedCards{}}
	rec := &record{Index: 0, Scenario: benchFlows()[0].sc, Steps: map[string]time.Duration{}}
	sess, err := newShopper(r, rec).createSession(ctx)
	if err != nil {
		t.Fatalf("%s: create the page's session: %v", store, err)
	}
	page, ctype := fetch(t, client, sess.URL)
	req, _ := http.NewRequest(http.MethodPut, srv.side+"/plain", strings.NewReader(string(page)))
	req.Header.Set("Content-Type", ctype)
	if res, err := client.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("%s: give the plain handler the page: %v %v", store, res, err)
	} else {
		res.Body.Close()
	}
	if plain, _ := fetch(t, client, srv.side+"/plain"); string(plain) != string(page) {
		t.Fatalf("%s: the plain handler serves other bytes", store)
	}
	done := srv.profile(t, store+"-page", d)
	c0 := srv.cpuNow()
	var n int
	res.PageRPS, n = hammer(t, client, sess.URL, d)
	res.PageCPU = srv.cpuNow().per(c0, n, time.Microsecond)
	done()
	c0 = srv.cpuNow()
	res.PlainRPS, n = hammer(t, client, srv.side+"/plain", d)
	res.PlainCPU = srv.cpuNow().per(c0, n, time.Microsecond)
	if res.PlainRPS > 0 {
		res.PageRatio = res.PageRPS / res.PlainRPS
	}

	// The payments, one provider at a time, at 16 shoppers; then
	// Worldline's alone, one shopper at a time: our own time without
	// waiting for the CPU or the database behind other shoppers.
	for _, f := range benchFlows() {
		res.Providers = append(res.Providers, benchPayments(t, srv, client, transport, store, f.name, f.sc, benchShoppers, d, full))
	}
	f := benchFlows()[0]
	res.Providers = append(res.Providers, benchPayments(t, srv, client, transport, store, f.name+", 1 shopper", f.sc, 1, d, full))
	res.PeakRSSMB = srv.peakRSS(t)
	if *flagPerfProfile != "" {
		res.Profiles = map[string][]string{}
		for _, run := range []string{"page", "worldline"} {
			res.Profiles[run] = heaviest(t, filepath.Join(*flagPerfProfile, store+"-"+run+".pprof"))
		}
	}
	if t.Failed() {
		srv.showErrors(t)
	}
	return res
}

// benchPayments pays sc again and again from shoppers at once, for d (the
// full run) or once per shopper (the smoke).
func benchPayments(t *testing.T, srv *benchServer, client *http.Client, transport http.RoundTripper, store, name string,
	sc scenario, shoppers int, d time.Duration, full bool) benchProvider {
	t.Helper()
	ctx := context.Background()
	before := srv.counts(t, client)
	done := func() {}
	profile := ""
	if shoppers > 1 && *flagPerfProfile != "" {
		// Each provider's run: store-worldline.pprof, store-payorder.pprof...
		profile = store + "-" + strings.Fields(name)[0]
		done = srv.profile(t, profile, d)
	}
	r := &run{base: srv.base, apiKey: srv.key, runID: fmt.Sprintf("%06x", time.Now().UnixNano()&0xffffff),
		transport: transport, stats: &stats{}, customers: &customers{}, cards: &typedCards{}}
	var next atomic.Int64
	var mu sync.Mutex
	var recs []*record
	deadline := time.Now().Add(d)
	start := time.Now()
	c0 := srv.cpuNow()
	var wg sync.WaitGroup
	for range shoppers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if full && time.Now().After(deadline) || !full && i >= max(shoppers, 4) {
					return
				}
				rec := &record{Index: i, Scenario: sc, Steps: map[string]time.Duration{}}
				sctx, cancel := context.WithTimeout(ctx, sessionTimeout)
				newShopper(r, rec).journey(sctx)
				cancel()
				mu.Lock()
				recs = append(recs, rec)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	c1 := srv.cpuNow()
	done()
	after := srv.counts(t, client)
	var e2e, own []time.Duration
	for _, rec := range recs {
		if rec.Final != sc.Want || len(rec.Errors) > 0 {
			t.Errorf("%s, %s: session %s ended %q, want %s: %v", store, name, rec.SessionID, rec.Final, sc.Want, rec.Errors)
		}
		e2e = append(e2e, rec.End.Sub(rec.Start))
		own = append(own, rec.Own)
	}
	n := len(recs)
	p := benchProvider{Name: name, Payments: n, PerSecond: float64(n) / wall.Seconds(),
		P50ms: msOf(pct(e2e, 50)), P99ms: msOf(pct(e2e, 99)), OwnP50ms: msOf(pct(own, 50)), OwnP99ms: msOf(pct(own, 99))}
	if n > 0 {
		p.StatementsPerPayment = float64(after.Statements-before.Statements) / float64(n)
		p.CommitsPerPayment = float64(after.Commits-before.Commits) / float64(n)
		p.RetriesPerPayment = float64(after.Retries-before.Retries) / float64(n)
		p.CPU = c1.per(c0, n, time.Millisecond)
	}
	if profile != "" {
		p.Shares = shares(t, filepath.Join(*flagPerfProfile, profile+".pprof"))
	}
	return p
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // nearest rank
	return s[max(i-1, 0)]
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fetch GETs url and answers its body and Content-Type.
func fetch(t *testing.T, client *http.Client, url string) ([]byte, string) {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b, res.Header.Get("Content-Type")
}

// hammer GETs url from benchShoppers workers for d and answers the
// requests per second and how many there were; any error fails the test.
func hammer(t *testing.T, client *http.Client, url string, d time.Duration) (float64, int) {
	t.Helper()
	var n, bad atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range benchShoppers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				res, err := client.Get(url)
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					bad.Add(1)
					continue
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("GET %s: %d requests failed", url, bad.Load())
	}
	return float64(n.Load()) / time.Since(start).Seconds(), int(n.Load())
}

// benchServer is the server under measurement, a child process.
type benchServer struct {
	cmd        *exec.Cmd
	base, side string
	key        string
	log        string
}

func startBenchServer(t *testing.T, env []string) *benchServer {
	t.Helper()
	addr, side := fleet.FreeAddr(t), fleet.FreeAddr(t)
	s := &benchServer{base: "http://" + addr, side: "http://" + side, key: checkout.NewSecretKey(false)}
	s.cmd = exec.Command(os.Args[0], "-test.run=^$")
	s.cmd.Env = append(os.Environ(), benchServerEnv+"=1", benchSideEnv+"="+side, "CHECKOUT_ADDR="+addr, "CHECKOUT_MODE=sandbox",
		"CHECKOUT_DEMO_API_KEY="+s.key, "CHECKOUT_LOG_FORMAT=json",
		// Rate limits off: every shopper is 127.0.0.1 and pays with the
		// same cards.
		"CHECKOUT_LIMIT_PER_IP=0", "CHECKOUT_LIMIT_PER_CARD=0", "CHECKOUT_TEST_LIMIT_PER_IP=0",
		"CHECKOUT_API_LIMIT_PER_SECOND=0", "CHECKOUT_LIMIT_SESSION_REQUESTS_PER_MINUTE=0")
	s.cmd.Env = append(s.cmd.Env, env...)
	log, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.log = log.Name()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("the bench server did not start: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *benchServer) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// profile records the server's CPU for d into -perf.profile's directory
// (nothing without it); the answer waits for the profile.
func (s *benchServer) profile(t *testing.T, name string, d time.Duration) (wait func()) {
	if *flagPerfProfile == "" {
		return func() {}
	}
	secs := max(int(d/time.Second), 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		res, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.side, secs))
		if err != nil {
			t.Errorf("profile: %v", err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if err := os.WriteFile(filepath.Join(*flagPerfProfile, name+".pprof"), b, 0o644); err != nil {
			t.Errorf("profile: %v", err)
		}
	})
	return wg.Wait
}

// heaviest lists the functions of this module with the largest cumulative
// share of a CPU profile (go tool pprof), leaving out the middleware every
// request passes through.
func heaviest(t *testing.T, file string) []string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=400", file).Output()
	if err != nil {
		t.Logf("profile %s: %v", file, err)
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || !strings.Contains(f[5], "hostedcheckout/") || middleware.MatchString(f[5]) {
			continue
		}
		lines = append(lines, f[4]+" "+strings.TrimPrefix(f[5], "github.com/opencheckout/hostedcheckout/"))
		if len(lines) == 12 {
			break
		}
	}
	return lines
}

var middleware = regexp.MustCompile(`RecoverPanics|RequestID|middleware|LogRequests|SecurityHeaders|CrossOriginProtection|LimitSessionRequests|BufferBody|RefuseUnknownQuery|Authenticate|RequireFormToken|Idempotent`)

// showErrors logs the errors the server logged (at most 20).
func (s *benchServer) showErrors(t *testing.T) {
	b, _ := os.ReadFile(s.log)
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) && n < 20 {
			t.Logf("server: %s", l)
			n++
		}
	}
}

type storeCounts struct{ Statements, Commits, Retries int64 }

func (s *benchServer) counts(t *testing.T, client *http.Client) storeCounts {
	t.Helper()
	b, _ := fetch(t, client, s.side+"/stats")
	var c storeCounts
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// peakRSS is the server's VmHWM in MB.
func (s *benchServer) peakRSS(t *testing.T) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Logf("peak RSS: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// benchServe is the child: the server as checkout runs it (web.New from
// the environment), with Server-Timing on every answer, and beside it, on
// its own listener, the plain handler and the store's counters.
func benchServe() {
	if os.Getenv(benchServerEnv) != "1" {
		return
	}
	cfg, err := web.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(2)
	}
	cfg.ServerTimingEverywhere = true
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	app, err := web.New(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
	var plain struct {
		sync.RWMutex
		body  []byte
		ctype string
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /plain", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		plain.Lock()
		plain.body, plain.ctype = b, r.Header.Get("Content-Type")
		plain.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	// The plain handler: the page's bytes from memory.
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) {
		plain.RLock()
		body, ctype := plain.body, plain.ctype
		plain.RUnlock()
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		s, c := app.Store.Counts()
		_ = json.NewEncoder(w).Encode(storeCounts{Statements: s, Commits: c, Retries: app.Store.Retries()})
	})
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	side := &http.Server{Addr: os.Getenv(benchSideEnv), Handler: mux}
	go func() { _ = side.ListenAndServe() }()
	err = app.Run(ctx)
	_ = side.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// machine describes where the run ran.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			mem = fmt.Sprintf(", %.0f GiB", kb/1024/1024)
		}
	}
	return fmt.Sprintf("%d cores (%s)%s, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// targets says, for each store, whether each of the targets is met
// and, for one that is not, what this run measured that bounds it.
func (r *benchReport) targets() string {
	var b strings.Builder
	cores := float64(runtime.NumCPU())
	b.WriteString("targets (README, Performance, gives the next steps):\n")
	for _, c := range r.Stores {
		fmt.Fprintf(&b, "%s:\n", c.Store)
		line := func(met bool, what, bound string) {
			if met {
				fmt.Fprintf(&b, "  met      %s\n", what)
			} else {
				fmt.Fprintf(&b, "  not met  %s: %s\n", what, bound)
			}
		}
		line(c.PageRatio >= 0.5, fmt.Sprintf("page / plain %.3f (>= 0.5)", c.PageRatio),
			fmt.Sprintf("the page costs the server %.0f us of CPU a request, the plain handler %.0f us; the client %.0f and %.0f us",
				c.PageCPU.Server, c.PlainCPU.Server, c.PageCPU.Client, c.PlainCPU.Client))
		var wl, one *benchProvider
		for i := range c.Providers {
			switch c.Providers[i].Name {
			case benchFlows()[0].name:
				wl = &c.Providers[i]
			case benchFlows()[0].name + ", 1 shopper":
				one = &c.Providers[i]
			}
		}
		if wl == nil {
			continue
		}
		want := map[string]float64{"sqlite-full": 500, "sqlite-normal": 1000}[c.Store]
		if want > 0 {
			bound := "-"
			if wl.CPU.Server > 0 {
				in := ""
				if wl.Shares != nil {
					in = fmt.Sprintf(" (%.0f%% of it in transactions)", wl.Shares["transactions"])
				}
				bound = fmt.Sprintf("the server spends %.1f ms of CPU on a payment%s: on %.0f cores at most %.0f/s with nothing else running; the client spends %.1f ms more",
					wl.CPU.Server, in, cores, cores*1000/wl.CPU.Server, wl.CPU.Client)
			}
			busy := (wl.CPU.Server + wl.CPU.Client + wl.CPU.Rest) * wl.PerSecond / 1000 / cores
			if c.Store == "sqlite-full" {
				bound += fmt.Sprintf("; the cores were %.0f%% busy: SQLite's one writer took %.0f commits/s, each waiting for an fsync of the WAL",
					100*busy, wl.CommitsPerPayment*wl.PerSecond)
			}
			line(wl.PerSecond >= want, fmt.Sprintf("Worldline %.0f payments/s (>= %.0f)", wl.PerSecond, want), bound)
		}
		busy := (wl.CPU.Server + wl.CPU.Client + wl.CPU.Rest) * wl.PerSecond / 1000 / cores
		bound := fmt.Sprintf("the cores were %.0f%% busy, and a request waits for one", 100*busy)
		if one != nil {
			bound += fmt.Sprintf("; at one shopper p50 %.1f ms, p99 %.1f ms", one.OwnP50ms, one.OwnP99ms)
		}
		line(wl.OwnP99ms < 5, fmt.Sprintf("own server time p99 %.1f ms at %d shoppers (< 5)", wl.OwnP99ms, r.Shoppers), bound)
		line(c.PeakRSSMB < 150, fmt.Sprintf("peak RSS %.0f MB (< 150)", c.PeakRSSMB), "")
	}
	return b.String()
}

// hasShares says whether a provider's run has profile shares.
func (r *benchReport) hasShares() bool {
	for _, c := range r.Stores {
		for _, p := range c.Providers {
			if p.Shares != nil {
				return true
			}
		}
	}
	return false
}

// table prints the stores side by side (and an earlier run's beside them).
func (r *benchReport) table(old *benchReport) string {
	cols := slices.Clone(r.Stores)
	names := []string{}
	for _, s := range r.Stores {
		names = append(names, s.Store)
	}
	if old != nil {
		for _, s := range old.Stores {
			cols = append(cols, s)
			names = append(names, "earlier "+s.Store)
		}
	}
	var b strings.Builder
	mode := "smoke"
	if r.Full {
		mode = "full"
	}
	row := func(label string, f func(benchResult) string) {
		fmt.Fprintf(&b, "%-50s", label)
		for _, c := range cols {
			fmt.Fprintf(&b, " %20s", f(c))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "make bench (%s run), %d concurrent shoppers, %.1f s per measurement, on %s\n", mode, r.Shoppers, r.Seconds, r.Machine)
	if old != nil {
		fmt.Fprintf(&b, "earlier run: %s on %s\n", old.When, old.Machine)
	}
	fmt.Fprintf(&b, "%-50s", "")
	for _, n := range names {
		fmt.Fprintf(&b, " %20s", n)
	}
	b.WriteString("\n")
	f1 := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	row("hosted page, requests/s", func(c benchResult) string { return f1(c.PageRPS) })
	row("same bytes, plain handler, requests/s", func(c benchResult) string { return f1(c.PlainRPS) })
	row("page / plain (target >= 0.5)", func(c benchResult) string { return strconv.FormatFloat(c.PageRatio, 'f', 3, 64) })
	f0 := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	row("page CPU us/request: server/client/rest", func(c benchResult) string {
		return f0(c.PageCPU.Server) + " / " + f0(c.PageCPU.Client) + " / " + f0(c.PageCPU.Rest)
	})
	row("plain CPU us/request: server/client/rest", func(c benchResult) string {
		return f0(c.PlainCPU.Server) + " / " + f0(c.PlainCPU.Client) + " / " + f0(c.PlainCPU.Rest)
	})
	var flows []string
	if len(r.Stores) > 0 {
		for _, p := range r.Stores[0].Providers {
			flows = append(flows, p.Name)
		}
	}
	for _, name := range flows {
		show := func(fn func(p *benchProvider) string) func(benchResult) string {
			return func(c benchResult) string {
				for i := range c.Providers {
					if c.Providers[i].Name == name {
						return fn(&c.Providers[i])
					}
				}
				return "-"
			}
		}
		fmt.Fprintf(&b, "%s:\n", name)
		row("  payments/s", show(func(p *benchProvider) string { return f1(p.PerSecond) }))
		row("  p50 / p99 ms", show(func(p *benchProvider) string { return f1(p.P50ms) + " / " + f1(p.P99ms) }))
		row("  own server time p50 / p99 ms", show(func(p *benchProvider) string { return f1(p.OwnP50ms) + " / " + f1(p.OwnP99ms) }))
		row("  SQL statements / commits / retries per payment", show(func(p *benchProvider) string {
			return f1(p.StatementsPerPayment) + " / " + f1(p.CommitsPerPayment) + " / " + strconv.FormatFloat(p.RetriesPerPayment, 'f', 2, 64)
		}))
		row("  CPU ms/payment: server/client/rest", show(func(p *benchProvider) string {
			return f1(p.CPU.Server) + " / " + f1(p.CPU.Client) + " / " + f1(p.CPU.Rest)
		}))
		if r.hasShares() {
			row("  server CPU in RSA / sandboxes / tx, %", show(func(p *benchProvider) string {
				if p.Shares == nil {
					return "-"
				}
				return f0(p.Shares["rsa"]) + " / " + f0(p.Shares["sandboxes"]) + " / " + f0(p.Shares["transactions"])
			}))
		}
		row("  server's ceiling on all cores, payments/s", show(func(p *benchProvider) string {
			if p.CPU.Server == 0 {
				return "-"
			}
			return f0(float64(runtime.NumCPU()) * 1000 / p.CPU.Server)
		}))
	}
	row("peak RSS of the server, MB", func(c benchResult) string { return f1(c.PeakRSSMB) })
	if r.Full {
		b.WriteString(r.targets())
	}
	for _, c := range r.Stores {
		for _, run := range []string{"page", "worldline"} {
			if lines := c.Profiles[run]; len(lines) > 0 {
				fmt.Fprintf(&b, "%s, %s run: where the server's CPU went (cumulative, our code):\n", c.Store, run)
				for _, l := range lines {
					fmt.Fprintf(&b, "  %s\n", l)
				}
			}
		}
	}
	return b.String()
}
