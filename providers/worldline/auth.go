package worldline

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DateFormat is the RFC 1123 form, always in GMT, that the Date header
// carries and the signature covers.
const DateFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// FormatDate renders t for the Date header.
func FormatDate(t time.Time) string { return t.UTC().Format(DateFormat) }

var foldedWhitespace = regexp.MustCompile(`\r?\n[\t ]*`)

// StringToSign is what GCS v1HMAC signs: the method, Content-Type and Date
// lines, every X-GCS-* header (lowercased name, sorted, value unfolded and
// trimmed), then the canonical resource: the escaped path plus "?" and the
// raw, unescaped query when there is one.
func StringToSign(method, contentType, date string, header http.Header, u *url.URL) string {
	var b strings.Builder
	b.WriteString(method + "\n" + contentType + "\n" + date + "\n")
	var names []string
	for name := range header {
		if strings.HasPrefix(strings.ToLower(name), "x-gcs") {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for _, name := range names {
		v := strings.TrimSpace(foldedWhitespace.ReplaceAllString(header.Get(name), " "))
		b.WriteString(strings.ToLower(name) + ":" + v + "\n")
	}
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" {
		q, err := url.QueryUnescape(u.RawQuery)
		if err != nil {
			q = u.RawQuery
		}
		b.WriteString("?" + q)
	}
	b.WriteString("\n")
	return b.String()
}

// Signature is base64(HMAC-SHA256(secret, data)), used by both v1HMAC and
// webhook signatures.
func Signature(secret, data []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(data)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Authorization is the Authorization header value for a request.
func Authorization(keyID, secret, stringToSign string) string {
	return "GCS v1HMAC:" + keyID + ":" + Signature([]byte(secret), []byte(stringToSign))
}

// VerifyAuthorization checks an Authorization header against the expected
// string to sign, in constant time, and reports the key id it named.
func VerifyAuthorization(header string, secretFor func(keyID string) (string, bool), stringToSign string) (keyID string, ok bool) {
	rest, found := strings.CutPrefix(header, "GCS v1HMAC:")
	if !found {
		return "", false
	}
	keyID, sig, found := strings.Cut(rest, ":")
	if !found || keyID == "" {
		return "", false
	}
	secret, known := secretFor(keyID)
	if !known {
		return keyID, false
	}
	want := Signature([]byte(secret), []byte(stringToSign))
	return keyID, subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// WebhookSignature is the X-GCS-Signature of a webhook body.
func WebhookSignature(secret string, body []byte) string {
	return Signature([]byte(secret), body)
}

// VerifyWebhookSignature checks X-GCS-Signature over the raw body in
// constant time.
func VerifyWebhookSignature(secret string, body []byte, signature string) bool {
	want := WebhookSignature(secret, body)
	return subtle.ConstantTimeCompare([]byte(signature), []byte(want)) == 1
}
