package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// buyEmbedded buys the mug from the demo shop served at shopURL with the
// checkout embedded in the shop's page.
func buyEmbedded(t *testing.T, page playwright.Page, shopURL string) playwright.FrameLocator {
	t.Helper()
	must(t, goto_(page, shopURL+"/"))
	_, err := page.GetByTestId("demo-embed").SelectOption(playwright.SelectOptionValues{Values: &[]string{"true"}})
	must(t, err)
	must(t, page.GetByTestId("buy-mug").Click())
	must(t, expect.Locator(page.GetByTestId("embedded-checkout").Locator("iframe")).ToHaveCount(1))
	return page.FrameLocator("[data-testid=embedded-checkout] iframe")
}

// payInFrame pays with a card in the embedded checkout.
func payInFrame(t *testing.T, frame playwright.FrameLocator, number string) {
	t.Helper()
	remember(number)
	must(t, frame.GetByTestId("card-number").Fill(number))
	must(t, frame.GetByTestId("card-expiry").Fill(expiry()))
	must(t, frame.GetByTestId("card-cvc").Fill(cvc))
	must(t, frame.GetByTestId("cardholder-name").Fill("Ada Lovelace"))
	must(t, frame.GetByTestId("pay-button").Click())
}

// TestEmbeddedCheckout pays inside an iframe on another site (the demo
// shop on localhost embedding the checkout on 127.0.0.1), with third-party
// cookies blocked: frictionless and challenge, and the shop hears the end.
func TestEmbeddedCheckout(t *testing.T) {
	for _, row := range []struct{ name, number, otp string }{
		{"frictionless", testcards.Visa, ""},
		{"challenge", testcards.Challenge, testcards.ChallengeCode},
	} {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			page := newPage(t)
			frame := buyEmbedded(t, page, app.SandboxURL)
			payInFrame(t, frame, row.number)
			if row.otp != "" {
				acs := frame.FrameLocator("[data-testid=challenge-frame]")
				must(t, acs.GetByTestId("otp-input").Fill(row.otp))
				must(t, acs.GetByTestId("otp-submit").Click())
			}
			must(t, expect.Locator(frame.GetByTestId("result-status")).ToHaveAttribute("data-status", "succeeded",
				playwright.LocatorAssertionsToHaveAttributeOptions{Timeout: playwright.Float(20000)}))
			// The shop's page heard it by postMessage, and sized the frame.
			must(t, expect.Locator(page.GetByTestId("embed-status")).ToHaveAttribute("data-status", "succeeded"))
			style, err := page.Locator("[data-testid=embedded-checkout] iframe").GetAttribute("style")
			must(t, err)
			if !strings.Contains(style, "height:") && !strings.Contains(style, "height: ") {
				t.Fatalf("the iframe was never sized: %q", style)
			}
			if !strings.HasPrefix(page.URL(), app.SandboxURL) {
				t.Fatalf("the shopper left the shop's page: %s", page.URL())
			}
			expectNoCheckoutCookies(t, page)
		})
	}
}

// TestEmbeddingRefusedOnOtherOrigins: the same shop page served from an
// origin the merchant did not allow cannot frame the checkout.
func TestEmbeddingRefusedOnOtherOrigins(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	frame := buyEmbedded(t, page, app.URL)
	time.Sleep(2 * time.Second)
	if n, _ := frame.GetByTestId("card-number").Count(); n != 0 {
		t.Fatal("the checkout rendered inside a frame on an origin that is not allowed")
	}
	if s, _ := page.GetByTestId("embed-status").GetAttribute("data-status"); s != "" {
		t.Fatalf("the shop heard %q from a blocked frame", s)
	}
}

// TestEmbeddedRedirectBreaksOut: a redirect provider's step takes the whole
// window on the shopper's click, then returns to our result page, which
// returns to the merchant.
func TestEmbeddedRedirectBreaksOut(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	must(t, goto_(page, app.SandboxURL+"/"))
	for hook, value := range map[string]string{"demo-embed": "true", "demo-provider": "worldline", "demo-currency": "EUR"} {
		_, err := page.GetByTestId(hook).SelectOption(playwright.SelectOptionValues{Values: &[]string{value}})
		must(t, err)
	}
	must(t, page.GetByTestId("buy-mug").Click())
	frame := page.FrameLocator("[data-testid=embedded-checkout] iframe")
	payInFrame(t, frame, testcards.Challenge)
	// Inside the frame the step waits for a click, which takes the whole window.
	must(t, frame.GetByTestId("redirect-continue").Click())
	must(t, page.WaitForURL("**/sandbox/worldline/3dsecure/**"))
	must(t, page.GetByTestId("otp-input").Fill(testcards.ChallengeCode))
	must(t, page.GetByTestId("otp-submit").Click())
	expectResult(t, page, "succeeded")
	must(t, page.GetByTestId("return-to-merchant").Click())
	must(t, page.WaitForURL("**/demo/return**"))
	if notice := text(t, page.GetByTestId("demo-notice")); !strings.Contains(notice, "is paid") {
		t.Fatalf("back at the shop: %q", notice)
	}
}

// expectNoCheckoutCookies: the checkout keeps its state in the session id
// and the form token, never in a cookie; the shop's own cookie is
// host-only, secure, script-proof and SameSite=None.
func expectNoCheckoutCookies(t *testing.T, page playwright.Page) {
	t.Helper()
	cookies, err := page.Context().Cookies()
	must(t, err)
	shop := false
	for _, c := range cookies {
		shop = shop || c.Name == "__Host-demo_shop"
		if c.Domain == "127.0.0.1" {
			t.Errorf("the checkout set a cookie: %s", c.Name)
		}
		if c.Name == "__Host-demo_shop" && (!c.Secure || !c.HttpOnly || c.SameSite == nil || *c.SameSite != *playwright.SameSiteAttributeNone) {
			t.Errorf("the shop's cookie: %+v", c)
		}
	}
	if !shop {
		t.Error("the browser did not keep the shop's cookie")
	}
}
