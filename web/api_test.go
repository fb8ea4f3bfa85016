package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

func TestCreateAndGetSession(t *testing.T) {
	app := sharedApp(t)
	s := mustCreateSession(t, app, validSession())
	id := s["id"].(string)
	if !checkout.ValidID(checkout.PrefixSession, id) || s["object"] != "checkout.session" || s["status"] != "open" ||
		s["url"] != app.URL+"/c/"+id || s["amount"] != float64(2500) || s["payment_status"] != "unpaid" || s["provider"] != "payorder" {
		t.Fatalf("created session: %v", s)
	}
	got := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+id, nil)
	if got.Status != http.StatusOK || got.JSON(t)["id"] != id || got.JSON(t)["payment"] != nil {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
}

func TestCreateSessionRejectsBadInput(t *testing.T) {
	app := sharedApp(t)
	with := func(k string, v any) map[string]any {
		s := validSession()
		if v == nil {
			delete(s, k)
		} else {
			s[k] = v
		}
		return s
	}
	withAll := func(kv map[string]any) map[string]any {
		s := validSession()
		for k, v := range kv {
			s[k] = v
		}
		return s
	}
	raw := func(amount string) string {
		return `{"amount":` + amount + `,"currency":"USD","success_url":"https://shop.test/ok"}`
	}
	manyItems := make([]map[string]any, 101)
	for i := range manyItems {
		manyItems[i] = map[string]any{"name": "x", "quantity": 1, "unit_amount": 1}
	}
	manyMeta := map[string]string{}
	for i := 0; i < 51; i++ {
		manyMeta[fmt.Sprint("k", i)] = "v"
	}
	tests := []struct {
		name   string
		body   any
		status int
		param  string
	}{
		{"amount missing", with("amount", nil), 422, "amount"},
		{"amount zero", with("amount", 0), 422, "amount"},
		{"amount negative", with("amount", -5), 422, "amount"},
		{"amount fraction", raw("12.5"), 422, "amount"},
		{"amount exponent", raw("1e3"), 422, "amount"},
		{"amount string", raw(`"2500"`), 422, "amount"},
		{"amount overflow", raw("99999999999999999999999"), 422, "amount"},
		{"amount too large", raw("100000000000"), 422, "amount"},
		{"currency missing", with("currency", nil), 422, "currency"},
		{"currency unknown", with("currency", "ZZZ"), 422, "currency"},
		{"currency not a code", with("currency", "dollars"), 422, "currency"},
		{"currency the named provider lacks", withAll(map[string]any{"currency": "JPY", "provider": "payorder"}), 422, "currency"},
		{"success_url missing", with("success_url", nil), 422, "success_url"},
		{"success_url relative", with("success_url", "/thanks"), 422, "success_url"},
		{"success_url ftp", with("success_url", "ftp://shop.test/ok"), 422, "success_url"},
		{"success_url javascript", with("success_url", "javascript:alert(1)"), 422, "success_url"},
		{"success_url userinfo", with("success_url", "https://shop.test@evil.test/"), 422, "success_url"},
		{"success_url backslash", with("success_url", `https://shop.test\@evil.test/`), 422, "success_url"},
		{"success_url no host", with("success_url", "https:///path"), 422, "success_url"},
		{"success_url space", with("success_url", "https://shop.test/a b"), 422, "success_url"},
		{"success_url malformed", with("success_url", "http://[::1"), 422, "success_url"},
		{"success_url number", with("success_url", 5), 422, "success_url"},
		{"cancel_url bad", with("cancel_url", "mailto:x@shop.test"), 422, "cancel_url"},
		{"line items do not sum", with("line_items", []map[string]any{{"name": "Mug", "quantity": 1, "unit_amount": 1000}}), 422, "line_items"},
		{"line item quantity zero", with("line_items", []map[string]any{{"name": "Mug", "quantity": 0, "unit_amount": 2500}}), 422, "line_items[0].quantity"},
		{"line item negative price", with("line_items", []map[string]any{{"name": "Mug", "quantity": 1, "unit_amount": -1}}), 422, "line_items[0].unit_amount"},
		{"line item without name", with("line_items", []map[string]any{{"name": " ", "quantity": 1, "unit_amount": 2500}}), 422, "line_items[0].name"},
		{"line item fractional quantity", `{"amount":100,"currency":"USD","success_url":"https://shop.test/ok","line_items":[{"name":"a","quantity":1.5,"unit_amount":100}]}`, 422, "line_items[0].quantity"},
		{"too many line items", with("line_items", manyItems), 422, "line_items"},
		{"unknown field", with("colour", "blue"), 422, "colour"},
		{"unknown nested field", with("customer", map[string]any{"phone": "1"}), 422, "customer.phone"},
		// Issue 12, defect 9: what encoding/json would quietly accept
		// (duplicate and folded keys: TestAPIDecoderRefusesDuplicateAndFoldedKeys).
		{"invalid UTF-8", "{\"amount\":2500,\"currency\":\"USD\",\"success_url\":\"https://shop.test/ok\",\"merchant_reference\":\"a\xffb\"}", 400, ""},
		{"unpaired surrogate", `{"amount":2500,"currency":"USD","success_url":"https://shop.test/ok","merchant_reference":"a\ud800b"}`, 422, "merchant_reference"},
		{"merchant reference CR LF", with("merchant_reference", "a\r\nInjected: yes"), 422, "merchant_reference"},
		{"merchant reference bidi override", with("merchant_reference", "order\u202Egpj.exe"), 422, "merchant_reference"},
		{"line item name zero-width", with("line_items", []map[string]any{{"name": "Mu\u200Bg", "quantity": 1, "unit_amount": 2500}}), 422, "line_items[0].name"},
		{"line item name C1 control", with("line_items", []map[string]any{{"name": "Mug\u009b", "quantity": 1, "unit_amount": 2500}}), 422, "line_items[0].name"},
		{"metadata key NUL", with("metadata", map[string]string{"a\x00b": "v"}), 422, "metadata"},
		{"metadata key bidi", with("metadata", map[string]string{"a\u2066b": "v"}), 422, "metadata"},
		{"metadata value LF", with("metadata", map[string]string{"k": "a\nb"}), 422, "metadata.k"},
		{"customer reference with a slash", with("customer", map[string]any{"reference": "a/b"}), 422, "customer.reference"},
		{"customer reference over 200", with("customer", map[string]any{"reference": strings.Repeat("c", 201)}), 422, "customer.reference"},
		{"email", with("customer", map[string]any{"email": "not-an-email"}), 422, "customer.email"},
		{"email with a bidi override", with("customer", map[string]any{"email": "ada\u202Emoc.live@example.com"}), 422, "customer.email"},
		{"email with a zero-width space", with("customer", map[string]any{"email": "ada\u200B@example.com"}), 422, "customer.email"},
		{"success URL with a bidi override", with("success_url", "https://shop.test/ok\u202E"), 422, "success_url"},
		{"cancel URL with a zero-width joiner", with("cancel_url", "https://shop.test/c\u200Dart"), 422, "cancel_url"},
		{"locale", with("locale", "not a locale!"), 422, "locale"},
		{"payment method", with("payment_methods", []string{"bitcoin"}), 422, "payment_methods[0]"},
		{"payment method twice", with("payment_methods", []string{"card", "card"}), 422, "payment_methods[1]"},
		{"saved cards without a customer", with("payment_methods", []string{"saved_card"}), 422, "customer.reference"},
		{"saved cards in a currency BBMSL lacks", func() map[string]any {
			s := with("payment_methods", []string{"saved_card"})
			s["customer"], s["currency"] = map[string]any{"reference": "c1"}, "EUR"
			return s
		}(), 422, "currency"},
		{"setup_recurring without saved cards", with("setup_recurring", true), 422, "setup_recurring"},
		{"manual capture with the wallet", func() map[string]any {
			s := with("payment_methods", []string{"wallet"})
			s["capture_mode"] = "manual"
			return s
		}(), 422, "capture_mode"},
		{"wallet provider for cards", func() map[string]any { s := with("provider", "alipayplus"); return s }(), 422, "provider"},
		{"provider unknown", with("provider", "acme"), 422, "provider"},
		{"capture mode", with("capture_mode", "later"), 422, "capture_mode"},
		{"manual capture unsupported by the named provider", withAll(map[string]any{"capture_mode": "manual", "provider": "payorder"}), 422, "capture_mode"},
		{"manual capture of a wallet", withAll(map[string]any{"capture_mode": "manual", "payment_methods": []string{"wallet"}}), 422, "capture_mode"},
		{"three_ds", with("three_ds", "always"), 422, "three_ds"},
		{"expires too soon", with("expires_at", time.Now().Add(10*time.Minute).Unix()), 422, "expires_at"},
		{"expires too late", with("expires_at", time.Now().Add(8*24*time.Hour).Unix()), 422, "expires_at"},
		{"metadata too many keys", with("metadata", manyMeta), 422, "metadata"},
		{"metadata not strings", with("metadata", map[string]any{"a": 1}), 422, "metadata.a"},
		{"merchant reference too long", with("merchant_reference", strings.Repeat("r", 256)), 422, "merchant_reference"},
		{"merchant reference control chars", with("merchant_reference", "a\x00b"), 422, "merchant_reference"},
		{"malformed JSON", `{"amount":`, 400, ""},
		{"not JSON", `amount=5`, 400, ""},
		{"trailing data", `{"amount":1,"currency":"USD","success_url":"https://shop.test/ok"} {}`, 400, ""},
		{"array", `[1,2]`, 400, ""},
		{"empty body", ``, 400, ""},
		{"oversized", `{"merchant_reference":"` + strings.Repeat("x", 70<<10) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := api(t, app, http.MethodPost, "/v1/checkout/sessions", tt.body)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			e, ok := res.JSON(t)["error"].(map[string]any)
			if !ok || e["message"] == "" || e["type"] == "" || e["code"] == "" {
				t.Fatalf("error body: %s", res.Body)
			}
			if p, _ := e["param"].(string); p != tt.param {
				t.Fatalf("param %q, want %q (%s)", p, tt.param, e["message"])
			}
			if strings.Contains(string(res.Body), "goroutine") || strings.Contains(string(res.Body), ".go:") {
				t.Fatalf("internals in the answer: %s", res.Body)
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		res := do(t, http.MethodPost, app.URL+"/v1/checkout/sessions", []byte(`{}`), "Authorization", "Bearer "+testKey, "Content-Type", "text/plain")
		if res.Status != 400 {
			t.Fatalf("status %d", res.Status)
		}
	})
}

func TestAuthentication(t *testing.T) {
	app := sharedApp(t)
	for name, header := range map[string]string{
		"none": "", "wrong key": "Bearer sk_test_wrong_key_0000000000", "basic": "Basic c2tfdGVzdDo=", "not a key": "Bearer hello",
	} {
		res := do(t, http.MethodGet, app.URL+"/v1/checkout/sessions/cs_x", nil, "Authorization", header)
		if res.Status != http.StatusUnauthorized || res.JSON(t)["error"].(map[string]any)["type"] != "authentication_error" {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
	// Another merchant cannot see the session.
	s := mustCreateSession(t, app, validSession())
	other := "sk_test_other_merchant_000000000"
	if err := app.Store.SaveMerchant(context.Background(), &checkout.Merchant{ID: "mer_other", Name: "Other",
		APIKeyHash: checkout.HashAPIKey(other), DefaultProvider: "payorder", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	res := do(t, http.MethodGet, app.URL+"/v1/checkout/sessions/"+s["id"].(string), nil, "Authorization", "Bearer "+other)
	if res.Status != http.StatusNotFound {
		t.Fatalf("other merchant: %d", res.Status)
	}
	for _, path := range []string{"/v1/checkout/sessions/cs_nope", "/v1/nothing"} {
		if res := api(t, app, http.MethodGet, path, nil); res.Status != http.StatusNotFound || res.JSON(t)["error"] == nil {
			t.Errorf("%s: %d %s", path, res.Status, res.Body)
		}
	}
	if res := api(t, app, http.MethodDelete, "/v1/checkout/sessions", nil); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", res.Status)
	}
}

func TestIdempotencyKey(t *testing.T) {
	app := sharedApp(t)
	body := validSession()
	first := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", "order-1001")
	again := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", "order-1001")
	if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %d\n%s\n%s", first.Status, again.Status, first.Body, again.Body)
	}
	changed := validSession()
	changed["amount"], changed["line_items"] = 3000, nil
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", changed, "Idempotency-Key", "order-1001"); res.Status != 422 ||
		res.JSON(t)["error"].(map[string]any)["code"] != "idempotency_error" {
		t.Fatalf("same key, other body: %d %s", res.Status, res.Body)
	}
	// A refused request does not burn the key.
	bad := validSession()
	bad["currency"] = "ZZZ"
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", bad, "Idempotency-Key", "order-1002"); res.Status != 422 {
		t.Fatalf("bad request: %d", res.Status)
	}
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", "order-1002"); res.Status != 201 {
		t.Fatalf("corrected retry: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", strings.Repeat("k", 256)); res.Status != 400 {
		t.Fatalf("256-character key: %d", res.Status)
	}
}

func TestIdempotencyKeyConcurrent(t *testing.T) {
	app := sharedApp(t)
	body := validSession()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]int{}
	statuses := map[int]int{}
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", "concurrent-1")
			mu.Lock()
			defer mu.Unlock()
			statuses[res.Status]++
			if res.Status == 201 {
				ids[res.JSON(t)["id"].(string)]++
			} else if res.Status == 409 && res.JSON(t)["error"].(map[string]any)["code"] != "idempotency_key_in_use" {
				t.Errorf("409 body: %s", res.Body)
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || statuses[201]+statuses[409] != 50 {
		t.Fatalf("sessions created %v, statuses %v: want exactly one session, the rest replays or 409", ids, statuses)
	}
}

func TestExpireSession(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+id+"/expire", nil)
	if res.Status != 200 || res.JSON(t)["status"] != "expired" {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+id+"/expire", nil); res.Status != 409 {
		t.Fatalf("expire twice: %d", res.Status)
	}
	// The shopper's link now shows the expired page, never the form.
	page := do(t, http.MethodGet, app.URL+"/c/"+id, nil)
	if page.Status != http.StatusSeeOther || page.Header.Get("Location") != "/c/"+id+"/status" {
		t.Fatalf("form of an expired session: %d %s", page.Status, page.Header.Get("Location"))
	}
	status := do(t, http.MethodGet, app.URL+"/c/"+id+"/status", nil)
	if !strings.Contains(string(status.Body), `data-status="expired"`) || strings.Contains(string(status.Body), "pay-form") {
		t.Fatalf("status page of an expired session: %s", status.Body)
	}
	// Paying an expired session reaches no provider.
	pay := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay",
		shopperForm(t, app, id, url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"A B"}}),
		"Content-Type", "application/x-www-form-urlencoded")
	if pay.Status != http.StatusSeeOther {
		t.Fatalf("pay on expired: %d", pay.Status)
	}
	if pays, _ := app.Store.SessionPayments(context.Background(), id); len(pays) != 0 {
		t.Fatalf("%d payments on an expired session", len(pays))
	}
}

