package bbmsl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestNoSecretsInErrorsOrOutcomes drives the adapter into every kind of
// answer from a PayAPI that echoes a card number, a CVC and a marker of
// its own text in every field it has, then scans every error text and
// every outcome and saved card (as the Service would log, store and send
// them) for the card number, the CVC, the marker, the request bodies and
// the keys. The adapter itself never logs, so this is everything it emits.
func TestNoSecretsInErrorsOrOutcomes(t *testing.T) {
	merchant, platform, other := testKeys(t)
	const marker = "BODY-MARKER"
	echo := marker + " card " + testPAN + " cvc " + testCVC
	secrets := map[string]string{
		"card number": testPAN, "CVC": "cvc " + testCVC, "answer text": marker,
		"merchant key": merchant.Private[40:100], "BBMSL key": platform.Public[40:100],
	}

	type obj = map[string]any
	echoing := func(code string, edits ...func(obj)) string {
		a := obj{
			"responseCode": code, "message": echo, "data": "https://x.test/token?card=" + testPAN,
			"order": obj{
				"id": testPAN, "merchantId": echo, "merchantReference": testPaymentID, "currency": "HKD", "amount": 12.34,
				"cardType": echo, "createTime": echo, "status": "SUCCESS", "issuerCountryCode": echo,
			},
			"transaction": obj{"id": testPAN, "type": echo, "amount": echo, "status": "SUCCESS", "maskedPan": testPAN, "stan": testCVC, "responseCode": echo},
			"list":        []obj{{"tokenId": testPAN, "userId": testCustomer, "maskedPan": testPAN, "cardBrand": echo, "expiryDate": testCVC, "status": "ACTIVE"}},
		}
		for _, e := range edits {
			e(a)
		}
		b, _ := json.Marshal(a)
		return string(b)
	}
	withOrderID := func(a obj) { a["order"].(obj)["id"] = 5798 }
	declined := func(a obj) { a["transaction"].(obj)["status"], a["order"].(obj)["status"] = "DECLINED", "OPEN" }
	otherRef := func(a obj) { a["order"].(obj)["merchantReference"] = echo }
	otherAmount := func(a obj) { a["order"].(obj)["amount"] = testPAN + "." + testCVC }

	var emitted []string
	scan := func(what string, v any, err error) {
		if err != nil {
			emitted = append(emitted, what+": "+err.Error())
		}
		b, _ := json.Marshal(v)
		emitted = append(emitted, what+": "+string(b))
	}

	replies := map[string]reply{
		"0000 echo":              ok(echoing("0000")),
		"0000 echo, order id":    ok(echoing("0000", withOrderID)),
		"declined echo":          ok(echoing("5051", withOrderID, declined)),
		"declined echo, no code": ok(echoing(testPAN, withOrderID, declined)),
		"refused echo":           ok(echoing("1003")),
		"duplicate echo":         ok(echoing("2002")),
		"code echo":              ok(echoing(echo)),
		"another reference":      ok(echoing("0000", withOrderID, otherRef)),
		"another amount":         ok(echoing("0000", withOrderID, otherAmount)),
		"500 page echo":          {status: 500, body: "<p>" + echo + "</p>"},
		"400 echo":               {status: 400, body: echoing("1003")},
		"garbage echo":           ok(`{"responseCode":"` + echo),
		"timeout":                {hang: true},
	}
	for name, r := range replies {
		f := &fakePayAPI{t: t, replies: map[string][]reply{}}
		c := mustClient(t, testConfig(newServer(t, f)+gateway, 300*time.Millisecond))
		for _, path := range []string{pathSale, pathRecurring, pathVoid, DefaultQueryPath, pathAddToken, pathQueryToken, pathDeleteToken} {
			f.on(path, r)
		}
		req := testPayRequest()
		out, err := c.Pay(t.Context(), req)
		scan("sale "+name, out, err)
		req.SavedCard.ParentProviderRef = "5798"
		out, err = c.Pay(t.Context(), req)
		scan("recurring "+name, out, err)
		p := testPayment(testNow.Add(-time.Hour))
		out, err = c.Inquire(t.Context(), p)
		scan("inquire "+name, out, err)
		out, err = c.Cancel(t.Context(), p)
		scan("void "+name, out, err)
		page, err := c.AddCard(t.Context(), checkout.AddCardRequest{Customer: testCustomer, ReturnURL: "https://a.test/ok", CancelURL: "https://a.test/no"})
		scan("add-token "+name, page, err)
		cards, err := c.SavedCards(t.Context(), testCustomer)
		scan("query-token "+name, cards, err)
		err = c.DeleteSavedCard(t.Context(), testCustomer, "436")
		scan("delete-token "+name, nil, err)
	}

	// Notifications echoing the card, properly signed and not.
	fields := map[string]string{
		"orderId": testPAN, "merchantReference": echo, "amount": testPAN + "." + testCVC, "currency": "HKD",
		"cardType": echo, "status": "SUCCESS", "maskedPan": testPAN, "responseCode": echo,
	}
	_, c := newFake(t)
	for name, key := range map[string]string{"signed": platform.Private, "mis-signed": other.Private} {
		n, err := c.Notification(t.Context(), notify(signedBody(t, key, quoted(fields), NotificationContent(fields, FormRaw))))
		scan("notification "+name, n, err)
		good := map[string]string{"orderId": "5798", "status": "DECLINED", "merchantReference": echo, "maskedPan": testPAN, "cardType": echo, "responseCode": echo}
		n, err = c.Notification(t.Context(), notify(signedBody(t, key, quoted(good), NotificationContent(good, FormRaw))))
		scan("notification with an order id "+name, n, err)
	}

	// Configuration errors never quote the keys.
	cfg := testConfig("https://payapi.sit.bbmsl.com", time.Second)
	cfg.MerchantPrivateKey = merchant.Private[:len(merchant.Private)-8] + "@@@@"
	_, err := New(cfg)
	scan("config private key", nil, err)
	cfg = testConfig("https://payapi.sit.bbmsl.com", time.Second)
	cfg.BBMSLPublicKey = platform.Public[:len(platform.Public)-8] + "@@@@"
	_, err = New(cfg)
	scan("config public key", nil, err)

	for _, line := range emitted {
		for what, secret := range secrets {
			if strings.Contains(line, secret) {
				t.Errorf("the %s leaked: %s", what, line)
			}
		}
		if strings.Contains(line, `"request"`) || strings.Contains(line, `"responseCode"`) {
			t.Errorf("a request or answer body leaked: %s", line)
		}
	}
}
