package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// XSS canaries: each sets window.__xss (or opens a dialog) if it ever runs.
// The CSP would block most of them anyway; a canary rendered raw then shows
// as a CSP violation, as an element in the DOM, and as missing literal text.
var xssCanaries = []string{
	`<img src=x onerror="window.__xss=1">`,
	`<script>window.__xss=2</script>`,
	`"><svg onload=window.__xss=3>`,
	`javascript:window.__xss=4`,
	`'><img src=x onerror=alert(5)>`,
}

// TestXSSCanary creates a session through the merchant API whose every
// merchant-supplied text (line item names, merchant reference, customer
// reference and email, metadata, return URLs) carries script canaries, and
// the shopper types one as the cardholder name (refused, and shown back
// in the form). In Chromium, the checkout
// page, the form re-rendered after a validation error and the result page
// after a frictionless payment show the canaries as literal text, run none
// of them (window.__xss stays undefined, no dialog opens, no injected
// element exists) and log no CSP violation. The merchant API gives the same
// fields back verbatim, as JSON with <, > and & escaped, and the JSON opened
// in the browser runs nothing either. A javascript: return URL is refused.
func TestXSSCanary(t *testing.T) {
	t.Parallel()
	amount := int64(500 * len(xssCanaries))
	var items []map[string]any
	for _, c := range xssCanaries {
		items = append(items, map[string]any{"name": c, "quantity": 1, "unit_amount": 500})
	}
	reference := `"><svg onload=window.__xss=6>`
	customer := map[string]any{"reference": `<img src=x onerror=window.__xss=7>`, "email": `x'onfocus=window.__xss=8'@example.test`}
	metadata := map[string]any{"note": `<img src=x onerror="window.__xss=9">`, `<b onmouseover=alert(10)>`: `javascript:alert(10)`}
	successURL := `https://shop.test/thanks?next="><svg/onload=window.__xss=11>`
	cancelURL := `https://shop.test/cart#'><img/src=x/onerror=alert(12)>`
	body := map[string]any{
		"amount": amount, "currency": "USD", "merchant_reference": reference, "line_items": items,
		"customer": customer, "metadata": metadata, "success_url": successURL, "cancel_url": cancelURL,
	}

	// A javascript: return URL never gets as far as a link.
	bad := map[string]any{"amount": amount, "currency": "USD", "line_items": items, "success_url": "javascript:window.__xss=13"}
	if status, res := postDemoSession(t, bad); status != http.StatusUnprocessableEntity || !strings.Contains(string(res), `"success_url"`) {
		t.Fatalf("javascript: success_url: %d %s", status, res)
	}

	status, raw := postDemoSession(t, body)
	if status != http.StatusCreated {
		t.Fatalf("create session: %d %s", status, raw)
	}
	var created map[string]any
	must(t, json.Unmarshal(raw, &created))
	id, _ := created["id"].(string)
	checkoutURL, _ := created["url"].(string)
	if id == "" || checkoutURL != app.URL+"/c/"+id {
		t.Fatalf("created session: %s", raw)
	}
	// The reference sits in a translated sentence, bidi-isolated.
	texts := append(append([]string{}, xssCanaries...), "Order \u2068"+reference+"\u2069")

	t.Run("pages", func(t *testing.T) {
		page := newPage(t)
		w := watchForXSS(t, page)

		must(t, goto_(page, checkoutURL))
		must(t, expect.Locator(page.GetByTestId("pay-button")).ToBeVisible())
		expectLiteralSummary(t, page, texts)
		w.check(t, page, "checkout page")

		// The shopper's own text comes back in the form after an error
		// (here a bad expiry date, and the name itself is refused).
		holder := `"><svg onload=alert(14)>`
		fillCard(t, page, testcards.Visa, "13/30", cvc, holder)
		must(t, page.GetByTestId("pay-button").Click())
		must(t, expect.Locator(page.GetByTestId("field-error-card-expiry")).ToBeVisible())
		must(t, expect.Locator(page.GetByTestId("cardholder-name")).ToHaveValue(holder))
		expectLiteralSummary(t, page, texts)
		w.check(t, page, "form with errors")

		// A name with markup is refused (the field above says so): pay with a plain one.
		fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
		must(t, page.GetByTestId("pay-button").Click())
		expectResult(t, page, "succeeded")
		expectLiteralSummary(t, page, texts)
		w.check(t, page, "result page")
	})

	t.Run("API", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, app.URL+"/v1/checkout/sessions/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+app.DemoAPIKey)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET session: %d %v", res.StatusCode, res.Header)
		}
		// JSON-escaped: no markup character travels raw, whatever reads it.
		for _, c := range []string{"<", ">", "&"} {
			if bytes.Contains(raw, []byte(c)) {
				t.Errorf("the session JSON holds a raw %q: %s", c, raw)
			}
		}
		var s map[string]any
		must(t, json.Unmarshal(raw, &s))
		var names []string
		for _, li := range s["line_items"].([]any) {
			names = append(names, li.(map[string]any)["name"].(string))
		}
		for what, pair := range map[string][2]any{
			"line item names":    {names, xssCanaries},
			"merchant_reference": {s["merchant_reference"], reference},
			"customer":           {s["customer"], customer},
			"metadata":           {s["metadata"], metadata},
			"success_url":        {s["success_url"], successURL},
			"cancel_url":         {s["cancel_url"], cancelURL},
		} {
			if got, want := pair[0], pair[1]; !reflect.DeepEqual(jsonRound(t, got), jsonRound(t, want)) {
				t.Errorf("%s come back as %v, want verbatim %v", what, got, want)
			}
		}

		// The same JSON opened in the browser is inert too.
		page := newPage(t, playwright.BrowserNewContextOptions{
			ExtraHttpHeaders: map[string]string{"Authorization": "Bearer " + app.DemoAPIKey}})
		w := watchForXSS(t, page)
		must(t, goto_(page, app.URL+"/v1/checkout/sessions/"+id))
		must(t, expect.Locator(page.Locator("body")).ToContainText(`"merchant_reference"`))
		w.check(t, page, "session JSON")
	})
}

