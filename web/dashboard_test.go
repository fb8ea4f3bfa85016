package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

const dashPassword = "correct horse battery staple"

// dashBrowser is a browser of the dashboard: it keeps the cookies it is
// given (by name) and sends them back, and follows no redirect.
type dashBrowser struct {
	t       *testing.T
	app     *web.App
	cookies map[string]*http.Cookie
	ip      string // X-Forwarded-For is not trusted: all tests share 127.0.0.1
}

func newDashBrowser(t *testing.T, app *web.App) *dashBrowser {
	return &dashBrowser{t: t, app: app, cookies: map[string]*http.Cookie{}}
}

func (b *dashBrowser) do(method, path string, form url.Values, headers ...string) response {
	b.t.Helper()
	var body []byte
	if form != nil {
		body = []byte(form.Encode())
		headers = append(headers, "Content-Type", "application/x-www-form-urlencoded")
	}
	return b.send(method, path, body, headers...)
}

// send is do with a body of any type (its Content-Type among headers).
func (b *dashBrowser) send(method, path string, body []byte, headers ...string) response {
	b.t.Helper()
	var jar []string
	for _, c := range b.cookies {
		jar = append(jar, c.Name+"="+c.Value)
	}
	if len(jar) > 0 {
		headers = append(headers, "Cookie", strings.Join(jar, "; "))
	}
	res := do(b.t, method, b.app.URL+path, body, headers...)
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return res
}

// token is the form_token of the page's first form.
func (b *dashBrowser) token(res response) string {
	b.t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(res.Body))
	if err != nil {
		b.t.Fatal(err)
	}
	tok, ok := doc.Find(`input[name=form_token]`).First().Attr("value")
	if !ok || tok == "" {
		b.t.Fatalf("no form token in %d %s", res.Status, res.Body)
	}
	return tok
}

func testID(tb testing.TB, res response, id string) *goquery.Selection {
	tb.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(res.Body))
	if err != nil {
		tb.Fatal(err)
	}
	return doc.Find(`[data-testid="` + id + `"]`)
}

// signIn shows the sign-in form and sends it with email and password.
func (b *dashBrowser) signIn(email, password string) response {
	b.t.Helper()
	page := b.do("GET", "/dashboard/sign-in", nil)
	return b.do("POST", "/dashboard/sign-in", url.Values{"form_token": {b.token(page)}, "email": {email}, "password": {password}})
}

func dashApp(t *testing.T, options ...func(*web.Config)) *web.App {
	return MustApp(t, nil, append([]func(*web.Config){func(c *web.Config) { c.DemoDashboardPassword = dashPassword }}, options...)...)
}

// TestDashboardSignIn: the demo user signs in with the configured password
// into a new session (a cookie of another value, host-only, Secure,
// HttpOnly, SameSite=Lax), sees the payments list, and signs out (a copy
// of the cookie taken before then signs nobody in). A form
// without its token or from another site changes nothing; wrong passwords
// and unknown emails get one answer.
func TestDashboardSignIn(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	for _, path := range []string{"/dashboard", "/dashboard/payments"} {
		if res := b.do("GET", path, nil); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/dashboard") {
			t.Fatalf("GET %s signed out: %d %s", path, res.Status, res.Header.Get("Location"))
		}
	}
	if res := b.do("GET", "/dashboard/payments", nil); res.Header.Get("Location") != "/dashboard/sign-in" {
		t.Fatalf("signed out, the payments go to %q", res.Header.Get("Location"))
	}
	page := b.do("GET", "/dashboard/sign-in", nil)
	if page.Status != 200 || bytes.Contains(page.Body, []byte("<script")) || page.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sign-in page: %d %s", page.Status, page.Body)
	}
	csp := page.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "'nonce-") {
		t.Fatalf("CSP %q", csp)
	}
	for _, id := range []string{"dashboard-email", "dashboard-password", "dashboard-sign-in"} {
		if testID(t, page, id).Length() != 1 {
			t.Errorf("the sign-in page has no %s", id)
		}
	}
	set := (&http.Response{Header: page.Header}).Cookies()
	if len(set) != 1 || set[0].Name != "__Host-dashboard" || !set[0].Secure || !set[0].HttpOnly || set[0].SameSite != http.SameSiteLaxMode ||
		set[0].Path != "/" || set[0].Domain != "" || set[0].MaxAge != 12*3600 {
		t.Fatalf("cookie %+v", set)
	}
	before := b.cookies["__Host-dashboard"].Value
	tok := b.token(page)

	form := func(email, password, token string) url.Values {
		return url.Values{"form_token": {token}, "email": {email}, "password": {password}}
	}
	// Refused before anything is checked: no token, another browser's
	// token, another site.
	other := newDashBrowser(t, app)
	otherTok := other.token(other.do("GET", "/dashboard/sign-in", nil))
	for name, res := range map[string]response{
		"no token":            b.do("POST", "/dashboard/sign-in", form(web.DemoDashboardEmail, dashPassword, "")),
		"another's token":     b.do("POST", "/dashboard/sign-in", form(web.DemoDashboardEmail, dashPassword, otherTok)),
		"from another site":   b.do("POST", "/dashboard/sign-in", form(web.DemoDashboardEmail, dashPassword, tok), "Sec-Fetch-Site", "cross-site"),
		"from another Origin": b.do("POST", "/dashboard/sign-in", form(web.DemoDashboardEmail, dashPassword, tok), "Origin", "https://evil.test"),
	} {
		if res.Status != http.StatusForbidden || len(res.Header.Values("Set-Cookie")) > 0 {
			t.Errorf("%s: %d, cookies %v", name, res.Status, res.Header.Values("Set-Cookie"))
		}
	}

	wrong := b.do("POST", "/dashboard/sign-in", form(web.DemoDashboardEmail, "not the password", tok))
	unknown := b.do("POST", "/dashboard/sign-in", form("nobody@example.com", dashPassword, b.token(wrong)))
	for _, res := range []response{wrong, unknown} {
		if res.Status != http.StatusUnauthorized || testID(t, res, "dashboard-error").Text() != "The email address or the password is not right." {
			t.Fatalf("refused sign-in: %d %q", res.Status, testID(t, res, "dashboard-error").Text())
		}
		if bytes.Contains(res.Body, []byte("not the password")) {
			t.Fatal("the page shows the password typed")
		}
	}
	if v, _ := testID(t, unknown, "dashboard-email").Attr("value"); v != "nobody@example.com" {
		t.Errorf("the email is not kept: %q", v)
	}
	if res := b.do("POST", "/dashboard/sign-in", form(" ", "", b.token(unknown))); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty fields: %d", res.Status)
	}

	// Two sign-in tabs: the first one's form still works.
	tab1 := b.do("GET", "/dashboard/sign-in", nil)
	b.do("GET", "/dashboard/sign-in", nil)
	res := b.do("POST", "/dashboard/sign-in", form("Demo@Example.com", dashPassword, b.token(tab1)))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/overview" {
		t.Fatalf("sign in: %d %s %s", res.Status, res.Header.Get("Location"), res.Body)
	}
	after := b.cookies["__Host-dashboard"].Value
	if after == before {
		t.Fatal("the session id did not change at sign-in")
	}
	list := b.do("GET", "/dashboard/payments", nil)
	if list.Status != 200 || !strings.Contains(testID(t, list, "dashboard-user").Text(), web.DemoDashboardEmail) {
		t.Fatalf("payments: %d %s", list.Status, list.Body)
	}
	if res := b.do("GET", "/dashboard/sign-in", nil); res.Status != http.StatusSeeOther {
		t.Errorf("the sign-in page, signed in: %d", res.Status)
	}

	// Sign out: a POST with the page's token.
	if res := b.do("POST", "/dashboard/sign-out", url.Values{"form_token": {"x.y"}}); res.Status != http.StatusForbidden {
		t.Errorf("sign-out without its token: %d", res.Status)
	}
	if res := b.do("GET", "/dashboard/payments", nil); res.Status != 200 {
		t.Fatalf("a refused sign-out signed out: %d", res.Status)
	}
	copied := *b.cookies["__Host-dashboard"]
	res = b.do("POST", "/dashboard/sign-out", url.Values{"form_token": {b.token(list)}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in?m=signed_out" {
		t.Fatalf("sign out: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := b.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", res.Status)
	}
	// A copy of the cookie taken before sign-out signs nobody in.
	thief := newDashBrowser(t, app)
	thief.cookies[copied.Name] = &copied
	if res := thief.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in?m=expired" {
		t.Fatalf("the cookie copied before sign-out: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := b.do("GET", "/dashboard/sign-in?m=signed_out", nil); testID(t, res, "dashboard-notice").Text() != "You have signed out." {
		t.Errorf("notice %q", testID(t, res, "dashboard-notice").Text())
	}
}

