package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

var expect = playwright.NewPlaywrightAssertions(15000)

// newPage opens a fresh browser context (its own cookies) and page.
func newPage(t *testing.T, opts ...playwright.BrowserNewContextOptions) playwright.Page {
	t.Helper()
	var o playwright.BrowserNewContextOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Locale == nil {
		// A browser's own language, as a person's browser sends it
		// (Accept-Language, navigator.language); the headless shell has
		// none unless told.
		o.Locale = playwright.String("en-US")
	}
	bc, err := browser.NewContext(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bc.Close() })
	page, err := bc.NewPage()
	if err != nil {
		t.Fatal(err)
	}
	page.SetDefaultTimeout(15000)
	return page
}

var sessionURL = regexp.MustCompile(`/c/(cs_[0-9a-z]{32,36})$`)

// shopAndCheckout buys the mug in the demo shop and returns the checkout
// session id the browser landed on.
func shopAndCheckout(t *testing.T, page playwright.Page) string {
	t.Helper()
	must(t, goto_(page, app.URL+"/"))
	must(t, page.GetByTestId("buy-mug").Click())
	must(t, page.WaitForURL(sessionURL))
	return sessionURL.FindStringSubmatch(page.URL())[1]
}

// fillCard types a card into the hosted form (the kit's FillCard), exactly
// as given: an empty holder stays empty.
func fillCard(t *testing.T, page playwright.Page, number, expiry, code, holder string) {
	t.Helper()
	remember(number)
	must(t, checkoutqa.FillCard(page, checkoutqa.Card{Number: number, Expiry: expiry, CVC: code, Name: holder}))
	if holder == "" { // the kit types its default name for an empty one
		must(t, page.GetByTestId("cardholder-name").Fill(""))
	}
}

// passChallenge answers the sandbox challenge (the kit's AnswerChallenge:
// inside the challenge iframe, or on the provider's page).
func passChallenge(t *testing.T, page playwright.Page, otp string) {
	t.Helper()
	must(t, checkoutqa.AnswerChallenge(page, otp))
}

// expectResult waits for the result page to show status: the kit's
// WaitForResult for a final status; a pending one is expected as it shows
// (WaitForResult waits past it).
func expectResult(t *testing.T, page playwright.Page, status string) {
	t.Helper()
	if status == "pending" {
		must(t, expect.Locator(page.GetByTestId("result-status")).ToHaveAttribute("data-status", status,
			playwright.LocatorAssertionsToHaveAttributeOptions{Timeout: playwright.Float(20000)}))
		return
	}
	got, err := checkoutqa.WaitForResult(page, 20*time.Second)
	must(t, err)
	if got != status {
		t.Fatalf("result status %q, want %q", got, status)
	}
}

// apiSession reads a session through the merchant API with the demo key.
func apiSession(t *testing.T, id string) map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, app.URL+"/v1/checkout/sessions/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+app.DemoAPIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET session: %d %v", res.StatusCode, err)
	}
	return out
}

// payments reads a session's attempts from the store.
func payments(t *testing.T, sessionID string) []*checkout.Payment {
	t.Helper()
	pays, err := app.Store.SessionPayments(context.Background(), sessionID)
	if err != nil {
		t.Fatal(err)
	}
	return pays
}

// charges is how often the payorder sandbox charged the payment's order.
func charges(paymentID string) int {
	o, ok := app.Sandbox.Payorder.Order(paymentID)
	if !ok {
		return 0
	}
	return o.Charges
}

// goto_ navigates page to url and waits for its load event. A navigation
// that times out is tried once more: on a loaded two-core machine the
// browser has, rarely, never fired the load event of a page the server
// answered in milliseconds (the app's log shows every request and its
// time, so a slow server is not hidden by this).
func goto_(page playwright.Page, url string) error {
	_, err := page.Goto(url)
	if errors.Is(err, playwright.ErrTimeout) {
		_, err = page.Goto(url)
	}
	return err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, l playwright.Locator) string {
	t.Helper()
	s, err := l.TextContent()
	must(t, err)
	return strings.TrimSpace(s)
}

func expiry() string { return time.Now().AddDate(3, 0, 0).Format("01/06") }
