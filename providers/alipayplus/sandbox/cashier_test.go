package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

// TestCashierPage checks the page reached by the form POST and by a GET:
// merchant, amount, the three hooks, no script, and the headers.
func TestCashierPage(t *testing.T) {
	e := newEnv(t, nil)
	a := e.pay("pay_page", "123456")
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		if method == http.MethodGet {
			a.fields["redirectActionForm"].(map[string]any)["method"] = "GET"
		}
		resp, doc := e.open(a)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d", method, resp.StatusCode)
		}
		for _, id := range []string{TestIDApprove, TestIDDecline, TestIDCancel} {
			b := doc.Find(`[data-testid="` + id + `"]`)
			if b.Length() != 1 || b.AttrOr("type", "") != "submit" || b.Closest("form").AttrOr("method", "") != "post" {
				t.Errorf("%s: %s is not a submit button of a POST form", method, id)
			}
		}
		if got := doc.Find(`[data-testid="wallet-merchant"]`).Text(); got != "Demo Shop" {
			t.Errorf("merchant %q", got)
		}
		if got := doc.Find(`[data-testid="wallet-amount"]`).Text(); got != "$1,234.56" {
			t.Errorf("amount %q", got)
		}
		if got := doc.Find(`[data-testid="wallet-description"]`).Text(); got != "Linen shirt" {
			t.Errorf("description %q", got)
		}
		if doc.Find("script").Length() != 0 {
			t.Error("the cashier needs a script")
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", resp.Header)
		}
	}
	if st, _ := e.sb.PaymentState("pay_page"); !st.CashierShown || st.Status != StatusProcessing {
		t.Errorf("state %+v", st)
	}
	for _, target := range []string{e.base + "/cashier?orderId=nope", e.base + "/cashier"} {
		resp, err := http.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: HTTP %d", target, resp.StatusCode)
		}
	}
}

// TestCashierChoices presses each button and checks the ledger, the
// inquiry, the notification (acknowledged before the browser returns) and
// the redirect.
func TestCashierChoices(t *testing.T) {
	for name, tc := range map[string]struct {
		value, button string
		status, code  string
		resultStatus  string
		charges       int
	}{
		"approve":           {"1234", TestIDApprove, StatusSuccess, "SUCCESS", "S", 1},
		"approve, 51":       {"1251", TestIDApprove, StatusFail, "USER_BALANCE_NOT_ENOUGH", "F", 0},
		"decline":           {"1234", TestIDDecline, StatusFail, "PROCESS_FAIL", "F", 0},
		"decline, 51":       {"5051", TestIDDecline, StatusFail, "PROCESS_FAIL", "F", 0},
		"cancel":            {"1234", TestIDCancel, StatusCancelled, "ORDER_IS_CLOSED", "F", 0},
		"approve, 51 cents": {"51", TestIDApprove, StatusFail, "USER_BALANCE_NOT_ENOUGH", "F", 0},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			id := "pay_" + strings.ReplaceAll(name, " ", "")
			a := e.pay(id, tc.value)
			_, doc := e.open(a)
			resp := e.press(doc, tc.button)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://checkout.example.com/return/"+id {
				t.Fatalf("after the button: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			// The notification was acknowledged before the browser got its redirect.
			d := e.sb.Deliveries()
			if len(d) != 1 || !d[0].Acked || d[0].ResultStatus != tc.resultStatus || d[0].ResultCode != tc.code || len(d[0].Attempts) != 1 {
				t.Fatalf("deliveries at the return %+v", d)
			}
			got := e.notify.requests()
			if len(got) != 1 || got[0].uri != "/notify/alipayplus?shop=1" {
				t.Fatalf("notify requests %+v", got)
			}
			if _, err := alipaysign.VerifyMessage(e.wallet, got[0].header, alipaysign.HeaderRequestTime, http.MethodPost, got[0].uri, creds().ClientID, got[0].body); err != nil {
				t.Errorf("the notification does not verify: %v", err)
			}
			var body map[string]any
			if err := json.Unmarshal(got[0].body, &body); err != nil {
				t.Fatal(err)
			}
			if body["paymentRequestId"] != id || body["paymentId"] != a.get("paymentId") ||
				body["paymentAmount"].(map[string]any)["value"] != tc.value || (body["paymentTime"] != nil) != (tc.charges == 1) {
				t.Errorf("notification body %s", got[0].body)
			}
			q := e.inquire(id)
			if q.get("paymentStatus") != tc.status || q.get("paymentResult.resultCode") != tc.code {
				t.Errorf("inquiry %s", q.raw)
			}
			if n := e.sb.Charges(id); n != tc.charges {
				t.Errorf("charges %d, want %d", n, tc.charges)
			}
			st, _ := e.sb.PaymentState(id)
			if st.Status != tc.status || st.ResultCode != tc.code || st.Choice != strings.TrimPrefix(tc.button, "wallet-") {
				t.Errorf("state %+v", st)
			}

			// A second press, and a new visit, change nothing.
			for _, other := range []string{TestIDApprove, TestIDDecline, TestIDCancel} {
				again := e.press(doc, other)
				if again.StatusCode != http.StatusSeeOther {
					t.Errorf("second press: HTTP %d", again.StatusCode)
				}
			}
			_, after := e.open(a)
			if after.Find(`[data-testid="wallet-approve"]`).Length() != 0 || after.Find(`[data-testid="`+TestIDReturn+`"]`).AttrOr("href", "") != "https://checkout.example.com/return/"+id {
				t.Errorf("the finished cashier: %s", after.Text())
			}
			if st2, _ := e.sb.PaymentState(id); st2.Status != st.Status || st2.Charges != st.Charges || st2.Choice != st.Choice {
				t.Errorf("a second press changed the order: %+v", st2)
			}
			if n := len(e.sb.Deliveries()); n != 1 {
				t.Errorf("%d notifications after the second presses", n)
			}
		})
	}
}