// TestDashboardLockout: five wrong passwords for an email lock it for 15
// minutes (even the right password is then refused, 429), and an email no
// account has answers the same, attempt for attempt; twenty failures from
// one address lock the address for every email.
func TestDashboardLockout(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	app := dashApp(t, func(c *web.Config) { c.Now = clock.Now })
	attempts := func(email string, n int) (statuses []int, texts []string) {
		b := newDashBrowser(t, app)
		for range n {
			res := b.signIn(email, "wrong password!")
			statuses = append(statuses, res.Status)
			texts = append(texts, testID(t, res, "dashboard-error").Text())
		}
		return
	}
	realS, realT := attempts(web.DemoDashboardEmail, 6)
	noneS, noneT := attempts("nobody@example.com", 6)
	if fmt.Sprint(realS) != "[401 401 401 401 401 429]" || fmt.Sprint(noneS) != fmt.Sprint(realS) ||
		strings.Join(realT, "|") != strings.Join(noneT, "|") {
		t.Fatalf("an account: %v %q; no account: %v %q", realS, realT, noneS, noneT)
	}
	if !strings.Contains(realT[5], "15 minutes") {
		t.Errorf("locked message %q", realT[5])
	}
	b := newDashBrowser(t, app)
	if res := b.signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the right password while locked: %d", res.Status)
	}
	clock.Add(15*time.Minute + time.Second)
	if res := b.signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d %s", res.Status, testID(t, res, "dashboard-error").Text())
	}

	// The address: 20 failures over many emails, then a new email is locked too.
	for i := range 20 {
		if s, _ := attempts("user"+strconv.Itoa(i)+"@example.com", 1); s[0] != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, s[0])
		}
	}
	if s, _ := attempts("fresh@example.com", 1); s[0] != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from one address: %d", s[0])
	}
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestDashboardSessionsEnd: a session ends after 12 hours without a
// request (not while requests keep coming), every session of a user ends
// when the password changes, and when the user is removed.
func TestDashboardSessionsEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	app := dashApp(t, func(c *web.Config) { c.Now = clock.Now })
	b := newDashBrowser(t, app)
	if res := b.signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.Status)
	}
	for range 3 {
		clock.Add(11 * time.Hour)
		if res := b.do("GET", "/dashboard/payments", nil); res.Status != 200 {
			t.Fatalf("a request 11 h after the last: %d", res.Status)
		}
	}
	clock.Add(12*time.Hour + time.Minute)
	if res := b.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/sign-in?m=expired" {
		t.Fatalf("12 h idle: %d %s", res.Status, res.Header.Get("Location"))
	}

	laptop, phone := newDashBrowser(t, app), newDashBrowser(t, app)
	for _, d := range []*dashBrowser{laptop, phone} {
		if res := d.signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.Status)
		}
	}
	const fresh = "an entirely new passphrase"
	if _, err := app.Service.ChangeDashboardPassword(context.Background(), web.DemoMerchantID, web.DemoDashboardEmail, fresh, "test"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*dashBrowser{laptop, phone} {
		if res := d.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("after a password change: %d", res.Status)
		}
	}
	if res := laptop.signIn(web.DemoDashboardEmail, fresh); res.Status != http.StatusSeeOther {
		t.Fatalf("the new password: %d", res.Status)
	}
	// A removed user's sessions end with them.
	if _, err := app.Service.RemoveDashboardUser(context.Background(), web.DemoMerchantID, web.DemoDashboardEmail, "test"); err != nil {
		t.Fatal(err)
	}
	if res := laptop.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("after the user's removal: %d", res.Status)
	}
}

