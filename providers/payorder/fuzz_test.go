package payorder

// Fuzz targets for the gateway's answers (SECURITY.md R40): the bizContent
// envelope (base64, AES-ECB, PKCS#7), the SHA256withRSA sign, and the
// sealed result the adapter maps. The platform key is made per process, so
// a seed names a signature by placeholder ($SIGN0...) and the harness puts
// the real one in; the fuzzer then mutates around it.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// fuzzAESKey is the merchant's bizContent key in these targets.
var fuzzAESKey = []byte("0123456789abcdef")

// fuzzResults are the plaintexts the platform signed: a seed's $BIZn and
// $SIGNn stand for the sealed form and the signature of fuzzResults[n].
var fuzzResults = []string{
	`{"status":0,"errorCode":"","errorMessage":"","data":{"outcome":"authorized","transactionReference":"21F8E74C-64ED-4B0F-B403-27E1762F82C4",` +
		`"authentication":{"version":"2.2.0","authenticationValue":"AAABBEg0VhI0VniQEjRWAAAAAAA=","eci":"05","transactionId":"c5b808e7-1de1-4069-a17b-f70d3b3b1645"}}}`,
	`{"status":0,"data":{"outcome":"refused","transactionReference":"e4a5b6c7","refusalCode":"51","refusalDescription":"Insufficient funds"}}`,
	`{"status":0,"data":{"outcome":"challenged","transactionReference":"8e9dfeb7","challenge":{"reference":"AB12CD34EF56GH78IJ90",` +
		`"url":"https://centinelapistag.cardinalcommerce.com/V2/Cruise/StepUp","jwt":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","payload":"eyJ9"}}}`,
	`{"status":-1,"errorCode":"ORDER_NOT_FOUND","errorMessage":"no order 4111111111111111"}`,
}

type fuzzGatewayKeys struct {
	merchantB64, platformPubB64 string
	platform                    *rsa.PrivateKey
	sealed, signs               []string // of fuzzResults
}

var fuzzKeys = sync.OnceValue(func() fuzzGatewayKeys {
	gen := func() *rsa.PrivateKey {
		// RSA-1024, the smallest Go accepts: the fuzz workers run
		// instrumented, where RSA-2048 would eat most of a short run.
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			panic(err)
		}
		return k
	}
	merchant, platform := gen(), gen()
	der, err := x509.MarshalPKCS8PrivateKey(merchant)
	if err != nil {
		panic(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&platform.PublicKey)
	if err != nil {
		panic(err)
	}
	k := fuzzGatewayKeys{merchantB64: base64.StdEncoding.EncodeToString(der), platformPubB64: base64.StdEncoding.EncodeToString(pub), platform: platform}
	for _, r := range fuzzResults {
		biz, err := Seal(fuzzAESKey, []byte(r))
		if err != nil {
			panic(err)
		}
		sign, err := Sign(platform, []byte(r))
		if err != nil {
			panic(err)
		}
		k.sealed, k.signs = append(k.sealed, biz), append(k.signs, sign)
	}
	return k
})

// fuzzExpand puts the sealed results and their signatures in place of the
// placeholders.
func fuzzExpand(template []byte) []byte {
	k := fuzzKeys()
	for i := range fuzzResults {
		template = bytes.ReplaceAll(template, fmt.Appendf(nil, "$BIZ%d", i), []byte(k.sealed[i]))
		template = bytes.ReplaceAll(template, fmt.Appendf(nil, "$SIGN%d", i), []byte(k.signs[i]))
	}
	return template
}

// fuzzTransport answers every request without a network.
type fuzzTransport func(*http.Request) *http.Response

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return f(r), nil
}

