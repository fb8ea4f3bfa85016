package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func render(tb testing.TB, c templ.Component) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := c.Render(templ.WithNonce(context.Background(), `n0nce"><x`), &buf); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

func TestBrandStyle(t *testing.T) {
	if got := render(t, BrandStyle(Brand{Color: "#3056d3"})); got != `<style nonce="n0nce&#34;&gt;&lt;x">:root{--accent:#3056d3}</style>` {
		t.Errorf("style: %s", got)
	}
	// Only an exact #rrggbb is ever written into the style element.
	for _, c := range []string{"", "#3056D3", "#fff", "red", "#3056d3}body{display:none", "#3056d3</style><script>", "#3056d3 ", "url(x)"} {
		if got := render(t, BrandStyle(Brand{Color: c})); got != "" {
			t.Errorf("%q: %s", c, got)
		}
	}
}

func TestBrandLogo(t *testing.T) {
	url := "/logos/" + strings.Repeat("ab", 32) + ".png"
	for _, tc := range []struct {
		w, h         int
		wantW, wantH string
	}{
		{120, 40, "120", "40"},   // fits: its own size
		{2048, 2048, "48", "48"}, // square: the box's height
		{1000, 100, "160", "16"}, // wide: the box's width
		{1, 1, "1", "1"},         // never scaled up
		{2048, 1, "160", "1"},    // never 0
	} {
		name := `Café "Corner" <script>alert(1)</script> & Co`
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(render(t, BrandLogo(Brand{Name: name, LogoURL: url, LogoWidth: tc.w, LogoHeight: tc.h}))))
		if err != nil {
			t.Fatal(err)
		}
		img := doc.Find(`img[data-testid="merchant-logo"]`)
		if img.Length() != 1 || img.AttrOr("src", "") != url || img.AttrOr("alt", "") != name ||
			img.AttrOr("width", "") != tc.wantW || img.AttrOr("height", "") != tc.wantH || doc.Find("script").Length() != 0 {
			html, _ := doc.Html()
			t.Errorf("%d×%d: %s", tc.w, tc.h, html)
		}
	}
	for _, b := range []Brand{
		{Name: "Shop"},
		{Name: "Shop", LogoURL: url}, // size unknown
		{Name: "Shop", LogoURL: "https://evil.test/x.png", LogoWidth: 1, LogoHeight: 1},
		{Name: "Shop", LogoURL: "javascript:alert(1)", LogoWidth: 1, LogoHeight: 1},
		{Name: "Shop", LogoURL: "/logos/" + strings.Repeat("ab", 32) + ".svg", LogoWidth: 1, LogoHeight: 1},
		{Name: "Shop", LogoURL: "//evil.test/logos/" + strings.Repeat("ab", 32) + ".png", LogoWidth: 1, LogoHeight: 1},
	} {
		if got := render(t, BrandLogo(b)); got != "" {
			t.Errorf("%+v: %s", b, got)
		}
	}
}
