package checkout

import "testing"

// TestProviderLanguage: providers hear the language the shopper's page
// rendered in; a browser tag that names the same language (and script) is
// kept for its region.
func TestProviderLanguage(t *testing.T) {
	for _, tc := range []struct{ browser, locale, want string }{
		{"de-AT", "de", "de-AT"},              // same language: the browser's region stays
		{"en-US", "ja", "ja"},                 // the merchant chose Japanese: the provider's pages follow
		{"zh-CN", "zh-Hant-HK", "zh-Hant-HK"}, // same language, another script
		{"zh-HK", "zh-Hant-HK", "zh-HK"},
		{"", "fr", "fr"},
		{"not a tag", "fr", "fr"},
		{"en-GB", "", "en-GB"},
	} {
		if got := BrowserLanguage(tc.browser, tc.locale); got != tc.want {
			t.Errorf("BrowserLanguage(%q, %q) = %q, want %q", tc.browser, tc.locale, got, tc.want)
		}
	}
	for _, tc := range []struct{ rendered, session, want string }{
		{"ar", "auto", "ar"},
		{"", "de-AT", "de-AT"},
		{"", LocaleAuto, "en"}, // a recurring charge: nobody's browser
		{"", "", "en"},
	} {
		if got := providerLocale(tc.rendered, tc.session); got != tc.want {
			t.Errorf("providerLocale(%q, %q) = %q, want %q", tc.rendered, tc.session, got, tc.want)
		}
	}
}

func TestNormalizeECI(t *testing.T) {
	for in, want := range map[string]string{"5": "05", "05": "05", " 7 ": "07", "": "", "123": "", "a": "", "0x": ""} {
		if got := NormalizeECI(in); got != want {
			t.Errorf("NormalizeECI(%q) = %q, want %q", in, got, want)
		}
	}
}
