package templates

import "strings"

// DashboardSettingsPage is the merchant's settings: branding with a live
// preview of the checkout page and the contrast check, the return and
// embedding origins, the secret key's rotation, and the history of
// changes with who made them (admins only).
type DashboardSettingsPage struct {
	Page
	DashboardChrome
	FormToken string
	Notice    string // translated: what was just saved
	// The branding form, as saved or as typed (after a refusal).
	DisplayName, AccentColor, SupportEmail, SupportURL string
	MerchantName                                       string // shown when no display name is set
	HasLogo                                            bool
	LogoURL                                            string
	// Contrast is the accent colour's check against the button text, in
	// words ("" for the checkout's own colour); ContrastOK says whether it
	// passes. The Contrast* templates are the same sentences with {ratio}
	// for the page's script to fill in as the colour is typed.
	Contrast                                string
	ContrastOK                              bool
	ContrastPass, ContrastFail, ContrastBad string
	ContrastNone                            string
	PreviewURL                              string // the preview frame's address for the values shown
	// Errors are the fields' messages, by field id (display-name …); the
	// first one is also the banner's.
	Errors map[string]string
	// The origins, one per line, as saved or typed.
	ReturnOrigins, EmbedOrigins string
	// The secret key: its mode, the previous key's end (if one still
	// works), the overlap choices, and a key just made (shown once).
	Live            bool
	PreviousKeyEnds string
	Overlaps        []DashboardStatusOption
	NewKey          string
	NewKeyReissued  bool // the key replaces one made a moment ago and never shown
	History         []DashboardHistoryEntry
}

// DashboardHistoryEntry is one change of the settings.
type DashboardHistoryEntry struct {
	At, AtISO string
	Who       string // the user's email, or the API
	What      string // translated
}

// HasError reports whether field has a message.
func (v DashboardSettingsPage) HasError(field string) bool { return v.Errors[field] != "" }

// DescribedBy is the ids describing field: its hint (if any) and its
// message (when it has one).
func (v DashboardSettingsPage) DescribedBy(field, hint string) string {
	ids := hint
	if v.HasError(field) {
		ids = strings.TrimSpace(ids + " " + field + "-error")
	}
	return ids
}
