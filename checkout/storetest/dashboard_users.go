package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Dashboard users: an email belongs to one user across all merchants (the
// unique index decides, also between concurrent inserts); a password
// change is compare-and-set on the session epoch (of two changes from one
// epoch, one wins and the other writes nothing, not even its event); a
// user's change and its event are written together.
func dashboardUsers(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m1, m2 := mustMerchant(t, db), mustMerchant(t, db)
	ids := checkout.RandomIDs{}
	user := func(m *checkout.Merchant, email string) *checkout.DashboardUser {
		return &checkout.DashboardUser{ID: ids.NewID(checkout.PrefixDashboardUser), MerchantID: m.ID, Email: email,
			Role: checkout.RoleSupport, PasswordHash: "$argon2id$x", SessionEpoch: 1, CreatedAt: now, UpdatedAt: now}
	}
	event := func(m *checkout.Merchant, typ checkout.EventType) checkout.Event {
		return checkout.Event{ID: ids.NewID(checkout.PrefixEvent), MerchantID: m.ID, Type: typ, CreatedAt: now,
			Data: map[string]any{"actor": "operator"}}
	}
	events := func(m *checkout.Merchant) int {
		evs, err := db.MerchantEvents(ctx, m.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	// Twenty concurrent inserts of one email, across two merchants: one.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, dup := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := []*checkout.Merchant{m1, m2}[i%2]
			err := db.CreateDashboardUser(ctx, user(m, "ada@example.com"), event(m, checkout.EventDashboardUserCreated))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, checkout.ErrDuplicate):
				dup++
			default:
				t.Errorf("insert: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || dup != 19 || events(m1)+events(m2) != 1 {
		t.Fatalf("20 inserts of one email: %d created, %d duplicates, %d events; want 1, 19, 1", won, dup, events(m1)+events(m2))
	}
	ada, err := db.DashboardUserByEmail(ctx, "ada@example.com")
	if err != nil || ada.Role != checkout.RoleSupport || ada.SessionEpoch != 1 {
		t.Fatalf("by email: %+v %v", ada, err)
	}
	owner := m1
	if ada.MerchantID == m2.ID {
		owner = m2
	}
	if got, err := db.DashboardUser(ctx, ada.ID); err != nil || got.Email != ada.Email || !got.CreatedAt.Equal(now) {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if _, err := db.DashboardUserByEmail(ctx, "nobody@example.com"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("unknown email: %v", err)
	}
	grace := user(owner, "grace@example.com")
	if err := db.CreateDashboardUser(ctx, grace); err != nil {
		t.Fatal(err)
	}
	if us, err := db.DashboardUsers(ctx, owner.ID); err != nil || len(us) != 2 || us[0].Email != "ada@example.com" || us[1].Email != "grace@example.com" {
		t.Fatalf("the owner's users: %v %v", us, err)
	}
	other := m2
	if owner == m2 {
		other = m1
	}
	if us, err := db.DashboardUsers(ctx, other.ID); err != nil || len(us) != 0 {
		t.Fatalf("the other merchant's users: %v %v", us, err)
	}
	if us, err := db.DashboardUsers(ctx, ""); err != nil || len(us) != 2 {
		t.Fatalf("every merchant's users: %v %v", us, err)
	}

	// Two password changes from epoch 1: one wins.
	before := events(owner)
	results := make(chan error, 2)
	for _, h := range []string{"$argon2id$a", "$argon2id$b"} {
		go func() {
			results <- db.SetDashboardPassword(ctx, ada.ID, 1, h, now, event(owner, checkout.EventDashboardUserPasswordChanged))
		}()
	}
	errs := []error{<-results, <-results}
	if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), checkout.ErrConflict) {
		t.Fatalf("two changes from one epoch: %v", errs)
	}
	if got, _ := db.DashboardUser(ctx, ada.ID); got.SessionEpoch != 2 || got.PasswordHash == "$argon2id$x" {
		t.Fatalf("after a change: %+v", got)
	}
	if events(owner) != before+1 {
		t.Fatalf("events after one change and one refused: %d, want %d", events(owner), before+1)
	}
	if err := db.SetDashboardPassword(ctx, "usr_nobody", 1, "$argon2id$c", now); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("change of no user: %v", err)
	}

	if err := db.DeleteDashboardUser(ctx, ada.ID, event(owner, checkout.EventDashboardUserRemoved)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDashboardUser(ctx, ada.ID, event(owner, checkout.EventDashboardUserRemoved)); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if events(owner) != before+2 {
		t.Fatalf("events after one delete and one refused: %d, want %d", events(owner), before+2)
	}
	if _, err := db.DashboardUser(ctx, ada.ID); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
	// The email is free again.
	if err := db.CreateDashboardUser(ctx, user(other, "ada@example.com")); err != nil {
		t.Fatalf("the email again after delete: %v", err)
	}
}

// Dashboard sessions: found only while seen after the given time (the
// idle expiry is in the statement), touched forward only, deleted one by
// one, with their user's password change, with their user, and when idle
// (prune).
func dashboardSessions(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	ids := checkout.RandomIDs{}
	newUser := func(email string) *checkout.DashboardUser {
		u := &checkout.DashboardUser{ID: ids.NewID(checkout.PrefixDashboardUser), MerchantID: m.ID, Email: email,
			Role: checkout.RoleAdmin, PasswordHash: "$argon2id$x", SessionEpoch: 1, CreatedAt: now, UpdatedAt: now}
		if err := db.CreateDashboardUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	ada, grace := newUser("ada@example.com"), newUser("grace@example.com")
	session := func(u *checkout.DashboardUser, id string, seen time.Time) {
		if err := db.CreateDashboardSession(ctx, &checkout.DashboardSession{ID: id, UserID: u.ID, CreatedAt: seen, SeenAt: seen}); err != nil {
			t.Fatal(err)
		}
	}
	found := func(id string, after time.Time) bool {
		s, err := db.DashboardSession(ctx, id, after)
		if err != nil && !errors.Is(err, checkout.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil && s.ID == id
	}
	session(ada, "s1", now)
	session(ada, "s2", now)
	session(grace, "s3", now.Add(-13*time.Hour))
	if err := db.CreateDashboardSession(ctx, &checkout.DashboardSession{ID: "s1", UserID: ada.ID, CreatedAt: now, SeenAt: now}); !errors.Is(err, checkout.ErrDuplicate) {
		t.Fatalf("a second session under one id: %v", err)
	}
	if s, err := db.DashboardSession(ctx, "s1", now.Add(-time.Hour)); err != nil || s.UserID != ada.ID || !s.SeenAt.Equal(now) {
		t.Fatalf("s1: %+v %v", s, err)
	}
	if found("s1", now) || found("s3", now.Add(-12*time.Hour)) || found("nope", now.Add(-time.Hour)) {
		t.Fatal("a session seen at or before the bound, or none, was found")
	}
	if err := db.TouchDashboardSession(ctx, "s1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchDashboardSession(ctx, "s1", now); err != nil { // never back
		t.Fatal(err)
	}
	if !found("s1", now.Add(30*time.Minute)) {
		t.Fatal("a touched session is not seen later")
	}
	if n, err := db.PruneDashboardSessions(ctx, now.Add(-12*time.Hour)); err != nil || n != 1 || found("s3", time.Time{}) {
		t.Fatalf("prune: %d %v", n, err)
	}
	if err := db.DeleteDashboardSession(ctx, "s2"); err != nil || found("s2", time.Time{}) || !found("s1", time.Time{}) {
		t.Fatalf("delete one: %v", err)
	}
	if err := db.DeleteDashboardSession(ctx, "s2"); err != nil {
		t.Fatalf("delete a deleted one: %v", err)
	}
	session(ada, "s4", now)
	if err := db.SetDashboardPassword(ctx, ada.ID, 1, "$argon2id$y", now); err != nil {
		t.Fatal(err)
	}
	if found("s1", time.Time{}) || found("s4", time.Time{}) {
		t.Fatal("a session outlived its user's password change")
	}
	session(grace, "s5", now)
	if err := db.DeleteDashboardUser(ctx, grace.ID); err != nil {
		t.Fatal(err)
	}
	if found("s5", time.Time{}) {
		t.Fatal("a session outlived its user")
	}
}
