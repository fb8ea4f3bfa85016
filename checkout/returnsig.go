package checkout

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Signed returns: the shopper's way back to the merchant's success_url or
// cancel_url carries session_id, status, payment_status, timestamp (Unix
// seconds) and signature, so that the merchant's page can trust the outcome
// without an API call. The signed message is
//
//	timestamp + "." + session_id + "." + status + "." + payment_status
//
// and signature is "v1=" and the lowercase hex HMAC-SHA256 of it under the
// merchant's return secret (the secret's ASCII string is the key). While a
// rotated secret is still valid, signature carries both, newest first,
// separated by a comma: "v1=<new>,v1=<old>".

// ReturnSecretPrefix starts every return secret.
const ReturnSecretPrefix = "rsec_"

// Return signature rules: how old a return may be when the merchant's
// page checks it, and how far ahead of the page's clock.
const (
	ReturnMaxAge     = 10 * time.Minute
	ReturnMaxAheadBy = time.Minute
)

// Return secret rotation overlap: how long the replaced secret keeps
// signing next to the new one (the default of expire_previous_in, and its
// largest value).
const (
	DefaultReturnSecretOverlap = 24 * time.Hour
	MaxReturnSecretOverlap     = 7 * 24 * time.Hour
)

// The parameters a signed return adds to the merchant's URL.
const (
	ReturnParamSessionID     = "session_id"
	ReturnParamStatus        = "status"
	ReturnParamPaymentStatus = "payment_status"
	ReturnParamTimestamp     = "timestamp"
	ReturnParamSignature     = "signature"
)

// NewReturnSecret makes a return secret: rsec_ and the unpadded URL-safe
// base64 of 32 random bytes (43 characters).
func NewReturnSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return ReturnSecretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ValidReturnSecret reports whether s has the form NewReturnSecret makes.
func ValidReturnSecret(s string) bool {
	raw, ok := strings.CutPrefix(s, ReturnSecretPrefix)
	if !ok || len(raw) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	return err == nil && len(b) == 32
}

// ReturnMessage is the message a return signature signs.
func ReturnMessage(timestamp, sessionID, status, paymentStatus string) string {
	return timestamp + "." + sessionID + "." + status + "." + paymentStatus
}

// ReturnSignature is the signature parameter of message: "v1=<hex>" under
// each secret, in the order given (newest first), comma-separated.
func ReturnSignature(message string, secrets ...string) string {
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(message))
		sigs = append(sigs, "v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, ",")
}

// ReturnValues are the signed parameters of a return to the merchant at
// time at, under secrets (newest first).
func ReturnValues(sessionID, status, paymentStatus string, at time.Time, secrets ...string) url.Values {
	ts := strconv.FormatInt(at.Unix(), 10)
	return url.Values{
		ReturnParamSessionID:     {sessionID},
		ReturnParamStatus:        {status},
		ReturnParamPaymentStatus: {paymentStatus},
		ReturnParamTimestamp:     {ts},
		ReturnParamSignature:     {ReturnSignature(ReturnMessage(ts, sessionID, status, paymentStatus), secrets...)},
	}
}

// The refusals of VerifyReturn.
var (
	// ErrReturnMalformed: a parameter is missing, repeated or malformed.
	ErrReturnMalformed = errors.New("return: missing, repeated or malformed parameter")
	// ErrReturnSignature: no signature matches (a parameter was changed,
	// or the secret is not the merchant's).
	ErrReturnSignature = errors.New("return: signature does not match")
	// ErrReturnNoSecret: there is no secret to verify with.
	ErrReturnNoSecret = errors.New("return: no return secret to verify with")
	// ErrReturnStale: signed more than 10 minutes ago, or more than a
	// minute ahead of now.
	ErrReturnStale = errors.New("return: timestamp is more than 10 minutes old or ahead of the clock")
)

