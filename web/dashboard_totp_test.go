package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// codeAt is the code an authenticator app with secret shows at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// crossSite are the ways a form can come from another site: each is
// refused (403) before anything is checked.
var crossSite = map[string][]string{"Sec-Fetch-Site": {"Sec-Fetch-Site", "cross-site"}, "Origin": {"Origin", "https://evil.test"}}

// refusesForeignPosts checks that a POST of form to path without its
// token, with another browser's, or from another site is a 403.
func refusesForeignPosts(t *testing.T, b *dashBrowser, path string, form url.Values, otherToken string) {
	t.Helper()
	without := url.Values{}
	for k, v := range form {
		if k != "form_token" {
			without[k] = v
		}
	}
	if res := b.do("POST", path, without); res.Status != http.StatusForbidden {
		t.Errorf("POST %s without its token: %d", path, res.Status)
	}
	if otherToken != "" {
		other := url.Values{"form_token": {otherToken}}
		for k, v := range without {
			other[k] = v
		}
		if res := b.do("POST", path, other); res.Status != http.StatusForbidden {
			t.Errorf("POST %s with another browser's token: %d", path, res.Status)
		}
	}
	for name, header := range crossSite {
		if res := b.do("POST", path, form, header...); res.Status != http.StatusForbidden {
			t.Errorf("POST %s cross-site (%s): %d", path, name, res.Status)
		}
	}
}

