// Package handlers holds the Echo handlers: the merchant API (api_*.go), the
// shopper's pages (checkout_*.go), provider returns and notifications; and
// all the middleware (middleware*.go), with the log handler it tags request
// ids for (logging.go). Handlers parse, call the checkout.Service, and
// render or redirect; errors go to the one HTTP error handler in package
// web, whose route table composes the middleware. (The demo shop is
// package web/demo.)
package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers/ratelimit"
)

// Handlers carries what the handlers need.
type Handlers struct {
	Service *checkout.Service
	Log     *slog.Logger
	// Forms issues and checks the token every shopper form carries
	// (RequireFormToken).
	Forms *FormTokens
	// Idempotency records and replays the merchant API's answers under
	// their Idempotency-Key (Idempotent).
	Idempotency *Idempotency
	// APILimits slow the merchant API (Authenticate); nil is no limit.
	APILimits *ratelimit.APILimits

	// QueryParams is, per merchant API operation ("GET /v1/payments/:id",
	// the route table's path), the query parameters it takes, from the
	// OpenAPI document (RefuseUnknownQuery).
	QueryParams map[string][]string

	// Dashboard is the merchant dashboard's sign-in state (dashboard.go);
	// nil when the dashboard is not served.
	Dashboard *Dashboard

	// SessionRequestsPerMinute bounds the requests to one session's pages
	// (LimitSessionRequests); 0 is no limit.
	SessionRequestsPerMinute int

	// SharedSessionRequests, when set, counts the requests per session
	// for every instance (else this process's own Limiter).
	SharedSessionRequests ratelimit.Counter

	cspReports      ratelimit.Limiter // CSP reports logged per address (in each process: they only bound logging)
	sessionRequests ratelimit.Limiter // requests per session id, without SharedSessionRequests
}

func (h *Handlers) sessionCounter() ratelimit.Counter {
	if h.SharedSessionRequests != nil {
		return h.SharedSessionRequests
	}
	return &h.sessionRequests
}

// SweepLimiters drops the idle keys of the handlers' in-memory limits
// (sessions, CSP reports, the API); the workers call it on a timer.
func (h *Handlers) SweepLimiters() {
	now := h.Service.Now()
	h.sessionCounter().Sweep(now)
	h.cspReports.Sweep(time.Now())
	h.APILimits.Sweep(now)
	if h.Dashboard != nil {
		h.Dashboard.counter().Sweep(now)
	}
}

// Render writes a templ component through a buffer, so a template error
// becomes a clean error response instead of half a page. The components
// read this response's CSP nonce from the context (templ.GetNonce): the
// security middleware puts it there, and in the PagePolicy.
func Render(c echo.Context, status int, comp templ.Component) error {
	ctx := c.Request().Context()
	if nonce := Policy(c).Nonce; nonce != "" && templ.GetNonce(ctx) != nonce {
		ctx = templ.WithNonce(ctx, nonce)
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledRender {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := comp.Render(ctx, buf); err != nil {
		return err
	}
	// The length is known: the answer goes in one piece, not chunked.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// renderBuffers keeps Render's buffers (a page is some 10 to 30 KB): a
// buffer grown past maxPooledRender is left to the collector.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledRender = 256 << 10

// noStore marks a response as never cacheable: checkout, 3DS and result
// pages carry session state.
func noStore(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
}

// AllowProviderOrigin widens the page's frame-src and form-action to the
// exact origin of the provider step it runs (or, for the demo shop, of the
// checkout it frames). Anything but a plain scheme://host[:port] origin is
// ignored: it goes into a header, where a stray quote, semicolon or space
// would change the policy.
func AllowProviderOrigin(c echo.Context, origin string) {
	if !cspOrigin(origin) {
		return
	}
	Policy(c).ProviderOrigin = origin
}

// cspOrigin reports whether origin is an http(s) origin with a host of
// letters, digits, dots and hyphens (or a bracketed IPv6 address) and an
// optional port: safe to write as a CSP source expression.
func cspOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		origin != u.Scheme+"://"+u.Host {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if strings.HasSuffix(u.Host, ":") {
		return false
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return false
		}
	}
	if strings.HasPrefix(u.Host, "[") { // an IPv6 literal
		return strings.Trim(host, "0123456789abcdefABCDEF:.") == ""
	}
	return host != "" && strings.Trim(strings.ToLower(host), "abcdefghijklmnopqrstuvwxyz0123456789.-") == ""
}

// PagePolicy is what a response's Content-Security-Policy is made of:
// the security middleware sets the nonce, handlers say what else this
// response needs, and the middleware writes the header from it just before
// the response goes out.
type PagePolicy struct {
	// Nonce is this response's CSP nonce (also in the request context,
	// through templ.WithNonce).
	Nonce string
	// ProviderOrigin is the provider origin the page's frame-src and
	// form-action must allow (the current 3-D Secure or redirect step).
	ProviderOrigin string
	// FramedBySelf says the response loads inside one of our own frames
	// (the challenge return): frame-ancestors 'self'.
	FramedBySelf bool
	// Embedders are the origins that may frame a session page: its
	// merchant's embedding origins.
	Embedders []string
}

// policyKey is where a response's PagePolicy lives on the echo.Context;
// only Policy reads or writes it.
const policyKey = "opencheckout.page_policy"

// Policy is this response's PagePolicy, made empty on first use.
func Policy(c echo.Context) *PagePolicy {
	if p, ok := c.Get(policyKey).(*PagePolicy); ok {
		return p
	}
	p := &PagePolicy{}
	c.Set(policyKey, p)
	return p
}

// allowEmbedding lets the session's merchant's allowed origins frame this
// response (frame-ancestors); every other page stays 'none'.
func (h *Handlers) allowEmbedding(c echo.Context, s *checkout.Session) {
	m, err := h.merchant(c, s.MerchantID)
	if err != nil || len(m.EmbedOrigins) == 0 {
		return
	}
	var clean []string
	for _, o := range m.EmbedOrigins {
		if n, err := checkout.NormalizeOrigin(o); err == nil && n == o {
			clean = append(clean, n)
		}
	}
	Policy(c).Embedders = clean
}

// pageMerchantKey is where a page request keeps the session's merchant, read
// once for its embedding origins and its branding.
const pageMerchantKey = "opencheckout.page_merchant"

// merchant reads the merchant of this page's session once per request.
func (h *Handlers) merchant(c echo.Context, id string) (*checkout.Merchant, error) {
	if m, ok := c.Get(pageMerchantKey).(*checkout.Merchant); ok && m.ID == id {
		return m, nil
	}
	m, err := h.Service.PageMerchant(ctx(c), id)
	if err == nil {
		c.Set(pageMerchantKey, m)
	}
	return m, err
}

// embedders is what allowEmbedding allowed for this response.
func embedders(c echo.Context) []string { return Policy(c).Embedders }

func ctx(c echo.Context) context.Context { return c.Request().Context() }

// SetRetryAfter sets Retry-After for a rate-limited answer: the whole
// seconds until the limit lets the next request through, plus one (never
// early, never 0). The one place the header is computed, pages and API
// alike.
func SetRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
}

// seeOther is the Post/Redirect/Get answer.
func seeOther(c echo.Context, url string) error { return c.Redirect(http.StatusSeeOther, url) }
