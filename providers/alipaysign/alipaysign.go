// Package alipaysign is the message signature of the Alipay API family,
// shared by Antom (providers/antom) and Alipay+ wallets
// (providers/alipayplus), and by their sandboxes.
//
// Every request, response and notification carries Client-Id, a time
// (Request-Time, or Response-Time on answers) and
//
//	Signature: algorithm=RSA256,keyVersion=1,signature=<URL-encoded base64>
//
// where the signature is RSA PKCS#1 v1.5 with SHA-256 over
//
//	<METHOD> <path>\n<Client-Id>.<time>.<raw body>
//
// [V: alipay/global-open-sdk-go tools/SignatureTool.go and WebhookTool.go].
// The path is the one in the request line (for answers: the request's
// path; for notifications: the path of the notify URL). Keys come as PEM or
// bare base64: PKCS#8 private keys, X.509 SubjectPublicKeyInfo public keys.
// Header parsing tolerates spaces after the commas, as the Alipay+ docs
// show them.
package alipaysign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/rsakey"
)

// Header names.
const (
	HeaderClientID     = "Client-Id"
	HeaderRequestTime  = "Request-Time"
	HeaderResponseTime = "Response-Time"
	HeaderSignature    = "Signature"
	HeaderKeyVersion   = "Key-Version"
)

// Errors. They never quote keys, bodies or signatures.
var (
	ErrMissingHeader = errors.New("alipaysign: Client-Id, time or Signature header missing")
	ErrBadHeader     = errors.New("alipaysign: Signature header is not algorithm=RSA256,keyVersion=N,signature=...")
	ErrBadSignature  = errors.New("alipaysign: signature does not verify")
	ErrWrongClient   = errors.New("alipaysign: Client-Id is not the expected one")
)

// Content is the exact text that is signed.
func Content(method, path, clientID, timestamp string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(path)+len(clientID)+len(timestamp)+len(body)+4)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, '\n')
	b = append(b, clientID...)
	b = append(b, '.')
	b = append(b, timestamp...)
	b = append(b, '.')
	b = append(b, body...)
	return b
}

// Sign returns the Signature header value for a message.
func Sign(key *rsa.PrivateKey, keyVersion, method, path, clientID, timestamp string, body []byte) (string, error) {
	sum := sha256.Sum256(Content(method, path, clientID, timestamp, body))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", errors.New("alipaysign: signing failed")
	}
	if keyVersion == "" {
		keyVersion = "1"
	}
	return "algorithm=RSA256,keyVersion=" + keyVersion + ",signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// ParseHeader splits a Signature header into its algorithm, key version and
// (URL-decoded) base64 signature.
func ParseHeader(v string) (algorithm, keyVersion, signature string, err error) {
	for _, part := range strings.Split(v, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", "", "", ErrBadHeader
		}
		switch strings.TrimSpace(name) {
		case "algorithm":
			algorithm = value
		case "keyVersion":
			keyVersion = value
		case "signature":
			if signature, err = url.QueryUnescape(value); err != nil {
				return "", "", "", ErrBadHeader
			}
		}
	}
	if algorithm != "RSA256" || signature == "" {
		return "", "", "", ErrBadHeader
	}
	return algorithm, keyVersion, signature, nil
}

// Verify checks a Signature header value over a message.
func Verify(key *rsa.PublicKey, header, method, path, clientID, timestamp string, body []byte) error {
	_, _, sig, err := ParseHeader(header)
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return ErrBadSignature
	}
	sum := sha256.Sum256(Content(method, path, clientID, timestamp, body))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], raw) != nil {
		return ErrBadSignature
	}
	return nil
}

// VerifyMessage checks a signed HTTP message (an answer with Response-Time,
// or a request or notification with Request-Time, as timeHeader says)
// against the expected Client-Id; path is the request path the signature
// covers. It returns the signed time.
func VerifyMessage(key *rsa.PublicKey, h http.Header, timeHeader, method, path, wantClientID string, body []byte) (string, error) {
	clientID, ts, sig := h.Get(HeaderClientID), h.Get(timeHeader), h.Get(HeaderSignature)
	if clientID == "" || ts == "" || sig == "" {
		return "", ErrMissingHeader
	}
	if wantClientID != "" && clientID != wantClientID {
		return "", ErrWrongClient
	}
	if err := Verify(key, sig, method, path, clientID, ts, body); err != nil {
		return "", err
	}
	return ts, nil
}

// SignMessage sets Client-Id, the time header, Key-Version and Signature on h.
func SignMessage(key *rsa.PrivateKey, h http.Header, timeHeader, method, path, clientID, timestamp string, body []byte) error {
	sig, err := Sign(key, "1", method, path, clientID, timestamp, body)
	if err != nil {
		return err
	}
	h.Set(HeaderClientID, clientID)
	h.Set(timeHeader, timestamp)
	h.Set(HeaderKeyVersion, "1")
	h.Set(HeaderSignature, sig)
	return nil
}

// keys reads this package's keys.
var keys = rsakey.Reader{Name: "alipaysign", PKCS1: false}

// ParsePrivateKey reads an RSA private key in PKCS#8, PEM-armoured or bare
// base64 DER.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) { return keys.Private(s) }

// ParsePublicKey reads an RSA public key in X.509 SubjectPublicKeyInfo form,
// PEM-armoured or bare base64 DER.
func ParsePublicKey(s string) (*rsa.PublicKey, error) { return keys.Public(s) }

// KeyPair is a generated key pair in bare base64 (the form Alipay portals
// hand out), for sandboxes and tests.
type KeyPair = rsakey.Pair

// NewKeyPair generates an RSA-2048 key pair.
func NewKeyPair() (KeyPair, error) { return rsakey.Generate(2048) }

// GenerateKeyPair generates a key pair of the given size (see rsakey.Generate).
func GenerateKeyPair(bits int) (KeyPair, error) { return rsakey.Generate(bits) }
