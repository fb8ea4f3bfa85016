package worldline

import (
	"net/http"
	"net/url"
	"testing"
)

// The three published v1HMAC vectors (PROVIDERS.md 4.2, from the
// connect-sdk-go authenticator tests).
func TestV1HMACVectors(t *testing.T) {
	const date = "Fri, 06 Jun 2014 13:39:43 GMT"
	u, _ := url.Parse("https://eu.sandbox.api-ingenico.com/v1/9991/tokens/123456789")

	h := http.Header{}
	h.Set("X-GCS-ServerMetaInfo", "processed header value")
	h.Set("X-GCS-ClientMetaInfo", "processed header value")
	h.Set("X-GCS-CustomerHeader", "processed header value")
	h.Set("Content-Type", "application/json") // not an X-GCS header: not signed as one
	data := StringToSign("DELETE", "application/json", date, h, u)
	want := "DELETE\napplication/json\n" + date + "\nx-gcs-clientmetainfo:processed header value\nx-gcs-customerheader:processed header value\nx-gcs-servermetainfo:processed header value\n/v1/9991/tokens/123456789\n"
	if data != want {
		t.Fatalf("string to sign:\n%q\nwant\n%q", data, want)
	}
	if got := Signature([]byte("secretApiKey"), []byte(data)); got != "VfnXpPBQQoHZivTcAg0JvOWkhnzlPnaCPKpTQn/uMJM=" {
		t.Errorf("vector 1 = %s", got)
	}

	get := StringToSign("GET", "", date, http.Header{}, u)
	if get != "GET\n\n"+date+"\n/v1/9991/tokens/123456789\n" {
		t.Fatalf("GET string to sign = %q", get)
	}
	if got := Signature([]byte("6Kj5HT0MQKC6D8eb7W3lTg71kVKVDSt1"), []byte(get)); got != "9ond5EIN05dBXJGCLRK5om9pxHsyrh/12pZJ7bvmwNM=" {
		t.Errorf("vector 2 = %s", got)
	}
	auth := Authorization("5e45c937b9db33ae", "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=", get)
	if auth != "GCS v1HMAC:5e45c937b9db33ae:J5LjfSBvrQNhu7gG0gvifZt+IWNDReGCmHmBmth6ueI=" {
		t.Errorf("vector 3 = %s", auth)
	}
	secrets := func(id string) (string, bool) {
		return "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=", id == "5e45c937b9db33ae"
	}
	if _, ok := VerifyAuthorization(auth, secrets, get); !ok {
		t.Error("a correct Authorization header does not verify")
	}
	if _, ok := VerifyAuthorization(auth[:len(auth)-2]+"A=", secrets, get); ok {
		t.Error("a tampered signature verifies")
	}
	if _, ok := VerifyAuthorization("GCS v1HMAC:other:"+auth[len("GCS v1HMAC:5e45c937b9db33ae:"):], secrets, get); ok {
		t.Error("an unknown key id verifies")
	}
}

func TestStringToSignQueryAndFolding(t *testing.T) {
	u, _ := url.Parse("https://x/v1/1/payments?merchantReference=pay%20x&limit=1")
	h := http.Header{}
	h.Set("X-GCS-Idempotence-Key", "  key\r\n   folded  ")
	got := StringToSign("GET", "", "d", h, u)
	want := "GET\n\nd\nx-gcs-idempotence-key:key folded\n/v1/1/payments?merchantReference=pay x&limit=1\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// The webhook vector of PROVIDERS.md 4.7 is checked in webhook_test.go
// against the SDK's testValidBody literal.
func TestWebhookSignatureRoundTrip(t *testing.T) {
	body := []byte(`{"id":"1"}`)
	sig := WebhookSignature("hello+world", body)
	if !VerifyWebhookSignature("hello+world", body, sig) {
		t.Fatal("own signature does not verify")
	}
	if VerifyWebhookSignature("hello+world", append(body, ' '), sig) {
		t.Fatal("a changed body verifies")
	}
}
