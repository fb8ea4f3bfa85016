package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// brand is the look of a merchant's pages for its shoppers
// (templates.BrandStyle, templates.BrandLogo). Branding never fails a
// page: a merchant that cannot be read gets the checkout's own look, and
// the error is logged.
func (h *Handlers) brand(ctx context.Context, merchantID string) templates.Brand {
	b, err := h.Service.Brand(ctx, merchantID)
	if err != nil {
		h.brandUnread(ctx, merchantID, err)
		return templates.Brand{}
	}
	return brandView(b)
}

// pageBrand is brand for a page request, with the merchant the request
// has already read (h.merchant).
func (h *Handlers) pageBrand(c echo.Context, merchantID string) templates.Brand {
	m, err := h.merchant(c, merchantID)
	if err != nil {
		h.brandUnread(ctx(c), merchantID, err)
		return templates.Brand{}
	}
	return brandView(m.Brand())
}

func (h *Handlers) brandUnread(ctx context.Context, merchantID string, err error) {
	h.Log.ErrorContext(ctx, "merchant branding not read; the page shows ours", "merchant_id", clip(merchantID, 64), "error", err)
}

func brandView(b checkout.Brand) templates.Brand {
	out := templates.Brand{Name: b.Name, Color: b.Color, SupportEmail: b.SupportEmail, SupportURL: b.SupportURL}
	if b.Logo != nil {
		out.LogoURL, out.LogoWidth, out.LogoHeight = LogoURL(b.Logo), b.Logo.Width, b.Logo.Height
	}
	return out
}
