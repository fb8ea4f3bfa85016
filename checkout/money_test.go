package checkout_test

import (
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		locale   string
		want     string
	}{
		{123456, "USD", "en-US", "$1,234.56"},
		{5, "USD", "en", "$0.05"},
		{123456, "EUR", "de-DE", "1.234,56\u00a0€"},
		{123456, "EUR", "fr", "1\u202f234,56\u00a0€"},
		{123456, "EUR", "en-IE", "€1,234.56"},
		{1234, "JPY", "ja-JP", "￥1,234"},
		{1234, "JPY", "en-US", "¥1,234"},
		{1234, "KWD", "en", "KWD\u00a01.234"},
		{1000, "KWD", "en", "KWD\u00a01.000"},
		{99, "GBP", "en-GB", "£0.99"},
	}
	for _, tt := range tests {
		got := checkout.Money{Amount: tt.amount, Currency: tt.currency}.Format(tt.locale)
		if got != tt.want {
			t.Errorf("%d %s in %s = %q, want %q", tt.amount, tt.currency, tt.locale, got, tt.want)
		}
	}
}

func TestMoneyDecimalRoundTrip(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{1234, "USD", "12.34"}, {5, "USD", "0.05"}, {100, "USD", "1.00"}, {1234, "JPY", "1234"},
		{1234, "KWD", "1.234"}, {7, "KWD", "0.007"}, {-250, "EUR", "-2.50"}, {0, "USD", "0.00"},
	}
	for _, tt := range tests {
		m := checkout.Money{Amount: tt.amount, Currency: tt.currency}
		if got := m.Decimal(); got != tt.want {
			t.Errorf("Decimal(%d %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
		back, err := checkout.ParseDecimal(tt.want, tt.currency)
		if err != nil || back != m {
			t.Errorf("ParseDecimal(%q) = %v %v, want %v", tt.want, back, err, m)
		}
	}
	for _, bad := range []struct{ s, cur string }{{"1.234", "USD"}, {"1.5", "JPY"}, {"abc", "USD"}, {"1.", "USD"}, {".5", "USD"}, {"1", "XXX"}} {
		if _, err := checkout.ParseDecimal(bad.s, bad.cur); err == nil {
			t.Errorf("ParseDecimal(%q, %s) accepted", bad.s, bad.cur)
		}
	}
}

func TestCurrencyExponent(t *testing.T) {
	for code, want := range map[string]int{"JPY": 0, "EUR": 2, "USD": 2, "KWD": 3, "BHD": 3, "KRW": 0, "CLP": 0} {
		if got, ok := checkout.CurrencyExponent(code); !ok || got != want {
			t.Errorf("CurrencyExponent(%s) = %d %v, want %d", code, got, ok, want)
		}
	}
	for _, bad := range []string{"usd", "XXX", "ABC", "", "US"} {
		if checkout.ValidCurrency(bad) {
			t.Errorf("ValidCurrency(%q) = true", bad)
		}
	}
}
