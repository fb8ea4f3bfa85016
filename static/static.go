// Package static serves the checkout's CSS and JavaScript from the binary
// under content-hashed URLs, so they can be cached for a year and a change
// always reaches the browser.
package static

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// Inventory lists every file served here, with why it exists (PCI DSS
// 6.4.3: each script on a payment page is authorized and justified). A
// file missing from it, or listed but absent, fails the tests. Scripts run
// only through the response's CSP nonce and with Subresource Integrity;
// there is no third-party script and no tag manager.
var Inventory = map[string]string{
	"checkout.css":          "the look of every page of ours",
	"dashboard.css":         "the merchant dashboard's own layout: header, navigation, tables, filters",
	"dashboard-settings.js": "dashboard settings page only: the branding preview follows the name and colour typed, and the colour's contrast check is shown as it is typed",
	"checkout.js":           "card page: 3-D Secure browser data into hidden fields, card number formatting, brand hint, pay buttons that cannot be pressed twice",
	"action.js":             "provider steps: device data collection (10 s at most), the challenge iframe, redirects and redirect forms; reports each step it takes to our server for the session timeline",
	"status.js":             "waiting page: asks again every 2 s and announces the new status in an aria-live region (no meta refresh)",
	"frame.js":              "an embedded session page tells its merchant's page its height and the outcome, only to the merchant's embedding origins, never card data",
	"embed.js":              "loaded by merchants' pages (not ours): mounts the checkout in an iframe and hears its height and outcome",
	"demo-embed.js":         "sandbox demo shop only: mounts its embedded checkout with embed.js",
}

// Prefix is where the assets are served.
const Prefix = "/static/"

type asset struct {
	name, url, contentType, integrity string
	body                              []byte
}

var (
	byName = map[string]*asset{}
	byURL  = map[string]*asset{}
)

func init() {
	entries, err := fs.ReadDir(assets, "assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := assets.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		sri := sha512.Sum384(body)
		ext := path.Ext(e.Name())
		a := &asset{
			name:        e.Name(),
			url:         Prefix + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext,
			contentType: mime.TypeByExtension(ext),
			integrity:   "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
			body:        body,
		}
		byName[a.name] = a
		byURL[a.url] = a
	}
}

// URL returns the hashed URL of an asset by file name ("checkout.js").
// It panics on an unknown name: that is a programming error caught by tests.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return a.url
}

// Integrity returns the Subresource Integrity value of an asset by file
// name ("sha384-…"): pages put it on their <script> and <link> tags, so a
// file changed on the way (or on disk behind a proxy) does not run.
func Integrity(name string) string {
	a, ok := byName[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return a.integrity
}

// Handler serves the hashed URLs with long-lived caching.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := byURL[r.URL.Path]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// Public files: a merchant's page may load embed.js with
		// integrity= and crossorigin="anonymous", which needs CORS.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodGet {
			_, _ = w.Write(a.body)
		}
	})
}
