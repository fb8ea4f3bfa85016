package checkout

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Identifier prefixes. Every id carries 160 random bits.
const (
	PrefixSession         = "cs_"
	PrefixPayment         = "pay_"
	PrefixMerchant        = "mer_"
	PrefixEvent           = "evt_"
	PrefixRefund          = "re_"
	PrefixWebhookEndpoint = "we_"
	PrefixWebhookDelivery = "whd_"
)

// IDSource makes new identifiers; tests inject a deterministic one.
type IDSource interface {
	NewID(prefix string) string
}

// RandomIDs is the production IDSource: prefix + 160 bits from crypto/rand.
type RandomIDs struct{}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns prefix followed by 32 lowercase base32 characters.
func (RandomIDs) NewID(prefix string) string {
	return prefix + RandomToken(20)
}

// RandomToken returns n random bytes from crypto/rand as lowercase base32.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return strings.ToLower(idEncoding.EncodeToString(b))
}

// ValidID reports whether s looks like an id with the given prefix, so that
// garbage in a URL is answered 404 without touching the database.
func ValidID(prefix, s string) bool {
	if !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+32 {
		return false
	}
	for _, r := range s[len(prefix):] {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
