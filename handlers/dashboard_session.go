package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// RouteDashSession is one checkout session's page.
const RouteDashSession = "/dashboard/payments/:id"

// DashboardSession handles GET /dashboard/payments/:id: one of the
// merchant's checkout sessions, its latest payment, its timeline (a page
// of up to 100 steps; ?after= the last step shown for the next) and the
// webhooks its steps sent. Another merchant's session is a 404, as one
// that does not exist.
func (h *Handlers) DashboardSession(c echo.Context) error {
	v, _, err := h.sessionView(c, c.QueryParam("after"))
	if err != nil {
		return err
	}
	l := h.dashLocale(c)
	// What the last action did (after its redirect): the action's name
	// and the answer, both from closed lists.
	answer := c.QueryParam("answer")
	if slices.Contains(checkout.PaymentStatuses, checkout.PaymentStatus(answer)) {
		switch c.QueryParam("done") {
		case "refund", "capture", "cancel":
			v.Notice = l.T("dashboard.done."+c.QueryParam("done"), "Answer", answer)
		}
	}
	if c.QueryParam("done") == "redeliver" {
		v.Notice = l.T("dashboard.done.redeliver")
	}
	return Render(c, http.StatusOK, templates.DashboardSession(v))
}

// sessionView is the session page of the request's :id, with the
// timeline page after the entry after ("" for the first), and the session
// as the merchant API shows it.
func (h *Handlers) sessionView(c echo.Context, after string) (templates.DashboardSessionPage, checkout.SessionObject, error) {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	id := c.Param("id")
	s, pays, err := h.Service.Session(ctx(c), u.MerchantID, id)
	if err != nil {
		return templates.DashboardSessionPage{}, checkout.SessionObject{}, err
	}
	obj := h.Service.SessionObject(s, pays)
	page, err := h.Service.Timeline(ctx(c), u.MerchantID, id, checkout.TimelineParams{Limit: checkout.MaxTimelineLimit,
		StartingAfter: after})
	if err != nil {
		return templates.DashboardSessionPage{}, checkout.SessionObject{}, err
	}
	v := templates.DashboardSessionPage{Page: templates.Page{Title: l.T("dashboard.title.session"), L: l},
		DashboardChrome: h.dashChrome(c, "payments"), SessionID: obj.ID, Heading: obj.MerchantReference}
	if v.Heading == "" {
		v.Heading = obj.ID
	}
	amount := func(minor int64) string { return checkout.Money{Amount: minor, Currency: obj.Currency}.Format(l.Tag()) }
	field := func(label, value, key string) templates.DashboardField {
		return templates.DashboardField{Key: key, Label: l.T(label), Value: value}
	}
	v.Summary = []templates.DashboardField{
		field("dashboard.field.session_id", obj.ID, "session"),
		field("dashboard.col.reference", obj.MerchantReference, "reference"),
		field("dashboard.col.customer", obj.Customer.Email, "customer"),
		field("dashboard.col.amount", amount(obj.Amount), "amount"),
		field("dashboard.col.created", dashTime(time.Unix(obj.CreatedAt, 0), false), "created"),
		field("dashboard.col.status", l.T("dashboard.status."+string(obj.Status)), "status"),
		field("dashboard.col.payment", l.T("dashboard.payment_status."+obj.PaymentStatus), "payment-status"),
		field("dashboard.field.provider", obj.Provider, "provider"),
		field("dashboard.field.attempts", strconv.Itoa(obj.Attempts), "attempts"),
	}
	if p := obj.Payment; p != nil {
		v.Payment = []templates.DashboardField{
			field("dashboard.field.payment_id", p.ID, "payment"),
			field("dashboard.field.method", l.T("dashboard.method."+string(p.Method)), "method"),
			field("dashboard.field.provider", p.Provider, "payment-provider"),
			field("dashboard.col.amount", amount(p.Amount), "payment-amount"),
		}
		if p.Card != nil {
			v.Payment = append(v.Payment, field("dashboard.field.card", l.T("dashboard.card_ending", "Brand", string(p.Card.Brand), "Last4", p.Card.Last4), "card"))
		}
		if t := p.ThreeDS; t != nil {
			shift := l.T("dashboard.no")
			if t.LiabilityShift {
				shift = l.T("dashboard.yes")
			}
			v.Payment = append(v.Payment, field("dashboard.field.three_ds", t.Version, "3ds-version"),
				field("dashboard.field.three_ds_flow", t.Flow, "3ds-flow"), field("dashboard.field.eci", t.ECI, "eci"),
				field("dashboard.field.liability_shift", shift, "liability-shift"))
		}
		if d := p.Decline; d != nil {
			v.Payment = append(v.Payment, field("dashboard.field.decline", string(d.Code), "decline"))
		}
		if p.AmountRefunded > 0 {
			v.Payment = append(v.Payment, field("dashboard.field.refunded", amount(p.AmountRefunded), "refunded"))
		}
	}
	for _, e := range page.Data {
		v.Timeline = append(v.Timeline, dashTimelineEntry(l, e, obj.Currency))
		if w, ok := e.Step.(checkout.WebhookSentStep); ok {
			v.Webhooks = append(v.Webhooks, templates.DashboardWebhookRow{DeliveryID: e.ID, Event: w.EventType, Endpoint: w.Endpoint,
				Status: w.Status, StatusLabel: l.T("dashboard.webhook.status." + w.Status), Attempts: len(w.Attempts)})
		}
	}
	if page.HasMore && len(page.Data) > 0 {
		v.MoreURL = "/dashboard/payments/" + url.PathEscape(obj.ID) + "?after=" + url.QueryEscape(page.Data[len(page.Data)-1].ID)
	}
	a := &v.Actions
	a.ActionURL, a.FormToken = "/dashboard/payments/"+url.PathEscape(obj.ID), v.DashboardChrome.FormToken
	a.Redeliver = u.Role == checkout.RoleAdmin
	if p := obj.Payment; p != nil {
		left := p.Amount - p.AmountRefunded - p.AmountRefundPending
		for _, q := range pays {
			if q.ID == p.ID {
				refund, capture, cancel := h.Service.PaymentActions(q)
				admin := u.Role == checkout.RoleAdmin
				a.Refund, a.Capture, a.Cancel = refund, capture && admin, cancel && admin
			}
		}
		a.RefundAmount = checkout.Money{Amount: max(left, 0), Currency: p.Currency}.Decimal()
		a.RefundLabel = l.T("dashboard.refund.amount", "Currency", p.Currency)
	}
	return v, obj, nil
}