// TestDashboardPaymentsList: the list shows the merchant's sessions (and
// no other merchant's), finds one by order reference or customer email,
// filters by status, pages with cursors, and answers a filter it cannot
// use with an inline error, not a 500.
func TestDashboardPaymentsList(t *testing.T) {
	app := dashApp(t)
	var ids []string
	for i := range 30 {
		s := validSession()
		s["merchant_reference"] = "order-" + strconv.Itoa(i)
		s["customer"] = map[string]any{"email": "shopper" + strconv.Itoa(i) + "@example.com"}
		ids = append(ids, mustCreateSession(t, app, s)["id"].(string))
	}
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	first := b.do("GET", "/dashboard/payments", nil)
	if n := testID(t, first, "sessions-table").Find("tbody tr").Length(); n != 25 {
		t.Fatalf("first page: %d rows", n)
	}
	if testID(t, first, "session-row-"+ids[29]).Length() != 1 || testID(t, first, "sessions-newer").Length() != 0 {
		t.Fatal("the first page does not start with the newest session")
	}
	older, _ := testID(t, first, "sessions-older").Attr("href")
	second := b.do("GET", older, nil)
	if n := testID(t, second, "sessions-table").Find("tbody tr").Length(); n < 5 || testID(t, second, "session-row-"+ids[0]).Length() != 1 {
		t.Fatalf("second page: %d rows", n)
	}
	newer, _ := testID(t, second, "sessions-newer").Attr("href")
	if back := b.do("GET", newer, nil); testID(t, back, "session-row-"+ids[29]).Length() != 1 {
		t.Fatalf("back to the newest: %s", newer)
	}
	for q, want := range map[string]string{"order-7": ids[7], "Shopper12@Example.com": ids[12]} {
		res := b.do("GET", "/dashboard/payments?q="+url.QueryEscape(q), nil)
		rows := testID(t, res, "sessions-table").Find("tbody tr")
		if rows.Length() != 1 || testID(t, res, "session-row-"+want).Length() != 1 {
			t.Errorf("search %q: %d rows", q, rows.Length())
		}
	}
	if res := b.do("GET", "/dashboard/payments?status=paid", nil); testID(t, res, "sessions-empty").Length() != 1 {
		t.Error("nothing is paid, yet the paid filter lists sessions")
	}
	if res := b.do("GET", "/dashboard/payments?status=open", nil); testID(t, res, "sessions-table").Find("tbody tr").Length() != 25 {
		t.Error("the open filter")
	}
	for _, bad := range []string{"status=nope", "after=cs_nope", "after=" + ids[0] + "&before=" + ids[1], "q=" + strings.Repeat("x", 300),
		"after=cs_" + strings.Repeat("a", 32)} {
		res := b.do("GET", "/dashboard/payments?"+bad, nil)
		if res.Status >= 500 || res.Status < 400 || testID(t, res, "dashboard-error").Length() != 1 {
			t.Errorf("%s: %d", bad, res.Status)
		}
	}
	// Another merchant's sessions are not listed.
	_, otherKey := mustOtherMerchant(t, app)
	other := api(t, app, "POST", "/v1/checkout/sessions", validSession(), "Authorization", "Bearer "+otherKey).JSON(t)["id"].(string)
	if res := b.do("GET", "/dashboard/payments?q=", nil); bytes.Contains(res.Body, []byte(other)) {
		t.Fatal("another merchant's session is listed")
	}
}

// mustOtherMerchant creates a second test merchant and returns its id and
// secret key.
func mustOtherMerchant(t *testing.T, app *web.App) (id, key string) {
	t.Helper()
	key = checkout.NewSecretKey(false)
	m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Other shop", APIKeyHash: checkout.HashAPIKey(key),
		DefaultProvider: "payorder", CreatedAt: time.Now(), ReturnOrigins: []string{"https://shop.test"}, ReturnSecret: checkout.NewReturnSecret()}
	if err := app.Store.SaveMerchant(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m.ID, key
}

