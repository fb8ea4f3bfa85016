package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// TestSignatureRejection: PayAPI verifies the envelope over the exact
// request string with the key of the merchantId, and refuses anything else
// before it looks further, creating nothing.
func TestSignatureRejection(t *testing.T) {
	e := newEnv(t)
	tokenID := e.saveCard(t, "user-1", testcards.Visa)
	_, other := testCredentials(t)
	otherKey, _ := bbmsl.ParsePrivateKey(other.Private)

	fields := e.saleFields("user-1", tokenID, "ref-sig")
	fields["merchantId"] = e.creds.MerchantID
	request, _ := json.Marshal(fields)
	good := e.sealed(t, request)
	var env bbmsl.Envelope
	_ = json.Unmarshal(good, &env)
	var decoded map[string]any
	_ = json.Unmarshal(request, &decoded)
	pretty, _ := json.MarshalIndent(decoded, "", " ")
	wrongKey, _ := bbmsl.Seal(otherKey, request)
	foreign := e.saleFields("user-1", tokenID, "ref-sig")
	foreign["merchantId"] = "999999999"
	foreignRequest, _ := json.Marshal(foreign)
	noMerchant := e.saleFields("user-1", tokenID, "ref-sig")
	noMerchantRequest, _ := json.Marshal(noMerchant)
	reEnvelope := func(request, sig string) []byte {
		b, _ := json.Marshal(bbmsl.Envelope{Request: request, Signature: sig})
		return b
	}

	for name, tc := range map[string]struct {
		body        []byte
		contentType string
		code        string
		message     string
	}{
		"signed by another key":          {body: wrongKey, code: "1001", message: "invalid signature"},
		"re-serialised request":          {body: reEnvelope(string(pretty), env.Signature), code: "1001", message: "invalid signature"},
		"request changed":                {body: reEnvelope(strings.Replace(env.Request, "12.34", "0.01", 1), env.Signature), code: "1001", message: "invalid signature"},
		"no signature":                   {body: reEnvelope(env.Request, ""), code: "1001", message: "invalid signature"},
		"signature not base64":           {body: reEnvelope(env.Request, "%%%"), code: "1001", message: "invalid signature"},
		"another merchantId":             {body: e.sealed(t, foreignRequest), code: "1002", message: "no public key"},
		"no merchantId":                  {body: e.sealed(t, noMerchantRequest), code: "1003", message: "invalid parameter: merchantId"},
		"not an envelope":                {body: request, code: "1003", message: "invalid parameter: request"},
		"request not a string":           {body: []byte(`{"request":{"a":1},"signature":"x"}`), code: "1003", message: "invalid parameter: request"},
		"request string not JSON":        {body: reEnvelope("merchantId=1", env.Signature), code: "1003", message: "invalid parameter: request"},
		"not JSON":                       {body: []byte("request=x&signature=y"), code: "1003", message: "invalid parameter: request"},
		"form content type":              {body: good, contentType: "application/x-www-form-urlencoded", code: "1003", message: "invalid parameter: Content-Type"},
		"signed, then accepted (sanity)": {body: good, code: "0000", message: "SUCCESS"},
	} {
		t.Run(name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			ref := "ref-" + strings.ReplaceAll(name, " ", "-")
			body := []byte(strings.ReplaceAll(string(tc.body), "ref-sig", ref))
			if tc.code == "0000" {
				body = tc.body
				ref = "ref-sig"
			}
			status, a := e.post(t, "/tokenization/sale", body, ct)
			if status != http.StatusOK || code(a) != tc.code || a["message"] != tc.message {
				t.Fatalf("HTTP %d %v, want %s %q", status, a, tc.code, tc.message)
			}
			if tc.code != "0000" {
				if _, ok := a["order"]; ok {
					t.Error("a refusal carries an order")
				}
				if e.sb.Charges(ref) != 0 {
					t.Error("a refused request was charged")
				}
			}
		})
	}

	// Routes: trailing slashes are accepted; other methods and paths are not.
	fields = e.saleFields("user-1", tokenID, "ref-slash")
	if status, a := e.call(t, "/tokenization/sale/", fields); status != 200 || code(a) != "0000" {
		t.Errorf("sale with a trailing slash: %d %v", status, a)
	}
	if resp, err := http.Get(e.base + "/tokenization/sale"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET sale: %v %v", resp, err)
	}
	if status, _ := e.call(t, "/tokenization/refund", map[string]any{}); status != http.StatusNotFound {
		t.Errorf("an unknown operation: HTTP %d", status)
	}
}

