package operator_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// TestMerchantsCommandBranding: merchants create and update set the
// display name, brand colour and logo; update changes only what it is
// given; every refusal says why, exits 2 and writes nothing (not even the
// flags that were fine).
func TestMerchantsCommandBranding(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	env := func(k string) string {
		if k == "CHECKOUT_DB" {
			return db
		}
		return ""
	}
	cli := func(args ...string) (int, string, string) {
		var out, errs strings.Builder
		code := operator.MerchantsCommand(args, env, &out, &errs)
		return code, out.String(), errs.String()
	}
	file := func(name string, body []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pngFile, jpegFile, webpFile := file("logo.png", testPNG(t, 120, 40)), file("logo.jpg", testJPEG(t, 64, 32)), file("logo.webp", testWebP)
	svgFile := file("logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	svgAsPNG := file("svg.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`))
	bigFile := file("big.png", append(testPNG(t, 10, 10), make([]byte, checkout.MaxLogoBytes)...))
	hugeFile := file("huge.png", testPNG(t, 4000, 1))
	garbage := file("garbage.png", []byte("not an image at all"))
	merchant := func(id string) *checkout.Merchant {
		t.Helper()
		s, err := sqlstore.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		m, err := s.Merchant(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	logoStored := func(sha string) bool {
		t.Helper()
		s, err := sqlstore.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, err = s.Logo(context.Background(), sha)
		if err != nil && !errors.Is(err, checkout.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	count := func() int {
		_, out, _ := cli("list")
		return strings.Count(out, "mer_")
	}

	create := []string{"create", "-name", "Corner Shop Ltd", "-test", "-return-origin", "https://shop.example"}
	refusals := []struct {
		args []string
		says string
	}{
		{[]string{"-brand-color", "#7fb3ff"}, "-brand-color: brand colour #7fb3ff has a contrast of 2.14:1 with the white button text; it needs at least 4.5:1"},
		{[]string{"-brand-color", "#777777"}, "contrast of 4.48:1"},
		{[]string{"-brand-color", "blue"}, "#RRGGBB"},
		{[]string{"-brand-color", "#3056d3;}"}, "#RRGGBB"},
		{[]string{"-logo", svgFile}, "SVG logos are refused"},
		{[]string{"-logo", svgAsPNG}, "SVG logos are refused"},
		{[]string{"-logo", bigFile}, "a logo is at most 102400 bytes (100 KB)"},
		{[]string{"-logo", hugeFile}, "4000×1 pixels; a logo is at most 2048×2048"},
		{[]string{"-logo", garbage}, "not a PNG, JPEG or WebP image"},
		{[]string{"-logo", filepath.Join(dir, "missing.png")}, "missing.png: no such file or directory"},
		{[]string{"-logo", dir}, "not a regular file"},
		{[]string{"-logo", ""}, "give a file, or none"},
		{[]string{"-display-name", "Shop\u202Epohs"}, "-display-name: the display name must not contain"},
		{[]string{"-display-name", "Shop\nInjected"}, "-display-name:"},
		{[]string{"-display-name", strings.Repeat("S", 101)}, "101 characters; it may have at most 100"},
		// A good flag beside a bad one is not written either.
		{[]string{"-display-name", "Fine", "-logo", pngFile, "-brand-color", "#7fb3ff"}, "2.14:1"},
	}
	for _, r := range refusals {
		code, out, errs := cli(append(create, r.args...)...)
		if code != 2 || !strings.Contains(errs, r.says) || strings.Contains(out, "secret key") {
			t.Errorf("create %q: exit %d, %s%s; want 2 saying %q", r.args, code, out, errs, r.says)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("refused creates left %d merchants", n)
	}

	code, out, errs := cli(append(create, "-display-name", " Corner Shop ", "-brand-color", "#3056D3", "-logo", pngFile)...)
	if code != 0 {
		t.Fatalf("create: %d %s%s", code, out, errs)
	}
	id := regexp.MustCompile(`merchant:\s+(mer_\S+)`).FindStringSubmatch(out)[1]
	m := merchant(id)
	if m.Name != "Corner Shop Ltd" || m.DisplayName != "Corner Shop" || m.BrandColor != "#3056d3" || m.Logo == nil ||
		m.Logo.ContentType != "image/png" || m.Logo.Width != 120 || m.Logo.Height != 40 {
		t.Fatalf("created: %+v, logo %+v", m, m.Logo)
	}
	pngLogo := m.Logo.SHA256
	for _, want := range []string{"display name: Corner Shop", "brand color:  #3056d3 (contrast 6.18:1", "logo:         " + handlers.LogoURL(m.Logo)} {
		if !strings.Contains(out, want) {
			t.Errorf("create printed %s, want %q", out, want)
		}
	}

	// Refused updates change nothing.
	update := []string{"update", "-id", id}
	for _, r := range refusals {
		code, out, errs := cli(append(update, r.args...)...)
		if code != 2 || !strings.Contains(errs, r.says) || out != "" {
			t.Errorf("update %q: exit %d, %s%s; want 2 saying %q", r.args, code, out, errs, r.says)
		}
	}
	for _, bad := range [][]string{
		{"update", "-id", id}, // nothing to update
		{"update", "-id", "mer_nope", "-brand-color", "none"},     // no such merchant
		{"update", "-brand-color", "none"},                        // no id
		{"update", "-id", id, "logo.png", "-brand-color", "none"}, // a stray argument hides the flags after it
		{"update", "-id", id, "-color", "#3056d3"},                // no such flag
	} {
		if code, out, errs := cli(bad...); code != 2 || out != "" {
			t.Errorf("%q: exit %d, %s%s", bad, code, out, errs)
		}
	}
	if got := merchant(id); !reflect.DeepEqual(got, m) {
		t.Fatalf("after refused updates: %+v, was %+v", got, m)
	}

	// Each flag changes only itself.
	step := func(args ...string) *checkout.Merchant {
		t.Helper()
		if code, out, errs := cli(append(update, args...)...); code != 0 || errs != "" || !strings.Contains(out, id) {
			t.Fatalf("update %q: %d %s%s", args, code, out, errs)
		}
		return merchant(id)
	}
	got := step("-brand-color", "#767676")
	if got.BrandColor != "#767676" || got.DisplayName != "Corner Shop" || got.Logo == nil || got.Logo.SHA256 != pngLogo {
		t.Fatalf("colour only: %+v", got)
	}
	got = step("-display-name", "The Corner")
	if got.DisplayName != "The Corner" || got.BrandColor != "#767676" || got.Logo.SHA256 != pngLogo {
		t.Fatalf("name only: %+v", got)
	}
	got = step("-logo", jpegFile)
	if got.Logo == nil || got.Logo.ContentType != "image/jpeg" || got.DisplayName != "The Corner" || got.BrandColor != "#767676" {
		t.Fatalf("logo only: %+v", got)
	}
	if logoStored(pngLogo) {
		t.Error("the replaced logo is still served")
	}
	got = step("-logo", webpFile)
	if got.Logo == nil || got.Logo.ContentType != "image/webp" || got.Logo.Width != 1 {
		t.Fatalf("webp logo: %+v", got.Logo)
	}
	webpLogo := got.Logo.SHA256
	got = step("-brand-color", "none", "-logo", "none", "-display-name", "")
	if got.DisplayName != "" || got.BrandColor != "" || got.Logo != nil || got.Brand().Name != "Corner Shop Ltd" || got.Name != "Corner Shop Ltd" {
		t.Fatalf("cleared: %+v", got)
	}
	if logoStored(webpLogo) {
		t.Error("a removed logo is still served")
	}
	// Other subcommands keep the branding.
	step("-brand-color", "#3056d3", "-logo", pngFile)
	if code, out, errs := cli("rotate-key", "-id", id); code != 0 {
		t.Fatalf("rotate-key: %d %s%s", code, out, errs)
	}
	if got := merchant(id); got.BrandColor != "#3056d3" || got.Logo == nil || got.Logo.SHA256 != pngLogo {
		t.Fatalf("after rotate-key: %+v", got)
	}
}

// TestDemoMerchantKeepsItsBranding: the sandbox demo merchant is refreshed
// from the configuration at every start, but branding given to it with
// merchants update stays.
func TestDemoMerchantKeepsItsBranding(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	logo := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(logo, testPNG(t, 20, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() *web.App {
		t.Helper()
		app, err := web.New(context.Background(), web.Config{Addr: "127.0.0.1:0", DBPath: db, Mode: web.ModeSandbox,
			ProviderTimeout: 2 * time.Second, ReconcileInterval: time.Second, LogFormat: "text"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	stop := func(app *web.App) {
		app.Listener.Close()
		app.Store.Close()
	}
	stop(start())
	var out strings.Builder
	env := func(k string) string {
		if k == "CHECKOUT_DB" {
			return db
		}
		return ""
	}
	if code := operator.MerchantsCommand([]string{"update", "-id", web.DemoMerchantID, "-display-name", "Demo Roasters", "-brand-color", "#1a7f43", "-logo", logo},
		env, &out, &out); code != 0 {
		t.Fatalf("update the demo merchant: %d %s", code, out.String())
	}
	app := start()
	defer stop(app)
	m, err := app.Store.Merchant(context.Background(), web.DemoMerchantID)
	if err != nil {
		t.Fatal(err)
	}
	if m.DisplayName != "Demo Roasters" || m.BrandColor != "#1a7f43" || m.Logo == nil || m.Logo.Width != 20 {
		t.Fatalf("the demo merchant after a restart: %+v, logo %+v", m, m.Logo)
	}
}
