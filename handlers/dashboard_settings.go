package handlers

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// The settings pages' paths.
const (
	RouteDashSettings         = "/dashboard/settings"
	RouteDashSettingsPreview  = "/dashboard/settings/preview"
	RouteDashSettingsBranding = "/dashboard/settings/branding"
	RouteDashSettingsOrigins  = "/dashboard/settings/origins"
	RouteDashSettingsKeys     = "/dashboard/settings/keys"
)

// SettingsBrandingBodyLimit bounds the branding form: a logo
// (checkout.MaxLogoBytes) and a few short fields.
const SettingsBrandingBodyLimit = "160K"

// keyOverlaps are the choices of how long a rotated-out key keeps working.
var keyOverlaps = []struct {
	seconds int64
	key     string
}{
	{0, "dashboard.settings.overlap_now"},
	{3600, "dashboard.settings.overlap_hour"},
	{int64(checkout.DefaultKeyOverlap / time.Second), "dashboard.settings.overlap_day"},
	{int64(checkout.MaxKeyOverlap / time.Second), "dashboard.settings.overlap_week"},
}

// settingsMerchant is the signed-in admin's merchant (support: 403).
func (h *Handlers) settingsMerchant(c echo.Context) (*checkout.Merchant, error) {
	if err := h.requireAdmin(c); err != nil {
		return nil, err
	}
	return h.Service.Merchant(ctx(c), DashboardUser(c).MerchantID)
}

// settingsView is the settings page of m as saved.
func (h *Handlers) settingsView(c echo.Context, m *checkout.Merchant) (templates.DashboardSettingsPage, error) {
	l := h.dashLocale(c)
	chrome := h.dashChrome(c, "settings")
	v := templates.DashboardSettingsPage{Page: templates.Page{Title: l.T("dashboard.title.settings"), L: l, Script: "dashboard-settings.js"},
		DashboardChrome: chrome, FormToken: chrome.FormToken, DisplayName: m.DisplayName, MerchantName: m.Name,
		AccentColor: m.BrandColor, SupportEmail: m.SupportEmail, SupportURL: m.SupportURL, HasLogo: m.Logo != nil,
		ReturnOrigins: strings.Join(m.ReturnOrigins, "\n"), EmbedOrigins: strings.Join(m.EmbedOrigins, "\n"), Live: m.Live,
		ContrastPass: l.T("dashboard.settings.contrast_pass", "Ratio", "{ratio}"),
		ContrastFail: l.T("dashboard.settings.contrast_fail", "Ratio", "{ratio}"),
		ContrastBad:  l.T("dashboard.settings.contrast_bad"), ContrastNone: l.T("dashboard.settings.contrast_none")}
	if m.PreviousKeyHash != "" && m.PreviousKeyExpiresAt.After(h.Service.Now()) {
		v.PreviousKeyEnds = dashTime(m.PreviousKeyExpiresAt, false)
	}
	for _, o := range keyOverlaps {
		v.Overlaps = append(v.Overlaps, templates.DashboardStatusOption{Value: strconv.FormatInt(o.seconds, 10), Label: l.T(o.key),
			Selected: o.seconds == int64(checkout.DefaultKeyOverlap/time.Second)})
	}
	events, err := h.Service.Store.MerchantEvents(ctx(c), m.ID, 100)
	if err != nil {
		return v, err
	}
	for _, e := range events {
		if what := settingsChange(l, e); what != "" {
			who := l.T("dashboard.settings.by_api")
			if a, ok := e.Data["actor"].(map[string]any); ok {
				if email, _ := a["email"].(string); email != "" {
					who = email
				}
			}
			v.History = append(v.History, templates.DashboardHistoryEntry{At: dashTime(e.CreatedAt, false),
				AtISO: e.CreatedAt.UTC().Format(time.RFC3339), Who: who, What: what})
		}
	}
	return v, nil
}

// renderSettings writes the settings page, its contrast check and
// preview made for the display name and colour it shows.
func (h *Handlers) renderSettings(c echo.Context, status int, v templates.DashboardSettingsPage) error {
	v.Contrast, v.ContrastOK = contrastText(v.L, v.AccentColor)
	v.PreviewURL = previewURL(v.DisplayName, v.AccentColor)
	return Render(c, status, templates.DashboardSettings(v))
}

