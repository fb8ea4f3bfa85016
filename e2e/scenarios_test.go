package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// TestScenarioCatalogue plays the scenario catalogue (qa/scenarios.json)
// through the Go kit, as a QA suite would, with the demo merchant's key,
// and checks each entry against its documented outcome. It plays one entry
// of every kind per provider (every way the kit plays a scenario; see
// kind): every entry is played in Chromium by the
// JavaScript kit's example spec (qa/playwright TestExampleSpec) and over
// HTTP by web TestCatalogueEntriesOverHTTP, and playing all of them again
// here would add minutes to every run for no path not already taken.
func TestScenarioCatalogue(t *testing.T) {
	catalogue, err := qa.Load()
	must(t, err)
	api := checkoutqa.API{BaseURL: app.URL, Key: app.DemoAPIKey}
	n := 0
	played := map[string]bool{}
	for _, provider := range catalogue.Providers {
		for _, s := range provider.Scenarios {
			k := kind(provider, s)
			if played[k] {
				continue
			}
			played[k] = true
			n++
			t.Run(s.ID, func(t *testing.T) {
				t.Parallel()
				if s.Card != nil {
					remember(s.Card.Number)
				}
				page := newPage(t)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				played, err := api.Play(ctx, page, provider, s)
				must(t, err)
				if err := checkoutqa.Check(s, played); err != nil {
					t.Fatalf("%v\n(payment %v)", err, played.Payment)
				}
			})
		}
	}
	if n < 20 {
		t.Fatalf("%d kinds of scenario played; the catalogue has lost some", n)
	}
}

// kind is how the kit plays a scenario: the provider, whether a challenge
// is answered, the wallet action, the capture mode, the card that times out
// after charging (the result page waits past pending) and a card the
// add-card page does not save. How each ends is checked for every entry by
// the example spec and over HTTP.
func kind(p qa.Provider, s qa.Scenario) string {
	var number string
	if s.Card != nil {
		number = s.Card.Number
	}
	notSaved := s.Outcome.CardSaved != nil && !*s.Outcome.CardSaved
	return fmt.Sprint(p.Provider, s.ChallengeCode != "", s.WalletAction, s.CaptureMode,
		number == testcards.TimeoutAfterCharge, notSaved)
}