// enrolTOTP turns on the signed-in user's two-step sign-in from the account
// page, with the code of now; it returns the secret (as typed: no spaces).
func enrolTOTP(t *testing.T, b *dashBrowser, now time.Time) string {
	t.Helper()
	account := b.do("GET", "/dashboard/account", nil)
	page := b.do("POST", "/dashboard/account/totp", url.Values{"form_token": {b.token(account)}})
	grouped, _ := testID(t, page, "totp-secret").Attr("value")
	secret := strings.ReplaceAll(grouped, " ", "")
	if page.Status != 200 || len(secret) != 32 {
		t.Fatalf("setup page: %d %q", page.Status, grouped)
	}
	pending, _ := htmlDoc(t, page).Find(`input[name=pending]`).Attr("value")
	res := b.do("POST", "/dashboard/account/totp/enable", url.Values{"form_token": {b.token(page)}, "pending": {pending},
		"code": {codeAt(t, secret, now)}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/account?done=totp_on" {
		t.Fatalf("enable: %d %s %s", res.Status, res.Header.Get("Location"), testID(t, res, "dashboard-error").Text())
	}
	return secret
}

// TestDashboardTOTPEnrolAndTurnOff: a person turns on two-step sign-in
// from the account page: a QR code of the otpauth URI (issuer, email,
// SHA1, 6 digits, 30 s) drawn as SVG, the secret in groups of four, and
// the code that confirms it (a wrong one shows the same setup again); the
// database holds the secret sealed, never in plain; turning it off asks
// for the password and a code (a wrong password counts as a failed
// sign-in); both changes are in the users' history. Every form refuses a
// POST without its token and a cross-site one.
func TestDashboardTOTPEnrolAndTurnOff(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 6, 12, 0, 5, 0, time.UTC)}
	app := dashApp(t, func(c *web.Config) { c.Now = clock.Now })
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	other := newDashBrowser(t, app)
	otherToken := other.token(other.do("GET", "/dashboard/sign-in", nil))

	account := b.do("GET", "/dashboard/account", nil)
	if status := testID(t, account, "totp-status"); account.Status != 200 || status.AttrOr("data-enabled", "") != "false" ||
		testID(t, account, "totp-start").Length() != 1 || testID(t, account, "totp-disable").Length() != 0 {
		t.Fatalf("account page, off: %d %q", account.Status, status.Text())
	}
	refusesForeignPosts(t, b, "/dashboard/account/totp", url.Values{"form_token": {b.token(account)}}, otherToken)

	page := b.do("POST", "/dashboard/account/totp", url.Values{"form_token": {b.token(account)}})
	grouped, _ := testID(t, page, "totp-secret").Attr("value")
	if page.Status != 200 || !regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`).MatchString(grouped) {
		t.Fatalf("setup: %d, secret %q", page.Status, grouped)
	}
	secret := strings.ReplaceAll(grouped, " ", "")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("the secret %q is not 20 bytes of base32: %v", secret, err)
	}
	// The QR code is the otpauth URI of this secret, as authenticator apps read it.
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "OpenCheckout", AccountName: web.DemoDashboardEmail, Secret: raw})
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := url.Parse(key.URL())
	if q := uri.Query(); uri.Path != "/OpenCheckout:"+web.DemoDashboardEmail || q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("uri %s", key.URL())
	}
	qr, err := qrcode.New(key.URL(), qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for y, row := range qr.Bitmap() {
		for x, dark := range row {
			if dark {
				want.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h1v1h-1z")
			}
		}
	}
	if got := testID(t, page, "totp-qr").Find("path").AttrOr("d", ""); got != want.String() {
		t.Fatalf("the QR code is not the otpauth URI's (%d modules)", strings.Count(got, "h1v1h-1z"))
	}
	code := testID(t, page, "totp-code")
	if code.AttrOr("autocomplete", "") != "one-time-code" || code.AttrOr("inputmode", "") != "numeric" ||
		htmlDoc(t, page).Find(`label[for="`+code.AttrOr("id", "")+`"]`).Length() != 1 || testID(t, page, "totp-enable").Length() != 1 {
		t.Fatal("the code field")
	}
	pending, _ := htmlDoc(t, page).Find(`input[name=pending]`).Attr("value")
	if pending == "" || strings.Contains(pending, secret) || bytes.Count(page.Body, []byte(secret)) != 0 || bytes.Count(page.Body, []byte(grouped)) != 1 {
		t.Fatal("the page carries the secret in plain beyond the field that shows it")
	}
	if bytes.Contains(page.Body, []byte("<script")) || page.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("the setup page has a script or may be stored")
	}

	enable := func(pending, code string, headers ...string) response {
		return b.do("POST", "/dashboard/account/totp/enable", url.Values{"form_token": {b.token(page)}, "pending": {pending}, "code": {code}}, headers...)
	}
	refusesForeignPosts(t, b, "/dashboard/account/totp/enable", url.Values{"form_token": {b.token(page)}, "pending": {pending},
		"code": {codeAt(t, secret, clock.Now())}}, otherToken)
	wrong := enable(pending, "000000")
	if codeAt(t, secret, clock.Now()) == "000000" {
		wrong = enable(pending, "000001")
	}
	if v, _ := testID(t, wrong, "totp-secret").Attr("value"); wrong.Status != http.StatusUnprocessableEntity ||
		testID(t, wrong, "dashboard-error").Text() != "The code is not right. Enter the code your app shows now." || v != grouped {
		t.Fatalf("a wrong code: %d %q, secret %q", wrong.Status, testID(t, wrong, "dashboard-error").Text(), v)
	}
	if res := enable(pending[:len(pending)-4]+"AAAA", codeAt(t, secret, clock.Now())); res.Status != http.StatusUnprocessableEntity ||
		testID(t, res, "dashboard-error").Length() != 1 {
		t.Fatalf("an altered setup: %d", res.Status)
	}
	if u, _ := app.Store.DashboardUserByEmail(context.Background(), web.DemoDashboardEmail); u.TOTPEnabled() {
		t.Fatal("on before a right code")
	}
	res := enable(pending, codeAt(t, secret, clock.Now()))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/account?done=totp_on" {
		t.Fatalf("enable: %d %s", res.Status, res.Header.Get("Location"))
	}
	if again := enable(pending, codeAt(t, secret, clock.Now())); again.Status != http.StatusSeeOther {
		t.Fatalf("a second click: %d", again.Status)
	}
	account = b.do("GET", res.Header.Get("Location"), nil)
	if testID(t, account, "totp-status").AttrOr("data-enabled", "") != "true" || testID(t, account, "account-notice").Length() != 1 ||
		testID(t, account, "totp-disable").Length() != 1 || testID(t, account, "totp-start").Length() != 0 {
		t.Fatalf("account page, on: %s", testID(t, account, "totp-status").Text())
	}

	// The database: the secret sealed, never in plain (the row, and the
	// database's files as bytes).
	db, err := sql.Open("sqlite", "file:"+app.Config.DBPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored string
	if err := db.QueryRow(`SELECT totp_secret FROM dashboard_users WHERE email = ?`, web.DemoDashboardEmail).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == "" || stored == secret || strings.Contains(stored, secret) || strings.Contains(strings.ToUpper(stored), secret) {
		t.Fatalf("stored %q", stored)
	}
	for _, suffix := range []string{"", "-wal"} {
		file, err := os.ReadFile(app.Config.DBPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(file, []byte(secret)) || bytes.Contains(file, raw) {
			t.Fatalf("the database file%s holds the secret in plain", suffix)
		}
	}

	// Off: the password and a current code.
	clock.Add(30 * time.Second)
	tok := b.token(account)
	disable := func(password, code string) response {
		return b.do("POST", "/dashboard/account/totp/disable", url.Values{"form_token": {tok}, "current": {password}, "code": {code}})
	}
	refusesForeignPosts(t, b, "/dashboard/account/totp/disable", url.Values{"form_token": {tok}, "current": {dashPassword},
		"code": {codeAt(t, secret, clock.Now())}}, otherToken)
	for _, c := range [][3]string{{"wrong password!", codeAt(t, secret, clock.Now()), "current password is not right"},
		{dashPassword, "12345", "code is not right"}} {
		if res := disable(c[0], c[1]); res.Status != http.StatusUnprocessableEntity || !strings.Contains(testID(t, res, "dashboard-error").Text(), c[2]) {
			t.Errorf("turn off with %q %q: %d %q", c[0], c[1], res.Status, testID(t, res, "dashboard-error").Text())
		}
	}
	if res := disable(dashPassword, codeAt(t, secret, clock.Now())); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/account?done=totp_off" {
		t.Fatalf("turn off: %d %s", res.Status, res.Header.Get("Location"))
	}
	if account := b.do("GET", "/dashboard/account", nil); testID(t, account, "totp-status").AttrOr("data-enabled", "") != "false" {
		t.Fatal("still on")
	}
	history := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(testID(t, b.do("GET", "/dashboard/users", nil), "users-history").Text())
	for _, want := range []string{"Two-step sign-in of " + web.DemoDashboardEmail + " turned on by " + web.DemoDashboardEmail,
		"Two-step sign-in of " + web.DemoDashboardEmail + " turned off by " + web.DemoDashboardEmail} {
		if !strings.Contains(history, want) {
			t.Errorf("the history %q has no %q", history, want)
		}
	}

	// Wrong passwords (and codes) when turning it off lock the account like
	// failed sign-ins (one of each was counted above): then not even the
	// right ones pass.
	clock.Add(time.Minute)
	secret = enrolTOTP(t, b, clock.Now())
	clock.Add(30 * time.Second)
	tok = b.token(b.do("GET", "/dashboard/account", nil))
	var statuses []int
	for range 3 {
		statuses = append(statuses, disable("wrong password!", codeAt(t, secret, clock.Now())).Status)
	}
	locked := disable(dashPassword, codeAt(t, secret, clock.Now()))
	if fmt.Sprint(statuses) != "[422 422 422]" || locked.Status != http.StatusTooManyRequests || locked.Header.Get("Retry-After") == "" {
		t.Fatalf("wrong passwords %v, then the right one: %d", statuses, locked.Status)
	}
	if u, _ := app.Store.DashboardUserByEmail(context.Background(), web.DemoDashboardEmail); !u.TOTPEnabled() {
		t.Fatal("turned off while locked")
	}
}

// htmlDoc parses the response's HTML.
func htmlDoc(t *testing.T, r response) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestDashboardTOTPSignIn: with two-step sign-in on, a right password
// gives no session but a pending sign-in (a new id in the cookie) that
// opens no dashboard page, and the code page (one-time-code field, a
// label); the right code signs in (a new id again) and goes to the
// dashboard; a code already used, by this or another browser, is
// refused; the code form refuses a POST without its token, with another
// browser's, or from another site. A user without it signs in as before.
func TestDashboardTOTPSignIn(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 6, 12, 0, 5, 0, time.UTC)}
	app := dashApp(t, func(c *web.Config) { c.Now = clock.Now })
	setup := newDashBrowser(t, app)
	setup.signIn(web.DemoDashboardEmail, dashPassword)
	secret := enrolTOTP(t, setup, clock.Now())
	clock.Add(30 * time.Second)

	b := newDashBrowser(t, app)
	res := b.signIn(web.DemoDashboardEmail, dashPassword)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in/code" {
		t.Fatalf("the password: %d %s", res.Status, res.Header.Get("Location"))
	}
	pendingCookie := b.cookies["__Host-dashboard"].Value
	// The pending sign-in opens nothing else.
	for _, path := range []string{"/dashboard/payments", "/dashboard/account", "/dashboard/users", "/dashboard/links", "/dashboard/webhooks"} {
		if res := b.do("GET", path, nil); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/dashboard/sign-in") {
			t.Errorf("GET %s with a pending sign-in: %d %s", path, res.Status, res.Header.Get("Location"))
		}
	}
	page := b.do("GET", "/dashboard/sign-in/code", nil)
	code := testID(t, page, "dashboard-code")
	if page.Status != 200 || code.AttrOr("autocomplete", "") != "one-time-code" || code.AttrOr("inputmode", "") != "numeric" ||
		htmlDoc(t, page).Find(`label[for="`+code.AttrOr("id", "")+`"]`).Length() != 1 || testID(t, page, "dashboard-verify").Length() != 1 ||
		page.Header.Get("Cache-Control") != "no-store" || bytes.Contains(page.Body, []byte("<script")) {
		t.Fatalf("code page: %d %s", page.Status, page.Body)
	}
	for _, path := range []string{"/dashboard/account/totp", "/dashboard/account/totp/disable", "/dashboard/sign-out"} {
		if res := b.do("POST", path, url.Values{"form_token": {b.token(page)}, "current": {dashPassword}, "code": {codeAt(t, secret, clock.Now())}}); res.Status != http.StatusSeeOther ||
			!strings.HasPrefix(res.Header.Get("Location"), "/dashboard/sign-in") {
			t.Errorf("POST %s with a pending sign-in: %d", path, res.Status)
		}
	}
	if u, _ := app.Store.DashboardUserByEmail(context.Background(), web.DemoDashboardEmail); !u.TOTPEnabled() {
		t.Fatal("a pending sign-in turned two-step sign-in off")
	}
	other := newDashBrowser(t, app)
	right := codeAt(t, secret, clock.Now())
	refusesForeignPosts(t, b, "/dashboard/sign-in/code", url.Values{"form_token": {b.token(page)}, "code": {right}},
		other.token(other.do("GET", "/dashboard/sign-in", nil)))
	wrong := "000000"
	if right == wrong {
		wrong = "000001"
	}
	res = b.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {b.token(page)}, "code": {wrong}})
	if res.Status != http.StatusUnauthorized || testID(t, res, "dashboard-error").Text() != "The code is not right. Enter the code your app shows now." ||
		testID(t, res, "dashboard-code").AttrOr("aria-invalid", "") != "true" {
		t.Fatalf("a wrong code: %d %q", res.Status, testID(t, res, "dashboard-error").Text())
	}
	res = b.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {b.token(page)}, "code": {right[:3] + " " + right[3:]}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		t.Fatalf("the right code: %d %s %s", res.Status, res.Header.Get("Location"), testID(t, res, "dashboard-error").Text())
	}
	if after := b.cookies["__Host-dashboard"].Value; after == pendingCookie {
		t.Fatal("the cookie did not change at sign-in")
	}
	if list := b.do("GET", "/dashboard/payments", nil); list.Status != 200 || !strings.Contains(testID(t, list, "dashboard-user").Text(), web.DemoDashboardEmail) {
		t.Fatalf("signed in: %d", list.Status)
	}
	if res := b.do("GET", "/dashboard/sign-in/code", nil); res.Status != http.StatusSeeOther {
		t.Errorf("the code page after sign-in: %d", res.Status)
	}

	// Replay: the same code, in this step, signs nobody in again.
	thief := newDashBrowser(t, app)
	thief.signIn(web.DemoDashboardEmail, dashPassword)
	tp := thief.do("GET", "/dashboard/sign-in/code", nil)
	if res := thief.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {thief.token(tp)}, "code": {right}}); res.Status != http.StatusUnauthorized {
		t.Fatalf("a used code: %d", res.Status)
	}
	clock.Add(30 * time.Second)
	if res := thief.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {thief.token(tp)}, "code": {codeAt(t, secret, clock.Now())}}); res.Status != http.StatusSeeOther {
		t.Fatalf("the next step's code: %d", res.Status)
	}

	// A user without two-step sign-in signs in with the password alone.
	if _, _, err := app.Service.CreateDashboardUser(context.Background(), checkout.NewDashboardUser{MerchantID: web.DemoMerchantID,
		Email: "plain@example.com", Role: checkout.RoleSupport, Password: dashPassword}); err != nil {
		t.Fatal(err)
	}
	plain := newDashBrowser(t, app)
	if res := plain.signIn("plain@example.com", dashPassword); res.Status != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "code") {
		t.Fatalf("without two-step sign-in: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := plain.do("GET", "/dashboard/payments", nil); res.Status != 200 {
		t.Fatalf("without two-step sign-in, the payments: %d", res.Status)
	}
}

// TestDashboardTOTPLockoutAndExpiry: wrong codes count as failed sign-ins
// of the account and the address: the sixth try is a 429 with the lockout
// message, and then no code is checked (the right one uses nothing) and
// the password is refused too; a pending sign-in lasts 5 minutes, and ends
// with a password change; the code page without one is the sign-in page
// with a notice.
func TestDashboardTOTPLockoutAndExpiry(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 12, 6, 12, 0, 5, 0, time.UTC)}
	app := dashApp(t, func(c *web.Config) { c.Now = clock.Now })
	setup := newDashBrowser(t, app)
	setup.signIn(web.DemoDashboardEmail, dashPassword)
	secret := enrolTOTP(t, setup, clock.Now())
	clock.Add(30 * time.Second)

	// No pending sign-in: the sign-in page.
	fresh := newDashBrowser(t, app)
	if res := fresh.do("GET", "/dashboard/sign-in/code", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in?m=code_expired" {
		t.Fatalf("the code page without a pending sign-in: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := fresh.do("POST", "/dashboard/sign-in/code", url.Values{"code": {"123456"}}); res.Status != http.StatusForbidden {
		t.Fatalf("a code without a pending sign-in or a token: %d", res.Status)
	}
	signInPage := fresh.do("GET", "/dashboard/sign-in", nil)
	if res := fresh.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {fresh.token(signInPage)}, "code": {"123456"}}); res.Status != http.StatusSeeOther ||
		res.Header.Get("Location") != "/dashboard/sign-in?m=code_expired" {
		t.Fatalf("a code with the sign-in page's token but no pending sign-in: %d %s", res.Status, res.Header.Get("Location"))
	}

	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	page := b.do("GET", "/dashboard/sign-in/code", nil)
	right := codeAt(t, secret, clock.Now())
	wrong := "000000"
	if right == wrong {
		wrong = "000001"
	}
	var statuses []int
	var last response
	for range 6 {
		last = b.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {b.token(page)}, "code": {wrong}})
		statuses = append(statuses, last.Status)
	}
	if fmt.Sprint(statuses) != "[401 401 401 401 401 429]" ||
		!strings.Contains(testID(t, last, "dashboard-error").Text(), "15 minutes") || last.Header.Get("Retry-After") == "" {
		t.Fatalf("six wrong codes: %v %q", statuses, testID(t, last, "dashboard-error").Text())
	}
	before, _ := app.Store.DashboardUserByEmail(ctx, web.DemoDashboardEmail)
	if res := b.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {b.token(page)}, "code": {right}}); res.Status != http.StatusTooManyRequests {
		t.Fatalf("the right code while locked: %d", res.Status)
	}
	if after, _ := app.Store.DashboardUserByEmail(ctx, web.DemoDashboardEmail); after.TOTPLastStep != before.TOTPLastStep {
		t.Fatal("a code was checked (and used) while locked")
	}
	if res := newDashBrowser(t, app).signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusTooManyRequests {
		t.Fatalf("the password while the account is locked by wrong codes: %d", res.Status)
	}
	// The five wrong codes counted for the address too: 15 more failures
	// (other emails) reach its 20.
	for i := range 15 {
		if res := newDashBrowser(t, app).signIn("user"+strconv.Itoa(i)+"@example.com", "wrong password!"); res.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, res.Status)
		}
	}
	if res := newDashBrowser(t, app).signIn("fresh@example.com", "wrong password!"); res.Status != http.StatusTooManyRequests {
		t.Fatalf("after 5 wrong codes and 15 wrong passwords from one address: %d", res.Status)
	}

	// After the lockout: a pending sign-in lasts 5 minutes.
	clock.Add(15*time.Minute + time.Second)
	late := newDashBrowser(t, app)
	if res := late.signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusSeeOther {
		t.Fatalf("sign in after the lockout: %d", res.Status)
	}
	latePage := late.do("GET", "/dashboard/sign-in/code", nil)
	clock.Add(5*time.Minute + time.Second)
	if res := late.do("GET", "/dashboard/sign-in/code", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in?m=code_expired" {
		t.Fatalf("the code page after 5 minutes: %d %s", res.Status, res.Header.Get("Location"))
	}
	res := late.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {late.token(latePage)}, "code": {codeAt(t, secret, clock.Now())}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in?m=code_expired" {
		t.Fatalf("a code after 5 minutes: %d %s", res.Status, res.Header.Get("Location"))
	}
	if notice := testID(t, late.do("GET", res.Header.Get("Location"), nil), "dashboard-notice").Text(); !strings.Contains(notice, "5 minutes") {
		t.Errorf("notice %q", notice)
	}
	if res := late.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("an expired pending sign-in signed in: %d", res.Status)
	}

	// Within the 5 minutes it works.
	onTime := newDashBrowser(t, app)
	onTime.signIn(web.DemoDashboardEmail, dashPassword)
	onTimePage := onTime.do("GET", "/dashboard/sign-in/code", nil)
	clock.Add(4*time.Minute + 50*time.Second)
	if res := onTime.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {onTime.token(onTimePage)}, "code": {codeAt(t, secret, clock.Now())}}); res.Status != http.StatusSeeOther ||
		res.Header.Get("Location") != "/dashboard" {
		t.Fatalf("a code after 4 min 50 s: %d %s", res.Status, res.Header.Get("Location"))
	}

	// A password change ends a pending sign-in.
	clock.Add(30 * time.Second)
	changed := newDashBrowser(t, app)
	changed.signIn(web.DemoDashboardEmail, dashPassword)
	changedPage := changed.do("GET", "/dashboard/sign-in/code", nil)
	if _, err := app.Service.ChangeDashboardPassword(ctx, web.DemoMerchantID, web.DemoDashboardEmail, "an entirely new passphrase", "test"); err != nil {
		t.Fatal(err)
	}
	if res := changed.do("POST", "/dashboard/sign-in/code", url.Values{"form_token": {changed.token(changedPage)}, "code": {codeAt(t, secret, clock.Now())}}); res.Status != http.StatusSeeOther ||
		res.Header.Get("Location") != "/dashboard/sign-in?m=code_expired" {
		t.Fatalf("a code after a password change: %d %s", res.Status, res.Header.Get("Location"))
	}
}
