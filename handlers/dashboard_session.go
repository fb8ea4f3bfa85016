package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
	u := DashboardUser(c)
	l := h.dashLocale(c)
	id := c.Param("id")
	s, pays, err := h.Service.Session(ctx(c), u.MerchantID, id)
	if err != nil {
		return err
	}
	obj := h.Service.SessionObject(s, pays)
	page, err := h.Service.Timeline(ctx(c), u.MerchantID, id, checkout.TimelineParams{Limit: checkout.MaxTimelineLimit,
		StartingAfter: c.QueryParam("after")})
	if err != nil {
		return err
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
	return Render(c, http.StatusOK, templates.DashboardSession(v))
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
	if e.Kind == checkout.TimelineDeviceDataTimedOut {
		out.Warning = true
	}
	return out
}