// settingsChange is a settings event in words, or "" for another event.
func settingsChange(l *i18n.Locale, e checkout.Event) string {
	switch e.Type {
	case checkout.EventMerchantUpdated:
		var names []string
		changed, _ := e.Data["changed"].([]any)
		for _, f := range changed {
			if s, ok := f.(string); ok {
				names = append(names, l.T("dashboard.settings.field."+strings.ReplaceAll(s, ".", "_")))
			}
		}
		return l.T("dashboard.settings.changed", "Fields", strings.Join(names, ", "))
	case checkout.EventMerchantKeyRotated:
		until := ""
		if s, ok := e.Data["previous_expires_at"].(float64); ok {
			until = dashTime(time.Unix(int64(s), 0), false)
		}
		if r, _ := e.Data["reissued"].(bool); r {
			return l.T("dashboard.settings.key_reissued")
		}
		return l.T("dashboard.settings.key_rotated", "Time", until)
	case checkout.EventReturnSecretRotated:
		return l.T("dashboard.settings.return_secret_rotated")
	}
	return ""
}

// contrastText is the check of colour (as typed) against the button text.
func contrastText(l *i18n.Locale, color string) (string, bool) {
	c := strings.ToLower(strings.TrimSpace(color))
	if c == "" {
		return "", true
	}
	ratio, err := checkout.ContrastRatio(c, checkout.ButtonTextColor)
	if err != nil {
		return l.T("dashboard.settings.contrast_bad"), false
	}
	// Rounded as refusals write it, then in the page's digits and
	// decimal sign (as the page's script writes it with Intl).
	rounded, _ := strconv.ParseFloat(checkout.FormatContrastRatio(ratio), 64)
	text := message.NewPrinter(language.Make(l.Tag())).Sprint(number.Decimal(rounded, number.MinFractionDigits(2), number.MaxFractionDigits(2)))
	if ratio < checkout.MinBrandContrast {
		return l.T("dashboard.settings.contrast_fail", "Ratio", text), false
	}
	return l.T("dashboard.settings.contrast_pass", "Ratio", text), true
}

func previewURL(name, color string) string {
	q := url.Values{}
	if name != "" {
		q.Set("display_name", name)
	}
	if color != "" {
		q.Set("accent_color", color)
	}
	if len(q) == 0 {
		return RouteDashSettingsPreview
	}
	return RouteDashSettingsPreview + "?" + q.Encode()
}

// DashboardSettings handles GET /dashboard/settings (admins). With
// preview=1 (the Preview button, without the page's script) it shows the
// display name and colour typed, checked and previewed, unsaved.
func (h *Handlers) DashboardSettings(c echo.Context) error {
	m, err := h.settingsMerchant(c)
	if err != nil {
		return err
	}
	v, err := h.settingsView(c, m)
	if err != nil {
		return err
	}
	l := h.dashLocale(c)
	q := c.QueryParams()
	if q.Get("preview") == "1" {
		v.DisplayName, v.AccentColor = clip(q.Get("display_name"), 200), clip(q.Get("accent_color"), 20)
		v.SupportEmail, v.SupportURL = clip(q.Get("support_email"), 300), clip(q.Get("support_url"), 2100)
	}
	switch q.Get("done") {
	case "branding", "origins":
		v.Notice = l.T("dashboard.settings.saved")
	}
	return h.renderSettings(c, http.StatusOK, v)
}

// DashboardSettingsPreview handles GET /dashboard/settings/preview: the
// checkout page as a shopper would see it with the display name and
// colour given (else the saved ones; a colour that fails the checks shows
// ours), for an order of a sample item, framed by the settings page only.
// Nothing on it works: no script, and the frame is sandboxed.
func (h *Handlers) DashboardSettingsPreview(c echo.Context) error {
	m, err := h.settingsMerchant(c)
	if err != nil {
		return err
	}
	Policy(c).FramedBySelf = true
	l := h.dashLocale(c)
	b := brandView(m.Brand())
	if name, err := checkout.ParseDisplayName(c.QueryParam("display_name")); err == nil && name != "" {
		b.Name = name
	}
	if raw := c.QueryParam("accent_color"); raw != "" {
		b.Color = ""
		if color, err := checkout.ParseBrandColor(raw); err == nil {
			b.Color = color
		}
	}
	currency := "EUR"
	total := checkout.Money{Amount: 2500, Currency: currency}.Format(l.Tag())
	sum := templates.Summary{MerchantName: b.Name, Brand: b, Total: total,
		Lines: []templates.SummaryLine{{Name: l.T("dashboard.settings.preview_item"), Quantity: 1, Amount: total}}}
	return Render(c, http.StatusOK, templates.CheckoutForm(templates.CheckoutPage{
		Page:    templates.Page{Title: l.T("dashboard.settings.preview_title"), L: l, Inert: true}.Branded(b),
		Summary: sum, PayURL: RouteDashSettingsPreview, Card: true}))
}

