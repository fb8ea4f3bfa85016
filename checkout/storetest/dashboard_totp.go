package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Dashboard two-step sign-in: a code's step is recorded by a
// compare-and-set in the statement (a second use of one step, or of an
// earlier one, changes nothing; of twenty uses of one step at once, one
// wins); only the secret the code was checked against counts; turning it
// on and off is guarded by the secret being absent or present, and writes
// its history event with the change, never without it.
func dashboardTOTP(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	ids := checkout.RandomIDs{}
	u := &checkout.DashboardUser{ID: ids.NewID(checkout.PrefixDashboardUser), MerchantID: m.ID, Email: "ada@example.com",
		Role: checkout.RoleAdmin, PasswordHash: "$argon2id$x", SessionEpoch: 1, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateDashboardUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	event := func(typ checkout.EventType) checkout.Event {
		return checkout.Event{ID: ids.NewID(checkout.PrefixEvent), MerchantID: m.ID, Type: typ, CreatedAt: now,
			Data: map[string]any{"user_id": u.ID, "actor": "ada@example.com"}}
	}
	history := func() (on, off int) {
		evs, err := db.MerchantEvents(ctx, m.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			switch e.Type {
			case checkout.EventDashboardUserTOTPEnabled:
				on++
			case checkout.EventDashboardUserTOTPDisabled:
				off++
			}
		}
		return on, off
	}
	load := func() *checkout.DashboardUser {
		got, err := db.DashboardUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := load(); got.TOTPEnabled() || got.TOTPSecret != "" || got.TOTPLastStep != 0 {
		t.Fatalf("a new user: %+v", got)
	}
	if err := db.UseDashboardTOTPStep(ctx, u.ID, "", 100); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a step of a user without a secret: %v, want ErrConflict", err)
	}
	if err := db.DisableDashboardTOTP(ctx, u.ID, now, event(checkout.EventDashboardUserTOTPDisabled)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("turning off what is off: %v, want ErrConflict", err)
	}

	// On, with the confirming code's step used; a second confirmation
	// changes nothing and writes no event.
	if err := db.EnableDashboardTOTP(ctx, u.ID, "sealed-1", 100, now, event(checkout.EventDashboardUserTOTPEnabled)); err != nil {
		t.Fatal(err)
	}
	if err := db.EnableDashboardTOTP(ctx, u.ID, "sealed-2", 101, now, event(checkout.EventDashboardUserTOTPEnabled)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a second enable: %v, want ErrConflict", err)
	}
	if got := load(); got.TOTPSecret != "sealed-1" || got.TOTPLastStep != 100 || !got.TOTPEnabled() {
		t.Fatalf("after enable: %+v", got)
	}
	if on, off := history(); on != 1 || off != 0 {
		t.Fatalf("history after one enable and one refused: %d on, %d off", on, off)
	}

	// The step: the confirming code's is used; a later one once; an
	// earlier one never; another secret's never.
	for _, c := range []struct {
		sealed string
		step   int64
		want   error
	}{
		{"sealed-1", 100, checkout.ErrConflict}, // the confirming code again
		{"sealed-1", 101, nil},
		{"sealed-1", 101, checkout.ErrConflict}, // the same code twice
		{"sealed-1", 99, checkout.ErrConflict},  // an earlier step after a later one
		{"sealed-2", 102, checkout.ErrConflict}, // checked against a secret that is not the user's
	} {
		if err := db.UseDashboardTOTPStep(ctx, u.ID, c.sealed, c.step); !errors.Is(err, c.want) {
			t.Fatalf("step %d under %s: %v, want %v", c.step, c.sealed, err, c.want)
		}
	}
	if got := load(); got.TOTPLastStep != 101 {
		t.Fatalf("last step %d, want 101", got.TOTPLastStep)
	}
	if err := db.UseDashboardTOTPStep(ctx, "usr_nobody", "sealed-1", 500); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("a step of no user: %v", err)
	}

	// Twenty uses of one step at once: one changes the row.
	won, refused := race(t, 20, checkout.ErrConflict, func() (string, error) {
		return u.ID, db.UseDashboardTOTPStep(ctx, u.ID, "sealed-1", 102)
	})
	if len(won) != 1 || refused != 19 {
		t.Fatalf("20 uses of one step: %d accepted, %d refused; want 1 and 19", len(won), refused)
	}

	// Off: the secret goes, the last step stays, with its event; twice
	// is refused without one.
	if err := db.DisableDashboardTOTP(ctx, u.ID, now, event(checkout.EventDashboardUserTOTPDisabled)); err != nil {
		t.Fatal(err)
	}
	if err := db.DisableDashboardTOTP(ctx, u.ID, now, event(checkout.EventDashboardUserTOTPDisabled)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a second disable: %v, want ErrConflict", err)
	}
	if got := load(); got.TOTPEnabled() || got.TOTPLastStep != 102 {
		t.Fatalf("after disable: %+v", got)
	}
	if on, off := history(); on != 1 || off != 1 {
		t.Fatalf("history after disable: %d on, %d off", on, off)
	}
	if err := db.UseDashboardTOTPStep(ctx, u.ID, "sealed-1", 200); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("a code of a secret turned off: %v, want ErrConflict", err)
	}
	// On again: the last step never goes back.
	if err := db.EnableDashboardTOTP(ctx, u.ID, "sealed-3", 50, now, event(checkout.EventDashboardUserTOTPEnabled)); err != nil {
		t.Fatal(err)
	}
	if got := load(); got.TOTPSecret != "sealed-3" || got.TOTPLastStep != 102 {
		t.Fatalf("enabled again: %+v", got)
	}
	for _, err := range []error{
		db.EnableDashboardTOTP(ctx, "usr_nobody", "x", 1, now),
		db.DisableDashboardTOTP(ctx, "usr_nobody", now),
	} {
		if !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("no user: %v", err)
		}
	}
}
