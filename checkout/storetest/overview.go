package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// overviewCounts: the dashboard overview's counts take the merchant's own
// sessions, payments and provider calls made in the window, and nothing
// from before it or of another merchant.
func overviewCounts(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, other := mustMerchant(t, db), mustMerchant(t, db)
	today := now.Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -6), today.AddDate(0, 0, 1)
	yesterday, old := today.Add(-12*time.Hour), from.Add(-time.Hour)
	session := func(m *checkout.Merchant, at time.Time, viewed bool, currency string) *checkout.Session {
		t.Helper()
		s := newSession(m)
		s.ID, s.CreatedAt, s.UpdatedAt, s.ExpiresAt = idAt(checkout.PrefixSession, at), at, at, now.Add(time.Hour)
		s.Amount.Currency = currency
		mustCreateSession(t, db, s)
		if viewed {
			if err := db.MarkSessionViewed(ctx, s.ID, at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	pay := func(s *checkout.Session, st checkout.PaymentStatus, flow string, decline checkout.DeclineCode) {
		t.Helper()
		p := NewPayment(s, 1)
		p.ID, p.Status, p.CreatedAt, p.UpdatedAt = idAt(checkout.PrefixPayment, s.CreatedAt.Add(time.Second)), st, s.CreatedAt.Add(time.Second), s.CreatedAt
		if flow != "" {
			p.ThreeDS = &checkout.ThreeDSResult{Version: "2.2.0", Flow: flow}
		}
		if decline != "" {
			p.Decline = checkout.NewDecline(decline, "51")
		}
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	call := func(s *checkout.Session, provider string, ms int64, at time.Time) {
		t.Helper()
		e := newEvent(s, checkout.EventProviderCall, "")
		e.ID, e.CreatedAt = idAt(checkout.PrefixEvent, at), at
		e.Data = map[string]any{"operation": "pay", "provider": provider, "duration_ms": ms}
		if err := db.AppendEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	paid := session(m, today.Add(time.Hour), true, "USD")
	pay(paid, checkout.PaymentSucceeded, checkout.FlowFrictionless, "")
	declined := session(m, today.Add(2*time.Hour), true, "USD")
	pay(declined, checkout.PaymentFailed, checkout.FlowChallenge, checkout.DeclineInsufficientFunds)
	held := session(m, yesterday, true, "EUR")
	pay(held, checkout.PaymentAuthorized, checkout.FlowChallenge, "")
	session(m, yesterday.Add(time.Minute), false, "EUR") // never opened
	before := session(m, old, true, "USD")               // before the window
	pay(before, checkout.PaymentSucceeded, checkout.FlowChallenge, "")
	theirs := session(other, today.Add(time.Hour), true, "USD")
	pay(theirs, checkout.PaymentSucceeded, checkout.FlowChallenge, "")
	call(paid, "payorder", 10, today.Add(time.Hour))
	call(paid, "payorder", 30, today.Add(2*time.Hour))
	call(declined, "payorder", 20, today.Add(3*time.Hour))
	call(held, "worldline", 100, yesterday)
	call(before, "payorder", 9999, old)
	call(theirs, "payorder", 5000, today.Add(time.Hour))

	st, err := db.OverviewStats(ctx, m.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	day, prev := today.Format(time.DateOnly), yesterday.Format(time.DateOnly)
	volume := slices.Clone(st.Volume)
	slices.SortFunc(volume, func(a, b checkout.DayVolume) int { return strings.Compare(a.Day, b.Day) })
	if want := []checkout.DayVolume{{Day: prev, Currency: "EUR", Amount: 1999, Count: 1}, {Day: day, Currency: "USD", Amount: 1999, Count: 1}}; !slices.Equal(volume, want) {
		t.Fatalf("volume %+v, want %+v (a paid and an authorized payment; not the declined one, the old one or the other merchant's)", volume, want)
	}
	sessions := slices.Clone(st.Sessions)
	slices.SortFunc(sessions, func(a, b checkout.DaySessions) int { return strings.Compare(a.Day, b.Day) })
	if want := []checkout.DaySessions{{Day: prev, Created: 2, Opened: 1, Paid: 1}, {Day: day, Created: 2, Opened: 2, Paid: 1}}; !slices.Equal(sessions, want) {
		t.Fatalf("sessions %+v, want %+v", sessions, want)
	}
	if want := []checkout.ReasonCount{{Reason: string(checkout.DeclineInsufficientFunds), Count: 1}}; !slices.Equal(st.Declines, want) {
		t.Fatalf("declines %+v, want %+v", st.Declines, want)
	}
	flows := map[string]int{}
	for _, f := range st.ThreeDS {
		flows[f.Reason] += f.Count
	}
	if flows[checkout.FlowFrictionless] != 1 || flows[checkout.FlowChallenge] != 2 || len(flows) != 2 {
		t.Fatalf("3-D Secure flows %v, want 1 frictionless and 2 challenges", flows)
	}
	want := []checkout.ProviderCallTime{{Provider: "payorder", DurationMS: 20}, {Provider: "payorder", DurationMS: 30},
		{Provider: "payorder", DurationMS: 10}, {Provider: "worldline", DurationMS: 100}}
	if !slices.Equal(st.Calls, want) {
		t.Fatalf("provider calls %+v, want newest first %+v", st.Calls, want)
	}
}

// operationalStats counts the pending webhook deliveries (with the oldest
// one's time) and the payments being reconciled, of every merchant.
func operationalStats(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	st, err := db.OperationalStats(ctx)
	if err != nil || st.WebhooksPending != 0 || !st.OldestWebhook.IsZero() || st.PaymentsReconciling != 0 {
		t.Fatalf("an empty store: %+v %v", st, err)
	}
	m, s := MustSession(t, db)
	mustInsertEndpoint(t, db, endpointFor(m))
	e := newEvent(s, checkout.EventPaymentStatus, "payment.succeeded")
	e.CreatedAt = now.Add(-time.Hour)
	if err := db.AppendEvents(ctx, e); err != nil {
		t.Fatal(err)
	}
	p := NewPayment(s, 1)
	p.Status, p.NextCheckAt = checkout.PaymentPending, now.Add(time.Minute)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	st, err = db.OperationalStats(ctx)
	if err != nil || st.WebhooksPending != 1 || st.PaymentsReconciling != 1 || st.OldestWebhook.IsZero() {
		t.Fatalf("one pending delivery and one pending payment: %+v %v", st, err)
	}
}
