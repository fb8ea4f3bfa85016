package checkout

// Fuzz targets for the domain's parsers and validators (SECURITY.md R40):
// the card form, money, browser data, return URLs and session parameters.
// The seeds run with go test ./...; e2e/fuzz.sh runs each target for a few
// seconds.

import (
	"github.com/opencheckout/hostedcheckout/templates/i18n"

	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// fuzzNow is the clock of the card and session targets.
var fuzzNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func FuzzParseCard(f *testing.F) {
	for _, s := range []struct{ number, expiry, cvc, holder string }{
		{"4242 4242 4242 4242", "12 / 30", "123", "Ada Lovelace"},
		{"5555-5555-5555-4444", "01/2031", "999", "A B"},
		{"3782 822463 10005", "0628", "1234", "Grace Hopper"},
		{"6011111111111117", "03/26", "321", "Tim Berners-Lee"},
		{"3530111333300000", "12-29", "111", "Émile Zola"},
		{"36227206271667", "122030", "555", "  Spaced   Out  "},
		{"6200000000000005", "7/27", "042", "李 小龍"},
		{"2223003122003222", "11/2046", "000", "O'Brien"},
		{"4242 4242 4242 4241", "12/30", "123", "Ada"},
		{"4242 4242 4242 abcd", "12/30", "123", "Ada"},
		{"4242 4242", "12/30", "123", "Ada"},
		{"", "", "", ""},
		{"4242424242424242", "02/26", "123", "Ada"},
		{"4242424242424242", "13/30", "123", "Ada"},
		{"4242424242424242", "12/2099", "123", "Ada"},
		{"4242424242424242", "12/30", "1234", "Ada"},
		{"378282246310005", "12/30", "123", "Ada"},
		{"4242424242424242", "12/30", "12a", "R2D2"},
		{"４２４２４２４２４２４２４２４２", "12/30", "123", "Fullwidth"},
		{"4242424242424242\x00", "12/30\n", " 123 ", "Ada\tLovelace"},
		{"+4242424242424242", "-1/-30", "-12", strings.Repeat("x", 101)},
	} {
		f.Add(s.number, s.expiry, s.cvc, s.holder)
	}
	f.Fuzz(func(t *testing.T, number, expiry, cvc, holder string) {
		c, errs := ParseCard(number, expiry, cvc, holder, fuzzNow)
		for field, msg := range errs {
			switch field {
			case FieldCardNumber, FieldCardExpiry, FieldCardCVC, FieldCardholder:
			default:
				t.Errorf("error for unknown field %q", field)
			}
			// A catalog message, never what was typed.
			if _, ok := sourceCatalog[msg.Key]; !ok {
				t.Errorf("error %+v for %s is not a catalog message", msg, field)
			}
		}
		if len(errs) > 0 {
			if c != (CardInput{}) {
				t.Errorf("refused card still returned: %#v", c)
			}
			return
		}

		// The number: the digits typed, without separators, and a valid PAN.
		digits := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' {
				return -1
			}
			return r
		}, strings.TrimSpace(number))
		if c.Number != digits {
			t.Fatalf("number %q from %q, want %q", c.Number, number, digits)
		}
		if len(c.Number) < 12 || len(c.Number) > 19 || !fuzzAllDigits(c.Number) || !Luhn(c.Number) {
			t.Fatalf("accepted number %q is not a 12-19 digit Luhn number", c.Number)
		}
		d := c.Details()
		if d.BIN != c.Number[:6] || d.Last4 != c.Number[len(c.Number)-4:] || !fuzzAllDigits(d.BIN) || !fuzzAllDigits(d.Last4) {
			t.Errorf("details %+v do not come from number %q", d, c.Number)
		}
		if d.Brand != DetectBrand(c.Number) || d.ExpMonth != c.ExpMonth || d.ExpYear != c.ExpYear {
			t.Errorf("details %+v disagree with the card", d)
		}
		if !fuzzAllDigits(c.CVC) || len(c.CVC) != c.Brand().CVCLength() {
			t.Errorf("CVC %q accepted for a %s card", c.CVC, c.Brand())
		}
		if c.ExpMonth < 1 || c.ExpMonth > 12 || c.ExpYear > fuzzNow.Year()+20 ||
			c.ExpYear < fuzzNow.Year() || (c.ExpYear == fuzzNow.Year() && c.ExpMonth < int(fuzzNow.Month())) {
			t.Errorf("expiry %02d/%d accepted on %s", c.ExpMonth, c.ExpYear, fuzzNow.Format(time.DateOnly))
		}
		if c.Holder == "" || c.Holder != strings.Join(strings.Fields(c.Holder), " ") ||
			utf8.RuneCountInString(c.Holder) > 100 || strings.ContainsAny(c.Holder, "0123456789") {
			t.Errorf("holder %q accepted", c.Holder)
		}

		// Every rendering shows the masked form only: with the last four
		// removed, not a single digit is left, so neither the number nor
		// the security code can be in it.
		js, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var logged strings.Builder
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("card", "card", c, "ptr", &c)
		for name, out := range map[string]string{
			"Sprint":   fmt.Sprint(c),
			"%v":       fmt.Sprintf("%v", c),
			"%+v":      fmt.Sprintf("%+v", c),
			"%#v":      fmt.Sprintf("%#v", c),
			"%s":       fmt.Sprintf("%s", c),
			"%d":       fmt.Sprintf("%d", c),
			"%x":       fmt.Sprintf("%x", c),
			"%q":       fmt.Sprintf("%q", c),
			"pointer":  fmt.Sprintf("%v", &c),
			"in slice": fmt.Sprint([]CardInput{c}),
			"json":     string(js),
			"slog":     strings.ReplaceAll(logged.String(), fuzzNowLogTime(logged.String()), ""),
		} {
			if strings.Contains(out, c.Number) {
				t.Errorf("%s shows the card number: %s", name, out)
			}
			rest := strings.ReplaceAll(strings.ReplaceAll(out, `"last4"`, ""), d.Last4, "")
			if strings.ContainsAny(rest, "0123456789") {
				t.Errorf("%s shows digits besides the last four: %s", name, out)
			}
		}
	})
}

