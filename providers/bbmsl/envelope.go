package bbmsl

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/rsakey"
)

// Envelope is the body of every PayAPI request (PROVIDERS.md 2.2) [V]: the
// business JSON serialised as a string, and the base64 SHA256withRSA
// signature of exactly the bytes of that string.
type Envelope struct {
	Request   string `json:"request"`
	Signature string `json:"signature"`
}

// Seal signs request (the business JSON, exactly as it will travel) with
// the merchant key and returns the envelope's JSON body.
func Seal(key *rsa.PrivateKey, request []byte) ([]byte, error) {
	sig, err := Sign(key, request)
	if err != nil {
		return nil, err
	}
	return marshal(Envelope{Request: string(request), Signature: sig})
}

// Open reads an envelope body and verifies its signature with the merchant
// public key over the exact bytes of its request string, which it returns.
// Nothing of the request should be trusted before Open succeeds.
func Open(key *rsa.PublicKey, body []byte) ([]byte, error) {
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, errors.New("bbmsl: the envelope is not JSON with request and signature strings")
	}
	if e.Request == "" || e.Signature == "" {
		return nil, errors.New("bbmsl: the envelope lacks its request or signature")
	}
	if err := Verify(key, []byte(e.Request), e.Signature); err != nil {
		return nil, err
	}
	return []byte(e.Request), nil
}

// Sign returns base64(SHA256withRSA(msg)), RSA PKCS#1 v1.5 as PHP's
// openssl_sign(..., OPENSSL_ALGO_SHA256) makes it.
func Sign(key *rsa.PrivateKey, msg []byte) (string, error) {
	if key == nil {
		return "", errors.New("bbmsl: no signing key")
	}
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", errors.New("bbmsl: signing failed")
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a base64 SHA256withRSA signature of msg.
func Verify(key *rsa.PublicKey, msg []byte, signature string) error {
	if key == nil {
		return errors.New("bbmsl: no verification key")
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return errors.New("bbmsl: the signature is not base64")
	}
	sum := sha256.Sum256(msg)
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return errors.New("bbmsl: the signature does not verify")
	}
	return nil
}

// marshal encodes v without HTML escaping (URLs travel as written) and
// without the encoder's trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// keys reads this package's keys.
var keys = rsakey.Reader{Name: "bbmsl", PKCS1: true}

// ParsePrivateKey reads the merchant's RSA private key: PKCS#8 (what the
// portal expects) or PKCS#1 (what BBMSL's PHP SDK generates), PEM-armoured
// or bare base64 DER.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) { return keys.Private(s) }

// ParsePublicKey reads an RSA public key in X.509 SubjectPublicKeyInfo form
// (PKCS#1 is accepted too), PEM-armoured or bare base64 DER, the form the
// portal shows without header and line breaks.
func ParsePublicKey(s string) (*rsa.PublicKey, error) { return keys.Public(s) }

// KeyPair is a generated key pair in bare base64 DER, for sandboxes and tests.
type KeyPair = rsakey.Pair

// NewKeyPair generates an RSA-2048 key pair.
func NewKeyPair() (KeyPair, error) { return rsakey.Generate(2048) }

// GenerateKeyPair generates a key pair of the given size (see rsakey.Generate).
func GenerateKeyPair(bits int) (KeyPair, error) { return rsakey.Generate(bits) }
