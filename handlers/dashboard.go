package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers/ratelimit"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// The dashboard's paths.
const (
	DashboardPrefix   = "/dashboard"
	RouteDashSignIn   = "/dashboard/sign-in"
	RouteDashSignOut  = "/dashboard/sign-out"
	RouteDashPayments = "/dashboard/payments"
)

// dashboardCookie holds a dashboard session: host-only, sent over HTTPS
// only (browsers count http://localhost and 127.0.0.1 as secure), never
// to scripts, and not on cross-site subrequests.
const dashboardCookie = "__Host-dashboard"

// Sign-in limits: failed sign-ins per typed email (whether or not an
// account has it, so that a lockout says nothing about which exist) and
// per address, each over a window; past either, sign-in answers 429 for
// the rest of the window without checking the password.
const (
	SignInFailuresPerAccount = 5
	SignInFailuresPerAddress = 20
	SignInWindow             = 15 * time.Minute
)

// Dashboard is the merchant dashboard's sign-in state: its cookie store and
// the failed sign-in counts.
type Dashboard struct {
	// Cookies keeps the signed, encrypted session cookie
	// (NewDashboardCookieStore).
	Cookies *sessions.CookieStore
	// Shared, when set, counts failed sign-ins for every instance (else
	// this process's own Limiter).
	Shared ratelimit.Counter

	failures ratelimit.Limiter
}

func (d *Dashboard) counter() ratelimit.Counter {
	if d.Shared != nil {
		return d.Shared
	}
	return &d.failures
}

// NewDashboardCookieStore is the dashboard's cookie store: values signed
// with hashKey (HMAC-SHA256) and encrypted with blockKey (AES-256), a
// 12-hour lifetime renewed by every request (the idle expiry), SameSite
// Lax so that a link from elsewhere still finds the person signed in, while
// no other site's form or script carries it.
func NewDashboardCookieStore(hashKey, blockKey []byte) *sessions.CookieStore {
	s := sessions.NewCookieStore(hashKey, blockKey)
	s.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	s.MaxAge(int(checkout.DashboardIdle / time.Second))
	return s
}

// dashSession is what the cookie holds: sid, random and new whenever the
// sign-in form is shown and at sign-in, which the forms' tokens are bound
// to; and, signed in, the session's token (the store keeps its hash).
// Between a right password and the code of a user with two-step sign-in,
// it holds the pending sign-in instead of a token (dashboard_totp.go).
type dashSession struct {
	sid   string
	token string
	pendingSignIn
}

func (h *Handlers) dashCookie(c echo.Context) (*sessions.Session, dashSession) {
	// A cookie that does not decode (tampered, another key, too old) is a
	// new, empty session.
	s, _ := h.Dashboard.Cookies.Get(c.Request(), dashboardCookie)
	var d dashSession
	d.sid, _ = s.Values["sid"].(string)
	d.token, _ = s.Values["token"].(string)
	d.pendingSignIn = readPendingSignIn(s.Values)
	return s, d
}

func (h *Handlers) saveDashCookie(c echo.Context, s *sessions.Session, d dashSession) error {
	s.Values = map[any]any{"sid": d.sid}
	if d.token != "" {
		s.Values["token"] = d.token
	}
	d.pendingSignIn.write(s.Values)
	s.Options.MaxAge = int(checkout.DashboardIdle / time.Second)
	return s.Save(c.Request(), c.Response())
}

func (h *Handlers) dashLocale(c echo.Context) *i18n.Locale {
	return i18n.Resolve("", c.Request().Header.Get("Accept-Language"))
}

// dashFormTarget binds a dashboard form's token to the cookie's session id.
func dashFormTarget(sid string) string { return "dashboard\x00" + sid }

// dashUserKey is where RequireDashboardUser leaves the signed-in user.
const dashUserKey = "dashboard_user"

// DashboardUser is the user RequireDashboardUser let through.
func DashboardUser(c echo.Context) *checkout.DashboardUser {
	u, _ := c.Get(dashUserKey).(*checkout.DashboardUser)
	return u
}

