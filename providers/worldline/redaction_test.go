package worldline

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestNoSecretsInErrorsOrOutcomes drives the adapter into every kind of
// failure against a Worldline that echoes the card number and CVV back in
// every field of its error answers, then scans every error text, and every
// outcome as the Service would log, store and send it, for the card number,
// the CVV and the keys. The adapter itself never logs, so this is everything
// it emits.
func TestNoSecretsInErrorsOrOutcomes(t *testing.T) {
	req := testPayRequest()
	echo := "card " + testPAN + " cvv " + testCVC + " rejected"
	secrets := map[string]string{"card number": testPAN, "CVV": testCVC, "API secret": testSecretAPIKey, "webhook secret": testWebhookSecret}

	// echoing is an error answer with the card in every field Worldline has.
	// An error code is kept when it is a short number, as Worldline's are
	// (1409, 9002, 430285): one that happened to equal a CVV could not be
	// told apart, so codes echo only the card number here.
	echoing := func(status int, code string, extra ...func(obj)) reply {
		body := obj{
			"errorId": testPAN + testCVC,
			"errors": []obj{{"code": code, "id": "ID_" + testPAN, "category": echo, "message": echo, "httpStatusCode": status,
				"propertyName": "card.cardNumber=" + testPAN + ",cvv=" + testCVC, "requestId": testCVC}},
		}
		for _, e := range extra {
			e(body)
		}
		return jsonReply(status, body)
	}
	// result is a declined paymentResult echoing the card in its texts.
	result := func(status string) func(obj) {
		return func(b obj) {
			p := paymentObj(status, withErrors(testPAN, "430285"))
			p["statusOutput"].(obj)["threeDSecureStatus"] = echo
			b["paymentResult"] = obj{
				"merchantAction": obj{"actionType": "SHOW_TRANSACTION_RESULTS", "showData": []obj{{"key": "CARDHOLDERINFO", "value": "Card " + testPAN + " was refused."}}},
				"payment":        p,
			}
		}
	}

	var emitted []string
	scan := func(what string, v any, err error) {
		if err != nil {
			emitted = append(emitted, what+": "+err.Error())
		}
		// JSON walks every exported field through pointers; %+v would
		// print pointer addresses, whose hex digits can match a CVV.
		b, _ := json.Marshal(v)
		emitted = append(emitted, what+": "+string(b))
	}

	payScenarios := map[string][]struct {
		method, path string
		reply        reply
	}{
		"400 echo":                   {{"POST", "/payments", echoing(400, "21000020")}},
		"401 echo":                   {{"POST", "/payments", echoing(401, "9002")}},
		"402 echo":                   {{"POST", "/payments", echoing(402, testPAN, result(StatusRejected))}},
		"402 echo, authorized":       {{"POST", "/payments", echoing(402, testPAN, result(StatusPendingApproval))}},
		"402 echo, no result":        {{"POST", "/payments", echoing(402, "430285")}},
		"403 echo":                   {{"POST", "/payments", echoing(403, "9002")}},
		"404 echo":                   {{"POST", "/payments", echoing(404, testPAN)}},
		"409 echo":                   {{"POST", "/payments", echoing(409, "1409")}},
		"500 echo":                   {{"POST", "/payments", echoing(500, "9999")}},
		"502 page echo":              {{"POST", "/payments", reply{status: 502, body: "<p>" + echo + "</p>"}}},
		"201 garbage echo":           {{"POST", "/payments", reply{status: 201, body: `{"payment":"` + echo}}},
		"201 without payment":        {{"POST", "/payments", jsonReply(201, obj{"creationOutput": obj{"additionalReference": echo}})}},
		"201 with odd status":        {{"POST", "/payments", created(paymentObj(echo), nil)}},
		"201 with another reference": {{"POST", "/payments", created(paymentObj(StatusPendingApproval, func(p obj) { p["paymentOutput"].(obj)["references"].(obj)["merchantReference"] = echo }), nil)}},
		"timeout":                    {{"POST", "/payments", reply{hang: true}}},
		"approve echo": {
			{"POST", "/payments", created(paymentObj(StatusPendingApproval), nil)},
			{"POST", "/payments/" + testRef + "/approve", echoing(500, testPAN)},
		},
		"approve wrong state, read echo": {
			{"POST", "/payments", created(paymentObj(StatusPendingApproval), nil)},
			{"POST", "/payments/" + testRef + "/approve", echoing(409, "300450")},
			{"GET", "/payments/" + testRef, echoing(500, "9999")},
		},
		"approve, amount differs": {
			{"POST", "/payments", created(paymentObj(StatusPendingApproval, func(p obj) {
				p["paymentOutput"].(obj)["amountOfMoney"] = obj{"amount": 1, "currencyCode": testCVC}
			}), nil)},
		},
	}
	for name, replies := range payScenarios {
		f, c := newFake(t)
		c.http.Timeout = 300 * time.Millisecond
		for _, r := range replies {
			f.on(r.method, r.path, r.reply)
		}
		out, err := c.Pay(t.Context(), req)
		scan(name, out, err)
	}

	// Later steps, each answered with an echo.
	f, c := newFake(t)
	for _, path := range []string{"/payments/" + testRef, "/payments"} {
		f.on("GET", path, echoing(500, "9999"))
	}
	for _, path := range []string{"/approve", "/cancel"} {
		f.on("POST", "/payments/"+testRef+path, echoing(403, testPAN))
	}
	f.on("POST", "/payments/"+testRef+"/refund", echoing(400, testPAN))
	const mac = "mac-1"
	p := testPayment(checkout.CaptureAutomatic, checkout.Outcome{ProviderRef: testRef, ProviderData: map[string]string{keyReturnMAC: mac}})
	out, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: map[string][]string{"RETURNMAC": {mac}}})
	scan("continue", out, err)
	out, err = c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: map[string][]string{"RETURNMAC": {testPAN}, "REF": {testCVC}}})
	scan("forged return", out, err)
	out, err = c.Inquire(t.Context(), p)
	scan("inquire", out, err)
	out, err = c.Inquire(t.Context(), testPayment(checkout.CaptureAutomatic, checkout.Outcome{}))
	scan("find", out, err)
	out, err = c.Capture(t.Context(), p)
	scan("capture", out, err)
	out, err = c.Cancel(t.Context(), p)
	scan("cancel", out, err)
	refund, err := c.Refund(t.Context(), p, checkout.RefundRequest{RefundID: "re_1", IdempotencyKey: "re_1", Amount: p.Amount})
	scan("refund", refund, err)

	// Refund inquiries answered with echoes, and with the card where the
	// refund's id, status and reference belong.
	f.on("GET", "/refunds/"+testRef+"-1", echoing(500, testPAN))
	f.on("GET", "/refunds/"+testRef+"-2", echoing(404, testPAN))
	f.on("GET", "/refunds/"+testRef+"-3", jsonReply(200, obj{"id": testRef + "-3", "status": echo,
		"refundOutput": obj{"references": obj{"merchantReference": "re_1"}}}))
	f.on("GET", "/refunds/"+testRef+"-4", jsonReply(200, obj{"id": testPAN, "status": "REFUNDED"}))
	f.on("GET", "/refunds/"+testRef+"-5", jsonReply(200, obj{"id": testRef + "-5", "status": "REFUNDED",
		"refundOutput": obj{"references": obj{"merchantReference": echo}, "amountOfMoney": obj{"amount": 1234, "currencyCode": testCVC}}}))
	f.on("GET", "/refunds", jsonReply(200, obj{"refunds": []obj{{"id": testRef + "-9", "status": echo}}, "totalCount": 1}))
	for _, n := range []string{"-1", "-2", "-3", "-4", "-5", ""} {
		rf := checkout.Refund{ID: "re_1", Amount: p.Amount}
		if n != "" {
			rf.ProviderRef = testRef + n
		}
		inq, err := c.InquireRefund(t.Context(), p, rf)
		scan("inquire refund"+n, inq, err)
	}

	// Webhooks with the card in the places the adapter reads.
	for name, body := range map[string]string{
		"not JSON":     echo,
		"apiVersion":   `{"apiVersion":"` + echo + `","id":"e1","type":"payment.paid"}`,
		"payment id":   `{"apiVersion":"v1","id":"e1","type":"payment.paid","payment":{"id":"` + echo + `","status":"PAID"}}`,
		"event id":     `{"apiVersion":"v1","id":"` + echo + `","type":"payment.paid"}`,
		"refund id":    `{"apiVersion":"v1","id":"e1","type":"refund.refunded","refund":{"id":"` + testPAN + `","status":"REFUNDED"}}`,
		"refund texts": `{"apiVersion":"v1","id":"e1","type":"refund.refunded","refund":{"id":"r1","status":"` + echo + `","refundOutput":{"references":{"merchantReference":"` + echo + `"},"amountOfMoney":{"amount":1,"currencyCode":"` + testCVC + `"}}}}`,
		"wrong key":    "",
		"GET oversize": "",
	} {
		req := webhookPost([]byte(body), testWebhookKeyID, WebhookSignature(testWebhookSecret, []byte(body)))
		switch name {
		case "wrong key":
			req = webhookPost([]byte(echo), testPAN, testCVC)
		case "GET oversize":
			req = checkout.NotificationRequest{Method: http.MethodGet, Header: http.Header{HeaderEndpointVerification: {strings.Repeat(testPAN, 100)}}}
		}
		n, err := c.Notification(t.Context(), req)
		scan("webhook "+name, n, err)
	}
	method := webhookPost(nil, testWebhookKeyID, "")
	method.Method = testPAN
	n, err := c.Notification(t.Context(), method)
	scan("webhook method", n, err)

	// An unreachable Worldline, and configuration mistakes.
	down := mustClient(t, "http://127.0.0.1:1", time.Second)
	out, err = down.Pay(t.Context(), req)
	scan("transport", out, err)
	for name, edit := range map[string]func(*Config){
		"bad base URL":       func(c *Config) { c.BaseURL = "ftp://" + testSecretAPIKey },
		"merchant id":        func(c *Config) { c.MerchantID = testSecretAPIKey },
		"half webhook":       func(c *Config) { c.WebhookKeyID = "" },
		"currency":           func(c *Config) { c.Currencies = []string{testSecretAPIKey} },
		"country":            func(c *Config) { c.DefaultCountry = testSecretAPIKey },
		"secret, no key id":  func(c *Config) { c.APIKeyID = "" },
		"key id, no secret":  func(c *Config) { c.SecretAPIKey = "" },
		"webhook, no key id": func(c *Config) { c.WebhookKeyID = "" },
	} {
		cfg := testConfig("https://x.test", time.Second)
		edit(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		} else {
			emitted = append(emitted, name+": "+err.Error())
		}
	}

	for _, text := range emitted {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("the %s leaks into %q", what, text)
			}
		}
	}
	if len(emitted) < 60 {
		t.Fatalf("only %d texts scanned", len(emitted))
	}
}
