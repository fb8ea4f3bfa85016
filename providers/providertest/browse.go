package providertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// BrowseRedirect is a Harness.Browser for providers whose 3-D Secure step
// is a top-level redirect (Worldline, Antom): it follows the sandbox's
// redirects, answers a challenge page (the otp-input and otp-submit test
// ids) with otp, and stops at the first URL outside the sandbox (our return
// URL), whose query it brings back.
func BrowseRedirect(t testing.TB, a checkout.Action, otp string) checkout.Continuation {
	t.Helper()
	if a.Kind != checkout.ActionRedirect {
		t.Fatalf("action %q, want a redirect", a.Kind)
	}
	origin := a.Origin()
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next, err := http.NewRequest(http.MethodGet, a.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		resp, err := hc.Do(next)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusFound:
			resp.Body.Close()
			loc, err := next.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(loc.String(), origin+"/") {
				return checkout.Continuation{Kind: checkout.ContinueRedirect, Values: loc.Query()}
			}
			next, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
		case resp.StatusCode == http.StatusOK:
			doc, err := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			form := doc.Find("form").First()
			if doc.Find(`[data-testid="otp-input"]`).Length() == 0 || form.Length() == 0 {
				t.Fatalf("page at %s has no challenge form", next.URL)
			}
			values := url.Values{}
			form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
				values.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
			})
			values.Set(doc.Find(`[data-testid="otp-input"]`).AttrOr("name", "otp"), otp)
			submit := doc.Find(`[data-testid="otp-submit"]`)
			values.Set(submit.AttrOr("name", "action"), submit.AttrOr("value", "submit"))
			action, err := next.URL.Parse(form.AttrOr("action", ""))
			if err != nil {
				t.Fatal(err)
			}
			next, _ = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
			next.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			resp.Body.Close()
			t.Fatalf("%s %s: HTTP %d", next.Method, next.URL, resp.StatusCode)
		}
	}
	t.Fatal("the browser went round in circles")
	return checkout.Continuation{}
}