// RequireDashboardUser lets through a request of a live dashboard
// session: its token's session exists (not signed out, not ended by a
// password change or the user's removal) and was used within the idle
// expiry. Anything else goes to the sign-in page (a POST too, changing
// nothing). A signed-in POST must carry the form token of its browser.
// Each request renews the cookie and, at most once a minute, the
// session's idle expiry.
func (h *Handlers) RequireDashboardUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		noStore(c)
		s, d := h.dashCookie(c)
		if d.token == "" || d.sid == "" {
			return c.Redirect(http.StatusSeeOther, RouteDashSignIn)
		}
		u, err := h.Service.DashboardSessionUser(ctx(c), d.token)
		if errors.Is(err, checkout.ErrNotFound) {
			// The session is over: forget it.
			if err := h.saveDashCookie(c, s, dashSession{sid: checkout.RandomToken(16)}); err != nil {
				return err
			}
			return c.Redirect(http.StatusSeeOther, RouteDashSignIn+"?m=expired")
		}
		if err != nil {
			return err
		}
		if c.Request().Method == http.MethodPost && !h.Forms.Valid(dashFormTarget(d.sid), c.Request().PostFormValue("form_token")) {
			h.Log.WarnContext(ctx(c), "dashboard form token refused", "path", c.Path(), "ip", c.RealIP())
			return checkout.Errorf(checkout.EForbidden, "This page has expired or was not sent from the dashboard. Go back, reload the page and try again.")
		}
		if err := h.saveDashCookie(c, s, d); err != nil {
			return err
		}
		c.Set(dashUserKey, u)
		c.Set("dashboard_sid", d.sid)
		return next(c)
	}
}

// dashChrome is the header of the signed-in pages.
func (h *Handlers) dashChrome(c echo.Context, current string) templates.DashboardChrome {
	u := DashboardUser(c)
	sid, _ := c.Get("dashboard_sid").(string)
	return templates.DashboardChrome{Email: u.Email, Role: string(u.Role), Current: current, FormToken: h.Forms.Issue(dashFormTarget(sid))}
}

// DashboardHome handles GET /dashboard: the overview.
func (h *Handlers) DashboardHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, RouteDashOverview)
}

// DashboardSignInPage handles GET /dashboard/sign-in: the form (or, for
// someone signed in, the dashboard). It gives the browser a session id of
// its own before sign-in, which the form's token is bound to.
func (h *Handlers) DashboardSignInPage(c echo.Context) error {
	noStore(c)
	s, d := h.dashCookie(c)
	if d.token != "" {
		if _, err := h.Service.DashboardSessionUser(ctx(c), d.token); err == nil {
			return c.Redirect(http.StatusSeeOther, RouteDashOverview)
		}
	}
	l := h.dashLocale(c)
	notice := ""
	switch c.QueryParam("m") {
	case "signed_out":
		notice = l.T("dashboard.sign_in.signed_out")
	case "expired":
		notice = l.T("dashboard.sign_in.expired")
	case "code_expired":
		notice = l.T("dashboard.sign_in.code_expired")
	}
	return h.renderSignIn(c, s, http.StatusOK, "", "", notice)
}

func (h *Handlers) renderSignIn(c echo.Context, s *sessions.Session, status int, email, problem, notice string) error {
	// The browser's pre-sign-in id, kept while it has one (two sign-in
	// tabs both work) and made when it has none or was signed in; sign-in
	// itself always makes a new one.
	_, d := h.dashCookie(c)
	if d.sid == "" || d.token != "" {
		d.sid = checkout.RandomToken(16)
	}
	d.token, d.pendingSignIn = "", pendingSignIn{}
	if err := h.saveDashCookie(c, s, d); err != nil {
		return err
	}
	l := h.dashLocale(c)
	return Render(c, status, templates.DashboardSignIn(templates.DashboardSignInPage{
		Page: templates.Page{Title: l.T("dashboard.title.sign_in"), L: l}, FormToken: h.Forms.Issue(dashFormTarget(d.sid)),
		Email: email, Error: problem, Notice: notice}))
}

