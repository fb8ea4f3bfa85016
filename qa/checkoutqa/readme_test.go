package checkoutqa_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// newPage stands for the reader's own playwright-go setup.
var newPage func(t *testing.T) playwright.Page

// everyScenario is the README's example (its TestEveryScenario), compiled
// here; TestREADMEExampleCompiles keeps the two the same.
//
// README example begins
func everyScenario(t *testing.T) {
	api := checkoutqa.API{BaseURL: "http://127.0.0.1:8080", Key: os.Getenv("CHECKOUT_KEY")}
	catalogue, err := checkoutqa.FetchScenarios(context.Background(), api.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, provider := range catalogue.Providers {
		for _, s := range provider.Scenarios {
			t.Run(s.ID, func(t *testing.T) {
				page := newPage(t) // a fresh page (browser context) from your playwright-go setup
				played, err := api.Play(context.Background(), page, provider, s)
				if err == nil {
					err = checkoutqa.Check(s, played)
				}
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// README example ends

var _ = everyScenario

// TestREADMEExampleCompiles: the Go block of the README's "Go
// (playwright-go)" section is everyScenario above (named as a test there),
// so the example a reader copies compiles with this package.
func TestREADMEExampleCompiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)#### Go \\(playwright-go\\).*?```go\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal(`README.md has no Go block under "#### Go (playwright-go)"`)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(self)
	src = src[strings.Index(src, "// README example begins\n")+len("// README example begins\n") : strings.Index(src, "// README example ends")]
	want := strings.Replace(strings.TrimSpace(src), "func everyScenario(", "func TestEveryScenario(", 1)
	if got := strings.TrimSpace(string(m[1])); got != want {
		t.Fatalf("the README's example differs from everyScenario in readme_test.go:\n%s\n---\n%s", got, want)
	}
}
