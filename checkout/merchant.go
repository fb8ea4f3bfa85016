package checkout

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Merchant is an account that creates checkout sessions with a secret key.
type Merchant struct {
	ID              string
	Name            string
	APIKeyHash      string // hex SHA-256 of the secret key; the key itself is never stored
	DefaultProvider string
	Live            bool
	CreatedAt       time.Time
}

// Secret key prefixes: a key says which mode it belongs to.
const (
	TestKeyPrefix = "sk_test_"
	LiveKeyPrefix = "sk_live_"
)

// NewSecretKey returns a fresh secret key with 160 random bits.
func NewSecretKey(live bool) string {
	if live {
		return LiveKeyPrefix + RandomToken(20)
	}
	return TestKeyPrefix + RandomToken(20)
}

// HashAPIKey is how a secret key is stored and looked up. Keys carry 160
// random bits, so a fast hash is enough: there is nothing to brute-force.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// LooksLikeSecretKey reports whether key has the shape of one of our keys.
func LooksLikeSecretKey(key string) bool {
	return (strings.HasPrefix(key, TestKeyPrefix) || strings.HasPrefix(key, LiveKeyPrefix)) && len(key) >= 24 && len(key) <= 128
}