// DashboardSignIn handles POST /dashboard/sign-in. A form without the
// token of this browser's sign-in page changes nothing (403). Past the
// failure limits of the typed email or of the address it answers 429
// without checking the password; a wrong email or password gives one
// answer (401) whether the account exists or not. A good one starts a new
// session (a new id) and goes to the dashboard.
func (h *Handlers) DashboardSignIn(c echo.Context) error {
	noStore(c)
	s, d := h.dashCookie(c)
	if d.sid == "" || !h.Forms.Valid(dashFormTarget(d.sid), c.Request().PostFormValue("form_token")) {
		h.Log.WarnContext(ctx(c), "dashboard sign-in form token refused", "ip", c.RealIP())
		return checkout.Errorf(checkout.EForbidden, "This page has expired or was not sent from the dashboard. Go back, reload the page and try again.")
	}
	l := h.dashLocale(c)
	email := strings.TrimSpace(c.Request().PostFormValue("email"))
	password := c.Request().PostFormValue("password")
	shown := email
	if len(shown) > 254 {
		shown = ""
	}
	if email == "" || password == "" {
		return h.renderSignIn(c, s, http.StatusUnprocessableEntity, shown, l.T("dashboard.sign_in.missing"), "")
	}
	now := h.Service.Now()
	keys := signInKeysOf(c, email)
	if blocked, wait := h.Dashboard.blocked(keys, now); blocked {
		h.Log.WarnContext(ctx(c), "dashboard sign-in refused by a limit", "ip", c.RealIP())
		SetRetryAfter(c, wait)
		return h.renderSignIn(c, s, http.StatusTooManyRequests, shown, l.T("dashboard.sign_in.locked"), "")
	}
	u, err := h.Service.SignIn(ctx(c), email, password)
	if checkout.ErrorCodeOf(err) == checkout.EUnauthorized {
		h.Dashboard.failed(keys, now)
		h.Log.InfoContext(ctx(c), "dashboard sign-in failed", "ip", c.RealIP())
		return h.renderSignIn(c, s, http.StatusUnauthorized, shown, l.T("dashboard.sign_in.wrong"), "")
	}
	if err != nil {
		return err
	}
	if u.TOTPEnabled() {
		return h.awaitSignInCode(c, s, u)
	}
	token, err := h.Service.StartDashboardSession(ctx(c), u)
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard sign-in", "user_id", u.ID, "merchant_id", u.MerchantID, "ip", c.RealIP())
	if err := h.saveDashCookie(c, s, dashSession{sid: checkout.RandomToken(16), token: token}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, RouteDashOverview)
}

// DashboardSignOut handles POST /dashboard/sign-out (behind
// RequireDashboardUser, so with its form token): the session is deleted,
// so that a copy of the cookie signs nobody in, and the cookie emptied.
func (h *Handlers) DashboardSignOut(c echo.Context) error {
	s, d := h.dashCookie(c)
	if err := h.Service.EndDashboardSession(ctx(c), d.token); err != nil {
		return err
	}
	s.Values = map[any]any{}
	s.Options.MaxAge = -1
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, RouteDashSignIn+"?m=signed_out")
}

// dashPageSize is how many sessions a page of the list shows.
const dashPageSize = 25

// dashSessionStatuses and dashPaymentStatuses are the status filter's
// choices: a session status or a payment status (no name is both).
var (
	dashSessionStatuses = []string{string(checkout.SessionOpen), string(checkout.SessionComplete), string(checkout.SessionExpired)}
	dashPaymentStatuses = []string{"unpaid", "paid", "authorized", "pending", "failed"}
)

