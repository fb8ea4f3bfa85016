package bbmsl

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// signedBody builds a notification body from fields (JSON values as raw
// text) with a signature by key over content.
func signedBody(t testing.TB, key string, fields map[string]string, content string) []byte {
	t.Helper()
	k, err := ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(k, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for _, k := range keys {
		b.WriteString(`"` + k + `":` + fields[k] + ",")
	}
	b.WriteString(`"signature":"` + sig + `"}`)
	return []byte(b.String())
}

func quoted(fields map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		out[k] = string(b)
	}
	return out
}

func notify(body []byte) checkout.NotificationRequest {
	return checkout.NotificationRequest{Method: http.MethodPost, RequestURI: "/notify/bbmsl", Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}

// TestNotificationCanonicalForms: a notification signed over either
// canonical form verifies, whether the values need URL-encoding or not.
func TestNotificationCanonicalForms(t *testing.T) {
	_, platform, _ := testKeys(t)
	_, c := newFake(t)
	plain := map[string]string{}
	if err := json.Unmarshal(readTestdata(t, "doc_notify_success.json"), &plain); err != nil {
		t.Fatal(err)
	}
	withCurrency := map[string]string{"currency": "HKD"}
	for k, v := range plain {
		withCurrency[k] = v
	}
	// Values that URL-encoding changes: the two forms now differ.
	awkward := map[string]string{"currency": "HKD", "remark": "Jane Doe & Co / 50% off~", "amount2": "1"}
	for k, v := range withCurrency {
		awkward[k] = v
	}
	for name, fields := range map[string]map[string]string{"docs example": plain, "with currency": withCurrency, "awkward values": awkward} {
		forms := map[string]string{
			"raw":               NotificationContent(fields, FormRaw),
			"http_build_query":  NotificationContent(fields, FormQuery),
			"raw, pairs sorted": rawPairSorted(fields),
			"SignNotification":  "",
		}
		for form, content := range forms {
			t.Run(name+" "+form, func(t *testing.T) {
				var body []byte
				if form == "SignNotification" {
					k, _ := ParsePrivateKey(platform.Private)
					var err error
					if body, err = SignNotification(k, fields); err != nil {
						t.Fatal(err)
					}
				} else {
					body = signedBody(t, platform.Private, quoted(fields), content)
				}
				n, err := c.Notification(t.Context(), notify(body))
				if name == "awkward values" && form != "http_build_query" {
					// & in a value could merge or hide fields in the raw
					// forms: only the URL-encoded form is trusted then.
					if err == nil {
						t.Fatal("a raw-form signature over a value holding & was accepted")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if n.EventID != "20873:SUCCESS" || n.ProviderRef != "20873" || n.PaymentID != testPaymentID || n.Type != "SUCCESS" {
					t.Errorf("notification %+v", n)
				}
				if n.Outcome.Status != checkout.OutcomeSucceeded || n.Outcome.ProviderRef != "20873" {
					t.Errorf("outcome %+v", n.Outcome)
				}
				if c := n.Outcome.Card; c == nil || c.Brand != checkout.BrandVisa || c.Last4 != "8101" {
					t.Errorf("card %+v", c)
				}
				if _, ok := fields["currency"]; ok {
					if n.Amount == nil || *n.Amount != (checkout.Money{Amount: 69900, Currency: "HKD"}) {
						t.Errorf("amount %+v", n.Amount)
					}
				} else if n.Amount != nil {
					t.Errorf("amount %+v without a currency", n.Amount)
				}
				if n.Reply.Status != http.StatusOK || n.Reply.Body != "OK" || !strings.HasPrefix(n.Reply.ContentType, "text/plain") {
					t.Errorf("reply %+v", n.Reply)
				}
			})
		}
	}
	if NotificationContent(awkward, FormRaw) == NotificationContent(awkward, FormQuery) {
		t.Error("the awkward values do not tell the forms apart")
	}
	if got := NotificationContent(map[string]string{"b": "x y", "a": "1/2", "signature": "s"}, FormQuery); got != "a=1%2F2&b=x+y" {
		t.Errorf("http_build_query form = %q", got)
	}
	if got := NotificationContent(map[string]string{"b": "x y", "a": "1/2"}, FormRaw); got != "a=1/2&b=x y" {
		t.Errorf("raw form = %q", got)
	}
}

// rawPairSorted is plugin v1.0.23's literal order: the k=v strings sorted.
func rawPairSorted(fields map[string]string) string {
	var parts []string
	for k, v := range fields {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

// TestNotificationPHPValues: numbers, booleans and nulls are signed as PHP
// prints them in each form.
func TestNotificationPHPValues(t *testing.T) {
	_, platform, _ := testKeys(t)
	_, c := newFake(t)
	fields := map[string]string{
		"orderId": "20873", "status": `"SUCCESS"`, "merchantReference": `"` + testPaymentID + `"`,
		"amount": "699.00", "currency": `"HKD"`, "recurring": "true", "test": "false", "remark": "null",
	}
	raw := "amount=699.00&currency=HKD&merchantReference=" + testPaymentID + "&orderId=20873&recurring=1&remark=&status=SUCCESS&test="
	query := "amount=699.00&currency=HKD&merchantReference=" + testPaymentID + "&orderId=20873&recurring=1&status=SUCCESS&test=0"
	for form, content := range map[string]string{"raw": raw, "query": query} {
		n, err := c.Notification(t.Context(), notify(signedBody(t, platform.Private, fields, content)))
		if err != nil || n.EventID != "20873:SUCCESS" || n.Amount == nil || n.Amount.Amount != 69900 {
			t.Errorf("%s: %+v, %v", form, n, err)
		}
	}
}

// TestNotificationRejections: nothing is read from a notification that is
// not BBMSL's.
func TestNotificationRejections(t *testing.T) {
	_, platform, other := testKeys(t)
	_, c := newFake(t)
	fields := map[string]string{}
	_ = json.Unmarshal(readTestdata(t, "doc_notify_success.json"), &fields)
	fields["currency"] = "HKD"
	good := signedBody(t, platform.Private, quoted(fields), NotificationContent(fields, FormRaw))
	if _, err := c.Notification(t.Context(), notify(good)); err != nil {
		t.Fatalf("the good notification: %v", err)
	}
	tampered := map[string]string{}
	for k, v := range fields {
		tampered[k] = v
	}
	tampered["amount"] = "6.99"
	extra := map[string]string{"extra": "1"}
	for k, v := range fields {
		extra[k] = v
	}
	withoutSig := strings.Replace(string(good), `"signature":`, `"signaturX":`, 1)
	for name, body := range map[string][]byte{
		"tampered amount":        signedBody(t, platform.Private, quoted(tampered), NotificationContent(fields, FormRaw)),
		"a field added":          signedBody(t, platform.Private, quoted(extra), NotificationContent(fields, FormRaw)),
		"another key":            signedBody(t, other.Private, quoted(fields), NotificationContent(fields, FormRaw)),
		"missing signature":      []byte(withoutSig),
		"empty signature":        []byte(`{"orderId":"20873","status":"SUCCESS","signature":""}`),
		"signature not a string": []byte(`{"orderId":"1","status":"SUCCESS","signature":123}`),
		"signature over nothing": signedBody(t, platform.Private, quoted(fields), ""),
		"not JSON":               []byte(`orderId=20873&status=SUCCESS`),
		"JSON array":             []byte(`[{"orderId":"1"}]`),
		"trailing data":          append(append([]byte{}, good...), []byte(`{}`)...),
		"nested field":           signedBody(t, platform.Private, map[string]string{"orderId": `"1"`, "status": `"SUCCESS"`, "order": `{"id":1}`}, "order=&orderId=1&status=SUCCESS"),
		"signed, no orderId":     signedBody(t, platform.Private, map[string]string{"status": `"SUCCESS"`}, "status=SUCCESS"),
		"signed, odd status":     signedBody(t, platform.Private, map[string]string{"orderId": `"1"`, "status": `"ok"`}, "orderId=1&status=ok"),
		"signed, three decimals": signedBody(t, platform.Private, map[string]string{"orderId": `"1"`, "status": `"SUCCESS"`, "amount": `"1.001"`, "currency": `"HKD"`}, "amount=1.001&currency=HKD&orderId=1&status=SUCCESS"),
		"signed, other currency": signedBody(t, platform.Private, map[string]string{"orderId": `"1"`, "status": `"SUCCESS"`, "amount": `"1.00"`, "currency": `"EUR"`}, "amount=1.00&currency=EUR&orderId=1&status=SUCCESS"),
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), notify(body))
			if err == nil {
				t.Fatalf("accepted: %+v", n)
			}
			if !strings.HasPrefix(err.Error(), "bbmsl: ") {
				t.Errorf("error %q lacks the prefix", err)
			}
		})
	}
	req := notify(good)
	req.Method = http.MethodGet
	if _, err := c.Notification(t.Context(), req); err == nil {
		t.Error("a GET was accepted")
	}
}

// TestNotificationStatuses maps each status a notification may carry.
func TestNotificationStatuses(t *testing.T) {
	_, platform, _ := testKeys(t)
	_, c := newFake(t)
	for _, tc := range []struct {
		status, code string
		want         checkout.OutcomeStatus
		decline      checkout.DeclineCode
	}{
		{status: "SUCCESS", want: checkout.OutcomeSucceeded},
		{status: "DECLINED", code: "5051", want: checkout.OutcomeFailed, decline: checkout.DeclineInsufficientFunds},
		{status: "DECLINED", want: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		{status: "VOIDED", want: checkout.OutcomeCanceled},
		{status: "REFUNDED", want: checkout.OutcomeRefunded},
		{status: "OPEN", want: checkout.OutcomePending},
		{status: "SOMETHING_NEW", want: checkout.OutcomePending},
	} {
		fields := map[string]string{"orderId": "5798", "status": tc.status, "merchantReference": testPaymentID}
		if tc.code != "" {
			fields["responseCode"] = tc.code
		}
		n, err := c.Notification(t.Context(), notify(signedBody(t, platform.Private, quoted(fields), NotificationContent(fields, FormRaw))))
		if err != nil {
			t.Fatalf("%s: %v", tc.status, err)
		}
		if n.Outcome.Status != tc.want || n.EventID != "5798:"+tc.status {
			t.Errorf("%s: %s, event %q", tc.status, n.Outcome.Status, n.EventID)
		}
		if tc.decline != "" && (n.Outcome.Decline == nil || n.Outcome.Decline.Code != tc.decline) {
			t.Errorf("%s: decline %+v", tc.status, n.Outcome.Decline)
		}
	}
}
