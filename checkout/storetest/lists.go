package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The merchant API's lists (checkout.Store's List methods): pages of one
// merchant's objects in descending id order, around a cursor that must be
// one of the merchant's objects of the list's kind, narrowed by filters.
// The Service asks for a page's size plus one and shows has_more when the
// extra one comes back; the cases here do the same.

// idAt is a fresh id with prefix made at t, as the Service makes them
// (ids carry the time they were made; see checkout.IDFloor).
func idAt(prefix string, t time.Time) string {
	return checkout.RandomIDs{Now: func() time.Time { return t }}.NewID(prefix)
}

// listIDs is one call of a List method, as the ids it returned.
type listIDs func(checkout.Page) ([]string, error)

func idsOf[T any](rows []T, err error, id func(T) string) ([]string, error) {
	var out []string
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out, err
}

func sessionsOf(db checkout.Store, merchantID string, f checkout.SessionFilter) listIDs {
	return func(p checkout.Page) ([]string, error) {
		rows, err := db.ListSessions(context.Background(), merchantID, f, p)
		return idsOf(rows, err, func(s *checkout.Session) string { return s.ID })
	}
}

func paymentsOf(db checkout.Store, merchantID string, f checkout.PaymentFilter) listIDs {
	return func(p checkout.Page) ([]string, error) {
		rows, err := db.ListPayments(context.Background(), merchantID, f, p)
		return idsOf(rows, err, func(p *checkout.Payment) string { return p.ID })
	}
}

func refundsOf(db checkout.Store, merchantID string, f checkout.RefundFilter) listIDs {
	return func(p checkout.Page) ([]string, error) {
		rows, err := db.ListRefunds(context.Background(), merchantID, f, p)
		return idsOf(rows, err, func(r *checkout.Refund) string { return r.ID })
	}
}

func eventsOf(db checkout.Store, merchantID string, f checkout.EventFilter) listIDs {
	return func(p checkout.Page) ([]string, error) {
		rows, err := db.ListEvents(context.Background(), merchantID, f, p)
		return idsOf(rows, err, func(e checkout.MerchantEvent) string { return e.ID })
	}
}

func deliveriesOf(db checkout.Store, merchantID string, f checkout.DeliveryFilter) listIDs {
	return func(p checkout.Page) ([]string, error) {
		rows, err := db.ListWebhookDeliveries(context.Background(), merchantID, f, p)
		return idsOf(rows, err, func(d *checkout.WebhookDelivery) string { return d.ID })
	}
}

