// Package static serves the checkout's CSS and JavaScript from the binary
// under content-hashed URLs, so they can be cached for a year and a change
// always reaches the browser.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// Prefix is where the assets are served.
const Prefix = "/static/"

type asset struct {
	name, url, contentType string
	body                   []byte
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
		ext := path.Ext(e.Name())
		a := &asset{
			name:        e.Name(),
			url:         Prefix + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext,
			contentType: mime.TypeByExtension(ext),
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
		if r.Method == http.MethodGet {
			_, _ = w.Write(a.body)
		}
	})
}
