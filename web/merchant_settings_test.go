package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// Merchant settings over the API and key rotation with an overlap
// (issue 15, point 6).

// merchantAPI calls the merchant API with key.
func merchantAPI(tb testing.TB, app *web.App, key, method, path string, body any, headers ...string) response {
	tb.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	h := append([]string{"Authorization", "Bearer " + key, "Content-Type", "application/json"}, headers...)
	return do(tb, method, app.URL+path, b, h...)
}

// getMerchant is GET /v1/merchant with the demo key, which must answer 200.
func getMerchant(tb testing.TB, app *web.App) map[string]any {
	tb.Helper()
	res := api(tb, app, http.MethodGet, "/v1/merchant", nil)
	if res.Status != http.StatusOK {
		tb.Fatalf("GET /v1/merchant: %d %s", res.Status, res.Body)
	}
	return res.JSON(tb)
}

// form is a multipart/form-data body of parts (name, value) in order; a
// part named logo is a file part.
func form(tb testing.TB, parts ...[2]string) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		var err error
		if p[0] == "logo" {
			var fw io.Writer
			if fw, err = w.CreateFormFile("logo", "logo.bin"); err == nil {
				_, err = fw.Write([]byte(p[1]))
			}
		} else {
			err = w.WriteField(p[0], p[1])
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// patchForm sends a multipart PATCH /v1/merchant with the demo key.
func patchForm(tb testing.TB, app *web.App, parts ...[2]string) response {
	tb.Helper()
	body, ct := form(tb, parts...)
	return api(tb, app, http.MethodPatch, "/v1/merchant", body, "Content-Type", ct)
}

// errorParam is the param of a JSON error answer.
func errorParam(tb testing.TB, res response) string {
	tb.Helper()
	e, _ := res.JSON(tb)["error"].(map[string]any)
	p, _ := e["param"].(string)
	return p
}

// merchantDeliveries counts the merchant's webhook deliveries of type typ.
func merchantDeliveries(tb testing.TB, app *web.App, key, typ string) int {
	tb.Helper()
	res := merchantAPI(tb, app, key, http.MethodGet, "/v1/webhook_deliveries?limit=100", nil)
	if res.Status != http.StatusOK {
		tb.Fatalf("deliveries: %d %s", res.Status, res.Body)
	}
	n := 0
	for _, d := range res.JSON(tb)["data"].([]any) {
		if d.(map[string]any)["type"] == typ {
			n++
		}
	}
	return n
}

// GET /v1/merchant answers the calling merchant as a merchant object with
// exactly its documented fields: never its key, the key's hash or any
// other secret. Query parameters are refused by name; no key is a 401.
func TestMerchantGet(t *testing.T) {
	app := MustApp(t, nil)
	res := api(t, app, http.MethodGet, "/v1/merchant", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /v1/merchant: %d %s", res.Status, res.Body)
	}
	m := res.JSON(t)
	created, _ := m["created_at"].(float64)
	if created < float64(time.Now().Add(-time.Hour).Unix()) || created > float64(time.Now().Unix()+1) {
		t.Errorf("created_at %v", m["created_at"])
	}
	delete(m, "created_at")
	want := map[string]any{"id": web.DemoMerchantID, "object": "merchant", "name": "Demo Coffee Co.", "display_name": "",
		"branding": map[string]any{"accent_color": "", "logo": nil}, "return_origins": []any{}, "embed_origins": []any{},
		"default_provider": "payorder", "support_email": "", "support_url": "", "livemode": false}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("merchant object:\n got %v\nwant %v", m, want)
	}
	for _, secret := range []string{testKey, checkout.HashAPIKey(testKey), "sk_", "hash"} {
		if bytes.Contains(res.Body, []byte(secret)) {
			t.Errorf("the merchant object carries %q", secret)
		}
	}
	if res := api(t, app, http.MethodGet, "/v1/merchant?expand=keys", nil); res.Status != 422 || errorParam(t, res) != "expand" {
		t.Errorf("a query parameter: %d %s", res.Status, res.Body)
	}
	if res := do(t, http.MethodGet, app.URL+"/v1/merchant", nil); res.Status != 401 {
		t.Errorf("no key: %d", res.Status)
	}
}

