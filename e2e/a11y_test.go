package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/playwright-community/playwright-go"
)

// axeVersion is the axe-core e2e/setup.sh installs beside the driver.
const axeVersion = "4.14.1"

// axeTags are the rule sets every page state must pass: WCAG 2.0, 2.1 and
// 2.2 at levels A and AA, and axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript is axe.min.js as e2e/setup.sh installed it.
func axeScript(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		driver, _, _ := browserSetup()
		dir := filepath.Join(driver, "axe-core")
		pkg, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err != nil || !strings.Contains(string(pkg), `"version": "`+axeVersion+`"`) {
			axeErr = fmt.Errorf("no axe-core %s in %s: run `bash e2e/setup.sh` (it installs it beside the Playwright driver)", axeVersion, dir)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, "axe.min.js"))
		if err != nil {
			axeErr = fmt.Errorf("axe-core: %w; run `bash e2e/setup.sh`", err)
			return
		}
		axeSource = string(b)
	})
	if axeErr != nil {
		t.Fatal(axeErr)
	}
	return axeSource
}

// finding is one accessibility or language problem on one page state.
type finding struct {
	Locale, State string
	Width         int
	Rule, Impact  string
	Target        string
	Detail        string
}

func (f finding) String() string {
	return fmt.Sprintf("%-26s %-8s %-5s %-15s %4d  %s  %s", f.Rule, f.Impact, f.Locale, f.State, f.Width, f.Target, f.Detail)
}

// findings collects problems from concurrent walks.
type findings struct {
	mu   sync.Mutex
	list []finding
}

func (fs *findings) add(f ...finding) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = append(fs.list, f...)
}

