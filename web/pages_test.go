package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
	"github.com/opencheckout/hostedcheckout/web"
)

func doc(tb testing.TB, r response) *goquery.Document {
	tb.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func testid(d *goquery.Document, id string) *goquery.Selection {
	return d.Find(`[data-testid="` + id + `"]`)
}

// insertSession stores a session directly, for currencies the sandbox
// provider does not take through the API.
func insertSession(tb testing.TB, app *web.App, amount int64, currency, locale string, items []checkout.LineItem) string {
	tb.Helper()
	now := time.Now().UTC()
	s := &checkout.Session{ID: checkout.RandomIDs{}.NewID(checkout.PrefixSession), MerchantID: web.DemoMerchantID,
		Status: checkout.SessionOpen, Amount: checkout.Money{Amount: amount, Currency: currency}, LineItems: items,
		Locale: locale, SuccessURL: "https://shop.test/ok", PaymentMethods: []checkout.PaymentMethod{checkout.MethodCard},
		Provider: "payorder", CaptureMode: checkout.CaptureAutomatic, ThreeDS: checkout.ThreeDSAutomatic,
		ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := app.Store.CreateSession(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
	return s.ID
}

func TestCheckoutPageHooksAndAttributes(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	res := do(t, http.MethodGet, app.URL+"/c/"+id, nil)
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	d := doc(t, res)
	inputs := map[string][2]string{ // hook -> autocomplete, inputmode
		"card-number": {"cc-number", "numeric"}, "card-expiry": {"cc-exp", "numeric"}, "card-cvc": {"cc-csc", "numeric"},
		"cardholder-name": {"cc-name", ""},
	}
	for hook, want := range inputs {
		in := testid(d, hook)
		if in.Length() != 1 {
			t.Fatalf("hook %s missing", hook)
		}
		if ac, _ := in.Attr("autocomplete"); ac != want[0] {
			t.Errorf("%s autocomplete %q", hook, ac)
		}
		if im, _ := in.Attr("inputmode"); im != want[1] {
			t.Errorf("%s inputmode %q", hook, im)
		}
		inputID, _ := in.Attr("id")
		if d.Find(`label[for="`+inputID+`"]`).Length() != 1 {
			t.Errorf("%s has no label", hook)
		}
	}
	for _, hook := range []string{"pay-button", "order-total"} {
		if testid(d, hook).Length() != 1 {
			t.Errorf("hook %s missing", hook)
		}
	}
	// One method: no chooser, and the card method's hook is on nothing
	// (it names the visible radio of a page with a choice).
	if d.Find("fieldset.methods").Length() != 0 || testid(d, "payment-method-card").Length() != 0 {
		t.Error("a card-only page shows a method chooser")
	}
	for _, name := range []string{"browser_screen_width", "browser_screen_height", "browser_color_depth", "browser_tz_offset",
		"browser_language", "browser_java_enabled", "browser_js_enabled", "browser_inner_width", "browser_inner_height"} {
		if d.Find(`form#pay-form input[type=hidden][name="`+name+`"]`).Length() != 1 {
			t.Errorf("hidden browser field %s missing", name)
		}
	}
	if got := strings.TrimSpace(testid(d, "order-total").Text()); got != "$25.00" {
		t.Errorf("total %q", got)
	}
	if d.Find("script:not([src])").Length() != 0 || strings.Contains(string(res.Body), " onclick=") {
		t.Error("inline script or handler on the card page")
	}
	h := res.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("Cache-Control") != "no-store" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", h)
	}
}

func TestAmountsFormattedForLocaleAndCurrency(t *testing.T) {
	app := sharedApp(t)
	tests := []struct {
		amount           int64
		currency, locale string
		total, line      string
		lang             string // the catalog the page renders
	}{
		{123456, "JPY", "ja-JP", "￥123,456", "￥61,728", "ja"},
		{123456, "EUR", "de-DE", "1.234,56\u00a0€", "617,28\u00a0€", "de"},
		{123456, "EUR", "de-AT", "€\u00a01.234,56", "€\u00a0617,28", "de"},
		{123456, "KWD", "en", "KWD\u00a0123.456", "KWD\u00a061.728", "en"},
		{123456, "USD", "en-US", "$1,234.56", "$617.28", "en"},
	}
	for _, tt := range tests {
		id := insertSession(t, app, tt.amount, tt.currency, tt.locale, []checkout.LineItem{{Name: "Thing", Quantity: 1, UnitAmount: tt.amount / 2}, {Name: "Other", Quantity: 1, UnitAmount: tt.amount / 2}})
		d := doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil))
		if got := testid(d, "order-total").Text(); got != tt.total {
			t.Errorf("%s %s total %q, want %q", tt.currency, tt.locale, got, tt.total)
		}
		if got := d.Find(".lines li bdi").Last().Text(); got != tt.line {
			t.Errorf("%s %s line %q, want %q", tt.currency, tt.locale, got, tt.line)
		}
		if lang, _ := d.Find("html").Attr("lang"); lang != tt.lang {
			t.Errorf("lang %q", lang)
		}
	}
}

