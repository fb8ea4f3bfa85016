package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// focused is the data-testid (else the id, else the tag) of the element
// that has focus in the page's main document.
func focused(t *testing.T, page playwright.Page) string {
	t.Helper()
	v, err := page.Evaluate(`() => { const el = document.activeElement;
		return !el ? "" : el.dataset.testid || (el.id ? "#" + el.id : el.tagName.toLowerCase()); }`)
	must(t, err)
	return v.(string)
}

// tab presses Tab and returns what has focus after it.
func tab(t *testing.T, page playwright.Page) string {
	t.Helper()
	must(t, page.Keyboard().Press("Tab"))
	return focused(t, page)
}

// typeInto selects what the focused field holds and types s over it, key by
// key, as a keyboard does.
func typeInto(t *testing.T, page playwright.Page, s string) {
	t.Helper()
	must(t, page.Keyboard().Press("ControlOrMeta+A"))
	must(t, page.Keyboard().Type(s))
}

// TestKeyboardOnly: a shopper with a keyboard alone, in German, pays with a
// card that asks for the payOrder challenge. Tab walks the form in reading
// order; Enter submits; after a refused submit focus is on the error
// summary, whose entries lead to their fields; the challenge inside the
// provider's iframe is answered with Tab, typing and Enter; the result
// takes focus nowhere it should not.
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	de, _ := i18n.Get("de")
	page := newPage(t, playwright.BrowserNewContextOptions{Locale: playwright.String("de-DE")})
	id := gallerySession(t, "auto", sessionOptions{provider: "payorder"})
	must(t, goto_(page, app.URL+"/c/"+id))
	must(t, expect.Locator(page.GetByTestId("pay-button")).ToBeVisible())

	// Tab order: the form's fields in reading order, then the button.
	want := []string{"card-number", "card-expiry", "card-cvc", "cardholder-name", "pay-button"}
	var got []string
	for i := 0; i < 12 && !slices.Contains(got, "pay-button"); i++ {
		if f := tab(t, page); slices.Contains(want, f) {
			got = append(got, f)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Tab order %v, want %v", got, want)
	}

	// A card number that fails its check digit, typed; Enter submits.
	for _, f := range want[:4] {
		must(t, page.GetByTestId(f).Focus())
		switch f {
		case "card-number":
			typeInto(t, page, "4242 4242 4242 4241")
		case "card-expiry":
			typeInto(t, page, expiry())
		case "card-cvc":
			typeInto(t, page, cvc)
		case "cardholder-name":
			typeInto(t, page, "Ada Lovelace")
		}
	}
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("error-summary")).ToBeFocused())
	if h := text(t, page.Locator("#error-summary-heading")); h != de.T("form.errors_heading") {
		t.Errorf("error summary heading %q, want %q", h, de.T("form.errors_heading"))
	}
	// Its entry leads to the field.
	if f := tab(t, page); f != "error-summary-card-number" {
		t.Fatalf("Tab from the error summary reached %q, want its card number entry", f)
	}
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(page.GetByTestId("card-number")).ToBeFocused())
	remember(testcards.Challenge)
	typeInto(t, page, testcards.Challenge)
	// The refused submit kept the other fields but the security code.
	must(t, page.GetByTestId("card-cvc").Focus())
	typeInto(t, page, cvc)
	must(t, page.Keyboard().Press("Enter"))

	// Device data collection runs by itself; then the bank's challenge in
	// its iframe, whose title is translated.
	must(t, expect.Locator(page.GetByTestId("challenge-frame")).ToBeVisible(playwright.LocatorAssertionsToBeVisibleOptions{Timeout: playwright.Float(20000)}))
	must(t, expect.Locator(page.GetByTestId("challenge-frame")).ToHaveAttribute("title", de.T("challenge.frame_title")))
	frame := page.FrameLocator("[data-testid=challenge-frame]")
	otp := frame.GetByTestId("otp-input")
	must(t, expect.Locator(otp).ToBeVisible())
	inOTP := func() bool {
		v, err := otp.Evaluate(`el => el === document.activeElement && document.hasFocus()`, nil)
		must(t, err)
		return v == true
	}
	for i := 0; i < 15 && !inOTP(); i++ {
		must(t, page.Keyboard().Press("Tab"))
	}
	if !inOTP() {
		t.Fatal("Tab never reached the challenge's code field inside its iframe")
	}
	must(t, page.Keyboard().Type(testcards.ChallengeCode))
	must(t, page.Keyboard().Press("Enter"))
	expectResult(t, page, "succeeded")
	must(t, expect.Locator(page.Locator("h1")).ToHaveCount(1))
}

