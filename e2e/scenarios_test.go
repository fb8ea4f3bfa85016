package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// TestScenarioCatalogue plays every entry of the scenario catalogue
// (qa/scenarios.json) through the Go kit, as a QA suite would, with the
// demo merchant's key, and checks each against its documented outcome.
func TestScenarioCatalogue(t *testing.T) {
	catalogue, err := qa.Load()
	must(t, err)
	api := checkoutqa.API{BaseURL: app.URL, Key: app.DemoAPIKey}
	n := 0
	for _, provider := range catalogue.Providers {
		for _, s := range provider.Scenarios {
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
	if n == 0 {
		t.Fatal("the catalogue has no scenario")
	}
}