func TestMarkupInMerchantTextIsEscaped(t *testing.T) {
	app := sharedApp(t)
	s := validSession()
	s["merchant_reference"] = `<script>alert("ref")</script>`
	s["line_items"] = []map[string]any{{"name": `<img src=x onerror=alert(1)>`, "quantity": 1, "unit_amount": 2500}}
	id := mustCreateSession(t, app, s)["id"].(string)
	res := do(t, http.MethodGet, app.URL+"/c/"+id, nil)
	body := string(res.Body)
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatal("merchant text rendered as markup")
	}
	if !strings.Contains(doc(t, res).Find(".lines").Text(), `<img src=x onerror=alert(1)>`) {
		t.Fatal("merchant text not shown as text")
	}
}

func TestCardFormErrors(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	form := url.Values{"card_number": {"4242 4242 4242 4241"}, "card_expiry": {"01/20"}, "card_cvc": {"98"}, "cardholder_name": {"Ada"}}
	res := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, form), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Status)
	}
	d := doc(t, res)
	for _, f := range []string{"card-number", "card-expiry", "card-cvc"} {
		if strings.TrimSpace(testid(d, "field-error-"+f).Text()) == "" {
			t.Errorf("no inline error for %s", f)
		}
	}
	if testid(d, "field-error-cardholder-name").Length() != 0 {
		t.Error("error on a valid name")
	}
	if strings.Contains(string(res.Body), "4242424242424241") || strings.Contains(string(res.Body), "4242 4242 4242 4241") ||
		strings.Contains(string(res.Body), `value="98"`) {
		t.Fatal("card number or code echoed")
	}
	if v, _ := testid(d, "cardholder-name").Attr("value"); v != "Ada" {
		t.Errorf("name not kept: %q", v)
	}
	if pays, _ := app.Store.SessionPayments(context.Background(), id); len(pays) != 0 {
		t.Fatal("a payment was created from bad input")
	}
}

// Twenty submissions of the same form at once make one payment and one
// provider order; reloading the status page calls no provider.
func TestConcurrentSubmitsMakeOnePayment(t *testing.T) {
	app := sharedApp(t)
	id := mustCreateSession(t, app, validSession())["id"].(string)
	form := url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, form), "Content-Type", "application/x-www-form-urlencoded")
			mu.Lock()
			statuses[res.Status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	pays, _ := app.Store.SessionPayments(context.Background(), id)
	if len(pays) != 1 || statuses[http.StatusSeeOther] != 20 {
		t.Fatalf("%d payments, statuses %v", len(pays), statuses)
	}
	if _, ok := app.Sandbox.Payorder.Order(pays[0].ID); !ok {
		t.Fatal("the one payment has no provider order")
	}
	calls := func() int {
		events, _ := app.Store.SessionEvents(context.Background(), id)
		n := 0
		for _, e := range events {
			if e.Type == checkout.EventProviderCall {
				n++
			}
		}
		return n
	}
	before := calls()
	for i := 0; i < 10; i++ {
		if res := do(t, http.MethodGet, app.URL+"/c/"+id+"/status", nil); res.Status != 200 {
			t.Fatalf("status page: %d", res.Status)
		}
	}
	if after := calls(); after != before || before != 1 {
		t.Fatalf("provider calls %d before reloads, %d after; want 1 and 1", before, after)
	}
}