// TestSeedSaleRequest posts the seed's own request string, as a merchant
// with id 3 whose first token (436) belongs to user1, and gets the seed's
// answer back: the same ids, amounts and shape.
func TestSeedSaleRequest(t *testing.T) {
	creds, _ := testCredentials(t)
	creds.MerchantID = "3"
	e := newEnv(t, func(c *Config) { c.Credentials = creds })
	if id := e.saveCard(t, "user1", "4705340000018101"); id != "436" {
		t.Fatalf("the first token is %s, want 436", id)
	}
	raw, err := osReadSeed()
	if err != nil {
		t.Fatal(err)
	}
	status, a := e.post(t, "/tokenization/sale", e.sealed(t, []byte(raw.Request)), "application/json")
	if status != 200 || code(a) != "0000" {
		t.Fatalf("HTTP %d %v", status, a)
	}
	order, _ := a["order"].(map[string]any)
	tx, _ := a["transaction"].(map[string]any)
	for k, want := range map[string]any{
		"id": json.Number("5798"), "merchantId": json.Number("3"), "merchantReference": "merRef1656991200725", "currency": "USD",
		"amount": json.Number("50.00"), "cardType": "VISA", "status": "SUCCESS", "recurring": true,
	} {
		if order[k] != want {
			t.Errorf("order.%s = %v, want %v", k, order[k], want)
		}
	}
	for k, want := range map[string]any{
		"id": json.Number("3970"), "type": "SALE", "amount": json.Number("50.00"), "currency": "USD", "status": "SUCCESS",
		"maskedPan": "470534XXXXXX8101", "stan": "3970",
	} {
		if tx[k] != want {
			t.Errorf("transaction.%s = %v, want %v", k, tx[k], want)
		}
	}
	if ct, _ := order["createTime"].(string); !strings.HasSuffix(ct, "+00:00") || len(ct) != len("2022-07-05T03:20:01.307+00:00") {
		t.Errorf("createTime %q", ct)
	}
}

func osReadSeed() (bbmsl.Envelope, error) {
	var env bbmsl.Envelope
	b, err := os.ReadFile("../testdata/seed_sale_request.json")
	if err != nil {
		return env, err
	}
	return env, json.Unmarshal(b, &env)
}

// TestSaleValidation: fields are checked as PayAPI documents them; a bad
// one is 1003 naming the field, never its value, and creates nothing.
func TestSaleValidation(t *testing.T) {
	e := newEnv(t)
	tokenID := e.saveCard(t, "user-1", testcards.Visa)
	for name, tc := range map[string]struct {
		edit  func(map[string]any)
		field string
	}{
		"no userId":            {func(f map[string]any) { delete(f, "userId") }, "userId"},
		"userId of 65":         {func(f map[string]any) { f["userId"] = strings.Repeat("u", 65) }, "userId"},
		"tokenId text":         {func(f map[string]any) { f["tokenId"] = "abc" }, "tokenId"},
		"no merchantReference": {func(f map[string]any) { delete(f, "merchantReference") }, "merchantReference"},
		"three decimals":       {func(f map[string]any) { f["amount"] = json.Number("12.340") }, "amount"},
		"amount as exponent":   {func(f map[string]any) { f["amount"] = json.Number("1.234e1") }, "amount"},
		"zero amount":          {func(f map[string]any) { f["amount"], f["lineItems"] = json.Number("0"), []any{} }, "lineItems"},
		"over Number(9,2)":     {func(f map[string]any) { f["amount"] = json.Number("10000000.00") }, "amount"},
		"euros":                {func(f map[string]any) { f["currency"] = "EUR" }, "currency"},
		"lines do not add up":  {func(f map[string]any) { f["amount"] = json.Number("12.35") }, "lineItems"},
		"no lines":             {func(f map[string]any) { delete(f, "lineItems") }, "lineItems"},
		"quantity 0":           {func(f map[string]any) { f["lineItems"].([]any)[0].(map[string]any)["quantity"] = 0 }, "lineItems[0].quantity"},
		"quantity 1.5":         {func(f map[string]any) { f["lineItems"].([]any)[0].(map[string]any)["quantity"] = 1.5 }, "lineItems[0].quantity"},
		"no priceData":         {func(f map[string]any) { delete(f["lineItems"].([]any)[1].(map[string]any), "priceData") }, "lineItems[1].priceData"},
		"line without a name": {func(f map[string]any) {
			f["lineItems"].([]any)[1].(map[string]any)["priceData"].(map[string]any)["name"] = ""
		}, "lineItems[1].priceData.name"},
		"email of 256":          {func(f map[string]any) { f["email"] = strings.Repeat("e", 250) + "@x.com" }, "email"},
		"relative notify URL":   {func(f map[string]any) { f["callbackUrl"] = map[string]any{"notify": "/notify"} }, "callbackUrl.notify"},
		"isRecurring text":      {func(f map[string]any) { f["isRecurring"] = "yes" }, "isRecurring"},
		"merchantReference tab": {func(f map[string]any) { f["merchantReference"] = "a\tb" }, "merchantReference"},
	} {
		t.Run(name, func(t *testing.T) {
			f := e.saleFields("user-1", tokenID, "ref-"+strings.ReplaceAll(name, " ", "-"))
			ref := f["merchantReference"]
			tc.edit(f)
			status, a := e.call(t, "/tokenization/sale", f)
			if status != 200 || code(a) != "1003" || a["message"] != "invalid parameter: "+tc.field {
				t.Fatalf("HTTP %d %v, want 1003 naming %s", status, a, tc.field)
			}
			if r, ok := ref.(string); ok && e.sb.Charges(r) != 0 {
				t.Error("charged")
			}
		})
	}
	// The PHP SDK's forms are taken: isRecurring 1, merchantId and tokenId as strings.
	f := e.saleFields("user-1", tokenID, "ref-php")
	f["isRecurring"], f["tokenId"], f["merchantId"] = 1, tokenID, e.creds.MerchantID
	if status, a := e.call(t, "/tokenization/sale", f); status != 200 || code(a) != "0000" || a["order"].(map[string]any)["recurring"] != true {
		t.Errorf("PHP forms: %d %v", status, a)
	}
}

