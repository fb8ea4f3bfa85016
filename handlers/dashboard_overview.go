package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// RouteDashOverview is the dashboard's first page: the merchant's last
// days in charts.
const RouteDashOverview = "/dashboard/overview"

// DashboardOverview handles GET /dashboard/overview: today's and the last
// seven days' volume, conversion, decline reasons, the 3-D Secure
// challenge rate and each provider's latency, as server-drawn SVG charts
// with their figures.
func (h *Handlers) DashboardOverview(c echo.Context) error {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	o, err := h.Service.Overview(ctx(c), u.MerchantID)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.DashboardOverview(overviewView(l, o, h.dashChrome(c, "overview"))))
}

// overviewView lays the overview out in l's language and numbers.
func overviewView(l *i18n.Locale, o *checkout.Overview, chrome templates.DashboardChrome) templates.DashboardOverviewPage {
	p := message.NewPrinter(language.Make(l.Tag()))
	count := func(n int) string { return p.Sprint(number.Decimal(n)) }
	percent := func(f float64) string { return p.Sprint(number.Percent(f, number.MaxFractionDigits(1))) }
	days := make([]string, len(o.Days))
	for i, d := range o.Days {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			days[i] = t.Format("01-02")
		}
	}
	v := templates.DashboardOverviewPage{Page: templates.Page{Title: l.T("dashboard.title.overview"), L: l}, DashboardChrome: chrome}
	for _, c := range o.Volume {
		money := func(a int64) string { return checkout.Money{Amount: a, Currency: c.Currency}.Format(l.Tag()) }
		s := templates.ChartSeries{Label: l.T("dashboard.overview.volume_series"), Class: "bar-a", Values: c.Days}
		for i, a := range c.Days {
			s.Text = append(s.Text, l.T("dashboard.overview.day_volume", "Amount", money(a), "Count", count(c.Counts[i])))
		}
		v.Volume = append(v.Volume, templates.DashboardVolume{Currency: c.Currency, Today: money(c.Today), Week: money(c.Week),
			Chart: templates.ColumnChart("volume-"+c.Currency, l.T("dashboard.overview.volume_chart", "Currency", c.Currency), days, s)})
	}
	opened := templates.ChartSeries{Label: l.T("dashboard.overview.opened"), Class: "bar-b"}
	paid := templates.ChartSeries{Label: l.T("dashboard.overview.paid"), Class: "bar-a"}
	for _, d := range o.Sessions {
		opened.Values, opened.Text = append(opened.Values, int64(d.Opened)), append(opened.Text, count(d.Opened))
		paid.Values, paid.Text = append(paid.Values, int64(d.Paid)), append(paid.Text, count(d.Paid))
	}
	v.Conversion = percent(o.Conversion)
	v.ConversionDetail = l.T("dashboard.overview.conversion_detail", "Paid", count(o.Paid), "Opened", count(o.Opened))
	v.ConversionChart = templates.ColumnChart("conversion", l.T("dashboard.overview.conversion_chart"), days, opened, paid)
	if len(o.Declines) > 0 {
		s := templates.ChartSeries{Label: l.T("dashboard.overview.declined"), Class: "bar-a"}
		var reasons []string
		for _, d := range o.Declines {
			reason := d.Reason
			if reason == "" {
				reason = l.T("dashboard.overview.no_reason")
			}
			reasons = append(reasons, reason)
			s.Values, s.Text = append(s.Values, int64(d.Count)), append(s.Text, count(d.Count))
		}
		chart := templates.BarChart("declines", l.T("dashboard.overview.declines_chart"), reasons, s)
		v.Declines = &chart
	}
	v.ChallengeRate = percent(o.ChallengeRate)
	v.ChallengeDetail = l.T("dashboard.overview.challenge_detail", "Challenged", count(o.Challenged), "Total", count(o.Challenged+o.Frictionless))
	if o.Challenged+o.Frictionless > 0 {
		s := templates.ChartSeries{Label: l.T("dashboard.overview.payments_series"), Class: "bar-a",
			Values: []int64{int64(o.Frictionless), int64(o.Challenged)}, Text: []string{count(o.Frictionless), count(o.Challenged)}}
		chart := templates.BarChart("three-ds", l.T("dashboard.overview.three_ds_chart"),
			[]string{l.T("dashboard.overview.frictionless"), l.T("dashboard.overview.challenged")}, s)
		v.ThreeDSChart = &chart
	}
	if len(o.Latency) > 0 {
		p50 := templates.ChartSeries{Label: "p50", Class: "bar-a"}
		p95 := templates.ChartSeries{Label: "p95", Class: "bar-b"}
		var providers []string
		for _, pl := range o.Latency {
			providers = append(providers, l.T("dashboard.overview.provider_calls", "Provider", pl.Provider, "Count", count(pl.Calls)))
			p50.Values, p50.Text = append(p50.Values, pl.P50), append(p50.Text, dashDuration(pl.P50))
			p95.Values, p95.Text = append(p95.Values, pl.P95), append(p95.Text, dashDuration(pl.P95))
		}
		chart := templates.BarChart("latency", l.T("dashboard.overview.latency_chart"), providers, p50, p95)
		v.Latency = &chart
	}
	return v
}
