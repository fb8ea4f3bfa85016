package bbmsl

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestNewValidatesConfig(t *testing.T) {
	good := testConfig("https://payapi.sit.bbmsl.com", time.Second)
	if c, err := New(good); err != nil || c.Name() != Name {
		t.Fatalf("New(good) = %v", err)
	}
	empty := good
	empty.BaseURL = ""
	if c, err := New(empty); err != nil || c.base.String() != SITBaseURL {
		t.Errorf("an empty BaseURL: %v, %v; want %s", c, err, SITBaseURL)
	}
	merchant, _, _ := testKeys(t)
	for name, edit := range map[string]func(*Config){
		"relative BaseURL":      func(c *Config) { c.BaseURL = "payapi.sit.bbmsl.com" },
		"BaseURL with query":    func(c *Config) { c.BaseURL = "https://payapi.sit.bbmsl.com/?x=1" },
		"BaseURL with user":     func(c *Config) { c.BaseURL = "https://u:p@payapi.sit.bbmsl.com" },
		"no MerchantID":         func(c *Config) { c.MerchantID = "" },
		"MerchantID not digits": func(c *Config) { c.MerchantID = "merchant-3" },
		"no private key":        func(c *Config) { c.MerchantPrivateKey = "" },
		"bad private key":       func(c *Config) { c.MerchantPrivateKey = "bm90IGEga2V5" },
		"public key as private": func(c *Config) { c.MerchantPrivateKey = merchant.Public },
		"no BBMSL key":          func(c *Config) { c.BBMSLPublicKey = "" },
		"private key as public": func(c *Config) { c.BBMSLPublicKey = merchant.Private },
		"QueryPath not a path":  func(c *Config) { c.QueryPath = "https://elsewhere/query" },
	} {
		cfg := good
		edit(&cfg)
		_, err := New(cfg)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "bbmsl: ") || strings.Contains(err.Error(), merchant.Private[40:80]) {
			t.Errorf("%s: error %q", name, err)
		}
	}
	c := mustClient(t, good)
	caps := c.Capabilities()
	if !caps.Supports(checkout.MethodSavedCard) || caps.Supports(checkout.MethodCard) || caps.ManualCapture ||
		!reflect.DeepEqual(caps.Currencies, []string{"HKD", "USD"}) {
		t.Errorf("capabilities %+v", caps)
	}
}

// TestPaySaleRequest checks the wire request of a token sale: method, path,
// headers, the signed envelope and every field.
func TestPaySaleRequest(t *testing.T) {
	f, c := newFake(t)
	f.on(pathSale, ok(saleAnswer("0000", "SUCCESS", "SUCCESS")))
	out, err := c.Pay(t.Context(), testPayRequest())
	if err != nil {
		t.Fatal(err)
	}
	r := f.last(pathSale)
	if r.method != http.MethodPost || r.contentType != "application/json" {
		t.Errorf("%s with Content-Type %q", r.method, r.contentType)
	}
	want := map[string]any{
		"merchantId": "3", "userId": testCustomer, "tokenId": 436.0, "merchantReference": testPaymentID,
		"currency": "HKD", "amount": 12.34, "email": "jane.doe@example.com",
		"callbackUrl": map[string]any{"notify": "https://checkout.example.com/notify/bbmsl"},
		"isRecurring": false,
		"lineItems": []any{
			map[string]any{"quantity": 1.0, "priceData": map[string]any{"name": "Linen shirt", "unitAmount": 10.0}},
			map[string]any{"quantity": 2.0, "priceData": map[string]any{"name": "Socks", "unitAmount": 1.17}},
		},
	}
	if !reflect.DeepEqual(r.fields, want) {
		t.Errorf("sale request\n got %v\nwant %v", r.fields, want)
	}
	// Amounts are JSON numbers with two decimals, written from the integer.
	for _, s := range []string{`"amount":12.34`, `"unitAmount":10.00`, `"unitAmount":1.17`, `"tokenId":436`, `"merchantId":"3"`} {
		if !strings.Contains(string(r.raw), s) {
			t.Errorf("the request string lacks %s: %s", s, r.raw)
		}
	}
	if out.Status != checkout.OutcomeSucceeded || out.ProviderRef != "5798" {
		t.Fatalf("outcome %s %q", out.Status, out.ProviderRef)
	}
	wantData := map[string]string{keyOrderID: "5798", keyOrderStatus: "SUCCESS", keyTransactionStatus: "SUCCESS", keyResponseCode: "0000"}
	if !reflect.DeepEqual(out.ProviderData, wantData) {
		t.Errorf("ProviderData %v", out.ProviderData)
	}
	if out.Card == nil || *out.Card != (checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "470534", Last4: "8101"}) {
		t.Errorf("card %+v", out.Card)
	}
}

