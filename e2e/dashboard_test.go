package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
	"github.com/opencheckout/hostedcheckout/web"
)

// dashboardPassword is the demo dashboard user's password in the e2e app.
const dashboardPassword = "e2e dashboard passphrase"

// dashboardSignIn signs the user with email in on page, with the mouse.
func dashboardSignIn(t *testing.T, page playwright.Page, email string) {
	t.Helper()
	must(t, goto_(page, app.URL+"/dashboard"))
	must(t, page.GetByTestId("dashboard-email").Fill(email))
	must(t, page.GetByTestId("dashboard-password").Fill(dashboardPassword))
	must(t, page.GetByTestId("dashboard-sign-in").Click())
	must(t, expect.Locator(page.GetByTestId("dashboard-user")).ToBeVisible())
}

// TestDashboardPagesAccessible: every dashboard page state (sign-in,
// sign-in refused, signed out, the overview, the payments list with rows,
// with none and with a search it cannot use, a session's page, payment
// links, webhooks, users, the settings (as shown, refused, with a new
// key), the password change, the two-step sign-in's code and setup pages)
// has 0 axe violations, 44×44 px targets and
// its locale's lang and dir, at a phone's and a laptop's width, in the
// source language, a long one, a right-to-left one and one without spaces.
func TestDashboardPagesAccessible(t *testing.T) {
	t.Parallel()
	axeScript(t)
	// A merchant of its own: the demo merchant's list moves on while the
	// other tests run.
	api, email, _ := dashboardMerchant(t)
	s, err := api.CreateSession(context.Background(), checkoutqa.SessionOptions{Amount: 4200, Currency: "EUR",
		MerchantReference: "A11Y-1", Customer: &checkoutqa.Customer{Email: "a11y@example.com"}})
	must(t, err)
	// A user of the same merchant with two-step sign-in on, for the code page.
	totpEmail := totpUser(t, email)
	var problems findings
	for _, loc := range auditLocales {
		t.Run(loc, func(t *testing.T) {
			page := newPage(t, playwright.BrowserNewContextOptions{Locale: playwright.String(loc)})
			check := func(state string) { auditDashboardPage(t, page, &problems, loc, state) }
			must(t, goto_(page, app.URL+"/dashboard/sign-in"))
			check("dash-sign-in")
			must(t, page.GetByTestId("dashboard-email").Fill("nobody@example.com"))
			must(t, page.GetByTestId("dashboard-password").Fill("not the password"))
			must(t, page.GetByTestId("dashboard-sign-in").Click())
			must(t, expect.Locator(page.GetByTestId("dashboard-error")).ToBeVisible())
			check("dash-refused")
			must(t, page.GetByTestId("dashboard-email").Fill(totpEmail))
			must(t, page.GetByTestId("dashboard-password").Fill(dashboardPassword))
			must(t, page.GetByTestId("dashboard-sign-in").Click())
			must(t, expect.Locator(page.GetByTestId("dashboard-code")).ToBeVisible())
			check("dash-sign-in-code")
			dashboardSignIn(t, page, email)
			must(t, expect.Locator(page.GetByTestId("overview")).ToBeVisible())
			check("dash-overview")
			must(t, page.GetByTestId("nav-payments").Click())
			must(t, expect.Locator(page.GetByTestId("session-row-"+s.ID)).ToBeVisible())
			check("dash-payments")
			must(t, page.GetByTestId("session-link-"+s.ID).Click())
			must(t, expect.Locator(page.GetByTestId("detail-reference")).ToHaveText("A11Y-1"))
			check("dash-session")
			must(t, page.GetByTestId("session-back").Click())
			must(t, page.GetByTestId("nav-links").Click())
			must(t, expect.Locator(page.GetByTestId("create-link")).ToBeVisible())
			check("dash-links")
			must(t, page.GetByTestId("nav-users").Click())
			must(t, expect.Locator(page.GetByTestId("users-table")).ToBeVisible())
			check("dash-users")
			must(t, page.GetByTestId("nav-webhooks").Click())
			must(t, expect.Locator(page.GetByTestId("add-endpoint")).ToBeVisible())
			check("dash-webhooks")
			must(t, page.GetByTestId("nav-settings").Click())
			must(t, expect.Locator(page.GetByTestId("settings")).ToBeVisible())
			check("dash-settings")
			must(t, page.GetByTestId("accent-color").Fill("#ffff00"))
			must(t, expect.Locator(page.GetByTestId("contrast-result")).ToHaveClass(regexp.MustCompile(`\bbad\b`)))
			must(t, page.GetByTestId("save-branding").Click())
			must(t, expect.Locator(page.GetByTestId("error-accent-color")).ToBeVisible())
			check("dash-settings-refused")
			must(t, page.GetByTestId("rotate-key").Click())
			must(t, page.GetByTestId("confirm-yes").Click())
			must(t, expect.Locator(page.GetByTestId("new-secret-key")).ToBeVisible())
			check("dash-new-key")
			must(t, page.GetByTestId("nav-account").Click())
			must(t, expect.Locator(page.GetByTestId("account-submit")).ToBeVisible())
			check("dash-account")
			must(t, page.GetByTestId("totp-start").Click())
			must(t, expect.Locator(page.GetByTestId("totp-qr")).ToBeVisible())
			check("dash-totp-enrol")
			must(t, page.GetByTestId("nav-payments").Click())
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
	must(t, expect.Locator(page.GetByTestId("overview")).ToBeVisible())
	tabTo("nav-payments")
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("sessions-table")).ToBeVisible())
	tabTo("sessions-search")
	must(t, page.Keyboard().Type(ref))
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("session-row-"+s.ID)).ToBeVisible())
	must(t, expect.Locator(page.GetByTestId("sessions-table").Locator("tbody tr")).ToHaveCount(1))
	tabTo("dashboard-sign-out")
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("dashboard-notice")).ToBeVisible())
}

