package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
	"github.com/opencheckout/hostedcheckout/web"
)

// dashboardPassword is the demo dashboard user's password in the e2e app.
const dashboardPassword = "e2e dashboard passphrase"

// dashboardSignIn signs the demo user in on page, with the mouse.
func dashboardSignIn(t *testing.T, page playwright.Page) {
	t.Helper()
	must(t, goto_(page, app.URL+"/dashboard"))
	must(t, page.GetByTestId("dashboard-email").Fill(web.DemoDashboardEmail))
	must(t, page.GetByTestId("dashboard-password").Fill(dashboardPassword))
	must(t, page.GetByTestId("dashboard-sign-in").Click())
	must(t, expect.Locator(page.GetByTestId("dashboard-user")).ToBeVisible())
}

// TestDashboardPagesAccessible: every dashboard page state (sign-in,
// sign-in refused, signed out, the payments list with rows, with none and
// with a search it cannot use) has 0 axe violations, 44×44 px targets and
// its locale's lang and dir, at a phone's and a laptop's width, in the
// source language, a long one, a right-to-left one and one without spaces.
func TestDashboardPagesAccessible(t *testing.T) {
	t.Parallel()
	axeScript(t)
	api := checkoutqa.API{BaseURL: app.URL, Key: app.DemoAPIKey}
	s, err := api.CreateSession(context.Background(), checkoutqa.SessionOptions{Amount: 4200, Currency: "EUR",
		MerchantReference: "A11Y-1", Customer: &checkoutqa.Customer{Email: "a11y@example.com"}})
	must(t, err)
	var problems findings
	for _, loc := range auditLocales {
		t.Run(loc, func(t *testing.T) {
			page := newPage(t, playwright.BrowserNewContextOptions{Locale: playwright.String(loc)})
			check := func(state string) {
				t.Helper()
				for _, vp := range galleryWidths {
					must(t, page.SetViewportSize(vp.Width, vp.Height))
					for _, list := range [][]finding{runAxe(t, page), smallTargets(t, page), langAndDir(t, page, loc)} {
						for _, f := range list {
							f.Locale, f.State, f.Width = loc, state, vp.Width
							problems.add(f)
						}
					}
				}
			}
			must(t, goto_(page, app.URL+"/dashboard/sign-in"))
			check("dash-sign-in")
			must(t, page.GetByTestId("dashboard-email").Fill("nobody@example.com"))
			must(t, page.GetByTestId("dashboard-password").Fill("not the password"))
			must(t, page.GetByTestId("dashboard-sign-in").Click())
			must(t, expect.Locator(page.GetByTestId("dashboard-error")).ToBeVisible())
			check("dash-refused")
			dashboardSignIn(t, page)
			must(t, expect.Locator(page.GetByTestId("session-row-"+s.ID)).ToBeVisible())
			check("dash-payments")
			must(t, page.GetByTestId("sessions-search").Fill("no such order anywhere"))
			must(t, page.GetByTestId("sessions-filter").Click())
			must(t, expect.Locator(page.GetByTestId("sessions-empty")).ToBeVisible())
			check("dash-none")
			must(t, goto_(page, app.URL+"/dashboard/payments?status=nope"))
			must(t, expect.Locator(page.GetByTestId("dashboard-error")).ToBeVisible())
			check("dash-invalid")
			must(t, page.GetByTestId("dashboard-sign-out").Click())
			must(t, expect.Locator(page.GetByTestId("dashboard-notice")).ToBeVisible())
			check("dash-signed-out")
		})
	}
	problems.report(t, "accessibility problems on the dashboard")
}

// TestDashboardByKeyboard: a person signs in, searches the payments by
// order reference and signs out with the keyboard alone.
func TestDashboardByKeyboard(t *testing.T) {
	t.Parallel()
	api := checkoutqa.API{BaseURL: app.URL, Key: app.DemoAPIKey}
	ref := "KEYS-" + checkout.RandomToken(5)
	s, err := api.CreateSession(context.Background(), checkoutqa.SessionOptions{Amount: 1900, Currency: "USD", MerchantReference: ref})
	must(t, err)
	page := newPage(t)
	must(t, goto_(page, app.URL+"/dashboard/sign-in"))
	tabTo := func(id string) {
		t.Helper()
		for range 20 {
			must(t, page.Keyboard().Press("Tab"))
			if got, _ := page.Evaluate(`() => document.activeElement?.dataset?.testid || ""`); got == id {
				return
			}
		}
		t.Fatalf("Tab never reached %s", id)
	}
	tabTo("dashboard-email")
	must(t, page.Keyboard().Type(strings.ToUpper(web.DemoDashboardEmail)))
	tabTo("dashboard-password")
	must(t, page.Keyboard().Type(dashboardPassword))
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("dashboard-user")).ToBeVisible())
	tabTo("sessions-search")
	must(t, page.Keyboard().Type(ref))
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("session-row-"+s.ID)).ToBeVisible())
	must(t, expect.Locator(page.GetByTestId("sessions-table").Locator("tbody tr")).ToHaveCount(1))
	tabTo("dashboard-sign-out")
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("dashboard-notice")).ToBeVisible())
}
