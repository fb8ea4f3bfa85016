package checkoutqa_test

import (
	"context"
	"fmt"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// A challenge card paid on the hosted page, against a server started with
// `go run .` (its test key printed at startup).
func Example() {
	pw, err := playwright.Run()
	if err != nil {
		panic(err)
	}
	defer pw.Stop()
	browser, err := pw.Chromium.Launch()
	if err != nil {
		panic(err)
	}
	page, err := browser.NewPage()
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	api := checkoutqa.API{BaseURL: "http://127.0.0.1:8080", Key: "sk_test_…"}
	s, err := api.CreateSession(ctx, checkoutqa.SessionOptions{Amount: 2500, Currency: "USD", Provider: "payorder"})
	if err != nil {
		panic(err)
	}
	if _, err := page.Goto(s.URL); err != nil {
		panic(err)
	}
	if err := checkoutqa.PayWithCard(page, checkoutqa.Card{Number: "4000 0000 0000 3220"}); err != nil {
		panic(err)
	}
	if err := checkoutqa.AnswerChallenge(page, "1234"); err != nil {
		panic(err)
	}
	status, err := checkoutqa.WaitForResult(page, 30*time.Second)
	if err != nil {
		panic(err)
	}
	session, err := api.Session(ctx, s.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(status, session["payment_status"]) // succeeded paid
}

// Every scenario of the catalogue, checked against what it documents.
func ExampleAPI_Play() {
	var page playwright.Page // a fresh page per scenario in a real suite
	api := checkoutqa.API{BaseURL: "http://127.0.0.1:8080", Key: "sk_test_…"}
	catalogue, err := checkoutqa.Scenarios()
	if err != nil {
		panic(err)
	}
	for _, provider := range catalogue.Providers {
		for _, s := range provider.Scenarios {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			played, err := api.Play(ctx, page, provider, s)
			cancel()
			if err == nil {
				err = checkoutqa.Check(s, played)
			}
			fmt.Println(s.ID, err)
		}
	}
}
