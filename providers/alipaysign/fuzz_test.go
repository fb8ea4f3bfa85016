package alipaysign

// Fuzz targets for the Signature header of the Alipay family (SECURITY.md
// R40): the header parser, and verification of signatures that were made
// over one message and then moved to another.

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"algorithm=RSA256,keyVersion=1,signature=KEFH%2FFl6s0ktVkP%2BX8N8o2ZpG6rSAtp5BzvwxiLJR9HigpkdN%3D%3D",
		"algorithm=RSA256, keyVersion=2, signature=abc%3D",
		"signature=abc,algorithm=RSA256",
		"algorithm=RSA256,keyVersion=1,signature=",
		"algorithm=RSA256,keyVersion=1,signature=%zz",
		"algorithm=RSA2048,keyVersion=1,signature=abc",
		"algorithm=rsa256,signature=abc",
		"algorithm=RSA256,algorithm=HMAC,signature=abc",
		"algorithm=RSA256,keyVersion=1,signature=a+b==",
		"algorithm=RSA256;signature=abc",
		"algorithm=RSA256,,signature=abc",
		"  algorithm = RSA256 , signature = x ",
		"",
		",",
		"=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		alg, version, sig, err := ParseHeader(v)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Errorf("ParseHeader(%q) error %v is not ErrBadHeader", v, err)
			}
			if alg != "" || version != "" || sig != "" {
				t.Errorf("ParseHeader(%q) failed but returned %q %q %q", v, alg, version, sig)
			}
			return
		}
		if alg != "RSA256" || sig == "" {
			t.Errorf("ParseHeader(%q) = algorithm %q, signature %q", v, alg, sig)
		}
		// The signature is the URL-decoded value of a signature= part.
		found := false
		for part := range strings.SplitSeq(v, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.TrimSpace(name) != "signature" {
				continue
			}
			if got, err := url.QueryUnescape(value); err == nil && got == sig {
				found = true
			}
		}
		if !found {
			t.Errorf("ParseHeader(%q) signature %q is not the value of a signature= part", v, sig)
		}
		// What parsed re-parses to the same in the form Sign writes.
		canonical := "algorithm=" + alg + ",keyVersion=" + url.QueryEscape(version) + ",signature=" + url.QueryEscape(sig)
		if a2, _, s2, err := ParseHeader(canonical); err != nil || a2 != alg || s2 != sig {
			t.Errorf("canonical form %q of %q parses as %q %q %v", canonical, v, a2, s2, err)
		}
	})
}

// fuzzSigned is one message signed with a key made for this process: the
// fuzzer cannot know the key, so the only signature it can present is the
// one the harness puts in place of $SIG.
type fuzzSigned struct {
	pub                               *rsa.PublicKey
	method, path, clientID, timestamp string
	body                              []byte
	header                            string // the Signature header Sign made
}

// fuzzKeyPair makes an RSA-1024 pair (see GenerateKeyPair).
func fuzzKeyPair() KeyPair {
	k, err := GenerateKeyPair(1024)
	if err != nil {
		panic(err)
	}
	return k
}

var fuzzSignedOnce = sync.OnceValue(func() fuzzSigned {
	priv, err := ParsePrivateKey(fuzzKeyPair().Private)
	if err != nil {
		panic(err)
	}
	s := fuzzSigned{
		pub: &priv.PublicKey, method: "POST", path: "/ams/api/v1/payments/pay", clientID: "SANDBOX_5YBZ1K2ZTEST",
		timestamp: "2026-03-14T15:09:26.535Z",
		body:      []byte(`{"paymentRequestId":"pay_1","paymentAmount":{"currency":"EUR","value":"1000"}}`),
	}
	if s.header, err = Sign(priv, "1", s.method, s.path, s.clientID, s.timestamp, s.body); err != nil {
		panic(err)
	}
	return s
})

// fuzzSignatureOf is the URL-encoded signature of a Signature header.
func fuzzSignatureOf(header string) string {
	_, sig, _ := strings.Cut(header, ",signature=")
	return sig
}

func FuzzVerify(f *testing.F) {
	const (
		method, path, clientID = "POST", "/ams/api/v1/payments/pay", "SANDBOX_5YBZ1K2ZTEST"
		timestamp, body        = "2026-03-14T15:09:26.535Z", `{"paymentRequestId":"pay_1","paymentAmount":{"currency":"EUR","value":"1000"}}`
	)
	for _, s := range []struct{ header, method, path, clientID, timestamp, body string }{
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", method, path, clientID, timestamp, body},
		{"algorithm=RSA256, keyVersion=1, signature=$SIG", method, path, clientID, timestamp, body},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", method, path, clientID, timestamp, `{"paymentRequestId":"pay_1","paymentAmount":{"currency":"EUR","value":"9000"}}`},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", method, path, clientID, timestamp + "0", body},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", method, "/ams/sandbox/api/v1/payments/pay", clientID, timestamp, body},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", method, path, "SANDBOX_OTHER", timestamp, body},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", "GET", path, clientID, timestamp, body},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG", method, path, clientID + ".2026-03-14T15:09:26", "535Z", body},
		{"algorithm=RSA256,keyVersion=1,signature=$SIG%3D", method, path, clientID, timestamp, body},
		{"algorithm=RSA256,keyVersion=1,signature=AAAA", method, path, clientID, timestamp, body},
		{"algorithm=RSA256,keyVersion=1,signature=%2B%2F%3D", method, path, clientID, timestamp, body},
	} {
		f.Add(s.header, s.method, s.path, s.clientID, s.timestamp, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, header, method, path, clientID, timestamp string, body []byte) {
		s := fuzzSignedOnce()
		header = strings.ReplaceAll(header, "$SIG", fuzzSignatureOf(s.header))
		err := Verify(s.pub, header, method, path, clientID, timestamp, body)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) && !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify error %v is neither ErrBadHeader nor ErrBadSignature", err)
			}
			return
		}
		// Verified: the signed text is exactly the one that was signed.
		want := Content(s.method, s.path, s.clientID, s.timestamp, s.body)
		if got := Content(method, path, clientID, timestamp, body); !bytes.Equal(got, want) {
			t.Errorf("signature over %q verified for %q", want, got)
		}
	})
}

// TestFuzzVerifyHarness keeps FuzzVerify honest: its first seed verifies, so
// the property is checked on verified messages, not only on refusals.
func TestFuzzVerifyHarness(t *testing.T) {
	s := fuzzSignedOnce()
	header := strings.ReplaceAll("algorithm=RSA256,keyVersion=1,signature=$SIG", "$SIG", fuzzSignatureOf(s.header))
	if err := Verify(s.pub, header, s.method, s.path, s.clientID, s.timestamp, s.body); err != nil {
		t.Fatalf("the harness's signed seed does not verify: %v", err)
	}
}
