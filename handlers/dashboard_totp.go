package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// The two-step sign-in's paths: the code after the password, and setting
// it up (and turning it off) from the account page.
const (
	RouteDashSignInCode  = "/dashboard/sign-in/code"
	RouteDashTOTP        = "/dashboard/account/totp"
	RouteDashTOTPEnable  = "/dashboard/account/totp/enable"
	RouteDashTOTPDisable = "/dashboard/account/totp/disable"
)

// SignInCodeWindow is how long after a right password its code may come;
// then the sign-in starts again.
const SignInCodeWindow = 5 * time.Minute

// pendingSignIn is a sign-in waiting for its code, in the cookie: whose
// password was right, when, and under which session epoch (a password
// change meanwhile ends it). It gives access to nothing but the code
// page: RequireDashboardUser takes a session token only.
type pendingSignIn struct {
	pendingUser  string
	pendingAt    int64 // Unix seconds
	pendingEpoch int64
}

func readPendingSignIn(values map[any]any) pendingSignIn {
	var p pendingSignIn
	p.pendingUser, _ = values["pending"].(string)
	p.pendingAt, _ = values["pending_at"].(int64)
	p.pendingEpoch, _ = values["pending_epoch"].(int64)
	return p
}

func (p pendingSignIn) write(values map[any]any) {
	if p.pendingUser != "" {
		values["pending"], values["pending_at"], values["pending_epoch"] = p.pendingUser, p.pendingAt, p.pendingEpoch
	}
}

// awaitSignInCode ends the password step of u, who signs in with a code
// too: no session yet, but a pending sign-in under a new browser id, and
// the code page.
func (h *Handlers) awaitSignInCode(c echo.Context, s *sessions.Session, u *checkout.DashboardUser) error {
	p := pendingSignIn{pendingUser: u.ID, pendingAt: h.Service.Now().Unix(), pendingEpoch: u.SessionEpoch}
	if err := h.saveDashCookie(c, s, dashSession{sid: checkout.RandomToken(16), pendingSignIn: p}); err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard sign-in awaits its code", "user_id", u.ID, "ip", c.RealIP())
	return c.Redirect(http.StatusSeeOther, RouteDashSignInCode)
}

// pendingUser is the user of the browser's pending sign-in; nil when
// there is none, its time is over, or its user changed meanwhile
// (removed, a new password, two-step sign-in turned off).
func (h *Handlers) pendingUser(c echo.Context, d dashSession) (*checkout.DashboardUser, error) {
	p := d.pendingSignIn
	if p.pendingUser == "" || d.sid == "" {
		return nil, nil
	}
	age := h.Service.Now().Sub(time.Unix(p.pendingAt, 0))
	if age > SignInCodeWindow || age < -SignInCodeWindow {
		return nil, nil
	}
	u, err := h.Service.DashboardUser(ctx(c), p.pendingUser)
	if errors.Is(err, checkout.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.SessionEpoch != p.pendingEpoch || !u.TOTPEnabled() {
		return nil, nil
	}
	return u, nil
}

// backToSignIn sends a browser without a live pending sign-in to the
// sign-in page, which says to sign in again within the time.
func backToSignIn(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, RouteDashSignIn+"?m=code_expired")
}

func (h *Handlers) renderSignInCode(c echo.Context, sid string, status int, problem string) error {
	l := h.dashLocale(c)
	return Render(c, status, templates.DashboardSignInCode(templates.DashboardCodePage{
		Page: templates.Page{Title: l.T("dashboard.title.sign_in_code"), L: l}, FormToken: h.Forms.Issue(dashFormTarget(sid)),
		Error: problem}))
}

// DashboardSignInCodePage handles GET /dashboard/sign-in/code: the code
// form of a pending sign-in (without a live one, the sign-in page, with a
// notice).
func (h *Handlers) DashboardSignInCodePage(c echo.Context) error {
	noStore(c)
	_, d := h.dashCookie(c)
	u, err := h.pendingUser(c, d)
	if err != nil {
		return err
	}
	if u == nil {
		return backToSignIn(c)
	}
	return h.renderSignInCode(c, d.sid, http.StatusOK, "")
}

// DashboardSignInCode handles POST /dashboard/sign-in/code. A form without
// the token of this browser's code page changes nothing (403); without a
// live pending sign-in it goes back to the sign-in page. Past the failure
// limits of the account or the address (a wrong code counts as a failed
// sign-in of both) it answers 429 without checking the code; a wrong or
// used code is a 401. A right one starts a new session (a new id) and
// goes to the dashboard.
func (h *Handlers) DashboardSignInCode(c echo.Context) error {
	noStore(c)
	s, d := h.dashCookie(c)
	if d.sid == "" || !h.Forms.Valid(dashFormTarget(d.sid), c.Request().PostFormValue("form_token")) {
		h.Log.WarnContext(ctx(c), "dashboard sign-in code form token refused", "ip", c.RealIP())
		return checkout.Errorf(checkout.EForbidden, "This page has expired or was not sent from the dashboard. Go back, reload the page and try again.")
	}
	u, err := h.pendingUser(c, d)
	if err != nil {
		return err
	}
	if u == nil {
		if err := h.saveDashCookie(c, s, dashSession{sid: checkout.RandomToken(16)}); err != nil {
			return err
		}
		return backToSignIn(c)
	}
	l := h.dashLocale(c)
	now := h.Service.Now()
	keys := signInKeysOf(c, u.Email)
	if blocked, wait := h.Dashboard.blocked(keys, now); blocked {
		h.Log.WarnContext(ctx(c), "dashboard sign-in code refused by a limit", "user_id", u.ID, "ip", c.RealIP())
		SetRetryAfter(c, wait)
		return h.renderSignInCode(c, d.sid, http.StatusTooManyRequests, l.T("dashboard.sign_in.locked"))
	}
	err = h.Service.CheckTOTP(ctx(c), u, c.Request().PostFormValue("code"))
	if checkout.ErrorCodeOf(err) == checkout.EUnauthorized {
		h.Dashboard.failed(keys, now)
		h.Log.InfoContext(ctx(c), "dashboard sign-in code refused", "user_id", u.ID, "ip", c.RealIP())
		return h.renderSignInCode(c, d.sid, http.StatusUnauthorized, l.T("dashboard.code.wrong"))
	}
	if err != nil {
		return err
	}
	token, err := h.Service.StartDashboardSession(ctx(c), u)
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard sign-in", "user_id", u.ID, "merchant_id", u.MerchantID, "ip", c.RealIP(), "second_step", "totp")
	if err := h.saveDashCookie(c, s, dashSession{sid: checkout.RandomToken(16), token: token}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, DashboardPrefix)
}