// report fails t with every finding, one a line, sorted by rule.
func (fs *findings) report(t *testing.T, what string) {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.list) == 0 {
		return
	}
	sort.SliceStable(fs.list, func(i, j int) bool {
		a, b := fs.list[i], fs.list[j]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.State != b.State {
			return a.State < b.State
		}
		if a.Locale != b.Locale {
			return a.Locale < b.Locale
		}
		return a.Width < b.Width
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s:\n%-26s %-8s %-5s %-15s %4s  %s\n", len(fs.list), what, "rule", "impact", "loc", "state", "width", "target  detail")
	for _, f := range fs.list {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	t.Error(b.String())
}

// runAxe audits the page's main document (the provider's frames are not
// ours) with every rule of axeTags. axe goes in through the DevTools
// protocol, which the page's CSP does not govern, so the page keeps its
// real policy.
func runAxe(t *testing.T, page playwright.Page) []finding {
	t.Helper()
	loaded, err := page.Evaluate(`() => typeof window.axe === "object"`)
	must(t, err)
	if loaded != true {
		start := time.Now()
		_, err = page.Evaluate(axeScript(t))
		must(t, err)
		spent.add("axe-inject", time.Since(start))
	}
	res, err := page.Evaluate(`tags => axe.run(document, {
		runOnly: {type: "tag", values: tags}, iframes: false, resultTypes: ["violations"]
	}).then(r => r.violations.flatMap(v => v.nodes.map(n => ({
		rule: v.id, impact: v.impact || "", target: n.target.map(String).join(" "),
		detail: (n.failureSummary || v.help).replace(/\s+/g, " ").slice(0, 300)
	}))))`, axeTags)
	must(t, err)
	var out []finding
	for _, v := range res.([]any) {
		m := v.(map[string]any)
		out = append(out, finding{Rule: m["rule"].(string), Impact: m["impact"].(string),
			Target: m["target"].(string), Detail: m["detail"].(string)})
	}
	return out
}

// smallTargets lists the page's interactive elements that are rendered
// smaller than 44x44 CSS pixels (WCAG 2.5.8 asks 24; we promise 44).
func smallTargets(t *testing.T, page playwright.Page) []finding {
	t.Helper()
	res, err := page.Evaluate(`() => {
		const sel = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1']), [role=button], [role=link]";
		const out = [];
		for (const el of document.querySelectorAll(sel)) {
			if (el.disabled || !el.checkVisibility({visibilityProperty: true})) continue;
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue;
			if (r.width < 44 || r.height < 44) {
				out.push({target: (el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")),
					detail: Math.round(r.width * 10) / 10 + "x" + Math.round(r.height * 10) / 10 + " px"});
			}
		}
		return out;
	}`)
	must(t, err)
	var out []finding
	for _, v := range res.([]any) {
		m := v.(map[string]any)
		out = append(out, finding{Rule: "target-size-44", Impact: "serious", Target: m["target"].(string), Detail: m["detail"].(string)})
	}
	return out
}

// focusNotObscured moves focus to each element the Tab key reaches, in
// order, as the keyboard would (focus scrolls it into view), and checks that
// it is at least partly visible: inside the viewport and not covered by
// another element (WCAG 2.4.11). One script does the walk: a round trip to
// the browser per key press would cost the gallery minutes.
func focusNotObscured(t *testing.T, page playwright.Page) []finding {
	t.Helper()
	res, err := page.Evaluate(`() => {
		const out = [];
		const sel = "a[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable]";
		const els = [...document.querySelectorAll(sel)].filter(el => el.tabIndex >= 0 && !el.disabled &&
			el.type !== "hidden" && el.checkVisibility({visibilityProperty: true}));
		const ordered = [...els.filter(el => el.tabIndex > 0).sort((a, b) => a.tabIndex - b.tabIndex), ...els.filter(el => el.tabIndex === 0)];
		const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
		for (const el of ordered) {
			const key = el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
			el.focus({focusVisible: true});
			if (document.activeElement !== el) { out.push({key, hidden: "does not take focus"}); continue; }
			const r = el.getBoundingClientRect();
			const x0 = Math.max(r.left, 0), x1 = Math.min(r.right, vw), y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, vh);
			if (x1 - x0 < 1 || y1 - y0 < 1) {
				out.push({key, hidden: "outside the viewport (" + Math.round(r.left) + "," + Math.round(r.top) + " " + Math.round(r.width) + "x" + Math.round(r.height) + ")"});
				continue;
			}
			const pts = [[(x0 + x1) / 2, (y0 + y1) / 2], [x0 + 2, y0 + 2], [x1 - 2, y0 + 2], [x0 + 2, y1 - 2], [x1 - 2, y1 - 2]];
			const seen = pts.some(([x, y]) => { const hit = document.elementFromPoint(x, y); return hit && (hit === el || el.contains(hit) || hit.contains(el)); });
			if (!seen) {
				const hit = document.elementFromPoint(pts[0][0], pts[0][1]);
				out.push({key, hidden: "covered by " + (hit ? hit.tagName.toLowerCase() + (hit.className ? "." + hit.className : "") : "nothing")});
			}
		}
		if (document.activeElement) document.activeElement.blur();
		window.scrollTo(0, 0);
		return out;
	}`)
	must(t, err)
	var out []finding
	for _, v := range res.([]any) {
		m := v.(map[string]any)
		out = append(out, finding{Rule: "focus-not-obscured", Impact: "serious", Target: m["key"].(string), Detail: m["hidden"].(string)})
	}
	return out
}

// langAndDir checks <html lang> and dir.
func langAndDir(t *testing.T, page playwright.Page, lang string) []finding {
	t.Helper()
	res, err := page.Evaluate(`() => [document.documentElement.lang, document.documentElement.dir]`)
	must(t, err)
	got := res.([]any)
	dir := "ltr"
	if lang == "ar" {
		dir = "rtl"
	}
	if got[0] != lang || got[1] != dir {
		return []finding{{Rule: "html-lang-dir", Impact: "serious", Target: "html",
			Detail: fmt.Sprintf("lang=%q dir=%q, want lang=%q dir=%q", got[0], got[1], lang, dir)}}
	}
	return nil
}

// pseudoData is what may stand outside the pseudo-locale's brackets:
// what the test itself created (merchant, line items, reference), card
// brands, and ids.
type pseudoData struct {
	strings []string
}

var pseudoIDs = regexp.MustCompile(`\b(pay|cs|sc|tok)_[A-Za-z0-9]+\b`)

// innermostBrackets is one bracketed pseudo-locale message with no
// brackets inside.
var innermostBrackets = regexp.MustCompile(`\[[^\[\]]*\]`)

// unbracketed lists the page's visible text, and its aria-label, title,
// alt and placeholder values (and the button texts the scripts swap in),
// that is neither inside the pseudo-locale's [ … ] nor data: text that did
// not come through the message catalogs.
func unbracketed(t *testing.T, page playwright.Page, data pseudoData) []finding {
	t.Helper()
	res, err := page.Evaluate(`() => {
		const out = [];
		const where = el => el.dataset && el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : el.tagName.toLowerCase() + (el.id ? "#" + el.id : el.className ? "." + String(el.className).split(" ")[0] : "");
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const p = n.parentElement;
			if (!p || !n.nodeValue.trim() || p.closest("script, style, template")) continue;
			if (!p.checkVisibility({visibilityProperty: true})) continue;
			out.push({where: where(p), text: n.nodeValue});
		}
		for (const a of ["aria-label", "title", "alt", "placeholder", "data-busy", "data-updated"]) {
			for (const el of document.querySelectorAll("[" + a + "]")) out.push({where: where(el) + "@" + a, text: el.getAttribute(a)});
		}
		out.push({where: "title", text: document.title});
		return out;
	}`)
	must(t, err)
	var out []finding
	for _, v := range res.([]any) {
		m := v.(map[string]any)
		if rest := notPseudo(m["text"].(string), data); rest != "" {
			out = append(out, finding{Rule: "text-outside-catalogs", Impact: "serious", Target: m["where"].(string),
				Detail: fmt.Sprintf("%q (left: %q)", m["text"], rest)})
		}
	}
	return out
}

// notPseudo is what of s is neither a pseudo-locale message nor data.
func notPseudo(s string, data pseudoData) string {
	for {
		next := innermostBrackets.ReplaceAllString(s, " ")
		if next == s {
			break
		}
		s = next
	}
	for _, d := range data.strings {
		s = strings.ReplaceAll(s, d, " ")
	}
	s = pseudoIDs.ReplaceAllString(s, " ")
	// Amounts, masked cards, dates, quantities, symbols and punctuation,
	// spaces and the bidi isolates around placeholders.
	if strings.IndexFunc(s, func(r rune) bool {
		return !(unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) ||
			unicode.Is(unicode.Cf, r))
	}) < 0 {
		return ""
	}
	return strings.Join(strings.Fields(s), " ")
}

// cardBrands are the brand names pages show as they are (data).
var cardBrands = []string{"American Express", "Diners Club", "Mastercard", "Discover", "UnionPay", "Visa", "JCB"}
