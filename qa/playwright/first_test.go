package playwright_test

import (
	"context"
	"os"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// A first suite: a card, a 3-D Secure challenge, a decline and a wallet,
// each in its own browser context, against `go run .` (see the README's QA
// guide).
func TestFirstSuite(t *testing.T) {
	api := checkoutqa.API{BaseURL: env("CHECKOUT_BASE_URL", "http://127.0.0.1:8080"), Key: os.Getenv("CHECKOUT_API_KEY")}
	pw, err := playwright.Run(&playwright.RunOptions{SkipInstallBrowsers: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Stop()
	browser, err := pw.Chromium.Launch(playwright.BrowserTypeLaunchOptions{
		ExecutablePath: playwright.String(env("CHECKOUT_CHROMIUM", "/usr/bin/chromium-headless-shell"))})
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()

	// checkout creates a session, plays it in a fresh page and returns the
	// result page's status and the payment as the merchant API reports it.
	checkout := func(t *testing.T, o checkoutqa.SessionOptions, play func(playwright.Page) error) (string, map[string]any) {
		ctx := context.Background()
		s, err := api.CreateSession(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		bc, err := browser.NewContext()
		if err != nil {
			t.Fatal(err)
		}
		defer bc.Close()
		page, err := bc.NewPage()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := page.Goto(s.URL); err != nil {
			t.Fatal(err)
		}
		if err := play(page); err != nil {
			t.Fatal(err)
		}
		status, err := checkoutqa.WaitForResult(page, 0)
		if err != nil {
			t.Fatal(err)
		}
		session, err := api.Session(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		payment, _ := session["payment"].(map[string]any)
		return status, payment
	}
	field := func(m map[string]any, path ...string) any {
		var v any = m
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}

	t.Run("a card pays without a challenge", func(t *testing.T) {
		status, payment := checkout(t, checkoutqa.SessionOptions{Provider: "payorder", Amount: 2500, Currency: "USD"},
			func(page playwright.Page) error {
				return checkoutqa.PayWithCard(page, checkoutqa.Card{Number: "4242424242424242"})
			})
		if status != "succeeded" || field(payment, "three_ds", "flow") != "frictionless" {
			t.Fatalf("%s, payment %v", status, payment)
		}
	})
	t.Run("a challenge card passes with 1234", func(t *testing.T) {
		status, payment := checkout(t, checkoutqa.SessionOptions{Provider: "worldline", Amount: 2500, Currency: "EUR"},
			func(page playwright.Page) error {
				if err := checkoutqa.PayWithCard(page, checkoutqa.Card{Number: "4000000000003220"}); err != nil {
					return err
				}
				return checkoutqa.AnswerChallenge(page, "1234") // Worldline: the whole window; payOrder: an iframe
			})
		if status != "succeeded" || field(payment, "three_ds", "flow") != "challenge" {
			t.Fatalf("%s, payment %v", status, payment)
		}
	})
	t.Run("a declined card fails with its reason", func(t *testing.T) {
		status, payment := checkout(t, checkoutqa.SessionOptions{Provider: "antom", Amount: 2500, Currency: "USD"},
			func(page playwright.Page) error {
				return checkoutqa.PayWithCard(page, checkoutqa.Card{Number: "4000000000009995"})
			})
		if status != "failed" || field(payment, "decline", "code") != "insufficient_funds" {
			t.Fatalf("%s, payment %v", status, payment)
		}
	})
	t.Run("the wallet approves", func(t *testing.T) {
		status, payment := checkout(t, checkoutqa.SessionOptions{Provider: "alipayplus", Amount: 2500, Currency: "USD",
			Methods: []string{"wallet"}}, func(page playwright.Page) error {
			return checkoutqa.ApproveWallet(page, "approve")
		})
		if status != "succeeded" || field(payment, "method") != "wallet" {
			t.Fatalf("%s, payment %v", status, payment)
		}
	})
}

func env(name, otherwise string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return otherwise
}