// TestStatusAnnounced: the waiting page tells a screen reader when the
// payment settles (its aria-live region) without reloading under the
// shopper or moving focus, in the shopper's language.
func TestStatusAnnounced(t *testing.T) {
	t.Parallel()
	ja, _ := i18n.Get("ja")
	page := newPage(t, playwright.BrowserNewContextOptions{Locale: playwright.String("ja-JP")})
	id := gallerySession(t, "auto", sessionOptions{provider: "payorder"})
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.TimeoutAfterCharge, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "pending")
	live := page.Locator("#status-live")
	if n, _ := live.GetAttribute("aria-live"); n != "polite" {
		t.Fatalf("status region aria-live=%q", n)
	}
	// A marker the page keeps unless it reloads.
	_, err := page.Evaluate(`() => { window.__kept = true; }`)
	must(t, err)
	must(t, page.GetByTestId("check-again").Focus())
	expectResult(t, page, "succeeded")
	must(t, expect.Locator(live).ToContainText(ja.T("result.updated"), playwright.LocatorAssertionsToContainTextOptions{Timeout: playwright.Float(5000)}))
	kept, err := page.Evaluate(`() => window.__kept === true`)
	must(t, err)
	if kept != true {
		t.Error("the waiting page reloaded itself")
	}
	if txt := text(t, live); !strings.Contains(txt, text(t, page.GetByTestId("result-status"))) {
		t.Errorf("the announcement %q does not say the new status", txt)
	}
	if f := focused(t, page); f != "body" {
		// The link that had focus is gone with the old content; focus
		// must not jump into the page by itself.
		t.Errorf("focus moved to %s after the update", f)
	}
}

// TestKeyboardChoosesTheMethod: on a page offering the card and the wallet,
// in Arabic (right to left), Tab reaches the chosen method's radio, an
// arrow key moves the choice to the wallet and shows its form in place of
// the card's, Tab reaches "Pay with wallet" and Enter opens the cashier.
func TestKeyboardChoosesTheMethod(t *testing.T) {
	t.Parallel()
	page := newPage(t, playwright.BrowserNewContextOptions{Locale: playwright.String("ar")})
	id := gallerySession(t, "ar", sessionOptions{methods: []string{"card", "wallet"}})
	must(t, goto_(page, app.URL+"/c/"+id))
	must(t, expect.Locator(page.GetByTestId("payment-method-card")).ToBeChecked())
	f := ""
	for i := 0; i < 10 && f != "payment-method-card"; i++ {
		f = tab(t, page)
	}
	if f != "payment-method-card" {
		t.Fatalf("Tab never reached the card method, last on %q", f)
	}
	must(t, page.Keyboard().Press("ArrowDown"))
	must(t, expect.Locator(page.GetByTestId("payment-method-wallet-option")).ToBeFocused())
	must(t, expect.Locator(page.GetByTestId("payment-method-wallet-option")).ToBeChecked())
	must(t, expect.Locator(page.GetByTestId("card-number")).ToBeHidden())
	if f := tab(t, page); f != "payment-method-wallet" {
		t.Fatalf("Tab after the wallet method reached %q, want Pay with wallet", f)
	}
	must(t, page.Keyboard().Press("Enter"))
	must(t, page.WaitForURL("**/sandbox/alipayplus/**"))
}
