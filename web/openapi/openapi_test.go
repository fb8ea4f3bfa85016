package openapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web/openapi"
)

func mustLoad(t *testing.T) *openapi.Doc {
	t.Helper()
	d, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The embedded document parses as OpenAPI 3.1 and validates; the JSON it
// is served as parses and validates again, names the server given, and
// keeps the 3.1 parts (type arrays with "null", the webhooks section).
func TestDocumentLoadsAndServesAsJSON(t *testing.T) {
	d := mustLoad(t)
	raw, err := d.JSON("https://pay.example")
	if err != nil {
		t.Fatal(err)
	}
	again, err := openapi.Parse(raw)
	if err != nil {
		t.Fatalf("the served JSON does not parse: %v", err)
	}
	var doc struct {
		OpenAPI  string                     `json:"openapi"`
		Servers  []struct{ URL string }     `json:"servers"`
		Webhooks map[string]json.RawMessage `json:"webhooks"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "https://pay.example" {
		t.Fatalf("openapi %q, servers %+v", doc.OpenAPI, doc.Servers)
	}
	if !bytes.Contains(raw, []byte(`"null"`)) {
		t.Fatal(`the served JSON lost its "null" types`)
	}
	if got := again.WebhookTypes(); !slices.Equal(got, d.WebhookTypes()) || len(got) == 0 {
		t.Fatalf("webhooks after a round trip: %v, want %v", got, d.WebhookTypes())
	}
}

// A broken document is refused: not YAML, not 3.1, a dangling reference,
// an operation without an operationId.
func TestBrokenDocumentsAreRefused(t *testing.T) {
	const ok = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /v1/x:\n    get:\n      operationId: x\n      responses: {'200': {description: ok}}\n"
	if _, err := openapi.Parse([]byte(ok)); err != nil {
		t.Fatalf("the minimal document is refused: %v", err)
	}
	for name, doc := range map[string]string{
		"not yaml":        "openapi: [3.1.0\n",
		"3.0":             strings.Replace(ok, "3.1.0", "3.0.3", 1),
		"dangling ref":    strings.Replace(ok, "{'200': {description: ok}}", "{'200': {$ref: '#/components/responses/Nope'}}", 1),
		"no operationId":  strings.Replace(ok, "operationId: x\n      ", "", 1),
		"bad schema type": strings.Replace(ok, "{'200': {description: ok}}", "{'200': {description: ok, content: {application/json: {schema: {type: objekt}}}}}", 1),
	} {
		if _, err := openapi.Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Every webhook type the server sends is in the webhooks section, and
// nothing else is.
func TestWebhooksSectionListsEveryEventType(t *testing.T) {
	want := slices.Sorted(slices.Values(checkout.WebhookEventTypes))
	if got := mustLoad(t).WebhookTypes(); !slices.Equal(got, want) {
		t.Fatalf("webhooks section %v, want %v", got, want)
	}
}

// QueryParams gives each operation, in the route table's path form, the
// query parameters it lists.
func TestQueryParams(t *testing.T) {
	q := mustLoad(t).QueryParams()
	if got := q[openapi.Operation{Method: http.MethodGet, Path: "/v1/webhook_deliveries"}]; !slices.Equal(got,
		[]string{"ending_before", "endpoint", "event", "limit", "outcome", "starting_after"}) {
		t.Fatalf("GET /v1/webhook_deliveries takes %v", got)
	}
	// Bracketed names are listed literally, as the server matches them.
	if got := q[openapi.Operation{Method: http.MethodGet, Path: "/v1/checkout/sessions"}]; !slices.Contains(got, "created[gte]") ||
		!slices.Contains(got, "created[lte]") || slices.Contains(got, "created") {
		t.Fatalf("GET /v1/checkout/sessions takes %v", got)
	}
	got, ok := q[openapi.Operation{Method: http.MethodGet, Path: "/v1/payments/:id"}]
	if !ok || len(got) != 0 {
		t.Fatalf("GET /v1/payments/:id: %v (listed %v)", got, ok)
	}
}

// Check reports what does not match and only that: an answer with an
// undocumented field or status, an undocumented route answered 200, a
// request the document refuses answered 2xx.
func TestCheckReportsMismatches(t *testing.T) {
	d := mustLoad(t)
	const refund = `{"id":"re_abc","object":"refund","livemode":false,"payment_id":"pay_abc","session_id":"cs_abc","status":"succeeded","amount":500,"currency":"USD","created_at":1700000000}`
	const errBody = `{"error":{"type":"invalid_request_error","code":"not_found","message":"No such payment.","request_id":"req_abcdefghijklmnop"}}`
	const deliveries = `{"object":"list","data":[],"has_more":false,"url":"/v1/webhook_deliveries"}`
	const merchant = `{"id":"mer_abc","object":"merchant","livemode":false,"name":"Shop","display_name":"","branding":{"accent_color":"","logo":null},` +
		`"return_origins":["https://shop.test"],"embed_origins":[],"default_provider":"payorder","support_email":"","support_url":"","created_at":1700000000}`
	form := func(parts ...string) string {
		var b strings.Builder
		for i := 0; i+1 < len(parts); i += 2 {
			b.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + parts[i] + "\"\r\n\r\n" + parts[i+1] + "\r\n")
		}
		return b.String() + "--b--\r\n"
	}
	cases := []struct {
		name, method, target, body string
		status                     int
		answer                     string
		auth                       bool
		want                       string // "" when it matches
		contentType                string // application/json when there is a body and this is ""
	}{
		{"documented 404", "GET", "/v1/payments/pay_abc", "", 404, errBody, true, "", ""},
		{"undocumented status", "GET", "/v1/payments/pay_abc", "", 409, errBody, true, "409", ""},
		{"error without request_id", "GET", "/v1/payments/pay_abc", "", 404, `{"error":{"type":"invalid_request_error","code":"not_found","message":"x"}}`, true, "request_id", ""},
		{"404 code under another name", "GET", "/v1/payments/pay_abc", "", 404, strings.Replace(errBody, "not_found", "conflict", 1), true, "code", ""},
		{"no such route, 404", "GET", "/v1/nothing", "", 404, errBody, true, "", ""},
		{"no such route, 200", "GET", "/v1/nothing", "", 200, `{}`, true, "not an operation", ""},
		{"wrong method, 405", "PUT", "/v1/payments/pay_abc", "", 405, strings.Replace(errBody, "not_found", "malformed_request", 1), true, "", ""},
		{"refused request answered 4xx", "POST", "/v1/payments/pay_abc/refunds", `{"amount":"x"}`, 422, strings.Replace(errBody, "not_found", "invalid_request", 1), true, "", ""},
		{"refused request answered 2xx", "POST", "/v1/payments/pay_abc/refunds", `{"amont":5}`, 201, refund, true, "refuses", ""},
		{"unknown query answered 2xx", "GET", "/v1/webhook_deliveries?limt=5", "", 200, deliveries, true, "limt", ""},
		{"no key answered 2xx", "GET", "/v1/webhook_deliveries", "", 200, deliveries, false, "refuses", ""},
		{"list", "GET", "/v1/webhook_deliveries?limit=5&outcome=failed", "", 200, deliveries, true, "", ""},
		{"extra field in an answer", "GET", "/v1/webhook_deliveries", "", 200, strings.Replace(deliveries, "}", `,"total_count":0}`, 1), true, "total_count", ""},
		{"list without has_more", "GET", "/v1/webhook_deliveries", "", 200, `{"object":"list","data":[],"url":"/v1/webhook_deliveries"}`, true, "has_more", ""},
		{"bracketed parameter", "GET", "/v1/checkout/sessions?created%5Bgte%5D=1700000000&created[lte]=1700086399", "", 200,
			strings.Replace(deliveries, "webhook_deliveries", "checkout/sessions", 1), true, "", ""},
		{"bracketed parameter of the wrong type answered 2xx", "GET", "/v1/checkout/sessions?created%5Bgte%5D=yesterday", "", 200,
			strings.Replace(deliveries, "webhook_deliveries", "checkout/sessions", 1), true, "refuses", ""},
		{"multipart PATCH", "PATCH", "/v1/merchant", form("accent_color", "#1a5e3a", "return_origins", "https://a.test", "return_origins", "https://b.test", "logo", "\x89PNG"),
			200, merchant, true, "", "multipart/form-data; boundary=b"},
		{"multipart unknown part answered 2xx", "PATCH", "/v1/merchant", form("colour", "#1a5e3a"), 200, merchant, true, "refuses", "multipart/form-data; boundary=b"},
		{"multipart repeated scalar answered 2xx", "PATCH", "/v1/merchant", form("accent_color", "#1a5e3a", "accent_color", "#000000"), 200, merchant, true, "refuses", "multipart/form-data; boundary=b"},
		{"text/plain PATCH answered 2xx", "PATCH", "/v1/merchant", "accent_color=#1a5e3a", 200, merchant, true, "refuses", "text/plain"},
		{"JSON PATCH clearing", "PATCH", "/v1/merchant", `{"logo":null,"support_url":null,"embed_origins":null}`, 200, merchant, true, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var reports []error
			h := d.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-Id", "req_abcdefghijklmnop")
				w.WriteHeader(c.status)
				w.Write([]byte(c.answer))
			}), func(err error) { reports = append(reports, err) })
			req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			} else if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.auth {
				req.Header.Set("Authorization", "Bearer sk_test_x")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status || rec.Body.String() != c.answer {
				t.Fatalf("the answer was changed: %d %s", rec.Code, rec.Body)
			}
			switch {
			case c.want == "" && len(reports) > 0:
				t.Fatalf("reported: %v", reports)
			case c.want != "" && (len(reports) != 1 || !strings.Contains(reports[0].Error(), c.want)):
				t.Fatalf("reports %v, want one naming %q", reports, c.want)
			}
		})
	}
}

// CheckWebhook validates a webhook's headers and body by its type.
func TestCheckWebhook(t *testing.T) {
	d := mustLoad(t)
	h := http.Header{"Content-Type": {"application/json"}, "Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {"1700000000"}, "Webhook-Signature": {"v1,YWJj"}}
	refund := `{"id":"re_abc","object":"refund","livemode":false,"payment_id":"pay_abc","session_id":"cs_abc","status":"succeeded","amount":500,"currency":"USD","created_at":1700000000}`
	body := `{"type":"refund.succeeded","timestamp":"2023-11-14T22:13:20Z","data":` + refund + `}`
	if err := d.CheckWebhook(h, []byte(body)); err != nil {
		t.Fatal(err)
	}
	rotated := `{"type":"merchant.key_rotated","timestamp":"2023-11-14T22:13:20Z","data":{"object":"api_key","livemode":false,"created_at":1700000000,"previous_expires_at":1700086400}}`
	if err := d.CheckWebhook(h, []byte(rotated)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		h    http.Header
		body string
	}{
		"unknown type":       {h, strings.Replace(body, "refund.succeeded", "refund.maybe", 1)},
		"wrong object":       {h, strings.Replace(body, `"status":"succeeded"`, `"status":"done"`, 1)},
		"no signature":       {http.Header{"Content-Type": {"application/json"}, "Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {"1700000000"}}, body},
		"missing livemode":   {h, strings.Replace(body, `"livemode":false,`, "", 1)},
		"a key in a webhook": {h, strings.Replace(rotated, `"livemode"`, `"secret":"sk_test_abc","livemode"`, 1)},
	} {
		if err := d.CheckWebhook(c.h, []byte(c.body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