// DashboardPayments handles GET /dashboard/payments: the merchant's checkout
// sessions, newest first, searched by order reference, customer email (a
// text with @) or card last 4 (four digits), filtered by a session or
// payment status, a provider and a range of UTC days, in pages with
// cursors, through the merchant API's own list (the same checks). A
// session or payment id goes straight to its session's page.
func (h *Handlers) DashboardPayments(c echo.Context) error {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	m, err := h.Service.Store.Merchant(ctx(c), u.MerchantID)
	if err != nil {
		return err
	}
	in := c.QueryParams()
	text, status, provider := strings.TrimSpace(in.Get("q")), in.Get("status"), in.Get("provider")
	from, to := in.Get("from"), in.Get("to")
	v := templates.DashboardPaymentsPage{Page: templates.Page{Title: l.T("dashboard.title.payments"), L: l},
		DashboardChrome: h.dashChrome(c, "payments"), Query: text, From: clip(from, 10), To: clip(to, 10)}
	for _, s := range append(append([]string{}, dashSessionStatuses...), dashPaymentStatuses...) {
		key := "dashboard.payment_status." + s
		if slices.Contains(dashSessionStatuses, s) {
			key = "dashboard.status." + s
		}
		v.Statuses = append(v.Statuses, templates.DashboardStatusOption{Value: s, Label: l.T(key), Selected: s == status})
	}
	for _, name := range slices.Sorted(maps.Keys(h.Service.Providers)) {
		v.Providers = append(v.Providers, templates.DashboardStatusOption{Value: name, Label: name, Selected: name == provider})
	}
	refuse := func(code int) error {
		v.Error = l.T("dashboard.payments.invalid")
		if code == http.StatusNotFound {
			v.Error = l.T("dashboard.payments.no_such_id")
		}
		return Render(c, code, templates.DashboardPayments(v))
	}
	// An id: its session's page.
	if strings.HasPrefix(text, checkout.PrefixSession) || strings.HasPrefix(text, checkout.PrefixPayment) {
		if sid := h.dashSessionOf(c, m, text); sid != "" {
			return c.Redirect(http.StatusSeeOther, RouteDashPayments+"/"+url.PathEscape(sid))
		}
		return refuse(http.StatusNotFound)
	}
	query := url.Values{"limit": {strconv.Itoa(dashPageSize)}}
	switch {
	case text == "":
	case strings.Contains(text, "@"):
		query.Set("customer_email", strings.ToLower(text))
	case len(text) == 4 && strings.Trim(text, "0123456789") == "":
		query.Set("card_last4", text)
	default:
		query.Set("merchant_reference", text)
	}
	known := status == ""
	for _, s := range dashSessionStatuses {
		if status == s {
			query.Set("status", s)
			known = true
		}
	}
	for _, s := range dashPaymentStatuses {
		if status == s {
			query.Set("payment_status", s)
			known = true
		}
	}
	if provider != "" {
		query.Set("provider", provider)
	}
	for _, d := range []struct {
		value, param string
		end          bool
	}{{from, "created[gte]", false}, {to, "created[lte]", true}} {
		if d.value == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, d.value)
		if err != nil {
			return refuse(http.StatusUnprocessableEntity)
		}
		if d.end {
			day = day.Add(24*time.Hour - time.Second)
		}
		query.Set(d.param, strconv.FormatInt(day.Unix(), 10))
	}
	after, before := in.Get("after"), in.Get("before")
	if after != "" {
		query.Set("starting_after", after)
	}
	if before != "" {
		query.Set("ending_before", before)
	}
	if !known || (after != "" && before != "") {
		return refuse(http.StatusUnprocessableEntity)
	}
	list, err := h.Service.ListSessions(ctx(c), m, query)
	switch checkout.ErrorCodeOf(err) {
	case checkout.EInvalid:
		return refuse(http.StatusUnprocessableEntity)
	case checkout.ENotFound: // a cursor that is none of the merchant's sessions
		v.Error = l.T("dashboard.payments.invalid")
		return Render(c, http.StatusNotFound, templates.DashboardPayments(v))
	}
	if err != nil {
		return err
	}
	for _, s := range list.Data {
		created := time.Unix(s.CreatedAt, 0).UTC()
		statusKey := "dashboard.status." + string(s.Status)
		v.Rows = append(v.Rows, templates.DashboardSessionRow{ID: s.ID, Created: created.Format("2006-01-02 15:04 UTC"),
			CreatedISO: created.Format(time.RFC3339), Reference: s.MerchantReference, Customer: s.Customer.Email,
			Amount: checkout.Money{Amount: s.Amount, Currency: s.Currency}.Format(l.Tag()), Status: string(s.Status),
			StatusLabel: l.T(statusKey), PaymentStatus: s.PaymentStatus, PaymentLabel: l.T("dashboard.payment_status." + s.PaymentStatus)})
	}
	page := func(cursor, id string) string {
		q := url.Values{}
		for k, val := range map[string]string{"q": text, "status": status, "provider": provider, "from": from, "to": to} {
			if val != "" {
				q.Set(k, val)
			}
		}
		q.Set(cursor, id)
		return RouteDashPayments + "?" + q.Encode()
	}
	if n := len(v.Rows); n > 0 {
		newer := after != "" || (before != "" && list.HasMore)
		older := (after == "" && before == "" && list.HasMore) || (after != "" && list.HasMore) || before != ""
		if newer {
			v.NewerURL = page("before", v.Rows[0].ID)
		}
		if older {
			v.OlderURL = page("after", v.Rows[n-1].ID)
		}
	}
	return Render(c, http.StatusOK, templates.DashboardPayments(v))
}

