package checkout

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"
)

// The dashboard's overview: a merchant's last days in figures, counted by
// the store (Store.OverviewStats) and shaped here.

// OverviewDays is how many days the overview covers: today (UTC) and the
// days before it.
const OverviewDays = 7

// MaxOverviewCalls bounds the provider calls read for the latency
// percentiles: the newest ones of the window.
const MaxOverviewCalls = 20000

// OverviewStats is what the store counts over a window of whole UTC days.
type OverviewStats struct {
	// Volume is the payments paid or authorized (PaymentStatus.Counted),
	// by the UTC day they were made and currency.
	Volume []DayVolume
	// Sessions is the sessions made each UTC day: how many, how many had
	// their page opened (viewed, or a payment tried), and how many were
	// paid or authorized.
	Sessions []DaySessions
	// Declines is the failed payments by decline code ("" without one).
	Declines []ReasonCount
	// ThreeDS is the payments authenticated with 3-D Secure, by flow.
	ThreeDS []ReasonCount
	// Calls is provider calls' latency, newest first, at most
	// MaxOverviewCalls.
	Calls []ProviderCallTime
}

// DayVolume is one day's money in one currency.
type DayVolume struct {
	Day      string // 2006-01-02, UTC
	Currency string
	Amount   int64 // minor units
	Count    int
}

// DaySessions is one day's sessions.
type DaySessions struct {
	Day                   string
	Created, Opened, Paid int
}

// ReasonCount is a count by a reason (a decline code, a 3-D Secure flow).
type ReasonCount struct {
	Reason string
	Count  int
}

// ProviderCallTime is one provider call's latency.
type ProviderCallTime struct {
	Provider   string
	DurationMS int64
}

// Counted reports whether a payment in status st counts as money taken
// (or held, when authorized) in the overview's volume: the statuses a
// session shows as paid or authorized.
func (st PaymentStatus) Counted() bool {
	return st == PaymentAuthorized || st.Paid()
}

// Overview is the dashboard's overview of one merchant.
type Overview struct {
	Days []string // OverviewDays UTC days, oldest first; the last is today
	// Volume is one series per currency, the largest week first.
	Volume []CurrencyVolume
	// Sessions is each day's sessions (Days' order).
	Sessions []DaySessions
	// Opened and Paid are the week's totals; Conversion is Paid over
	// Opened (0 without any opened).
	Opened, Paid int
	Conversion   float64
	Declines     []ReasonCount // most frequent first
	// Frictionless and Challenged count the week's 3-D Secure payments;
	// ChallengeRate is Challenged over both (0 without any).
	Frictionless, Challenged int
	ChallengeRate            float64
	Latency                  []ProviderLatency // by provider name
}

// CurrencyVolume is one currency's money per day.
type CurrencyVolume struct {
	Currency string
	Days     []int64 // minor units, Overview.Days' order
	Counts   []int
	Today    int64
	Week     int64
}

// ProviderLatency is a provider's call latency percentiles.
type ProviderLatency struct {
	Provider string
	Calls    int
	P50, P95 int64 // milliseconds
}

// Overview counts merchant's last OverviewDays UTC days, today included.
func (s *Service) Overview(ctx context.Context, merchantID string) (*Overview, error) {
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	from, to := today.AddDate(0, 0, 1-OverviewDays), today.AddDate(0, 0, 1)
	st, err := s.Store.OverviewStats(ctx, merchantID, from, to)
	if err != nil {
		return nil, Internal(err)
	}
	return shapeOverview(st, from), nil
}

// shapeOverview lays st out over the OverviewDays days from from.
func shapeOverview(st *OverviewStats, from time.Time) *Overview {
	o := &Overview{}
	index := map[string]int{}
	for i := range OverviewDays {
		d := from.AddDate(0, 0, i).Format(time.DateOnly)
		index[d] = i
		o.Days = append(o.Days, d)
		o.Sessions = append(o.Sessions, DaySessions{Day: d})
	}
	byCurrency := map[string]*CurrencyVolume{}
	for _, v := range st.Volume {
		i, ok := index[v.Day]
		if !ok {
			continue
		}
		c := byCurrency[v.Currency]
		if c == nil {
			c = &CurrencyVolume{Currency: v.Currency, Days: make([]int64, OverviewDays), Counts: make([]int, OverviewDays)}
			byCurrency[v.Currency] = c
		}
		c.Days[i] += v.Amount
		c.Counts[i] += v.Count
		c.Week += v.Amount
	}
	for _, c := range byCurrency {
		c.Today = c.Days[OverviewDays-1]
		o.Volume = append(o.Volume, *c)
	}
	slices.SortFunc(o.Volume, func(a, b CurrencyVolume) int {
		return cmp.Or(cmp.Compare(b.Week, a.Week), cmp.Compare(a.Currency, b.Currency))
	})
	for _, d := range st.Sessions {
		if i, ok := index[d.Day]; ok {
			o.Sessions[i].Created += d.Created
			o.Sessions[i].Opened += d.Opened
			o.Sessions[i].Paid += d.Paid
			o.Opened += d.Opened
			o.Paid += d.Paid
		}
	}
	if o.Opened > 0 {
		o.Conversion = float64(o.Paid) / float64(o.Opened)
	}
	o.Declines = slices.Clone(st.Declines)
	slices.SortFunc(o.Declines, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	for _, f := range st.ThreeDS {
		switch f.Reason {
		case FlowFrictionless:
			o.Frictionless += f.Count
		case FlowChallenge:
			o.Challenged += f.Count
		}
	}
	if n := o.Frictionless + o.Challenged; n > 0 {
		o.ChallengeRate = float64(o.Challenged) / float64(n)
	}
	calls := map[string][]int64{}
	for _, c := range st.Calls {
		if c.Provider != "" && c.DurationMS >= 0 {
			calls[c.Provider] = append(calls[c.Provider], c.DurationMS)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		ms := calls[name]
		slices.Sort(ms)
		o.Latency = append(o.Latency, ProviderLatency{Provider: name, Calls: len(ms), P50: percentile(ms, 50), P95: percentile(ms, 95)})
	}
	return o
}

// percentile is the nearest-rank p-th percentile of sorted (not empty).
func percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}

// OperationalStats is the work waiting, across all merchants.
type OperationalStats struct {
	WebhooksPending int
	// OldestWebhook is when the oldest pending delivery was made (zero
	// without any).
	OldestWebhook time.Time
	// PaymentsReconciling is the payments whose outcome is unknown
	// (processing or pending) and that the reconciler will ask about.
	PaymentsReconciling int
}