// PATCH /v1/merchant changes each setting on its own and leaves the rest:
// the answer is the merchant as GET shows it afterwards; null or "" clears
// what can be cleared; origins are normalized; an empty object changes
// nothing.
func TestMerchantPatchEachField(t *testing.T) {
	app := MustApp(t, nil)
	path := func(m map[string]any, p string) any {
		var v any = m
		for _, k := range strings.Split(p, ".") {
			v = v.(map[string]any)[k]
		}
		return v
	}
	cases := []struct {
		body  string
		field string
		want  any
	}{
		{`{"display_name":" Corner Café "}`, "display_name", "Corner Café"},
		{`{"display_name":null}`, "display_name", ""},
		{`{"display_name":"Corner Café"}`, "display_name", "Corner Café"},
		{`{"display_name":""}`, "display_name", ""},
		{`{"accent_color":"#1A5E3A"}`, "branding.accent_color", "#1a5e3a"},
		{`{"accent_color":""}`, "branding.accent_color", ""},
		{`{"accent_color":"#3056d3"}`, "branding.accent_color", "#3056d3"},
		{`{"accent_color":null}`, "branding.accent_color", ""},
		{`{"return_origins":["https://shop.test","HTTPS://Blog.Shop.Test:8443/"]}`, "return_origins", []any{"https://shop.test", "https://blog.shop.test:8443"}},
		{`{"embed_origins":["https://shop.test","http://localhost:3000"]}`, "embed_origins", []any{"https://shop.test", "http://localhost:3000"}},
		{`{"embed_origins":null}`, "embed_origins", []any{}},
		{`{"embed_origins":["https://shop.test"]}`, "embed_origins", []any{"https://shop.test"}},
		{`{"embed_origins":[]}`, "embed_origins", []any{}},
		{`{"default_provider":"worldline"}`, "default_provider", "worldline"},
		{`{"support_email":" help@corner.example "}`, "support_email", "help@corner.example"},
		{`{"support_email":null}`, "support_email", ""},
		{`{"support_url":"https://corner.example/help?topic=payments"}`, "support_url", "https://corner.example/help?topic=payments"},
		{`{"support_url":"http://localhost:3000/help"}`, "support_url", "http://localhost:3000/help"},
		{`{"support_url":""}`, "support_url", ""},
	}
	for _, c := range cases {
		before := getMerchant(t, app)
		res := api(t, app, http.MethodPatch, "/v1/merchant", c.body)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.body, res.Status, res.Body)
		}
		after := getMerchant(t, app)
		if !reflect.DeepEqual(res.JSON(t), after) {
			t.Errorf("%s: answered %s, GET says %v", c.body, res.Body, after)
		}
		if got := path(after, c.field); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %s is %v, want %v", c.body, c.field, got, c.want)
		}
		// Nothing else moved.
		for _, f := range []string{"display_name", "branding.accent_color", "return_origins", "embed_origins", "default_provider", "support_email", "support_url"} {
			if f != c.field && !reflect.DeepEqual(path(before, f), path(after, f)) {
				t.Errorf("%s: %s changed from %v to %v", c.body, f, path(before, f), path(after, f))
			}
		}
	}
	before := getMerchant(t, app)
	if res := api(t, app, http.MethodPatch, "/v1/merchant", `{}`); res.Status != 200 || !reflect.DeepEqual(res.JSON(t), before) {
		t.Errorf("an empty PATCH: %d %s", res.Status, res.Body)
	}
	// A session created after the change goes to the new default provider.
	if s := mustCreateSession(t, app, validSession()); s["provider"] != "worldline" {
		t.Errorf("a session after default_provider worldline went to %v", s["provider"])
	}
}

