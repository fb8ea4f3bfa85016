package handlers

import (
	"context"

	"github.com/opencheckout/hostedcheckout/templates"
)

// brand is the look of a merchant's pages for its shoppers
// (templates.BrandStyle, templates.BrandLogo). Branding never fails a
// page: a merchant that cannot be read gets the checkout's own look, and
// the error is logged.
func (h *Handlers) brand(ctx context.Context, merchantID string) templates.Brand {
	b, err := h.Service.Brand(ctx, merchantID)
	if err != nil {
		h.Log.ErrorContext(ctx, "merchant branding not read; the page shows ours", "merchant_id", clip(merchantID, 64), "error", err)
		return templates.Brand{}
	}
	out := templates.Brand{Name: b.Name, Color: b.Color}
	if b.Logo != nil {
		out.LogoURL, out.LogoWidth, out.LogoHeight = LogoURL(b.Logo), b.Logo.Width, b.Logo.Height
	}
	return out
}
