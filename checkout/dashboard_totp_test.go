package checkout_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// testTOTPKey is a fresh 32-byte sealing key.
func testTOTPKey(tb testing.TB) []byte {
	tb.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		tb.Fatal(err)
	}
	return key
}

// totpCode is the code an authenticator app shows for secret at t.
func totpCode(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	code, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// Sealing: a secret opens with its key and its additional data only (the
// user's id; a pending secret's is another), never from an altered text;
// each seal is new (a random nonce) and holds no plain text.
func TestTOTPSealing(t *testing.T) {
	key := testTOTPKey(t)
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	a, err := checkout.SealTOTP(key, checkout.TOTPData("usr_a"), secret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := checkout.SealTOTP(key, checkout.TOTPData("usr_a"), secret)
	if a == b || strings.Contains(a, secret) || strings.Contains(a, "JBSWY3DP") {
		t.Fatalf("seals %q %q", a, b)
	}
	if got, err := checkout.OpenTOTP(key, checkout.TOTPData("usr_a"), a); err != nil || got != secret {
		t.Fatalf("open: %q %v", got, err)
	}
	tampered := []byte(a)
	tampered[len(tampered)/2] ^= 1
	for name, open := range map[string]func() (string, error){
		"another user's id": func() (string, error) { return checkout.OpenTOTP(key, checkout.TOTPData("usr_b"), a) },
		"as a pending one":  func() (string, error) { return checkout.OpenTOTP(key, checkout.PendingTOTPData("usr_a"), a) },
		"another key":       func() (string, error) { return checkout.OpenTOTP(testTOTPKey(t), checkout.TOTPData("usr_a"), a) },
		"altered":           func() (string, error) { return checkout.OpenTOTP(key, checkout.TOTPData("usr_a"), string(tampered)) },
		"truncated":         func() (string, error) { return checkout.OpenTOTP(key, checkout.TOTPData("usr_a"), a[:10]) },
		"not base64":        func() (string, error) { return checkout.OpenTOTP(key, checkout.TOTPData("usr_a"), "%%%") },
		"a short key":       func() (string, error) { return checkout.OpenTOTP(key[:16], checkout.TOTPData("usr_a"), a) },
	} {
		if got, err := open(); err == nil || got != "" {
			t.Errorf("%s opened: %q", name, got)
		}
	}
	pending, _ := checkout.SealTOTP(key, checkout.PendingTOTPData("usr_a"), secret)
	if _, err := checkout.OpenTOTP(key, checkout.TOTPData("usr_a"), pending); err == nil {
		t.Error("a pending secret opened as a stored one")
	}
	if _, err := checkout.SealTOTP(key[:16], "x", secret); err == nil {
		t.Error("sealed under a 16-byte key")
	}
	if got := checkout.GroupTOTPSecret(secret); got != "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP" {
		t.Errorf("grouped %q", got)
	}
}

// Setting up: the secret is 20 random bytes (32 base32 characters) in an
// otpauth URI apps read (issuer, account, SHA1, 6 digits, 30 s); nothing
// is stored until a right code confirms it, which turns it on (stored
// sealed, in the history with the actor) and is itself used; an enrolment
// of another user does not open.
func TestTOTPEnrolment(t *testing.T) {
	ctx := context.Background()
	svc, m, clk := MustService(t, nil)
	svc.TOTPKey = testTOTPKey(t)
	u, _, err := svc.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: m.ID, Email: "ada@example.com", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := svc.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: m.ID, Email: "grace@example.com", Password: "correct horse battery staple"})
	e, err := svc.StartTOTP(u)
	if err != nil {
		t.Fatal(err)
	}
	uri, err := url.Parse(e.URI)
	if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/OpenCheckout:ada@example.com" {
		t.Fatalf("uri %q", e.URI)
	}
	q := uri.Query()
	if q.Get("secret") != e.Secret || len(e.Secret) != 32 || q.Get("issuer") != "OpenCheckout" || q.Get("algorithm") != "SHA1" ||
		q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("uri %q, secret %q", e.URI, e.Secret)
	}
	if strings.Contains(e.Sealed, e.Secret) {
		t.Fatal("the enrolment carries the secret in plain")
	}
	if again, err := svc.PendingTOTP(u, e.Sealed); err != nil || again.Secret != e.Secret || again.URI != e.URI {
		t.Fatalf("pending: %+v %v", again, err)
	}
	if _, err := svc.PendingTOTP(other, e.Sealed); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("another user's enrolment: %v", err)
	}
	if err := svc.EnableTOTP(ctx, other, e.Sealed, totpCode(t, e.Secret, clk.Now()), other.Email); checkout.ErrorCodeOf(err) != checkout.EInvalid {
		t.Fatalf("another user's enrolment confirmed: %v", err)
	}
	if err := svc.EnableTOTP(ctx, u, e.Sealed, wrongCode(t, e.Secret, clk.Now()), u.Email); checkout.ErrorCodeOf(err) != checkout.EUnauthorized {
		t.Fatalf("a wrong code: %v", err)
	}
	if got, _ := svc.DashboardUser(ctx, u.ID); got.TOTPEnabled() {
		t.Fatal("on after a wrong code")
	}
	clk.Add(10 * time.Second)
	code := totpCode(t, e.Secret, clk.Now())
	if err := svc.EnableTOTP(ctx, u, e.Sealed, code, u.Email); err != nil {
		t.Fatal(err)
	}
	if err := svc.EnableTOTP(ctx, u, e.Sealed, code, u.Email); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("confirmed twice: %v", err)
	}
	got, _ := svc.DashboardUser(ctx, u.ID)
	if !got.TOTPEnabled() || strings.Contains(got.TOTPSecret, e.Secret) || got.TOTPLastStep != clk.Now().Unix()/30 {
		t.Fatalf("after enable: %+v", got)
	}
	if plain, err := checkout.OpenTOTP(svc.TOTPKey, checkout.TOTPData(u.ID), got.TOTPSecret); err != nil || plain != e.Secret {
		t.Fatalf("the stored secret: %q %v", plain, err)
	}
	if err := svc.CheckTOTP(ctx, got, code); checkout.ErrorCodeOf(err) != checkout.EUnauthorized {
		t.Fatalf("the confirming code signed in: %v", err)
	}
	evs, _ := svc.Store.MerchantEvents(ctx, m.ID, 10)
	if evs[0].Type != checkout.EventDashboardUserTOTPEnabled || evs[0].Data["actor"] != "ada@example.com" || evs[0].Data["email"] != "ada@example.com" {
		t.Fatalf("history: %+v", evs[0])
	}
}