// fuzzNowLogTime is the "time" value of a slog JSON line, which has digits
// of its own.
func fuzzNowLogTime(line string) string {
	var v struct {
		Time string `json:"time"`
	}
	for l := range strings.SplitSeq(strings.TrimSpace(line), "\n") {
		if json.Unmarshal([]byte(l), &v) == nil && v.Time != "" {
			return v.Time
		}
	}
	return "\x00none"
}

func fuzzAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func FuzzLuhn(f *testing.F) {
	for _, s := range []string{"424242424242424", "378282246310005", "", "0", "79927398713", "12a4", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := Luhn(s)
		if ok && !fuzzAllDigits(s) {
			t.Fatalf("Luhn(%q) = true for a non-digit string", s)
		}
		if !fuzzAllDigits(s) || len(s) > 64 {
			return
		}
		// Exactly one check digit completes any digit string.
		n := 0
		for d := byte('0'); d <= '9'; d++ {
			if Luhn(s + string(d)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d check digits complete %q, want 1", n, s)
		}
	})
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []struct{ s, code string }{
		{"12.34", "USD"}, {"0.05", "USD"}, {"1.00", "USD"}, {"1234", "JPY"}, {"1.234", "KWD"},
		{"0.007", "KWD"}, {"-2.50", "EUR"}, {"0.00", "USD"}, {"1.5", "USD"}, {"999999999.99", "USD"},
		{"1.234", "USD"}, {"1.5", "JPY"}, {"abc", "USD"}, {"1.", "USD"}, {".5", "USD"}, {"1", "XXX"},
		{"+1.00", "USD"}, {"1e3", "USD"}, {"1,00", "EUR"}, {" 1.00", "USD"}, {"92233720368547758.07", "USD"},
		{"92233720368547758.08", "USD"}, {"1.00", "usd"}, {"٣.٠٠", "USD"},
		// Found by fuzzing: a bare sign, a sign before the point, MinInt64.
		{"-", "EUR"}, {"-.5", "USD"}, {"-9223372036854775808", "JPY"},
	} {
		f.Add(s.s, s.code)
	}
	grammar := regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	f.Fuzz(func(t *testing.T, s, code string) {
		m, err := ParseDecimal(s, code)
		if err != nil {
			if ErrorCodeOf(err) != EInvalid {
				t.Errorf("ParseDecimal(%q, %q) error %v is not invalid_request", s, code, err)
			}
			return
		}
		exp, ok := CurrencyExponent(code)
		if !ok || m.Currency != code {
			t.Fatalf("ParseDecimal(%q, %q) = %+v for a currency that is not ISO 4217", s, code, m)
		}
		if !grammar.MatchString(s) {
			t.Errorf("ParseDecimal(%q, %s) accepted a string that is not a decimal: %d", s, code, m.Amount)
		}
		if _, frac, _ := strings.Cut(s, "."); len(frac) > exp {
			t.Errorf("ParseDecimal(%q, %s) accepted %d fraction digits, the currency has %d", s, code, len(frac), exp)
		}
		back, err := ParseDecimal(m.Decimal(), code)
		if err != nil || back != m {
			t.Errorf("ParseDecimal(%q, %s) = %d, Decimal() = %q, parsed back as %d (%v)", s, code, m.Amount, m.Decimal(), back.Amount, err)
		}
	})
}