// postDemoSession posts a session to the merchant API with the demo
// merchant's key and returns the status and raw body.
func postDemoSession(t *testing.T, body map[string]any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, app.URL+"/v1/checkout/sessions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+app.DemoAPIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// jsonRound normalizes a value through JSON, so that typed Go values and
// decoded ones compare.
func jsonRound(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	var out any
	must(t, json.Unmarshal(b, &out))
	return out
}

// xssWatch records, for one page, the dialogs that opened and the console
// messages about the Content Security Policy (from any frame).
type xssWatch struct {
	mu      sync.Mutex
	dialogs []string
	csp     []string
}

// watchForXSS registers the dialog and console listeners on page, and an
// init script (run before any page script, in every document) that counts
// securitypolicyviolation events.
func watchForXSS(t *testing.T, page playwright.Page) *xssWatch {
	t.Helper()
	w := &xssWatch{}
	page.OnDialog(func(d playwright.Dialog) {
		w.mu.Lock()
		w.dialogs = append(w.dialogs, d.Type()+": "+d.Message())
		w.mu.Unlock()
		_ = d.Dismiss()
	})
	page.OnConsole(func(m playwright.ConsoleMessage) {
		if strings.Contains(m.Text(), "Content Security Policy") {
			w.mu.Lock()
			w.csp = append(w.csp, m.Text())
			w.mu.Unlock()
		}
	})
	must(t, page.AddInitScript(playwright.Script{Content: playwright.String(`
		window.__cspViolations = [];
		document.addEventListener("securitypolicyviolation", function (e) {
			window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
		});`)}))
	return w
}

// check fails the test if a canary ran on the page now shown, or anything
// it did so far opened a dialog or violated the CSP.
func (w *xssWatch) check(t *testing.T, page playwright.Page, where string) {
	t.Helper()
	xss, err := page.Evaluate(`() => typeof window.__xss === "undefined" ? null : String(window.__xss)`)
	must(t, err)
	if xss != nil {
		t.Errorf("%s: canary %v ran (window.__xss set)", where, xss)
	}
	v, err := page.Evaluate(`() => window.__cspViolations || []`)
	must(t, err)
	if list, _ := v.([]any); len(list) > 0 {
		t.Errorf("%s: %d CSP violations: %v", where, len(list), list)
	}
	n, err := page.Locator(`img[src="x"], svg[onload], [onerror], [onload], [onfocus], [onmouseover]`).Count()
	must(t, err)
	if n > 0 {
		t.Errorf("%s: %d injected elements in the page", where, n)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.dialogs) > 0 {
		t.Errorf("%s: dialogs opened: %q", where, w.dialogs)
	}
	if len(w.csp) > 0 {
		t.Errorf("%s: CSP messages in the console: %q", where, w.csp)
	}
}

// expectSummary waits for the order summary to show every text literally.
func expectLiteralSummary(t *testing.T, page playwright.Page, texts []string) {
	t.Helper()
	summary := page.Locator(`[aria-label="Order summary"]`)
	for _, s := range texts {
		if err := expect.Locator(summary).ToContainText(s); err != nil {
			t.Errorf("the order summary does not show %q as text: %v", s, err)
		}
	}
	items, err := summary.Locator("ul.lines > li").Count()
	must(t, err)
	if items != len(xssCanaries) {
		t.Errorf("%d line items in the summary, want %d", items, len(xssCanaries))
	}
}
