package alipayplus

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsInErrorsOrOutcomes drives the adapter into every kind of
// failure against a wallet that echoes a marker and the keys in every
// field of its answers, then scans every error text and every outcome (as
// the Service would log, store and send it) for them. The adapter never
// logs, so this is everything it emits.
func TestNoSecretsInErrorsOrOutcomes(t *testing.T) {
	const marker = "ECHOED-BODY-TEXT"
	k := keys()
	secrets := map[string]string{
		"merchant private key": k.merchant.Private[40:120],
		"wallet public key":    k.wallet.Public[40:120],
		"marker":               marker,
	}
	echo := marker + " " + k.merchant.Private[40:120] + " " + k.wallet.Public[40:120]
	answers := []reply{
		ok(`{"result":{"resultCode":"` + echo + `","resultStatus":"F","resultMessage":"` + echo + `"},"paymentId":"1"}`),
		ok(`{"result":{"resultCode":"X","resultStatus":"` + echo + `","resultMessage":"` + echo + `"}}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"` + echo + `"},"paymentId":"` + echo + `"}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"1","redirectActionForm":{"method":"` + echo + `","redirectionUrl":"https://w.test/` + marker + `"}}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"1","redirectActionForm":{"method":"POST","redirectionUrl":"` + echo + `"}}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"1","redirectActionForm":{"method":"POST","redirectionUrl":"https://w.test/","parameters":{"a":{"` + echo + `":1}}}}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"FAIL","paymentFailReason":"` + echo + `","paymentAmount":{"currency":"USD","value":"1234"}}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"SUCCESS","paymentAmount":{"currency":"` + echo + `","value":"` + echo + `"}}`),
		ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentRequestId":"` + echo + `","paymentStatus":"SUCCESS"}`),
		ok(marker + k.merchant.Private),
		{status: 502, body: echo},
		{body: echo, key: keys().strangerPriv},
		{body: echo, unsigned: true},
	}
	var emitted []string
	scan := func(what string, v any, err error) {
		if err != nil {
			emitted = append(emitted, what+": "+err.Error())
		}
		b, _ := json.Marshal(v)
		emitted = append(emitted, what+": "+string(b))
	}
	for _, a := range answers {
		f, c := newFake(t)
		f.on(PathPay, a)
		f.on(PathInquiry, a)
		out, err := c.Pay(t.Context(), testPayRequest())
		scan("pay", out, err)
		p := testPayment()
		p.CreatedAt = testNow.Add(-time.Hour)
		out, err = c.Inquire(t.Context(), p)
		scan("inquiry", out, err)
	}
	c := mustClient(t, testConfig("https://openapi.wallet.test", 0))
	for _, body := range []string{
		`{"paymentId":"` + echo + `","paymentRequestId":"p","paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}}`,
		`{"paymentId":"1","paymentRequestId":"p","paymentResult":{"resultCode":"` + echo + `","resultStatus":"F","resultMessage":"` + echo + `"}}`,
		`{"paymentId":"1","paymentRequestId":"p","paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentAmount":{"currency":"USD","value":"` + echo + `"}}`,
		echo,
	} {
		n, err := c.Notification(t.Context(), signedNotification(t, keys().walletPriv, notifyPath, testClientID, body))
		scan("notification", n, err)
		req := signedNotification(t, keys().strangerPriv, notifyPath, testClientID, body)
		n, err = c.Notification(t.Context(), req)
		scan("notification, bad signature", n, err)
	}
	for _, line := range emitted {
		for what, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("%s leaks the %s: %.200s", strings.SplitN(line, ":", 2)[0], what, line)
			}
		}
	}
	// A decline message is always ours.
	f, c2 := newFake(t)
	f.on(PathPay, answers[0])
	out, _ := c2.Pay(t.Context(), testPayRequest())
	if out.Decline == nil || out.Decline.Message != msgFailed || out.Decline.ProviderCode != "INVALID" {
		t.Errorf("echoed decline = %+v", out.Decline)
	}
}
