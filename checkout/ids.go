package checkout

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// Identifier prefixes. Every id made since migration 0014 is its prefix
// and 36 characters: 48 bits of its Unix time in milliseconds, then 132
// random bits, in an alphabet that sorts as the bytes do, so ids sort by
// the time they were made and lists page by id. The random part alone is
// past the 128 bits ASVS 7.2.3 asks of session tokens (a session's id is
// the capability to its page), even for a guesser who knows the
// millisecond. Ids made before (32 characters of a-z and 2-7, 160 random
// bits) stay valid.
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

// RandomIDs is the production IDSource: prefix + 48 bits of Unix
// milliseconds + 132 bits from crypto/rand.
type RandomIDs struct {
	// Now is the clock whose time the ids carry: the Service's, so that an
	// object's id and its created time agree; time.Now when nil.
	Now func() time.Time
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// sortableEncoding is lowercase base32hex (0-9, a-v): its characters are
// in ASCII order, so encoded ids compare as their bytes do. An id is the
// first idChars characters of 25 bytes' 40: 180 bits, each character full.
var sortableEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// idChars is the length of an id after its prefix.
const idChars = 36

// NewID returns prefix followed by 36 characters that sort by creation
// time (to the millisecond; ids of one millisecond in random order).
func (r RandomIDs) NewID(prefix string) string {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	var b [25]byte
	putIDTime(b[:], now())
	for {
		_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
		// An id never holds 12 digits in a row (about one draw in 10^5
		// would): the filters that keep card numbers out of logs and
		// provider fields drop such runs, and an id must survive them.
		if s := sortableEncoding.EncodeToString(b[:])[:idChars]; longestDigitRun(s) < 12 {
			return prefix + s
		}
	}
}

func longestDigitRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// putIDTime writes t's Unix milliseconds into the first 6 bytes of b
// (clamped to what 48 bits hold: 1970 to the year 10889).
func putIDTime(b []byte, t time.Time) {
	ms := max(t.UnixMilli(), 0)
	ms = min(ms, 1<<48-1)
	var full [8]byte
	binary.BigEndian.PutUint64(full[:], uint64(ms))
	copy(b[:6], full[2:])
}

// IDFloor is the smallest id with prefix that RandomIDs can make at or
// after t: every object made since t (by a Service whose IDs and Now share
// a clock) has an id at least IDFloor(prefix, t). Ids made before
// migration 0014 (letters and 2-7 only) sort above every new one.
func IDFloor(prefix string, t time.Time) string {
	var b [25]byte
	putIDTime(b[:], t)
	return prefix + sortableEncoding.EncodeToString(b[:])[:idChars]
}

// RandomToken returns n random bytes from crypto/rand as lowercase base32.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return strings.ToLower(idEncoding.EncodeToString(b))
}

// ValidID reports whether s looks like an id with the given prefix, so that
// garbage in a URL is answered 404 without touching the database. It
// accepts both forms: the time-sortable ids (36 characters of 0-9, a-v) and
// those made before them (32 of a-z, 2-7).
func ValidID(prefix, s string) bool {
	if !strings.HasPrefix(s, prefix) || (len(s) != len(prefix)+idChars && len(s) != len(prefix)+32) {
		return false
	}
	for _, r := range s[len(prefix):] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