// TestSaleIdempotency: merchantReference names one order; the same request
// again answers it, another is 2002; the fault cards behave as the shared
// table says.
func TestSaleIdempotency(t *testing.T) {
	e := newEnv(t)
	visa := e.saveCard(t, "user-1", testcards.Visa)
	first := e.saleFields("user-1", visa, "ref-1")
	_, a1 := e.call(t, "/tokenization/sale", first)
	// The same content with other key order and spacing is the same request.
	request, _ := json.MarshalIndent(e.saleFields("user-1", visa, "ref-1"), "", "  ")
	var again map[string]any
	_ = json.Unmarshal(request, &again)
	again["merchantId"] = e.creds.MerchantID
	request, _ = json.MarshalIndent(again, "", "  ")
	_, a2 := e.post(t, "/tokenization/sale", e.sealed(t, request), "application/json")
	if code(a1) != "0000" || code(a2) != "0000" || fmt.Sprint(a1["order"]) != fmt.Sprint(a2["order"]) {
		t.Fatalf("replay:\n%v\n%v", a1, a2)
	}
	changed := e.saleFields("user-1", visa, "ref-1")
	changed["email"] = "someone@example.com"
	if _, a := e.call(t, "/tokenization/sale", changed); code(a) != "2002" || a["message"] != "duplicate merchantReference" {
		t.Errorf("another request under ref-1: %v", a)
	}
	if e.sb.Charges("ref-1") != 1 {
		t.Errorf("charged %d times", e.sb.Charges("ref-1"))
	}

	// 500: nothing made, every time.
	broken := e.saveCard(t, "user-1", testcards.ServerError)
	for range 2 {
		status, _ := e.call(t, "/tokenization/sale", e.saleFields("user-1", broken, "ref-500"))
		if status != http.StatusInternalServerError {
			t.Fatalf("the 500 card: HTTP %d", status)
		}
	}
	if _, ok := e.sb.Order("ref-500"); ok || e.sb.Charges("ref-500") != 0 {
		t.Error("the 500 card made an order")
	}
	if _, a := e.call(t, "/tokenization/query", map[string]any{"merchantReference": "ref-500"}); code(a) != "2001" {
		t.Errorf("query after the 500: %v", a)
	}

	// Timeout: charged, then the connection drops; a replay and a query show it.
	slow := e.saveCard(t, "user-1", testcards.TimeoutAfterCharge)
	body, _ := json.Marshal(withMerchant(e, e.saleFields("user-1", slow, "ref-timeout")))
	resp, err := http.Post(e.base+"/tokenization/sale", "application/json", strings.NewReader(string(e.sealed(t, body))))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the timeout card answered HTTP %d", resp.StatusCode)
	}
	if e.sb.Charges("ref-timeout") != 1 {
		t.Error("the timeout card was not charged")
	}
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("user-1", slow, "ref-timeout")); code(a) != "0000" {
		t.Errorf("replay after the timeout: %v", a)
	}
	if _, a := e.call(t, "/hosted-checkout/query/", map[string]any{"merchantReference": "ref-timeout"}); code(a) != "0000" ||
		a["transaction"].(map[string]any)["status"] != "SUCCESS" {
		t.Errorf("query after the timeout: %v", a)
	}
	if e.sb.Charges("ref-timeout") != 1 {
		t.Error("the replay charged again")
	}

	// Declines are orders too, with the issuer's code.
	for card, want := range map[string]string{
		testcards.DeclineGeneric: "5005", testcards.DeclineFunds: "5051", testcards.DeclineExpired: "5054", testcards.DeclineCVC: "5082",
	} {
		tok := e.saveCard(t, "user-1", card)
		ref := "ref-" + card
		_, a := e.call(t, "/tokenization/sale", e.saleFields("user-1", tok, ref))
		tx, _ := a["transaction"].(map[string]any)
		if code(a) != want || tx["status"] != "DECLINED" || tx["responseCode"] != want || a["order"].(map[string]any)["status"] != "OPEN" {
			t.Errorf("%s: %v", card, a)
		}
		if st, _ := e.sb.Order(ref); st.Charged || st.ResponseCode != want {
			t.Errorf("%s: ledger %+v", card, st)
		}
	}
}

