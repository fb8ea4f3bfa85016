package checkout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // logos: JPEG
	_ "image/png"  // logos: PNG
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	_ "golang.org/x/image/webp" // logos: WebP (decoder only; the standard library has none)
)

// ButtonTextColor is the colour of the text on our buttons (`--accent-ink`
// in static/assets/checkout.css), which a merchant's accent colour
// becomes the background of. The same accent is also text on white
// (secondary buttons, links), so one check covers both.
const ButtonTextColor = "#ffffff"

// MinBrandContrast is the least contrast a brand colour must have with the
// button text: WCAG 2.x level AA for normal text (1.4.3).
const MinBrandContrast = 4.5

// MaxDisplayNameLen is the most characters a display name may have (the
// same as a merchant's name): what a page header can hold.
const MaxDisplayNameLen = 100

// Logo limits: a logo is shown small, in a page header, so it never needs
// more; the dimensions are read from the header before anything is
// decoded, so a small file that claims a huge image (a decompression bomb)
// is refused without allocating it.
const (
	MaxLogoBytes  = 100 << 10 // 102400
	MaxLogoPixels = 2048      // in width and in height
)

// Brand is how a merchant's pages look to its shoppers.
type Brand struct {
	Name  string // the display name, else the merchant's name
	Color string // "#rrggbb", or "" for our own accent
	Logo  *Logo  // without its Body; nil when the merchant has none
	// SupportEmail and SupportURL are where shoppers ask about a payment
	// ("" for none).
	SupportEmail, SupportURL string
}

// Logo is a merchant's logo: an image checked by ParseLogo, stored and
// served under the SHA-256 of its bytes.
type Logo struct {
	SHA256        string // lower-case hex of the SHA-256 of Body
	ContentType   string // image/png, image/jpeg or image/webp
	Width, Height int    // in pixels
	// Body is the image; nil on a logo loaded with its merchant (only the
	// logo route reads the bytes).
	Body []byte
}

// logoTypes maps the image package's format names to the content type and
// file extension a logo is served with. Only these are logos, whatever
// other decoders the binary registers.
var logoTypes = map[string]struct{ contentType, ext, name string }{
	"png":  {"image/png", ".png", "PNG"},
	"jpeg": {"image/jpeg", ".jpg", "JPEG"},
	"webp": {"image/webp", ".webp", "WebP"},
}

// FileName is the logo's name under the logo route: its hash and the
// extension of its type ("<sha256>.png").
func (l *Logo) FileName() string {
	for _, t := range logoTypes {
		if t.contentType == l.ContentType {
			return l.SHA256 + t.ext
		}
	}
	return l.SHA256
}

// ParseLogoFileName splits a logo file name ("<64 hex>.png|.jpg|.webp",
// lower case) into the hash and the content type it must have; ok is
// false for anything else, so that garbage never becomes a lookup.
func ParseLogoFileName(name string) (sha string, contentType string, ok bool) {
	sha, ext, found := strings.Cut(name, ".")
	if !found || len(sha) != sha256.Size*2 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", "", false
	}
	for _, t := range logoTypes {
		if t.ext == "."+ext {
			return sha, t.contentType, true
		}
	}
	return "", "", false
}