func TestErrorPages(t *testing.T) {
	app := sharedApp(t)
	for _, path := range []string{"/c/cs_doesnotexist", "/c/" + checkout.RandomIDs{}.NewID(checkout.PrefixSession), "/nowhere"} {
		res := do(t, http.MethodGet, app.URL+path, nil)
		if res.Status != 404 || testid(doc(t, res), "error-heading").Length() != 1 {
			t.Errorf("%s: %d", path, res.Status)
		}
	}
	id := mustCreateSession(t, app, validSession())["id"].(string)
	res := do(t, http.MethodPost, app.URL+"/c/"+id+"/payments/pay_nope/device-data", shopperForm(t, app, id, url.Values{"SessionId": {"x"}}), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != 404 {
		t.Errorf("continue of an unknown payment: %d", res.Status)
	}
	big := "card_number=" + strings.Repeat("4", 20<<10)
	if res := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", []byte(big), "Content-Type", "application/x-www-form-urlencoded"); res.Status != 413 {
		t.Errorf("oversized form: %d", res.Status)
	}
}

func TestDemoShopCreatesSessionThroughAPI(t *testing.T) {
	app := sharedApp(t)
	if res := do(t, http.MethodGet, app.URL+"/", nil); res.Status != 200 || testid(doc(t, res), "buy-mug").Length() != 1 {
		t.Fatalf("shop: %d", res.Status)
	}
	res := do(t, http.MethodPost, app.URL+"/demo/checkout", []byte("product=mug"), "Content-Type", "application/x-www-form-urlencoded")
	// The shop remembers its orders in a cookie that is host-only, secure,
	// script-proof and partitioned.
	cookie := res.Header.Get("Set-Cookie")
	for _, attr := range []string{"__Host-demo_shop=", "Path=/;", "HttpOnly", "Secure", "SameSite=None", "Partitioned"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("the shop's cookie lacks %s: %s", attr, cookie)
		}
	}
	if strings.Contains(cookie, "Domain=") {
		t.Errorf("the shop's cookie names a domain: %s", cookie)
	}
	loc := res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(loc, app.URL+"/c/cs_") {
		t.Fatalf("buy: %d %s", res.Status, loc)
	}
	s := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+strings.TrimPrefix(loc, app.URL+"/c/"), nil).JSON(t)
	if s["amount"] != float64(1900) || s["success_url"] != app.URL+"/demo/return" {
		t.Fatalf("demo session: %v", s)
	}
	if s["locale"] != "auto" {
		t.Errorf("demo session locale %v, want auto (the shopper's browser)", s["locale"])
	}
	// The shop lets QA pick the checkout's language, the pseudo-locale included.
	for form, want := range map[string]string{"ja": "ja", "en-XA": "en-XA", "ar": "ar", "klingon": "auto"} {
		res := do(t, http.MethodPost, app.URL+"/demo/checkout", []byte("product=mug&locale="+form), "Content-Type", "application/x-www-form-urlencoded")
		id := strings.TrimPrefix(res.Header.Get("Location"), app.URL+"/c/")
		if got := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+id, nil).JSON(t)["locale"]; got != want {
			t.Errorf("demo locale %s: session locale %v, want %s", form, got, want)
		}
	}
	if testid(doc(t, do(t, http.MethodGet, app.URL+"/", nil)), "demo-locale").Find("option").Length() < 46 {
		t.Error("the demo shop does not offer every locale")
	}
	if res := do(t, http.MethodPost, app.URL+"/demo/checkout", []byte("product=yacht"), "Content-Type", "application/x-www-form-urlencoded"); res.Status != 422 {
		t.Fatalf("unknown product: %d", res.Status)
	}

	// Issue 12, defect 9: the shop acts only on the visitor's own orders,
	// as their cookie lists them.
	sid := strings.TrimPrefix(loc, app.URL+"/c/")
	mine := strings.SplitN(cookie, ";", 2)[0]
	other := do(t, http.MethodPost, app.URL+"/demo/checkout", []byte("product=beans"), "Content-Type", "application/x-www-form-urlencoded")
	theirs := strings.SplitN(other.Header.Get("Set-Cookie"), ";", 2)[0]
	for _, action := range []string{"capture", "cancel", "refund", "charge"} {
		if res := do(t, http.MethodPost, app.URL+"/demo/orders/"+sid+"/"+action, nil, "Cookie", mine); res.Status != http.StatusConflict {
			t.Errorf("%s of my own order without a payment: %d", action, res.Status)
		}
		for who, c := range map[string]string{"no cookie": "", "another visitor": theirs} {
			if res := do(t, http.MethodPost, app.URL+"/demo/orders/"+sid+"/"+action, nil, "Cookie", c); res.Status != http.StatusNotFound {
				t.Errorf("%s of an order by %s: %d", action, who, res.Status)
			}
		}
	}
	// The return page only reads, by the session id the checkout sent the
	// shopper back with; a malformed one never reaches the API.
	if res := do(t, http.MethodGet, app.URL+"/demo/return?session_id=../../v1/payments", nil, "Cookie", mine); res.Status != http.StatusNotFound {
		t.Errorf("a malformed id on the return page: %d", res.Status)
	}
}

