package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// RouteDashAccount is where a signed-in person changes their password.
const RouteDashAccount = "/dashboard/account"

func (h *Handlers) accountView(c echo.Context) templates.DashboardAccountPage {
	l := h.dashLocale(c)
	chrome := h.dashChrome(c, "account")
	return templates.DashboardAccountPage{Page: templates.Page{Title: l.T("dashboard.title.account"), L: l}, DashboardChrome: chrome,
		FormToken: chrome.FormToken, TOTP: templates.DashboardTOTP{Enabled: DashboardUser(c).TOTPEnabled()}}
}

// DashboardAccount handles GET /dashboard/account.
func (h *Handlers) DashboardAccount(c echo.Context) error {
	v := h.accountView(c)
	if c.QueryParam("done") == "changed" {
		v.Notice = h.dashLocale(c).T("dashboard.account.changed")
	}
	if key, ok := totpNotices[c.QueryParam("done")]; ok {
		v.Notice = h.dashLocale(c).T(key)
	}
	return Render(c, http.StatusOK, templates.DashboardAccount(v))
}

// DashboardChangePassword handles POST /dashboard/account: with the
// current password (a wrong one counts as a failed sign-in of the account,
// and past the limit none is checked), a new one of at least 12
// characters typed twice. Every session of the user ends, this browser
// gets a new one, and the change is in the users' history.
func (h *Handlers) DashboardChangePassword(c echo.Context) error {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	v := h.accountView(c)
	f := c.Request().PostForm
	current, fresh := f.Get("current"), f.Get("new")
	refuse := func(status int, key, field string) error {
		v.Error, v.Field = l.T(key), field
		return Render(c, status, templates.DashboardAccount(v))
	}
	now := h.Service.Now()
	keys := signInKeys{account: signInAccountKey(u.Email)}
	if blocked, wait := h.Dashboard.blocked(keys, now); blocked {
		SetRetryAfter(c, wait)
		return refuse(http.StatusTooManyRequests, "dashboard.sign_in.locked", "current-password")
	}
	if !checkout.VerifyPassword(u.PasswordHash, current) {
		h.Dashboard.failed(keys, now)
		return refuse(http.StatusUnprocessableEntity, "dashboard.account.error.current", "current-password")
	}
	if checkout.CheckNewPassword(fresh) != nil {
		return refuse(http.StatusUnprocessableEntity, "dashboard.account.error.short", "new-password")
	}
	if fresh != f.Get("repeat") {
		return refuse(http.StatusUnprocessableEntity, "dashboard.account.error.mismatch", "repeat-password")
	}
	if _, err := h.Service.ChangeDashboardPassword(ctx(c), u.MerchantID, u.Email, fresh, u.Email); err != nil {
		return err
	}
	token, err := h.Service.StartDashboardSession(ctx(c), u)
	if err != nil {
		return err
	}
	s, _ := h.dashCookie(c)
	if err := h.saveDashCookie(c, s, dashSession{sid: checkout.RandomToken(16), token: token}); err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard password changed", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, RouteDashAccount+"?done=changed")
}
