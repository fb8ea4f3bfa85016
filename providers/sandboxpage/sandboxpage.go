// Package sandboxpage serves the provider sandboxes' own browser pages (3-D
// Secure challenges, cashiers, card pages) with the headers such a
// third-party page sets for itself.
package sandboxpage

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/a-h/templ"
)

// Policy is what a page may do beyond loading its own nonce'd styles.
type Policy struct {
	// Scripts lets the page run its nonce'd scripts.
	Scripts bool
	// Referrer is its Referrer-Policy; strict-origin-when-cross-origin
	// when empty.
	Referrer string
}

// Render writes the page through a buffer, so that a template error becomes
// a clean 500, with a CSP that loads nothing from anywhere (no form-action:
// browsers apply it to the redirect after a post, which leaves for the
// merchant's return URL) and no caching. Framing stays allowed: checkouts
// frame challenge pages.
func Render(w http.ResponseWriter, r *http.Request, status int, page func(nonce string) templ.Component, p Policy) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := base64.RawStdEncoding.EncodeToString(b)
	var buf bytes.Buffer
	if err := page(nonce).Render(r.Context(), &buf); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	csp := "default-src 'none'; style-src 'nonce-" + nonce + "'; base-uri 'none'"
	if p.Scripts {
		csp = "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; base-uri 'none'"
	}
	referrer := p.Referrer
	if referrer == "" {
		referrer = "strict-origin-when-cross-origin"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", referrer)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
