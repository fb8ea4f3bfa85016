// Package rsakey reads and makes the RSA keys the signing providers use
// (payOrder, BBMSL, the Alipay family): PEM-armoured or bare base64 DER, the
// two forms merchant portals hand out. Error messages never quote a key.
package rsakey

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivate reads an RSA private key in PKCS#8, or also PKCS#1 when
// pkcs1 is set (what some providers' SDKs generate).
func ParsePrivate(s string, pkcs1 bool) (*rsa.PrivateKey, error) {
	der, err := keyDER(s, "PRIVATE KEY", pkcs1)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("the private key is not an RSA key")
		}
		return rk, nil
	}
	if pkcs1 {
		if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return k, nil
		}
		return nil, errors.New("the private key is neither PKCS#8 nor PKCS#1")
	}
	return nil, errors.New("the private key is not PKCS#8")
}

// ParsePublic reads an RSA public key in X.509 SubjectPublicKeyInfo form,
// or also PKCS#1 when pkcs1 is set.
func ParsePublic(s string, pkcs1 bool) (*rsa.PublicKey, error) {
	der, err := keyDER(s, "PUBLIC KEY", pkcs1)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("the public key is not an RSA key")
		}
		return rk, nil
	}
	if pkcs1 {
		if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("the public key is not X.509 SubjectPublicKeyInfo")
}

// Pair is a generated key pair in bare base64 DER (PKCS#8 private,
// SubjectPublicKeyInfo public), for sandboxes and tests.
type Pair struct {
	Private string
	Public  string
}

// Generate makes a key pair of the given size. Fuzz tests use 1024 bits,
// the smallest Go accepts, because instrumented workers would spend most
// of a short run making and using 2048-bit keys.
func Generate(bits int) (Pair, error) {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return Pair{}, err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return Pair{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Private: base64.StdEncoding.EncodeToString(priv), Public: base64.StdEncoding.EncodeToString(pub)}, nil
}

// keyDER returns the DER bytes of a PEM block of type pemType ("RSA "
// pemType too with pkcs1) or of bare base64 text (line breaks and spaces
// allowed).
func keyDER(s, pemType string, pkcs1 bool) ([]byte, error) {
	what := strings.ToLower(pemType)
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the " + what + " is empty")
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil || (b.Type != pemType && !(pkcs1 && b.Type == "RSA "+pemType)) {
			return nil, errors.New("expected a PEM block of type " + pemType)
		}
		return b.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("the " + what + " is neither PEM nor base64")
	}
	return der, nil
}

// Reader reads one provider's keys, its errors prefixed with the
// provider's name, so that the adapters need no parsing wrappers of their own.
type Reader struct {
	Name  string // the error prefix, e.g. "payorder"
	PKCS1 bool   // accept PKCS#1 as well
}

// Private is ParsePrivate with r's options.
func (r Reader) Private(s string) (*rsa.PrivateKey, error) {
	k, err := ParsePrivate(s, r.PKCS1)
	return k, r.wrap(err)
}

// Public is ParsePublic with r's options.
func (r Reader) Public(s string) (*rsa.PublicKey, error) {
	k, err := ParsePublic(s, r.PKCS1)
	return k, r.wrap(err)
}

func (r Reader) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", r.Name, err)
}
