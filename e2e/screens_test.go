package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

var screensDir = flag.String("screens", "", "TestScreens also writes a full-page PNG of every page state to this directory, as <locale>-<width>-<state>.png")

// auditLocales are the locales whose every state axe audits: the source,
// a long one, a right-to-left one and one without spaces between words.
var auditLocales = []string{"en", "de", "ar", "ja"}

// TestScreens walks the page-state gallery (walkStates) in each of
// auditLocales, and checks every state at a phone's and a laptop's width:
// axe-core with every rule of axeTags (no violation at any impact),
// interactive elements at least 44x44 CSS px, each element Tab reaches at
// least partly visible, <html lang> and dir. In the pseudo-locale en-XA it
// checks the same (axe aside) and that every visible text, aria-label,
// title, alt and placeholder is a catalog message or data. With -screens
// DIR it writes a full-page screenshot of each state at each width.
func TestScreens(t *testing.T) {
	t.Parallel()
	axeScript(t) // before any flow: a missing axe fails at once
	locales := append(append([]string{}, auditLocales...), i18n.Pseudo)
	for _, loc := range locales {
		if _, ok := i18n.Get(loc); !ok {
			t.Fatalf("locale %s has no catalog in templates/i18n/locales", loc)
		}
	}
	if *screensDir != "" {
		must(t, os.MkdirAll(*screensDir, 0o755))
	}
	var problems findings
	var mu sync.Mutex
	seen := map[string][]string{}
	// Two locales at a time (each walks two browser pages side by side):
	// more only makes the two cores of a CI machine thrash.
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2)
	for _, loc := range locales {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			t.Run(loc, func(t *testing.T) {
				walkStates(t, loc, func(t *testing.T, state string, page playwright.Page) {
					mu.Lock()
					seen[loc] = append(seen[loc], state)
					mu.Unlock()
					problems.add(checkState(t, loc, state, page)...)
				})
			})
		}()
	}
	wg.Wait()
	for _, loc := range locales {
		var missing []string
		for _, s := range galleryStates {
			if !slices.Contains(seen[loc], s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: states not reached: %v", loc, missing)
		}
	}
	problems.report(t, "accessibility and language problems")
	t.Logf("time in checks: %v", spent.m)
}

// timeSpent adds up where TestScreens' time goes (-v prints it).
type timeSpent struct {
	sync.Mutex
	m map[string]time.Duration
}

var spent = timeSpent{m: map[string]time.Duration{}}

func (s *timeSpent) add(what string, d time.Duration) {
	s.Lock()
	s.m[what] += d
	s.Unlock()
}

// checkState runs TestScreens' checks on one state at every width of
// galleryWidths, and leaves the page at the first.
func checkState(t *testing.T, loc, state string, page playwright.Page) []finding {
	t.Helper()
	var out []finding
	add := func(width int, list []finding) {
		for _, f := range list {
			f.Locale, f.State, f.Width = loc, state, width
			out = append(out, f)
		}
	}
	// The checks measure the page as drawn: its stylesheet must be in.
	must(t, page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{State: playwright.LoadStateLoad}))
	first := galleryWidths[0].Width
	add(first, langAndDir(t, page, loc))
	if state == "challenge" {
		l, _ := i18n.Get(loc)
		title, err := page.GetByTestId("challenge-frame").GetAttribute("title")
		must(t, err)
		if want := l.T("challenge.frame_title"); title != want {
			add(first, []finding{{Rule: "frame-title-translated", Impact: "serious", Target: "[data-testid=challenge-frame]",
				Detail: fmt.Sprintf("title %q, want %q", title, want)}})
		}
	}
	for i, vp := range galleryWidths {
		if i > 0 {
			must(t, page.SetViewportSize(vp.Width, vp.Height))
		}
		if *screensDir != "" {
			_, err := page.Screenshot(playwright.PageScreenshotOptions{FullPage: playwright.Bool(true),
				Path: playwright.String(filepath.Join(*screensDir, fmt.Sprintf("%s-%d-%s.png", loc, vp.Width, state)))})
			must(t, err)
		}
		if i == 0 && loc == i18n.Pseudo {
			add(vp.Width, unbracketed(t, page, galleryData))
		}
		start := time.Now()
		if loc != i18n.Pseudo {
			add(vp.Width, runAxe(t, page))
		}
		spent.add("axe", time.Since(start))
		start = time.Now()
		add(vp.Width, smallTargets(t, page))
		add(vp.Width, focusNotObscured(t, page))
		spent.add("targets+focus", time.Since(start))
	}
	must(t, page.SetViewportSize(galleryWidths[0].Width, galleryWidths[0].Height))
	return out
}
