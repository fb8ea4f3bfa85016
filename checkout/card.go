package checkout

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CardBrand is a card network, detected from the number.
type CardBrand string

// The card brands we detect; anything else is BrandUnknown.
const (
	BrandVisa       CardBrand = "visa"
	BrandMastercard CardBrand = "mastercard"
	BrandAmex       CardBrand = "amex"
	BrandDiscover   CardBrand = "discover"
	BrandJCB        CardBrand = "jcb"
	BrandDiners     CardBrand = "diners"
	BrandUnionPay   CardBrand = "unionpay"
	BrandUnknown    CardBrand = "unknown"
)

// Label is the brand's display name.
func (b CardBrand) Label() string {
	switch b {
	case BrandVisa:
		return "Visa"
	case BrandMastercard:
		return "Mastercard"
	case BrandAmex:
		return "American Express"
	case BrandDiscover:
		return "Discover"
	case BrandJCB:
		return "JCB"
	case BrandDiners:
		return "Diners Club"
	case BrandUnionPay:
		return "UnionPay"
	}
	return "Card"
}

// CVCLength is the security code length the brand prints on its cards.
func (b CardBrand) CVCLength() int {
	if b == BrandAmex {
		return 4
	}
	return 3
}

// DetectBrand names the network of a (possibly partial) digit string.
func DetectBrand(digits string) CardBrand {
	p := func(n int) int {
		if len(digits) < n {
			return -1
		}
		v, _ := strconv.Atoi(digits[:n])
		return v
	}
	switch {
	case p(1) == 4:
		return BrandVisa
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return BrandMastercard
	case p(2) == 34, p(2) == 37:
		return BrandAmex
	case p(4) == 6011, p(2) == 65, p(3) >= 644 && p(3) <= 649:
		return BrandDiscover
	case p(4) >= 3528 && p(4) <= 3589:
		return BrandJCB
	case p(2) == 36, p(2) == 38, p(2) == 39, p(3) >= 300 && p(3) <= 305:
		return BrandDiners
	case p(2) == 62:
		return BrandUnionPay
	}
	return BrandUnknown
}

// LooksLikeCardNumber reports whether s could be a card number: 12 to 19
// digits that pass Luhn. Adapters refuse such values where a provider id
// is expected, so a misbehaving answer cannot get a card number stored.
func LooksLikeCardNumber(s string) bool {
	return len(s) >= 12 && len(s) <= 19 && Luhn(s)
}

// Luhn reports whether digits pass the Luhn (mod 10) check.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// CardInput is the card a shopper typed. It lives only in the memory of the
// request that uses it: its String, GoString, LogValue and MarshalJSON all
// show the masked form, so a log line, an event or a webhook cannot carry the
// number or the security code by accident.
type CardInput struct {
	Number   string // digits only
	CVC      string
	ExpMonth int
	ExpYear  int // four digits
	Holder   string
}

// Brand is the detected network.
func (c CardInput) Brand() CardBrand { return DetectBrand(c.Number) }

// Details is what may be stored and shown: brand, BIN, last 4, expiry.
func (c CardInput) Details() CardDetails {
	d := CardDetails{Brand: c.Brand(), ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
	if len(c.Number) >= 12 {
		d.BIN = c.Number[:6]
		d.Last4 = c.Number[len(c.Number)-4:]
	}
	return d
}

func (c CardInput) String() string { return c.Details().String() }

// GoString keeps %#v from printing the number.
func (c CardInput) GoString() string { return "checkout.CardInput{" + c.Details().String() + "}" }

// Format makes every fmt verb print the masked form.
func (c CardInput) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.Details().String())) }

// LogValue makes slog print the masked form.
func (c CardInput) LogValue() slog.Value { return slog.StringValue(c.Details().String()) }