// Every invalid value is a 422 naming its param (a malformed body a 400),
// and changes nothing: not the field, not a valid field sent beside it,
// and no merchant.updated event is queued. The default provider must be
// one this server runs, and the refusal lists them.
func TestMerchantPatchRefusals(t *testing.T) {
	app := MustApp(t, nil)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer hooks.Close()
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": hooks.URL, "enabled_events": []string{"merchant.updated"}}); res.Status != 201 {
		t.Fatalf("endpoint: %d %s", res.Status, res.Body)
	}
	b64 := base64.StdEncoding.EncodeToString
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	many := make([]string, checkout.MaxMerchantOrigins+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://shop%d.example", i)
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		body   string
		status int
		param  string
		says   string
	}{
		{`{"display_name":"` + strings.Repeat("x", 101) + `"}`, 422, "display_name", "at most 100"},
		{`{"display_name":"Shop\u202e"}`, 422, "display_name", "must not contain"},
		{`{"display_name":5}`, 422, "display_name", "string"},
		{`{"accent_color":"#7fb3ff"}`, 422, "accent_color", "4.5:1"},
		{`{"accent_color":"blue"}`, 422, "accent_color", "#RRGGBB"},
		{`{"accent_color":["#3056d3"]}`, 422, "accent_color", "string"},
		{`{"logo_base64":"!!!not base64"}`, 422, "logo_base64", "base64"},
		{`{"logo_base64":"` + b64(svg) + `"}`, 422, "logo_base64", "SVG"},
		{`{"logo_base64":"` + b64(testPNG(t, 4000, 1)) + `"}`, 422, "logo_base64", "2048"},
		{`{"logo_base64":"` + b64([]byte("not an image")) + `"}`, 422, "logo_base64", "not a PNG, JPEG or WebP"},
		{`{"logo_base64":"` + b64(append(testPNG(t, 2, 2), make([]byte, checkout.MaxLogoBytes)...)) + `"}`, 422, "logo_base64", "100 KB"},
		{`{"logo":"https://evil.test/logo.png"}`, 422, "logo", "logo_base64"},
		{`{"logo":null,"logo_base64":"` + b64(testPNG(t, 2, 2)) + `"}`, 422, "logo_base64", "not both"},
		{`{"return_origins":[]}`, 422, "return_origins", "at least one"},
		{`{"return_origins":null}`, 422, "return_origins", "at least one"},
		{`{"return_origins":"https://shop.test"}`, 422, "return_origins", "array"},
		{`{"return_origins":["https://*.shop.test"]}`, 422, "return_origins[0]", "wildcard"},
		{`{"return_origins":["https://shop.test","HTTPS://SHOP.TEST"]}`, 422, "return_origins[1]", "repeats"},
		{`{"return_origins":["http://shop.test"]}`, 422, "return_origins[0]", "https"},
		{`{"return_origins":` + string(manyJSON) + `}`, 422, "return_origins", "at most 20"},
		{`{"embed_origins":["https://shop.test/checkout"]}`, 422, "embed_origins[0]", "scheme://host"},
		{`{"embed_origins":["https://shop.test https://evil.test"]}`, 422, "embed_origins[0]", ""},
		{`{"default_provider":"acme"}`, 422, "default_provider", "alipayplus, antom, bbmsl, payorder, worldline"},
		{`{"default_provider":null}`, 422, "default_provider", "not a provider"},
		{`{"support_email":"not-an-email"}`, 422, "support_email", "email"},
		{`{"support_email":"Help <help@shop.test>"}`, 422, "support_email", "email"},
		{`{"support_email":"\"help desk\"@shop.test"}`, 422, "support_email", "email"},
		{`{"support_email":"help@shop.test?cc=evil@evil.test"}`, 422, "support_email", "email"},
		{`{"support_email":"` + strings.Repeat("a", 250) + `@shop.test"}`, 422, "support_email", "254"},
		{`{"support_email":"help\u200b@shop.test"}`, 422, "support_email", "must not contain"},
		{`{"support_url":"http://shop.test/help"}`, 422, "support_url", "https"},
		{`{"support_url":"javascript:alert(1)"}`, 422, "support_url", ""},
		{`{"support_url":"https://shop.test/a b"}`, 422, "support_url", "spaces"},
		{`{"support_url":"/help"}`, 422, "support_url", ""},
		{`{"support_url":"https://user:pw@shop.test/"}`, 422, "support_url", "user name"},
		{`{"support_url":"https://shop.test/a\"><script>"}`, 422, "support_url", "quotes"},
		{`{"colour":"blue"}`, 422, "colour", "not a known parameter"},
		// A valid change beside a refused one is not written either.
		{`{"display_name":"Fine","support_email":"help@shop.test","support_url":"ftp://shop.test"}`, 422, "support_url", ""},
		{`{"display_name":"a","display_name":"b"}`, 400, "display_name", "more than once"},
		{`[]`, 400, "", ""},
		{`{"display_name":"a"} {}`, 400, "", ""},
	}
	before := getMerchant(t, app)
	for _, c := range cases {
		res := api(t, app, http.MethodPatch, "/v1/merchant", c.body)
		if res.Status != c.status || errorParam(t, res) != c.param || !strings.Contains(string(res.Body), c.says) {
			t.Errorf("%.80s: %d %s; want %d naming %q and saying %q", c.body, res.Status, res.Body, c.status, c.param, c.says)
		}
	}
	body, _ := form(t, [2]string{"display_name", "Fine"})
	if res := api(t, app, http.MethodPatch, "/v1/merchant", body, "Content-Type", "text/plain"); res.Status != 400 || errorParam(t, res) != "Content-Type" {
		t.Errorf("a text/plain body: %d %s, want 400 naming Content-Type", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodPatch, "/v1/merchant?display_name=Other", map[string]any{"display_name": "Fine"}); res.Status != 422 || errorParam(t, res) != "display_name" {
		t.Errorf("a query parameter on PATCH: %d %s, want 422 naming display_name", res.Status, res.Body)
	}
	if after := getMerchant(t, app); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused changes changed the merchant:\n%v\n%v", before, after)
	}
	if n := merchantDeliveries(t, app, testKey, checkout.WebhookMerchantUpdated); n != 0 {
		t.Fatalf("refused changes queued %d merchant.updated webhooks", n)
	}
}

