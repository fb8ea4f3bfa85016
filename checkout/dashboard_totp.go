package checkout

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Merchant events of a dashboard user's two-step sign-in (the users'
// history).
const (
	EventDashboardUserTOTPEnabled  EventType = "dashboard_user.totp_enabled"
	EventDashboardUserTOTPDisabled EventType = "dashboard_user.totp_disabled"
)

// Two-step sign-in (TOTP, RFC 6238) with what every authenticator app
// reads: a 20-byte secret, HMAC-SHA1, 6 digits, a 30-second step. A code
// of the step before or after the server's is accepted too (a phone's
// clock a little off, a code typed as it changed).
const (
	TOTPIssuer     = "OpenCheckout"
	TOTPPeriod     = 30 * time.Second
	totpSecretSize = 20
	totpSkew       = 1
)

var totpOptions = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Skew: totpSkew, Digits: otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1}

// TOTPEnabled reports whether u signs in with a code after the password.
func (u *DashboardUser) TOTPEnabled() bool { return u.TOTPSecret != "" }

// TOTPEnrolment is a second factor being set up: shown to the user as a QR
// code of URI and as Secret to type, and carried by the confirming form
// as Sealed (never in plain).
type TOTPEnrolment struct {
	Secret string // base32, as authenticator apps take it
	URI    string // otpauth://totp/OpenCheckout:email?secret=…
	Sealed string // Secret sealed for this user's enrolment (SealTOTP, PendingTOTPData)
}

// SealTOTP encrypts plain under key (AES-256-GCM, a random nonce) bound to
// data: it opens (OpenTOTP) only with the same key and the same data. The
// result is base64url text (nonce then ciphertext).
func SealTOTP(key []byte, data, plain string) (string, error) {
	aead, err := totpAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), []byte(data))), nil
}

// OpenTOTP decrypts what SealTOTP sealed under key and data; anything
// else (another key, other data, altered text) is an error.
func OpenTOTP(key []byte, data, sealed string) (string, error) {
	aead, err := totpAEAD(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", errors.New("checkout: sealed TOTP secret: malformed")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(data))
	if err != nil {
		return "", errors.New("checkout: sealed TOTP secret: does not open")
	}
	return string(plain), nil
}

func totpAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("checkout: the TOTP key must be 32 bytes (AES-256)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// TOTPData is the additional data a user's stored secret is sealed with:
// a sealed secret copied to another user's row does not open.
func TOTPData(userID string) string { return userID }

// PendingTOTPData is the additional data of a secret being set up: it
// opens for its user only, and never as a stored secret (nor a stored one
// as a pending one).
func PendingTOTPData(userID string) string { return userID + "\x00pending" }

// totpStep is the number of the 30-second step t is in.
func totpStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// matchTOTP finds the step (the server's, or one either side) whose code
// is code, the latest first; false when none.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != int(totpOptions.Digits) || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	step := totpStep(now)
	for off := int64(totpSkew); off >= -totpSkew; off-- {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((step+off)*int64(TOTPPeriod/time.Second), 0), totpOptions)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + off, true
		}
	}
	return 0, false
}

// errWrongCode is the one answer to a code that is wrong, malformed or
// used already.
func errWrongCode() error { return Errorf(EUnauthorized, "The code is not right.") }

// StartTOTP makes a new secret for u to set up (nothing is stored until
// EnableTOTP confirms it with a code).
func (s *Service) StartTOTP(u *DashboardUser) (*TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, Period: totpOptions.Period,
		SecretSize: totpSecretSize, Digits: totpOptions.Digits, Algorithm: totpOptions.Algorithm})
	if err != nil {
		return nil, Internal(err)
	}
	sealed, err := SealTOTP(s.TOTPKey, PendingTOTPData(u.ID), key.Secret())
	if err != nil {
		return nil, Internal(err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: key.URL(), Sealed: sealed}, nil
}

