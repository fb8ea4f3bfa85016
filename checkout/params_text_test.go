package checkout_test

import (
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Issue 12, defect 9: one text rule for every merchant and shopper string.
func TestTextRule(t *testing.T) {
	bad := map[string]string{
		"NUL": "a\x00b", "CR": "a\rb", "LF": "a\nb", "TAB": "a\tb", "DEL": "a\x7fb", "ESC": "a\x1b[31mb",
		"C1 NEL": "a\u0085b", "C1 CSI": "a\u009bb", "RLO": "invoice\u202Efdp.exe", "LRE": "a\u202Ab", "RLI": "a\u2067b",
		"PDI": "a\u2069b", "ALM": "a\u061Cb", "RLM": "a\u200Fb", "ZWSP": "a\u200Bb", "ZWNJ": "a\u200Cb", "ZWJ": "a\u200Db",
		"word joiner": "a\u2060b", "BOM": "\uFEFFab", "soft hyphen": "a\u00ADb", "line separator": "a\u2028b",
		"paragraph separator": "a\u2029b", "invalid UTF-8": "a\xffb", "truncated UTF-8": "a\xe2\x82", "U+FFFD": "a\uFFFDb",
		"noncharacter": "a\uFFFEb",
	}
	for name, s := range bad {
		if err := checkout.CheckText("f", s); checkout.ErrorCodeOf(err) != checkout.EInvalid {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	for _, s := range []string{"", "Zoë O'Brien-Smith", "日本語の名前", "Ünïcödé ☕", "👩🏽", "a b", "مقهى"} {
		if err := checkout.CheckText("f", s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"Ada\u202ELovelace", "Ada\x00", "Ada\u200BLovelace", "Ada\xff"} {
		if _, errs := checkout.ParseCard("4242424242424242", "12/40", "123", name, now); errs[checkout.FieldCardholder] == (checkout.FieldError{}) {
			t.Errorf("cardholder %q accepted", name)
		}
	}
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{{"Ada\u202ELove\x00lace\xff", 100, "AdaLovelace"}, {"Zoë\r\n", 100, "Zoë"}, {"日本語", 2, "日本"}, {"\xe2\x82", 100, ""}} {
		if got := checkout.CleanText(c.in, c.max); got != c.want {
			t.Errorf("CleanText(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
	for _, ref := range []string{"a/b", string(make([]byte, 201)), "   ", "c\u202E1"} {
		if err := checkout.CheckCustomerReference("reference", ref); err == nil {
			t.Errorf("customer reference %q accepted", ref)
		}
	}
}
