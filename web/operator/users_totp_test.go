package operator_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// TestUsersDisableTOTP: `checkout users disable-totp` is the way out of a
// lost phone: it turns a user's two-step sign-in off (the user then signs
// in with the password alone), recorded in the merchant's history with the
// actor "operator"; a user without it, no user and no -email are refused
// with nothing written.
func TestUsersDisableTOTP(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "c.db")
	env := func(k string) string {
		if k == "CHECKOUT_DB" {
			return dbPath
		}
		return ""
	}
	var merchantOut strings.Builder
	if code := operator.MerchantsCommand([]string{"create", "-name", "Shop", "-return-origin", "https://shop.example", "-test"},
		env, &merchantOut, &merchantOut); code != 0 {
		t.Fatalf("merchants create: %d %s", code, merchantOut.String())
	}
	mer := regexp.MustCompile(`mer_[0-9a-z]+`).FindString(merchantOut.String())
	cli := func(args ...string) (int, string) {
		var out, errs strings.Builder
		code := operator.UsersCommand(args, env, strings.NewReader(""), &out, &errs)
		return code, out.String() + errs.String()
	}
	if code, out := cli("create", "-merchant", mer, "-email", "ada@example.com"); code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	db, err := sqlstore.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ada, _ := db.DashboardUserByEmail(ctx, "ada@example.com")
	if err := db.EnableDashboardTOTP(ctx, ada.ID, "sealed", 100, time.Now()); err != nil {
		t.Fatal(err)
	}
	events := func() int {
		evs, err := db.MerchantEvents(ctx, mer, 50)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	before := events()
	for _, bad := range [][]string{{"disable-totp"}, {"disable-totp", "-email", "nobody@example.com"}, {"disable-totp", "-email", "x", "extra"}} {
		if code, out := cli(bad...); code != 2 {
			t.Errorf("%v: exit %d: %s", bad, code, out)
		}
	}
	code, out := cli("disable-totp", "-email", "ADA@example.com")
	if code != 0 || !strings.Contains(out, "two-step sign-in turned off") || !strings.Contains(out, ada.ID) {
		t.Fatalf("disable-totp: %d %s", code, out)
	}
	if got, _ := db.DashboardUserByEmail(ctx, "ada@example.com"); got.TOTPEnabled() {
		t.Fatal("still on")
	}
	if code, out := cli("disable-totp", "-email", "ada@example.com"); code != 2 || !strings.Contains(out, "off already") {
		t.Fatalf("disable-totp twice: %d %s", code, out)
	}
	evs, _ := db.MerchantEvents(ctx, mer, 50)
	if events() != before+1 || evs[0].Type != checkout.EventDashboardUserTOTPDisabled || evs[0].Data["actor"] != "operator" ||
		evs[0].Data["email"] != "ada@example.com" {
		t.Fatalf("history: %d events after %d; newest %+v", events(), before, evs[0])
	}
}
