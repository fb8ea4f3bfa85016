package templates

import (
	"context"
	"io"
	"math"
	"regexp"
	"strconv"

	"github.com/a-h/templ"
)

// Brand is a merchant's look on its shoppers' pages (BrandStyle,
// BrandLogo). The zero Brand is the checkout's own look.
type Brand struct {
	Name    string // the display name, else the merchant's name (the logo's alt text)
	Color   string // the accent colour, "#rrggbb", or "" for ours
	LogoURL string // the logo's URL on our origin (/logos/…), or "" for none
	// LogoWidth and LogoHeight are the logo's own size in pixels; it is
	// shown scaled down to fit LogoBoxWidth×LogoBoxHeight.
	LogoWidth, LogoHeight int
}

// LogoBoxWidth and LogoBoxHeight bound a logo on the page, in CSS pixels:
// it is scaled down to fit, keeping its shape, and never scaled up.
const (
	LogoBoxWidth  = 160
	LogoBoxHeight = 48
)

// The colour and the logo URL were checked when they were stored; these
// patterns are checked again right where they are written, so that
// nothing else ever reaches a <style> element or an <img src>.
var (
	accentPattern  = regexp.MustCompile(`^#[0-9a-f]{6}$`)
	logoURLPattern = regexp.MustCompile(`^/logos/[0-9a-f]{64}\.(png|jpg|webp)$`)
)

// accent is b.Color when it is exactly "#rrggbb", else "".
func (b Brand) accent() string {
	if accentPattern.MatchString(b.Color) {
		return b.Color
	}
	return ""
}

// logo is b.LogoURL when it is one of our logo URLs and the logo's size
// is known, else "".
func (b Brand) logo() string {
	if logoURLPattern.MatchString(b.LogoURL) && b.LogoWidth > 0 && b.LogoHeight > 0 {
		return b.LogoURL
	}
	return ""
}

// logoSize is the logo's width and height attributes: its own size,
// scaled down to fit the logo box.
func (b Brand) logoSize() (width, height string) {
	scale := math.Min(1, math.Min(float64(LogoBoxWidth)/float64(b.LogoWidth), float64(LogoBoxHeight)/float64(b.LogoHeight)))
	w := max(1, int(math.Round(float64(b.LogoWidth)*scale)))
	h := max(1, int(math.Round(float64(b.LogoHeight)*scale)))
	return strconv.Itoa(w), strconv.Itoa(h)
}

func (b Brand) logoWidth() string  { w, _ := b.logoSize(); return w }
func (b Brand) logoHeight() string { _, h := b.logoSize(); return h }

// accentStyle is <style nonce="…">:root{--accent:#rrggbb}</style> for a
// colour that matched accentPattern. It is written here rather than in
// brand.templ because templ copies a <style> element's contents
// literally: an expression cannot go inside one.
func accentStyle(color string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<style nonce="`+templ.EscapeString(templ.GetNonce(ctx))+`">:root{--accent:`+color+`}</style>`)
		return err
	})
}

// Branded is p with the merchant's look.
func (p Page) Branded(b Brand) Page {
	p.Brand = b
	return p
}
