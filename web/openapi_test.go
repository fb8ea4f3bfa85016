package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/openapi"
)

// GET /openapi.json serves the document as JSON without a key, cacheable
// for 5 minutes, with this server's public URL as its server.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	app := sharedApp(t)
	res := do(t, http.MethodGet, app.URL+"/openapi.json", nil)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/json" ||
		res.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("%d, Content-Type %q, Cache-Control %q", res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	doc, err := openapi.Parse(res.Body)
	if err != nil {
		t.Fatalf("the served document does not parse: %v", err)
	}
	var top struct {
		OpenAPI string                 `json:"openapi"`
		Servers []struct{ URL string } `json:"servers"`
	}
	if err := json.Unmarshal(res.Body, &top); err != nil {
		t.Fatal(err)
	}
	if top.OpenAPI != "3.1.0" || len(top.Servers) != 1 || top.Servers[0].URL != app.URL {
		t.Fatalf("openapi %q, servers %+v, want the one server %s", top.OpenAPI, top.Servers, app.URL)
	}
	if len(doc.Operations()) == 0 || len(doc.WebhookTypes()) == 0 {
		t.Fatal("the served document lists no operation or no webhook")
	}
}

// The route table and the document list the same merchant API operations,
// each with its method and path: a route added without its document, or a
// documented one the server lacks, fails here.
func TestDocumentCoversRoutes(t *testing.T) {
	app := sharedApp(t)
	var routes []openapi.Operation
	for _, r := range app.Echo.Routes() {
		if strings.HasPrefix(r.Path, "/v1/") {
			routes = append(routes, openapi.Operation{Method: r.Method, Path: r.Path})
		}
	}
	slices.SortFunc(routes, func(a, b openapi.Operation) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	routes = slices.Compact(routes)
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	documented := doc.Operations()
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s %s is not in web/openapi/openapi.yaml", r.Method, r.Path)
		}
	}
	for _, o := range documented {
		if !slices.Contains(routes, o) {
			t.Errorf("the document lists %s %s, which the server does not route", o.Method, o.Path)
		}
	}
}

// A query parameter an operation does not take is a 422 invalid_request
// naming it, on a GET, on a POST (before any change), misspelt next to a
// good one, and the document's own parameters pass.
func TestUnknownQueryParametersAre422(t *testing.T) {
	app := sharedApp(t)
	s := mustCreateSession(t, app, validSession())
	sid := s["id"].(string)
	for _, c := range []struct {
		method, path, param string
	}{
		{http.MethodGet, "/v1/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?expand=refunds", "expand"},
		{http.MethodGet, "/v1/checkout/sessions/" + sid + "?expand[]=payment", "expand[]"},
		{http.MethodPost, "/v1/checkout/sessions/" + sid + "/expire?force=true", "force"},
		{http.MethodPost, "/v1/checkout/sessions?amount=5", "amount"},
		{http.MethodGet, "/v1/webhook_deliveries?limit=5&limt=5", "limt"},
		{http.MethodGet, "/v1/webhook_deliveries?lim%69t=5&Limit=5", "Limit"},
	} {
		var body any
		if c.method == http.MethodPost && strings.HasPrefix(c.path, "/v1/checkout/sessions?") {
			body = validSession()
		}
		res := api(t, app, c.method, c.path, body)
		e, _ := res.JSON(t)["error"].(map[string]any)
		if res.Status != http.StatusUnprocessableEntity || e["code"] != "invalid_request" || e["param"] != c.param {
			t.Errorf("%s %s: %d %s, want 422 invalid_request naming %q", c.method, c.path, res.Status, res.Body, c.param)
		}
	}
	// The expire above was refused before anything changed.
	if got := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t)["status"]; got != "open" {
		t.Fatalf("the session is %v after a refused expire", got)
	}
	if res := api(t, app, http.MethodGet, "/v1/webhook_deliveries?limit=5", nil); res.Status != http.StatusOK {
		t.Fatalf("a documented query parameter: %d %s", res.Status, res.Body)
	}
	// Without a key, the 401 comes first: nothing is said about the query
	// to a caller who is not a merchant.
	if res := do(t, http.MethodGet, app.URL+"/v1/webhook_deliveries?limt=5", nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("no key, unknown parameter: %d %s", res.Status, res.Body)
	}
}

