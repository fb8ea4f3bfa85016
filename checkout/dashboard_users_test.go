package checkout_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Passwords are argon2id PHC strings with a fresh salt each; they verify
// only the password they hash, and a malformed or out-of-bounds hash
// verifies nothing.
func TestPasswordHashes(t *testing.T) {
	const pw = "correct horse battery staple"
	a, b := checkout.HashPassword(pw), checkout.HashPassword(pw)
	if a == b || !strings.HasPrefix(a, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(a, pw) {
		t.Fatalf("hashes %q %q", a, b)
	}
	if !checkout.VerifyPassword(a, pw) || !checkout.VerifyPassword(b, pw) {
		t.Fatal("a hash does not verify its password")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " "} {
		if checkout.VerifyPassword(a, wrong) {
			t.Errorf("verified %q", wrong)
		}
	}
	parts := strings.Split(a, "$")
	for _, bad := range []string{"", "plain", "$argon2i$" + strings.Join(parts[2:], "$"),
		"$argon2id$v=18$" + strings.Join(parts[3:], "$"),
		"$argon2id$v=19$m=1048576,t=2,p=1$" + strings.Join(parts[4:], "$"), // a gigabyte per try
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + parts[5],
		a + "$extra"} {
		if checkout.VerifyPassword(bad, pw) {
			t.Errorf("the hash %q verified", bad)
		}
	}
	if checkout.VerifyPassword(a, strings.Repeat("x", checkout.MaxPasswordLength+1)) {
		t.Error("an over-long password verified")
	}
	if g := checkout.GeneratePassword(); len(g) < 20 || checkout.CheckNewPassword(g) != nil {
		t.Errorf("generated password %q", g)
	}
}

// SignIn: the right password signs in whatever the email's case; a wrong
// password, an unknown email and a malformed one give the same error.
func TestSignIn(t *testing.T) {
	ctx := context.Background()
	svc, m, _ := MustService(t, nil)
	const pw = "correct horse battery staple"
	u, generated, err := svc.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: m.ID, Email: " Ada@Example.COM ", Password: pw})
	if err != nil || generated != "" || u.Email != "ada@example.com" || u.Role != checkout.RoleAdmin {
		t.Fatalf("create: %+v %q %v", u, generated, err)
	}
	if got, err := svc.SignIn(ctx, "ADA@example.com", pw); err != nil || got.ID != u.ID {
		t.Fatalf("sign in: %+v %v", got, err)
	}
	var messages []string
	for _, c := range [][2]string{{"ada@example.com", "wrong password!!"}, {"nobody@example.com", pw}, {"not an email", pw},
		{"ada@example.com", ""}, {"ada@example.com", strings.Repeat("x", 300)}} {
		_, err := svc.SignIn(ctx, c[0], c[1])
		if checkout.ErrorCodeOf(err) != checkout.EUnauthorized {
			t.Errorf("sign in %q: %v", c[0], err)
		}
		if err != nil {
			messages = append(messages, err.Error())
		}
	}
	for _, msg := range messages[1:] {
		if msg != messages[0] {
			t.Errorf("the refusals differ: %q and %q", messages[0], msg)
		}
	}
	for _, bad := range []checkout.NewDashboardUser{
		{MerchantID: m.ID, Email: "x@example.com", Password: "short"},
		{MerchantID: m.ID, Email: "x@example.com", Role: "owner"},
		{MerchantID: m.ID, Email: "x"},
		{MerchantID: "mer_nobody", Email: "x@example.com"},
		{MerchantID: m.ID, Email: "ADA@example.com"},
	} {
		if _, _, err := svc.CreateDashboardUser(ctx, bad); err == nil || paramOf(err) == "" {
			t.Errorf("create %+v: %v, want a refusal naming its field", bad, err)
		}
	}
}