// TestNotifyAfterReturn: delayed notifications come after the redirect,
// for every order (Config.NotifyAfterReturn) or for one (DelayNotifications).
func TestNotifyAfterReturn(t *testing.T) {
	const delay = 500 * time.Millisecond
	for name, tc := range map[string]struct {
		config func(*Config)
		order  func(*Sandbox)
	}{
		"config":    {config: func(c *Config) { c.NotifyAfterReturn, c.NotifyDelay = true, delay }},
		"per order": {order: func(sb *Sandbox) { sb.DelayNotifications("pay_late", delay) }},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.config)
			if tc.order != nil {
				tc.order(e.sb)
			}
			a := e.pay("pay_late", "1234")
			_, doc := e.open(a)
			returned := time.Now()
			if resp := e.press(doc, TestIDApprove); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("HTTP %d", resp.StatusCode)
			}
			if d := e.sb.Deliveries(); len(d) != 1 || len(d[0].Attempts) != 0 || d[0].Done {
				t.Fatalf("at the return: %+v", d)
			}
			e.wait()
			got := e.notify.requests()
			if len(got) != 1 || got[0].at.Before(returned.Add(delay-50*time.Millisecond)) {
				t.Fatalf("notified %d times, the first too early", len(got))
			}
			if d := e.sb.Deliveries(); !d[0].Acked || !d[0].Done {
				t.Errorf("%+v", d)
			}
		})
	}
}

// TestNotificationRetries: anything but HTTP 200 with the exact
// acknowledgement is retried.
func TestNotificationRetries(t *testing.T) {
	e := newEnv(t, nil)
	e.notify.answer(answer{500, ackBody}, answer{200, `{"result":{"resultCode":"SUCCESS","resultStatus":"S"}}`}, answer{200, "OK"}, ack)
	a := e.pay("pay_retry", "1234")
	_, doc := e.open(a)
	if resp := e.press(doc, TestIDApprove); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	e.wait()
	d := e.sb.Deliveries()
	if len(d) != 1 || !d[0].Acked || len(d[0].Attempts) != 4 || d[0].Attempts[0] != 500 || d[0].Attempts[3] != 200 {
		t.Fatalf("deliveries %+v", d)
	}
	got := e.notify.requests()
	if len(got) != 4 || string(got[0].body) != string(got[3].body) {
		t.Errorf("%d tries, bodies differ", len(got))
	}
}

// TestNoRedirectURL: without paymentRedirectUrl the cashier ends on its own page.
func TestNoRedirectURL(t *testing.T) {
	e := newEnv(t, nil)
	body := strings.Replace(e.payBody("pay_noreturn", "USD", "1234"), `,
		"paymentRedirectUrl":"https://checkout.example.com/return/pay_noreturn"`, "", 1)
	a := e.do(call{path: "/v1/payments/pay", body: body})
	_, doc := e.open(a)
	button := doc.Find(`[data-testid="wallet-approve"]`)
	values := url.Values{"orderId": {doc.Find(`input[name="orderId"]`).AttrOr("value", "")}, "choice": {button.AttrOr("value", "")}}
	resp, err := e.browser.PostForm(e.base+"/cashier/confirm", values)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP %d", resp.StatusCode)
	}
	if st, _ := e.sb.PaymentState("pay_noreturn"); st.Status != StatusSuccess || st.RedirectURL != "" {
		t.Errorf("state %+v", st)
	}
	bad, err := e.browser.PostForm(e.base+"/cashier/confirm", url.Values{"orderId": values["orderId"], "choice": {"steal"}})
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown choice: HTTP %d", bad.StatusCode)
	}
}

// TestCashierMethodGET: the form can ask for a GET.
func TestCashierMethodGET(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CashierMethod = "get" })
	a := e.pay("pay_get", "1234")
	if a.get("redirectActionForm.method") != "GET" {
		t.Fatalf("%s", a.raw)
	}
	resp, doc := e.open(a)
	if resp.StatusCode != http.StatusOK || doc.Find(`[data-testid="wallet-cancel"]`).Length() != 1 {
		t.Errorf("HTTP %d", resp.StatusCode)
	}
}