func fuzzClient(t *testing.T, answer []byte) *Client {
	t.Helper()
	k := fuzzKeys()
	rt := fuzzTransport(func(r *http.Request) *http.Response {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(answer)), Request: r}
	})
	c, err := New(Config{
		BaseURL: "https://api.payorder.example", SessionsURL: "https://try.access.worldpay.com", MerchantID: "M100", CheckoutID: "checkout-id",
		AESKey: base64.StdEncoding.EncodeToString(fuzzAESKey), MerchantPrivateKey: k.merchantB64, PlatformPublicKey: k.platformPubB64,
		HTTPClient: &http.Client{Transport: rt, Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fuzzPayment is a payment whose order exists, as Inquire needs it.
func fuzzPayment(challenged bool) checkout.Payment {
	p := checkout.Payment{ID: "pay_aaaabbbbccccddddeeeeffffgggghhhh", Amount: checkout.Money{Amount: 1234, Currency: "USD"},
		ProviderData: map[string]string{keyOrderSN: "pay_aaaabbbbccccddddeeeeffffgggghhhh", keyLinkID: "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
			keyWindowWidth: "390", keyWindowHeight: "400"}}
	if challenged {
		p.ProviderData[keyChallengeReference] = "AB12CD34EF56GH78IJ90"
	}
	return p
}

func FuzzOpen(f *testing.F) {
	for _, s := range []string{
		"$BIZ0", "$BIZ1", "$BIZ3", "", "AAAA", "not base64!", "$BIZ0=", "$BIZ0\n", base64.StdEncoding.EncodeToString(make([]byte, 16)),
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{16}, 32)), base64.StdEncoding.EncodeToString(make([]byte, 15)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, bizContent string) {
		bizContent = string(fuzzExpand([]byte(bizContent)))
		plain, err := Open(fuzzAESKey, bizContent)
		if err != nil {
			return
		}
		// PKCS#7 padding is unique, so what opens is exactly what sealing
		// the plaintext again gives.
		ct, _ := base64.StdEncoding.DecodeString(bizContent)
		again, err := Seal(fuzzAESKey, plain)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := base64.StdEncoding.DecodeString(again); !bytes.Equal(back, ct) {
			t.Errorf("%q opened to %q, which seals to %q", bizContent, plain, again)
		}
		if len(plain) >= len(ct) || len(ct)-len(plain) > 16 {
			t.Errorf("%d bytes of ciphertext opened to %d bytes", len(ct), len(plain))
		}
	})
}

func FuzzVerify(f *testing.F) {
	for i, r := range fuzzResults {
		f.Add([]byte(r), fmt.Sprintf("$SIGN%d", i))
		f.Add([]byte(r+" "), fmt.Sprintf("$SIGN%d", i))
	}
	f.Add([]byte(fuzzResults[0]), "$SIGN1")
	f.Add([]byte(fuzzResults[0]), "$SIGN0\n")
	f.Add([]byte(fuzzResults[0]), "AAAA")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, msg []byte, sign string) {
		k := fuzzKeys()
		sign = string(fuzzExpand([]byte(sign)))
		if Verify(&k.platform.PublicKey, msg, sign) != nil {
			return
		}
		for _, r := range fuzzResults {
			if string(msg) == r {
				return
			}
		}
		t.Errorf("sign %q verified for %q, which the platform never signed", sign, msg)
	})
}

var fuzzDigitRun = regexp.MustCompile(`[0-9]{3,}`)

