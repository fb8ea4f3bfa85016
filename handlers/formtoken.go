package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// FormTokens issues and checks the tokens every shopper form carries (a
// CSRF defense beside the browser's own cross-origin checks): a token is
// 128 random bits, so one rendering of a form is told from another (a form
// submitted twice makes one attempt), bound to its checkout session by an
// HMAC under a server key. A POST to a session's pages without a token made
// for that session changes nothing.
//
// The key is kept in the database (Store.ServerKey), so tokens outlive a
// restart and work on every instance; an unset key is made at random on
// first use (tests).
type FormTokens struct {
	mu  sync.Mutex
	key []byte
}

// NewFormTokens signs with key.
func NewFormTokens(key []byte) *FormTokens { return &FormTokens{key: key} }

func (f *FormTokens) secret() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.key) == 0 {
		f.key = make([]byte, 32)
		_, _ = rand.Read(f.key)
	}
	return f.key
}

// Issue makes a fresh token for a form of sessionID.
func (f *FormTokens) Issue(sessionID string) string {
	nonce := checkout.RandomToken(16)
	return nonce + "." + f.mac(sessionID, nonce)
}

// Valid reports whether token was issued for sessionID under this key.
func (f *FormTokens) Valid(sessionID, token string) bool {
	nonce, mac, ok := strings.Cut(token, ".")
	if !ok || nonce == "" || len(token) > 128 {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(f.mac(sessionID, nonce)))
}

func (f *FormTokens) mac(sessionID, nonce string) string {
	m := hmac.New(sha256.New, f.secret())
	m.Write([]byte("form-token\x00" + sessionID + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}