// TestDashboardSessionPage: a paid and partly refunded Worldline payment's
// page shows its summary, the card (brand and last 4), 3-D Secure's result,
// the refund, and its timeline in order (creation, the submit, the provider
// calls with their latency, the status change, the refund) with the
// webhooks the steps sent and their delivery, which an admin (not
// support) sends again; another merchant's session, and one that does not
// exist, are 404s.
func TestDashboardSessionPage(t *testing.T) {
	app := dashApp(t)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hooks.Close()
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": hooks.URL, "enabled_events": []string{"payment.succeeded"}}); res.Status != 201 {
		t.Fatalf("endpoint: %d %s", res.Status, res.Body)
	}
	sid, pid := payWorldline(t, app, "automatic", "4242424242424242")
	if res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", map[string]any{"amount": 500}); res.Status != 201 {
		t.Fatalf("refund: %d %s", res.Status, res.Body)
	}
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	list := b.do("GET", "/dashboard/payments", nil)
	href, _ := testID(t, list, "session-link-"+sid).Attr("href")
	if href != "/dashboard/payments/"+sid {
		t.Fatalf("the list links the session to %q", href)
	}
	var page response
	deadline := time.Now().Add(10 * time.Second)
	for {
		page = b.do("GET", href, nil)
		if page.Status != 200 {
			t.Fatalf("session page: %d %s", page.Status, page.Body)
		}
		if testID(t, page, "webhook-deliveries").Find(`tr[data-status="succeeded"]`).Length() > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for id, want := range map[string]string{"detail-session": sid, "detail-reference": "ORDER-1", "detail-payment": pid,
		"detail-card": "visa ending in 4242", "detail-refunded": "€5.00", "detail-payment-status": "Paid"} {
		// (Placeholders are isolated from the text's direction: FSI … PDI.)
		got := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(strings.TrimSpace(testID(t, page, id).Text()))
		if !strings.EqualFold(got, want) {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	var kinds []string
	testID(t, page, "timeline-event").Each(func(_ int, s *goquery.Selection) { kinds = append(kinds, s.AttrOr("data-kind", "")) })
	got := strings.Join(kinds, " ")
	for _, want := range []string{"session.created", "payment.submitted", "provider.call", "payment.status_changed", "webhook.sent", "refund.created"} {
		if !strings.Contains(got, want) {
			t.Errorf("the timeline %q has no %s", got, want)
		}
	}
	if strings.Index(got, "session.created") != 0 || strings.Index(got, "payment.submitted") > strings.Index(got, "refund.created") {
		t.Errorf("the timeline is out of order: %s", got)
	}
	calls := testID(t, page, "timeline-event").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.AttrOr("data-kind", "") == "provider.call" })
	if calls.Length() == 0 || !strings.Contains(calls.First().Text(), "Took ") || !strings.Contains(calls.First().Text(), "worldline") {
		t.Errorf("a provider call: %q", calls.First().Text())
	}
	if testID(t, page, "webhook-deliveries").Find(`tr[data-status="succeeded"]`).Length() != 1 {
		t.Errorf("the webhook's delivery: %s", testID(t, page, "webhook-deliveries").Text())
	}
	// The card number, and the security code as a value of its own (not
	// by chance inside a random id or a hash).
	if bytes.Contains(page.Body, []byte("4242424242424242")) || regexp.MustCompile(`(^|[^A-Za-z0-9+/=_-])737([^A-Za-z0-9+/=_-]|$)`).Match(page.Body) {
		t.Error("the page shows the card number or the security code")
	}

	// Send the webhook again: an admin's button; it is delivered again.
	row := testID(t, page, "webhook-deliveries").Find(`tr[data-status="succeeded"]`)
	delivery := strings.TrimPrefix(row.AttrOr("data-testid", ""), "delivery-")
	if testID(t, page, "redeliver-"+delivery).Length() != 1 {
		t.Fatalf("no redeliver button for %s", delivery)
	}
	res := b.do("POST", href+"/deliveries/"+delivery+"/redeliver", url.Values{"form_token": {b.token(page)}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != href+"?done=redeliver" {
		t.Fatalf("redeliver: %d %s", res.Status, res.Header.Get("Location"))
	}
	if n := testID(t, b.do("GET", res.Header.Get("Location"), nil), "action-notice").Length(); n != 1 {
		t.Error("no notice after redelivering")
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		again := b.do("GET", href, nil)
		if n, _ := strconv.Atoi(strings.TrimSpace(testID(t, again, "delivery-"+delivery).Find("td").Eq(3).Text())); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was not delivered again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res := b.do("POST", href+"/deliveries/whd_"+strings.Repeat("a", 32)+"/redeliver", url.Values{"form_token": {b.token(page)}}); res.Status != http.StatusNotFound {
		t.Errorf("redeliver of no delivery: %d", res.Status)
	}
	if _, _, err := app.Service.CreateDashboardUser(context.Background(), checkout.NewDashboardUser{MerchantID: web.DemoMerchantID,
		Email: "support@example.com", Role: checkout.RoleSupport, Password: dashPassword}); err != nil {
		t.Fatal(err)
	}
	support := newDashBrowser(t, app)
	support.signIn("support@example.com", dashPassword)
	sp := support.do("GET", href, nil)
	if testID(t, sp, "redeliver-"+delivery).Length() != 0 {
		t.Error("support is offered to redeliver")
	}
	if res := support.do("POST", href+"/deliveries/"+delivery+"/redeliver", url.Values{"form_token": {support.token(sp)}}); res.Status != http.StatusForbidden {
		t.Errorf("support's redeliver: %d", res.Status)
	}

	// Another merchant's session, a session that does not exist, garbage.
	_, otherKey := mustOtherMerchant(t, app)
	other := api(t, app, "POST", "/v1/checkout/sessions", validSession(), "Authorization", "Bearer "+otherKey).JSON(t)["id"].(string)
	for _, path := range []string{"/dashboard/payments/" + other, "/dashboard/payments/cs_" + strings.Repeat("a", 32), "/dashboard/payments/nope",
		"/dashboard/payments/" + sid + "?after=nope"} {
		if res := b.do("GET", path, nil); res.Status != http.StatusNotFound && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", path, res.Status)
		} else if bytes.Contains(res.Body, []byte(other)) && path != "/dashboard/payments/"+other {
			t.Errorf("%s shows another merchant's session", path)
		}
	}
	if res := b.do("GET", "/dashboard/payments/"+other, nil); res.Status != http.StatusNotFound {
		t.Errorf("another merchant's session: %d", res.Status)
	}
}

// confirmAction posts an action's form, checks the confirmation page it
// gets, and answers Yes (twice, as a double click does); it returns the
// answer to the first Yes.
func (b *dashBrowser) confirmAction(path string, form url.Values, wantQuestion string) response {
	b.t.Helper()
	from := path[:strings.LastIndex(path, "/")]
	for _, list := range []string{"/dashboard/users", "/dashboard/webhooks"} {
		if strings.HasPrefix(path, list+"/") {
			from = list
		}
	}
	page := b.do("GET", from, nil)
	form.Set("form_token", b.token(page))
	confirm := b.do("POST", path, form)
	question := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(testID(b.t, confirm, "confirm-question").Text())
	if confirm.Status != 200 || !strings.Contains(question, wantQuestion) {
		b.t.Fatalf("%s: %d %q", path, confirm.Status, testID(b.t, confirm, "confirm-question").Text())
	}
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(confirm.Body))
	yes := url.Values{}
	doc.Find(`[data-testid="confirm"] form input`).Each(func(_ int, s *goquery.Selection) { yes.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	first := b.do("POST", path, yes)
	if again := b.do("POST", path, yes); again.Status != first.Status {
		b.t.Errorf("%s: a second Yes: %d, the first %d", path, again.Status, first.Status)
	} else if secret := testID(b.t, again, "endpoint-secret").AttrOr("value", ""); secret != testID(b.t, first, "endpoint-secret").AttrOr("value", "") {
		b.t.Errorf("%s: a second Yes made another secret", path)
	}
	return first
}

// TestDashboardActions: an admin captures an authorized payment and
// refunds part of it, each after confirming, each once however often Yes
// is pressed, each recorded with the user in the timeline (the page's and
// the API's); a support user refunds but may not capture or cancel; an
// amount that cannot be refunded is an inline error; a form without its
// token changes nothing.
func TestDashboardActions(t *testing.T) {
	app := dashApp(t)
	ctx := context.Background()
	const supportEmail = "help@example.com"
	if _, _, err := app.Service.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: web.DemoMerchantID, Email: supportEmail,
		Role: checkout.RoleSupport, Password: dashPassword}); err != nil {
		t.Fatal(err)
	}
	sid, pid := payWorldline(t, app, "manual", "4242424242424242")
	page := "/dashboard/payments/" + sid
	admin, support := newDashBrowser(t, app), newDashBrowser(t, app)
	admin.signIn(web.DemoDashboardEmail, dashPassword)
	support.signIn(supportEmail, dashPassword)

	// Support sees no capture or cancel, and may not post them.
	sp := support.do("GET", page, nil)
	if testID(t, sp, "capture-submit").Length()+testID(t, sp, "cancel-submit").Length()+testID(t, sp, "refund-submit").Length() != 0 {
		t.Fatal("support is offered actions on an authorized payment")
	}
	for _, action := range []string{"capture", "cancel"} {
		if res := support.do("POST", page+"/"+action, url.Values{"form_token": {support.token(sp)}, "confirm": {"yes"}, "key": {strings.Repeat("k", 20)}}); res.Status != http.StatusForbidden {
			t.Errorf("support %s: %d", action, res.Status)
		}
	}
	if res := admin.do("POST", page+"/capture", url.Values{"confirm": {"yes"}, "key": {strings.Repeat("k", 20)}}); res.Status != http.StatusForbidden {
		t.Errorf("a capture without its form token: %d", res.Status)
	}
	if got := api(t, app, "GET", "/v1/payments/"+pid, nil).JSON(t)["status"]; got != "authorized" {
		t.Fatalf("after refused captures: %v", got)
	}

	ap := admin.do("GET", page, nil)
	if testID(t, ap, "capture-submit").Length() != 1 || testID(t, ap, "cancel-submit").Length() != 1 || testID(t, ap, "refund-submit").Length() != 0 {
		t.Fatal("an admin's actions on an authorized payment")
	}
	res := admin.confirmAction(page+"/capture", url.Values{}, "Capture €25.00")
	if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?done=capture&answer=captured") {
		t.Fatalf("capture: %d %s", res.Status, res.Header.Get("Location"))
	}
	after := admin.do("GET", res.Header.Get("Location"), nil)
	if !strings.Contains(testID(t, after, "action-notice").Text(), "captured") {
		t.Errorf("notice %q", testID(t, after, "action-notice").Text())
	}

	// Refund: bad amounts are inline errors, then 5.00 once.
	for _, bad := range []string{"0", "abc", "25.01", "5.001", "-1", ""} {
		res := admin.do("POST", page+"/refund", url.Values{"form_token": {admin.token(after)}, "amount": {bad}})
		if res.Status != http.StatusUnprocessableEntity || testID(t, res, "refund-error").Length() != 1 {
			t.Errorf("refund %q: %d", bad, res.Status)
		}
	}
	res = admin.confirmAction(page+"/refund", url.Values{"amount": {"5.00"}}, "Refund €5.00")
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "done=refund") {
		t.Fatalf("refund: %d %s", res.Status, res.Header.Get("Location"))
	}
	res = support.confirmAction(page+"/refund", url.Values{"amount": {"1"}}, "Refund €1.00")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("support's refund: %d %s", res.Status, res.Body)
	}
	refunds := api(t, app, "GET", "/v1/refunds?payment="+pid, nil).JSON(t)["data"].([]any)
	if len(refunds) != 2 {
		t.Fatalf("%d refunds, want 2 (two Yes each make one)", len(refunds))
	}

	// Who did what: on the page and through the API.
	story := admin.do("GET", page, nil)
	var by []string
	testID(t, story, "timeline-actor").Each(func(_ int, s *goquery.Selection) { by = append(by, s.Text()) })
	joined := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(strings.Join(by, "|"))
	if !strings.Contains(joined, "By "+web.DemoDashboardEmail) || !strings.Contains(joined, "By "+supportEmail) {
		t.Errorf("the timeline's actors: %q", joined)
	}
	tl := api(t, app, "GET", "/v1/checkout/sessions/"+sid+"/timeline", nil).JSON(t)["data"].([]any)
	actors := map[string]string{}
	for _, e := range tl {
		m := e.(map[string]any)
		if a, ok := m["actor"].(map[string]any); ok {
			key := m["kind"].(string)
			if op, ok := m["operation"].(string); ok {
				key += "/" + op
			}
			actors[key+"/"+a["email"].(string)] = a["type"].(string)
		}
	}
	for _, want := range []string{"provider.call/capture/" + web.DemoDashboardEmail, "refund.created/" + web.DemoDashboardEmail,
		"refund.created/" + supportEmail} {
		if actors[want] != "dashboard_user" {
			t.Errorf("the API timeline has no %s: %v", want, actors)
		}
	}

	// Cancel, on another authorized payment.
	sid2, pid2 := payWorldline(t, app, "manual", "4242424242424242")
	res = admin.confirmAction("/dashboard/payments/"+sid2+"/cancel", url.Values{}, "Cancel this authorization")
	if res.Status != http.StatusSeeOther || api(t, app, "GET", "/v1/payments/"+pid2, nil).JSON(t)["status"] != "canceled" {
		t.Fatalf("cancel: %d %s", res.Status, res.Header.Get("Location"))
	}
	// Nothing left to do on a canceled payment: a capture now is a conflict.
	res = admin.do("POST", "/dashboard/payments/"+sid2+"/capture", url.Values{"form_token": {admin.token(admin.do("GET", "/dashboard/payments/"+sid2, nil))}})
	if res.Status != http.StatusConflict || testID(t, res, "dashboard-error").Length() != 1 {
		t.Errorf("capture of a canceled payment: %d", res.Status)
	}
}