// ParseLogo checks an uploaded logo and returns it with its hash and
// type, or an EInvalid error that says why it is refused: at most
// MaxLogoBytes; PNG, JPEG or WebP by its content (never by a file name),
// and never SVG (an SVG is a document that can carry scripts and links);
// at most MaxLogoPixels wide and high, read from the header before the
// image is decoded; and decoded in full, so that a broken or truncated
// file is refused now rather than shown broken to shoppers.
func ParseLogo(body []byte) (*Logo, error) {
	if len(body) > MaxLogoBytes {
		return nil, InvalidParam("logo", "the logo is %d bytes; a logo is at most %d bytes (100 KB)", len(body), MaxLogoBytes)
	}
	if len(body) == 0 {
		return nil, InvalidParam("logo", "the logo is empty; give a PNG, JPEG or WebP image")
	}
	if looksLikeSVG(body) {
		return nil, InvalidParam("logo", "SVG logos are refused (an SVG can carry scripts); give a PNG, JPEG or WebP image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	t, allowed := logoTypes[format]
	if errors.Is(err, image.ErrFormat) || !allowed {
		return nil, InvalidParam("logo", "the logo is not a PNG, JPEG or WebP image")
	}
	if err != nil {
		return nil, InvalidParam("logo", "the logo is not a valid %s image: %v", t.name, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return nil, InvalidParam("logo", "the logo is %d×%d pixels; a logo is at most %d×%d", cfg.Width, cfg.Height, MaxLogoPixels, MaxLogoPixels)
	}
	if _, _, err := image.Decode(bytes.NewReader(body)); err != nil {
		return nil, InvalidParam("logo", "the logo is not a valid %s image: %v", t.name, err)
	}
	sum := sha256.Sum256(body)
	return &Logo{SHA256: hex.EncodeToString(sum[:]), ContentType: t.contentType, Width: cfg.Width, Height: cfg.Height,
		Body: bytes.Clone(body)}, nil
}

// looksLikeSVG reports whether body starts like an XML or SVG document
// (after a byte-order mark and white space), so that it gets its own
// message rather than "not an image".
func looksLikeSVG(body []byte) bool {
	head := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	head = head[:min(len(head), 1024)]
	lower := bytes.ToLower(head)
	return bytes.HasPrefix(lower, []byte("<?xml")) || bytes.HasPrefix(lower, []byte("<svg")) ||
		(bytes.HasPrefix(lower, []byte("<")) && bytes.Contains(lower, []byte("<svg")))
}

// ParseBrandColor checks a brand colour: "#RRGGBB" (either case; returned
// in lower case) whose contrast with the white button text is at least
// MinBrandContrast. The refusal states the measured ratio.
func ParseBrandColor(s string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(s))
	if _, err := parseHexColor(c); err != nil {
		return "", InvalidParam("brand_color", "brand colour %q is not of the form #RRGGBB (six hexadecimal digits, such as #3056d3)", s)
	}
	ratio, _ := ContrastRatio(c, ButtonTextColor)
	if ratio < MinBrandContrast {
		return "", InvalidParam("brand_color", "brand colour %s has a contrast of %s:1 with the white button text; it needs at least %g:1",
			c, formatRatio(ratio), MinBrandContrast)
	}
	return c, nil
}

// formatRatio writes a contrast ratio to two decimals, rounded, except
// that a refused colour never reads "4.50:1" (4.4996 is written 4.49).
func formatRatio(r float64) string {
	rounded := math.Round(r*100) / 100
	if r < MinBrandContrast && rounded >= MinBrandContrast {
		rounded = math.Floor(r*100) / 100
	}
	return strconv.FormatFloat(rounded, 'f', 2, 64)
}

// ContrastRatio is the WCAG 2.x contrast ratio of two "#rrggbb" colours,
// from 1 (the same luminance) to 21 (black on white).
func ContrastRatio(a, b string) (float64, error) {
	ca, err := parseHexColor(strings.ToLower(a))
	if err != nil {
		return 0, err
	}
	cb, err := parseHexColor(strings.ToLower(b))
	if err != nil {
		return 0, err
	}
	la, lb := relativeLuminance(ca), relativeLuminance(cb)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

// parseHexColor reads "#rrggbb" (lower case only: callers normalise).
func parseHexColor(s string) ([3]uint8, error) {
	var c [3]uint8
	if len(s) != 7 || s[0] != '#' || strings.Trim(s[1:], "0123456789abcdef") != "" {
		return c, errors.New("not #rrggbb")
	}
	for i := range 3 {
		v, _ := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		c[i] = uint8(v)
	}
	return c, nil
}

// relativeLuminance is WCAG 2.x's relative luminance of an sRGB colour.
func relativeLuminance(c [3]uint8) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// ParseDisplayName checks the name shoppers see instead of the merchant's
// name: the text rule (CheckText) and at most MaxDisplayNameLen
// characters, surrounding spaces trimmed. "" is allowed: the merchant's
// name is shown.
func ParseDisplayName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := CheckText("the display name", s); err != nil {
		var e *Error
		errors.As(err, &e)
		return "", InvalidParam("display_name", "%s", e.Message)
	}
	if n := utf8.RuneCountInString(s); n > MaxDisplayNameLen {
		return "", InvalidParam("display_name", "the display name is %d characters; it may have at most %d", n, MaxDisplayNameLen)
	}
	return s, nil
}

// Brand is the merchant's look on its shoppers' pages.
func (m *Merchant) Brand() Brand {
	b := Brand{Name: m.Name, Color: m.BrandColor, SupportEmail: m.SupportEmail, SupportURL: m.SupportURL}
	if m.DisplayName != "" {
		b.Name = m.DisplayName
	}
	if m.Logo != nil {
		l := *m.Logo
		l.Body = nil
		b.Logo = &l
	}
	return b
}

// Brand returns how a merchant's pages look to its shoppers.
func (s *Service) Brand(ctx context.Context, merchantID string) (Brand, error) {
	m, err := s.Merchant(ctx, merchantID)
	if err != nil {
		return Brand{}, err
	}
	return m.Brand(), nil
}

// Logo returns a logo with its bytes by its file name under the logo
// route ("<sha256>.png"); ENotFound for a malformed name (before any
// lookup), an unknown logo, or an extension that is not the logo's type.
func (s *Service) Logo(ctx context.Context, fileName string) (*Logo, error) {
	notFound := Errorf(ENotFound, "No such logo.")
	sha, contentType, ok := ParseLogoFileName(fileName)
	if !ok {
		return nil, notFound
	}
	l, err := s.Store.Logo(ctx, sha)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, Internal(fmt.Errorf("logo %s: %w", sha, err))
	}
	if l.ContentType != contentType {
		return nil, notFound
	}
	return l, nil
}

// FormatContrastRatio writes a contrast ratio as refusals do: two
// decimals, and never "4.50" for a colour below MinBrandContrast.
func FormatContrastRatio(r float64) string { return formatRatio(r) }
