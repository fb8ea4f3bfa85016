package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Issue 12, defect 9: the merchant API's one JSON decoder refuses what
// encoding/json would quietly accept: a key given twice (the last would
// win) at any depth, and a name that only case- or Unicode-folds to a
// field ("Amount", "ſuccess_url" with U+017F LONG S), each a 400 with a code of its own and the key in param,
// on every endpoint that reads a body. A name that is no field at all
// stays a 422, and exact names still work.
func TestAPIDecoderRefusesDuplicateAndFoldedKeys(t *testing.T) {
	app := sharedApp(t)
	const valid = `"amount":2500,"currency":"USD","success_url":"https://shop.test/ok"`
	payment := "/v1/payments/" + checkout.PrefixPayment + strings.Repeat("a", 32)
	tests := []struct {
		name, path, body string
		status           int
		code, param      string
	}{
		{"duplicate key", "/v1/checkout/sessions", `{` + valid + `,"amount":1}`, 400, "duplicate_key", "amount"},
		{"duplicate key, same value", "/v1/checkout/sessions", `{` + valid + `,"currency":"USD"}`, 400, "duplicate_key", "currency"},
		{"duplicate nested key", "/v1/checkout/sessions", `{` + valid + `,"customer":{"email":"a@shop.test","email":"b@shop.test"}}`, 400, "duplicate_key", "customer.email"},
		{"duplicate key in an array's object", "/v1/checkout/sessions", `{` + valid + `,"line_items":[{"name":"Mug","name":"Yacht","quantity":1,"unit_amount":2500}]}`, 400, "duplicate_key", "line_items[0].name"},
		{"duplicate metadata key", "/v1/checkout/sessions", `{` + valid + `,"metadata":{"k":"1","k":"2"}}`, 400, "duplicate_key", "metadata.k"},
		{"case-folded name", "/v1/checkout/sessions", `{` + valid + `,"Amount":1}`, 400, "field_name_mismatch", "Amount"},
		{"case-folded name alone", "/v1/checkout/sessions", `{"AMOUNT":2500,"currency":"USD","success_url":"https://shop.test/ok"}`, 400, "field_name_mismatch", "AMOUNT"},
		{"Unicode-folded name (long s)", "/v1/checkout/sessions", `{` + valid + `,"ſuccess_url":"https://evil.test/"}`, 400, "field_name_mismatch", "ſuccess_url"},
		{"Unicode-folded name (long s, second key)", "/v1/checkout/sessions", `{` + valid + `,"ſetup_recurring":true}`, 400, "field_name_mismatch", "ſetup_recurring"},
		{"case-folded nested name", "/v1/checkout/sessions", `{` + valid + `,"customer":{"Email":"b@shop.test"}}`, 400, "field_name_mismatch", "customer.Email"},
		{"refund: duplicate amount", payment + "/refunds", `{"amount":1,"amount":100000}`, 400, "duplicate_key", "amount"},
		{"refund: folded amount", payment + "/refunds", `{"AMOUNT":1}`, 400, "field_name_mismatch", "AMOUNT"},
		{"recurring: duplicate amount", "/v1/recurring_charges", `{"parent_payment":"pay_x","amount":1,"amount":2}`, 400, "duplicate_key", "amount"},
		{"recurring: folded name", "/v1/recurring_charges", `{"Parent_Payment":"pay_x","amount":1}`, 400, "field_name_mismatch", "Parent_Payment"},
		{"a name that is no field", "/v1/checkout/sessions", `{` + valid + `,"amount_x":1}`, 422, "invalid_request", "amount_x"},
		{"nested too deep", "/v1/checkout/sessions", `{` + valid + `,"metadata":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`, 400, "malformed_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := api(t, app, http.MethodPost, tt.path, tt.body)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			e, _ := res.JSON(t)["error"].(map[string]any)
			if e["code"] != tt.code || e["type"] != "invalid_request_error" {
				t.Fatalf("error %v, want code %s", e, tt.code)
			}
			if p, _ := e["param"].(string); p != tt.param {
				t.Fatalf("param %q, want %q (%s)", p, tt.param, e["message"])
			}
		})
	}
	// The exact names, each once, still make a session with what was sent.
	res := api(t, app, http.MethodPost, "/v1/checkout/sessions", `{`+valid+`,"customer":{"email":"a@shop.test"},"metadata":{"K":"1","k":"2"}}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("a valid body: %d %s", res.Status, res.Body)
	}
	got := res.JSON(t)
	if got["amount"] != float64(2500) || got["success_url"] != "https://shop.test/ok" {
		t.Fatalf("created %v", got)
	}
	if md, _ := got["metadata"].(map[string]any); md["K"] != "1" || md["k"] != "2" {
		t.Fatalf("metadata keys that differ in case are two keys: %v", got["metadata"])
	}
}