func withMerchant(e *env, f map[string]any) map[string]any {
	f["merchantId"] = e.creds.MerchantID
	return f
}

// TestTokensPerUser: tokens belong to a userId (case-insensitive); nobody
// else can list, charge or delete them.
func TestTokensPerUser(t *testing.T) {
	e := newEnv(t)
	tok := e.saveCard(t, "Customer-A", testcards.Mastercard)
	e.saveCard(t, "customer-b", testcards.Visa)

	_, a := e.call(t, "/tokenization/query-token", map[string]any{"userId": "CUSTOMER-a"})
	list, _ := a["list"].([]any)
	if code(a) != "0000" || len(list) != 1 {
		t.Fatalf("query-token: %v", a)
	}
	entry := list[0].(map[string]any)
	want := map[string]any{"tokenId": json.Number(tok), "userId": "Customer-A", "maskedPan": "555555XXXXXX4444", "cardBrand": "MASTERCARD",
		"expiryDate": fmt.Sprintf("%04d12", time.Now().Year()+3), "status": "ACTIVE", "cardSubBrand": ""}
	if fmt.Sprint(entry) != fmt.Sprint(want) {
		t.Errorf("token\n got %v\nwant %v", entry, want)
	}
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("customer-b", tok, "ref-b")); code(a) != "2003" {
		t.Errorf("another user's sale: %v", a)
	}
	if _, a := e.call(t, "/tokenization/delete-token", map[string]any{"userId": "customer-b", "tokenId": json.Number(tok)}); code(a) != "2003" {
		t.Errorf("another user's delete: %v", a)
	}
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("customer-a", tok, "ref-a")); code(a) != "0000" {
		t.Errorf("the owner's sale in other case: %v", a)
	}
	if _, a := e.call(t, "/tokenization/delete-token", map[string]any{"userId": "customer-a", "tokenId": json.Number(tok)}); code(a) != "0000" {
		t.Errorf("delete: %v", a)
	}
	if _, a := e.call(t, "/tokenization/delete-token", map[string]any{"userId": "customer-a", "tokenId": json.Number(tok)}); code(a) != "2003" {
		t.Errorf("delete again: %v", a)
	}
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("customer-a", tok, "ref-a2")); code(a) != "2003" {
		t.Errorf("sale of a deleted token: %v", a)
	}
	if _, a := e.call(t, "/tokenization/query-token", map[string]any{"userId": "customer-a"}); len(a["list"].([]any)) != 0 {
		t.Errorf("a deleted token is listed: %v", a)
	}
	if st := e.sb.Tokens("customer-a"); len(st) != 1 || st[0].Status != "DELETED" || st[0].Last4 != "4444" || st[0].BIN != "555555" {
		t.Errorf("ledger %+v", st)
	}
}

