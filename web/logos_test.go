package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/web"
)

// mustBrandedMerchant stores a merchant with the logo body (checked as the
// CLI checks it) and returns the logo.
func mustBrandedMerchant(tb testing.TB, app *web.App, body []byte) *checkout.Logo {
	tb.Helper()
	l, err := checkout.ParseLogo(body)
	if err != nil {
		tb.Fatal(err)
	}
	m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Logo Shop",
		APIKeyHash: checkout.HashAPIKey(checkout.NewSecretKey(false)), DefaultProvider: "payorder", CreatedAt: time.Now().UTC(),
		DisplayName: "Logo Shop", BrandColor: "#3056d3", Logo: l}
	if err := app.Store.SaveMerchant(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return l
}

// TestLogoRoute: a merchant's logo is served from our origin under the
// hash of its bytes, with its exact type, nosniff and a year of immutable
// caching, for GET and HEAD; any other name is a 404 that is neither
// cached nor sniffed.
func TestLogoRoute(t *testing.T) {
	app := sharedApp(t)
	for _, tc := range []struct {
		name, contentType, ext string
		body                   []byte
	}{
		{"png", "image/png", ".png", testPNG(t, 120, 40)},
		{"jpeg", "image/jpeg", ".jpg", testJPEG(t, 64, 32)},
		{"webp", "image/webp", ".webp", testWebP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := mustBrandedMerchant(t, app, tc.body)
			url := handlers.LogoURL(l)
			sum := sha256.Sum256(tc.body)
			if want := "/logos/" + hex.EncodeToString(sum[:]) + tc.ext; url != want {
				t.Fatalf("logo URL %s, want %s", url, want)
			}
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				res := do(t, method, app.URL+url, nil)
				for name, want := range map[string]string{
					"Content-Type":           tc.contentType,
					"X-Content-Type-Options": "nosniff",
					"Cache-Control":          "public, max-age=31536000, immutable",
					"Content-Length":         strconv.Itoa(len(tc.body)),
					"Referrer-Policy":        "no-referrer",
				} {
					if got := res.Header.Get(name); got != want {
						t.Errorf("%s %s: %s %q, want %q", method, url, name, got, want)
					}
				}
				if res.Status != http.StatusOK {
					t.Fatalf("%s %s: %d", method, url, res.Status)
				}
				if method == http.MethodHead {
					if len(res.Body) != 0 {
						t.Errorf("HEAD answered %d bytes", len(res.Body))
					}
					continue
				}
				got := sha256.Sum256(res.Body)
				if !bytes.Equal(res.Body, tc.body) || !strings.Contains(url, hex.EncodeToString(got[:])) {
					t.Errorf("GET %s: %d bytes, not the logo's", url, len(res.Body))
				}
			}
		})
	}

	l := mustBrandedMerchant(t, app, testPNG(t, 3, 3))
	unknown := strings.Repeat("ab", 32)
	for _, path := range []string{
		"/logos/" + unknown + ".png",                   // no such logo
		"/logos/" + l.SHA256 + ".jpg",                  // not its type
		"/logos/" + l.SHA256 + ".webp",                 // not its type
		"/logos/" + l.SHA256 + ".svg",                  // never a type
		"/logos/" + l.SHA256 + ".PNG",                  // not the canonical name
		"/logos/" + strings.ToUpper(l.SHA256) + ".png", // not the canonical name
		"/logos/" + l.SHA256,                           // no extension
		"/logos/" + l.SHA256 + ".png.png",              // two
		"/logos/" + l.SHA256[1:] + ".png",              // short
		"/logos/" + l.SHA256 + "0.png",                 // long
		"/logos/" + strings.Repeat("zz", 32) + ".png",  // not hex
		"/logos/" + l.SHA256 + ".png%00",               // a NUL
		"/logos/..%2f..%2fetc%2fpasswd",                // traversal
		"/logos/%2e%2e%2f" + l.SHA256[9:] + ".png",     // traversal of the right length
		"/logos/" + l.SHA256 + ".png/",                 // a trailing segment
		"/logos/",                                      // nothing
		"/logos/" + strings.Repeat("a", 5000) + ".png", // long garbage
	} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			res := do(t, method, app.URL+path, nil)
			if res.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404", method, clipPath(path), res.Status)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || strings.Contains(res.Header.Get("Cache-Control"), "immutable") ||
				strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
				t.Errorf("%s %s: headers %v", method, clipPath(path), res.Header)
			}
		}
	}
}

func clipPath(p string) string {
	if len(p) > 100 {
		return p[:100] + "…"
	}
	return p
}
