package antom

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestNoSecretsInErrorsOrOutcomes drives the adapter into every kind of
// answer from an Antom that echoes the card number and CVV in every field
// it has, then scans every error text and every outcome (as the Service
// would log, store and send it) for the card number, the CVV and the keys.
// The adapter itself never logs, so this is everything it emits.
func TestNoSecretsInErrorsOrOutcomes(t *testing.T) {
	merchant, _, _ := testKeys(t)
	req := testPayRequest()
	echo := "card " + testPAN + " cvv " + testCVC
	secrets := map[string]string{"card number": testPAN, "CVV": testCVC, "merchant key": merchant.Private[40:100]}

	// echoing fills every text an answer has with the card, and puts the
	// card number where ids and codes go.
	echoing := func(status string, edits ...func(obj)) obj {
		a := obj{
			"result":            obj{"resultCode": testPAN, "resultStatus": status, "resultMessage": echo},
			"paymentRequestId":  testPaymentID,
			"paymentId":         "x " + echo,
			"paymentAmount":     obj{"currency": "EUR", "value": "1234"},
			"paymentCreateTime": echo,
			"normalUrl":         "javascript:" + echo,
			"paymentResultInfo": obj{
				"cardNo": testPAN, "cardBrand": echo, "cardBin": testPAN, "lastFour": echo, "expiryMonth": testCVC, "expiryYear": testPAN,
				"threeDSResult": obj{"threeDSVersion": echo, "eci": testCVC, "cavv": testPAN, "dsTransactionId": testPAN, "threeDSInteractionMode": echo},
			},
		}
		for _, e := range edits {
			e(a)
		}
		return a
	}
	code := func(c string) func(obj) {
		return func(a obj) { a["result"].(obj)["resultCode"] = c }
	}

	var emitted []string
	scan := func(what string, v any, err error) {
		if err != nil {
			emitted = append(emitted, what+": "+err.Error())
		}
		// JSON walks every exported field through pointers; %+v would print
		// pointer addresses, whose digits can match a CVV.
		b, _ := json.Marshal(v)
		emitted = append(emitted, what+": "+string(b))
	}

	payReplies := map[string]reply{
		"S echo":              {status: 200, body: mustJSON(echoing("S", code("SUCCESS")))},
		"F echo":              {status: 200, body: mustJSON(echoing("F"))},
		"F echo, known code":  {status: 200, body: mustJSON(echoing("F", code("DO_NOT_HONOR")))},
		"F echo, refused":     {status: 200, body: mustJSON(echoing("F", code("INVALID_SIGNATURE")))},
		"U echo":              {status: 200, body: mustJSON(echoing("U", code("PAYMENT_IN_PROCESS")))},
		"U echo, URL echo":    {status: 200, body: mustJSON(echoing("U", code("PAYMENT_IN_PROCESS"), func(a obj) { a["normalUrl"] = "https://x.test/3ds?card=" + testPAN }))},
		"odd status echo":     {status: 200, body: mustJSON(echoing(echo))},
		"another amount echo": {status: 200, body: mustJSON(echoing("S", code("SUCCESS"), func(a obj) { a["paymentAmount"] = obj{"currency": testCVC, "value": testPAN} }))},
		"another request id":  {status: 200, body: mustJSON(echoing("S", func(a obj) { a["paymentRequestId"] = echo }))},
		"500 page echo":       {status: 500, body: "<p>" + echo + "</p>", sign: "none"},
		"unsigned echo":       {status: 200, body: mustJSON(echoing("S")), sign: "none"},
		"mis-signed echo":     {status: 200, body: mustJSON(echoing("S")), sign: "other-key"},
		"garbage echo":        {status: 200, body: `{"result":"` + echo},
		"timeout":             {hang: true},
	}
	for name, r := range payReplies {
		f := &fakeAntom{t: t, replies: map[string][]reply{}}
		cfg := testConfig(newServer(t, f)+gateway, 5*time.Second)
		cfg.HTTPClient.Timeout = 300 * time.Millisecond
		c := mustClient(t, cfg)
		f.on(pathPay, r)
		out, err := c.Pay(t.Context(), req)
		scan("pay "+name, out, err)
	}

	// Later steps, each answered with an echo.
	p := testPayment(checkout.CaptureManual, testNow.Add(-time.Hour))
	rr := checkout.RefundRequest{RefundID: "re_1", IdempotencyKey: "re_1", Amount: checkout.Money{Amount: 1, Currency: "EUR"}}
	for name, r := range map[string]reply{
		"S": {status: 200, body: mustJSON(echoing("S", code("SUCCESS"), func(a obj) {
			a["paymentStatus"], a["paymentResultCode"], a["captureId"], a["refundId"] = echo, echo, echo, echo
		}))},
		"F":        {status: 200, body: mustJSON(echoing("F", func(a obj) { a["paymentStatus"], a["paymentResultCode"] = "FAIL", echo }))},
		"U":        {status: 200, body: mustJSON(echoing("U"))},
		"S status": {status: 200, body: mustJSON(echoing("S", code("SUCCESS"), func(a obj) { a["paymentStatus"], a["paymentResultCode"] = "FAIL", testPAN }))},
	} {
		f, c := newFake(t)
		for _, path := range []string{pathInquiry, pathCapture, pathCancel, pathRefund, pathInquiryRefund} {
			f.on(path, r)
		}
		for _, ref := range []string{"", "2026031400000000000000000000000002"} {
			ro, err := c.InquireRefund(t.Context(), p, checkout.Refund{ID: "re_1", Amount: rr.Amount, ProviderRef: ref})
			scan("inquire refund "+name, ro, err)
		}
		out, err := c.Inquire(t.Context(), p)
		scan("inquire "+name, out, err)
		out, err = c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: map[string][]string{"cardNo": {testPAN}}})
		scan("continue "+name, out, err)
		out, err = c.Capture(t.Context(), p)
		scan("capture "+name, out, err)
		out, err = c.Cancel(t.Context(), p)
		scan("cancel "+name, out, err)
		ro, err := c.Refund(t.Context(), p, rr)
		scan("refund "+name, ro, err)
	}
	_, c := newFake(t)
	out, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinuationKind(echo)})
	scan("continue forged kind", out, err)

	// Notifications echoing the card, properly signed and not.
	_, antom, other := testKeys(t)
	nbody := mustJSON(obj{"notifyType": "PAYMENT_RESULT", "result": obj{"resultCode": testPAN, "resultStatus": "F", "resultMessage": echo},
		"paymentRequestId": echo, "paymentId": testPAN, "paymentAmount": obj{"currency": "EUR", "value": "1234"},
		"paymentResultInfo": obj{"cardNo": testPAN, "threeDSResult": obj{"cavv": testPAN, "eci": testCVC}}})
	rbody := mustJSON(obj{"notifyType": "REFUND_RESULT", "result": obj{"resultCode": testPAN, "resultStatus": "F", "resultMessage": echo},
		"refundStatus": echo, "refundRequestId": echo, "refundId": testPAN, "refundAmount": obj{"currency": "EUR", "value": "1234"}})
	rbody2 := strings.Replace(rbody, `"refundId":"`+testPAN+`"`, `"refundId":"2026"`, 1)
	for name, key := range map[string]string{"signed": antom.Private, "mis-signed": other.Private} {
		nc := notificationClient(t)
		for i, b := range []string{rbody, rbody2} {
			n, err := nc.Notification(t.Context(), signedNotification(t, b, notifyURI, testClientID, key, "1700000000000"))
			scan(fmt.Sprintf("refund notification %d %s", i, name), n, err)
		}
		n, err := nc.Notification(t.Context(), signedNotification(t, nbody, notifyURI, testClientID, key, "1700000000000"))
		scan("notification "+name, n, err)
		bad := signedNotification(t, strings.Replace(nbody, `"value":"1234"`, `"value":"`+testPAN+`.`+testCVC+`"`, 1), notifyURI, testClientID, key, "1700000000000")
		n, err = nc.Notification(t.Context(), bad)
		scan("notification bad amount "+name, n, err)
		forged := signedNotification(t, nbody, notifyURI, testClientID, key, "1700000000000")
		forged.Method = echo
		n, err = nc.Notification(t.Context(), forged)
		scan("notification forged method "+name, n, err)
	}

	for _, line := range emitted {
		for what, secret := range secrets {
			if strings.Contains(line, secret) {
				t.Errorf("the %s leaked: %s", what, line)
			}
		}
	}
}

var pointerAddr = regexp.MustCompile(`0x[0-9a-f]+`)

// TestCardNeverPrinted: the request body, however it is printed, shows no
// card number or CVV.
func TestCardNeverPrinted(t *testing.T) {
	c := notificationClient(t)
	body := c.payBody(testPayRequest(), testPaymentID)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		// Pointer addresses (%#v prints them) are random hex that may
		// happen to contain the CVV's digits: not card data.
		s := pointerAddr.ReplaceAllString(fmt.Sprintf(verb, body), "0xPTR")
		if strings.Contains(s, testPAN) || strings.Contains(s, testCVC) {
			t.Errorf("%s prints the card: %s", verb, s)
		}
	}
	// The wire body is the only place it goes.
	b, _ := encode(body)
	if !strings.Contains(string(b), testPAN) {
		t.Error("the encoded body lost the card number")
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
