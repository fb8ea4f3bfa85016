// Package checkoutqa is a Playwright kit for the hosted checkout, for
// playwright-go users: create sessions over the merchant API, pay on the
// hosted page with a card, a wallet or a saved card, answer 3-D Secure
// challenges wherever the provider shows them, wait for the result, and play
// every entry of the sandbox scenario catalogue (qa/scenarios.json).
//
// Every helper returns an error and takes no *testing.T, so it fits any test
// runner. Element waits use the page's default timeout
// (page.SetDefaultTimeout). The card numbers come from the sandbox test
// cards; a test-mode key (sk_test_…) pays only in the sandboxes.
//
// A whole suite, against a server started with `go run .`:
//
//	func TestEveryScenario(t *testing.T) {
//		pw, _ := playwright.Run()
//		browser, _ := pw.Chromium.Launch()
//		api := checkoutqa.API{BaseURL: "http://127.0.0.1:8080", Key: os.Getenv("CHECKOUT_KEY")}
//		catalogue, err := checkoutqa.FetchScenarios(context.Background(), api.BaseURL)
//		if err != nil {
//			t.Fatal(err)
//		}
//		for _, provider := range catalogue.Providers {
//			for _, s := range provider.Scenarios {
//				t.Run(s.ID, func(t *testing.T) {
//					page, _ := browser.NewPage()
//					defer page.Close()
//					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
//					defer cancel()
//					played, err := api.Play(ctx, page, provider, s)
//					if err == nil {
//						err = checkoutqa.Check(s, played)
//					}
//					if err != nil {
//						t.Fatal(err)
//					}
//				})
//			}
//		}
//	}
//
// One payment by hand:
//
//	s, err := api.CreateSession(ctx, checkoutqa.SessionOptions{Amount: 2500, Currency: "USD"})
//	_, err = page.Goto(s.URL)
//	err = checkoutqa.PayWithCard(page, checkoutqa.Card{Number: "4000 0000 0000 3220"})
//	err = checkoutqa.AnswerChallenge(page, "1234")
//	status, err := checkoutqa.WaitForResult(page, 30*time.Second) // "succeeded"
package checkoutqa