// TestDashboardPaymentLinks: a payment link made in the dashboard is a
// checkout session with what the form said (amount, currency, the item,
// reference, customer, methods, expiry, return address), shown as its URL
// and a QR code drawn as SVG; the customer pays at it and the payment is
// in the list; a form the API would refuse is refused at the field, with
// nothing created.
func TestDashboardPaymentLinks(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	form := b.do("GET", "/dashboard/links", nil)
	if form.Status != 200 || testID(t, form, "create-link").Length() != 1 || testID(t, form, "nav-links").AttrOr("aria-current", "") != "page" {
		t.Fatalf("links page: %d", form.Status)
	}
	good := url.Values{"amount": {"42.50"}, "currency": {"EUR"}, "description": {"Phone order: 2 bags of beans"}, "reference": {"PHONE-7"},
		"email": {"caller@example.com"}, "expiry": {"7d"}, "methods": {"card"}, "return_url": {"https://shop.test/thanks"}}
	before := len(api(t, app, "GET", "/v1/checkout/sessions?limit=100", nil).JSON(t)["data"].([]any))
	for field, bad := range map[string]string{"amount": "abc", "currency": "XXX", "return_url": "http://shop.test/thanks", "email": "not-an-email", "expiry": "99d"} {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		f.Set(field, bad)
		f.Set("form_token", b.token(form))
		res := b.do("POST", "/dashboard/links", f)
		if res.Status != http.StatusUnprocessableEntity || testID(t, res, "dashboard-error").Length() != 1 || testID(t, res, "link-url").Length() != 0 {
			t.Errorf("%s=%q: %d", field, bad, res.Status)
		}
		if v, _ := testID(t, res, "link-description").Attr("value"); v != good.Get("description") {
			t.Errorf("%s refused: the description typed is not kept (%q)", field, v)
		}
	}
	if after := len(api(t, app, "GET", "/v1/checkout/sessions?limit=100", nil).JSON(t)["data"].([]any)); after != before {
		t.Fatalf("refused links created %d sessions", after-before)
	}
	good.Set("form_token", b.token(form))
	res := b.do("POST", "/dashboard/links", good)
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	link, _ := testID(t, res, "link-url").Attr("value")
	if !strings.HasPrefix(link, app.URL+"/c/cs_") {
		t.Fatalf("link %q", link)
	}
	sid := strings.TrimPrefix(link, app.URL+"/c/")
	if path := testID(t, res, "link-qr").Find("path").AttrOr("d", ""); strings.Count(path, "h1v1h-1z") < 100 {
		t.Fatalf("the QR code has %d modules", strings.Count(path, "h1v1h-1z"))
	}
	s := api(t, app, "GET", "/v1/checkout/sessions/"+sid, nil).JSON(t)
	expires := int64(s["expires_at"].(float64)) - int64(s["created_at"].(float64))
	if s["amount"] != float64(4250) || s["currency"] != "EUR" || s["merchant_reference"] != "PHONE-7" || s["success_url"] != "https://shop.test/thanks" ||
		s["customer"].(map[string]any)["email"] != "caller@example.com" || expires < 7*24*3600-60 || expires > 7*24*3600+60 ||
		fmt.Sprint(s["payment_methods"]) != "[card]" || s["line_items"].([]any)[0].(map[string]any)["name"] != "Phone order: 2 bags of beans" {
		t.Fatalf("the link's session: %v", s)
	}
	// The customer pays at the link.
	if page := do(t, "GET", link, nil); page.Status != 200 {
		t.Fatalf("the link: %d", page.Status)
	}
	payCard(t, app, sid, "4242424242424242")
	list := b.do("GET", "/dashboard/payments?q=PHONE-7", nil)
	if row := testID(t, list, "session-row-"+sid); row.AttrOr("data-payment-status", "") != "paid" {
		t.Fatalf("the link's payment in the list: %q", row.AttrOr("data-payment-status", ""))
	}
}