// settingsFieldOf is the form field a refusal's parameter is about.
var settingsFieldOf = map[string]string{
	"display_name": "display-name", "accent_color": "accent-color", "logo": "logo",
	"support_email": "support-email", "support_url": "support-url",
	"return_origins": "return-origins", "embed_origins": "embed-origins",
}

// DashboardSaveBranding handles POST /dashboard/settings/branding (a
// multipart form, admins): the display name, the accent colour (checked
// for contrast), a new logo or its removal, and the support contacts,
// saved together as one change recorded with the user, or none of them
// with the refusal shown at its field.
func (h *Handlers) DashboardSaveBranding(c echo.Context) error {
	m, err := h.settingsMerchant(c)
	if err != nil {
		return err
	}
	f := c.Request().PostForm
	name, color := f.Get("display_name"), f.Get("accent_color")
	email, support := f.Get("support_email"), f.Get("support_url")
	ch := checkout.MerchantChanges{DisplayName: &name, AccentColor: &color, SupportEmail: &email, SupportURL: &support}
	if file, _, err := c.Request().FormFile("logo"); err == nil {
		body, rerr := io.ReadAll(io.LimitReader(file, checkout.MaxLogoBytes+1))
		_ = file.Close()
		if rerr != nil {
			return rerr
		}
		if len(body) > 0 {
			ch.Logo = &body
		}
	} else if !errors.Is(err, http.ErrMissingFile) {
		return checkout.InvalidParam("logo", "The logo could not be read from the form.")
	}
	if ch.Logo == nil && f.Get("remove_logo") == "yes" {
		none := []byte{}
		ch.Logo = &none
	}
	return h.saveSettings(c, m, ch, "branding", func(v *templates.DashboardSettingsPage) {
		v.DisplayName, v.AccentColor, v.SupportEmail, v.SupportURL = clip(name, 200), clip(color, 20), clip(email, 300), clip(support, 2100)
	})
}

// DashboardSaveOrigins handles POST /dashboard/settings/origins (admins):
// the return and embedding origins, one per line.
func (h *Handlers) DashboardSaveOrigins(c echo.Context) error {
	m, err := h.settingsMerchant(c)
	if err != nil {
		return err
	}
	f := c.Request().PostForm
	returns, embeds := lines(f.Get("return_origins")), lines(f.Get("embed_origins"))
	ch := checkout.MerchantChanges{ReturnOrigins: &returns, EmbedOrigins: &embeds}
	return h.saveSettings(c, m, ch, "origins", func(v *templates.DashboardSettingsPage) {
		v.ReturnOrigins, v.EmbedOrigins = clip(f.Get("return_origins"), 4000), clip(f.Get("embed_origins"), 4000)
	})
}

// lines is s's non-blank lines, trimmed (at most a few more than any
// list may have, so that a huge paste is refused as too many).
func lines(s string) []string {
	out := []string{}
	for line := range strings.SplitSeq(s, "\n") {
		if t := strings.TrimSpace(line); t != "" {
			out = append(out, t)
			if len(out) > checkout.MaxMerchantOrigins {
				break
			}
		}
	}
	return out
}

