// Package handlers holds the Echo handlers: the merchant API (api_*.go), the
// shopper's pages (checkout_*.go), provider returns, and the demo shop
// (demo_*.go). Handlers parse, call the checkout.Service, and render or
// redirect; errors go to the one HTTP error handler in package web.
package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Handlers carries what the handlers need.
type Handlers struct {
	Service *checkout.Service
	Log     *slog.Logger
	Demo    *Demo // nil outside sandbox mode
}

// Render writes a templ component through a buffer, so a template error
// becomes a clean error response instead of half a page.
func Render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// noStore marks a response as never cacheable: checkout, 3DS and result
// pages carry session state.
func noStore(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
}

// allowProviderOrigin widens the page's frame-src and form-action to the
// exact origin of the provider step it runs.
func allowProviderOrigin(c echo.Context, origin string) {
	if origin == "" {
		return
	}
	c.Set(ProviderOriginKey, origin)
}

// ProviderOriginKey is the echo.Context key under which a handler names the
// provider origin the security headers must allow for this response.
const ProviderOriginKey = "provider_origin"

// FramedBySelfKey is the echo.Context key a handler sets when its response
// is meant to load inside one of our own frames (the challenge return).
const FramedBySelfKey = "framed_by_self"

func ctx(c echo.Context) context.Context { return c.Request().Context() }

// seeOther is the Post/Redirect/Get answer.
func seeOther(c echo.Context, url string) error { return c.Redirect(http.StatusSeeOther, url) }
