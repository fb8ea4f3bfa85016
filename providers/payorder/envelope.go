package payorder

import (
	"crypto"
	"crypto/aes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/rsakey"
)

// AESKeySize is the length in bytes of the merchant's bizContent key (AES-128).
const AESKeySize = 16

// ParseAESKey decodes the merchant's base64 AES-128 key.
func ParseAESKey(b64 string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errors.New("payorder: the AES key is not base64")
	}
	if len(key) != AESKeySize {
		return nil, errors.New("payorder: the AES key must be 16 bytes (AES-128)")
	}
	return key, nil
}

// encryptECB pads plaintext with PKCS#7 (which Java calls PKCS5Padding for
// 16-byte blocks) and encrypts it with AES in ECB mode, the gateway's
// "AES/ECB/PKCS5Padding". The standard library has no ECB mode, so the
// blocks are encrypted one by one.
func encryptECB(key, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("payorder: invalid AES key")
	}
	n := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+n)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(n)
	}
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return buf, nil
}

// decryptECB reverses encryptECB. It refuses a ciphertext that is not a
// whole number of blocks or whose padding is not exactly PKCS#7, so that a
// corrupted or forged bizContent is never half-read.
func decryptECB(key, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("payorder: invalid AES key")
	}
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, errors.New("payorder: ciphertext is not a whole number of AES blocks")
	}
	buf := make([]byte, len(ciphertext))
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Decrypt(buf[i:i+aes.BlockSize], ciphertext[i:i+aes.BlockSize])
	}
	n := int(buf[len(buf)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errors.New("payorder: invalid padding")
	}
	for _, b := range buf[len(buf)-n:] {
		if int(b) != n {
			return nil, errors.New("payorder: invalid padding")
		}
	}
	return buf[:len(buf)-n], nil
}

// Seal turns plaintext JSON into a bizContent value: base64 of its AES-ECB encryption.
func Seal(key, plaintext []byte) (string, error) {
	ct, err := encryptECB(key, plaintext)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// Open decodes and decrypts a bizContent value back to its plaintext JSON.
func Open(key []byte, bizContent string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(bizContent)
	if err != nil {
		return nil, errors.New("payorder: bizContent is not base64")
	}
	return decryptECB(key, ct)
}

// Sign returns the base64 SHA256withRSA (PKCS#1 v1.5) signature of msg, the
// gateway's "sign" over the exact plaintext bizContent bytes.
func Sign(key *rsa.PrivateKey, msg []byte) (string, error) {
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", errors.New("payorder: signing failed")
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a base64 SHA256withRSA (PKCS#1 v1.5) signature of msg.
func Verify(key *rsa.PublicKey, msg []byte, sign string) error {
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil {
		return errors.New("payorder: signature is not base64")
	}
	sum := sha256.Sum256(msg)
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return errors.New("payorder: signature does not verify")
	}
	return nil
}

// keys reads this package's keys.
var keys = rsakey.Reader{Name: "payorder", PKCS1: false}

// ParsePrivateKey reads an RSA private key in PKCS#8, either PEM-armoured or
// as bare base64 DER (the two forms merchant portals hand out).
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) { return keys.Private(s) }

// ParsePublicKey reads an RSA public key in X.509 SubjectPublicKeyInfo form,
// either PEM-armoured or as bare base64 DER.
func ParsePublicKey(s string) (*rsa.PublicKey, error) { return keys.Public(s) }