// dashTime is t in UTC, to the minute or, for timeline steps, the
// millisecond: the dashboard shows every time in UTC, as the API does.
func dashTime(t time.Time, precise bool) string {
	if precise {
		return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// dashDuration is a step's length: milliseconds under a second, else
// seconds to a tenth.
func dashDuration(ms int64) string {
	if ms < 1000 {
		return strconv.FormatInt(ms, 10) + " ms"
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + " s"
}

// dashTimelineEntry is one timeline step as the dashboard tells it: its
// kind's translated name, its time and length, and its machine values
// (provider, operation, outcome, codes) as the API gives them.
func dashTimelineEntry(l *i18n.Locale, e checkout.TimelineEvent, currency string) templates.DashboardTimelineEntry {
	out := templates.DashboardTimelineEntry{ID: e.ID, Kind: string(e.Kind), Label: l.T("dashboard.kind." + string(e.Kind)), AtISO: e.At}
	if at, err := time.Parse(time.RFC3339Nano, e.At); err == nil {
		out.At = dashTime(at, true)
	} else {
		out.At = e.At
	}
	if e.Payment != nil {
		out.Payment = *e.Payment
	}
	if e.DurationMS != nil {
		out.Took = l.T("dashboard.timeline.took", "Duration", dashDuration(*e.DurationMS))
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	join := func(parts ...string) string {
		s := ""
		for _, p := range parts {
			if p == "" {
				continue
			}
			if s != "" {
				s += " · "
			}
			s += p
		}
		return s
	}
	switch st := e.Step.(type) {
	case checkout.SessionCreatedStep:
		out.Detail = join(checkout.Money{Amount: st.Amount, Currency: st.Currency}.Format(l.Tag()), st.Provider)
	case checkout.PaymentSubmittedStep:
		card := ""
		if st.Card != nil {
			card = l.T("dashboard.card_ending", "Brand", string(st.Card.Brand), "Last4", st.Card.Last4)
		}
		out.Detail = join(fmt.Sprintf("#%d", st.Attempt), l.T("dashboard.method."+string(st.Method)), st.Provider, card)
	case checkout.ProviderCallStep:
		out.Detail = join(st.Provider, st.Operation, str(st.Outcome), str(st.Error), str(st.NextAction), str(st.DeclineCode))
		out.Warning = st.Error != nil || str(st.Outcome) == "failed"
	case checkout.InquiryStep:
		settled := ""
		if st.Settled != nil {
			settled = "→ " + *st.Settled
		}
		out.Detail = join(st.Provider, st.Operation, str(st.Outcome), str(st.Error), settled, str(st.Refund))
		out.Warning = st.Error != nil
	case checkout.NotificationStep:
		out.Detail = join(st.Provider, st.EventType, str(st.Outcome), st.Effect, str(st.Refund))
	case checkout.StatusChangeStep:
		out.Detail = join(string(st.From)+" → "+string(st.To), st.Reason, str(st.DeclineCode))
		out.Warning = st.To == checkout.PaymentFailed
	case checkout.ReturnRejectedStep:
		out.Detail = join(st.Step, st.Reason)
		out.Warning = true
	case checkout.RefundCreatedStep:
		out.Detail = join(st.Refund, checkout.Money{Amount: st.Amount, Currency: st.Currency}.Format(l.Tag()), str(st.RetryOf))
	case checkout.RefundUpdatedStep:
		out.Detail = join(st.Refund, string(st.Status))
		out.Warning = st.Status == checkout.RefundFailed
	case checkout.SessionCompletedStep:
		out.Detail = st.PaymentStatus
	case checkout.SessionExpiredStep:
		out.Detail = st.Reason
	case checkout.WebhookSentStep:
		out.Webhooks = true
		out.Detail = join(st.EventType, st.Endpoint, l.T("dashboard.webhook.status."+st.Status))
		out.Warning = st.Status == "failed"
	}
	var actor *checkout.TimelineActor
	switch st := e.Step.(type) {
	case checkout.ProviderCallStep:
		actor = st.Actor
	case checkout.RefundCreatedStep:
		actor = st.Actor
	}
	if actor != nil {
		out.By = l.T("dashboard.timeline.by", "Email", actor.Email)
	}
	if e.Kind == checkout.TimelineDeviceDataTimedOut {
		out.Warning = true
	}
	return out
}

// The actions on a session's latest payment: each form posts here, is
// answered with a page asking to confirm, and acts only when that page's
// Yes comes back (confirm=yes) with its key, which makes a double click
// on Yes act once (the refund's idempotency key; capture and cancel are
// idempotent on the payment's status).
const (
	RouteDashRefund  = "/dashboard/payments/:id/refund"
	RouteDashCapture = "/dashboard/payments/:id/capture"
	RouteDashCancel  = "/dashboard/payments/:id/cancel"
)

// DashboardRefund handles POST /dashboard/payments/:id/refund: an amount
// (major units, as typed) from zero to what is left to refund; both roles
// may refund. The refund is recorded with the user who asked for it.
func (h *Handlers) DashboardRefund(c echo.Context) error {
	return h.dashAction(c, "refund")
}

// DashboardCapture handles POST /dashboard/payments/:id/capture (admins).
func (h *Handlers) DashboardCapture(c echo.Context) error {
	return h.dashAction(c, "capture")
}

// DashboardCancel handles POST /dashboard/payments/:id/cancel (admins).
func (h *Handlers) DashboardCancel(c echo.Context) error {
	return h.dashAction(c, "cancel")
}

func (h *Handlers) dashAction(c echo.Context, action string) error {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	if action != "refund" && u.Role != checkout.RoleAdmin {
		h.Log.WarnContext(ctx(c), "dashboard action refused by role", "user_id", u.ID, "action", action)
		return checkout.Errorf(checkout.EForbidden, "Your role does not allow this.")
	}
	v, obj, err := h.sessionView(c, "")
	if err != nil {
		return err
	}
	p := obj.Payment
	allowed := v.Actions.Refund
	switch action {
	case "capture":
		allowed = v.Actions.Capture
	case "cancel":
		allowed = v.Actions.Cancel
	}
	form := c.Request().PostForm
	key := form.Get("key")
	confirmed := form.Get("confirm") == "yes" && len(key) >= 16 && len(key) <= 64
	// Asking: only what the payment allows now. Confirmed: the service
	// decides (a second Yes finds the action done and answers the same).
	if p == nil || !allowed && !confirmed {
		v.Error = l.T("dashboard.error.conflict")
		return Render(c, http.StatusConflict, templates.DashboardSession(v))
	}
	var amount checkout.Money
	if action == "refund" {
		left := p.Amount - p.AmountRefunded - p.AmountRefundPending
		typed := strings.TrimSpace(form.Get("amount"))
		m, err := checkout.ParseDecimal(typed, p.Currency)
		if err != nil || m.Amount <= 0 || m.Amount > left && !confirmed {
			v.Actions.RefundAmount = clip(typed, 24)
			v.Actions.RefundError = l.T("dashboard.refund.invalid", "Max", checkout.Money{Amount: left, Currency: p.Currency}.Format(l.Tag()))
			return Render(c, http.StatusUnprocessableEntity, templates.DashboardSession(v))
		}
		amount = m
	} else {
		amount = checkout.Money{Amount: p.Amount, Currency: p.Currency}
	}
	back := "/dashboard/payments/" + url.PathEscape(obj.ID)
	if !confirmed {
		question := l.T("dashboard.confirm."+action, "Amount", amount.Format(l.Tag()))
		cv := templates.DashboardConfirmPage{Page: templates.Page{Title: l.T("dashboard.title.confirm"), L: l},
			DashboardChrome: v.DashboardChrome, Question: question, ActionURL: back + "/" + action, BackURL: back,
			FormToken: v.DashboardChrome.FormToken, Key: checkout.RandomToken(16)}
		if action == "refund" {
			cv.Amount = amount.Decimal()
		}
		return Render(c, http.StatusOK, templates.DashboardConfirm(cv))
	}
	acting := checkout.WithActor(ctx(c), checkout.Actor{UserID: u.ID, Email: u.Email})
	var answer string
	switch action {
	case "refund":
		r, _, err := h.Service.Refund(acting, u.MerchantID, p.ID, checkout.RefundParams{Amount: amount.Amount,
			IdempotencyKey: "dashboard_" + u.ID + "_" + key})
		if err != nil {
			return h.dashActionFailed(c, v, err)
		}
		answer = string(r.Status)
	case "capture", "cancel":
		do := h.Service.Capture
		if action == "cancel" {
			do = h.Service.Cancel
		}
		q, err := do(acting, u.MerchantID, p.ID)
		if err != nil {
			return h.dashActionFailed(c, v, err)
		}
		answer = string(q.Status)
	}
	h.Log.InfoContext(ctx(c), "dashboard action", "user_id", u.ID, "action", action, "payment_id", p.ID, "answer", answer)
	return c.Redirect(http.StatusSeeOther, back+"?done="+action+"&answer="+url.QueryEscape(answer))
}

// dashActionFailed shows the session page with why an action did not go
// through: the payment's state did not allow it (409), or the provider
// did not answer (502); anything else is the error page.
func (h *Handlers) dashActionFailed(c echo.Context, v templates.DashboardSessionPage, err error) error {
	l := h.dashLocale(c)
	var e *checkout.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case checkout.EConflict, checkout.EInvalid, checkout.EUnsupported:
		v.Error = l.T("dashboard.error.conflict")
		return Render(c, http.StatusConflict, templates.DashboardSession(v))
	case checkout.EUnavailable:
		v.Error = l.T("dashboard.error.unavailable")
		return Render(c, http.StatusBadGateway, templates.DashboardSession(v))
	}
	return err
}

// RouteDashRedeliver sends one of a session's webhooks again.
const RouteDashRedeliver = "/dashboard/payments/:id/deliveries/:delivery/redeliver"

// DashboardRedeliver handles POST .../deliveries/:delivery/redeliver
// (admins): the delivery is queued to be sent again now, as POST
// /v1/webhook_deliveries/{id}/redeliver does. A delivery that is not the
// merchant's is a 404.
func (h *Handlers) DashboardRedeliver(c echo.Context) error {
	u := DashboardUser(c)
	if u.Role != checkout.RoleAdmin {
		h.Log.WarnContext(ctx(c), "dashboard action refused by role", "user_id", u.ID, "action", "redeliver")
		return checkout.Errorf(checkout.EForbidden, "Your role does not allow this.")
	}
	s, _, err := h.Service.Session(ctx(c), u.MerchantID, c.Param("id"))
	if err != nil {
		return err
	}
	m, err := h.Service.Store.Merchant(ctx(c), u.MerchantID)
	if err != nil {
		return err
	}
	if _, err := h.Service.Redeliver(ctx(c), m, c.Param("delivery")); err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard action", "user_id", u.ID, "action", "redeliver", "delivery_id", c.Param("delivery"))
	return c.Redirect(http.StatusSeeOther, "/dashboard/payments/"+url.PathEscape(s.ID)+"?done=redeliver")
}
