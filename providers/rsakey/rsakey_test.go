package rsakey

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

// Keys read as PEM or bare base64 (line breaks allowed); PKCS#1 only when
// asked for; errors never quote the key.
func TestParse(t *testing.T) {
	p, err := Generate(1024)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivate(p.Private, false)
	if err != nil {
		t.Fatal(err)
	}
	pemPriv := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustB64(t, p.Private)}))
	pkcs1 := x509.MarshalPKCS1PrivateKey(priv)
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1}))
	for name, tt := range map[string]struct {
		key   string
		pkcs1 bool
		ok    bool
	}{
		"base64":                  {p.Private, false, true},
		"base64 with line breaks": {p.Private[:40] + "\n " + p.Private[40:], false, true},
		"PEM":                     {pemPriv, false, true},
		"PKCS#1 PEM, allowed":     {pkcs1PEM, true, true},
		"PKCS#1 PEM, refused":     {pkcs1PEM, false, false},
		"PKCS#1 base64, allowed":  {base64.StdEncoding.EncodeToString(pkcs1), true, true},
		"PKCS#1 base64, refused":  {base64.StdEncoding.EncodeToString(pkcs1), false, false},
		"a public key":            {p.Public, true, false},
		"empty":                   {" ", false, false},
		"not base64":              {"not a key!", false, false},
	} {
		k, err := ParsePrivate(tt.key, tt.pkcs1)
		if (err == nil) != tt.ok || (tt.ok && !k.Equal(priv)) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && len(tt.key) > 20 && strings.Contains(err.Error(), strings.TrimSpace(tt.key)[:20]) {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
	}
	pub, err := ParsePublic(p.Public, false)
	if err != nil || !pub.Equal(&priv.PublicKey) {
		t.Fatalf("public: %v", err)
	}
	pkcs1Pub := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(pub))
	if _, err := ParsePublic(pkcs1Pub, false); err == nil {
		t.Error("a PKCS#1 public key read without asking")
	}
	if k, err := ParsePublic(pkcs1Pub, true); err != nil || !k.Equal(pub) {
		t.Errorf("PKCS#1 public key: %v", err)
	}
}

func mustB64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
