package load

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// stats collects latency samples per step.
type stats struct {
	mu    sync.Mutex
	steps map[string][]time.Duration
}

func (s *stats) step(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.steps == nil {
		s.steps = map[string][]time.Duration{}
	}
	s.steps[name] = append(s.steps[name], d)
}

// summary is the distribution of a set of samples.
type summary struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func summarize(name string, ds []time.Duration) summary {
	s := summary{Name: name, Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	s.P50, s.P95, s.P99 = ms(percentile(sorted, 50)), ms(percentile(sorted, 95)), ms(percentile(sorted, 99))
	s.Max = ms(sorted[len(sorted)-1])
	return s
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// groupSummary is a group of sessions (a provider, a flow) and their outcome.
type groupSummary struct {
	summary
	Outcomes map[string]int `json:"outcomes"`
}

// report is what a run measured and found.
type report struct {
	Sessions       int            `json:"sessions"`
	Concurrency    int            `json:"concurrency"`
	Short          bool           `json:"short"`
	WallSeconds    float64        `json:"wall_seconds"`
	Throughput     float64        `json:"sessions_per_second"`
	Requests       int            `json:"http_requests"`
	RequestRate    float64        `json:"http_requests_per_second"`
	HTTPErrors     int            `json:"http_errors"`
	FailedSessions int            `json:"failed_sessions"`
	Reconciled     int            `json:"sessions_settled_by_reconciliation"`
	SawPending     int            `json:"sessions_shown_pending"`
	Unplanned      int            `json:"sessions_pending_unplanned"`
	EndToEnd       summary        `json:"end_to_end"`
	Steps          []summary      `json:"steps"`
	Providers      []groupSummary `json:"providers"`
	Flows          []groupSummary `json:"flows"`
	Reconciliation map[string]int `json:"reconciliation"`
	Ledger         map[string]int `json:"ledger"`
	Notifications  map[string]int `json:"notifications"`
	ServerLog      *serverLog     `json:"server_log"`
	ScanHits       int            `json:"card_data_hits"`
	ScannedFiles   []string       `json:"scanned_files"`
	Fleet          *fleetReport   `json:"fleet,omitempty"`
}

// stepOrder is the order of a journey.
var stepOrder = []string{"create", "page", "assets", "add_card", "pay", "ddc", "challenge", "redirect", "wallet",
	"redirect_form", "poll", "settle_wait", "confirm"}

func newReport(recs []*record, st *stats, wall time.Duration, c int, short bool) *report {
	r := &report{Sessions: len(recs), Concurrency: c, Short: short, WallSeconds: wall.Seconds()}
	if wall > 0 {
		r.Throughput = float64(len(recs)) / wall.Seconds()
	}
	var e2e []time.Duration
	byProvider := map[string][]*record{}
	byFlow := map[string][]*record{}
	for _, rec := range recs {
		r.Requests += rec.Requests
		for _, e := range rec.Errors {
			if strings.HasPrefix(e, "HTTP ") {
				r.HTTPErrors++
			}
		}
		if len(rec.Errors) > 0 {
			r.FailedSessions++
		}
		if rec.SawPending {
			r.SawPending++
		}
		if rec.Reconciled && (rec.WentPending || rec.Scenario.Unknown) {
			r.Reconciled++
		}
		if rec.Disturbed {
			r.Unplanned++
		}
		e2e = append(e2e, rec.End.Sub(rec.Start))
		byProvider[rec.Scenario.Provider] = append(byProvider[rec.Scenario.Provider], rec)
		byFlow[flowOf(rec)] = append(byFlow[flowOf(rec)], rec)
	}
	if wall > 0 {
		r.RequestRate = float64(r.Requests) / wall.Seconds()
	}
	r.EndToEnd = summarize("end-to-end", e2e)
	st.mu.Lock()
	names := make([]string, 0, len(st.steps))
	for name := range st.steps {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return stepRank(names[i]) < stepRank(names[j]) })
	for _, name := range names {
		r.Steps = append(r.Steps, summarize(name, st.steps[name]))
	}
	st.mu.Unlock()
	r.Providers = groups(byProvider)
	r.Flows = groups(byFlow)
	return r
}

func stepRank(name string) int {
	if i := slices.Index(stepOrder, name); i >= 0 {
		return i
	}
	return len(stepOrder)
}

// flowOf names what the browser had to do in a session.
func flowOf(rec *record) string {
	sc := rec.Scenario
	switch {
	case sc.Method == methodWallet:
		return "wallet"
	case sc.Method == methodSavedCard && rec.AddedCard:
		return "saved card, added first"
	case sc.Method == methodSavedCard:
		return "saved card"
	case sc.Unknown:
		return "card, settled by reconciliation"
	case sc.Challenge:
		return "card, challenge"
	}
	return "card, frictionless"
}

func groups(m map[string][]*record) []groupSummary {
	var out []groupSummary
	for name, recs := range m {
		var ds []time.Duration
		g := groupSummary{Outcomes: map[string]int{}}
		for _, rec := range recs {
			ds = append(ds, rec.End.Sub(rec.Start))
			outcome := rec.Final
			if outcome == "" {
				outcome = "none"
			}
			g.Outcomes[outcome]++
		}
		g.summary = summarize(name, ds)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// text is the report as the test log shows it.
func (r *report) text() string {
	var b strings.Builder
	mode := "full"
	if r.Short {
		mode = "short"
	}
	fmt.Fprintf(&b, "load (%s run): %d sessions, concurrency %d, %.2f s wall: %.1f sessions/s; %d HTTP requests (%.0f/s); %d HTTP errors; %d sessions with problems\n",
		mode, r.Sessions, r.Concurrency, r.WallSeconds, r.Throughput, r.Requests, r.RequestRate, r.HTTPErrors, r.FailedSessions)
	fmt.Fprintf(&b, "unknown outcomes: %d settled through an inquiry (%d shown as pending to the shopper); %d pending although the card implies a direct answer (a provider call timed out)\n",
		r.Reconciled, r.SawPending, r.Unplanned)
	line := func(s summary, extra string) {
		fmt.Fprintf(&b, "  %-32s %5d  p50 %8.1f  p95 %8.1f  p99 %8.1f  max %8.1f ms%s\n", s.Name, s.Count, s.P50, s.P95, s.P99, s.Max, extra)
	}
	b.WriteString("end to end (session created -> result page):\n")
	line(r.EndToEnd, "")
	b.WriteString("per step (one sample per step of a session; poll = one reload of a pending page):\n")
	for _, s := range r.Steps {
		line(s, "")
	}
	b.WriteString("per provider (end to end):\n")
	for _, g := range r.Providers {
		line(g.summary, "  "+outcomes(g.Outcomes))
	}
	b.WriteString("per flow (end to end):\n")
	for _, g := range r.Flows {
		line(g.summary, "  "+outcomes(g.Outcomes))
	}
	fmt.Fprintf(&b, "reconciliation (R37, client vs payments table): %s\n", outcomes(r.Reconciliation))
	fmt.Fprintf(&b, "sandbox ledgers vs payments table: %s\n", outcomes(r.Ledger))
	fmt.Fprintf(&b, "provider notifications: %s\n", outcomes(r.Notifications))
	if l := r.ServerLog; l != nil {
		fmt.Fprintf(&b, "server log: %d lines (%s)\n  requests answered: %s\n  warnings and errors: %s\n",
			l.Lines, outcomes(l.Levels), outcomes(l.Statuses), outcomes(l.Messages))
	}
	if f := r.Fleet; f != nil {
		fmt.Fprintf(&b, "fleet: %d instances, %d SIGKILLed and restarted mid-run; %d requests cut with it, %d requests sent again; %d webhook events delivered (%d after a refused attempt)\n",
			f.Instances, f.Killed, f.Cut, f.Resent, f.Webhooks, f.WebhooksAfterRefusal)
	}
	fmt.Fprintf(&b, "card-data scan of %s: %d hits\n", strings.Join(r.ScannedFiles, ", "), r.ScanHits)
	return b.String()
}

func (r *report) json() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

func outcomes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
