package templates

import (
	"context"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

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
	// SupportEmail and SupportURL are where shoppers ask the merchant
	// about a payment ("" for none): SupportContact.
	SupportEmail, SupportURL string
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
	// The support contacts (checkout.ParseSupportEmail, ParseSupportURL):
	// nothing that needs escaping in a mailto: link, an absolute http(s)
	// URL without spaces, quotes, angle brackets or backslashes.
	supportEmailPattern = regexp.MustCompile(`^[^\s"<>()\[\]\\,;:?#%&@]+@[^\s"<>()\[\]\\,;:?#%&@]+$`)
	supportURLPattern   = regexp.MustCompile(`^https?://[^\s"'<>\\]+$`)
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

// supportEmail is b.SupportEmail when it matches supportEmailPattern, else "".
func (b Brand) supportEmail() string {
	if supportEmailPattern.MatchString(b.SupportEmail) {
		return b.SupportEmail
	}
	return ""
}

// supportURL is b.SupportURL when it matches supportURLPattern and parses
// with a host, else "".
func (b Brand) supportURL() string {
	if u, err := url.Parse(b.SupportURL); err != nil || u.Host == "" || !supportURLPattern.MatchString(b.SupportURL) {
		return ""
	}
	return b.SupportURL
}

// maxSupportLabel is the longest link text of a support URL before it is
// shortened to its host.
const maxSupportLabel = 40

// supportLabel is the support URL's link text: its host and path
// ("shop.example/help"), or its host alone when that is long.
func (b Brand) supportLabel() string {
	u, err := url.Parse(b.SupportURL)
	if err != nil {
		return ""
	}
	label := u.Host + strings.TrimSuffix(u.Path, "/")
	if utf8.RuneCountInString(label) > maxSupportLabel {
		return u.Host
	}
	return label
}
