package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// CSPReportPath is where browsers send Content-Security-Policy violation
// reports (report-uri and the Reporting API's report-to).
const CSPReportPath = "/csp-reports"

// cspReportsPerMinute bounds how many reports one address gets logged, so
// that a flood of fake reports cannot drown the log.
const cspReportsPerMinute = 30

// cspViolation is what a report says, in either format.
type cspViolation struct {
	DocumentURL string `json:"documentURL"`
	BlockedURL  string `json:"blockedURL"`
	Directive   string `json:"effectiveDirective"`
	Disposition string `json:"disposition"`
	SourceFile  string `json:"sourceFile"`
	LineNumber  int    `json:"lineNumber"`
}

// CSPReport handles POST /csp-reports: each violation is logged as a
// warning, the signal that a page of ours met a script, frame or form
// target its policy did not allow (an injection, a broken deploy, a
// browser extension). Only the page's path is kept, never its query; the
// answer is always 204, whatever the browser sent, except for a body that
// is not a report (400).
func (h *Handlers) CSPReport(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 16<<10+1))
	if err != nil {
		return checkout.Errorf(checkout.EMalformed, "The report could not be read.")
	}
	if len(body) > 16<<10 {
		return checkout.Errorf(checkout.ETooLarge, "A CSP report is at most 16 KiB.")
	}
	violations, ok := parseCSPReports(body)
	if !ok {
		return checkout.Errorf(checkout.EMalformed, "This is not a CSP violation report.")
	}
	ip := c.RealIP()
	for _, v := range violations {
		if allowed, _ := h.cspReports.Allow(ip, cspReportsPerMinute, time.Minute, time.Now()); !allowed {
			break
		}
		h.Log.WarnContext(ctx(c), "csp violation", "document", pathOnly(v.DocumentURL), "blocked", pathOnly(v.BlockedURL),
			"directive", clip(v.Directive, 64), "disposition", clip(v.Disposition, 16),
			"source", pathOnly(v.SourceFile), "line", v.LineNumber, "ip", ip)
	}
	return c.NoContent(http.StatusNoContent)
}

// parseCSPReports reads a report-uri body ({"csp-report": {...}}, with
// dashed names) or a Reporting API batch ([{"type": "csp-violation",
// "body": {...}}]).
func parseCSPReports(body []byte) ([]cspViolation, bool) {
	var legacy struct {
		Report *struct {
			DocumentURI        string `json:"document-uri"`
			BlockedURI         string `json:"blocked-uri"`
			EffectiveDirective string `json:"effective-directive"`
			ViolatedDirective  string `json:"violated-directive"`
			Disposition        string `json:"disposition"`
			SourceFile         string `json:"source-file"`
			LineNumber         int    `json:"line-number"`
		} `json:"csp-report"`
	}
	if json.Unmarshal(body, &legacy) == nil && legacy.Report != nil {
		r := legacy.Report
		directive := r.EffectiveDirective
		if directive == "" {
			directive = r.ViolatedDirective
		}
		return []cspViolation{{DocumentURL: r.DocumentURI, BlockedURL: r.BlockedURI, Directive: directive,
			Disposition: r.Disposition, SourceFile: r.SourceFile, LineNumber: r.LineNumber}}, true
	}
	var batch []struct {
		Type string       `json:"type"`
		Body cspViolation `json:"body"`
	}
	if json.Unmarshal(body, &batch) != nil {
		return nil, false
	}
	var out []cspViolation
	for _, r := range batch {
		if r.Type == "csp-violation" {
			out = append(out, r.Body)
		}
	}
	return out, true
}

// pathOnly keeps a reported URL's scheme, host and path (no query or
// fragment, where tokens could travel); keywords such as "inline" pass.
func pathOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return clip(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, raw), 64)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return clip(u.String(), 256)
}