// Branding changed over the API is on the next checkout page: a logo
// uploaded as a multipart file part (with the accent colour, display name
// and support contacts as form values), then replaced by a base64 one in
// JSON (the old one is no longer served), then removed with "logo": null
// and with an empty logo part. The support line (a mailto: link, and the
// support page in a new tab without opener or referrer) is on the
// checkout page and on the result page. Bodies over the limit are a 413
// naming logo; a logo part over 100 KB a 422.
func TestMerchantBrandingOnTheNextCheckoutPage(t *testing.T) {
	app := MustApp(t, nil)
	png := testPNG(t, 320, 64)
	res := patchForm(t, app, [2]string{"display_name", "Corner Café"}, [2]string{"accent_color", "#1a5e3a"}, [2]string{"logo", string(png)},
		[2]string{"support_email", "help@corner.example"}, [2]string{"support_url", "https://corner.example/help/"})
	if res.Status != http.StatusOK {
		t.Fatalf("multipart PATCH: %d %s", res.Status, res.Body)
	}
	sum := sha256.Sum256(png)
	sha := hex.EncodeToString(sum[:])
	logo := res.JSON(t)["branding"].(map[string]any)["logo"]
	want := map[string]any{"url": app.URL + "/logos/" + sha + ".png", "content_type": "image/png", "width": float64(320), "height": float64(64), "sha256": sha}
	if !reflect.DeepEqual(logo, want) {
		t.Fatalf("logo %v, want %v", logo, want)
	}

	page := func() (string, response) {
		t.Helper()
		id := mustCreateSession(t, app, validSession())["id"].(string)
		return id, do(t, http.MethodGet, app.URL+"/c/"+id, nil)
	}
	id, res := page()
	d := doc(t, res)
	if src, _ := testid(d, "merchant-logo").Attr("src"); src != "/logos/"+sha+".png" {
		t.Errorf("logo on the page: %q", src)
	}
	if style := d.Find("head style").Text(); !strings.Contains(style, "--accent:#1a5e3a") {
		t.Errorf("accent style %q", style)
	}
	if name := d.Find(".summary .merchant bdi").Text(); name != "Corner Café" {
		t.Errorf("name on the page %q", name)
	}
	checkSupport := func(where string, res response) {
		t.Helper()
		d := doc(t, res)
		line := testid(d, "merchant-support")
		if !strings.Contains(line.Text(), "Questions about this payment? Contact") || !strings.Contains(line.Text(), "Corner Café") {
			t.Errorf("%s: support line %q", where, line.Text())
		}
		mail := testid(d, "support-email")
		if href, _ := mail.Attr("href"); href != "mailto:help@corner.example" || mail.Text() != "help@corner.example" {
			t.Errorf("%s: support email link %q %q", where, href, mail.Text())
		}
		link := testid(d, "support-url")
		href, _ := link.Attr("href")
		rel, _ := link.Attr("rel")
		target, _ := link.Attr("target")
		if href != "https://corner.example/help/" || link.Text() != "corner.example/help" || target != "_blank" ||
			!slices.Contains(strings.Fields(rel), "noopener") || !slices.Contains(strings.Fields(rel), "noreferrer") {
			t.Errorf("%s: support page link %q %q target %q rel %q", where, href, link.Text(), target, rel)
		}
		if p := res.Header.Get("Referrer-Policy"); p != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", where, p)
		}
	}
	checkSupport("checkout page", res)
	// The result page (an expired session) shows it too.
	if r := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+id+"/expire", nil); r.Status != 200 {
		t.Fatalf("expire: %d %s", r.Status, r.Body)
	}
	status := do(t, http.MethodGet, app.URL+"/c/"+id, nil)
	if status.Status != http.StatusSeeOther {
		t.Fatalf("an expired session's page: %d", status.Status)
	}
	checkSupport("result page", do(t, http.MethodGet, app.URL+status.Header.Get("Location"), nil))

	// A base64 JPEG in JSON replaces it; the old logo is no longer served.
	jpeg := testJPEG(t, 64, 32)
	res = api(t, app, http.MethodPatch, "/v1/merchant", map[string]any{"logo_base64": base64.StdEncoding.EncodeToString(jpeg)})
	if res.Status != http.StatusOK {
		t.Fatalf("base64 PATCH: %d %s", res.Status, res.Body)
	}
	sum = sha256.Sum256(jpeg)
	jpegURL := "/logos/" + hex.EncodeToString(sum[:]) + ".jpg"
	if got := res.JSON(t)["branding"].(map[string]any)["logo"].(map[string]any)["url"]; got != app.URL+jpegURL {
		t.Errorf("base64 logo url %v", got)
	}
	_, res = page()
	if src, _ := testid(doc(t, res), "merchant-logo").Attr("src"); src != jpegURL {
		t.Errorf("logo on the next page: %q, want %q", src, jpegURL)
	}
	if r := do(t, http.MethodGet, app.URL+"/logos/"+sha+".png", nil); r.Status != 404 {
		t.Errorf("the replaced logo: %d", r.Status)
	}

	// Removed in JSON, set again, removed by an empty part.
	for _, remove := range []func() response{
		func() response { return api(t, app, http.MethodPatch, "/v1/merchant", `{"logo":null}`) },
		func() response { return patchForm(t, app, [2]string{"logo", ""}) },
	} {
		res = remove()
		if res.Status != http.StatusOK || res.JSON(t)["branding"].(map[string]any)["logo"] != nil {
			t.Fatalf("remove the logo: %d %s", res.Status, res.Body)
		}
		_, res = page()
		if testid(doc(t, res), "merchant-logo").Length() != 0 {
			t.Error("a removed logo is still on the page")
		}
		if r := patchForm(t, app, [2]string{"logo", string(png)}); r.Status != http.StatusOK {
			t.Fatalf("set the logo again: %d %s", r.Status, r.Body)
		}
	}

	// Limits and malformed forms change nothing.
	before := getMerchant(t, app)
	big, ct := form(t, [2]string{"display_name", strings.Repeat("x", 200<<10)})
	if r := api(t, app, http.MethodPatch, "/v1/merchant", big, "Content-Type", ct); r.Status != http.StatusRequestEntityTooLarge || errorParam(t, r) != "logo" {
		t.Errorf("a 200 KiB body: %d %s", r.Status, r.Body)
	}
	bigLogo := string(append(testPNG(t, 2, 2), make([]byte, 150<<10)...))
	for _, c := range []struct {
		parts  [][2]string
		status int
		param  string
	}{
		{[][2]string{{"logo", bigLogo}}, 422, "logo"},
		{[][2]string{{"logo", "<svg/>"}}, 422, "logo"},
		{[][2]string{{"display_name", "Fine"}, {"colour", "blue"}}, 422, "colour"},
		{[][2]string{{"display_name", "A"}, {"display_name", "B"}}, 400, "display_name"},
		{[][2]string{{"logo_base64", "AAAA"}}, 422, "logo_base64"},
		{[][2]string{{"display_name", "Fine"}, {"accent_color", "#ffff00"}}, 422, "accent_color"},
		{[][2]string{{"return_origins", "https://a.test"}, {"return_origins", "https://*.test"}}, 422, "return_origins[1]"},
		{[][2]string{{"return_origins", ""}}, 422, "return_origins"},
	} {
		if r := patchForm(t, app, c.parts...); r.Status != c.status || errorParam(t, r) != c.param {
			t.Errorf("%.60v: %d %s; want %d naming %s", c.parts, r.Status, r.Body, c.status, c.param)
		}
	}
	if r := api(t, app, http.MethodPatch, "/v1/merchant", []byte("--x\r\nnot a part"), "Content-Type", "multipart/form-data; boundary=x"); r.Status != 400 {
		t.Errorf("a broken multipart body: %d %s", r.Status, r.Body)
	}
	if after := getMerchant(t, app); !reflect.DeepEqual(after, before) {
		t.Errorf("refused forms changed the merchant:\n%v\n%v", before, after)
	}
	// Origins as repeated parts.
	if r := patchForm(t, app, [2]string{"embed_origins", "https://a.test"}, [2]string{"embed_origins", "https://b.test"}); r.Status != 200 ||
		!reflect.DeepEqual(r.JSON(t)["embed_origins"], []any{"https://a.test", "https://b.test"}) {
		t.Errorf("repeated origins: %d %s", r.Status, r.Body)
	}
}