func FuzzMoneyDecimal(f *testing.F) {
	for _, s := range []struct {
		amount int64
		code   string
	}{
		{1234, "USD"}, {5, "USD"}, {0, "USD"}, {-250, "EUR"}, {1234, "JPY"}, {7, "KWD"}, {MaxAmount, "BHD"},
		{-MaxAmount, "CLP"}, {math.MaxInt64, "USD"}, {1, "XXX"}, {1, "usd"},
		{math.MinInt64, "JPY"}, {math.MinInt64, "USD"}, // found by fuzzing
	} {
		f.Add(s.amount, s.code)
	}
	f.Fuzz(func(t *testing.T, amount int64, code string) {
		m := Money{Amount: amount, Currency: code}
		s := m.Decimal()
		if !ValidCurrency(code) {
			return
		}
		back, err := ParseDecimal(s, code)
		if err != nil || back != m {
			t.Errorf("Money{%d, %s}.Decimal() = %q, parsed back as %d (%v)", amount, code, s, back.Amount, err)
		}
	})
}

func FuzzBrowserNormalize(f *testing.F) {
	ua := "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
	f.Add(ua, "text/html,application/xhtml+xml", "203.0.113.7", "en-GB", 24, 1440, 900, 1280, 720, -60, false, true)
	f.Add(ua, "*/*", "2001:db8::1", "de-DE", 30, 390, 844, 390, 664, 0, false, true)
	f.Add("", "", "", "", 0, 0, 0, 0, 0, 0, false, false)
	f.Add(strings.Repeat("A", 3000), strings.Repeat("é", 1100), strings.Repeat("1", 60), "zh-Hant-TW-x-private-long", 23, -1, 100001, 1<<40, -1<<40, 721, true, true)
	f.Add("bad\r\nX-Injected: 1", "a\x00b\x7fc", "10.0.0.1\n", "en\tUS", 48, 100000, 100000, 0, 0, -840, true, false)
	f.Add("ü", "", "", "日本語", 1, 1, 1, 1, 1, 720, false, false)
	// Found by fuzzing: a cut inside a multi-byte character.
	f.Add(strings.Repeat("é", 1025), strings.Repeat("é", 1300), "", strings.Repeat("日本語", 20), 24, 1, 1, 1, 1, 0, false, true)
	f.Fuzz(func(t *testing.T, userAgent, accept, ip, lang string, colorDepth, sw, sh, iw, ih, tz int, java, js bool) {
		in := BrowserInfo{
			UserAgent: userAgent, AcceptHeader: accept, IP: ip, Language: lang, ColorDepth: colorDepth,
			ScreenWidth: sw, ScreenHeight: sh, InnerWidth: iw, InnerHeight: ih, TimezoneOffset: tz,
			JavaEnabled: java, JavaScriptEnabled: js,
		}
		out := in.Normalize()
		for _, s := range []struct {
			name    string
			in, out string
			max     int
		}{
			{"user agent", in.UserAgent, out.UserAgent, 2048},
			{"accept", in.AcceptHeader, out.AcceptHeader, 2048},
			{"ip", in.IP, out.IP, 45},
			{"language", in.Language, out.Language, 35},
		} {
			if len(s.out) > s.max {
				t.Errorf("%s is %d bytes, more than %d", s.name, len(s.out), s.max)
			}
			if strings.ContainsFunc(s.out, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("%s %q keeps control characters", s.name, s.out)
			}
			if utf8.ValidString(s.in) && !utf8.ValidString(s.out) {
				t.Errorf("%s %q of valid UTF-8 input is cut inside a character", s.name, s.out)
			}
			clean := !strings.ContainsFunc(s.in, func(r rune) bool { return r < 0x20 || r == 0x7f })
			if clean && utf8.ValidString(s.in) && len(s.in) <= s.max && s.out != s.in {
				t.Errorf("%s %q within bounds was changed to %q", s.name, s.in, s.out)
			}
		}
		if out.ColorDepth != 0 && !validColorDepths[out.ColorDepth] {
			t.Errorf("color depth %d kept", out.ColorDepth)
		}
		if validColorDepths[in.ColorDepth] && out.ColorDepth != in.ColorDepth {
			t.Errorf("valid color depth %d dropped", in.ColorDepth)
		}
		for _, v := range [][2]int{{in.ScreenWidth, out.ScreenWidth}, {in.ScreenHeight, out.ScreenHeight}, {in.InnerWidth, out.InnerWidth}, {in.InnerHeight, out.InnerHeight}} {
			if v[1] < 0 || v[1] > 100000 || (v[0] >= 0 && v[0] <= 100000 && v[1] != v[0]) {
				t.Errorf("dimension %d normalized to %d", v[0], v[1])
			}
		}
		if out.TimezoneOffset < -840 || out.TimezoneOffset > 720 {
			t.Errorf("timezone offset %d kept", out.TimezoneOffset)
		}
		if out.JavaEnabled != in.JavaEnabled || out.JavaScriptEnabled != in.JavaScriptEnabled {
			t.Error("booleans changed")
		}
		if again := out.Normalize(); again != out {
			t.Errorf("Normalize is not idempotent: %+v then %+v", out, again)
		}
	})
}