// wrongCode is a well-formed code that is none of the accepted ones at t.
func wrongCode(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	accepted := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		accepted[totpCode(tb, secret, t.Add(d))] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !accepted[c] {
			return c
		}
	}
}

// Checking a code: the server's step's, the one before's and the one
// after's are accepted, each once, and only if later than the last used
// (the store's compare-and-set); two steps away, a wrong or malformed
// code, a replayed one, and any code once it is turned off are refused,
// all with one error.
func TestTOTPCheck(t *testing.T) {
	ctx := context.Background()
	svc, m, clk := MustService(t, nil)
	svc.TOTPKey = testTOTPKey(t)
	u, _, err := svc.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: m.ID, Email: "ada@example.com", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := svc.StartTOTP(u)
	clk.Add(time.Second)
	if err := svc.EnableTOTP(ctx, u, e.Sealed, totpCode(t, e.Secret, clk.Now()), u.Email); err != nil {
		t.Fatal(err)
	}
	check := func(code string) error {
		t.Helper()
		fresh, err := svc.DashboardUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return svc.CheckTOTP(ctx, fresh, code)
	}
	refused := func(what, code string) {
		t.Helper()
		if err := check(code); checkout.ErrorCodeOf(err) != checkout.EUnauthorized || err.Error() != "unauthorized: The code is not right." {
			t.Errorf("%s (%q): %v, want the one refusal", what, code, err)
		}
	}
	at := func(steps int) string {
		return totpCode(t, e.Secret, clk.Now().Add(time.Duration(steps)*30*time.Second))
	}

	clk.Add(30 * time.Second)
	refused("a wrong code", wrongCode(t, e.Secret, clk.Now()))
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "12345a", strings.Repeat("9", 100)} {
		refused("a malformed code", bad)
	}
	now := at(0)
	if err := check(now); err != nil {
		t.Fatalf("the current code: %v", err)
	}
	refused("the same code again", now)

	clk.Add(2 * time.Minute)
	if err := check(at(-1)); err != nil {
		t.Fatalf("the previous step's code: %v", err)
	}
	if err := check(at(+1)); err != nil {
		t.Fatalf("the next step's code: %v", err)
	}
	refused("the current step's code after the next one's", at(0))
	refused("the previous step's code again", at(-1))

	clk.Add(5 * time.Minute)
	refused("a code of two steps ago", at(-2))
	refused("a code of two steps ahead", at(+2))
	spaced := at(0)
	if err := check(spaced[:3] + " " + spaced[3:]); err != nil {
		t.Fatalf("a code typed as 123 456: %v", err)
	}

	clk.Add(time.Minute)
	if _, err := svc.DisableTOTP(ctx, m.ID, "ADA@example.com", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	refused("a code once it is off", at(0))
	if _, err := svc.DisableTOTP(ctx, m.ID, "ada@example.com", "operator"); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("off twice: %v", err)
	}
	if _, err := svc.DisableTOTP(ctx, "mer_other", "ada@example.com", "x"); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("another merchant's user: %v", err)
	}
	evs, _ := svc.Store.MerchantEvents(ctx, m.ID, 10)
	if evs[0].Type != checkout.EventDashboardUserTOTPDisabled || evs[0].Data["actor"] != "ada@example.com" {
		t.Fatalf("history: %+v", evs[0])
	}
}