// TestRecurringRules: a recurring charge needs the token and a parent that
// is a successful recurring sale of the same user and token.
func TestRecurringRules(t *testing.T) {
	e := newEnv(t)
	tok := e.saveCard(t, "user-1", testcards.Visa)
	tok2 := e.saveCard(t, "user-1", testcards.Mastercard)
	otherTok := e.saveCard(t, "user-2", testcards.Visa)
	declTok := e.saveCard(t, "user-1", testcards.DeclineFunds)
	sale := func(user, token, ref string, recurring bool) string {
		f := e.saleFields(user, token, ref)
		f["isRecurring"] = recurring
		_, a := e.call(t, "/tokenization/sale", f)
		id, _ := a["order"].(map[string]any)["id"].(json.Number)
		return string(id)
	}
	parent := sale("user-1", tok, "ref-parent", true)
	oneOff := sale("user-1", tok, "ref-oneoff", false)
	otherParent := sale("user-2", otherTok, "ref-other", true)
	declined := sale("user-1", declTok, "ref-declined", true)
	voided := sale("user-1", tok, "ref-voided", true)
	if _, a := e.call(t, "/tokenization/void", map[string]any{"merchantReference": "ref-voided"}); code(a) != "0000" {
		t.Fatalf("void: %v", a)
	}
	rec := func(user, token, parent, ref string, extra map[string]any) map[string]any {
		f := map[string]any{"userId": user, "tokenId": json.Number(token), "reason": "Monthly plan", "amount": json.Number("9.99"),
			"merchantReference": ref, "parentOrderId": json.Number(parent), "callbackUrl": map[string]any{"notify": "https://shop.example/notify"}}
		for k, v := range extra {
			f[k] = v
		}
		_, a := e.call(t, "/tokenization/recurring", f)
		return a
	}
	for name, tc := range map[string]struct {
		user, token, parent string
		extra               map[string]any
		code                string
	}{
		"no such token":           {"user-1", "999", parent, nil, "2003"},
		"no such parent":          {"user-1", tok, "1", nil, "2004"},
		"a one-off parent":        {"user-1", tok, oneOff, nil, "2004"},
		"another user's parent":   {"user-1", tok, otherParent, nil, "2004"},
		"another token's parent":  {"user-1", tok2, parent, nil, "2004"},
		"a declined parent":       {"user-1", declTok, declined, nil, "2004"},
		"a voided parent":         {"user-1", tok, voided, nil, "2004"},
		"another currency":        {"user-1", tok, parent, map[string]any{"currency": "USD"}, "1003"},
		"no parentOrderId":        {"user-1", tok, "", nil, "1003"},
		"the parent's currency":   {"user-1", tok, parent, map[string]any{"currency": "HKD"}, "0000"},
		"without a currency":      {"user-1", tok, parent, nil, "0000"},
		"after a recurring child": {"user-1", tok, "", nil, "0000"},
	} {
		t.Run(name, func(t *testing.T) {
			p := tc.parent
			if name == "after a recurring child" {
				a := rec("user-1", tok, parent, "ref-child-of-"+name, nil)
				id, _ := a["order"].(map[string]any)["id"].(json.Number)
				p = string(id)
			}
			ref := "ref-rec-" + strings.ReplaceAll(name, " ", "-")
			extra := tc.extra
			if tc.parent == "" && name == "no parentOrderId" {
				a := rec(tc.user, tc.token, "0", ref, extra)
				if code(a) != tc.code {
					t.Fatalf("%v, want %s", a, tc.code)
				}
				return
			}
			a := rec(tc.user, tc.token, p, ref, extra)
			if code(a) != tc.code {
				t.Fatalf("%v, want %s", a, tc.code)
			}
			st, ok := e.sb.Order(ref)
			if tc.code != "0000" {
				if ok {
					t.Errorf("a refused recurring charge made an order: %+v", st)
				}
				return
			}
			if !st.Charged || !st.Recurring || st.ParentOrderID != p || st.Currency != "HKD" || st.Amount != 999 {
				t.Errorf("ledger %+v", st)
			}
		})
	}
}

// TestVoidAndQuery: void takes SUCCESS to VOIDED once; query finds orders
// by merchantReference or orderId under both paths.
func TestVoidAndQuery(t *testing.T) {
	e := newEnv(t)
	tok := e.saveCard(t, "user-1", testcards.Visa)
	decl := e.saveCard(t, "user-1", testcards.DeclineGeneric)
	_, paid := e.call(t, "/tokenization/sale", e.saleFields("user-1", tok, "ref-paid"))
	e.call(t, "/tokenization/sale", e.saleFields("user-1", decl, "ref-declined"))
	orderID := paid["order"].(map[string]any)["id"].(json.Number)

	for _, path := range []string{"/tokenization/query", "/hosted-checkout/query", "/tokenization/query/"} {
		if _, a := e.call(t, path, map[string]any{"orderId": orderID}); code(a) != "0000" || a["order"].(map[string]any)["merchantReference"] != "ref-paid" {
			t.Errorf("%s by orderId: %v", path, a)
		}
	}
	if _, a := e.call(t, "/tokenization/query", map[string]any{"orderId": orderID, "merchantReference": "ref-declined"}); code(a) != "2001" {
		t.Errorf("query naming two orders: %v", a)
	}
	if _, a := e.call(t, "/tokenization/void", map[string]any{"merchantReference": "ref-declined"}); code(a) != "2005" {
		t.Errorf("void of a declined order: %v", a)
	}
	if _, a := e.call(t, "/tokenization/void", map[string]any{"merchantReference": "ref-none"}); code(a) != "2001" {
		t.Errorf("void of nothing: %v", a)
	}
	for range 2 {
		_, a := e.call(t, "/tokenization/void", map[string]any{"merchantReference": "ref-paid"})
		if code(a) != "0000" || a["order"].(map[string]any)["status"] != "VOIDED" || a["transaction"].(map[string]any)["status"] != "VOIDED" {
			t.Errorf("void: %v", a)
		}
	}
	if st, _ := e.sb.Order("ref-paid"); st.Status != "VOIDED" || st.TransactionStatus != "VOIDED" || !st.Charged {
		t.Errorf("ledger %+v", st)
	}
}

