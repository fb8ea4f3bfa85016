package i18n_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

var placeholder = regexp.MustCompile(`{{\s*\.([A-Za-z]+)\s*}}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

func set(names []string) string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// required are the locales we promise (issue 13).
var required = []string{
	"en", "en-GB", "de", "fr", "fr-CA", "es", "es-419", "it", "nl", "pt-PT", "pt-BR", "sv", "da", "nb", "fi",
	"pl", "cs", "sk", "hu", "ro", "bg", "el", "hr", "sl", "et", "lv", "lt", "tr", "ru", "uk", "ja", "ko",
	"zh-Hans", "zh-Hant-HK", "zh-Hant-TW", "th", "vi", "id", "ms", "fil", "hi", "ar", "he", "fa", "ur",
}

// sameAsEnglish are messages a language may leave as in English: codes and
// abbreviations used as such on cards and in shops there.
var sameAsEnglish = map[string]bool{"field.cvc_placeholder": true, "field.expiry_placeholder": true}

// sameWord are words a language spells as English does, reviewed one by
// one (locale/id).
var sameWord = map[string]bool{"da/result.reference": true,
	// The software word for a password in Filipino and Italian; the
	// administrator role in Croatian, Norwegian, Polish and Romanian.
	"fil/dashboard.field.password": true, "it/dashboard.field.password": true,
	"hr/dashboard.role.admin": true, "nb/dashboard.role.admin": true, "pl/dashboard.role.admin": true, "ro/dashboard.role.admin": true}

// TestCatalogsComplete fails when a shipped locale misses a key of the
// source, has one the source does not, has placeholders that differ from
// the source's, lacks a plural form its language needs (CLDR rules, for
// every count from 0 to 1000 and a million), or leaves a sentence in
// English.
func TestCatalogsComplete(t *testing.T) {
	if err := i18n.Check(); err != nil {
		t.Fatal(err)
	}
	src, err := i18n.Catalog(i18n.Source)
	if err != nil {
		t.Fatal(err)
	}
	for id, m := range src {
		if m.Description == "" {
			t.Errorf("source message %s has no description for translators", id)
		}
	}
	shipped := map[string]bool{}
	for _, tag := range i18n.Shipped {
		shipped[tag] = true
	}
	for _, tag := range required {
		if !shipped[tag] {
			t.Errorf("no catalog for %s", tag)
		}
	}
	for _, tag := range i18n.Shipped {
		t.Run(tag, func(t *testing.T) {
			cat, err := i18n.Catalog(tag)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range src.IDs() {
				if _, ok := cat[id]; !ok {
					t.Errorf("missing %s", id)
				}
			}
			for _, id := range cat.IDs() {
				s, ok := src[id]
				if !ok {
					t.Errorf("%s is not in the source catalog", id)
					continue
				}
				m := cat[id]
				_, plural := s.Forms["one"]
				if m.Forms["other"] == "" {
					t.Errorf("%s has no \"other\" form", id)
				}
				want := set(placeholders(s.Forms["other"]))
				for form, text := range m.Forms {
					if !plural && form != "other" {
						t.Errorf("%s is not a plural message but has the form %q", id, form)
					}
					got := placeholders(text)
					if plural && form != "other" {
						// A form for one number may write it out.
						got = append(got, "Count")
					}
					if set(got) != want {
						t.Errorf("%s (%s) has placeholders {%s}, the source {%s}: %q", id, form, set(placeholders(text)), want, text)
					}
					if strings.TrimSpace(text) == "" {
						t.Errorf("%s (%s) is empty", id, form)
					}
					if tag != i18n.Source && tag != "en-GB" && !sameAsEnglish[id] && !sameWord[tag+"/"+id] && text == s.Forms[form] && len(placeholder.ReplaceAllString(text, "")) > 6 {
						t.Errorf("%s (%s) is still English: %q", id, form, text)
					}
				}
			}
			// Every plural form the language needs, as go-i18n's CLDR rules
			// pick it for whole numbers.
			l, _ := i18n.Get(tag)
			for _, id := range src.IDs() {
				if _, plural := src[id].Forms["one"]; !plural {
					continue
				}
				for _, n := range counts() {
					if err := l.PluralError(id, n); err != nil {
						t.Errorf("%s: %v", id, err)
						break
					}
				}
			}
		})
	}
}

func counts() []int {
	var out []int
	for n := 0; n <= 1000; n++ {
		out = append(out, n)
	}
	return append(out, 1000000)
}

// TestNegotiation: the session's locale when the merchant set one (matched
// by language and script), else the browser's Accept-Language, else
// English; never a language the shopper did not ask for.
func TestNegotiation(t *testing.T) {
	for _, c := range []struct{ session, accept, want string }{
		{"de", "ja", "de"},
		{"de-AT", "", "de"},
		{"de-CH", "", "de"},
		{"zh-HK", "", "zh-Hant-HK"},
		{"zh-TW", "", "zh-Hant-TW"},
		{"zh-Hant", "", "zh-Hant-TW"},
		{"zh-CN", "", "zh-Hans"},
		{"zh-SG", "", "zh-Hans"},
		{"zh", "", "zh-Hans"},
		{"pt", "", "pt-BR"},
		{"pt-BR", "", "pt-BR"},
		{"pt-PT", "", "pt-PT"},
		{"pt-AO", "", "pt-PT"},
		{"es-MX", "", "es-419"},
		{"es-ES", "", "es"},
		{"fr-CA", "", "fr-CA"},
		{"fr-BE", "", "fr"},
		{"en-US", "", "en"},
		{"en-GB", "", "en-GB"},
		{"en-AU", "", "en-GB"},
		{"no", "", "nb"},
		{"ar-EG", "", "ar"},
		{"fil", "", "fil"},
		{"en-XA", "de", "en-XA"},
		{"sw", "de", "en"}, // a language we do not ship: English, not the browser's
		{"auto", "ja-JP,ja;q=0.9,en;q=0.8", "ja"},
		{"", "ja", "ja"},
		{"auto", "fr-CH, fr;q=0.9, en;q=0.8", "fr"},
		{"auto", "sw, de;q=0.5", "de"},
		{"auto", "sw", "en"},
		{"auto", "", "en"},
		{"auto", "en-XA", "en"}, // the pseudo-locale only on request
		{"auto", "garbage;;;q=x", "en"},
		{"auto", "he-IL", "he"},
	} {
		if got := i18n.Resolve(c.session, c.accept).Tag(); got != c.want {
			t.Errorf("Resolve(%q, %q) = %s, want %s", c.session, c.accept, got, c.want)
		}
	}
	for tag, dir := range map[string]string{"ar": "rtl", "he": "rtl", "fa": "rtl", "ur": "rtl", "en": "ltr", "ja": "ltr", "en-XA": "ltr"} {
		if l, ok := i18n.Get(tag); !ok || l.Dir() != dir {
			t.Errorf("%s: dir %v, want %s", tag, l, dir)
		}
	}
}

// TestMessages: placeholders filled and bidi-isolated, plurals by CLDR
// rules, a missing id never blank.
func TestMessages(t *testing.T) {
	en := i18n.English()
	if got := en.T("result.return", "Merchant", "Shop"); got != "Return to \u2068Shop\u2069" {
		t.Errorf("result.return = %q", got)
	}
	if got := en.N("form.attempts_left", 2); got != "2 attempts left for this checkout." {
		t.Errorf("attempts_left = %q", got)
	}
	if got := en.T("no.such.message"); got != "no.such.message" {
		t.Errorf("missing message = %q", got)
	}
	var nilLocale *i18n.Locale
	if nilLocale.Tag() != "en" {
		t.Error("a nil locale is not English")
	}
}

// TestPseudoLocale: every source message, accented, longer and bracketed,
// placeholders kept.
func TestPseudoLocale(t *testing.T) {
	if got := i18n.Pseudolocalize("Pay {{.Amount}}"); !strings.HasPrefix(got, "[Þàý {{.Amount}}") || !strings.HasSuffix(got, "]") {
		t.Errorf("pseudo = %q", got)
	}
	src, _ := i18n.Catalog(i18n.Source)
	xa, ok := i18n.Get(i18n.Pseudo)
	if !ok {
		t.Fatal("no pseudo-locale")
	}
	for _, id := range src.IDs() {
		out := xa.N(id, 5, "Amount", "€1", "Merchant", "M", "Reference", "R", "Card", "C", "Expiry", "E", "Email", "e", "Role", "r", "Brand", "b", "Last4", "4", "Duration", "d", "Count", "1", "Currency", "EUR", "Paid", "1", "Opened", "2", "Challenged", "1", "Total", "2", "Provider", "p", "Ratio", "5.12", "Fields", "f", "Time", "t", "Overlap", "o")
		if !strings.HasPrefix(out, "[") || !strings.HasSuffix(out, "]") {
			t.Errorf("%s: %q", id, out)
		}
		en := i18n.English().N(id, 5, "Amount", "€1", "Merchant", "M", "Reference", "R", "Card", "C", "Expiry", "E", "Email", "e", "Role", "r", "Brand", "b", "Last4", "4", "Duration", "d", "Count", "1", "Currency", "EUR", "Paid", "1", "Opened", "2", "Challenged", "1", "Total", "2", "Provider", "p", "Ratio", "5.12", "Fields", "f", "Time", "t", "Overlap", "o")
		if len([]rune(out)) < len([]rune(en))*13/10 {
			t.Errorf("%s: %q is not about 40%% longer than %q", id, out, en)
		}
	}
}
