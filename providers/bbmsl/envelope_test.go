package bbmsl

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
)

// TestEnvelopeSignsTheExactRequestString: the signature covers the bytes
// of the request string as sent, so any re-serialisation of the same
// content (key order, spacing, escaping) no longer verifies.
func TestEnvelopeSignsTheExactRequestString(t *testing.T) {
	merchant, _, other := testKeys(t)
	key, err := ParsePrivateKey(merchant.Private)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(merchant.Public)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, err := ParsePublicKey(other.Public)
	if err != nil {
		t.Fatal(err)
	}
	// The seed's request string, exactly.
	var seed Envelope
	if err := json.Unmarshal(readTestdata(t, "seed_sale_request.json"), &seed); err != nil {
		t.Fatal(err)
	}
	request := []byte(seed.Request)

	body, err := Seal(key, request)
	if err != nil {
		t.Fatal(err)
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Request != seed.Request {
		t.Fatalf("the envelope's request string changed:\n%s\n%s", env.Request, seed.Request)
	}
	if got, err := Open(pub, body); err != nil || string(got) != seed.Request {
		t.Fatalf("Open = %q, %v", got, err)
	}

	var decoded map[string]any
	if err := json.Unmarshal(request, &decoded); err != nil {
		t.Fatal(err)
	}
	reserialised, _ := json.Marshal(decoded) // keys sorted: same content, other bytes
	for _, tc := range []struct {
		name    string
		request string
		sig     string
		key     *rsa.PublicKey
		ok      bool
	}{
		{name: "as signed", request: env.Request, sig: env.Signature, key: pub, ok: true},
		{name: "re-serialised (keys sorted)", request: string(reserialised), sig: env.Signature, key: pub},
		{name: "pretty-printed", request: strings.ReplaceAll(env.Request, ",", ", "), sig: env.Signature, key: pub},
		{name: "a trailing newline", request: env.Request + "\n", sig: env.Signature, key: pub},
		{name: "amount changed", request: strings.Replace(env.Request, `"amount":50`, `"amount":5`, 1), sig: env.Signature, key: pub},
		{name: "the seed's own signature (another key)", request: seed.Request, sig: seed.Signature, key: pub},
		{name: "another merchant's key", request: env.Request, sig: env.Signature, key: otherPub},
		{name: "signature not base64", request: env.Request, sig: "not base64!", key: pub},
		{name: "empty signature", request: env.Request, sig: "", key: pub},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(Envelope{Request: tc.request, Signature: tc.sig})
			_, err := Open(tc.key, body)
			if (err == nil) != tc.ok {
				t.Fatalf("Open: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestEnvelopeRefusesMalformedBodies covers bodies that are not an envelope.
func TestEnvelopeRefusesMalformedBodies(t *testing.T) {
	merchant, _, _ := testKeys(t)
	pub, _ := ParsePublicKey(merchant.Public)
	for _, body := range []string{``, `[]`, `{"request":{"a":1},"signature":"x"}`, `{"signature":"x"}`, `{"request":"{}"}`, `not json`} {
		if _, err := Open(pub, []byte(body)); err == nil {
			t.Errorf("Open(%q) accepted", body)
		}
	}
}

// TestKeyForms: keys are read as PEM or bare base64, PKCS#8 or PKCS#1 (the
// PHP SDK's "RSA PRIVATE KEY"), and errors never quote them.
func TestKeyForms(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	pkcs1 := x509.MarshalPKCS1PrivateKey(k)
	spki, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	b64 := base64.StdEncoding.EncodeToString
	wrap := func(s string) string { // 64-character lines, as portals show them
		var b strings.Builder
		for len(s) > 64 {
			b.WriteString(s[:64] + "\n")
			s = s[64:]
		}
		return b.String() + s
	}
	for name, s := range map[string]string{
		"PKCS#8 base64":          b64(pkcs8),
		"PKCS#8 base64, wrapped": wrap(b64(pkcs8)),
		"PKCS#8 PEM":             string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"PKCS#1 PEM":             string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1})),
		"PKCS#1 base64":          b64(pkcs1),
	} {
		got, err := ParsePrivateKey(s)
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]string{
		"SPKI base64": b64(spki),
		"SPKI PEM":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
	} {
		got, err := ParsePublicKey(s)
		if err != nil || !got.Equal(&k.PublicKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	secret := b64(pkcs8)[:60] + "!!"
	for _, bad := range []string{"", secret, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pkcs8}))} {
		_, err1 := ParsePrivateKey(bad)
		_, err2 := ParsePublicKey(bad)
		for _, err := range []error{err1, err2} {
			if err == nil {
				t.Errorf("a bad key was accepted")
			} else if bad != "" && strings.Contains(err.Error(), bad[:40]) || !strings.HasPrefix(err.Error(), "bbmsl: ") {
				t.Errorf("error %q quotes the key or lacks the prefix", err)
			}
		}
	}
}