// dashSessionOf is the id of the merchant's session that id names (a
// session's, or a payment's), or "" when it names none of its own.
func (h *Handlers) dashSessionOf(c echo.Context, m *checkout.Merchant, id string) string {
	if len(id) > 64 {
		return ""
	}
	if strings.HasPrefix(id, checkout.PrefixPayment) {
		p, err := h.Service.Store.Payment(ctx(c), id)
		if err != nil || p.MerchantID != m.ID {
			return ""
		}
		return p.SessionID
	}
	s, err := h.Service.Store.Session(ctx(c), id)
	if err != nil || s.MerchantID != m.ID {
		return ""
	}
	return s.ID
}

// signInKeys are the keys a failed sign-in counts under: the email as
// typed (signInAccountKey) and, where there is one, the client's address
// ("" for a step of a signed-in person: a password change, turning
// two-step sign-in off).
type signInKeys struct{ account, address string }

// signInKeysOf is the keys of a sign-in with email from c's address.
func signInKeysOf(c echo.Context, email string) signInKeys {
	return signInKeys{account: signInAccountKey(email), address: "address:" + c.RealIP()}
}

// blocked reports whether k's account or address is past its failure
// limit, and how long until both may try again.
func (d *Dashboard) blocked(k signInKeys, now time.Time) (bool, time.Duration) {
	byAccount, waitA := d.counter().Blocked(k.account, SignInFailuresPerAccount, SignInWindow, now)
	var byAddress bool
	var waitB time.Duration
	if k.address != "" {
		byAddress, waitB = d.counter().Blocked(k.address, SignInFailuresPerAddress, SignInWindow, now)
	}
	return byAccount || byAddress, max(waitA, waitB)
}

// failed counts a failed sign-in (a wrong password or code) under k.
func (d *Dashboard) failed(k signInKeys, now time.Time) {
	d.counter().Allow(k.account, SignInFailuresPerAccount, SignInWindow, now)
	if k.address != "" {
		d.counter().Allow(k.address, SignInFailuresPerAddress, SignInWindow, now)
	}
}

// signInAccountKey is the failure limiter's key of an email as typed (for
// an account or none): of bounded size, a hash of it trimmed and
// lower-cased, as accounts store it.
func signInAccountKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "account:" + hex.EncodeToString(sum[:16])
}