// The check is really installed, on the merchant's own calls and on the
// demo shop's: an app checked against a document that drifted (a session
// status it does not list) reports the answers that break it, with the
// operation, the status and the reason.
func TestAPICheckCatchesDrift(t *testing.T) {
	drifted := strings.Replace(string(openapi.Source()), "enum: [open, complete, expired, canceled]", "enum: [complete, expired, canceled]", 1)
	if drifted == string(openapi.Source()) {
		t.Fatal("the session status enum is not where this test expects it")
	}
	doc, err := openapi.Parse([]byte(drifted))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reports []string
	app := MustApp(t, nil, func(c *web.Config) {
		c.CheckAPI = func(h http.Handler) http.Handler {
			return doc.Check(h, func(err error) { mu.Lock(); reports = append(reports, err.Error()); mu.Unlock() })
		}
	})
	mustCreateSession(t, app, validSession())
	if res := do(t, http.MethodPost, app.URL+"/demo/checkout", []byte("product=mug"), "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusSeeOther {
		t.Fatalf("demo checkout: %d %s", res.Status, res.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 2 {
		t.Fatalf("%d reports, want 2 (the test's create and the demo shop's): %q", len(reports), reports)
	}
	for _, r := range reports {
		if !strings.Contains(r, "createCheckoutSession") || !strings.Contains(r, "201") || !strings.Contains(r, "/status") {
			t.Errorf("a report without the operation, the status or the field: %s", r)
		}
	}
}

// Every 4xx names the parameter at fault where there is one (issue 15,
// point 8): a value of the wrong JSON type by its whole path (the decoder
// alone says "line_items.quantity" or "metadata"), the Content-Type
// header, a field sent to an endpoint that takes none.
func TestFourHundredsNameTheirParam(t *testing.T) {
	app := sharedApp(t)
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	with := func(k string, v any) map[string]any { s := validSession(); s[k] = v; return s }
	for _, c := range []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		param              string
	}{
		{"item quantity a string", http.MethodPost, "/v1/checkout/sessions",
			with("line_items", []any{map[string]any{"name": "Mug", "quantity": 2, "unit_amount": 1000}, map[string]any{"name": "Beans", "quantity": "1", "unit_amount": 500}}),
			nil, 422, "line_items[1].quantity"},
		{"metadata value a number", http.MethodPost, "/v1/checkout/sessions", with("metadata", map[string]any{"k": 5}), nil, 422, "metadata.k"},
		{"payment method a number", http.MethodPost, "/v1/checkout/sessions", with("payment_methods", []any{"card", 7}), nil, 422, "payment_methods[1]"},
		{"customer an array", http.MethodPost, "/v1/checkout/sessions", with("customer", []any{}), nil, 422, "customer"},
		{"amount a float", http.MethodPost, "/v1/checkout/sessions", `{"amount": 25.5, "currency": "USD"}`, nil, 422, "amount"},
		{"refund amount a string", http.MethodPost, "/v1/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/refunds", `{"amount": "5"}`, nil, 422, "amount"},
		{"text/plain", http.MethodPost, "/v1/checkout/sessions", validSession(), []string{"Content-Type", "text/plain"}, 400, "Content-Type"},
		{"a field to expire", http.MethodPost, "/v1/checkout/sessions/" + sid + "/expire", `{"reason": "sold out"}`, nil, 422, "reason"},
	} {
		res := api(t, app, c.method, c.path, c.body, c.headers...)
		e, _ := res.JSON(t)["error"].(map[string]any)
		if res.Status != c.status || e["param"] != c.param {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, res.Status, res.Body, c.status, c.param)
		}
	}
	if got := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid, nil).JSON(t)["status"]; got != "open" {
		t.Fatalf("the session is %v after a refused expire", got)
	}
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+sid+"/expire", `{}`); res.Status != http.StatusOK {
		t.Fatalf("expire with an empty object: %d %s", res.Status, res.Body)
	}
}