// totpNotices are the account page's notices after its two-step sign-in
// forms (?done=…).
var totpNotices = map[string]string{"totp_on": "dashboard.totp.enabled", "totp_off": "dashboard.totp.disabled"}

func (h *Handlers) renderTOTPEnrol(c echo.Context, status int, e *checkout.TOTPEnrolment, problem string) error {
	qr, err := qrcode.New(e.URI, qrcode.Medium)
	if err != nil {
		return err
	}
	l := h.dashLocale(c)
	chrome := h.dashChrome(c, "account")
	return Render(c, status, templates.DashboardTOTPEnrol(templates.DashboardTOTPEnrolPage{
		Page: templates.Page{Title: l.T("dashboard.title.totp"), L: l}, DashboardChrome: chrome, FormToken: chrome.FormToken,
		QR: qr.Bitmap(), Secret: checkout.GroupTOTPSecret(e.Secret), Pending: e.Sealed, Error: problem}))
}

// DashboardTOTPStart handles POST /dashboard/account/totp: a new secret
// for the signed-in person's authenticator app, shown as a QR code and as
// text; the form that confirms it carries it sealed for this user (it is
// stored only once a code confirms it).
func (h *Handlers) DashboardTOTPStart(c echo.Context) error {
	u := DashboardUser(c)
	if u.TOTPEnabled() {
		return c.Redirect(http.StatusSeeOther, RouteDashAccount)
	}
	e, err := h.Service.StartTOTP(u)
	if err != nil {
		return err
	}
	return h.renderTOTPEnrol(c, http.StatusOK, e, "")
}

// DashboardTOTPEnable handles POST /dashboard/account/totp/enable: with
// the code the app shows, two-step sign-in is on (in the users' history);
// a wrong code shows the same setup again. A second click finds it on.
func (h *Handlers) DashboardTOTPEnable(c echo.Context) error {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	f := c.Request().PostForm
	e, err := h.Service.PendingTOTP(u, f.Get("pending"))
	if err != nil {
		if u.TOTPEnabled() {
			return c.Redirect(http.StatusSeeOther, RouteDashAccount)
		}
		v := h.accountView(c)
		v.TOTP.Error = l.T("dashboard.totp.error.expired")
		return Render(c, http.StatusUnprocessableEntity, templates.DashboardAccount(v))
	}
	err = h.Service.EnableTOTP(ctx(c), u, e.Sealed, f.Get("code"), u.Email)
	switch checkout.ErrorCodeOf(err) {
	case checkout.EUnauthorized:
		return h.renderTOTPEnrol(c, http.StatusUnprocessableEntity, e, l.T("dashboard.code.wrong"))
	case checkout.EConflict:
		return c.Redirect(http.StatusSeeOther, RouteDashAccount+"?done=totp_on")
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard two-step sign-in turned on", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, RouteDashAccount+"?done=totp_on")
}

// DashboardTOTPDisable handles POST /dashboard/account/totp/disable: with
// the current password and a current code (a wrong one of either counts
// as a failed sign-in of the account, and past the limit neither is
// checked), two-step sign-in is off (in the users' history).
func (h *Handlers) DashboardTOTPDisable(c echo.Context) error {
	u := DashboardUser(c)
	if !u.TOTPEnabled() {
		return c.Redirect(http.StatusSeeOther, RouteDashAccount)
	}
	l := h.dashLocale(c)
	v := h.accountView(c)
	f := c.Request().PostForm
	refuse := func(status int, key, field string) error {
		v.TOTP.Error, v.TOTP.Field = l.T(key), field
		return Render(c, status, templates.DashboardAccount(v))
	}
	now := h.Service.Now()
	keys := signInKeys{account: signInAccountKey(u.Email)}
	if blocked, wait := h.Dashboard.blocked(keys, now); blocked {
		SetRetryAfter(c, wait)
		return refuse(http.StatusTooManyRequests, "dashboard.sign_in.locked", "totp-password")
	}
	if !checkout.VerifyPassword(u.PasswordHash, f.Get("current")) {
		h.Dashboard.failed(keys, now)
		return refuse(http.StatusUnprocessableEntity, "dashboard.account.error.current", "totp-password")
	}
	err := h.Service.CheckTOTP(ctx(c), u, f.Get("code"))
	if checkout.ErrorCodeOf(err) == checkout.EUnauthorized {
		h.Dashboard.failed(keys, now)
		return refuse(http.StatusUnprocessableEntity, "dashboard.code.wrong", "totp-code")
	}
	if err != nil {
		return err
	}
	if _, err := h.Service.DisableTOTP(ctx(c), u.MerchantID, u.Email, u.Email); err != nil && checkout.ErrorCodeOf(err) != checkout.EConflict {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard two-step sign-in turned off", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, RouteDashAccount+"?done=totp_off")
}
