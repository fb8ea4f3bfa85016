package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// This file holds the middleware of every request and of the shopper's
// pages; middleware_api.go holds the merchant API's. The route table in
// package web says where each goes.

// RequestID gives every request an id, echoed in X-Request-Id; the log
// handler (NewLogHandler) adds it to every line logged with the request's
// context.
func RequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := "req_" + checkout.RandomToken(10)
		c.SetRequest(c.Request().WithContext(withRequestIDContext(c.Request().Context(), id)))
		c.Response().Header().Set("X-Request-Id", id)
		return next(c)
	}
}

// RecoverPanics turns a panic into an internal error with a stack logged
// to log, never a stack trace in a response.
func RecoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.ErrorContext(c.Request().Context(), "panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					err = checkout.Internal(fmt.Errorf("panic: %v", r))
				}
			}()
			return next(c)
		}
	}
}

// LogRequests writes one structured line per request to log: never the
// query string or the body, where return URLs and card fields travel.
func LogRequests(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("method", c.Request().Method),
				slog.String("path", clipLog(c.Request().URL.Path, maxLogPath)),
				slog.Int("status", status),
				slog.String("ip", c.RealIP()),
				slog.Int64("duration_ms", time.Since(start).Milliseconds()),
			}
			if id := c.Param("id"); checkout.ValidID(checkout.PrefixSession, id) {
				attrs = append(attrs, slog.String("session_id", id))
			}
			log.LogAttrs(c.Request().Context(), level, "http", attrs...)
			return nil
		}
	}
}

// SecurityHeaders sets the headers every response of ours carries, and
// puts a fresh CSP nonce in the request context (templ.WithNonce), where
// the templates read it for their <script> and <link> tags: the nonce is
// added by the template engine, never by rewriting the response.
//
// The CSP allows scripts, styles, frames and form targets from our own
// origin only, plus the exact provider origin a payment step needs (set by
// the handler in its PagePolicy). Every page refuses to be framed, except
// the challenge return, which loads inside our own challenge iframe
// (PagePolicy.FramedBySelf). Provider sandboxes mounted under /sandbox/
// play a third party and set their own.
func SecurityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/sandbox/") {
			return next(c)
		}
		nonce := newNonce()
		c.SetRequest(c.Request().WithContext(templ.WithNonce(c.Request().Context(), nonce)))
		policy := Policy(c)
		policy.Nonce = nonce
		res := c.Response()
		res.Before(func() {
			h := res.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			// Checkout URLs hold the session id: no page of ours leaks its
			// URL to the next one.
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if h.Get("Cache-Control") == "" && (strings.HasPrefix(c.Request().URL.Path, ShopperPrefix) ||
				strings.HasPrefix(h.Get("Content-Type"), "text/html")) {
				h.Set("Cache-Control", "no-store")
			}
			h.Set("Content-Security-Policy", contentSecurityPolicy(nonce, policy.ProviderOrigin, policy.FramedBySelf, policy.Embedders))
			h.Set("Reporting-Endpoints", `csp="`+CSPReportPath+`"`)
		})
		return next(c)
	}
}

// contentSecurityPolicy is the policy of one response: nonce is this
// response's, origin the provider origin its step posts to or frames (or
// ""), framed whether it loads inside one of our own frames.
func contentSecurityPolicy(nonce, origin string, framed bool, embedders []string) string {
	targets := "'self'"
	if origin != "" {
		targets += " " + origin
	}
	ancestors := "'none'"
	switch {
	case framed:
		// Our own challenge frame; when the checkout itself is embedded,
		// every ancestor up to the merchant's page must be allowed too.
		ancestors = strings.TrimSpace("'self' " + strings.Join(embedders, " "))
	case len(embedders) > 0:
		// A session page in the merchant's own iframe, on its allowed origins only.
		ancestors = strings.Join(embedders, " ")
	}
	return "default-src 'none'; " +
		"script-src 'self' 'nonce-" + nonce + "'; " +
		"style-src 'self' 'nonce-" + nonce + "'; " +
		"img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
		"object-src 'none'; base-uri 'none'; " +
		"form-action " + targets + "; frame-src " + targets + "; " +
		"frame-ancestors " + ancestors + "; " +
		// Violations are reported (report-to; report-uri for browsers
		// without the Reporting API) and logged.
		"report-uri " + CSPReportPath + "; report-to csp"
}

// newNonce is 128 random bits, base64: a CSP nonce for one response.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (Go 1.24+); it would crash the program first
	return base64.StdEncoding.EncodeToString(b)
}

// CrossOriginProtection refuses state-changing requests a browser sends
// from another site (CSRF), using Go's http.CrossOriginProtection
// (Sec-Fetch-Site, else Origin against Host). Exempt are only the exact
// provider callback paths, which authenticate otherwise: the challenge
// return (the MD binding, then a server-to-server confirmation) and
// provider notifications (signatures); and the sandboxes, which stand for
// other sites our pages post to. Server-to-server calls (the merchant API)
// carry no such headers and pass.
func CrossOriginProtection() echo.MiddlewareFunc {
	p := http.NewCrossOriginProtection()
	p.AddInsecureBypassPattern("POST /c/{id}/payments/{pid}/return")
	p.AddInsecureBypassPattern("POST /notify/{provider}")
	p.AddInsecureBypassPattern("/sandbox/")
	// Browsers post violation reports on their own; a report changes
	// nothing but a log line.
	p.AddInsecureBypassPattern("POST " + CSPReportPath)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := p.Check(c.Request()); err != nil {
				return checkout.Errorf(checkout.EForbidden, "Cross-site requests are not allowed here.")
			}
			return next(c)
		}
	}
}

// LimitSessionRequests refuses requests to a session's pages past
// SessionRequestsPerMinute in a minute (a script hammering one checkout),
// with 429 and Retry-After. A shopper, and the pending page refreshing
// itself every 2 s, stay well below it.
func (h *Handlers) LimitSessionRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sid := c.Param("id")
		if !checkout.ValidID(checkout.PrefixSession, sid) {
			// Garbage never becomes a limiter key, a lookup or a log line.
			return checkout.Errorf(checkout.ENotFound, "No such checkout session.")
		}
		if ok, wait := h.sessionCounter().Allow(sid, h.SessionRequestsPerMinute, time.Minute, h.Service.Now()); !ok {
			h.Log.WarnContext(ctx(c), "session request refused by a limit", "session_id", clip(sid, 64), "ip", c.RealIP())
			noStore(c)
			return &checkout.Error{Code: checkout.ERateLimited, RetryAfter: wait,
				Message: "Too many requests for this checkout. Wait a minute, then reload the page."}
		}
		return next(c)
	}
}

// RequireFormToken refuses a POST to a session's pages whose form_token was
// not issued for that session: the CSRF token, checked after the browser's
// cross-origin check. Such a request changes nothing.
func (h *Handlers) RequireFormToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sid := c.Param("id")
		if !checkout.ValidID(checkout.PrefixSession, sid) {
			return checkout.Errorf(checkout.ENotFound, "No such checkout session.")
		}
		// Only from the POST body: a token in the URL would leak through logs,
		// history and Referer, and a link could carry it.
		if !h.Forms.Valid(sid, c.Request().PostFormValue("form_token")) {
			h.Log.WarnContext(ctx(c), "form token refused", "session_id", sid, "path", c.Path(), "ip", c.RealIP())
			noStore(c)
			return checkout.Errorf(checkout.EForbidden, "This page has expired or was not sent from this checkout. Go back, reload the page and try again.")
		}
		return next(c)
	}
}