// MarshalJSON encodes the masked details only.
func (c CardInput) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"brand":%q,"last4":%q}`, c.Brand(), c.Details().Last4)), nil
}

// CardDetails is the storable, displayable part of a card.
type CardDetails struct {
	Brand    CardBrand `json:"brand"`
	BIN      string    `json:"bin,omitempty"`
	Last4    string    `json:"last4"`
	ExpMonth int       `json:"exp_month"`
	ExpYear  int       `json:"exp_year"`
}

func (d CardDetails) String() string {
	return fmt.Sprintf("%s •••• %s", d.Brand.Label(), d.Last4)
}

// FieldErrors maps a form field hook name (card-number, card-expiry,
// card-cvc, cardholder-name) to what is wrong with it.
type FieldErrors map[string]FieldError

// FieldError is a shopper-facing message about one field: its key in the
// message catalogs (templates/i18n) and, for a plural message, the count.
type FieldError struct {
	Key   string
	Count int
}

func fe(key string) FieldError { return FieldError{Key: key} }

// Card form field names, shared by the form, its errors and its test hooks.
const (
	FieldCardNumber = "card-number"
	FieldCardExpiry = "card-expiry"
	FieldCardCVC    = "card-cvc"
	FieldCardholder = "cardholder-name"
)

// ParseCard validates what the shopper typed and returns the card or, for
// each bad field, a message. Messages never repeat the number or the code.
func ParseCard(number, expiry, cvc, holder string, now time.Time) (CardInput, FieldErrors) {
	errs := FieldErrors{}
	var c CardInput

	digits, ok := onlyDigits(number, " -")
	switch {
	case strings.TrimSpace(number) == "":
		errs[FieldCardNumber] = fe("error.number_empty")
	case !ok:
		errs[FieldCardNumber] = fe("error.number_digits")
	case len(digits) < 12 || len(digits) > 19:
		errs[FieldCardNumber] = fe("error.number_length")
	case !Luhn(digits):
		errs[FieldCardNumber] = fe("error.number_invalid")
	default:
		c.Number = digits
	}

	month, year, msg := parseExpiry(expiry, now)
	if msg != "" {
		errs[FieldCardExpiry] = fe(msg)
	} else {
		c.ExpMonth, c.ExpYear = month, year
	}

	want := DetectBrand(digits).CVCLength()
	code, ok := onlyDigits(cvc, " ")
	switch {
	case strings.TrimSpace(cvc) == "":
		errs[FieldCardCVC] = fe("error.cvc_empty")
	case !ok:
		errs[FieldCardCVC] = fe("error.cvc_digits")
	case c.Number != "" && len(code) != want:
		errs[FieldCardCVC] = FieldError{Key: "error.cvc_length", Count: want}
	case len(code) < 3 || len(code) > 4:
		errs[FieldCardCVC] = fe("error.cvc_range")
	default:
		c.CVC = code
	}

	raw := holder
	holder = strings.Join(strings.Fields(holder), " ")
	switch {
	case len(raw) > 1024:
		errs[FieldCardholder] = FieldError{Key: "error.holder_long", Count: 100}
	case CheckText(FieldCardholder, raw) != nil:
		// Controls, line breaks, bidi overrides, zero-width characters,
		// invalid UTF-8.
		errs[FieldCardholder] = fe("error.holder_invisible")
	case holder == "":
		errs[FieldCardholder] = fe("error.holder_empty")
	case utf8.RuneCountInString(holder) > 100:
		errs[FieldCardholder] = FieldError{Key: "error.holder_long", Count: 100}
	case strings.ContainsAny(holder, "0123456789"):
		errs[FieldCardholder] = fe("error.holder_digits")
	default:
		c.Holder = holder
	}

	if len(errs) > 0 {
		return CardInput{}, errs
	}
	return c, nil
}

func onlyDigits(s, allowed string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(allowed, r):
		default:
			return "", false
		}
	}
	return b.String(), true
}

// parseExpiry accepts MM/YY, MM / YY, MM-YY, MMYY and MM/YYYY; the card is
// valid through the last day of its month.
// parseExpiry gives the month and year, or the catalog key of what is wrong.
func parseExpiry(s string, now time.Time) (month, year int, msg string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, "error.expiry_empty"
	}
	var mm, yy string
	if i := strings.IndexAny(s, "/-"); i >= 0 {
		mm, yy = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	} else if len(s) == 4 || len(s) == 6 {
		mm, yy = s[:2], s[2:]
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || len(mm) < 1 || len(mm) > 2 || (len(yy) != 2 && len(yy) != 4) {
		return 0, 0, "error.expiry_format"
	}
	if m < 1 || m > 12 {
		return 0, 0, "error.expiry_month"
	}
	if len(yy) == 2 {
		y += 2000
	}
	now = now.UTC()
	if y < now.Year() || (y == now.Year() && m < int(now.Month())) {
		return 0, 0, "error.expiry_past"
	}
	if y > now.Year()+20 {
		return 0, 0, "error.expiry_far"
	}
	return m, y, ""
}
