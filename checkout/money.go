package checkout

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bojanz/currency"
)

// Money is an amount in the currency's minor units (cents for USD, yen for
// JPY, fils for KWD) plus its ISO 4217 code. There are no floats in money paths.
type Money struct {
	Amount   int64
	Currency string
}

// MaxAmount bounds any single amount so that sums of line items cannot overflow.
const MaxAmount int64 = 99_999_999_999

// CurrencyExponent returns the number of minor-unit digits of an ISO 4217
// currency (JPY 0, EUR 2, KWD 3). The table is ISO 4217's, via bojanz/currency.
func CurrencyExponent(code string) (int, bool) {
	if code != strings.ToUpper(code) {
		return 0, false
	}
	d, ok := currency.GetDigits(code)
	return int(d), ok
}

// ValidCurrency reports whether code is an active ISO 4217 currency code (upper case).
func ValidCurrency(code string) bool {
	_, ok := CurrencyExponent(code)
	return ok
}

// Decimal returns the exact major-unit decimal string of m ("12.34" for
// 1234 USD, "1234" for 1234 JPY, "1.234" for 1234 KWD). Providers that want
// major units build their wire value from this string, never from a float.
func (m Money) Decimal() string {
	exp, ok := CurrencyExponent(m.Currency)
	if !ok {
		exp = 2
	}
	neg := m.Amount < 0
	s := strconv.FormatInt(m.Amount, 10)
	if neg {
		s = s[1:] // works for math.MinInt64 too, which has no positive int64
	}
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseDecimal converts an exact major-unit decimal string back to minor units,
// refusing values with more fraction digits than the currency has.
func ParseDecimal(s, code string) (Money, error) {
	exp, ok := CurrencyExponent(code)
	if !ok {
		return Money{}, Errorf(EInvalid, "unknown currency %q", code)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	digits := strings.TrimPrefix(whole, "-")
	if digits == "" || (hasDot && frac == "") || len(frac) > exp || !allDigits(digits) || !allDigits(frac) {
		return Money{}, Errorf(EInvalid, "%q is not a %s amount", s, code)
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return Money{}, Errorf(EInvalid, "%q is not a %s amount", s, code)
	}
	return Money{Amount: n, Currency: code}, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Format renders m for a shopper in the given BCP 47 locale using CLDR
// symbols, separators and the currency's exponent: "$1,234.56",
// "1.234,56 €", "￥1,234", "KWD 1.234".
func (m Money) Format(locale string) string {
	a, err := currency.NewAmountFromInt64(m.Amount, m.Currency)
	if err != nil {
		return m.Decimal() + " " + m.Currency
	}
	return formatter(locale).Format(a)
}

// formatters keeps one currency formatter per locale (at most
// maxFormatters; the pages' locales are the catalogs' few): a formatter is
// read-only once made, and making one reads the locale's CLDR data.
var (
	formatters  sync.Map // locale -> *currency.Formatter
	nFormatters atomic.Int32
)

const maxFormatters = 256

func formatter(locale string) *currency.Formatter {
	if f, ok := formatters.Load(locale); ok {
		return f.(*currency.Formatter)
	}
	f := currency.NewFormatter(currency.NewLocale(locale))
	if nFormatters.Add(1) <= maxFormatters {
		formatters.Store(locale, f)
	}
	return f
}