// VerifyReturn checks the query of a shopper's return to the merchant's
// page under the merchant's return secret at time now: every parameter
// given once, one of the signatures matching (compared in constant time),
// and a timestamp at most 10 minutes old and at most a minute ahead. It
// depends on the standard library only, so a merchant can copy it.
func VerifyReturn(secret string, query url.Values, now time.Time) error {
	get := func(name string) (string, error) {
		if v := query[name]; len(v) == 1 && v[0] != "" && len(v[0]) <= 512 {
			return v[0], nil
		}
		return "", fmt.Errorf("%w: %s", ErrReturnMalformed, name)
	}
	if secret == "" {
		return ErrReturnNoSecret
	}
	var p [5]string
	for i, name := range []string{"timestamp", "session_id", "status", "payment_status", "signature"} {
		v, err := get(name)
		if err != nil {
			return err
		}
		p[i] = v
	}
	ts, err := strconv.ParseInt(p[0], 10, 64)
	if err != nil || ts < 0 || strings.TrimLeft(p[0], "0123456789") != "" {
		return fmt.Errorf("%w: timestamp", ErrReturnMalformed)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(p[0] + "." + p[1] + "." + p[2] + "." + p[3]))
	want := []byte("v1=" + hex.EncodeToString(mac.Sum(nil)))
	matched := false
	for _, sig := range strings.SplitN(p[4], ",", 8) {
		if hmac.Equal([]byte(sig), want) {
			matched = true
		}
	}
	if !matched {
		return ErrReturnSignature
	}
	if age := now.Unix() - ts; age > int64(ReturnMaxAge/time.Second) || -age > int64(ReturnMaxAheadBy/time.Second) {
		return ErrReturnStale
	}
	return nil
}

// ReturnSecrets are the secrets that sign a return at now, newest first:
// the current one, and the previous one while it has not expired.
func (m *Merchant) ReturnSecrets(now time.Time) []string {
	var out []string
	if m.ReturnSecret != "" {
		out = append(out, m.ReturnSecret)
	}
	if m.PreviousReturnSecret != "" && now.Before(m.PreviousReturnSecretExpiresAt) {
		out = append(out, m.PreviousReturnSecret)
	}
	return out
}

// ReturnDestination is the merchant's URL a shopper leaving session s goes
// to: the success URL when the session's payment succeeded or was
// authorized, else the cancel URL (the success URL when there is none).
func (s *Session) ReturnDestination(paymentStatus string) string {
	if paymentStatus == "paid" || paymentStatus == "authorized" || s.CancelURL == "" {
		return s.SuccessURL
	}
	return s.CancelURL
}

// withReturnQuery adds the return parameters to the merchant's URL: the
// merchant's own parameters stay as they were written (a parameter of the
// same name as one of ours is dropped: ours win), ours follow.
func withReturnQuery(raw string, ours url.Values) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	var kept []string
	for _, pair := range strings.Split(u.RawQuery, "&") {
		if pair == "" {
			continue
		}
		name, _, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil && ours.Has(n) {
			continue
		}
		kept = append(kept, pair)
	}
	for _, name := range []string{ReturnParamSessionID, ReturnParamStatus, ReturnParamPaymentStatus, ReturnParamTimestamp, ReturnParamSignature} {
		kept = append(kept, url.QueryEscape(name)+"="+url.QueryEscape(ours.Get(name)))
	}
	u.RawQuery, u.ForceQuery = strings.Join(kept, "&"), false
	return u.String(), nil
}

// ReturnURL is where a shopper leaving session s (with its payments, oldest
// first) is sent, signed now: ReturnDestination with the session's id,
// status and payment status as the merchant API shows them, the time and
// the signature under the merchant's return secrets. Pages link to a
// redirect of ours that calls this when the shopper clicks, so that the
// timestamp is fresh whenever they leave.
func (s *Service) ReturnURL(ctx context.Context, sess *Session, pays []*Payment) (string, error) {
	m, err := s.Store.Merchant(ctx, sess.MerchantID)
	if err != nil {
		return "", Internal(fmt.Errorf("return of %s: merchant: %w", sess.ID, err))
	}
	if m, err = s.EnsureReturnSecret(ctx, m); err != nil {
		return "", err
	}
	now := s.now()
	paymentStatus := SessionPaymentStatus(pays)
	v := ReturnValues(sess.ID, string(sess.Status), paymentStatus, now, m.ReturnSecrets(now)...)
	u, err := withReturnQuery(sess.ReturnDestination(paymentStatus), v)
	if err != nil {
		return "", Internal(fmt.Errorf("return of %s: %w", sess.ID, err))
	}
	return u, nil
}

