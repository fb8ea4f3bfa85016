package payorder

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
)

func TestECBKnownAnswers(t *testing.T) {
	key, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	// FIPS-197 appendix C.1: one block, no chaining.
	block, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	ct, err := encryptECB(key, append(block, block...))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("69c4e0d86a7b0430d8cdb78070b4c55a")
	if !bytes.Equal(ct[:16], want) || !bytes.Equal(ct[16:32], want) {
		t.Errorf("ECB blocks = %x, want %x twice (ECB has no chaining)", ct[:32], want)
	}
	if len(ct) != 48 {
		t.Errorf("a 32-byte plaintext gives %d bytes; PKCS#7 adds a whole block", len(ct))
	}
	// openssl enc -aes-128-ecb (PKCS#7 padding), the same as Java's AES/ECB/PKCS5Padding.
	got, err := Seal(key, []byte(`{"order_sn":"ABC123456789"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got != "k5wFOr28k3eYrpvpwx4wd0+I3EbIr8kozx2/cZ69X/w=" {
		t.Errorf("Seal = %s, want openssl's k5wFOr28...", got)
	}
}

func TestECBRoundTrip(t *testing.T) {
	key := []byte("0123456789abcdef")
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 100, 4096} {
		plain := bytes.Repeat([]byte{'x'}, n)
		ct, err := encryptECB(key, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != (n/aes.BlockSize+1)*aes.BlockSize {
			t.Errorf("%d bytes encrypt to %d", n, len(ct))
		}
		back, err := decryptECB(key, ct)
		if err != nil || !bytes.Equal(back, plain) {
			t.Errorf("%d bytes: round trip gave %q, %v", n, back, err)
		}
		sealed, _ := Seal(key, plain)
		opened, err := Open(key, sealed)
		if err != nil || !bytes.Equal(opened, plain) {
			t.Errorf("%d bytes: Seal/Open gave %q, %v", n, opened, err)
		}
	}
}

func TestDecryptRejects(t *testing.T) {
	key := []byte("0123456789abcdef")
	// encryptRaw encrypts blocks without padding, to forge bad padding.
	encryptRaw := func(plain []byte) []byte {
		b, _ := aes.NewCipher(key)
		out := make([]byte, len(plain))
		for i := 0; i < len(plain); i += 16 {
			b.Encrypt(out[i:i+16], plain[i:i+16])
		}
		return out
	}
	good, _ := encryptECB(key, []byte(`{"a":1}`))
	tests := []struct {
		name string
		ct   []byte
		key  []byte
	}{
		{"empty", nil, key},
		{"not whole blocks", good[:15], key},
		{"a block too few", good[:len(good)-1], key},
		{"padding byte 0", encryptRaw(append(bytes.Repeat([]byte{'a'}, 15), 0)), key},
		{"padding byte 17", encryptRaw(append(bytes.Repeat([]byte{'a'}, 15), 17)), key},
		{"inconsistent padding", encryptRaw(append(bytes.Repeat([]byte{'a'}, 13), 1, 2, 3)), key},
		{"wrong key", good, []byte("fedcba9876543210")},
		{"short key", good, []byte("short")},
	}
	for _, tt := range tests {
		if got, err := decryptECB(tt.key, tt.ct); err == nil {
			t.Errorf("%s: decrypted to %q, want an error", tt.name, got)
		}
	}
	if _, err := Open(key, "not base64!"); err == nil {
		t.Error("Open accepted text that is not base64")
	}
}

func TestParseAESKey(t *testing.T) {
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("15 bytes only..")), base64.StdEncoding.EncodeToString(make([]byte, 32))} {
		if _, err := ParseAESKey(s); err == nil {
			t.Errorf("ParseAESKey(%q) accepted a key that is not 16 bytes of base64", s)
		}
	}
	if k, err := ParseAESKey(" MDEyMzQ1Njc4OWFiY2RlZg== "); err != nil || string(k) != "0123456789abcdef" {
		t.Errorf("ParseAESKey = %q, %v", k, err)
	}
}

func TestSignVerify(t *testing.T) {
	k := keysOnce()
	msg := []byte(`{"order_sn":"ABC123456789"}`)
	sig, err := Sign(k.merchant, msg)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Sign(k.merchant, []byte(`{"order_sn":"ABC123456780"}`))
	raw, _ := base64.StdEncoding.DecodeString(sig)
	raw[10] ^= 1
	tests := []struct {
		name string
		msg  []byte
		sig  string
		ok   bool
	}{
		{"valid", msg, sig, true},
		{"message changed", []byte(`{"order_sn":"ABC123456789" }`), sig, false},
		{"signature of another message", msg, other, false},
		{"signature bit flipped", msg, base64.StdEncoding.EncodeToString(raw), false},
		{"not base64", msg, "***", false},
		{"empty", msg, "", false},
	}
	for _, tt := range tests {
		if err := Verify(&k.merchant.PublicKey, tt.msg, tt.sig); (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if Verify(&k.platform.PublicKey, msg, sig) == nil {
		t.Error("a merchant signature verified with the platform key")
	}
}

func TestParseKeys(t *testing.T) {
	k := keysOnce()
	for name, s := range map[string]string{"PEM": k.merchantPEM, "bare base64": k.merchantB64PK, "base64 over lines": wrap(k.merchantB64PK)} {
		got, err := ParsePrivateKey(s)
		if err != nil || !got.Equal(k.merchant) {
			t.Errorf("private key as %s: %v", name, err)
		}
	}
	for name, s := range map[string]string{"PEM": k.platformPubPEM, "bare base64": k.platformPubB64} {
		got, err := ParsePublicKey(s)
		if err != nil || !got.Equal(&k.platform.PublicKey) {
			t.Errorf("public key as %s: %v", name, err)
		}
	}

	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.merchant)}))
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	for name, s := range map[string]string{
		"empty":         "",
		"PKCS#1 PEM":    pkcs1,
		"EC key":        base64.StdEncoding.EncodeToString(ecDER),
		"public key":    k.platformPubPEM,
		"garbage":       "not a key",
		"truncated PEM": k.merchantPEM[:200],
		"truncated DER": k.merchantB64PK[:400],
	} {
		if _, err := ParsePrivateKey(s); err == nil {
			t.Errorf("ParsePrivateKey accepted %s", name)
		}
	}
	for name, s := range map[string]string{
		"empty":       "",
		"private key": k.merchantPEM,
		"EC key":      base64.StdEncoding.EncodeToString(ecPubDER),
		"garbage":     "not a key",
	} {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("ParsePublicKey accepted %s", name)
		}
	}
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return b.String() + s
}
