package handlers

// Fuzz target for the merchant API's strict JSON decoder (SECURITY.md R40),
// with the session-create and refund bodies as destinations. The session
// parameters it yields are validated by FuzzSessionParams in package
// checkout.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// fuzzDecode runs decodeJSON over body as a POST with the given Content-Type
// ("" sends none).
func fuzzDecode(body []byte, contentType string, dst any) error {
	req := httptest.NewRequest(http.MethodPost, "/v1/checkout/sessions", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	c := echo.New().NewContext(req, httptest.NewRecorder())
	return decodeJSON(c, dst)
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []struct {
		body, contentType string
		refund            bool
	}{
		{`{"amount":1234,"currency":"usd","success_url":"https://shop.example/ok"}`, "application/json", false},
		{`{"amount":2500,"currency":"EUR","merchant_reference":"o2","line_items":[{"name":"T-shirt","quantity":2,"unit_amount":1250}],` +
			`"customer":{"email":"ada@example.com","reference":"cust_1"},"locale":"de-DE","success_url":"https://shop.example/ok",` +
			`"cancel_url":"https://shop.example/cancel","payment_methods":["card","wallet","saved_card"],"provider":"worldline",` +
			`"capture_mode":"manual","three_ds":"challenge_requested","setup_recurring":true,"expires_at":1773504566,"metadata":{"k":"v"}}`,
			"application/json; charset=utf-8", false},
		{`{"amount":"12"}`, "application/json", false},
		{`{"amount":12.5}`, "", false},
		{`{"amount":1e400}`, "application/json", false},
		{`{"line_items":{"name":"x"}}`, "application/json", false},
		{`{"metadata":{"k":1}}`, "application/json", false},
		{`{"amount":1,"nope":true}`, "application/json", false},
		{`{"amount":1}{"amount":2}`, "application/json", false},
		{`{"amount":1`, "application/json", false},
		{`[]`, "application/json", false},
		{`"text"`, "application/json", false},
		{`   `, "application/json", false},
		{`{"amount":1}`, "text/plain", false},
		{`{"amount":1}`, "application/json; charset", false},
		{"{\"currency\":\"\xff\xfe\"}", "application/json", false},
		{`{"amount":100}`, "application/json", true},
		{`{}`, "", true},
		{`{"amount":-1,"amount":2}`, "application/json", true},
		{`{"Amount":5}`, "application/json", true},
		// Found by fuzzing: a stray closing bracket, and null as the body.
		{`{"amount":5}}`, "application/json", false}, {`{"amount":5}]`, "application/json", true}, {`null`, "application/json", true},
		// An empty key; duplicate and folded keys (400s of their own).
		{`{""`, "", true}, {`{"":1}`, "application/json", false}, {`{"customer":{"":1}}`, "application/json", false},
		{`{"metadata":{"k":"1","k":"2"}}`, "application/json", false}, {`{"ſuccess_url":"https://evil.example/"}`, "application/json", false},
	} {
		f.Add([]byte(s.body), s.contentType, s.refund)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string, refund bool) {
		var dst any = &createSessionRequest{}
		if refund {
			dst = &refundRequest{}
		}
		err := fuzzDecode(body, contentType, dst)
		if err != nil {
			var e *checkout.Error
			if !errors.As(err, &e) || (e.Code != checkout.EMalformed && e.Code != checkout.EInvalid &&
				e.Code != checkout.EDuplicateKey && e.Code != checkout.EFieldNameMismatch) {
				t.Fatalf("error %#v is none of malformed_request, invalid_request, duplicate_key, field_name_mismatch", err)
			}
			if e.Code != checkout.EMalformed && e.Param == "" {
				t.Errorf("%s %q names no parameter", e.Code, e.Message)
			}
			if e.Err != nil {
				t.Errorf("decoder error carries a cause for the logs: %v", e.Err)
			}
			return
		}

		// Accepted: a single JSON object, sent as JSON.
		trimmed := bytes.TrimSpace(body)
		if !json.Valid(trimmed) {
			t.Errorf("body %q accepted, but it is not one JSON value", body)
		}
		if !bytes.HasPrefix(trimmed, []byte("{")) {
			t.Errorf("body %q accepted, but it is not a JSON object", body)
		}
		if contentType != "" && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/json") {
			t.Errorf("body accepted with Content-Type %q", contentType)
		}

		// What was decoded survives a round trip through the same decoder.
		again := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
		re, err := json.Marshal(dst)
		if err != nil {
			t.Fatal(err)
		}
		if err := fuzzDecode(re, "application/json", again); err != nil {
			t.Fatalf("re-encoded %s refused: %v", re, err)
		}
		if !reflect.DeepEqual(dst, again) {
			t.Errorf("round trip changed the request:\n%#v\n%#v", dst, again)
		}
	})
}

// FuzzFormToken: any submitted token is checked without panicking, and
// only a token issued for the session passes.
func FuzzFormToken(f *testing.F) {
	tokens := NewFormTokens([]byte("fuzz key"))
	sid := "cs_" + strings.Repeat("a", 32)
	f.Add(tokens.Issue(sid))
	f.Add(tokens.Issue("cs_" + strings.Repeat("b", 32)))
	f.Add("")
	f.Add(".")
	f.Add("x.y.z")
	f.Fuzz(func(t *testing.T, token string) {
		if tokens.Valid(sid, token) {
			nonce, _, _ := strings.Cut(token, ".")
			if again := tokens.Valid("cs_"+strings.Repeat("b", 32), token); again {
				t.Fatalf("%q passes for two sessions", token)
			}
			if nonce == "" {
				t.Fatalf("%q passes without a nonce", token)
			}
		}
	})
}