// EnsureReturnSecret gives m a return secret when it has none (a merchant
// made before return secrets existed): one guarded statement, so that of
// two callers at once the first one's secret is kept and both get it. It
// returns m as stored.
func (s *Service) EnsureReturnSecret(ctx context.Context, m *Merchant) (*Merchant, error) {
	if m.ReturnSecret != "" {
		return m, nil
	}
	got, err := s.Store.EnsureReturnSecret(ctx, m.ID, NewReturnSecret())
	if err != nil {
		return nil, Internal(fmt.Errorf("return secret of %s: %w", m.ID, err))
	}
	return got, nil
}

// EventReturnSecretRotated is the merchant's own event (no session) of a
// return secret rotation; it carries when the previous secret stops
// signing, never a secret.
const EventReturnSecretRotated EventType = "merchant.return_secret_rotated"

// RotateReturnSecret gives merchant m a new return secret. The current one
// becomes the previous secret and keeps signing next to it until
// expirePreviousIn seconds from now (nil: DefaultReturnSecretOverlap; 0: it
// stops now); a previous secret still valid is dropped, so that two sign at
// most. The store swaps them only while m's secret is still the current
// one: of two rotations at once one wins and the other is a conflict,
// never a secret replaced unseen.
func (s *Service) RotateReturnSecret(ctx context.Context, m *Merchant, expirePreviousIn *int64) (*Merchant, error) {
	overlap := DefaultReturnSecretOverlap
	if expirePreviousIn != nil {
		// Checked in seconds, before converting, so that no huge value
		// can overflow into an accepted one.
		if *expirePreviousIn < 0 || *expirePreviousIn > int64(MaxReturnSecretOverlap/time.Second) {
			return nil, InvalidParam("expire_previous_in", "expire_previous_in must be from 0 to %d seconds", int64(MaxReturnSecretOverlap/time.Second))
		}
		overlap = time.Duration(*expirePreviousIn) * time.Second
	}
	return s.rotateReturnSecret(ctx, m, NewReturnSecret(), overlap)
}

// ReplaceReturnSecret makes secret m's return secret at once (the one it
// had stops signing now): for a secret an operator configured, such as the
// sandbox demo merchant's CHECKOUT_DEMO_RETURN_SECRET.
func (s *Service) ReplaceReturnSecret(ctx context.Context, m *Merchant, secret string) (*Merchant, error) {
	if !ValidReturnSecret(secret) {
		return nil, InvalidParam("return_secret", "a return secret is rsec_ and 43 characters of URL-safe base64 (32 bytes)")
	}
	if m.ReturnSecret == secret {
		return m, nil
	}
	return s.rotateReturnSecret(ctx, m, secret, 0)
}

// rotateReturnSecret makes fresh m's return secret, the current one
// signing next to it for overlap, with the merchant's event.
func (s *Service) rotateReturnSecret(ctx context.Context, m *Merchant, fresh string, overlap time.Duration) (*Merchant, error) {
	now := s.now()
	until := now.Add(overlap)
	ev := Event{ID: s.IDs.NewID(PrefixEvent), MerchantID: m.ID, Type: EventReturnSecretRotated, CreatedAt: now,
		Data: map[string]any{"previous_expires_at": until.Unix()}}
	got, err := s.Store.RotateReturnSecret(ctx, m.ID, m.ReturnSecret, fresh, until, ev)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, Errorf(EConflict, "The return secret was rotated by another request at the same time; its answer holds the new secret.")
	case errors.Is(err, ErrNotFound):
		return nil, Errorf(ENotFound, "No such merchant.")
	case err != nil:
		return nil, Internal(err)
	}
	return got, nil
}
