package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/web"
)

// CSP violation reports, in the report-uri and the Reporting API formats,
// are logged as warnings with the page's path but never its query; a body
// that is not a report is a 400, an oversized one a 413; one address gets
// at most 30 logged a minute. Every page names the endpoint.
func TestCSPReportsLogged(t *testing.T) {
	var logs syncBuffer
	app := MustApp(t, &logs, func(c *web.Config) { c.ReconcileInterval = time.Hour })

	page := do(t, http.MethodGet, app.URL+"/", nil)
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "report-uri /csp-reports") || !strings.Contains(csp, "report-to csp") {
		t.Fatalf("CSP without reporting: %s", csp)
	}
	if ep := page.Header.Get("Reporting-Endpoints"); ep != `csp="/csp-reports"` {
		t.Fatalf("Reporting-Endpoints %q", ep)
	}

	post := func(body, contentType string, headers ...string) int {
		return do(t, http.MethodPost, app.URL+"/csp-reports", []byte(body), append([]string{"Content-Type", contentType}, headers...)...).Status
	}
	legacy := `{"csp-report":{"document-uri":"http://127.0.0.1/c/cs_x?token=secret123","blocked-uri":"inline","effective-directive":"script-src-elem","disposition":"enforce"}}`
	if st := post(legacy, "application/csp-report", "Sec-Fetch-Site", "same-origin"); st != http.StatusNoContent {
		t.Fatalf("report-uri format: %d", st)
	}
	batch := `[{"type":"csp-violation","age":1,"url":"http://127.0.0.1/c/cs_y","body":{"documentURL":"http://127.0.0.1/c/cs_y#frag","blockedURL":"https://evil.test/x.js?k=v","effectiveDirective":"script-src-elem","disposition":"enforce","sourceFile":"http://127.0.0.1/static/checkout.js","lineNumber":7}},{"type":"deprecation","body":{}}]`
	if st := post(batch, "application/reports+json", "Sec-Fetch-Site", "cross-site"); st != http.StatusNoContent {
		t.Fatalf("Reporting API format (sent by the browser from an embedded page): %d", st)
	}
	out := logs.String()
	for _, want := range []string{`"document":"http://127.0.0.1/c/cs_x"`, `"blocked":"inline"`, `"directive":"script-src-elem"`,
		`"blocked":"https://evil.test/x.js"`, `"source":"http://127.0.0.1/static/checkout.js"`, `"line":7`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in the log:\n%s", want, out)
		}
	}
	for _, leak := range []string{"secret123", "k=v", "frag"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log kept a URL's query or fragment (%s)", leak)
		}
	}
	if n := strings.Count(out, `"msg":"csp violation"`); n != 2 {
		t.Fatalf("%d violations logged, want 2", n)
	}

	if st := post("not json", "application/csp-report"); st != http.StatusBadRequest {
		t.Errorf("garbage: %d", st)
	}
	if st := post(`{"csp-report":{"document-uri":"`+strings.Repeat("a", 20<<10)+`"}}`, "application/csp-report"); st != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d", st)
	}
	for range 40 {
		post(legacy, "application/csp-report")
	}
	if n := strings.Count(logs.String(), `"msg":"csp violation"`); n != 30 {
		t.Errorf("%d violations logged from one address in a minute, want the cap of 30", n)
	}
}
