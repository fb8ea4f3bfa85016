package bbmsl

import (
	"encoding/json"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestFormatAmount: minor units become a two-decimal major-unit number
// exactly, with no float in between.
func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     json.Number
		err      bool
	}{
		{minor: 0, currency: "HKD", want: "0.00"},
		{minor: 1, currency: "HKD", want: "0.01"},
		{minor: 10, currency: "USD", want: "0.10"},
		{minor: 199, currency: "USD", want: "1.99"},
		{minor: 5000, currency: "USD", want: "50.00"},
		{minor: 69900, currency: "HKD", want: "699.00"},
		{minor: 100000, currency: "HKD", want: "1000.00"},
		{minor: 123456789, currency: "HKD", want: "1234567.89"},
		{minor: MaxWireAmount, currency: "HKD", want: "9999999.99"},
		{minor: MaxWireAmount + 1, currency: "HKD", err: true},
		{minor: checkout.MaxAmount, currency: "USD", err: true},
		{minor: -1, currency: "HKD", err: true},
		{minor: 100, currency: "EUR", err: true},
		{minor: 100, currency: "JPY", err: true},
		{minor: 100, currency: "hkd", err: true},
	} {
		got, err := FormatAmount(checkout.Money{Amount: tc.minor, Currency: tc.currency})
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("FormatAmount(%d %s) = %q, %v; want %q (error %v)", tc.minor, tc.currency, got, err, tc.want, tc.err)
		}
		if err == nil {
			// And back, exactly.
			back, err := ParseAmount(string(got), tc.currency)
			if err != nil || back.Amount != tc.minor {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", got, back.Amount, err, tc.minor)
			}
		}
	}
}

// TestParseAmount reads PayAPI's amounts (numbers or strings, with zero,
// one or two decimals) exactly and refuses anything else.
func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in       string
		currency string
		want     int64
		err      bool
	}{
		{in: "50", currency: "USD", want: 5000},
		{in: "0.01", currency: "HKD", want: 1},
		{in: "0.5", currency: "HKD", want: 50},
		{in: "1.99", currency: "HKD", want: 199},
		{in: "100.6", currency: "HKD", want: 10060},
		{in: "699.00", currency: "HKD", want: 69900},
		{in: "1000.00", currency: "HKD", want: 100000},
		{in: "9999999.99", currency: "HKD", want: 999999999},
		{in: "9999999999999999.99", currency: "USD", want: 999999999999999999},
		{in: "99999999999999999", currency: "USD", err: true},
		{in: "1.999", currency: "HKD", err: true},
		{in: "0.001", currency: "HKD", err: true},
		{in: "1.", currency: "HKD", err: true},
		{in: ".5", currency: "HKD", err: true},
		{in: "-1.00", currency: "HKD", err: true},
		{in: "+1.00", currency: "HKD", err: true},
		{in: "1e2", currency: "HKD", err: true},
		{in: "01.00", currency: "HKD", err: true},
		{in: "1,000.00", currency: "HKD", err: true},
		{in: " 1.00", currency: "HKD", err: true},
		{in: "", currency: "HKD", err: true},
		{in: "NaN", currency: "HKD", err: true},
		{in: "1.00", currency: "EUR", err: true},
		{in: "1.00", currency: "", err: true},
	} {
		got, err := ParseAmount(tc.in, tc.currency)
		if (err != nil) != tc.err || (err == nil && got != (checkout.Money{Amount: tc.want, Currency: tc.currency})) {
			t.Errorf("ParseAmount(%q, %s) = %+v, %v; want %d (error %v)", tc.in, tc.currency, got, err, tc.want, tc.err)
		}
	}
}
