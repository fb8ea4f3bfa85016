package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// TestDashboardOverview: after two paid Worldline payments, one declined
// for insufficient funds and a session never opened, the overview shows
// today's volume, the conversion (2 paid of 3 opened), the decline reason,
// the 3-D Secure flows and Worldline's latency, as SVG charts named by
// their captions with the figures in tables; support sees it too; a
// merchant without payments sees the empty states; nothing on it is a
// script.
func TestDashboardOverview(t *testing.T) {
	app := dashApp(t)
	payWorldline(t, app, "automatic", "4242424242424242")
	payWorldline(t, app, "automatic", "4242424242424242")
	sid, _ := payWorldline(t, app, "automatic", "4000000000009995")
	if s := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t); s["payment_status"] != "failed" {
		t.Fatalf("the declined session: %v", s)
	}
	mustCreateSession(t, app, validSession()) // never opened

	b := newDashBrowser(t, app)
	if res := b.signIn(web.DemoDashboardEmail, dashPassword); res.Header.Get("Location") != "/dashboard/overview" {
		t.Fatalf("sign-in goes to %q, want the overview", res.Header.Get("Location"))
	}
	page := b.do("GET", "/dashboard/overview", nil)
	if page.Status != 200 {
		t.Fatalf("overview: %d %s", page.Status, page.Body)
	}
	text := func(id string) string {
		return strings.NewReplacer("\u2068", "", "\u2069", "", "\u00a0", " ").Replace(strings.TrimSpace(testID(t, page, id).Text()))
	}
	if got := text("volume-today-EUR"); got != "€50.00" {
		t.Errorf("today's volume %q, want €50.00 (two payments of €25.00; not the declined one)", got)
	}
	if got := text("volume-week-EUR"); got != "€50.00" {
		t.Errorf("the week's volume %q", got)
	}
	if got := text("overview-conversion"); got != "66.7%" {
		t.Errorf("conversion %q, want 66.7%% (2 paid of 3 opened; the session never opened does not count)", got)
	}
	if got := testID(t, page, "chart-declines").Text(); !strings.Contains(got, string(checkout.DeclineInsufficientFunds)) {
		t.Errorf("decline reasons: %q", got)
	}
	latency := testID(t, page, "chart-latency")
	if !strings.Contains(latency.Text(), "worldline") || latency.Find("rect").Length() != 2 {
		t.Errorf("latency chart: %d bars, %q", latency.Find("rect").Length(), latency.Text())
	}
	for _, id := range []string{"chart-volume-EUR", "chart-conversion", "chart-declines", "chart-latency"} {
		fig := testID(t, page, id)
		svg := fig.Find("svg")
		caption, _ := svg.Attr("aria-labelledby")
		if role, _ := svg.Attr("role"); role != "img" || fig.Find("figcaption#"+caption).Length() != 1 {
			t.Errorf("%s: the SVG is not an image named by its caption", id)
		}
		if fig.Find("table tbody tr").Length() == 0 {
			t.Errorf("%s: no figures table", id)
		}
	}
	if conv := testID(t, page, "chart-conversion"); conv.Find("rect").Length() != 2*checkout.OverviewDays {
		t.Errorf("conversion chart: %d bars, want opened and paid for %d days", conv.Find("rect").Length(), checkout.OverviewDays)
	}
	if strings.Contains(string(page.Body), "<script") {
		t.Error("the overview has a script")
	}

	// Support reads the overview.
	if _, _, err := app.Service.CreateDashboardUser(context.Background(), checkout.NewDashboardUser{MerchantID: web.DemoMerchantID,
		Email: "help@example.com", Role: checkout.RoleSupport, Password: dashPassword, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	support := newDashBrowser(t, app)
	support.signIn("help@example.com", dashPassword)
	if res := support.do("GET", "/dashboard/overview", nil); res.Status != 200 || testID(t, res, "overview-conversion").Text() != "66.7%" {
		t.Fatalf("support's overview: %d", res.Status)
	}

	// Another merchant, without a payment: the empty states, none of the
	// demo merchant's figures.
	other, _ := mustOtherMerchant(t, app)
	if _, _, err := app.Service.CreateDashboardUser(context.Background(), checkout.NewDashboardUser{MerchantID: other,
		Email: "owner@other.example", Role: checkout.RoleAdmin, Password: dashPassword, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	o := newDashBrowser(t, app)
	o.signIn("owner@other.example", dashPassword)
	empty := o.do("GET", "/dashboard/overview", nil)
	for _, id := range []string{"overview-no-volume", "overview-no-declines", "overview-no-calls"} {
		testID(t, empty, id)
	}
	if got := testID(t, empty, "overview-conversion").Text(); got != "0%" {
		t.Errorf("empty conversion %q", got)
	}
}