// saveSettings saves ch as the signed-in user and goes back to the page,
// or shows the refusal at its field with what was typed (typed).
func (h *Handlers) saveSettings(c echo.Context, m *checkout.Merchant, ch checkout.MerchantChanges, what string, typed func(*templates.DashboardSettingsPage)) error {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	_, changed, err := h.Service.UpdateMerchant(checkout.WithActor(ctx(c), checkout.Actor{UserID: u.ID, Email: u.Email}), m, ch)
	var e *checkout.Error
	if errors.As(err, &e) && (e.Code == checkout.EInvalid || e.Code == checkout.EConflict) {
		v, verr := h.settingsView(c, m)
		if verr != nil {
			return verr
		}
		typed(&v)
		param, _, _ := strings.Cut(e.Param, "[")
		field := settingsFieldOf[param]
		if field == "" || e.Code == checkout.EConflict {
			field = "display-name"
		}
		v.Errors = map[string]string{field: settingsError(l, e, param, ch)}
		return h.renderSettings(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard settings saved", "user_id", u.ID, "merchant_id", m.ID, "changed", changed)
	return c.Redirect(http.StatusSeeOther, RouteDashSettings+"?done="+what)
}

// settingsError is a refusal in the page's language.
func settingsError(l *i18n.Locale, e *checkout.Error, param string, ch checkout.MerchantChanges) string {
	if e.Code == checkout.EConflict {
		return l.T("dashboard.settings.error.conflict")
	}
	if param == "accent_color" && ch.AccentColor != nil {
		if text, ok := contrastText(l, *ch.AccentColor); !ok {
			return text
		}
	}
	if _, ok := settingsFieldOf[param]; ok {
		return l.T("dashboard.settings.error." + param)
	}
	return l.T("dashboard.settings.error.other")
}

// DashboardRotateKey handles POST /dashboard/settings/keys (admins): asked
// first, then the secret key is rotated with the overlap chosen and the
// new key shown this once. The confirmation names the key it replaces (a
// hash of its hash): the rotation is a compare-and-set on that key in the
// store's statement. A second Yes (a double click, a reload) within
// checkout.ReissueWindow finds that key rotated out and replaces the
// key its first answer made, never shown, keeping the old key's overlap:
// the key on the screen is always one that works.
func (h *Handlers) DashboardRotateKey(c echo.Context) error {
	m, err := h.settingsMerchant(c)
	if err != nil {
		return err
	}
	u := DashboardUser(c)
	l := h.dashLocale(c)
	f := c.Request().PostForm
	seconds, err := strconv.ParseInt(f.Get("overlap"), 10, 64)
	if err != nil || overlapKey(seconds) == "" {
		return checkout.InvalidParam("overlap", "Choose how long the old key keeps working from the list.")
	}
	overlap := time.Duration(seconds) * time.Second
	if f.Get("confirm") != "yes" {
		chrome := h.dashChrome(c, "settings")
		question := l.T("dashboard.settings.confirm_rotate", "Overlap", l.T(overlapKey(seconds)))
		if seconds == 0 {
			question = l.T("dashboard.settings.confirm_rotate_now")
		}
		return Render(c, http.StatusOK, templates.DashboardConfirm(templates.DashboardConfirmPage{
			Page: templates.Page{Title: l.T("dashboard.title.confirm"), L: l}, DashboardChrome: chrome,
			Question:  question,
			ActionURL: RouteDashSettingsKeys, BackURL: RouteDashSettings, FormToken: chrome.FormToken,
			Key: secretFingerprint(m.APIKeyHash), Hidden: []templates.FormField{{Name: "overlap", Value: strconv.FormatInt(seconds, 10)}}}))
	}
	actor := checkout.WithActor(ctx(c), checkout.Actor{UserID: u.ID, Email: u.Email})
	named := f.Get("key")
	var key *checkout.RotatedKey
	reissued := false
	switch {
	case named == secretFingerprint(m.APIKeyHash):
		key, err = h.Service.RotateSecretKey(actor, m, m.APIKeyHash, overlap)
	case m.PreviousKeyHash != "" && named == secretFingerprint(m.PreviousKeyHash):
		key, err = h.Service.ReissueSecretKey(actor, m, m.PreviousKeyHash)
		reissued = true
	default:
		err = checkout.Errorf(checkout.EConflict, "stale")
	}
	if checkout.ErrorCodeOf(err) == checkout.EConflict {
		v, verr := h.settingsView(c, m)
		if verr != nil {
			return verr
		}
		v.Notice = l.T("dashboard.settings.key_moved_on")
		return h.renderSettings(c, http.StatusConflict, v)
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx(c), "dashboard secret key rotated", "user_id", u.ID, "merchant_id", m.ID, "reissued", reissued)
	if m, err = h.Service.Merchant(ctx(c), m.ID); err != nil {
		return err
	}
	v, err := h.settingsView(c, m)
	if err != nil {
		return err
	}
	v.NewKey, v.NewKeyReissued = key.Secret, reissued
	return h.renderSettings(c, http.StatusOK, v)
}

func overlapKey(seconds int64) string {
	for _, o := range keyOverlaps {
		if o.seconds == seconds {
			return o.key
		}
	}
	return ""
}
