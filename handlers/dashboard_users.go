package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// The dashboard users page (admins only).
const (
	RouteDashUsers      = "/dashboard/users"
	RouteDashUserRemove = "/dashboard/users/:user/remove"
)

// requireAdmin refuses a support user (403).
func (h *Handlers) requireAdmin(c echo.Context) error {
	if u := DashboardUser(c); u.Role != checkout.RoleAdmin {
		h.Log.WarnContext(ctx(c), "dashboard page refused by role", "user_id", u.ID, "path", c.Path())
		return checkout.Errorf(checkout.EForbidden, "Your role does not allow this.")
	}
	return nil
}

// usersView is the users page: the merchant's users and the history of
// their changes (the merchant's dashboard_user.* events, newest first).
func (h *Handlers) usersView(c echo.Context) (templates.DashboardUsersPage, error) {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	chrome := h.dashChrome(c, "users")
	v := templates.DashboardUsersPage{Page: templates.Page{Title: l.T("dashboard.title.users"), L: l}, DashboardChrome: chrome,
		FormToken: chrome.FormToken, Role: string(checkout.RoleSupport)}
	users, err := h.Service.DashboardUsers(ctx(c), u.MerchantID)
	if err != nil {
		return v, err
	}
	for _, x := range users {
		v.Users = append(v.Users, templates.DashboardUserRow{ID: x.ID, Email: x.Email, Role: string(x.Role),
			RoleLabel: l.T("dashboard.role." + string(x.Role)), Added: dashTime(x.CreatedAt, false), You: x.ID == u.ID})
	}
	events, err := h.Service.Store.MerchantEvents(ctx(c), u.MerchantID, 50)
	if err != nil {
		return v, err
	}
	for _, e := range events {
		kind, ok := strings.CutPrefix(string(e.Type), "dashboard_user.")
		if !ok {
			continue
		}
		email, _ := e.Data["email"].(string)
		actor, _ := e.Data["actor"].(string)
		v.History = append(v.History, dashTime(e.CreatedAt, false)+" · "+l.T("dashboard.history."+kind, "Email", email, "Actor", actor))
	}
	return v, nil
}

// DashboardUsers handles GET /dashboard/users.
func (h *Handlers) DashboardUsers(c echo.Context) error {
	if err := h.requireAdmin(c); err != nil {
		return err
	}
	v, err := h.usersView(c)
	if err != nil {
		return err
	}
	if c.QueryParam("done") == "removed" {
		v.Notice = h.dashLocale(c).T("dashboard.users.removed")
	}
	return Render(c, http.StatusOK, templates.DashboardUsers(v))
}

// DashboardAddUser handles POST /dashboard/users: a new user of the
// merchant with the role chosen and a generated password, shown once on
// the page that answers (never stored but as its hash, never logged). The
// change is in the history with the admin who made it.
func (h *Handlers) DashboardAddUser(c echo.Context) error {
	if err := h.requireAdmin(c); err != nil {
		return err
	}
	u := DashboardUser(c)
	l := h.dashLocale(c)
	v, err := h.usersView(c)
	if err != nil {
		return err
	}
	f := c.Request().PostForm
	v.Email, v.Role = clip(strings.TrimSpace(f.Get("email")), 254), f.Get("role")
	role := checkout.DashboardRole(v.Role)
	if !role.Valid() {
		role = checkout.RoleSupport
	}
	created, password, err := h.Service.CreateDashboardUser(ctx(c), checkout.NewDashboardUser{MerchantID: u.MerchantID, Email: v.Email,
		Role: role, Actor: u.Email})
	if err != nil {
		var e *checkout.Error
		if !errors.As(err, &e) || e.Code == checkout.EInternal {
			return err
		}
		v.Error = l.T("dashboard.users.error.email")
		if e.Code == checkout.EConflict {
			v.Error = l.T("dashboard.users.error.taken")
		}
		return Render(c, http.StatusUnprocessableEntity, templates.DashboardUsers(v))
	}
	h.Log.InfoContext(ctx(c), "dashboard user added", "user_id", u.ID, "added", created.ID)
	if v, err = h.usersView(c); err != nil {
		return err
	}
	v.Notice, v.NewPassword = l.T("dashboard.users.created"), password
	return Render(c, http.StatusCreated, templates.DashboardUsers(v))
}

// DashboardRemoveUser handles POST /dashboard/users/:user/remove: after a
// confirmation, the user (of this merchant; another's is a 404) is
// removed and their sessions end with them. Removing oneself is refused.
func (h *Handlers) DashboardRemoveUser(c echo.Context) error {
	if err := h.requireAdmin(c); err != nil {
		return err
	}
	u := DashboardUser(c)
	l := h.dashLocale(c)
	target, err := h.Service.DashboardUser(ctx(c), c.Param("user"))
	if errors.Is(err, checkout.ErrNotFound) && c.Request().PostForm.Get("confirm") == "yes" {
		// A second Yes: the first removed them.
		return c.Redirect(http.StatusSeeOther, RouteDashUsers+"?done=removed")
	}
	if errors.Is(err, checkout.ErrNotFound) || err == nil && target.MerchantID != u.MerchantID {
		return checkout.Errorf(checkout.ENotFound, "No such dashboard user.")
	}
	if err != nil {
		return err
	}
	if target.ID == u.ID {
		v, err := h.usersView(c)
		if err != nil {
			return err
		}
		v.Error = l.T("dashboard.users.error.self")
		return Render(c, http.StatusConflict, templates.DashboardUsers(v))
	}
	f := c.Request().PostForm
	if key := f.Get("key"); f.Get("confirm") != "yes" || len(key) < 16 || len(key) > 64 {
		chrome := h.dashChrome(c, "users")
		return Render(c, http.StatusOK, templates.DashboardConfirm(templates.DashboardConfirmPage{
			Page: templates.Page{Title: l.T("dashboard.title.confirm"), L: l}, DashboardChrome: chrome,
			Question: l.T("dashboard.users.confirm_remove", "Email", target.Email), ActionURL: "/dashboard/users/" + url.PathEscape(target.ID) + "/remove",
			BackURL: RouteDashUsers, FormToken: chrome.FormToken, Key: checkout.RandomToken(16)}))
	}
	if _, err := h.Service.RemoveDashboardUser(ctx(c), u.MerchantID, target.Email, u.Email); err != nil &&
		checkout.ErrorCodeOf(err) != checkout.ENotFound { // a second Yes finds them gone
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard user removed", "user_id", u.ID, "removed", target.ID)
	return c.Redirect(http.StatusSeeOther, RouteDashUsers+"?done=removed")
}