// TestPayLineItems: the payment's lines when they add up, else one line for
// the total.
func TestPayLineItems(t *testing.T) {
	one := func(name string, total float64) []any {
		return []any{map[string]any{"quantity": 1.0, "priceData": map[string]any{"name": name, "unitAmount": total}}}
	}
	for name, tc := range map[string]struct {
		edit func(*checkout.PayRequest)
		want []any
	}{
		"do not add up":   {func(r *checkout.PayRequest) { r.LineItems[1].UnitAmount = 100 }, one("Linen shirt and socks", 12.34)},
		"none":            {func(r *checkout.PayRequest) { r.LineItems = nil }, one("Linen shirt and socks", 12.34)},
		"no name":         {func(r *checkout.PayRequest) { r.LineItems[0].Name = " " }, one("Linen shirt and socks", 12.34)},
		"zero quantity":   {func(r *checkout.PayRequest) { r.LineItems[0].Quantity = 0 }, one("Linen shirt and socks", 12.34)},
		"no description":  {func(r *checkout.PayRequest) { r.LineItems, r.Description = nil, "" }, one("order-1001", 12.34)},
		"nothing to name": {func(r *checkout.PayRequest) { r.LineItems, r.Description, r.MerchantReference = nil, "", "" }, one("Order", 12.34)},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(pathSale, ok(saleAnswer("0000", "SUCCESS", "SUCCESS")))
			req := testPayRequest()
			tc.edit(&req)
			if _, err := c.Pay(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			if got := f.last(pathSale).fields["lineItems"]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lineItems %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPayRecurring: SetupRecurring marks the sale; ParentProviderRef makes
// the charge a tokenization/recurring after that sale.
func TestPayRecurring(t *testing.T) {
	f, c := newFake(t)
	f.on(pathSale, ok(saleAnswer("0000", "SUCCESS", "SUCCESS")))
	req := testPayRequest()
	req.SavedCard.SetupRecurring = true
	if _, err := c.Pay(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if f.last(pathSale).fields["isRecurring"] != true {
		t.Error("isRecurring is not true")
	}

	f.on(pathRecurring, ok(string(readTestdata(t, "contract_sale_recurring_success.json"))))
	req = testPayRequest()
	req.SavedCard.ParentProviderRef = "5798"
	out, err := c.Pay(t.Context(), req)
	if err != nil || out.Status != checkout.OutcomeSucceeded || out.ProviderRef != "5800" {
		t.Fatalf("recurring = %+v, %v", out, err)
	}
	r := f.last(pathRecurring)
	want := map[string]any{
		"merchantId": "3", "userId": testCustomer, "tokenId": 436.0, "reason": "Linen shirt and socks",
		"currency": "HKD", "amount": 12.34, "merchantReference": testPaymentID, "parentOrderId": 5798.0,
		"callbackUrl": map[string]any{"notify": "https://checkout.example.com/notify/bbmsl"},
	}
	if !reflect.DeepEqual(r.fields, want) {
		t.Errorf("recurring request\n got %v\nwant %v", r.fields, want)
	}
	if f.count(pathSale) != 1 {
		t.Error("the recurring charge also called sale")
	}

	req.SavedCard.ParentProviderRef = "5798; DROP"
	if out, err := c.Pay(t.Context(), req); err != nil || out.Status != checkout.OutcomeFailed {
		t.Errorf("a malformed parent: %s, %v", out.Status, err)
	}
}

// TestPayAnswers maps every kind of sale answer: final outcomes, refusals
// that created nothing, and everything whose outcome is unknown.
func TestPayAnswers(t *testing.T) {
	for name, tc := range map[string]struct {
		r       reply
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		err     bool
	}{
		"approved":                      {r: ok(saleAnswer("0000", "SUCCESS", "SUCCESS")), status: checkout.OutcomeSucceeded},
		"declined, insufficient funds":  {r: ok(saleAnswer("5051", "OPEN", "DECLINED")), status: checkout.OutcomeFailed, decline: checkout.DeclineInsufficientFunds},
		"declined, CVC":                 {r: ok(saleAnswer("5082", "OPEN", "DECLINED")), status: checkout.OutcomeFailed, decline: checkout.DeclineIncorrectCVC},
		"declined with 0000":            {r: ok(saleAnswer("0000", "OPEN", "DECLINED")), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		"declined without an order":     {r: ok(`{"responseCode":"5054","message":"x"}`), status: checkout.OutcomeFailed, decline: checkout.DeclineExpiredCard},
		"open, no transaction":          {r: ok(`{"responseCode":"0000","order":{"id":5798,"merchantReference":"` + testPaymentID + `","currency":"HKD","amount":12.34,"status":"OPEN"}}`), status: checkout.OutcomePending},
		"invalid signature":             {r: ok(`{"responseCode":"1001","message":"invalid signature"}`), status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"no public key":                 {r: ok(`{"responseCode":"1002","message":"no public key"}`), status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"invalid parameter":             {r: ok(`{"responseCode":"1003","message":"invalid parameter: amount"}`), status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"invalid parameter, HTTP 400":   {r: reply{status: 400, body: `{"responseCode":"1003","message":"invalid parameter: amount"}`}, status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"token not found":               {r: ok(`{"responseCode":"2003","message":"token not found"}`), status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"duplicate merchantReference":   {r: ok(`{"responseCode":"2002","message":"duplicate merchantReference"}`), err: true},
		"system error":                  {r: ok(`{"responseCode":"9999","message":"system error"}`), err: true},
		"unknown code":                  {r: ok(saleAnswer("7777", "SUCCESS", "SUCCESS")), err: true},
		"responseCode as a number":      {r: ok(`{"responseCode":0}`), err: true},
		"no responseCode":               {r: ok(`{"order":{"id":1}}`), err: true},
		"success without an order":      {r: ok(`{"responseCode":"0000","message":"SUCCESS"}`), err: true},
		"another merchantReference":     {r: ok(strings.Replace(saleAnswer("0000", "SUCCESS", "SUCCESS"), testPaymentID, "pay_other", 1)), err: true},
		"another amount":                {r: ok(strings.Replace(saleAnswer("0000", "SUCCESS", "SUCCESS"), `"amount":12.34,"net`, `"amount":12.35,"net`, 1)), err: true},
		"an amount with three decimals": {r: ok(strings.Replace(saleAnswer("0000", "SUCCESS", "SUCCESS"), `"amount":12.34,"net`, `"amount":12.340,"net`, 1)), err: true},
		"another currency":              {r: ok(strings.Replace(saleAnswer("0000", "SUCCESS", "SUCCESS"), `"currency":"HKD","amount":12.34,"net`, `"currency":"USD","amount":12.34,"net`, 1)), err: true},
		"a decline code, a paid order":  {r: ok(saleAnswer("5051", "SUCCESS", "SUCCESS")), err: true},
		"HTTP 500 with JSON":            {r: reply{status: 500, body: saleAnswer("0000", "SUCCESS", "SUCCESS")}, err: true},
		"HTTP 502 page":                 {r: reply{status: 502, body: "<html>bad gateway</html>"}, err: true},
		"HTTP 400 with 0000":            {r: reply{status: 400, body: saleAnswer("0000", "SUCCESS", "SUCCESS")}, err: true},
		"HTTP 302":                      {r: reply{status: 302, body: ""}, err: true},
		"not JSON":                      {r: ok("<html>maintenance</html>"), err: true},
		"no answer in time":             {r: reply{hang: true}, err: true},
		"connection dropped":            {r: reply{abort: true}, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakePayAPI{t: t, replies: map[string][]reply{}}
			cfg := testConfig(newServer(t, f)+gateway, 300*time.Millisecond)
			c := mustClient(t, cfg)
			f.on(pathSale, tc.r)
			out, err := c.Pay(t.Context(), testPayRequest())
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v (outcome %s)", err, tc.err, out.Status)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "bbmsl: sale: ") {
					t.Errorf("error %q", err)
				}
				return
			}
			if out.Status != tc.status {
				t.Fatalf("status %s, want %s", out.Status, tc.status)
			}
			if tc.decline != "" && (out.Decline == nil || out.Decline.Code != tc.decline || out.Decline.Message == "") {
				t.Errorf("decline %+v, want %s", out.Decline, tc.decline)
			}
		})
	}
}

// TestPayRefusesBeforeCalling: what PayAPI cannot take is refused without
// a call.
func TestPayRefusesBeforeCalling(t *testing.T) {
	for name, tc := range map[string]struct {
		edit    func(*checkout.PayRequest)
		decline checkout.DeclineCode
		err     bool
	}{
		"a card payment":      {edit: func(r *checkout.PayRequest) { r.Method = checkout.MethodCard }, decline: checkout.DeclineNotSupported},
		"no saved card":       {edit: func(r *checkout.PayRequest) { r.SavedCard = nil }, decline: checkout.DeclineNotSupported},
		"euros":               {edit: func(r *checkout.PayRequest) { r.Amount.Currency = "EUR" }, decline: checkout.DeclineNotSupported},
		"zero":                {edit: func(r *checkout.PayRequest) { r.Amount.Amount = 0 }, decline: checkout.DeclineNotSupported},
		"over Number(9,2)":    {edit: func(r *checkout.PayRequest) { r.Amount.Amount = MaxWireAmount + 1 }, decline: checkout.DeclineNotSupported},
		"a card id of text":   {edit: func(r *checkout.PayRequest) { r.SavedCard.CardID = "card_1" }, decline: checkout.DeclineProcessingError},
		"a card number as id": {edit: func(r *checkout.PayRequest) { r.SavedCard.CardID = testPAN }, decline: checkout.DeclineProcessingError},
		"no customer":         {edit: func(r *checkout.PayRequest) { r.SavedCard.Customer = "" }, decline: checkout.DeclineProcessingError},
		"a customer too long": {edit: func(r *checkout.PayRequest) { r.SavedCard.Customer = strings.Repeat("a", 65) }, decline: checkout.DeclineProcessingError},
		"no payment id":       {edit: func(r *checkout.PayRequest) { r.PaymentID, r.IdempotencyKey = "", "" }, err: true},
		"a payment id of 65":  {edit: func(r *checkout.PayRequest) { r.IdempotencyKey = strings.Repeat("p", 65) }, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			req := testPayRequest()
			tc.edit(&req)
			out, err := c.Pay(t.Context(), req)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if !tc.err && (out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Decline.Code != tc.decline) {
				t.Errorf("outcome %s %+v, want failed %s", out.Status, out.Decline, tc.decline)
			}
			if n := f.count(pathSale); n != 0 {
				t.Errorf("%d sale calls", n)
			}
		})
	}
}

// TestInquire reads the order by merchantReference; "order not found" is
// pending until NotFoundAfter.
func TestInquire(t *testing.T) {
	for name, tc := range map[string]struct {
		r       reply
		created time.Time
		status  checkout.OutcomeStatus
		err     bool
	}{
		"paid":              {r: ok(saleAnswer("0000", "SUCCESS", "SUCCESS")), created: testNow, status: checkout.OutcomeSucceeded},
		"declined":          {r: ok(saleAnswer("0000", "OPEN", "DECLINED")), created: testNow, status: checkout.OutcomeFailed},
		"voided":            {r: ok(string(readTestdata(t, "contract_query_voided.json"))), created: testNow, status: checkout.OutcomeCanceled},
		"not found, young":  {r: ok(string(readTestdata(t, "contract_query_not_found.json"))), created: testNow.Add(-9 * time.Minute), status: checkout.OutcomePending},
		"not found, old":    {r: ok(string(readTestdata(t, "contract_query_not_found.json"))), created: testNow.Add(-10 * time.Minute), status: checkout.OutcomeFailed},
		"not found, no age": {r: ok(string(readTestdata(t, "contract_query_not_found.json"))), status: checkout.OutcomePending},
		"another order":     {r: ok(strings.Replace(saleAnswer("0000", "SUCCESS", "SUCCESS"), testPaymentID, "pay_other", 1)), created: testNow, err: true},
		"invalid signature": {r: ok(string(readTestdata(t, "contract_invalid_signature.json"))), created: testNow, err: true},
		"HTTP 503":          {r: reply{status: 503}, created: testNow, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(DefaultQueryPath, tc.r)
			out, err := c.Inquire(t.Context(), testPayment(tc.created))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err == nil && out.Status != tc.status {
				t.Fatalf("status %s, want %s", out.Status, tc.status)
			}
			if got := f.last(DefaultQueryPath).fields; !reflect.DeepEqual(got, map[string]any{"merchantId": "3", "merchantReference": testPaymentID}) {
				t.Errorf("query request %v", got)
			}
		})
	}
	// Continue reads the order too; QueryPath moves the query.
	f := &fakePayAPI{t: t, replies: map[string][]reply{}}
	cfg := testConfig(newServer(t, f)+gateway, time.Second)
	cfg.QueryPath = "/tokenization/query/"
	c := mustClient(t, cfg)
	f.on("tokenization/query", ok(saleAnswer("0000", "SUCCESS", "SUCCESS")))
	if out, err := c.Continue(t.Context(), testPayment(testNow), checkout.Continuation{Kind: checkout.ContinueRedirect}); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("continue = %s, %v", out.Status, err)
	}
}

// TestCancel voids by merchantReference; a refused void answers what the
// order now is.
func TestCancel(t *testing.T) {
	for name, tc := range map[string]struct {
		void, query reply
		status      checkout.OutcomeStatus
		err         bool
		queried     bool
	}{
		"voided":                     {void: ok(string(readTestdata(t, "contract_query_voided.json"))), status: checkout.OutcomeCanceled},
		"voided, no order":           {void: ok(`{"responseCode":"0000","message":"SUCCESS"}`), status: checkout.OutcomeCanceled},
		"0000 but still paid":        {void: ok(saleAnswer("0000", "SUCCESS", "SUCCESS")), err: true},
		"refused, still paid":        {void: ok(`{"responseCode":"2005"}`), query: ok(saleAnswer("0000", "SUCCESS", "SUCCESS")), status: checkout.OutcomeSucceeded, queried: true},
		"refused, already voided":    {void: ok(`{"responseCode":"2005"}`), query: ok(string(readTestdata(t, "contract_query_voided.json"))), status: checkout.OutcomeCanceled, queried: true},
		"not found":                  {void: ok(`{"responseCode":"2001"}`), query: ok(`{"responseCode":"2001"}`), status: checkout.OutcomeFailed, queried: true},
		"refused, query unavailable": {void: ok(`{"responseCode":"2005"}`), query: reply{status: 500}, err: true, queried: true},
		"invalid signature":          {void: ok(`{"responseCode":"1001"}`), err: true},
		"timeout":                    {void: reply{hang: true}, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakePayAPI{t: t, replies: map[string][]reply{}}
			c := mustClient(t, testConfig(newServer(t, f)+gateway, 300*time.Millisecond))
			f.on(pathVoid, tc.void)
			if tc.queried {
				f.on(DefaultQueryPath, tc.query)
			}
			out, err := c.Cancel(t.Context(), testPayment(testNow.Add(-time.Hour)))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v (outcome %s)", err, out.Status)
			}
			if err == nil && out.Status != tc.status {
				t.Fatalf("status %s, want %s", out.Status, tc.status)
			}
			if got := f.last(pathVoid).fields; !reflect.DeepEqual(got, map[string]any{"merchantId": "3", "merchantReference": testPaymentID}) {
				t.Errorf("void request %v", got)
			}
			if (f.count(DefaultQueryPath) > 0) != tc.queried {
				t.Errorf("queried %d times", f.count(DefaultQueryPath))
			}
		})
	}
}

func TestAddCard(t *testing.T) {
	f, c := newFake(t)
	f.on(pathAddToken, ok(string(readTestdata(t, "contract_add_token.json"))))
	req := checkout.AddCardRequest{
		Customer: testCustomer, ReturnURL: "https://checkout.example.com/cards/added?s=1",
		CancelURL: "https://checkout.example.com/cards/canceled", NotifyURL: "https://checkout.example.com/notify/bbmsl", Locale: "zh-Hant-HK",
	}
	page, err := c.AddCard(t.Context(), req)
	if err != nil || page != "https://checkout.sit.bbmsl.com/token?sid=5c1d0e4f8a9b4c2d9e7f6a5b4c3d2e1f" {
		t.Fatalf("AddCard = %q, %v", page, err)
	}
	want := map[string]any{
		"merchantId": "3", "userId": testCustomer, "reason": addCardReason, "lang": "zh-HK",
		"callbackUrl": map[string]any{
			"success": req.ReturnURL, "fail": req.CancelURL, "cancel": req.CancelURL, "notify": req.NotifyURL,
		},
	}
	if got := f.last(pathAddToken); !reflect.DeepEqual(got.fields, want) || !strings.Contains(string(got.raw), "?s=1") {
		t.Errorf("add-token request %v (%s)", got.fields, got.raw)
	}
	for locale, want := range map[string]string{"en-US": "en", "": "en", "zh-HK": "zh-HK", "zh": "zh-HK", "zh_CN": "zh-HK", "fr": "en", "zhx": "en"} {
		if got := lang(locale); got != want {
			t.Errorf("lang(%q) = %q, want %q", locale, got, want)
		}
	}

	for name, r := range map[string]reply{
		"invalid signature": ok(`{"responseCode":"1001","message":"invalid signature"}`),
		"no URL":            ok(`{"responseCode":"0000","message":"SUCCESS","data":""}`),
		"a script URL":      ok(`{"responseCode":"0000","message":"SUCCESS","data":"javascript:alert(1)"}`),
		"HTTP 500":          {status: 500},
	} {
		f.on(pathAddToken, r)
		if _, err := c.AddCard(t.Context(), req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	calls := f.count(pathAddToken)
	for name, edit := range map[string]func(*checkout.AddCardRequest){
		"no customer":         func(r *checkout.AddCardRequest) { r.Customer = "" },
		"relative return URL": func(r *checkout.AddCardRequest) { r.ReturnURL = "/cards/added" },
		"no cancel URL":       func(r *checkout.AddCardRequest) { r.CancelURL = "" },
		"a bad notify URL":    func(r *checkout.AddCardRequest) { r.NotifyURL = "ftp://x" },
	} {
		bad := req
		edit(&bad)
		if _, err := c.AddCard(t.Context(), bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if f.count(pathAddToken) != calls {
		t.Error("a refused add-card request was sent")
	}
}

func TestDeleteSavedCard(t *testing.T) {
	f, c := newFake(t)
	for name, tc := range map[string]struct {
		r   reply
		err bool
	}{
		"deleted":         {r: ok(`{"responseCode":"0000","message":"SUCCESS"}`)},
		"already gone":    {r: ok(`{"responseCode":"2003","message":"token not found"}`)},
		"bad signature":   {r: ok(`{"responseCode":"1001","message":"invalid signature"}`), err: true},
		"gateway failure": {r: reply{status: 502}, err: true},
	} {
		f.on(pathDeleteToken, tc.r)
		if err := c.DeleteSavedCard(t.Context(), testCustomer, "436"); (err != nil) != tc.err {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := f.last(pathDeleteToken).fields; !reflect.DeepEqual(got, map[string]any{"merchantId": "3", "userId": testCustomer, "tokenId": 436.0}) {
		t.Errorf("delete-token request %v", got)
	}
	if err := c.DeleteSavedCard(t.Context(), testCustomer, "card_1"); err == nil {
		t.Error("a card id that is not a token id was sent")
	}

	f.on(pathQueryToken, ok(`{"responseCode":"2003","message":"token not found"}`))
	if cards, err := c.SavedCards(t.Context(), testCustomer); err != nil || len(cards) != 0 {
		t.Errorf("no tokens: %v, %v", cards, err)
	}
	f.on(pathQueryToken, ok(`{"responseCode":"1001","message":"invalid signature"}`))
	if _, err := c.SavedCards(t.Context(), testCustomer); err == nil {
		t.Error("a refused query-token listed cards")
	}
	f.on(pathQueryToken, ok(`{"responseCode":"0000","list":[{"tokenId":"4242424242424242","userId":"`+testCustomer+`","maskedPan":"4242424242424242","cardBrand":"VISA","expiryDate":"202912"}]}`))
	if cards, err := c.SavedCards(t.Context(), testCustomer); err != nil || len(cards) != 0 {
		t.Errorf("a token whose id and number are a PAN: %v, %v", cards, err)
	}
}