// totpUser adds an admin with two-step sign-in on to the merchant of the
// dashboard user email, and returns the new user's email.
func totpUser(t *testing.T, email string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := app.Store.DashboardUserByEmail(ctx, email)
	must(t, err)
	u, _, err := app.Service.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: admin.MerchantID,
		Email: "totp-" + checkout.RandomToken(5) + "@example.com", Password: dashboardPassword})
	must(t, err)
	e, err := app.Service.StartTOTP(u)
	must(t, err)
	code, err := totp.GenerateCodeCustom(e.Secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	must(t, err)
	must(t, app.Service.EnableTOTP(ctx, u, e.Sealed, code, "e2e"))
	return u.Email
}

// dashboardMerchant makes a test merchant of its own (its sessions, users
// and webhooks touch no other test's), with a webhook endpoint at a
// server of the test's and an admin dashboard user; it returns its API and
// the user's email.
func dashboardMerchant(t *testing.T) (checkoutqa.API, string, *webhookLog) {
	t.Helper()
	ctx := context.Background()
	key := checkout.NewSecretKey(false)
	m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Dashboard shop",
		APIKeyHash: checkout.HashAPIKey(key), DefaultProvider: "payorder", CreatedAt: time.Now(),
		ReturnOrigins: []string{"https://merchant.example"}, ReturnSecret: checkout.NewReturnSecret()}
	must(t, app.Store.SaveMerchant(ctx, m))
	email := "admin-" + checkout.RandomToken(5) + "@example.com"
	_, _, err := app.Service.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: m.ID, Email: email, Password: dashboardPassword})
	must(t, err)
	log := &webhookLog{}
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		log.ids = append(log.ids, r.Header.Get("webhook-id"))
		log.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hooks.Close)
	body, _ := json.Marshal(map[string]any{"url": hooks.URL, "enabled_events": []string{"payment.succeeded"}})
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/v1/webhook_endpoints", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("webhook endpoint: %d", res.StatusCode)
	}
	return checkoutqa.API{BaseURL: app.URL, Key: key}, email, log
}

// webhookLog is the webhook-id of every webhook a test merchant's endpoint
// received, in order.
type webhookLog struct {
	mu  sync.Mutex
	ids []string
}

// count is how many times the webhook id was received.
func (l *webhookLog) count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.ids {
		if x == id {
			n++
		}
	}
	return n
}

// only is the one webhook id received, or "" when there are none or more.
func (l *webhookLog) only() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids) != 1 {
		return ""
	}
	return l.ids[0]
}