// Log lines written while serving a request carry its request id, and the
// domain's lines carry the session id.
func TestLogsCarryRequestAndSessionIDs(t *testing.T) {
	var buf syncBuffer
	app := MustApp(t, &buf)
	res := api(t, app, http.MethodPost, "/v1/checkout/sessions", validSession())
	reqID := res.Header.Get("X-Request-Id")
	id := res.JSON(t)["id"].(string)
	found := false
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, `"msg":"session created"`) {
			found = strings.Contains(line, `"request_id":"`+reqID+`"`) && strings.Contains(line, `"session_id":"`+id+`"`)
		}
	}
	if reqID == "" || !found {
		t.Fatalf("no session-created line with request %q and session %q in:\n%s", reqID, id, buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every merchant API error carries the request's id (issue 15, point 8),
// the same the X-Request-Id header and the log lines carry.
func TestAPIErrorsCarryTheRequestID(t *testing.T) {
	app := MustApp(t, nil)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{http.MethodGet, "/v1/checkout/sessions/cs_nosuchsessionaaaaaaaaaaaaaaaaaaaa", nil, http.StatusNotFound},
		{http.MethodPost, "/v1/checkout/sessions", map[string]any{"amount": -1, "currency": "USD"}, http.StatusUnprocessableEntity},
	} {
		res := api(t, app, c.method, c.path, c.body)
		var got struct {
			Error struct {
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(res.Body), &got); err != nil || res.Status != c.status {
			t.Fatalf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
		}
		if id := res.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") || got.Error.RequestID != id {
			t.Errorf("%s %s: error request_id %q, X-Request-Id %q", c.method, c.path, got.Error.RequestID, id)
		}
	}
}

// A session created under an Idempotency-Key is one commit: the answer is
// stored with the session, with no claim or completion of its own; its
// replay commits nothing.
func TestIdempotentSessionCreateIsOneCommit(t *testing.T) {
	app := MustApp(t, nil, func(c *web.Config) { c.ReconcileInterval = time.Hour })
	db := app.Store
	body := validSession()
	commits := func() int64 { _, n := db.Counts(); return n }
	before := commits()
	first := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", "one-commit")
	made := commits() - before
	again := api(t, app, http.MethodPost, "/v1/checkout/sessions", body, "Idempotency-Key", "one-commit")
	if first.Status != 201 || again.Status != 201 || string(again.Body) != string(first.Body) {
		t.Fatalf("create and replay: %d %d", first.Status, again.Status)
	}
	if replayed := commits() - before - made; made != 1 || replayed != 0 {
		t.Fatalf("the create made %d commits and its replay %d, want 1 and 0", made, replayed)
	}
}