// TestDashboardUsersPage: an admin adds a user (a generated password shown
// once, which signs them in), is refused a bad or taken email, removes the
// user after a confirmation (their session ends), cannot remove
// themselves or another merchant's user, and reads who did what in the
// history; support has no such page.
func TestDashboardUsersPage(t *testing.T) {
	app := dashApp(t)
	ctx := context.Background()
	admin := newDashBrowser(t, app)
	admin.signIn(web.DemoDashboardEmail, dashPassword)
	page := admin.do("GET", "/dashboard/users", nil)
	if page.Status != 200 || testID(t, page, "nav-users").Length() != 1 {
		t.Fatalf("users page: %d", page.Status)
	}
	add := func(email, role string) response {
		return admin.do("POST", "/dashboard/users", url.Values{"form_token": {admin.token(page)}, "email": {email}, "role": {role}})
	}
	for email, want := range map[string]string{"not an email": "valid email", web.DemoDashboardEmail: "already has"} {
		res := add(email, "support")
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(testID(t, res, "dashboard-error").Text(), want) {
			t.Errorf("add %q: %d %q", email, res.Status, testID(t, res, "dashboard-error").Text())
		}
	}
	res := add("New.Support@Example.com", "support")
	password, _ := testID(t, res, "user-password").Attr("value")
	if res.Status != http.StatusCreated || len(password) < 20 {
		t.Fatalf("add: %d %q", res.Status, password)
	}
	added, err := app.Store.DashboardUserByEmail(ctx, "new.support@example.com")
	if err != nil || added.Role != checkout.RoleSupport || added.MerchantID != web.DemoMerchantID {
		t.Fatalf("added user: %+v %v", added, err)
	}
	support := newDashBrowser(t, app)
	if res := support.signIn("new.support@example.com", password); res.Status != http.StatusSeeOther {
		t.Fatalf("the new user's sign-in: %d", res.Status)
	}
	sp := support.do("GET", "/dashboard/payments", nil)
	if testID(t, sp, "nav-users").Length() != 0 {
		t.Error("support is offered the users page")
	}
	if res := support.do("GET", "/dashboard/users", nil); res.Status != http.StatusForbidden {
		t.Errorf("support's users page: %d", res.Status)
	}
	if res := support.do("POST", "/dashboard/users", url.Values{"form_token": {support.token(sp)}, "email": {"x@example.com"}}); res.Status != http.StatusForbidden {
		t.Errorf("support adds a user: %d", res.Status)
	}

	// Remove: not oneself, not another merchant's user; the new one, confirmed.
	me, _ := app.Store.DashboardUserByEmail(ctx, web.DemoDashboardEmail)
	if res := admin.do("POST", "/dashboard/users/"+me.ID+"/remove", url.Values{"form_token": {admin.token(page)}}); res.Status != http.StatusConflict {
		t.Errorf("removing oneself: %d", res.Status)
	}
	otherMerchant, _ := mustOtherMerchant(t, app)
	stranger, _, err := app.Service.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: otherMerchant, Email: "stranger@example.com", Password: dashPassword})
	if err != nil {
		t.Fatal(err)
	}
	if res := admin.do("POST", "/dashboard/users/"+stranger.ID+"/remove", url.Values{"form_token": {admin.token(page)}, "confirm": {"yes"}, "key": {strings.Repeat("k", 20)}}); res.Status != http.StatusNotFound {
		t.Errorf("removing another merchant's user: %d", res.Status)
	}
	res = admin.confirmAction("/dashboard/users/"+added.ID+"/remove", url.Values{}, "Remove new.support@example.com")
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/users?done=removed" {
		t.Fatalf("remove: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := support.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther {
		t.Errorf("a removed user's session: %d", res.Status)
	}
	history := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(testID(t, admin.do("GET", "/dashboard/users", nil), "users-history").Text())
	for _, want := range []string{"new.support@example.com removed by " + web.DemoDashboardEmail, "new.support@example.com added by " + web.DemoDashboardEmail,
		web.DemoDashboardEmail + " added by sandbox"} {
		if !strings.Contains(history, want) {
			t.Errorf("the history %q has no %q", history, want)
		}
	}
	if strings.Contains(history, password) {
		t.Error("the history shows a password")
	}
}

