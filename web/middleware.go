package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
)

// withRequestID gives every request an id, echoed in X-Request-Id.
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := "req_" + checkout.RandomToken(10)
		c.SetRequest(c.Request().WithContext(withRequestIDContext(c.Request().Context(), id)))
		c.Response().Header().Set("X-Request-Id", id)
		return next(c)
	}
}

// recoverPanics turns a panic into an internal error with a logged stack,
// never a stack trace in a response.
func (a *App) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				a.Log.ErrorContext(c.Request().Context(), "panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = checkout.Internal(fmt.Errorf("panic: %v", r))
			}
		}()
		return next(c)
	}
}

// logRequests writes one structured line per request: never the query
// string or the body, where return URLs and card fields travel.
func (a *App) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
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
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Int64("duration_ms", time.Since(start).Milliseconds()),
		}
		if id := c.Param("id"); strings.HasPrefix(id, checkout.PrefixSession) {
			attrs = append(attrs, slog.String("session_id", id))
		}
		a.Log.LogAttrs(c.Request().Context(), level, "http", attrs...)
		return nil
	}
}

// securityHeaders sets the headers every page of ours carries. The CSP
// allows scripts, styles, frames and form targets from our own origin only,
// plus the exact provider origin a payment step needs (set by the handler).
// Provider sandboxes mounted under /sandbox/ play a third party and set
// their own.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/sandbox/") {
			return next(c)
		}
		res := c.Response()
		res.Before(func() {
			h := res.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			if h.Get("Referrer-Policy") == "" {
				h.Set("Referrer-Policy", "same-origin")
			}
			extra := ""
			if origin, _ := c.Get(handlers.ProviderOriginKey).(string); origin != "" {
				extra = " " + origin
			}
			ancestors := "'none'"
			if framed, _ := c.Get(handlers.FramedBySelfKey).(bool); framed {
				ancestors = "'self'"
			}
			h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
				"connect-src 'self'; frame-src 'self'"+extra+"; form-action 'self'"+extra+"; "+
				"frame-ancestors "+ancestors+"; base-uri 'none'; object-src 'none'")
		})
		return next(c)
	}
}