// TestAddCardPages walks the hosted page with goquery: its hooks, its
// errors (which never echo the card), the challenge step, cancel, reuse
// and expiry.
func TestAddCardPages(t *testing.T) {
	e := newEnv(t)
	target := e.addToken(t, "user-1", map[string]any{"lang": "zh-HK"})
	resp, doc := page(t, http.MethodGet, target, nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("HTTP %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-HK" {
		t.Errorf("lang %q", lang)
	}
	for _, id := range []string{"card-number", "card-expiry", "card-cvc", "cardholder-name", "add-card-submit", "add-card-cancel"} {
		if hook(doc, id).Length() != 1 {
			t.Errorf("hook %s missing", id)
		}
	}
	for id, autocomplete := range map[string]string{"card-number": "cc-number", "card-expiry": "cc-exp", "card-cvc": "cc-csc", "cardholder-name": "cc-name"} {
		if got, _ := hook(doc, id).Attr("autocomplete"); got != autocomplete {
			t.Errorf("%s autocomplete %q", id, got)
		}
		if name, _ := hook(doc, id).Attr("name"); name != id {
			t.Errorf("%s name %q", id, name)
		}
	}
	action, _ := doc.Find("form").Attr("action")
	if action != target {
		t.Errorf("form action %q, want %q", action, target)
	}

	// A bad card: 422 with the field's error, the number and CVC not echoed.
	bad := url.Values{"card-number": {"4242424242424241"}, "card-expiry": {"12/20"}, "card-cvc": {"987"}, "cardholder-name": {"Jane Doe"}}
	resp, doc = page(t, http.MethodPost, target, bad)
	html, _ := doc.Html()
	if resp.StatusCode != http.StatusUnprocessableEntity || hook(doc, "field-error-card-number").Length() != 1 || hook(doc, "field-error-card-expiry").Length() != 1 {
		t.Errorf("bad card: HTTP %d", resp.StatusCode)
	}
	if strings.Contains(html, "4242424242424241") || strings.Contains(html, "987") {
		t.Error("the error page echoes the card number or the CVC")
	}
	if v, _ := hook(doc, "cardholder-name").Attr("value"); v != "Jane Doe" {
		t.Errorf("the name was not kept: %q", v)
	}

	// The challenge card: a code page, then the fail URL for a wrong code.
	good := url.Values{"card-number": {testcards.Challenge}, "card-expiry": {"12/39"}, "card-cvc": {"123"}, "cardholder-name": {"Jane Doe"}}
	resp, doc = page(t, http.MethodPost, target, good)
	if resp.StatusCode != 200 || hook(doc, "otp-input").Length() != 1 || hook(doc, "otp-submit").Length() != 1 || hook(doc, "bbmsl-challenge").Length() != 1 {
		t.Fatalf("challenge page: HTTP %d", resp.StatusCode)
	}
	if card := hook(doc, "challenge-card").Text(); !strings.Contains(card, "3220") || strings.Contains(card, testcards.Challenge) {
		t.Errorf("challenge card %q", card)
	}
	if _, doc = page(t, http.MethodGet, target, nil); hook(doc, "otp-input").Length() != 1 {
		t.Error("reloading the page lost the challenge")
	}
	challenge, _ := doc.Find("form").Attr("action")
	resp, _ = page(t, http.MethodPost, challenge, url.Values{"otp": {"0000"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != failURL {
		t.Errorf("wrong code: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(e.sb.Tokens("user-1")) != 0 {
		t.Error("a failed challenge saved the card")
	}
	// A used page says so and leads back; posting again changes nothing.
	if _, doc = page(t, http.MethodGet, target, nil); hook(doc, "bbmsl-finished").Length() != 1 || hook(doc, "add-card-return").AttrOr("href", "") != failURL {
		t.Error("the used page is not finished")
	}
	good.Set("card-number", testcards.Visa)
	if resp, _ = page(t, http.MethodPost, target, good); resp.StatusCode != http.StatusSeeOther || len(e.sb.Tokens("user-1")) != 0 {
		t.Error("a used page took another card")
	}

	// The right code saves the card; 3DS N is refused; cancel goes to cancel.
	for name, tc := range map[string]struct {
		card, otp, want string
		saved           bool
	}{
		"challenge passed":       {testcards.Challenge, ChallengeCode, successURL, true},
		"challenge then decline": {testcards.ChallengeThenDecline, ChallengeCode, successURL, true},
		"authentication failed":  {testcards.AuthFailed, "", failURL, false},
		"3DS unavailable":        {testcards.AuthUnavailable, "", successURL, true},
		"amex":                   {testcards.Amex, "", successURL, true},
	} {
		user := "user-" + strings.ReplaceAll(name, " ", "-")
		followed, err := CompleteAddCard(t.Context(), nil, e.addToken(t, user, nil), tc.card, tc.otp)
		if err != nil || followed != tc.want {
			t.Errorf("%s: %q, %v; want %q", name, followed, err, tc.want)
		}
		if got := len(e.sb.Tokens(user)); (got == 1) != tc.saved {
			t.Errorf("%s: %d tokens", name, got)
		}
	}
	if st := e.sb.Tokens("user-3DS-unavailable"); len(st) != 1 || st[0].ThreeDS != "U" {
		t.Errorf("3DS unavailable token %+v", st)
	}
	cancelPage := e.addToken(t, "user-cancel", nil)
	_, doc = page(t, http.MethodGet, cancelPage, nil)
	resp, _ = page(t, http.MethodGet, hook(doc, "add-card-cancel").AttrOr("href", ""), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != cancelURL {
		t.Errorf("cancel: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Without a cancel URL, cancel goes to fail.
	_, a := e.call(t, "/tokenization/add-token", map[string]any{"userId": "u", "callbackUrl": map[string]any{"success": successURL, "fail": failURL}})
	_, doc = page(t, http.MethodGet, a["data"].(string), nil)
	if resp, _ = page(t, http.MethodGet, hook(doc, "add-card-cancel").AttrOr("href", ""), nil); resp.Header.Get("Location") != failURL {
		t.Errorf("cancel without a cancel URL went to %q", resp.Header.Get("Location"))
	}

	// Unknown and expired pages.
	if resp, doc = page(t, http.MethodGet, e.base+"/token?sid=nope", nil); resp.StatusCode != 404 || hook(doc, "bbmsl-error").Length() != 1 {
		t.Errorf("unknown page: HTTP %d", resp.StatusCode)
	}
	late := e.addToken(t, "user-late", nil)
	e.clock.Advance(31 * time.Minute)
	if resp, _ = page(t, http.MethodGet, late, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != failURL {
		t.Errorf("expired page: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := CompleteAddCard(t.Context(), nil, late, testcards.Visa, ""); err == nil {
		t.Error("CompleteAddCard filled an expired page")
	}

	// add-token's own checks.
	for name, fields := range map[string]map[string]any{
		"no callbackUrl":    {"userId": "u"},
		"no success URL":    {"userId": "u", "callbackUrl": map[string]any{"fail": failURL}},
		"relative fail URL": {"userId": "u", "callbackUrl": map[string]any{"success": successURL, "fail": "/failed"}},
		"lang fr":           {"userId": "u", "lang": "fr", "callbackUrl": map[string]any{"success": successURL, "fail": failURL}},
		"no userId":         {"callbackUrl": map[string]any{"success": successURL, "fail": failURL}},
	} {
		if _, a := e.call(t, "/tokenization/add-token", fields); code(a) != "1003" {
			t.Errorf("%s: %v", name, a)
		}
	}
}

// TestLedgerHoldsNoCardData: after saving and charging every test card, no
// card number or CVC is anywhere in the sandbox's state.
func TestLedgerHoldsNoCardData(t *testing.T) {
	e := newEnv(t)
	for i, row := range testcards.Table() {
		if row.Scenario.Authentication == testcards.Failed { // not saved
			continue
		}
		tok := e.saveCard(t, "user-ledger", row.Number)
		req, _ := json.Marshal(withMerchant(e, e.saleFields("user-ledger", tok, fmt.Sprint("ref-", i))))
		resp, err := http.Post(e.base+"/tokenization/sale", "application/json", strings.NewReader(string(e.sealed(t, req))))
		if err == nil {
			resp.Body.Close()
		}
	}
	e.sb.mu.Lock()
	state := fmt.Sprintf("%+v %+v %+v", e.sb.tokens, e.sb.sessions, e.sb.orders)
	for _, tk := range e.sb.tokens {
		state += fmt.Sprintf("%+v", *tk)
	}
	for _, o := range e.sb.orders {
		state += fmt.Sprintf("%+v", *o)
	}
	for _, ss := range e.sb.sessions {
		state += fmt.Sprintf("%+v", *ss)
	}
	e.sb.mu.Unlock()
	for _, row := range testcards.Table() {
		if strings.Contains(state, row.Number) {
			t.Errorf("the ledger holds %s", row.Number)
		}
	}
	// Nothing in the ledger's records could hold a CVC or a full number.
	for _, typ := range []reflect.Type{reflect.TypeFor[tokenRec](), reflect.TypeFor[orderRec](), reflect.TypeFor[session]()} {
		for f := range typ.Fields() {
			if name := strings.ToLower(f.Name); strings.Contains(name, "cvc") || strings.Contains(name, "cvv") || name == "pan" || name == "number" {
				t.Errorf("%s has a field %s", typ.Name(), f.Name)
			}
		}
	}
}

// TestNotifications: signed with BBMSL's key over the raw canonical form,
// sent to callbackUrl.notify (or Config.NotifyURL), retried until OK.
func TestNotifications(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	failures := 2
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, b)
		if failures > 0 {
			failures--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "OK\n")
	}))
	t.Cleanup(sink.Close)
	e := newEnv(t, func(c *Config) { c.RetryDelays = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond} })
	tok := e.saveCard(t, "user-1", testcards.Visa)
	f := e.saleFields("user-1", tok, "ref-notify")
	f["callbackUrl"] = map[string]any{"notify": sink.URL + "/notify/bbmsl?x=1"}
	if _, a := e.call(t, "/tokenization/sale", f); code(a) != "0000" {
		t.Fatal(a)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	d := e.sb.Deliveries()
	if len(d) != 1 || !d[0].Acknowledged || fmt.Sprint(d[0].Attempts) != "[503 503 200]" || d[0].URL != sink.URL+"/notify/bbmsl?x=1" || d[0].Status != "SUCCESS" {
		t.Fatalf("deliveries %+v", d)
	}
	var fields map[string]string
	if err := json.Unmarshal(d[0].Body, &fields); err != nil {
		t.Fatal(err)
	}
	sig := fields["signature"]
	pub, _ := bbmsl.ParsePublicKey(e.creds.BBMSLPublicKey)
	if err := bbmsl.Verify(pub, []byte(bbmsl.NotificationContent(fields, bbmsl.FormRaw)), sig); err != nil {
		t.Errorf("the notification does not verify over the raw form: %v", err)
	}
	st, _ := e.sb.Order("ref-notify")
	for k, want := range map[string]string{"orderId": st.OrderID, "merchantReference": "ref-notify", "amount": "12.34", "currency": "HKD", "status": "SUCCESS", "cardType": "VISA", "maskedPan": "424242XXXXXX4242"} {
		if fields[k] != want {
			t.Errorf("%s = %q, want %q", k, fields[k], want)
		}
	}

	// A sale without a notify URL sends nothing; Config.NotifyURL sends all.
	if _, a := e.call(t, "/tokenization/sale", e.saleFields("user-1", tok, "ref-quiet")); code(a) != "0000" {
		t.Fatal(a)
	}
	if n := len(e.sb.Deliveries()); n != 1 {
		t.Errorf("%d deliveries without a notify URL", n)
	}
	forced := newEnv(t, func(c *Config) { c.NotifyURL = sink.URL + "/forced" })
	tok = forced.saveCard(t, "user-1", testcards.Visa)
	if _, a := forced.call(t, "/tokenization/sale", forced.saleFields("user-1", tok, "ref-forced")); code(a) != "0000" {
		t.Fatal(a)
	}
	if err := forced.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	if d := forced.sb.Deliveries(); len(d) != 1 || d[0].URL != sink.URL+"/forced" || !d[0].Acknowledged {
		t.Errorf("forced deliveries %+v", d)
	}

	// Close abandons a delivery nobody acknowledges.
	never := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(never.Close)
	stuck := newEnv(t, func(c *Config) { c.NotifyURL = never.URL; c.RetryDelays = []time.Duration{time.Hour} })
	tok = stuck.saveCard(t, "user-1", testcards.Visa)
	stuck.call(t, "/tokenization/sale", stuck.saleFields("user-1", tok, "ref-stuck"))
	deadline := time.Now().Add(2 * time.Second)
	for len(stuck.sb.Deliveries()) == 0 || len(stuck.sb.Deliveries()[0].Attempts) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no first try")
		}
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { _ = stuck.sb.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close waited for the retry")
	}
	if d := stuck.sb.Deliveries()[0]; d.Acknowledged || !d.Done {
		t.Errorf("a lower-case ok was taken as the acknowledgement: %+v", d)
	}
}

// TestNewValidatesConfig covers the sandbox's own configuration.
func TestNewValidatesConfig(t *testing.T) {
	creds, other := testCredentials(t)
	for name, cfg := range map[string]Config{
		"relative PublicURL":  {PublicURL: "/sandbox/bbmsl", Credentials: creds},
		"merchant id letters": {PublicURL: "http://x.test", Credentials: Credentials{MerchantID: "m1", MerchantPublicKey: creds.MerchantPublicKey, BBMSLPrivateKey: creds.BBMSLPrivateKey}},
		"no merchant key":     {PublicURL: "http://x.test", Credentials: Credentials{MerchantID: "1", BBMSLPrivateKey: creds.BBMSLPrivateKey}},
		"no BBMSL key":        {PublicURL: "http://x.test", Credentials: Credentials{MerchantID: "1", MerchantPublicKey: creds.MerchantPublicKey}},
		"keys swapped":        {PublicURL: "http://x.test", Credentials: Credentials{MerchantID: "1", MerchantPublicKey: other.Private, BBMSLPrivateKey: other.Public}},
		"relative NotifyURL":  {PublicURL: "http://x.test", Credentials: creds, NotifyURL: "/notify"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