// all is every object list returns, in one page of up to 1000.
func all(tb testing.TB, list listIDs) []string {
	tb.Helper()
	ids, err := list(checkout.Page{Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// checkPaging walks list with pages of limit, forwards from the newest and
// backwards from the oldest, and checks each page and its has_more against
// want (the list, newest first, at least two objects).
func checkPaging(t *testing.T, what string, list listIDs, want []string, limit int) {
	t.Helper()
	page := func(p checkout.Page) ([]string, bool) {
		t.Helper()
		p.Limit = limit + 1
		ids, err := list(p)
		if err != nil {
			t.Fatalf("%s, page %+v: %v", what, p, err)
		}
		if len(ids) <= limit {
			return ids, false
		}
		if p.EndingBefore != "" {
			return ids[1:], true // the extra one is the newest
		}
		return ids[:limit], true
	}
	// Forwards: starting_after the last of each page.
	var cursor string
	for at, pages := 0, 0; ; pages++ {
		ids, more := page(checkout.Page{StartingAfter: cursor})
		end := min(at+limit, len(want))
		if !slices.Equal(ids, want[at:end]) || more != (end < len(want)) {
			t.Fatalf("%s, forwards page %d: %v (has_more %v), want %v (has_more %v)", what, pages+1, ids, more, want[at:end], end < len(want))
		}
		if !more {
			break
		}
		at, cursor = end, ids[len(ids)-1]
	}
	// Backwards: ending_before the first of each page, from the oldest.
	for at, pages := len(want)-1, 0; ; pages++ {
		ids, more := page(checkout.Page{EndingBefore: want[at]})
		start := max(at-limit, 0)
		if !slices.Equal(ids, want[start:at]) || more != (start > 0) {
			t.Fatalf("%s, backwards page %d: %v (has_more %v), want %v (has_more %v)", what, pages+1, ids, more, want[start:at], start > 0)
		}
		if !more {
			break
		}
		at = start
	}
	// Past either end there is nothing; a page as long as the list says
	// there is no more.
	if ids, more := page(checkout.Page{StartingAfter: want[len(want)-1]}); len(ids) != 0 || more {
		t.Fatalf("%s: after the oldest: %v", what, ids)
	}
	if ids, more := page(checkout.Page{EndingBefore: want[0]}); len(ids) != 0 || more {
		t.Fatalf("%s: before the newest: %v", what, ids)
	}
	ids, err := list(checkout.Page{Limit: len(want) + 1})
	if err != nil || !slices.Equal(ids, want) {
		t.Fatalf("%s: one page of all: %v %v, want %v", what, ids, err, want)
	}
	if ids, _ := list(checkout.Page{Limit: len(want)}); !slices.Equal(ids, want) {
		t.Fatalf("%s: a page exactly as long as the list: %v", what, ids)
	}
}

// world is a merchant's objects of every list, oldest first.
type world struct {
	m                                   *checkout.Merchant
	endpoint                            *checkout.WebhookEndpoint
	sessions, payments, refunds, events []string
	deliveries, timelineOnlyEvents      []string
}

// buildWorlds makes n rounds of objects for two merchants, interleaved in
// time: each round a session, its paid payment, a refund, a
// payment.succeeded event (a delivery to the merchant's endpoint) and a
// timeline-only event, each a second apart, rounds a minute apart.
func buildWorlds(t *testing.T, db checkout.Store, n int, base time.Time) (a, b *world) {
	t.Helper()
	ctx := context.Background()
	a, b = &world{m: mustMerchant(t, db)}, &world{m: mustMerchant(t, db)}
	for _, w := range []*world{a, b} {
		w.endpoint = endpointFor(w.m)
		w.endpoint.ID = idAt(checkout.PrefixWebhookEndpoint, base)
		mustInsertEndpoint(t, db, w.endpoint)
	}
	for i := range n {
		for j, w := range []*world{a, b} {
			at := base.Add(time.Duration(2*i+j) * time.Minute)
			s := newSession(w.m)
			s.ID, s.CreatedAt, s.UpdatedAt, s.ExpiresAt = idAt(checkout.PrefixSession, at), at, at, base.Add(48*time.Hour)
			mustCreateSession(t, db, s)
			p := NewPayment(s, 1)
			p.ID, p.CreatedAt, p.UpdatedAt = idAt(checkout.PrefixPayment, at.Add(time.Second)), at.Add(time.Second), at.Add(time.Second)
			if err := db.CreatePayment(ctx, p); err != nil {
				t.Fatal(err)
			}
			p.Status = checkout.PaymentSucceeded
			mustUpdate(t, db, p)
			r := newRefund(p, 100)
			r.ID, r.CreatedAt, r.UpdatedAt = idAt(checkout.PrefixRefund, at.Add(2*time.Second)), at.Add(2*time.Second), at.Add(2*time.Second)
			mustCreateRefund(t, db, r)
			ev := newEvent(s, checkout.EventPaymentStatus, "payment.succeeded")
			ev.ID, ev.PaymentID, ev.CreatedAt = idAt(checkout.PrefixEvent, at.Add(3*time.Second)), p.ID, at.Add(3*time.Second)
			quiet := newEvent(s, checkout.EventProviderCall, "")
			quiet.ID, quiet.CreatedAt = idAt(checkout.PrefixEvent, at.Add(4*time.Second)), at.Add(4*time.Second)
			if err := db.AppendEvents(ctx, ev, quiet); err != nil {
				t.Fatal(err)
			}
			w.sessions, w.payments, w.refunds = append(w.sessions, s.ID), append(w.payments, p.ID), append(w.refunds, r.ID)
			w.events, w.timelineOnlyEvents = append(w.events, ev.ID), append(w.timelineOnlyEvents, quiet.ID)
		}
	}
	for _, w := range []*world{a, b} {
		ds := deliveries(t, db, w.m.ID)
		byMessage := map[string]string{}
		for _, d := range ds {
			byMessage[d.MessageID] = d.ID
		}
		for _, e := range w.events {
			if byMessage[e] == "" {
				t.Fatalf("event %s queued no delivery", e)
			}
			w.deliveries = append(w.deliveries, byMessage[e])
		}
	}
	return a, b
}

// newestFirst is ids (oldest first) reversed.
func newestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// Every list pages forwards and backwards over more than two pages, in
// descending id order, with has_more right at both ends; it holds only the
// calling merchant's objects, and a cursor that is not one of them (another
// merchant's, another kind's, a timeline-only event, an id that names
// nothing) is ErrNotFound with nothing listed. Merchants page through their
// own data and nobody else's.
func listsPageBothWaysAndStayWithTheirMerchant(t *testing.T, db checkout.Store) {
	base := now.Add(-2 * time.Hour)
	a, b := buildWorlds(t, db, 7, base)
	window := checkout.EventFilter{CreatedFrom: base.Add(-time.Hour)}
	for _, w := range []*world{a, b} {
		lists := []struct {
			name string
			list listIDs
			want []string
		}{
			{"sessions", sessionsOf(db, w.m.ID, checkout.SessionFilter{}), w.sessions},
			{"payments", paymentsOf(db, w.m.ID, checkout.PaymentFilter{}), w.payments},
			{"refunds", refundsOf(db, w.m.ID, checkout.RefundFilter{}), w.refunds},
			{"events", eventsOf(db, w.m.ID, window), w.events},
			{"webhook deliveries", deliveriesOf(db, w.m.ID, checkout.DeliveryFilter{}), w.deliveries},
		}
		for _, l := range lists {
			checkPaging(t, l.name, l.list, newestFirst(l.want), 2)
			checkPaging(t, l.name, l.list, newestFirst(l.want), 3)
		}
	}
	// Cursors that are not the merchant's objects of the list's kind.
	missing := idAt(checkout.PrefixSession, now)
	bad := []struct {
		name   string
		list   listIDs
		cursor string
	}{
		{"another merchant's session", sessionsOf(db, a.m.ID, checkout.SessionFilter{}), b.sessions[3]},
		{"a payment id in the sessions list", sessionsOf(db, a.m.ID, checkout.SessionFilter{}), a.payments[3]},
		{"a session that does not exist", sessionsOf(db, a.m.ID, checkout.SessionFilter{}), missing},
		{"another merchant's payment", paymentsOf(db, a.m.ID, checkout.PaymentFilter{}), b.payments[3]},
		{"another merchant's refund", refundsOf(db, a.m.ID, checkout.RefundFilter{}), b.refunds[3]},
		{"another merchant's event", eventsOf(db, a.m.ID, window), b.events[3]},
		{"a timeline-only event", eventsOf(db, a.m.ID, window), a.timelineOnlyEvents[3]},
		{"another merchant's delivery", deliveriesOf(db, a.m.ID, checkout.DeliveryFilter{}), b.deliveries[3]},
	}
	for _, c := range bad {
		for _, p := range []checkout.Page{{Limit: 3, StartingAfter: c.cursor}, {Limit: 3, EndingBefore: c.cursor}} {
			if ids, err := c.list(p); !errors.Is(err, checkout.ErrNotFound) || len(ids) != 0 {
				t.Errorf("%s as a cursor (%+v): %v %v, want ErrNotFound", c.name, p, ids, err)
			}
		}
	}
	// A cursor narrows nothing: it need not match the filter.
	f := checkout.PaymentFilter{Status: checkout.PaymentFailed}
	if ids, err := paymentsOf(db, a.m.ID, f)(checkout.Page{Limit: 3, StartingAfter: a.payments[3]}); err != nil || len(ids) != 0 {
		t.Fatalf("a cursor outside the filter: %v %v", ids, err)
	}
}

// The sessions list's filters: status, payment_status (the latest
// attempt's, exactly as checkout.SessionPaymentStatus computes it, for
// every payment status), merchant_reference, customer_reference and
// customer_email (exact matches), and the created time from (inclusive)
// and before (exclusive), alone and together ("yesterday's paid sessions").
// An object whose id is up to checkout.MaxIDClockSkew older than its
// created time is still found from that time on.
func listSessionsFilters(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, other := mustMerchant(t, db), mustMerchant(t, db)
	day := now.Truncate(24 * time.Hour).Add(-24 * time.Hour) // yesterday 00:00
	at := day.Add(-time.Hour)
	type made struct {
		s    *checkout.Session
		pays []*checkout.Payment
	}
	var sessions []made
	create := func(edit func(*checkout.Session), statuses ...checkout.PaymentStatus) made {
		t.Helper()
		at = at.Add(time.Minute)
		s := newSession(m)
		s.ID, s.CreatedAt, s.UpdatedAt, s.ExpiresAt = idAt(checkout.PrefixSession, at), at, at, now.Add(time.Hour)
		if edit != nil {
			edit(s)
		}
		mustCreateSession(t, db, s)
		x := made{s: s}
		for i, st := range statuses {
			p := NewPayment(s, i+1)
			p.ID, p.Status, p.CreatedAt = idAt(checkout.PrefixPayment, s.CreatedAt), st, s.CreatedAt
			if err := db.CreatePayment(ctx, p); err != nil {
				t.Fatalf("payment %d (%s): %v", i+1, st, err)
			}
			x.pays = append(x.pays, p)
		}
		sessions = append(sessions, x)
		return x
	}
	// One session per payment status, one without a payment, and one whose
	// failed first attempt was followed by a pending one (the latest
	// counts).
	for _, st := range checkout.PaymentStatuses {
		create(nil, st)
	}
	create(nil)
	create(nil, checkout.PaymentFailed, checkout.PaymentPending)
	// Statuses: complete and expired.
	complete := create(nil, checkout.PaymentProcessing)
	p := complete.pays[0]
	p.Status, p.Version = checkout.PaymentSucceeded, p.Version+1
	if err := db.UpdatePayment(ctx, p, &checkout.SessionChange{From: checkout.SessionOpen, To: checkout.SessionComplete}); err != nil {
		t.Fatal(err)
	}
	expired := create(nil)
	if err := db.ExpireSession(ctx, expired.s.ID, now, false); err != nil {
		t.Fatal(err)
	}
	// References and emails.
	create(func(s *checkout.Session) { s.MerchantReference = "order-7" })
	create(func(s *checkout.Session) { s.MerchantReference = "order-7" })
	create(func(s *checkout.Session) { s.MerchantReference = "ORDER-7" })
	create(func(s *checkout.Session) {
		s.Customer = checkout.Customer{Reference: "cus-1", Email: "ada@example.com"}
	})
	create(func(s *checkout.Session) {
		s.Customer = checkout.Customer{Reference: "cus-2", Email: "ada@example.com"}
	})
	create(func(s *checkout.Session) {
		s.Customer = checkout.Customer{Reference: "cus-1", Email: "bob@example.com"}
	})
	// Yesterday (and its edges) and today, paid or not; one made with an
	// id an hour older than its created time.
	dated := func(created time.Time, idTime time.Time, paid bool) made {
		t.Helper()
		statuses := []checkout.PaymentStatus{checkout.PaymentFailed}
		if paid {
			statuses = []checkout.PaymentStatus{checkout.PaymentCaptured}
		}
		return create(func(s *checkout.Session) {
			s.ID, s.CreatedAt, s.UpdatedAt = idAt(checkout.PrefixSession, idTime), created, created
		}, statuses...)
	}
	first := dated(day, day, true)                                   // yesterday 00:00:00.000, paid
	skewed := dated(day.Add(time.Hour), day.Add(-time.Minute), true) // its id from before the day
	dated(day.Add(2*time.Hour), day.Add(2*time.Hour), false)         // yesterday, not paid
	last := dated(day.Add(24*time.Hour-time.Millisecond), day.Add(24*time.Hour-time.Millisecond), true)
	dated(day.Add(24*time.Hour), day.Add(24*time.Hour), true)           // today 00:00, paid
	dated(day.Add(-time.Millisecond), day.Add(-time.Millisecond), true) // the day before's last millisecond
	// Providers and cards: a Worldline session paid with a card ending in
	// 1111, and a payOrder session whose wallet payment went to Alipay+.
	worldline := create(func(s *checkout.Session) { s.Provider = "worldline" })
	p1 := NewPayment(worldline.s, 1)
	p1.ID, p1.Provider, p1.Status, p1.CreatedAt = idAt(checkout.PrefixPayment, worldline.s.CreatedAt), "worldline", checkout.PaymentSucceeded, worldline.s.CreatedAt
	p1.Card.Last4 = "1111"
	if err := db.CreatePayment(ctx, p1); err != nil {
		t.Fatal(err)
	}
	worldline.pays = append(worldline.pays, p1)
	sessions[len(sessions)-1] = worldline
	routed := create(nil)
	p2 := NewPayment(routed.s, 1)
	p2.ID, p2.Provider, p2.Method, p2.Card, p2.CreatedAt = idAt(checkout.PrefixPayment, routed.s.CreatedAt), "alipayplus", checkout.MethodWallet, nil, routed.s.CreatedAt
	if err := db.CreatePayment(ctx, p2); err != nil {
		t.Fatal(err)
	}
	routed.pays = append(routed.pays, p2)
	sessions[len(sessions)-1] = routed
	// Another merchant's session that matches every filter.
	o := newSession(other)
	o.MerchantReference, o.Customer, o.CreatedAt = "order-7", checkout.Customer{Reference: "cus-1", Email: "ada@example.com"}, day.Add(time.Hour)
	mustCreateSession(t, db, o)

	// want is the sessions of m matching keep, newest first.
	want := func(keep func(made) bool) []string {
		var ids []string
		for _, x := range sessions {
			if keep(x) {
				ids = append(ids, x.s.ID)
			}
		}
		slices.Sort(ids)
		slices.Reverse(ids)
		return ids
	}
	stored := func(id string) *checkout.Session {
		s, err := db.Session(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name string
		f    checkout.SessionFilter
		keep func(made) bool
	}{
		{"status open", checkout.SessionFilter{Status: checkout.SessionOpen}, func(x made) bool { return stored(x.s.ID).Status == checkout.SessionOpen }},
		{"status complete", checkout.SessionFilter{Status: checkout.SessionComplete}, func(x made) bool { return x.s.ID == complete.s.ID }},
		{"status expired", checkout.SessionFilter{Status: checkout.SessionExpired}, func(x made) bool { return x.s.ID == expired.s.ID }},
		{"merchant_reference", checkout.SessionFilter{MerchantReference: "order-7"}, func(x made) bool { return x.s.MerchantReference == "order-7" }},
		{"customer_reference", checkout.SessionFilter{CustomerReference: "cus-1"}, func(x made) bool { return x.s.Customer.Reference == "cus-1" }},
		{"customer_email", checkout.SessionFilter{CustomerEmail: "ada@example.com"}, func(x made) bool { return x.s.Customer.Email == "ada@example.com" }},
		{"created from", checkout.SessionFilter{CreatedFrom: day}, func(x made) bool { return !x.s.CreatedAt.Before(day) }},
		{"created before", checkout.SessionFilter{CreatedBefore: day}, func(x made) bool { return x.s.CreatedAt.Before(day) }},
		{"yesterday", checkout.SessionFilter{CreatedFrom: day, CreatedBefore: day.Add(24 * time.Hour)},
			func(x made) bool { return !x.s.CreatedAt.Before(day) && x.s.CreatedAt.Before(day.Add(24*time.Hour)) }},
		{"yesterday's paid", checkout.SessionFilter{PaymentStatus: "paid", CreatedFrom: day, CreatedBefore: day.Add(24 * time.Hour)},
			func(x made) bool { return slices.Contains([]string{first.s.ID, skewed.s.ID, last.s.ID}, x.s.ID) }},
		{"provider worldline", checkout.SessionFilter{Provider: "worldline"}, func(x made) bool { return x.s.ID == worldline.s.ID }},
		{"provider of a routed payment", checkout.SessionFilter{Provider: "alipayplus"}, func(x made) bool { return x.s.ID == routed.s.ID }},
		{"provider payorder", checkout.SessionFilter{Provider: "payorder"}, func(x made) bool { return x.s.Provider == "payorder" }},
		{"card_last4 1111", checkout.SessionFilter{CardLast4: "1111"}, func(x made) bool { return x.s.ID == worldline.s.ID }},
		{"card_last4 4242", checkout.SessionFilter{CardLast4: "4242"}, func(x made) bool {
			return slices.ContainsFunc(x.pays, func(p *checkout.Payment) bool { return p.Card != nil && p.Card.Last4 == "4242" })
		}},
		{"open and paid", checkout.SessionFilter{Status: checkout.SessionOpen, PaymentStatus: "paid"},
			func(x made) bool {
				return stored(x.s.ID).Status == checkout.SessionOpen && checkout.SessionPaymentStatus(x.pays) == "paid"
			}},
	}
	for _, ps := range checkout.SessionPaymentStatuses {
		cases = append(cases, struct {
			name string
			f    checkout.SessionFilter
			keep func(made) bool
		}{"payment_status " + ps, checkout.SessionFilter{PaymentStatus: ps}, func(x made) bool {
			return checkout.SessionPaymentStatus(x.pays) == ps
		}})
	}
	for _, c := range cases {
		w := want(c.keep)
		if len(w) == 0 {
			t.Fatalf("%s: the case selects nothing", c.name)
		}
		if got := all(t, sessionsOf(db, m.ID, c.f)); !slices.Equal(got, w) {
			t.Errorf("%s: %v, want %v", c.name, got, w)
		}
		if len(w) > 2 {
			checkPaging(t, c.name, sessionsOf(db, m.ID, c.f), w, 2)
		}
	}
	if got := all(t, sessionsOf(db, other.ID, checkout.SessionFilter{MerchantReference: "order-7", CustomerReference: "cus-1",
		CustomerEmail: "ada@example.com", CreatedFrom: day, CreatedBefore: day.Add(24 * time.Hour)})); !slices.Equal(got, []string{o.ID}) {
		t.Fatalf("the other merchant's filtered list: %v, want only its session", got)
	}
}

// The payments list's filters: status, provider, card_last4 (payments
// without a card never match) and session.
func listPaymentsFilters(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, other := mustMerchant(t, db), mustMerchant(t, db)
	at := now.Add(-time.Hour)
	var pays []*checkout.Payment
	pay := func(s *checkout.Session, attempt int, edit func(*checkout.Payment)) *checkout.Payment {
		t.Helper()
		at = at.Add(time.Minute)
		p := NewPayment(s, attempt)
		p.ID, p.CreatedAt = idAt(checkout.PrefixPayment, at), at
		edit(p)
		if err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		if s.MerchantID == m.ID {
			pays = append(pays, p)
		}
		return p
	}
	session := func(of *checkout.Merchant) *checkout.Session {
		s := newSession(of)
		s.ID = idAt(checkout.PrefixSession, at)
		return mustCreateSession(t, db, s)
	}
	s1, s2 := session(m), session(m)
	pay(s1, 1, func(p *checkout.Payment) { p.Status = checkout.PaymentFailed })
	pay(s1, 2, func(p *checkout.Payment) { p.Status, p.Provider = checkout.PaymentFailed, "worldline" })
	pay(s1, 3, func(p *checkout.Payment) { p.Status, p.Card.Last4 = checkout.PaymentSucceeded, "4444" })
	pay(s2, 1, func(p *checkout.Payment) {
		p.Status, p.Provider, p.Method, p.Card = checkout.PaymentPending, "alipayplus", checkout.MethodWallet, nil
	})
	for range 3 {
		pay(session(m), 1, func(p *checkout.Payment) { p.Status, p.Provider = checkout.PaymentAuthorized, "worldline" })
	}
	pay(session(other), 1, func(p *checkout.Payment) { p.Status, p.Provider = checkout.PaymentAuthorized, "worldline" })
	want := func(keep func(*checkout.Payment) bool) []string {
		var ids []string
		for _, p := range slices.Backward(pays) {
			if keep(p) {
				ids = append(ids, p.ID)
			}
		}
		return ids
	}
	for _, c := range []struct {
		name string
		f    checkout.PaymentFilter
		keep func(*checkout.Payment) bool
	}{
		{"status", checkout.PaymentFilter{Status: checkout.PaymentFailed}, func(p *checkout.Payment) bool { return p.Status == checkout.PaymentFailed }},
		{"status authorized", checkout.PaymentFilter{Status: checkout.PaymentAuthorized}, func(p *checkout.Payment) bool { return p.Status == checkout.PaymentAuthorized }},
		{"provider", checkout.PaymentFilter{Provider: "worldline"}, func(p *checkout.Payment) bool { return p.Provider == "worldline" }},
		{"card_last4", checkout.PaymentFilter{CardLast4: "4242"}, func(p *checkout.Payment) bool { return p.Card != nil && p.Card.Last4 == "4242" }},
		{"card_last4 4444", checkout.PaymentFilter{CardLast4: "4444"}, func(p *checkout.Payment) bool { return p.Card != nil && p.Card.Last4 == "4444" }},
		{"session", checkout.PaymentFilter{SessionID: s1.ID}, func(p *checkout.Payment) bool { return p.SessionID == s1.ID }},
		{"session and status", checkout.PaymentFilter{SessionID: s1.ID, Status: checkout.PaymentFailed},
			func(p *checkout.Payment) bool { return p.SessionID == s1.ID && p.Status == checkout.PaymentFailed }},
	} {
		w := want(c.keep)
		if len(w) == 0 {
			t.Fatalf("%s: the case selects nothing", c.name)
		}
		if got := all(t, paymentsOf(db, m.ID, c.f)); !slices.Equal(got, w) {
			t.Errorf("%s: %v, want %v", c.name, got, w)
		}
		if len(w) > 2 {
			checkPaging(t, c.name, paymentsOf(db, m.ID, c.f), w, 2)
		}
	}
	if got := all(t, paymentsOf(db, m.ID, checkout.PaymentFilter{CardLast4: "0000"})); len(got) != 0 {
		t.Fatalf("card_last4 of no card: %v", got)
	}
}

// The refunds list's filter: payment.
func listRefundsFilters(t *testing.T, db checkout.Store) {
	m, s := MustSession(t, db)
	_, s2 := MustSession(t, db) // another merchant's
	p := paidPayment(t, db, s)
	var want []string
	for i := range 3 {
		r := newRefund(p, 100)
		r.ID = idAt(checkout.PrefixRefund, now.Add(time.Duration(i)*time.Second))
		mustCreateRefund(t, db, r)
		want = append([]string{r.ID}, want...)
	}
	otherPayment := paidPayment(t, db, s2)
	mustCreateRefund(t, db, newRefund(otherPayment, 100))
	if got := all(t, refundsOf(db, m.ID, checkout.RefundFilter{PaymentID: p.ID})); !slices.Equal(got, want) {
		t.Fatalf("refunds of the payment: %v, want %v", got, want)
	}
	checkPaging(t, "refunds of the payment", refundsOf(db, m.ID, checkout.RefundFilter{PaymentID: p.ID}), want, 2)
	if got := all(t, refundsOf(db, m.ID, checkout.RefundFilter{PaymentID: otherPayment.ID})); len(got) != 0 {
		t.Fatalf("another merchant's payment's refunds: %v", got)
	}
}

// The events list: merchant-visible events only (those with a webhook
// type), from a time on (older ones are not listed), each with its type,
// session, payment, time and the exact body its webhooks carried; filters
// type, session and payment.
func listEventsFilters(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	_, s2 := MustSession(t, db)
	mustInsertEndpoint(t, db, endpointFor(m))
	s3 := newSession(m)
	mustCreateSession(t, db, s3)
	p := NewPayment(s, 1)
	if err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	var events []checkout.Event
	emit := func(s *checkout.Session, payment, notify string, at time.Time) checkout.Event {
		t.Helper()
		e := newEvent(s, checkout.EventPaymentStatus, notify)
		e.ID, e.PaymentID, e.CreatedAt = idAt(checkout.PrefixEvent, at), payment, at
		e.Object = map[string]any{"id": payment, "n": len(events)}
		if err := db.AppendEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
		if notify != "" && s.MerchantID == m.ID {
			events = append(events, e)
		}
		return e
	}
	from := now.Add(-checkout.EventRetention)
	old := emit(s, p.ID, "payment.succeeded", from.Add(-time.Millisecond)) // just too old
	emit(s, p.ID, "payment.succeeded", from)
	emit(s, p.ID, "", from.Add(time.Minute)) // timeline only
	emit(s, "", "checkout.session.completed", from.Add(2*time.Minute))
	emit(s3, "", "checkout.session.expired", now.Add(-time.Hour))
	emit(s, p.ID, "payment.refunded", now.Add(-time.Minute))
	emit(s3, "", "checkout.session.expired", now.Add(-time.Second))
	emit(s2, "", "checkout.session.expired", now) // another merchant's
	events = slices.DeleteFunc(events, func(e checkout.Event) bool { return e.ID == old.ID })

	f := checkout.EventFilter{CreatedFrom: from}
	got, err := db.ListEvents(ctx, m.ID, f, checkout.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(events) {
		t.Fatalf("%d events listed, want %d", len(got), len(events))
	}
	payloads := map[string][]byte{}
	for _, d := range deliveries(t, db, m.ID) {
		payloads[d.MessageID] = d.Payload
	}
	for i, e := range slices.Backward(events) {
		g := got[len(events)-1-i]
		if g.ID != e.ID || g.Type != e.Notify || g.SessionID != e.SessionID || g.PaymentID != e.PaymentID || !g.CreatedAt.Equal(e.CreatedAt) ||
			string(g.Payload) != string(payloads[e.ID]) || len(g.Payload) == 0 {
			t.Fatalf("event %d: %+v (payload %s), want %+v with its webhook's body %s", i, g, g.Payload, e, payloads[e.ID])
		}
	}
	want := func(keep func(checkout.Event) bool) []string {
		var ids []string
		for _, e := range slices.Backward(events) {
			if keep(e) {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	for _, c := range []struct {
		name string
		f    checkout.EventFilter
		keep func(checkout.Event) bool
	}{
		{"all", f, func(checkout.Event) bool { return true }},
		{"type", checkout.EventFilter{CreatedFrom: from, Type: "checkout.session.expired"}, func(e checkout.Event) bool { return e.Notify == "checkout.session.expired" }},
		{"session", checkout.EventFilter{CreatedFrom: from, SessionID: s.ID}, func(e checkout.Event) bool { return e.SessionID == s.ID }},
		{"payment", checkout.EventFilter{CreatedFrom: from, PaymentID: p.ID}, func(e checkout.Event) bool { return e.PaymentID == p.ID }},
		{"session and type", checkout.EventFilter{CreatedFrom: from, SessionID: s.ID, Type: "payment.succeeded"},
			func(e checkout.Event) bool { return e.SessionID == s.ID && e.Notify == "payment.succeeded" }},
		{"a later window", checkout.EventFilter{CreatedFrom: now.Add(-time.Hour)}, func(e checkout.Event) bool { return !e.CreatedAt.Before(now.Add(-time.Hour)) }},
	} {
		w := want(c.keep)
		if len(w) == 0 {
			t.Fatalf("%s: the case selects nothing", c.name)
		}
		if got := all(t, eventsOf(db, m.ID, c.f)); !slices.Equal(got, w) {
			t.Errorf("%s: %v, want %v", c.name, got, w)
		}
		if len(w) > 2 {
			checkPaging(t, "events "+c.name, eventsOf(db, m.ID, c.f), w, 2)
		}
	}
}

// The webhook deliveries list's filters: endpoint, event (the webhook-id)
// and outcome (the delivery's status: pending, succeeded, failed, or
// canceled when its endpoint was deleted).
func listDeliveriesFilters(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, s := MustSession(t, db)
	other, os := MustSession(t, db)
	e1 := endpointFor(m)
	e1.ID = idAt(checkout.PrefixWebhookEndpoint, now)
	e2 := endpointFor(m)
	e2.ID = idAt(checkout.PrefixWebhookEndpoint, now) // the same moment: ids apart by their random part
	mustInsertEndpoint(t, db, e1)
	mustInsertEndpoint(t, db, e2)
	mustInsertEndpoint(t, db, endpointFor(other))
	var events []string
	for i := range 4 {
		e := newEvent(s, checkout.EventPaymentStatus, "payment.succeeded")
		e.ID, e.CreatedAt = idAt(checkout.PrefixEvent, now.Add(time.Duration(i)*time.Second)), now.Add(time.Duration(i)*time.Second)
		if err := db.AppendEvents(ctx, e, newEvent(os, checkout.EventPaymentStatus, "payment.succeeded")); err != nil {
			t.Fatal(err)
		}
		events = append(events, e.ID)
	}
	ds := deliveries(t, db, m.ID)
	if len(ds) != 8 {
		t.Fatalf("%d deliveries, want 2 endpoints × 4 events", len(ds))
	}
	byKey := map[string]*checkout.WebhookDelivery{}
	for _, d := range ds {
		byKey[d.MessageID+" "+d.EndpointID] = d
	}
	// Event 0 succeeds at e1, event 1 fails at e1; e2 is deleted, which
	// cancels its pending deliveries.
	at := now.Add(time.Minute)
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: byKey[events[0]+" "+e1.ID].ID, Number: 1, Status: 204, At: at},
		checkout.DeliverySucceeded, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordWebhookAttempt(ctx, checkout.WebhookAttempt{DeliveryID: byKey[events[1]+" "+e1.ID].ID, Number: 10, Status: 500, At: at},
		checkout.DeliveryFailed, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteWebhookEndpoint(ctx, m.ID, e2.ID, at); err != nil {
		t.Fatal(err)
	}
	ds = deliveries(t, db, m.ID)
	want := func(keep func(*checkout.WebhookDelivery) bool) []string {
		var ids []string
		for _, d := range ds {
			if keep(d) {
				ids = append(ids, d.ID)
			}
		}
		slices.Sort(ids)
		slices.Reverse(ids)
		return ids
	}
	// Deliveries sort as their events: a delivery id starts with its
	// event's.
	byEvent := all(t, deliveriesOf(db, m.ID, checkout.DeliveryFilter{}))
	for i, id := range byEvent {
		d := byID(ds, id)
		if d.MessageID != events[len(events)-1-i/2] {
			t.Fatalf("delivery %d is of event %s, want the events newest first: %v", i, d.MessageID, events)
		}
	}
	for _, c := range []struct {
		name string
		f    checkout.DeliveryFilter
		keep func(*checkout.WebhookDelivery) bool
	}{
		{"endpoint", checkout.DeliveryFilter{EndpointID: e1.ID}, func(d *checkout.WebhookDelivery) bool { return d.EndpointID == e1.ID }},
		{"event", checkout.DeliveryFilter{EventID: events[2]}, func(d *checkout.WebhookDelivery) bool { return d.MessageID == events[2] }},
		{"outcome pending", checkout.DeliveryFilter{Status: checkout.DeliveryPending}, func(d *checkout.WebhookDelivery) bool { return d.Status == checkout.DeliveryPending }},
		{"outcome succeeded", checkout.DeliveryFilter{Status: checkout.DeliverySucceeded}, func(d *checkout.WebhookDelivery) bool { return d.Status == checkout.DeliverySucceeded }},
		{"outcome failed", checkout.DeliveryFilter{Status: checkout.DeliveryFailed}, func(d *checkout.WebhookDelivery) bool { return d.Status == checkout.DeliveryFailed }},
		{"outcome canceled", checkout.DeliveryFilter{Status: checkout.DeliveryCanceled}, func(d *checkout.WebhookDelivery) bool { return d.Status == checkout.DeliveryCanceled }},
		{"endpoint and outcome", checkout.DeliveryFilter{EndpointID: e1.ID, Status: checkout.DeliveryPending},
			func(d *checkout.WebhookDelivery) bool {
				return d.EndpointID == e1.ID && d.Status == checkout.DeliveryPending
			}},
	} {
		w := want(c.keep)
		if len(w) == 0 {
			t.Fatalf("%s: the case selects nothing", c.name)
		}
		if got := all(t, deliveriesOf(db, m.ID, c.f)); !slices.Equal(got, w) {
			t.Errorf("%s: %v, want %v", c.name, got, w)
		}
		if len(w) > 2 {
			checkPaging(t, "deliveries "+c.name, deliveriesOf(db, m.ID, c.f), w, 2)
		}
	}
	if got := all(t, deliveriesOf(db, other.ID, checkout.DeliveryFilter{EventID: events[0]})); len(got) != 0 {
		t.Fatalf("another merchant sees %d deliveries of this merchant's event", len(got))
	}
}

func byID(ds []*checkout.WebhookDelivery, id string) *checkout.WebhookDelivery {
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	panic(fmt.Sprintf("no delivery %s", id))
}