// TestDashboardChangePassword: a person changes their password with the
// current one and the new one twice; this browser stays signed in, every
// other session of theirs ends, the old password no longer signs in, and
// the change is in the history. Wrong current passwords count as failed
// sign-ins of the account.
func TestDashboardChangePassword(t *testing.T) {
	app := dashApp(t)
	here, there := newDashBrowser(t, app), newDashBrowser(t, app)
	here.signIn(web.DemoDashboardEmail, dashPassword)
	there.signIn(web.DemoDashboardEmail, dashPassword)
	page := here.do("GET", "/dashboard/account", nil)
	if page.Status != 200 || testID(t, page, "account-submit").Length() != 1 {
		t.Fatalf("account page: %d", page.Status)
	}
	const fresh = "a brand new passphrase"
	change := func(current, next, repeat string) response {
		return here.do("POST", "/dashboard/account", url.Values{"form_token": {here.token(page)}, "current": {current}, "new": {next}, "repeat": {repeat}})
	}
	for _, c := range [][4]string{{"wrong password!", fresh, fresh, "not right"}, {dashPassword, "short", "short", "at least 12"},
		{dashPassword, fresh, fresh + "x", "not the same"}} {
		res := change(c[0], c[1], c[2])
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(testID(t, res, "dashboard-error").Text(), c[3]) {
			t.Errorf("%v: %d %q", c, res.Status, testID(t, res, "dashboard-error").Text())
		}
	}
	res := change(dashPassword, fresh, fresh)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/account?done=changed" {
		t.Fatalf("change: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := here.do("GET", "/dashboard/payments", nil); res.Status != 200 {
		t.Fatalf("this browser after the change: %d", res.Status)
	}
	if res := there.do("GET", "/dashboard/payments", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("the other session after the change: %d", res.Status)
	}
	if res := newDashBrowser(t, app).signIn(web.DemoDashboardEmail, dashPassword); res.Status != http.StatusUnauthorized {
		t.Errorf("the old password: %d", res.Status)
	}
	if res := newDashBrowser(t, app).signIn(web.DemoDashboardEmail, fresh); res.Status != http.StatusSeeOther {
		t.Errorf("the new password: %d", res.Status)
	}
	history := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(testID(t, here.do("GET", "/dashboard/users", nil), "users-history").Text())
	if !strings.Contains(history, "Password of "+web.DemoDashboardEmail+" changed by "+web.DemoDashboardEmail) {
		t.Errorf("history %q", history)
	}
	// Wrong current passwords lock the account like failed sign-ins.
	page = here.do("GET", "/dashboard/account", nil)
	var last int
	for range 6 {
		last = change("wrong password!", "another long passphrase", "another long passphrase").Status
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the sixth wrong current password: %d", last)
	}
}