// TestMethodChooser: a page offering the card and the wallet has a method
// chooser (a fieldset with a legend and two labelled radios outside every
// form, Card checked), which the stylesheet uses to show one form at a
// time; after the wallet's attempt fails the page comes back with the
// wallet chosen, and a refused card submit with the card chosen.
func TestMethodChooser(t *testing.T) {
	app := sharedApp(t)
	en := i18n.English()
	body := validSession()
	body["payment_methods"] = []string{"card", "wallet"}
	// 999999 makes the wallet sandbox refuse the payment at once.
	body["amount"], body["line_items"] = 999999, []map[string]any{{"name": "Grinder", "quantity": 1, "unit_amount": 999999}}
	id := mustCreateSession(t, app, body)["id"].(string)
	chosen := func(d *goquery.Document) string {
		t.Helper()
		f := d.Find("fieldset.methods")
		if f.Length() != 1 || strings.TrimSpace(f.Find("legend").Text()) != en.T("method.legend") {
			t.Fatalf("no method chooser with its legend: %d", f.Length())
		}
		card, wallet := testid(d, "payment-method-card"), testid(d, "payment-method-wallet-option")
		for radio, label := range map[*goquery.Selection]string{card: en.T("form.card_heading"), wallet: en.T("method.wallet")} {
			if radio.Length() != 1 || radio.AttrOr("type", "") != "radio" || radio.AttrOr("name", "") != "method" ||
				radio.Closest("form").Length() != 0 || strings.TrimSpace(radio.Closest("label").Text()) != label {
				t.Fatalf("radio %v: want a labelled radio %q in no form", radio.Nodes, label)
			}
		}
		if d.Find(`input[name=method]:checked`).Length() != 1 {
			t.Fatal("want exactly one method checked")
		}
		// Both forms are there; the stylesheet hides the one not chosen.
		if d.Find("#pay-form").Length() != 1 || testid(d, "payment-method-wallet").Closest("#wallet-form").Length() != 1 {
			t.Fatal("a page with a chooser has the card form and the wallet form")
		}
		return d.Find(`input[name=method]:checked`).AttrOr("value", "")
	}
	if got := chosen(doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil))); got != "card" {
		t.Errorf("a fresh page chooses %q, want card", got)
	}
	res := do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, url.Values{"payment_method": {"wallet"}}), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("wallet pay: %d %s", res.Status, res.Body)
	}
	d := doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil))
	if got := chosen(d); got != "wallet" || testid(d, "form-banner").Text() != en.T("decline.wallet") {
		t.Errorf("after the wallet failed: %q chosen, banner %q; want the wallet and its decline", got, testid(d, "form-banner").Text())
	}
	res = do(t, http.MethodPost, app.URL+"/c/"+id+"/pay", shopperForm(t, app, id, url.Values{"payment_method": {"card"},
		"card_number": {"4242424242424241"}, "card_expiry": {"12/40"}, "card_cvc": {"123"}, "cardholder_name": {"Ada"}}),
		"Content-Type", "application/x-www-form-urlencoded")
	d = doc(t, res)
	if got := chosen(d); res.Status != http.StatusUnprocessableEntity || got != "card" || testid(d, "field-error-card-number").Length() != 1 {
		t.Errorf("a refused card: %d, %q chosen; want 422 with the card and its error", res.Status, got)
	}
}

