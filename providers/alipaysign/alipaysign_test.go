package alipaysign

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func mustPair(t *testing.T) KeyPair {
	t.Helper()
	kp, err := NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestContentIsTheFamilyConvention(t *testing.T) {
	got := string(Content("POST", "/ams/api/v1/payments/pay", "SANDBOX_X", "1685599933871", []byte(`{"a":1}`)))
	if got != "POST /ams/api/v1/payments/pay\nSANDBOX_X.1685599933871.{\"a\":1}" {
		t.Fatalf("content %q", got)
	}
}

func TestSignAndVerify(t *testing.T) {
	kp, other := mustPair(t), mustPair(t)
	priv, err := ParsePrivateKey(kp.Private)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(kp.Public)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _ := ParsePublicKey(other.Public)
	body := []byte(`{"paymentRequestId":"pay_1","paymentAmount":{"currency":"EUR","value":"1000"}}`)
	h := http.Header{}
	if err := SignMessage(priv, h, HeaderRequestTime, "POST", "/ams/api/v1/payments/pay", "SANDBOX_X", "1685599933871", body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Get(HeaderSignature), "algorithm=RSA256,keyVersion=1,signature=") || strings.ContainsAny(h.Get(HeaderSignature)[40:], "+/") {
		t.Fatalf("signature header %q is not URL-encoded base64", h.Get(HeaderSignature))
	}
	if ts, err := VerifyMessage(pub, h, HeaderRequestTime, "POST", "/ams/api/v1/payments/pay", "SANDBOX_X", body); err != nil || ts != "1685599933871" {
		t.Fatalf("verify: %q %v", ts, err)
	}
	// Spaces after the commas, as in the Alipay+ docs.
	spaced := h.Clone()
	spaced.Set(HeaderSignature, strings.ReplaceAll(h.Get(HeaderSignature), ",", ", "))
	if _, err := VerifyMessage(pub, spaced, HeaderRequestTime, "POST", "/ams/api/v1/payments/pay", "SANDBOX_X", body); err != nil {
		t.Fatalf("spaced header: %v", err)
	}

	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = '9'
	without := func(name string) http.Header { c := h.Clone(); c.Del(name); return c }
	for _, tt := range []struct {
		name   string
		key    any
		h      http.Header
		path   string
		client string
		body   []byte
		want   error
	}{
		{"tampered body", pub, h, "/ams/api/v1/payments/pay", "SANDBOX_X", tampered, ErrBadSignature},
		{"wrong key", otherPub, h, "/ams/api/v1/payments/pay", "SANDBOX_X", body, ErrBadSignature},
		{"wrong path", pub, h, "/ams/api/v1/payments/refund", "SANDBOX_X", body, ErrBadSignature},
		{"sandbox path", pub, h, "/ams/sandbox/api/v1/payments/pay", "SANDBOX_X", body, ErrBadSignature},
		{"wrong client", pub, h, "/ams/api/v1/payments/pay", "OTHER", body, ErrWrongClient},
		{"no signature", pub, without(HeaderSignature), "/ams/api/v1/payments/pay", "SANDBOX_X", body, ErrMissingHeader},
		{"no time", pub, without(HeaderRequestTime), "/ams/api/v1/payments/pay", "SANDBOX_X", body, ErrMissingHeader},
		{"no client", pub, without(HeaderClientID), "/ams/api/v1/payments/pay", "SANDBOX_X", body, ErrMissingHeader},
	} {
		_, err := VerifyMessage(tt.key.(*rsa.PublicKey), tt.h, HeaderRequestTime, "POST", tt.path, tt.client, tt.body)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A changed time is a changed message.
	moved := h.Clone()
	moved.Set(HeaderRequestTime, "1685599933872")
	if _, err := VerifyMessage(pub, moved, HeaderRequestTime, "POST", "/ams/api/v1/payments/pay", "SANDBOX_X", body); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed time: %v", err)
	}
	for _, bad := range []string{"", "signature=abc", "algorithm=RSA256,keyVersion=1", "algorithm=ECC224,keyVersion=1,signature=abc", "garbage"} {
		if _, _, _, err := ParseHeader(bad); err == nil {
			t.Errorf("header %q parsed", bad)
		}
	}
}

func TestKeysAsPEMOrBase64(t *testing.T) {
	kp := mustPair(t)
	privDER, _ := base64.StdEncoding.DecodeString(kp.Private)
	pubDER, _ := base64.StdEncoding.DecodeString(kp.Public)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	for _, s := range []string{kp.Private, privPEM, " " + kp.Private[:40] + "\n" + kp.Private[40:] + " "} {
		if _, err := ParsePrivateKey(s); err != nil {
			t.Errorf("private key form rejected: %v", err)
		}
	}
	for _, s := range []string{kp.Public, pubPEM} {
		if _, err := ParsePublicKey(s); err != nil {
			t.Errorf("public key form rejected: %v", err)
		}
	}
	for _, s := range []string{"", "not base64!", kp.Public, pubPEM} {
		if _, err := ParsePrivateKey(s); err == nil {
			t.Errorf("a non-private key parsed as private")
		} else if strings.Contains(err.Error(), kp.Public[:20]) {
			t.Errorf("error quotes the key: %v", err)
		}
	}
	if _, err := ParsePublicKey(kp.Private); err == nil {
		t.Error("a private key parsed as public")
	}
}