// TestDashboardWebhooksPage: an admin adds an endpoint (its signing secret
// shown once), is refused a bad address, turns it off and on, makes it a
// new secret and deletes it, each confirmed where it says so; the delivery
// log lists and filters the deliveries; support has no such page.
func TestDashboardWebhooksPage(t *testing.T) {
	app := dashApp(t)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hooks.Close()
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	page := b.do("GET", "/dashboard/webhooks", nil)
	if page.Status != 200 || testID(t, page, "nav-webhooks").AttrOr("aria-current", "") != "page" {
		t.Fatalf("webhooks page: %d", page.Status)
	}
	if res := b.do("POST", "/dashboard/webhooks", url.Values{"form_token": {b.token(page)}, "url": {"not a url"}, "events": {"*"}}); res.Status != http.StatusUnprocessableEntity ||
		testID(t, res, "dashboard-error").Length() != 1 {
		t.Fatalf("a bad address: %d", res.Status)
	}
	res := b.do("POST", "/dashboard/webhooks", url.Values{"form_token": {b.token(page)}, "url": {hooks.URL}, "events": {"payment.succeeded"}})
	secret, _ := testID(t, res, "endpoint-secret").Attr("value")
	if res.Status != http.StatusCreated || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("add: %d %q", res.Status, secret)
	}
	var id string
	for _, e := range api(t, app, "GET", "/v1/webhook_endpoints", nil).JSON(t)["data"].([]any) {
		if m := e.(map[string]any); m["url"] == hooks.URL {
			id = m["id"].(string)
		}
	}
	if id == "" || testID(t, res, "endpoint-row-"+id).AttrOr("data-enabled", "") != "true" {
		t.Fatalf("the endpoint %q is not listed on", id)
	}
	if res := b.do("POST", "/dashboard/webhooks/"+id+"/toggle", url.Values{"form_token": {b.token(page)}}); res.Status != http.StatusSeeOther {
		t.Fatalf("toggle: %d", res.Status)
	}
	if row := testID(t, b.do("GET", "/dashboard/webhooks", nil), "endpoint-row-"+id); row.AttrOr("data-enabled", "") != "false" {
		t.Fatal("the endpoint is still on")
	}
	b.do("POST", "/dashboard/webhooks/"+id+"/toggle", url.Values{"form_token": {b.token(page)}})

	// A paid payment's webhook shows in the log; the filter keeps it or not.
	payWorldline(t, app, "automatic", "4242424242424242")
	deadline := time.Now().Add(10 * time.Second)
	for testID(t, b.do("GET", "/dashboard/webhooks?outcome=succeeded", nil), "deliveries-table").Find(`tr[data-status="succeeded"]`).Length() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no delivered webhook in the log")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res := b.do("GET", "/dashboard/webhooks?outcome=failed", nil); testID(t, res, "deliveries-empty").Length() != 1 {
		t.Error("the failed filter lists deliveries")
	}
	if res := b.do("GET", "/dashboard/webhooks?outcome=nope", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bad filter: %d", res.Status)
	}

	// A new secret, confirmed, then delete, confirmed.
	rotated := b.confirmAction("/dashboard/webhooks/"+id+"/rotate", url.Values{}, "Make a new signing secret for "+hooks.URL)
	if fresh, _ := testID(t, rotated, "endpoint-secret").Attr("value"); rotated.Status != 200 || !strings.HasPrefix(fresh, "whsec_") || fresh == secret {
		t.Fatalf("rotate: %d %q", rotated.Status, fresh)
	}
	deleted := b.confirmAction("/dashboard/webhooks/"+id+"/delete", url.Values{}, "Delete the endpoint "+hooks.URL)
	if deleted.Status != http.StatusSeeOther || testID(t, b.do("GET", "/dashboard/webhooks", nil), "endpoint-row-"+id).Length() != 0 {
		t.Fatalf("delete: %d", deleted.Status)
	}
	if res := b.do("POST", "/dashboard/webhooks/we_"+strings.Repeat("a", 32)+"/toggle", url.Values{"form_token": {b.token(page)}}); res.Status != http.StatusNotFound {
		t.Errorf("toggle of no endpoint: %d", res.Status)
	}

	if _, _, err := app.Service.CreateDashboardUser(context.Background(), checkout.NewDashboardUser{MerchantID: web.DemoMerchantID,
		Email: "support@example.com", Role: checkout.RoleSupport, Password: dashPassword}); err != nil {
		t.Fatal(err)
	}
	support := newDashBrowser(t, app)
	support.signIn("support@example.com", dashPassword)
	if res := support.do("GET", "/dashboard/webhooks", nil); res.Status != http.StatusForbidden {
		t.Errorf("support's webhooks page: %d", res.Status)
	}
}