// PendingTOTP opens the enrolment a form carried back (sealed by StartTOTP
// for u): EInvalid when it is not one of u's.
func (s *Service) PendingTOTP(u *DashboardUser, sealed string) (*TOTPEnrolment, error) {
	secret, err := OpenTOTP(s.TOTPKey, PendingTOTPData(u.ID), sealed)
	if err != nil {
		return nil, Errorf(EInvalid, "This setup has expired; start again.")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, Period: totpOptions.Period,
		Secret: totpSecretBytes(secret), Digits: totpOptions.Digits, Algorithm: totpOptions.Algorithm})
	if err != nil || key.Secret() != secret {
		return nil, Errorf(EInvalid, "This setup has expired; start again.")
	}
	return &TOTPEnrolment{Secret: secret, URI: key.URL(), Sealed: sealed}, nil
}

// totpSecretBytes decodes an unpadded base32 secret (nil when it is not
// one, which makes Generate draw another: refused by the caller).
func totpSecretBytes(secret string) []byte {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(b) == 0 {
		return nil
	}
	return b
}

// EnableTOTP turns on u's two-step sign-in with the enrolment sealed (from
// StartTOTP) once code shows the app has its secret. The secret is stored
// sealed, with the code's step as used (it signs nobody in again); the
// change and its history event are one transaction, guarded by the user
// having none yet (ErrConflict as EConflict otherwise). actor is who did it.
func (s *Service) EnableTOTP(ctx context.Context, u *DashboardUser, sealed, code, actor string) error {
	e, err := s.PendingTOTP(u, sealed)
	if err != nil {
		return err
	}
	now := s.now()
	step, ok := matchTOTP(e.Secret, code, now)
	if !ok {
		return errWrongCode()
	}
	stored, err := SealTOTP(s.TOTPKey, TOTPData(u.ID), e.Secret)
	if err != nil {
		return Internal(err)
	}
	err = s.Store.EnableDashboardTOTP(ctx, u.ID, stored, step, now, s.userEvent(u, EventDashboardUserTOTPEnabled, actor, now))
	switch {
	case errors.Is(err, ErrConflict):
		return Errorf(EConflict, "Two-step sign-in is on already.")
	case errors.Is(err, ErrNotFound):
		return Errorf(ENotFound, "No such dashboard user.")
	}
	return err
}

// CheckTOTP accepts code as u's second step once: it must be the code of
// the server's step or one either side, of a step later than the last one
// u used (the store's statement sets the step used only if it is later,
// so of two uses of one code, at once or not, one wins). A wrong code, a
// used one and a user without two-step sign-in get one error
// (EUnauthorized).
func (s *Service) CheckTOTP(ctx context.Context, u *DashboardUser, code string) error {
	if !u.TOTPEnabled() {
		return errWrongCode()
	}
	secret, err := OpenTOTP(s.TOTPKey, TOTPData(u.ID), u.TOTPSecret)
	if err != nil {
		return Internal(err)
	}
	step, ok := matchTOTP(secret, code, s.now())
	if !ok {
		return errWrongCode()
	}
	err = s.Store.UseDashboardTOTPStep(ctx, u.ID, u.TOTPSecret, step)
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		if s.Log != nil {
			s.Log.WarnContext(ctx, "dashboard TOTP code refused: used already", "user_id", u.ID)
		}
		return errWrongCode()
	}
	return err
}

// DisableTOTP turns off the two-step sign-in of the user with email, of
// merchantID ("" for any merchant: the operator's command line), with
// its history event in the same transaction; EConflict when it is off.
// The caller checks who may (the account page asks for the password and
// a code first).
func (s *Service) DisableTOTP(ctx context.Context, merchantID, email, actor string) (*DashboardUser, error) {
	u, err := s.dashboardUser(ctx, merchantID, email)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.Store.DisableDashboardTOTP(ctx, u.ID, now, s.userEvent(u, EventDashboardUserTOTPDisabled, actor, now))
	switch {
	case errors.Is(err, ErrConflict):
		return nil, paramError(EConflict, "email", "This user's two-step sign-in is off already.")
	case errors.Is(err, ErrNotFound):
		return nil, paramError(ENotFound, "email", "No dashboard user with this email.")
	case err != nil:
		return nil, err
	}
	return u, nil
}

// GroupTOTPSecret writes a secret in groups of four for typing.
func GroupTOTPSecret(secret string) string {
	var groups []string
	for len(secret) > 4 {
		groups = append(groups, secret[:4])
		secret = secret[4:]
	}
	return strings.Join(append(groups, secret), " ")
}