func FuzzCheckReturnURL(f *testing.F) {
	for _, s := range []string{
		"https://shop.example/return?order=1", "http://localhost:8080/done", "https://shop.example/ok#frag",
		"https://[2001:db8::1]:8443/back", "https://xn--bcher-kva.example/", "javascript:alert(1)",
		"https://user:pass@shop.example/", "https://shop.example\\@evil.example/", "//evil.example/",
		"https:/evil.example", "https://", "https://:443/", "http://shop.example/ path", "https://shop.example/\x00",
		"ftp://shop.example/", "HTTPS://SHOP.EXAMPLE/", "https://shop.example:99999/", "https://%65vil.example/",
		"https://evil.example%2F@shop.example/", "data:text/html,<script>", "https:shop.example",
		"https://shop.example/" + strings.Repeat("a", 2048),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := CheckReturnURL("success_url", raw)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EInvalid || e.Param != "success_url" {
				t.Errorf("CheckReturnURL(%q) error %#v is not an invalid_request naming success_url", raw, err)
			}
			return
		}
		fuzzCheckAcceptedURL(t, raw)
	})
}

// fuzzCheckAcceptedURL asserts what an accepted return URL is: absolute
// http(s) with a host, no user info, nothing a browser would read another
// way (spaces, backslashes, control characters), at most MaxURLLength.
func fuzzCheckAcceptedURL(t *testing.T, raw string) {
	t.Helper()
	if len(raw) > MaxURLLength {
		t.Errorf("%d-byte URL accepted", len(raw))
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= 0x20 || r == 0x7f || r == '\\' }) {
		t.Errorf("URL %q with spaces, backslashes or control characters accepted", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("accepted URL %q does not parse: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" || u.User != nil {
		t.Errorf("accepted URL %q has scheme %q, host %q, opaque %q, user %v", raw, u.Scheme, u.Hostname(), u.Opaque, u.User)
	}
	if !strings.HasPrefix(strings.ToLower(raw), u.Scheme+"://") {
		t.Errorf("accepted URL %q does not start with %s://", raw, u.Scheme)
	}
}

func FuzzSessionParams(f *testing.F) {
	type seed struct {
		amount                         int64
		currency, reference            string
		itemName                       string
		itemQty, itemUnit              int64
		email, customerRef, locale     string
		successURL, cancelURL, methods string
		capture, threeDS               string
		setupRecurring                 bool
		expiresIn                      int64 // seconds from now; 0 means none
		metaKey, metaValue             string
	}
	for _, s := range []seed{
		{1234, "usd", "order-1", "", 0, 0, "ada@example.com", "", "en-US", "https://shop.example/ok", "https://shop.example/cancel", "card", "", "", false, 0, "", ""},
		{2500, "EUR", "o2", "T-shirt", 2, 1250, "", "cust_1", "de", "https://shop.example/ok", "", "card,wallet,saved_card", "manual", "challenge_requested", true, 3600, "channel", "web"},
		{1000, "JPY", "", "Tea", 4, 250, "", "", "", "http://localhost:8080/done", "", "", "automatic", "no_challenge_requested", false, 7 * 24 * 3600, "", ""},
		{0, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{-5, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{MaxAmount + 1, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "XXX", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "USD", "ref\x00", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "USD", "", "Item", 3, 34, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "USD", "", "  ", 1, 100, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "Ada <ada@example.com>", "", "", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "not a tag!", "https://shop.example/ok", "", "", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "javascript:alert(1)", "", "", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "//evil.example", "", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "card,card", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "saved_card", "", "", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "card", "", "", true, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "later", "always", false, 0, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 60, "", ""},
		{100, "USD", "", "", 0, 0, "", "", "", "https://shop.example/ok", "", "", "", "", false, 0, strings.Repeat("k", 41), "v"},
	} {
		f.Add(s.amount, s.currency, s.reference, s.itemName, s.itemQty, s.itemUnit, s.email, s.customerRef, s.locale,
			s.successURL, s.cancelURL, s.methods, s.capture, s.threeDS, s.setupRecurring, s.expiresIn, s.metaKey, s.metaValue)
	}
	f.Fuzz(func(t *testing.T, amount int64, currency, reference, itemName string, itemQty, itemUnit int64,
		email, customerRef, locale, successURL, cancelURL, methods, capture, threeDS string,
		setupRecurring bool, expiresIn int64, metaKey, metaValue string) {
		p := CreateSessionParams{
			Amount: amount, Currency: currency, MerchantReference: reference,
			Customer: Customer{Email: email, Reference: customerRef}, Locale: locale,
			SuccessURL: successURL, CancelURL: cancelURL,
			CaptureMode: CaptureMode(capture), ThreeDS: ThreeDSPreference(threeDS), SetupRecurring: setupRecurring,
		}
		if itemName != "" || itemQty != 0 || itemUnit != 0 {
			p.LineItems = []LineItem{{Name: itemName, Quantity: itemQty, UnitAmount: itemUnit}}
		}
		if methods != "" {
			for m := range strings.SplitSeq(methods, ",") {
				p.PaymentMethods = append(p.PaymentMethods, PaymentMethod(m))
			}
		}
		if expiresIn != 0 && expiresIn > -1<<32 && expiresIn < 1<<32 {
			at := fuzzNow.Add(time.Duration(expiresIn) * time.Second)
			p.ExpiresAt = &at
		}
		if metaKey != "" || metaValue != "" {
			p.Metadata = map[string]string{metaKey: metaValue}
		}

		err := p.normalize(fuzzNow)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EInvalid || e.Param == "" {
				t.Errorf("normalize error %#v is not an invalid_request naming a parameter", err)
			}
			return
		}

		if p.Amount <= 0 || p.Amount > MaxAmount {
			t.Errorf("amount %d accepted", p.Amount)
		}
		if !ValidCurrency(p.Currency) || p.Currency != strings.ToUpper(currency) {
			t.Errorf("currency %q accepted as %q", currency, p.Currency)
		}
		if len(p.LineItems) > 0 {
			var sum int64
			for _, li := range p.LineItems {
				if li.Name == "" || li.Name != strings.TrimSpace(li.Name) || li.Quantity < 1 || li.Quantity > maxItemQuantity || li.UnitAmount < 0 {
					t.Errorf("line item %+v accepted", li)
				}
				sum += li.Total()
			}
			if sum != p.Amount {
				t.Errorf("line items add up to %d, amount is %d", sum, p.Amount)
			}
		}
		for name, s := range map[string]string{"merchant_reference": p.MerchantReference, "customer.reference": p.Customer.Reference, "metadata": metaValue} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
				t.Errorf("%s %q with control characters or invalid UTF-8 accepted", name, s)
			}
		}
		if tag, err := language.Parse(p.Locale); p.Locale != LocaleAuto && (err != nil || tag.String() != p.Locale) {
			t.Errorf("locale %q accepted as %q, not a canonical BCP 47 tag", locale, p.Locale)
		}
		fuzzCheckAcceptedURL(t, p.SuccessURL)
		if p.CancelURL != "" {
			fuzzCheckAcceptedURL(t, p.CancelURL)
		}
		seen := map[PaymentMethod]bool{}
		for _, m := range p.PaymentMethods {
			if seen[m] || (m != MethodCard && m != MethodWallet && m != MethodSavedCard) {
				t.Errorf("payment methods %q accepted", p.PaymentMethods)
			}
			seen[m] = true
		}
		if len(p.PaymentMethods) == 0 {
			t.Error("no payment method after normalize")
		}
		if seen[MethodSavedCard] && strings.TrimSpace(p.Customer.Reference) == "" {
			t.Error("saved cards accepted without a customer reference")
		}
		if p.SetupRecurring && !seen[MethodSavedCard] {
			t.Error("setup_recurring accepted without saved cards")
		}
		if p.CaptureMode != CaptureAutomatic && p.CaptureMode != CaptureManual {
			t.Errorf("capture mode %q accepted", p.CaptureMode)
		}
		switch p.ThreeDS {
		case ThreeDSAutomatic, ThreeDSChallengeRequested, ThreeDSNoChallengeRequested:
		default:
			t.Errorf("3DS preference %q accepted", p.ThreeDS)
		}
		if p.ExpiresAt == nil || p.ExpiresAt.Sub(fuzzNow) < MinSessionLifetime || p.ExpiresAt.Sub(fuzzNow) > MaxSessionLifetime {
			t.Errorf("expiry %v accepted", p.ExpiresAt)
		}

		// Normalized parameters are a fixed point.
		again := p
		again.LineItems = append([]LineItem(nil), p.LineItems...)
		again.PaymentMethods = append([]PaymentMethod(nil), p.PaymentMethods...)
		if err := again.normalize(fuzzNow); err != nil {
			t.Fatalf("normalized parameters refused the second time: %v", err)
		}
		if !reflect.DeepEqual(again, p) {
			t.Errorf("normalize is not idempotent:\n%+v\n%+v", p, again)
		}
	})
}

var sourceCatalog, _ = i18n.Catalog(i18n.Source)
