package checkout

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
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
	// ReturnOrigins are where shoppers may be sent back to (success and
	// cancel URLs); empty means any (the sandbox demo merchant).
	ReturnOrigins []string
	// EmbedOrigins may frame the merchant's checkout pages.
	EmbedOrigins []string
	CreatedAt    time.Time

	// Branding (Brand): the name shoppers see instead of Name when set
	// (ParseDisplayName), the accent colour of its pages as "#rrggbb" or ""
	// (ParseBrandColor), and its logo (ParseLogo) or nil. A merchant is
	// loaded with its logo's hash, type and size, never its bytes; a logo
	// saved with Body set is stored with the merchant.
	DisplayName string
	BrandColor  string
	Logo        *Logo

	// SupportEmail and SupportURL are where its shoppers ask about a
	// payment (ParseSupportEmail, ParseSupportURL), "" for none; its pages
	// show them.
	SupportEmail string
	SupportURL   string
	// PreviousKeyHash is the hash of the secret key before the last
	// rotation, which still authenticates until PreviousKeyExpiresAt
	// (RotateSecretKey); "" when there is none.
	PreviousKeyHash      string
	PreviousKeyExpiresAt time.Time
	// Version counts the merchant's saved changes: SaveMerchant writes a
	// merchant only while the stored version is still the one it was
	// loaded with, so that two concurrent changes never undo each other.
	Version int
	// ReturnSecret signs the shopper's returns to the merchant (rsec_...,
	// NewReturnSecret; "" for a merchant made before signed returns, until
	// EnsureReturnSecret). After a rotation PreviousReturnSecret signs next
	// to it until PreviousReturnSecretExpiresAt.
	ReturnSecret                  string
	PreviousReturnSecret          string
	PreviousReturnSecretExpiresAt time.Time
}

// NormalizeOrigin returns the scheme://host[:port] form of an origin, or
// an error: https only (http for localhost and 127.0.0.1), no path, user
// info, query or fragment.
func NormalizeOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("an origin is scheme://host[:port], such as https://shop.example")
	}
	if u.Opaque != "" || !validOriginHost(u.Hostname()) {
		return "", errors.New("an origin names one exact host (letters, digits, hyphens and dots, or an IP address): no wildcards")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", errors.New("an origin's port is a number from 1 to 65535")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", errors.New("an origin's port is a number from 1 to 65535")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return "", errors.New("an origin must be https (http only for localhost)")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// originLabel is one DNS label (internationalised names in their xn-- form).
var originLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validOriginHost accepts an exact host name or an IP address: never a
// wildcard or a character that would change a CSP source list
// (frame-ancestors is built from these).
func validOriginHost(host string) bool {
	if addr, err := netip.ParseAddr(host); err == nil {
		// An IPv6 zone (fe80::1%eth0) names an interface of the browser's
		// machine, not an origin, and its % would reach the CSP.
		return addr.Zone() == ""
	}
	host = strings.ToLower(host)
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if !originLabel.MatchString(label) {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// AllowsReturn reports whether a (checked) return URL is on one of the
// merchant's return origins. It must be https; http is allowed only for
// localhost, for a test merchant, on a server in sandbox mode.
func (m *Merchant) AllowsReturn(raw string, sandbox bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && (m.Live || !sandbox || !isLoopback(u.Hostname())) {
		return errors.New("must be https (http only for localhost in sandbox mode)")
	}
	if len(m.ReturnOrigins) == 0 {
		return nil
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	for _, o := range m.ReturnOrigins {
		if o == origin {
			return nil
		}
	}
	return errors.New("must be on one of the merchant's return origins (" + strings.Join(m.ReturnOrigins, ", ") + ")")
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