// Every PATCH that changes something is one merchant.updated webhook,
// queued with the change to the merchant's endpoints that enabled it,
// signed as every webhook, carrying the merchant object as it is after
// the change (never a key); a PATCH that changes nothing is none.
func TestMerchantUpdatedWebhook(t *testing.T) {
	app := MustApp(t, nil)
	rcv := withEndpoint(t, app)
	onlyPayments := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "https://shop.test/hooks",
		"enabled_events": []string{"payment.succeeded"}})
	if onlyPayments.Status != 201 {
		t.Fatalf("endpoint: %d %s", onlyPayments.Status, onlyPayments.Body)
	}
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "https://shop.test/merchant-hooks",
		"enabled_events": []string{"merchant.updated", "merchant.key_rotated"}}); res.Status != 201 {
		t.Fatalf("an endpoint for the merchant events: %d %s", res.Status, res.Body)
	}
	for range 2 { // the second changes nothing
		if res := api(t, app, http.MethodPatch, "/v1/merchant", map[string]any{"display_name": "Corner Café", "support_email": "help@corner.example"}); res.Status != 200 {
			t.Fatalf("PATCH: %d %s", res.Status, res.Body)
		}
	}
	var got map[string]any
	eventually(t, "the merchant.updated webhook", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		for _, e := range rcv.events {
			if e["type"] == checkout.WebhookMerchantUpdated {
				got = e
				return true
			}
		}
		return false
	})
	data := got["data"].(map[string]any)
	if data["object"] != "merchant" || data["id"] != web.DemoMerchantID || data["display_name"] != "Corner Café" || data["support_email"] != "help@corner.example" {
		t.Errorf("merchant.updated data: %v", data)
	}
	raw, _ := json.Marshal(got)
	if bytes.Contains(raw, []byte("sk_")) || bytes.Contains(raw, []byte(checkout.HashAPIKey(testKey))) {
		t.Errorf("the webhook carries a key: %s", raw)
	}
	// One delivery per endpoint that enabled it: this one and the
	// merchant-events one; none to the payments-only endpoint.
	if n := merchantDeliveries(t, app, testKey, checkout.WebhookMerchantUpdated); n != 2 {
		t.Errorf("%d merchant.updated deliveries, want 2 (one change, two endpoints that enabled it)", n)
	}
	time.Sleep(200 * time.Millisecond)
	rcv.mu.Lock()
	n := 0
	for _, e := range rcv.events {
		if e["type"] == checkout.WebhookMerchantUpdated {
			n++
		}
	}
	bad := rcv.bad
	rcv.mu.Unlock()
	if n != 1 || bad != 0 {
		t.Errorf("the receiver got %d merchant.updated webhooks (%d badly signed), want 1", n, bad)
	}
}

