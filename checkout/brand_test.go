package checkout_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestContrastRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64 // to two decimals
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#3056d3", "#ffffff", 6.18},
		{"#ffffff", "#3056d3", 6.18}, // symmetric
		{"#767676", "#ffffff", 4.54},
		{"#777777", "#ffffff", 4.48},
		{"#7fb3ff", "#ffffff", 2.14},
		{"#FF0000", "#ffffff", 4.00},
	} {
		got, err := checkout.ContrastRatio(tc.a, tc.b)
		if err != nil {
			t.Fatalf("%s/%s: %v", tc.a, tc.b, err)
		}
		if got < tc.want-0.005 || got >= tc.want+0.005 {
			t.Errorf("%s on %s: %.4f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
	if _, err := checkout.ContrastRatio("red", "#ffffff"); err == nil {
		t.Error("a colour name is not #rrggbb")
	}
}

func TestParseBrandColor(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		refused  string // a substring of the refusal, or "" when accepted
	}{
		{"#3056d3", "#3056d3", ""},
		{"#3056D3", "#3056d3", ""}, // normalised to lower case
		{" #3056d3 ", "#3056d3", ""},
		{"#767676", "#767676", ""}, // 4.54:1, just enough
		{"#000000", "#000000", ""},
		{"#777777", "", "brand colour #777777 has a contrast of 4.48:1 with the white button text; it needs at least 4.5:1"},
		{"#7FB3FF", "", "brand colour #7fb3ff has a contrast of 2.14:1 with the white button text; it needs at least 4.5:1"},
		{"#ffffff", "", "contrast of 1.00:1"},
		{"#fff", "", "#RRGGBB"},
		{"3056d3", "", "#RRGGBB"},
		{"#3056d3ff", "", "#RRGGBB"},
		{"#3056g3", "", "#RRGGBB"},
		{"rgb(48,86,211)", "", "#RRGGBB"},
		{"#3056d3;}body{display:none", "", "#RRGGBB"},
		{"", "", "#RRGGBB"},
	} {
		got, err := checkout.ParseBrandColor(tc.in)
		if tc.refused == "" {
			if err != nil || got != tc.want {
				t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.refused) || checkout.ErrorCodeOf(err) != checkout.EInvalid {
			t.Errorf("%q: %q, %v; want a refusal saying %q", tc.in, got, err, tc.refused)
		}
	}
}

// TestButtonTextColorIsTheStylesheets: the contrast is measured against
// the colour the stylesheet really gives button text, and our own accent
// passes the check merchants' colours must pass.
func TestButtonTextColorIsTheStylesheets(t *testing.T) {
	css, err := os.ReadFile("../static/assets/checkout.css")
	if err != nil {
		t.Fatal(err)
	}
	var1 := func(name string) string {
		m := regexp.MustCompile(`--` + name + `:\s*(#[0-9a-fA-F]{3,6})\b`).FindSubmatch(css)
		if m == nil {
			t.Fatalf("checkout.css sets no --%s", name)
		}
		c := strings.ToLower(string(m[1]))
		if len(c) == 4 { // #fff
			c = "#" + strings.Repeat(c[1:2], 2) + strings.Repeat(c[2:3], 2) + strings.Repeat(c[3:4], 2)
		}
		return c
	}
	if ink := var1("accent-ink"); ink != checkout.ButtonTextColor {
		t.Errorf("--accent-ink is %s, checkout.ButtonTextColor %s", ink, checkout.ButtonTextColor)
	}
	if _, err := checkout.ParseBrandColor(var1("accent")); err != nil {
		t.Errorf("our own accent: %v", err)
	}
}

func TestParseDisplayName(t *testing.T) {
	for _, ok := range []string{"", "Corner Shop", "  Café Ünïcode 店  ", strings.Repeat("é", 100)} {
		got, err := checkout.ParseDisplayName(ok)
		if err != nil || got != strings.TrimSpace(ok) {
			t.Errorf("%q: %q, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"Shop\u202Epohs", "Shop\nInjected", "Sh\u200Bop", "Shop\x00", "\xff\xfe", strings.Repeat("S", 101)} {
		if _, err := checkout.ParseDisplayName(bad); err == nil || checkout.ErrorCodeOf(err) != checkout.EInvalid {
			t.Errorf("%q: %v, want refused", bad, err)
		}
	}
	// Markup is text: templ escapes it where it is shown.
	if got, err := checkout.ParseDisplayName(`<img src=x onerror=alert(1)>`); err != nil || got != `<img src=x onerror=alert(1)>` {
		t.Errorf("markup as text: %q, %v", got, err)
	}
}

// MustPNG encodes a w×h image as PNG.
func MustPNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// MustJPEG encodes a w×h image as JPEG.
func MustJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.RGBA{R: 200, G: 40, B: 40, A: 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// tinyWebP is a 1×1 lossless WebP (VP8L), 34 bytes: the standard library
// encodes no WebP.
var tinyWebP = []byte{
	'R', 'I', 'F', 'F', 0x1a, 0x00, 0x00, 0x00, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L',
	0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00,
}

// tinyLossyWebP is a 1×1 lossy WebP (VP8), 42 bytes.
var tinyLossyWebP = []byte{
	'R', 'I', 'F', 'F', 0x22, 0x00, 0x00, 0x00, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ',
	0x16, 0x00, 0x00, 0x00, 0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x01, 0x00, 0x01, 0x00, 0x0e, 0xc0, 0xfe, 0x25,
	0xa4, 0x00, 0x03, 0x70, 0x00, 0x00, 0x00, 0x00,
}

// pngClaiming is a valid 1×1 PNG whose header (IHDR, with a correct CRC)
// claims w×h pixels: a decompression bomb's header.
func pngClaiming(tb testing.TB, w, h uint32) []byte {
	b := MustPNG(tb, 1, 1)
	// signature (8), IHDR length (4), "IHDR" (4), width, height at 16 and 20.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// webpClaiming is tinyWebP whose VP8L header claims w×h pixels.
func webpClaiming(w, h uint32) []byte {
	b := bytes.Clone(tinyWebP)
	binary.LittleEndian.PutUint32(b[21:], (w-1)|(h-1)<<14|1<<28)
	return b
}

func TestParseLogo(t *testing.T) {
	sha := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	pngLogo := MustPNG(t, 120, 40)
	// A logo of exactly the limit (a PNG padded after its end) is taken.
	atLimit := append(bytes.Clone(pngLogo), make([]byte, checkout.MaxLogoBytes-len(pngLogo))...)
	for _, tc := range []struct {
		name        string
		body        []byte
		contentType string
		w, h        int
		file        string // its extension
	}{
		{"png", pngLogo, "image/png", 120, 40, ".png"},
		{"jpeg", MustJPEG(t, 64, 32), "image/jpeg", 64, 32, ".jpg"},
		{"webp lossless", tinyWebP, "image/webp", 1, 1, ".webp"},
		{"webp lossy", tinyLossyWebP, "image/webp", 1, 1, ".webp"},
		{"png at 2048×2048", MustPNG(t, 2048, 1), "image/png", 2048, 1, ".png"},
		{"exactly 102400 bytes", atLimit, "image/png", 120, 40, ".png"},
	} {
		l, err := checkout.ParseLogo(tc.body)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if l.ContentType != tc.contentType || l.Width != tc.w || l.Height != tc.h || l.SHA256 != sha(tc.body) ||
			!bytes.Equal(l.Body, tc.body) || l.FileName() != sha(tc.body)+tc.file {
			t.Errorf("%s: %s %d×%d %s (%s)", tc.name, l.ContentType, l.Width, l.Height, l.SHA256, l.FileName())
		}
		if gotSHA, gotType, ok := checkout.ParseLogoFileName(l.FileName()); !ok || gotSHA != l.SHA256 || gotType != l.ContentType {
			t.Errorf("%s: its file name %q reads back as %q %q %v", tc.name, l.FileName(), gotSHA, gotType, ok)
		}
	}

	noise := make([]byte, 200*200*4)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	big := image.NewNRGBA(image.Rect(0, 0, 200, 200))
	copy(big.Pix, noise)
	var bigPNG bytes.Buffer
	_ = png.Encode(&bigPNG, big)
	var gifLogo bytes.Buffer
	_ = gif.Encode(&gifLogo, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.White, color.Black}), nil)

	for _, tc := range []struct {
		name, body, says string
	}{
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "SVG"},
		{"svg with xml declaration", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`, "SVG"},
		{"svg with doctype, BOM and space", "\xef\xbb\xbf \n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<SVG/>", "SVG"},
		{"over 100 KB", string(append(bytes.Clone(atLimit), 0)), "102401 bytes; a logo is at most 102400 bytes (100 KB)"},
		{"noise png over 100 KB", bigPNG.String(), "at most 102400 bytes"},
		{"png 2049 wide", string(MustPNG(t, 2049, 1)), "2049×1 pixels; a logo is at most 2048×2048"},
		{"png bomb header", string(pngClaiming(t, 50000, 50000)), "50000×50000 pixels"},
		{"webp bomb header", string(webpClaiming(3000, 3000)), "3000×3000 pixels"},
		{"jpeg 1×3000", string(MustJPEG(t, 1, 3000)), "1×3000 pixels"},
		{"gif (another registered decoder)", gifLogo.String(), "not a PNG, JPEG or WebP image"},
		{"html", "<!doctype html><script>alert(1)</script>", "not a PNG, JPEG or WebP image"},
		{"garbage", "\x00\x01\x02garbage", "not a PNG, JPEG or WebP image"},
		{"empty", "", "empty"},
		{"truncated png", string(pngLogo[:len(pngLogo)/2]), "not a valid PNG image"},
		{"png header only", string(pngLogo[:33]), "not a valid PNG image"},
		{"truncated webp", string(tinyWebP[:24]), "not a valid WebP image"},
	} {
		l, err := checkout.ParseLogo([]byte(tc.body))
		var e *checkout.Error
		if err == nil || !errors.As(err, &e) || e.Code != checkout.EInvalid || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: %+v, %v; want refused saying %q", tc.name, l, err, tc.says)
		}
	}
}

func TestParseLogoFileName(t *testing.T) {
	hash := strings.Repeat("0123456789abcdef", 4)
	for name, want := range map[string]string{hash + ".png": "image/png", hash + ".jpg": "image/jpeg", hash + ".webp": "image/webp"} {
		if sha, ct, ok := checkout.ParseLogoFileName(name); !ok || sha != hash || ct != want {
			t.Errorf("%s: %q %q %v", name, sha, ct, ok)
		}
	}
	for _, bad := range []string{"", ".png", hash, hash + ".", hash + ".jpeg", hash + ".svg", hash + ".PNG", strings.ToUpper(hash) + ".png",
		hash[1:] + ".png", hash + "0.png", "../" + hash[3:] + ".png", hash + ".png.png", strings.Repeat("g", 64) + ".png", hash + ".png\x00"} {
		if sha, ct, ok := checkout.ParseLogoFileName(bad); ok {
			t.Errorf("%q: accepted as %q %q", bad, sha, ct)
		}
	}
}

func TestMerchantBrand(t *testing.T) {
	m := &checkout.Merchant{Name: "Corner Shop Ltd"}
	if b := m.Brand(); b.Name != "Corner Shop Ltd" || b.Color != "" || b.Logo != nil {
		t.Errorf("unbranded: %+v", b)
	}
	m.DisplayName, m.BrandColor = "Corner Shop", "#3056d3"
	m.Logo = &checkout.Logo{SHA256: "ab", ContentType: "image/png", Width: 2, Height: 1, Body: []byte("x")}
	b := m.Brand()
	if b.Name != "Corner Shop" || b.Color != "#3056d3" || b.Logo == nil || b.Logo.Body != nil || m.Logo.Body == nil {
		t.Errorf("branded: %+v (logo %+v)", b, b.Logo)
	}
}

// logoStore counts logo lookups; every other Store method is absent.
type logoStore struct {
	checkout.Store
	logos   map[string]*checkout.Logo
	lookups []string
}

func (s *logoStore) Logo(_ context.Context, sha string) (*checkout.Logo, error) {
	s.lookups = append(s.lookups, sha)
	if l, ok := s.logos[sha]; ok {
		return l, nil
	}
	return nil, checkout.ErrNotFound
}

// TestServiceLogo: only a well-formed name reaches the store, and a logo
// is found only under its own type's extension.
func TestServiceLogo(t *testing.T) {
	l, err := checkout.ParseLogo(MustPNG(t, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	store := &logoStore{logos: map[string]*checkout.Logo{l.SHA256: l}}
	svc := &checkout.Service{Store: store}
	ctx := context.Background()
	if got, err := svc.Logo(ctx, l.FileName()); err != nil || got != l {
		t.Fatalf("%s: %v %v", l.FileName(), got, err)
	}
	for _, name := range []string{l.SHA256 + ".jpg", strings.Repeat("0", 64) + ".webp"} {
		if _, err := svc.Logo(ctx, name); checkout.ErrorCodeOf(err) != checkout.ENotFound {
			t.Errorf("%s: %v", name, err)
		}
	}
	store.lookups = nil
	for _, name := range []string{"", "x.png", l.SHA256, l.SHA256 + ".svg", strings.ToUpper(l.SHA256) + ".png", "' OR 1=1 --.png"} {
		if _, err := svc.Logo(ctx, name); checkout.ErrorCodeOf(err) != checkout.ENotFound {
			t.Errorf("%q: %v", name, err)
		}
	}
	if len(store.lookups) != 0 {
		t.Errorf("malformed names were looked up: %q", store.lookups)
	}
}