func TestWalletOnTheCheckoutPage(t *testing.T) {
	app := sharedApp(t)
	both := validSession()
	both["payment_methods"] = []string{"card", "wallet"}
	id := mustCreateSession(t, app, both)["id"].(string)
	d := doc(t, do(t, http.MethodGet, app.URL+"/c/"+id, nil))
	if testid(d, "card-number").Length() != 1 || testid(d, "payment-method-wallet").Length() != 1 || testid(d, "pay-button").Length() != 1 {
		t.Fatal("a card-or-wallet checkout must show the card form and Pay with wallet")
	}
	wallet := testid(d, "payment-method-wallet").Closest("form")
	if wallet.Find(`input[name=payment_method]`).AttrOr("value", "") != "wallet" || wallet.Find(`input[name^=card_]`).Length() != 0 {
		t.Fatal("the wallet form must post payment_method=wallet and no card fields")
	}

	only := validSession()
	only["payment_methods"] = []string{"wallet"}
	wid := mustCreateSession(t, app, only)["id"].(string)
	d = doc(t, do(t, http.MethodGet, app.URL+"/c/"+wid, nil))
	if testid(d, "card-number").Length() != 0 || testid(d, "payment-method-wallet").Length() != 1 {
		t.Fatal("a wallet-only checkout shows only the wallet")
	}
	// A card posted to a wallet-only checkout is refused and pays nothing.
	form := url.Values{"payment_method": {"card"}, "card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada"}}
	if res := do(t, http.MethodPost, app.URL+"/c/"+wid+"/pay", shopperForm(t, app, wid, form), "Content-Type", "application/x-www-form-urlencoded"); res.Status != 422 {
		t.Fatalf("card on a wallet-only checkout: %d", res.Status)
	}
	// The wallet needs no card fields; the status page then sends the
	// browser to the cashier with a form.
	res := do(t, http.MethodPost, app.URL+"/c/"+wid+"/pay", shopperForm(t, app, wid, url.Values{"payment_method": {"wallet"}}), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("wallet pay: %d %s", res.Status, res.Body)
	}
	pays, _ := app.Store.SessionPayments(context.Background(), wid)
	if len(pays) != 1 || pays[0].Provider != "alipayplus" || pays[0].Status != checkout.PaymentRequiresAction {
		t.Fatalf("wallet payment: %+v", pays)
	}
	st := doc(t, do(t, http.MethodGet, app.URL+"/c/"+wid+"/status", nil))
	f := st.Find("#redirect-form")
	if f.Length() != 1 || !strings.HasPrefix(f.AttrOr("action", ""), app.SandboxURL+"/sandbox/alipayplus/") || f.AttrOr("target", "") != "_top" {
		t.Fatalf("redirect form: %v", f.Nodes)
	}
}
