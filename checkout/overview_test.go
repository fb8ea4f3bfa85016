package checkout

import (
	"slices"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ms := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		p    int
		want int64
	}{{50, 5}, {95, 10}, {90, 9}, {1, 1}, {100, 10}} {
		if got := percentile(ms, c.p); got != c.want {
			t.Errorf("p%d of 1..10 = %d, want %d", c.p, got, c.want)
		}
	}
	if got := percentile([]int64{42}, 95); got != 42 {
		t.Errorf("p95 of one call = %d", got)
	}
}

func TestShapeOverview(t *testing.T) {
	from := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	o := shapeOverview(&OverviewStats{
		Volume: []DayVolume{{Day: "2026-11-21", Currency: "EUR", Amount: 100, Count: 1}, {Day: "2026-11-15", Currency: "USD", Amount: 5000, Count: 2},
			{Day: "2026-11-21", Currency: "USD", Amount: 700, Count: 1}, {Day: "2026-11-14", Currency: "USD", Amount: 1, Count: 1}},
		Sessions: []DaySessions{{Day: "2026-11-21", Created: 4, Opened: 3, Paid: 2}, {Day: "2026-11-16", Created: 2, Opened: 1, Paid: 0}},
		Declines: []ReasonCount{{Reason: "expired_card", Count: 1}, {Reason: "insufficient_funds", Count: 3}},
		ThreeDS:  []ReasonCount{{Reason: FlowChallenge, Count: 1}, {Reason: FlowFrictionless, Count: 3}, {Reason: "", Count: 9}},
		Calls: []ProviderCallTime{{Provider: "worldline", DurationMS: 40}, {Provider: "payorder", DurationMS: 10},
			{Provider: "payorder", DurationMS: 30}, {Provider: "payorder", DurationMS: 20}, {Provider: "", DurationMS: 5}},
	}, from)
	if len(o.Days) != OverviewDays || o.Days[0] != "2026-11-15" || o.Days[6] != "2026-11-21" {
		t.Fatalf("days %v", o.Days)
	}
	if len(o.Volume) != 2 || o.Volume[0].Currency != "USD" || o.Volume[0].Week != 5700 || o.Volume[0].Today != 700 ||
		o.Volume[0].Days[0] != 5000 || o.Volume[1].Currency != "EUR" || o.Volume[1].Today != 100 {
		t.Fatalf("volume %+v (USD first, the larger week; a day outside the window not counted)", o.Volume)
	}
	if o.Opened != 4 || o.Paid != 2 || o.Conversion != 0.5 || o.Sessions[6].Opened != 3 || o.Sessions[1].Created != 2 {
		t.Fatalf("conversion %d/%d = %v, days %+v", o.Paid, o.Opened, o.Conversion, o.Sessions)
	}
	if o.Declines[0].Reason != "insufficient_funds" {
		t.Fatalf("declines %+v: most frequent first", o.Declines)
	}
	if o.Challenged != 1 || o.Frictionless != 3 || o.ChallengeRate != 0.25 {
		t.Fatalf("challenge rate %d/%d = %v", o.Challenged, o.Frictionless, o.ChallengeRate)
	}
	want := []ProviderLatency{{Provider: "payorder", Calls: 3, P50: 20, P95: 30}, {Provider: "worldline", Calls: 1, P50: 40, P95: 40}}
	if !slices.Equal(o.Latency, want) {
		t.Fatalf("latency %+v, want %+v", o.Latency, want)
	}
}
