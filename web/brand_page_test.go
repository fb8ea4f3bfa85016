package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestBrandedPages: a merchant's display name, accent colour and logo on
// its shoppers' pages, the logo from our origin with the display name as
// its alt text; an unbranded merchant keeps our look.
func TestBrandedPages(t *testing.T) {
	app := MustApp(t, nil)
	ctx := context.Background()
	id := mustCreateSession(t, app, validSession())["id"].(string)
	plain := doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil))
	if plain.Find("style").Length() != 0 || testid(plain, "merchant-logo").Length() != 0 {
		t.Fatal("an unbranded merchant's page carries branding")
	}

	s, _, err := app.Service.Session(ctx, "", id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := app.Store.Merchant(ctx, s.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	logo, err := checkout.ParseLogo(testPNG(t, 320, 64))
	if err != nil {
		t.Fatal(err)
	}
	m.DisplayName, m.BrandColor, m.Logo = "Corner Café", "#1a5e3a", logo
	if err := app.Store.SaveMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/c/" + id} {
		res := do(t, http.MethodGet, app.URL+path, nil)
		d := doc(t, res)
		style := d.Find("head style")
		nonce, _ := style.Attr("nonce")
		if style.Length() != 1 || !strings.Contains(style.Text(), "--accent:#1a5e3a") || nonce == "" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "'nonce-"+nonce+"'") {
			t.Errorf("%s: accent style %q (nonce %q)", path, style.Text(), nonce)
		}
		img := testid(d, "merchant-logo")
		src, _ := img.Attr("src")
		if alt, _ := img.Attr("alt"); alt != "Corner Café" || !strings.HasPrefix(src, "/logos/") {
			t.Errorf("%s: logo src %q alt %q", path, src, alt)
		}
		if got := d.Find(".summary .merchant bdi").Text(); got != "Corner Café" {
			t.Errorf("%s: merchant name %q, want the display name", path, got)
		}
		if got := do(t, http.MethodGet, app.URL+src, nil); got.Status != 200 || got.Header.Get("Content-Type") != "image/png" {
			t.Errorf("logo %s: %d %s", src, got.Status, got.Header.Get("Content-Type"))
		}
	}
}