// TestDashboardFindsAChallengePayment: a person signs in, finds a payOrder
// payment that passed a 3-D Secure challenge by its order reference, opens
// it, and reads its story: device data collection, the challenge shown and
// answered, the provider calls with their latency, the status change, and
// the webhook delivered to the shop. payOrder's adapter cannot refund, so
// they refund part of a Worldline payment, confirming, and see the refund
// in the timeline with their name, and through the API.
func TestDashboardFindsAChallengePayment(t *testing.T) {
	t.Parallel()
	api, email, hooks := dashboardMerchant(t)
	ref := "CHALLENGE-" + checkout.RandomToken(5)
	s, err := api.CreateSession(context.Background(), checkoutqa.SessionOptions{Amount: 2500, Currency: "USD", Provider: "payorder", MerchantReference: ref})
	must(t, err)
	shopper := newPage(t)
	must(t, goto_(shopper, s.URL))
	must(t, checkoutqa.PayWithCard(shopper, checkoutqa.Card{Number: testcards.Challenge}))
	must(t, checkoutqa.AnswerChallenge(shopper, testcards.ChallengeCode))
	if got, err := checkoutqa.WaitForResult(shopper, 20*time.Second); err != nil || got != "succeeded" {
		t.Fatalf("the shopper's payment: %q %v", got, err)
	}

	page := newPage(t)
	must(t, goto_(page, app.URL+"/dashboard"))
	must(t, page.GetByTestId("dashboard-email").Fill(email))
	must(t, page.GetByTestId("dashboard-password").Fill(dashboardPassword))
	must(t, page.GetByTestId("dashboard-sign-in").Click())
	must(t, page.GetByTestId("nav-payments").Click())
	must(t, page.GetByTestId("sessions-search").Fill(ref))
	must(t, page.GetByTestId("sessions-filter").Click())
	must(t, expect.Locator(page.GetByTestId("session-row-"+s.ID)).ToHaveAttribute("data-payment-status", "paid"))
	must(t, page.GetByTestId("session-link-"+s.ID).Click())
	must(t, expect.Locator(page.GetByTestId("detail-reference")).ToHaveText(ref))
	must(t, expect.Locator(page.GetByTestId("detail-3ds-flow")).ToHaveText("challenge"))
	// The webhook is delivered in the background: reload until it shows.
	delivered := page.GetByTestId("webhook-deliveries").Locator(`tr[data-status="succeeded"]`)
	for range 50 {
		if n, _ := delivered.Count(); n > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
		_, err := page.Reload()
		must(t, err)
	}
	must(t, expect.Locator(delivered).ToHaveCount(1))
	kinds, err := page.GetByTestId("timeline-event").EvaluateAll(`els => els.map(e => e.dataset.kind)`)
	must(t, err)
	got := fmt.Sprint(kinds)
	for _, want := range []string{"session.created", "page.viewed", "payment.submitted", "device_data.started", "device_data.completed",
		"challenge.shown", "challenge.returned", "provider.call", "payment.status_changed", "webhook.sent"} {
		if !strings.Contains(got, want) {
			t.Errorf("the timeline %s has no %s", got, want)
		}
	}
	call := page.GetByTestId("timeline-event").And(page.Locator(`[data-kind="provider.call"]`)).First()
	must(t, expect.Locator(call).ToContainText("payorder"))
	must(t, expect.Locator(call).ToContainText("Took "))
	// The whole story, at both widths, passes the page checks.
	var problems findings
	audit := func(state string) { auditDashboardPage(t, page, &problems, "en", state) }
	audit("dash-paid-session")

	// payOrder's adapter cannot refund: no refund is offered.
	must(t, expect.Locator(page.GetByTestId("refund-submit")).ToHaveCount(0))

	// The delivered webhook, sent again: the shop receives it a second
	// time under the same webhook-id.
	webhookID := hooks.only()
	if webhookID == "" {
		t.Fatal("the shop did not receive exactly one webhook, the payment.succeeded")
	}
	redeliver := page.Locator(`[data-testid^="redeliver-"]`)
	must(t, expect.Locator(redeliver).ToHaveCount(1))
	must(t, redeliver.Click())
	must(t, expect.Locator(page.GetByTestId("action-notice")).ToBeVisible())
	for i := 0; hooks.count(webhookID) < 2 && i < 100; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if n := hooks.count(webhookID); n != 2 {
		t.Fatalf("the shop received webhook %s %d times, want 2 after Send again", webhookID, n)
	}

	// A partial refund of a Worldline payment (its challenge in the whole
	// window), confirmed, shows in the timeline with who asked for it,
	// and through the API.
	wl, err := api.CreateSession(context.Background(), checkoutqa.SessionOptions{Amount: 2500, Currency: "EUR", Provider: "worldline", MerchantReference: ref + "-WL"})
	must(t, err)
	must(t, goto_(shopper, wl.URL))
	must(t, checkoutqa.PayWithCard(shopper, checkoutqa.Card{Number: testcards.Challenge}))
	must(t, checkoutqa.AnswerChallenge(shopper, testcards.ChallengeCode))
	if got, err := checkoutqa.WaitForResult(shopper, 20*time.Second); err != nil || got != "succeeded" {
		t.Fatalf("the Worldline payment: %q %v", got, err)
	}
	must(t, goto_(page, app.URL+"/dashboard/payments/"+wl.ID))
	must(t, page.GetByTestId("refund-amount").Fill("7.50"))
	must(t, page.GetByTestId("refund-submit").Click())
	must(t, expect.Locator(page.GetByTestId("confirm-question")).ToContainText("€7.50"))
	audit("dash-confirm")
	must(t, page.GetByTestId("confirm-yes").Click())
	if err := expect.Locator(page.GetByTestId("action-notice")).ToBeVisible(); err != nil {
		body, _ := page.Locator("main").InnerText()
		t.Fatalf("after confirming the refund, %s shows: %s", page.URL(), body)
	}
	refund := page.GetByTestId("timeline-event").And(page.Locator(`[data-kind="refund.created"]`))
	must(t, expect.Locator(refund).ToHaveCount(1))
	must(t, expect.Locator(refund.GetByTestId("timeline-actor")).ToContainText(email))
	must(t, expect.Locator(page.GetByTestId("detail-refunded")).ToContainText("€7.50"))
	audit("dash-refunded")
	got2, err := api.Session(context.Background(), wl.ID)
	must(t, err)
	if p, _ := got2["payment"].(map[string]any); p == nil || p["amount_refunded"] != float64(750) {
		t.Errorf("the API's payment after the refund: %v", got2["payment"])
	}

	// The overview counts both payments, both challenged, and each
	// provider's latency.
	must(t, page.GetByTestId("nav-overview").Click())
	must(t, expect.Locator(page.GetByTestId("overview-challenge-rate")).ToHaveText("100%"))
	must(t, expect.Locator(page.GetByTestId("chart-latency")).ToContainText("payorder"))
	must(t, expect.Locator(page.GetByTestId("chart-latency")).ToContainText("worldline"))
	must(t, expect.Locator(page.GetByTestId("volume-today-USD")).ToHaveText("$25.00"))
	audit("dash-overview-data")
	problems.report(t, "accessibility problems on a paid session's page")
}

