package operator_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// TestUsersCommand: `checkout users` creates a dashboard user with a
// password from standard input or a generated one printed once, lists,
// changes the password (a new session epoch), and removes; the database
// holds only argon2id hashes, and every change is in the merchant's
// history with its actor. Bad input is a usage error that writes nothing.
func TestUsersCommand(t *testing.T) {
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
	cli := func(stdin string, args ...string) (int, string) {
		var out, errs strings.Builder
		code := operator.UsersCommand(args, env, strings.NewReader(stdin), &out, &errs)
		return code, out.String() + errs.String()
	}
	for _, bad := range [][]string{
		{}, {"nope"}, {"create", "-email", "a@example.com"}, {"create", "-merchant", mer},
		{"create", "-merchant", mer, "-email", "not an email"},
		{"create", "-merchant", mer, "-email", "a@example.com", "-role", "owner"},
		{"create", "-merchant", "mer_nobody", "-email", "a@example.com"},
		{"create", "-merchant", mer, "-email", "a@example.com", "extra"},
		{"remove"}, {"remove", "-email", "nobody@example.com"},
	} {
		if code, out := cli("", bad...); code != 2 || !strings.Contains(out, "usage") && !strings.Contains(out, "checkout: ") {
			t.Errorf("%v: exit %d: %s", bad, code, out)
		}
	}
	if code, out := cli("short\n", "create", "-merchant", mer, "-email", "a@example.com", "-password-stdin"); code != 2 || !strings.Contains(out, "at least 12") {
		t.Errorf("a short password: %d %s", code, out)
	}

	const chosen = "correct horse battery staple"
	code, out := cli(chosen+"\n", "create", "-merchant", mer, "-email", "Ada@Example.com", "-password-stdin")
	if code != 0 || strings.Contains(out, "password (shown once)") || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("create with a chosen password: %d %s", code, out)
	}
	code, out = cli("", "create", "-merchant", mer, "-email", "grace@example.com", "-role", "support")
	generated := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out)
	if code != 0 || generated == nil || len(generated[1]) < 20 {
		t.Fatalf("create with a generated password: %d %s", code, out)
	}
	if code, out := cli("", "create", "-merchant", mer, "-email", "ADA@example.com"); code != 2 || !strings.Contains(out, "exists") {
		t.Fatalf("the same email again: %d %s", code, out)
	}
	code, out = cli("", "list", "-merchant", mer)
	if code != 0 || !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "grace@example.com  support") && !regexp.MustCompile(`grace@example.com\s+support`).MatchString(out) {
		t.Fatalf("list: %d %s", code, out)
	}

	db, err := sqlstore.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ada, err := db.DashboardUserByEmail(context.Background(), "ada@example.com")
	if err != nil || !strings.HasPrefix(ada.PasswordHash, "$argon2id$v=19$") || strings.Contains(ada.PasswordHash, chosen) ||
		!checkout.VerifyPassword(ada.PasswordHash, chosen) || ada.Role != checkout.RoleAdmin {
		t.Fatalf("stored user: %+v %v", ada, err)
	}
	grace, _ := db.DashboardUserByEmail(context.Background(), "grace@example.com")
	if !checkout.VerifyPassword(grace.PasswordHash, generated[1]) {
		t.Fatal("the printed password does not verify")
	}

	code, out = cli("", "set-password", "-email", "ada@example.com")
	if code != 0 || !strings.Contains(out, "password (shown once)") {
		t.Fatalf("set-password: %d %s", code, out)
	}
	if again, _ := db.DashboardUserByEmail(context.Background(), "ada@example.com"); again.SessionEpoch != ada.SessionEpoch+1 || checkout.VerifyPassword(again.PasswordHash, chosen) {
		t.Fatalf("after set-password: epoch %d, old password still good", again.SessionEpoch)
	}
	if code, out := cli("", "remove", "-email", "grace@example.com"); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("remove: %d %s", code, out)
	}
	history, err := db.MerchantEvents(context.Background(), mer, 20)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range history {
		if e.Data["actor"] != "operator" && strings.HasPrefix(string(e.Type), "dashboard_user.") {
			t.Errorf("%s without its actor: %v", e.Type, e.Data)
		}
		kinds = append(kinds, string(e.Type))
	}
	want := "dashboard_user.removed dashboard_user.password_changed dashboard_user.created dashboard_user.created"
	if got := strings.Join(kinds, " "); !strings.HasPrefix(got, want) {
		t.Fatalf("history %q, want it to start %q", got, want)
	}
}
