package bbmsl

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Currencies PayAPI takes (seed 001: "supports HKD, USD") [S]. Both have
// two minor-unit digits.
var currencies = []string{"HKD", "USD"}

// MaxWireAmount is the largest amount in minor units that fits PayAPI's
// Number(9,2) [S]: 9 999 999.99.
const MaxWireAmount int64 = 999_999_999

// supported reports whether PayAPI takes the currency.
func supported(code string) bool {
	for _, c := range currencies {
		if c == code {
			return true
		}
	}
	return false
}

// FormatAmount is m as PayAPI's amount: a major-unit JSON number with
// exactly two decimals ("0.01", "1.99", "1000.00"), built from the integer
// with no float in between. Only HKD and USD, from 0 to MaxWireAmount.
func FormatAmount(m checkout.Money) (json.Number, error) {
	if !supported(m.Currency) {
		return "", errors.New("bbmsl: only HKD and USD amounts are supported")
	}
	if exp, ok := checkout.CurrencyExponent(m.Currency); !ok || exp != 2 {
		return "", errors.New("bbmsl: the currency does not have two decimals")
	}
	if m.Amount < 0 || m.Amount > MaxWireAmount {
		return "", errors.New("bbmsl: the amount is outside 0 to 9999999.99")
	}
	whole, frac := m.Amount/100, m.Amount%100
	s := strconv.FormatInt(whole, 10) + "." + strconv.FormatInt(100+frac, 10)[1:]
	return json.Number(s), nil
}

// amountPattern is a non-negative decimal with at most two fraction digits
// and no exponent, sign or leading zeros; at most 16 whole digits, so that
// the minor units fit an int64.
var amountPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$`)

// ParseAmount reads a PayAPI amount (the text of a JSON number or of a
// string, "50", "699.00", "0.5") back to minor units exactly. It refuses
// more than two decimals, exponents, signs and currencies other than HKD
// and USD.
func ParseAmount(s, currency string) (checkout.Money, error) {
	if !supported(currency) {
		return checkout.Money{}, errors.New("bbmsl: the amount's currency is not HKD or USD")
	}
	if !amountPattern.MatchString(s) {
		return checkout.Money{}, errors.New("bbmsl: the amount is not a decimal with at most two fraction digits")
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac += strings.Repeat("0", 2-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return checkout.Money{}, errors.New("bbmsl: the amount is out of range")
	}
	return checkout.Money{Amount: n, Currency: currency}, nil
}