// A merchant rotates its secret key without a failed request: clients keep
// calling the API with the old key while the rotation happens, then switch
// to the new key at their own pace; every request succeeds. Once the
// overlap has passed (on the injected clock) the old key gets 401 and the
// new one still works. The new key is answered once, in the merchant's
// mode, with no-store; its merchant.key_rotated webhook carries no key.
// Concurrent rotations from one key: one wins, the others get 409, as
// does a rotation with a key already rotated out (which cannot change the
// merchant's settings either: 403). A bad expire_previous_in
// is a 422 naming it and rotates nothing; 0 stops the old key at once.
func TestRotateKeyWithoutAFailedRequest(t *testing.T) {
	var mu sync.Mutex
	var offset time.Duration
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	advance := func(d time.Duration) { mu.Lock(); offset += d; mu.Unlock() }
	app := MustApp(t, nil, func(c *web.Config) { c.APILimitPerSecond, c.ReconcileInterval, c.Now = 0, 50*time.Millisecond, clock })
	hooks := &hookLog{}
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": srv.URL, "enabled_events": []string{"merchant.key_rotated"}}); res.Status != 201 {
		t.Fatalf("endpoint: %d %s", res.Status, res.Body)
	}

	// Clients: each request uses the key deployed at the time.
	var deployed atomic.Value
	deployed.Store(testKey)
	var stop atomic.Bool
	var failures []string
	var fmu sync.Mutex
	perKey := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				key := deployed.Load().(string)
				var res response
				if (w+i)%4 == 0 {
					res = merchantAPI(t, app, key, http.MethodPost, "/v1/checkout/sessions", validSession())
				} else {
					res = merchantAPI(t, app, key, http.MethodGet, "/v1/merchant", nil)
				}
				fmu.Lock()
				perKey[key]++
				if res.Status != http.StatusOK && res.Status != http.StatusCreated {
					failures = append(failures, fmt.Sprintf("%d %s", res.Status, res.Body))
				}
				fmu.Unlock()
			}
		})
	}
	requests := func(key string) int { fmu.Lock(); defer fmu.Unlock(); return perKey[key] }
	waitFor := func(key string, n int) {
		t.Helper()
		eventually(t, fmt.Sprintf("%d requests with a key", n), func() bool { return requests(key) >= n })
	}

	waitFor(testKey, 20)
	res := merchantAPI(t, app, testKey, http.MethodPost, "/v1/merchant/keys/rotate", map[string]any{"expire_previous_in": 3600})
	if res.Status != http.StatusOK {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	rotated := res.JSON(t)
	newKey, _ := rotated["secret"].(string)
	expires, _ := rotated["previous_expires_at"].(float64)
	if rotated["object"] != "api_key" || !strings.HasPrefix(newKey, checkout.TestKeyPrefix) || !checkout.LooksLikeSecretKey(newKey) ||
		rotated["livemode"] != false || int64(expires) < clock().Add(3599*time.Second).Unix() || int64(expires) > clock().Add(3601*time.Second).Unix() {
		t.Errorf("rotation answer: %v", rotated)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("rotation answer Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	// The old key is still deployed for a while, then the new one.
	oldAfter := requests(testKey)
	waitFor(testKey, oldAfter+20)
	deployed.Store(newKey)
	waitFor(newKey, 20)
	stop.Store(true)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d requests failed during the rotation, the first: %s", len(failures), failures[0])
	}
	t.Logf("%d requests with the old key, %d with the new one", requests(testKey), requests(newKey))

	// After the overlap: the old key is refused, the new one works.
	advance(3601 * time.Second)
	if r := merchantAPI(t, app, testKey, http.MethodGet, "/v1/merchant", nil); r.Status != 401 {
		t.Fatalf("the old key after the overlap: %d", r.Status)
	}
	if r := merchantAPI(t, app, newKey, http.MethodGet, "/v1/merchant", nil); r.Status != 200 {
		t.Fatalf("the new key after the overlap: %d", r.Status)
	}

	// Its webhook: merchant.key_rotated, no key in it.
	var hook arrived
	eventually(t, "the merchant.key_rotated webhook", func() bool {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		for _, a := range hooks.got {
			if bytes.Contains(a.body, []byte(`"type":"merchant.key_rotated"`)) {
				hook = a
				return true
			}
		}
		return false
	})
	var e struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(hook.body, &e)
	if e.Data["object"] != "api_key" || e.Data["secret"] != nil || int64(e.Data["previous_expires_at"].(float64)) != int64(expires) ||
		bytes.Contains(hook.body, []byte("sk_")) || bytes.Contains(hook.body, []byte(checkout.HashAPIKey(newKey))) {
		t.Errorf("merchant.key_rotated webhook: %s", hook.body)
	}

	// A bad expire_previous_in rotates nothing.
	for _, body := range []string{`{"expire_previous_in":-1}`, `{"expire_previous_in":604801}`, `{"expire_previous_in":"1h"}`,
		`{"expire_previous_in":1.5}`, `{"expire_previous_in":99999999999999999999}`} {
		if r := merchantAPI(t, app, newKey, http.MethodPost, "/v1/merchant/keys/rotate", body); r.Status != 422 || errorParam(t, r) != "expire_previous_in" {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	if r := merchantAPI(t, app, newKey, http.MethodPost, "/v1/merchant/keys/rotate", `{"expire":1}`); r.Status != 422 || errorParam(t, r) != "expire" {
		t.Errorf("an unknown field: %d %s", r.Status, r.Body)
	}
	if r := merchantAPI(t, app, newKey, http.MethodGet, "/v1/merchant", nil); r.Status != 200 {
		t.Fatalf("refused rotations changed the key: %d", r.Status)
	}

	// Five rotations at once from the same key: one wins.
	var won []string
	var conflicts int
	var rwg sync.WaitGroup
	var rmu sync.Mutex
	for range 5 {
		rwg.Go(func() {
			r := merchantAPI(t, app, newKey, http.MethodPost, "/v1/merchant/keys/rotate", nil)
			rmu.Lock()
			defer rmu.Unlock()
			switch r.Status {
			case 200:
				won = append(won, r.JSON(t)["secret"].(string))
			case 409:
				conflicts++
			default:
				t.Errorf("a concurrent rotation: %d %s", r.Status, r.Body)
			}
		})
	}
	rwg.Wait()
	if len(won) != 1 || conflicts != 4 {
		t.Fatalf("5 concurrent rotations: %d won, %d conflicts; want 1 and 4", len(won), conflicts)
	}
	third := won[0]
	// The default overlap keeps newKey working; it cannot rotate again.
	if r := merchantAPI(t, app, newKey, http.MethodGet, "/v1/merchant", nil); r.Status != 200 {
		t.Fatalf("the previous key during the default overlap: %d", r.Status)
	}
	if r := merchantAPI(t, app, newKey, http.MethodPost, "/v1/merchant/keys/rotate", nil); r.Status != 409 {
		t.Fatalf("a rotation with the previous key: %d %s", r.Status, r.Body)
	}
	// Nor change the merchant's settings; the current key can.
	if r := merchantAPI(t, app, newKey, http.MethodPatch, "/v1/merchant", `{"support_url":"https://evil.test/"}`); r.Status != 403 {
		t.Fatalf("a settings change with the previous key: %d %s", r.Status, r.Body)
	}
	if r := merchantAPI(t, app, third, http.MethodPatch, "/v1/merchant", `{"support_url":"https://shop.test/help"}`); r.Status != 200 {
		t.Fatalf("a settings change with the current key: %d %s", r.Status, r.Body)
	}
	// expire_previous_in 0: the key it replaces stops now.
	r := merchantAPI(t, app, third, http.MethodPost, "/v1/merchant/keys/rotate", `{"expire_previous_in":0}`)
	if r.Status != 200 {
		t.Fatalf("rotate with no overlap: %d %s", r.Status, r.Body)
	}
	fourth := r.JSON(t)["secret"].(string)
	for key, want := range map[string]int{third: 401, newKey: 401, fourth: 200} {
		if r := merchantAPI(t, app, key, http.MethodGet, "/v1/merchant", nil); r.Status != want {
			t.Errorf("key %.12s…: %d, want %d", key, r.Status, want)
		}
	}
}