// TestDashboardPaymentLink: a person creates a payment link in the
// dashboard for a phone order, and the customer pays it at its URL; the
// form, and the page showing the link and its QR code, pass the page
// checks.
func TestDashboardPaymentLink(t *testing.T) {
	t.Parallel()
	_, email, _ := dashboardMerchant(t)
	page := newPage(t)
	must(t, goto_(page, app.URL+"/dashboard"))
	must(t, page.GetByTestId("dashboard-email").Fill(email))
	must(t, page.GetByTestId("dashboard-password").Fill(dashboardPassword))
	must(t, page.GetByTestId("dashboard-sign-in").Click())
	must(t, page.GetByTestId("nav-links").Click())
	var problems findings
	audit := func(state string) { auditDashboardPage(t, page, &problems, "en", state) }
	audit("dash-links")
	ref := "PHONE-" + checkout.RandomToken(5)
	must(t, page.GetByTestId("link-amount").Fill("19.00"))
	_, err := page.GetByTestId("link-currency").SelectOption(playwright.SelectOptionValues{Values: &[]string{"USD"}})
	must(t, err)
	must(t, page.GetByTestId("link-description").Fill("Ceramic mug, ordered by phone"))
	must(t, page.GetByTestId("link-reference").Fill(ref))
	must(t, page.GetByTestId("link-return").Fill("https://merchant.example/thanks"))
	must(t, page.GetByTestId("create-link").Click())
	must(t, expect.Locator(page.GetByTestId("link-qr")).ToBeVisible())
	audit("dash-link-created")
	link, err := page.GetByTestId("link-url").InputValue()
	must(t, err)

	shopper := newPage(t)
	must(t, goto_(shopper, link))
	must(t, expect.Locator(shopper.GetByTestId("order-total")).ToContainText("$19.00"))
	must(t, checkoutqa.PayWithCard(shopper, checkoutqa.Card{Number: testcards.Visa}))
	if got, err := checkoutqa.WaitForResult(shopper, 20*time.Second); err != nil || got != "succeeded" {
		t.Fatalf("paying the link: %q %v", got, err)
	}
	must(t, page.GetByTestId("link-session").Click())
	must(t, expect.Locator(page.GetByTestId("detail-reference")).ToHaveText(ref))
	must(t, expect.Locator(page.GetByTestId("detail-payment-status")).ToHaveText("Paid"))
	problems.report(t, "accessibility problems on the payment link pages")
}

// auditDashboardPage runs the page checks (axe, 44 px targets, focus never
// hidden, the locale's lang and dir) on page at a phone's and a laptop's width, adding what they find
// to problems under loc and state.
func auditDashboardPage(t *testing.T, page playwright.Page, problems *findings, loc, state string) {
	t.Helper()
	for _, vp := range galleryWidths {
		must(t, page.SetViewportSize(vp.Width, vp.Height))
		for _, list := range [][]finding{runAxe(t, page), smallTargets(t, page), focusNotObscured(t, page), langAndDir(t, page, loc)} {
			for _, f := range list {
				f.Locale, f.State, f.Width = loc, state, vp.Width
				problems.add(f)
			}
		}
	}
}
