package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// LogoPrefix is where merchants' logos are served, by content hash.
const LogoPrefix = "/logos/"

// LogoURL is the address of a merchant's logo on our origin. It names the
// logo's content, so it can be cached for a year: a new logo has a new URL.
func LogoURL(l *checkout.Logo) string { return LogoPrefix + l.FileName() }

// Logo handles GET and HEAD /logos/:file, a merchant's logo by its
// content hash ("<sha256>.png|.jpg|.webp"). It answers the stored bytes
// with the exact type they were checked as (never sniffed, never SVG),
// cached as immutable. A malformed name is a 404 before any lookup, as is
// an unknown logo or an extension that is not the logo's type.
func (h *Handlers) Logo(c echo.Context) error {
	l, err := h.Service.Logo(ctx(c), c.Param("file"))
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("Content-Length", strconv.Itoa(len(l.Body)))
	return c.Blob(http.StatusOK, l.ContentType, l.Body)
}