func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		`{"bizContent":"$BIZ0","sign":"$SIGN0"}`,
		`{"bizContent":"$BIZ1","sign":"$SIGN1"}`,
		`{"bizContent":"$BIZ2","sign":"$SIGN2"}`,
		`{"bizContent":"$BIZ3","sign":"$SIGN3"}`,
		`{"status":0,"bizContent":"$BIZ0","sign":"$SIGN0","errorCode":"","errorMessage":""}`,
		`{"bizContent":"$BIZ0","sign":"$SIGN1"}`,
		`{"bizContent":"$BIZ1","sign":"$SIGN0"}`,
		`{"bizContent":"$BIZ0"}`,
		`{"bizContent":"$BIZ0","sign":""}`,
		`{"bizContent":"$BIZ0$BIZ1","sign":"$SIGN0"}`,
		`{"status":-1,"errorCode":"INVALID_SIGN","errorMessage":"sign 4111111111111111 is wrong"}`,
		`{"status":0,"data":{"outcome":"authorized"}}`,
		`{"bizContent":"AAAA","sign":"$SIGN0"}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, template []byte, challenged bool) {
		body := fuzzExpand(template)
		out, err := fuzzClient(t, body).Inquire(context.Background(), fuzzPayment(challenged))
		var fail *failure
		if err != nil && (!errors.As(err, &fail) || !fail.signed) {
			return // refused, or a plaintext envelope error
		}
		// The answer was trusted: its sealed result must be one the
		// platform signed.
		var a answer
		if json.Unmarshal(body, &a) != nil {
			t.Fatalf("outcome %s, %v from an unreadable answer %q", out.Status, err, body)
		}
		inner, oerr := Open(fuzzAESKey, a.BizContent)
		for _, r := range fuzzResults {
			if oerr == nil && string(inner) == r {
				return
			}
		}
		t.Errorf("answer %q was trusted (outcome %s, %v)", body, out.Status, err)
	})
}

func FuzzResult(f *testing.F) {
	for _, r := range fuzzResults {
		f.Add([]byte(r), false)
		f.Add([]byte(r), true)
	}
	for _, s := range []string{
		`{"status":0,"data":{"outcome":"authenticationFailed","authentication":{"eci":"07"}}}`,
		`{"status":0,"data":{"outcome":"failed"}}`,
		`{"status":0,"data":{"outcome":"created"}}`,
		`{"status":0,"data":{"outcome":"Authorized"}}`,
		`{"status":0,"data":{"outcome":"refused","refusalCode":"4111111111111111"}}`,
		`{"status":0,"data":{"outcome":"challenged","challenge":{"reference":"r"}}}`,
		`{"status":0,"data":[]}`,
		`{"status":0}`,
		`{"status":1}`,
		`{"status":-1,"errorCode":"DECRYPT_FAILED\u0000","errorMessage":"` + strings.Repeat("é", 200) + `"}`,
		`{"data":{"outcome":"authorized"}}`,
		`null`,
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, inner []byte, challenged bool) {
		k := fuzzKeys()
		biz, err := Seal(fuzzAESKey, inner)
		if err != nil {
			t.Fatal(err)
		}
		sign, err := Sign(k.platform, inner)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(answer{BizContent: biz, Sign: sign})
		out, err := fuzzClient(t, body).Inquire(context.Background(), fuzzPayment(challenged))

		var r result
		readable := json.Unmarshal(inner, &r) == nil && r.Status != nil
		var fail *failure
		switch {
		case errors.As(err, &fail):
			if !readable || *r.Status != StatusFailure || !fail.signed {
				t.Errorf("failure %v from %q", err, inner)
			}
			if msg := fail.Error(); fuzzDigitRun.MatchString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("failure message %q carries digit runs or control characters", msg)
			}
			return
		case err != nil:
			return
		}
		if !readable || *r.Status != StatusSuccess {
			t.Fatalf("outcome %s from %q", out.Status, inner)
		}
		var d orderData
		if json.Unmarshal(r.Data, &d) != nil {
			t.Fatalf("outcome %s from unreadable data %q", out.Status, r.Data)
		}
		switch out.Status {
		case checkout.OutcomeSucceeded:
			if d.Outcome != OutcomeAuthorized {
				t.Errorf("succeeded from outcome %q", d.Outcome)
			}
		case checkout.OutcomeFailed:
			if out.Decline == nil || fuzzDigitRun.MatchString(out.Decline.ProviderCode) {
				t.Errorf("decline %+v", out.Decline)
			} else if out.Decline.Message != checkout.DeclineMessage(out.Decline.Code) {
				t.Errorf("decline message %q is not ours", out.Decline.Message)
			}
		case checkout.OutcomeActionRequired:
			a := out.Action
			if d.Outcome != OutcomeChallenged || a == nil || a.Kind != checkout.ActionChallenge || a.URL == "" || a.JWT == "" ||
				out.ProviderData[keyChallengeReference] == "" {
				t.Errorf("action %+v from %q", a, inner)
			}
		case checkout.OutcomePending:
		default:
			t.Errorf("status %s from %q", out.Status, inner)
		}
		if out.Status != checkout.OutcomeActionRequired && out.Action != nil {
			t.Errorf("status %s with an action", out.Status)
		}
	})
}

// TestFuzzHarnesses keeps the placeholders honest: a seed's sealed, signed
// result is trusted, so FuzzAnswer's property is checked on trusted answers.
func TestFuzzHarnesses(t *testing.T) {
	out, err := fuzzClient(t, fuzzExpand([]byte(`{"bizContent":"$BIZ0","sign":"$SIGN0"}`))).Inquire(context.Background(), fuzzPayment(false))
	if err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("signed answer: %s, %v", out.Status, err)
	}
}
