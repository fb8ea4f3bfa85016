package web_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// branding posts the branding form as a browser does (multipart), with
// a logo when logo is not nil.
func (b *dashBrowser) branding(token string, fields url.Values, logo []byte, headers ...string) response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if token != "" {
		_ = w.WriteField("form_token", token)
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if logo != nil {
		part, err := w.CreateFormFile("logo", "logo.png")
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = part.Write(logo)
	}
	_ = w.Close()
	return b.send("POST", "/dashboard/settings/branding", body.Bytes(), append(headers, "Content-Type", w.FormDataContentType())...)
}

func merchantNow(t *testing.T, app *web.App, id string) *checkout.Merchant {
	t.Helper()
	m, err := app.Store.Merchant(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDashboardSettingsBranding: an admin previews a colour (its contrast
// checked, the preview framed by the dashboard only), is refused a colour
// with too little contrast and a bad support email at their fields with
// nothing saved, then saves a display name, colour, logo and support
// email in one change that the checkout page shows and the history
// records with the user; the logo is then removed.
func TestDashboardSettingsBranding(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	page := b.do("GET", "/dashboard/settings", nil)
	if page.Status != 200 {
		t.Fatalf("settings: %d %s", page.Status, page.Body)
	}
	if src, _ := testID(t, page, "brand-preview").Attr("src"); !strings.HasPrefix(src, "/dashboard/settings/preview") {
		t.Fatalf("preview frame src %q", src)
	}
	if sandbox, ok := testID(t, page, "brand-preview").Attr("sandbox"); !ok || strings.Contains(sandbox, "allow-scripts") || strings.Contains(sandbox, "allow-forms") {
		t.Fatalf("the preview frame's sandbox %q lets it run scripts or forms", sandbox)
	}
	if !strings.Contains(string(page.Body), `integrity="sha384-`) || !strings.Contains(string(page.Body), "dashboard-settings.") {
		t.Fatal("the settings page's script is missing or has no integrity")
	}
	token := b.token(page)

	// The preview: the colour typed, framed by our own pages only.
	pv := b.do("GET", "/dashboard/settings/preview?display_name=Preview+Shop&accent_color=%231A7F43", nil)
	csp := pv.Header.Get("Content-Security-Policy")
	if pv.Status != 200 || !strings.Contains(string(pv.Body), "--accent:#1a7f43") || !strings.Contains(string(pv.Body), "Preview Shop") ||
		!strings.Contains(csp, "frame-ancestors 'self'") {
		t.Fatalf("preview: %d, CSP %q", pv.Status, csp)
	}
	if strings.Contains(string(pv.Body), "<script") {
		t.Fatal("the preview runs a script")
	}
	if low := b.do("GET", "/dashboard/settings/preview?accent_color=%23ffff00", nil); strings.Contains(string(low.Body), "--accent:#ffff00") {
		t.Fatal("the preview shows a colour that fails the contrast check")
	}
	// Without the script: the Preview button's GET checks what was typed.
	check := b.do("GET", "/dashboard/settings?preview=1&display_name=X&accent_color=%23ffff00", nil)
	contrast := testID(t, check, "contrast-result")
	if cls, _ := contrast.Attr("class"); !strings.Contains(cls, "bad") || !strings.Contains(strings.NewReplacer("\u2068", "", "\u2069", "").Replace(contrast.Text()), "1.07:1") {
		t.Fatalf("contrast of #ffff00: %q (class %q)", contrast.Text(), cls)
	}
	if v, _ := testID(t, check, "accent-color").Attr("value"); v != "#ffff00" {
		t.Fatalf("the previewed colour is not kept in the form: %q", v)
	}

	before := merchantNow(t, app, web.DemoMerchantID)
	for name, c := range map[string]struct {
		fields url.Values
		field  string
	}{
		"low contrast": {url.Values{"display_name": {"New name"}, "accent_color": {"#ffff00"}}, "accent-color"},
		"bad email":    {url.Values{"display_name": {"New name"}, "support_email": {"not an address"}}, "support-email"},
	} {
		res := b.branding(token, c.fields, nil)
		if res.Status != http.StatusUnprocessableEntity || testID(t, res, "error-"+c.field).Length() != 1 {
			t.Fatalf("%s: %d, want 422 with the message at %s", name, res.Status, c.field)
		}
		if v, _ := testID(t, res, "display-name").Attr("value"); v != "New name" {
			t.Errorf("%s: what was typed is not kept (%q)", name, v)
		}
		if after := merchantNow(t, app, web.DemoMerchantID); after.Version != before.Version || after.DisplayName != before.DisplayName {
			t.Fatalf("%s: a refused change saved something", name)
		}
	}

	var logo bytes.Buffer
	if err := png.Encode(&logo, image.NewGray(image.Rect(0, 0, 40, 20))); err != nil {
		t.Fatal(err)
	}
	res := b.branding(token, url.Values{"display_name": {"Demo Deluxe"}, "accent_color": {"#1A7F43"},
		"support_email": {"help@shop.test"}, "support_url": {""}}, logo.Bytes())
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/settings?done=branding" {
		t.Fatalf("save: %d %s", res.Status, res.Body)
	}
	m := merchantNow(t, app, web.DemoMerchantID)
	if m.DisplayName != "Demo Deluxe" || m.BrandColor != "#1a7f43" || m.SupportEmail != "help@shop.test" || m.Logo == nil || m.Logo.Width != 40 {
		t.Fatalf("saved merchant: %q %q %q %+v", m.DisplayName, m.BrandColor, m.SupportEmail, m.Logo)
	}
	saved := b.do("GET", "/dashboard/settings?done=branding", nil)
	if testID(t, saved, "settings-notice").Length() != 1 {
		t.Error("no notice after saving")
	}
	entry := testID(t, saved, "settings-history-entry").First().Text()
	for _, want := range []string{web.DemoDashboardEmail, "display name", "accent color", "logo", "support email"} {
		if !strings.Contains(entry, want) {
			t.Errorf("history entry %q does not say %q", entry, want)
		}
	}
	events, _ := app.Store.MerchantEvents(context.Background(), web.DemoMerchantID, 5)
	if a, _ := events[0].Data["actor"].(map[string]any); events[0].Type != checkout.EventMerchantUpdated || a["email"] != web.DemoDashboardEmail {
		t.Fatalf("the merchant.updated event does not record the user: %+v", events[0])
	}
	// A shopper's page shows the new look.
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	shopper := do(t, "GET", app.URL+"/c/"+sid, nil)
	if !strings.Contains(string(shopper.Body), "--accent:#1a7f43") || !strings.Contains(string(shopper.Body), "Demo Deluxe") {
		t.Fatal("the checkout page does not show the saved branding")
	}

	token = b.token(saved)
	if res := b.branding(token, url.Values{"display_name": {"Demo Deluxe"}, "accent_color": {"#1a7f43"}, "support_email": {"help@shop.test"},
		"remove_logo": {"yes"}}, nil); res.Status != http.StatusSeeOther {
		t.Fatalf("remove logo: %d %s", res.Status, res.Body)
	}
	if m := merchantNow(t, app, web.DemoMerchantID); m.Logo != nil || m.DisplayName != "Demo Deluxe" {
		t.Fatalf("after removing the logo: %+v %q", m.Logo, m.DisplayName)
	}
}

// TestDashboardSettingsOrigins: origins are saved one per line; a bad one
// is refused at its field and nothing changes.
func TestDashboardSettingsOrigins(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	token := b.token(b.do("GET", "/dashboard/settings", nil))
	before := merchantNow(t, app, web.DemoMerchantID)
	bad := b.do("POST", "/dashboard/settings/origins", url.Values{"form_token": {token}, "return_origins": {"https://shop.test\nftp://nope"}})
	if bad.Status != http.StatusUnprocessableEntity || testID(t, bad, "error-return-origins").Length() != 1 {
		t.Fatalf("bad origin: %d %s", bad.Status, bad.Body)
	}
	if got := testID(t, bad, "return-origins").Text(); got != "https://shop.test\nftp://nope" {
		t.Errorf("what was typed is not kept: %q", got)
	}
	if after := merchantNow(t, app, web.DemoMerchantID); after.Version != before.Version {
		t.Fatal("a refused change saved something")
	}
	none := b.do("POST", "/dashboard/settings/origins", url.Values{"form_token": {token}, "return_origins": {"  \n "}})
	if none.Status != http.StatusUnprocessableEntity || testID(t, none, "error-return-origins").Length() != 1 {
		t.Fatalf("no return origin: %d", none.Status)
	}
	ok := b.do("POST", "/dashboard/settings/origins", url.Values{"form_token": {token},
		"return_origins": {" https://shop.test \r\nhttps://other.test\n"}, "embed_origins": {"https://blog.test"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("save origins: %d %s", ok.Status, ok.Body)
	}
	m := merchantNow(t, app, web.DemoMerchantID)
	if strings.Join(m.ReturnOrigins, " ") != "https://shop.test https://other.test" || strings.Join(m.EmbedOrigins, " ") != "https://blog.test" {
		t.Fatalf("saved origins: %v %v", m.ReturnOrigins, m.EmbedOrigins)
	}
}

// TestDashboardSettingsKeys: an admin makes a new secret key after a
// confirmation; it is shown once and works, the old key works for the
// overlap chosen; a second Yes replaces the key never shown (the old key
// still works, the unseen one no longer); a confirmation of a key long
// gone changes nothing. Support cannot open the settings or rotate.
func TestDashboardSettingsKeys(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	token := b.token(b.do("GET", "/dashboard/settings", nil))
	ask := b.do("POST", "/dashboard/settings/keys", url.Values{"form_token": {token}, "overlap": {"3600"}})
	if ask.Status != 200 || testID(t, ask, "confirm-question").Length() != 1 {
		t.Fatalf("rotate: %d, want a confirmation", ask.Status)
	}
	yes := url.Values{"form_token": {token}, "confirm": {"yes"}}
	testID(t, ask, "confirm").Find(`input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		yes.Set(name, value)
	})
	if yes.Get("overlap") != "3600" || yes.Get("key") == "" {
		t.Fatalf("the confirmation does not carry the overlap and the key: %v", yes)
	}
	authed := func(key string) int {
		return do(t, "GET", app.URL+"/v1/merchant", nil, "Authorization", "Bearer "+key).Status
	}
	first := b.do("POST", "/dashboard/settings/keys", yes)
	key1, _ := testID(t, first, "new-secret-key").Attr("value")
	if first.Status != 200 || !strings.HasPrefix(key1, "sk_test_") {
		t.Fatalf("confirmed rotation: %d, key %q", first.Status, key1)
	}
	if authed(key1) != 200 || authed(app.DemoAPIKey) != 200 {
		t.Fatal("the new key or the old one (in its hour) does not work")
	}
	if testID(t, first, "previous-key-until").Length() != 1 {
		t.Error("the page does not say until when the old key works")
	}
	m := merchantNow(t, app, web.DemoMerchantID)
	if d := m.PreviousKeyExpiresAt.Sub(app.Service.Now()); d < 59*60e9 || d > 3600e9 {
		t.Fatalf("the old key works for %v, want an hour", d)
	}
	if entry := testID(t, first, "settings-history-entry").First().Text(); !strings.Contains(entry, web.DemoDashboardEmail) {
		t.Errorf("history: %q", entry)
	}

	// A second Yes (a double click): the key the first made was never on
	// the screen, so it is replaced; the old key keeps its hour.
	second := b.do("POST", "/dashboard/settings/keys", yes)
	key2, _ := testID(t, second, "new-secret-key").Attr("value")
	if second.Status != 200 || key2 == "" || key2 == key1 || testID(t, second, "new-key-reissued").Length() != 1 {
		t.Fatalf("second Yes: %d, key %q", second.Status, key2)
	}
	if authed(key2) != 200 || authed(app.DemoAPIKey) != 200 || authed(key1) != http.StatusUnauthorized {
		t.Fatal("after the second Yes: the key shown and the old key must work, the unseen key must not")
	}
	if again := merchantNow(t, app, web.DemoMerchantID); !again.PreviousKeyExpiresAt.Equal(m.PreviousKeyExpiresAt) {
		t.Fatal("the second Yes moved the old key's end")
	}
	// A confirmation naming a key long gone changes nothing.
	stale := url.Values{"form_token": {token}, "confirm": {"yes"}, "overlap": {"0"}, "key": {strings.Repeat("ab", 16)}}
	if res := b.do("POST", "/dashboard/settings/keys", stale); res.Status != http.StatusConflict || testID(t, res, "new-secret-key").Length() != 0 {
		t.Fatalf("stale confirmation: %d", res.Status)
	}
	if authed(key2) != 200 {
		t.Fatal("a stale confirmation changed the key")
	}
	if res := b.do("POST", "/dashboard/settings/keys", url.Values{"form_token": {token}, "overlap": {"12345"}}); res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an overlap not offered: %d", res.Status)
	}

	// Support: no settings, no keys.
	if _, _, err := app.Service.CreateDashboardUser(context.Background(), checkout.NewDashboardUser{MerchantID: web.DemoMerchantID,
		Email: "help@example.com", Role: checkout.RoleSupport, Password: dashPassword, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	s := newDashBrowser(t, app)
	s.signIn("help@example.com", dashPassword)
	list := s.do("GET", "/dashboard/payments", nil)
	if testID(t, list, "nav-settings").Length() != 0 {
		t.Error("support is offered the settings")
	}
	stoken := s.token(list)
	for path, form := range map[string]url.Values{
		"/dashboard/settings/keys":    {"form_token": {stoken}, "overlap": {"0"}, "confirm": {"yes"}, "key": {yes.Get("key")}},
		"/dashboard/settings/origins": {"form_token": {stoken}, "return_origins": {"https://evil.test"}},
	} {
		if res := s.do("POST", path, form); res.Status != http.StatusForbidden {
			t.Errorf("support POST %s: %d, want 403", path, res.Status)
		}
	}
	for _, path := range []string{"/dashboard/settings", "/dashboard/settings/preview"} {
		if res := s.do("GET", path, nil); res.Status != http.StatusForbidden {
			t.Errorf("support GET %s: %d, want 403", path, res.Status)
		}
	}
	if res := s.branding(stoken, url.Values{"display_name": {"Support was here"}}, nil); res.Status != http.StatusForbidden {
		t.Errorf("support branding: %d", res.Status)
	}
	if after := merchantNow(t, app, web.DemoMerchantID); authed(key2) != 200 || after.DisplayName == "Support was here" || strings.Contains(strings.Join(after.ReturnOrigins, " "), "evil") {
		t.Fatal("support changed a setting or a key")
	}
}

// TestDashboardSettingsFormsRefuseForgery: every settings form refuses a
// POST without its token and one from another site, changing nothing.
func TestDashboardSettingsFormsRefuseForgery(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	token := b.token(b.do("GET", "/dashboard/settings", nil))
	before := merchantNow(t, app, web.DemoMerchantID)
	forms := map[string]url.Values{
		"/dashboard/settings/keys":    {"overlap": {"0"}, "confirm": {"yes"}, "key": {"x"}},
		"/dashboard/settings/origins": {"return_origins": {"https://evil.test"}},
	}
	for path, form := range forms {
		if res := b.do("POST", path, form); res.Status != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d", path, res.Status)
		}
		withToken := url.Values{"form_token": {token}}
		for k, v := range form {
			withToken[k] = v
		}
		if res := b.do("POST", path, withToken, "Sec-Fetch-Site", "cross-site"); res.Status != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d", path, res.Status)
		}
	}
	if res := b.branding("", url.Values{"display_name": {"Forged"}}, nil); res.Status != http.StatusForbidden {
		t.Errorf("branding without a token: %d", res.Status)
	}
	if res := b.branding(token, url.Values{"display_name": {"Forged"}}, nil, "Sec-Fetch-Site", "cross-site"); res.Status != http.StatusForbidden {
		t.Errorf("branding from another site: %d", res.Status)
	}
	if after := merchantNow(t, app, web.DemoMerchantID); after.Version != before.Version {
		t.Fatal("a forged form changed the merchant")
	}
}

// A second Yes more than checkout.ReissueWindow after the rotation (a
// stale reload, not a double click) replaces nothing: the key made then
// may be in use by now.
func TestDashboardSettingsKeyReissueWindow(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	app := dashApp(t, func(c *web.Config) { c.Now = clock.Now })
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	token := b.token(b.do("GET", "/dashboard/settings", nil))
	ask := b.do("POST", "/dashboard/settings/keys", url.Values{"form_token": {token}, "overlap": {"86400"}})
	key, _ := testID(t, ask, "confirm").Find(`input[name=key]`).Attr("value")
	yes := url.Values{"form_token": {token}, "confirm": {"yes"}, "overlap": {"86400"}, "key": {key}}
	first := b.do("POST", "/dashboard/settings/keys", yes)
	made, _ := testID(t, first, "new-secret-key").Attr("value")
	if first.Status != 200 || made == "" {
		t.Fatalf("rotation: %d", first.Status)
	}
	clock.Add(checkout.ReissueWindow + time.Second)
	again := b.do("POST", "/dashboard/settings/keys", yes)
	if again.Status != http.StatusConflict || testID(t, again, "new-secret-key").Length() != 0 {
		t.Fatalf("a second Yes after the window: %d, want 409 and no key", again.Status)
	}
	if res := do(t, "GET", app.URL+"/v1/merchant", nil, "Authorization", "Bearer "+made); res.Status != 200 {
		t.Fatalf("the key made by the rotation stopped working: %d", res.Status)
	}
}
