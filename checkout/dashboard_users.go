package checkout

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PrefixDashboardUser is the prefix of dashboard user ids.
const PrefixDashboardUser = "usr_"

// DashboardRole is what a dashboard user may do.
type DashboardRole string

// Dashboard roles: an admin does everything; support reads, and refunds up
// to a payment's amount, but touches no key and no setting.
const (
	RoleAdmin   DashboardRole = "admin"
	RoleSupport DashboardRole = "support"
)

// Valid reports whether r is a known role.
func (r DashboardRole) Valid() bool { return r == RoleAdmin || r == RoleSupport }

// Merchant events of the dashboard's users (the settings history).
const (
	EventDashboardUserCreated         EventType = "dashboard_user.created"
	EventDashboardUserRemoved         EventType = "dashboard_user.removed"
	EventDashboardUserPasswordChanged EventType = "dashboard_user.password_changed"
)

// DashboardUser is a person who signs in to a merchant's dashboard.
type DashboardUser struct {
	ID         string
	MerchantID string
	// Email is the sign-in name, stored lower-cased; unique across all
	// merchants, so that an email alone finds its user.
	Email string
	Role  DashboardRole
	// PasswordHash is an argon2id hash in the PHC string format
	// ($argon2id$v=19$m=…,t=…,p=…$salt$hash); the password itself is
	// never stored.
	PasswordHash string
	// SessionEpoch moves on with every password change; a dashboard
	// session made under an older epoch is over (sign out everywhere).
	SessionEpoch int64
	// TOTPSecret is the user's two-step sign-in secret, sealed with the
	// server's TOTP key (SealTOTP, TOTPData); "" when it is off.
	TOTPSecret string
	// TOTPLastStep is the latest 30-second step whose code signed the
	// user in (or turned it on): that code and earlier ones are used.
	TOTPLastStep int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Dashboard user limits.
const (
	// MinPasswordLength is the shortest password a user may choose
	// (NIST SP 800-63B: at least 8; we ask for 12). Generated ones are
	// longer.
	MinPasswordLength = 12
	// MaxPasswordLength bounds what is hashed (argon2 takes any length;
	// the bound keeps a request's work bounded).
	MaxPasswordLength = 256
)

// Argon2id parameters: OWASP's first recommended set (19 MiB, 2 passes, 1
// lane). They are stored in each hash, so raising them later still
// verifies older hashes.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// HashPassword hashes password with argon2id under a fresh random salt and
// returns it in the PHC string format.
func HashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches hash (a HashPassword
// string), in time independent of where they differ. A malformed hash, or
// one whose parameters are outside sane bounds, matches nothing.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || len(password) > MaxPasswordLength {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory < 8*1024 || memory > 256*1024 || passes < 1 || passes > 10 || threads < 1 || threads > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random password of 128 bits (26 characters
// of lowercase base32), for users created without one.
func GeneratePassword() string { return RandomToken(16) }

// NormalizeEmail checks a sign-in email (the support email's rules:
// ParseSupportEmail) and returns it trimmed and lower-cased; an invalid
// one is an EInvalid error naming the field "email".
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", paramError(EInvalid, "email", "Enter an email address.")
	}
	if _, err := ParseSupportEmail(e); err != nil {
		return "", paramError(EInvalid, "email", "Enter an email address such as name@example.com.")
	}
	return e, nil
}

// CheckNewPassword refuses a password a user may not choose.
func CheckNewPassword(password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return paramError(EInvalid, "password", "The password is not valid text.")
	case n < MinPasswordLength:
		return paramError(EInvalid, "password", "Choose a password of at least %d characters.", MinPasswordLength)
	case len(password) > MaxPasswordLength:
		return paramError(EInvalid, "password", "Choose a password of at most %d bytes.", MaxPasswordLength)
	}
	return nil
}

// NewDashboardUser is what CreateDashboardUser needs.
type NewDashboardUser struct {
	MerchantID string
	Email      string
	Role       DashboardRole
	// Password is the user's chosen password; "" generates one, which
	// CreateDashboardUser returns (it is shown once and never stored).
	Password string
	// Actor says who created the user, for the settings history
	// ("operator" for the command line).
	Actor string
}

// CreateDashboardUser adds a dashboard user to a merchant. It returns the
// user and, when none was given, the generated password (shown once).
func (s *Service) CreateDashboardUser(ctx context.Context, in NewDashboardUser) (*DashboardUser, string, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, "", err
	}
	role := in.Role
	if role == "" {
		role = RoleAdmin
	}
	if !role.Valid() {
		return nil, "", paramError(EInvalid, "role", "The role must be admin or support.")
	}
	password, generated := in.Password, ""
	if password == "" {
		password = GeneratePassword()
		generated = password
	} else if err := CheckNewPassword(password); err != nil {
		return nil, "", err
	}
	if _, err := s.Store.Merchant(ctx, in.MerchantID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, "", paramError(ENotFound, "merchant", "No such merchant.")
		}
		return nil, "", err
	}
	now := s.Now()
	u := &DashboardUser{ID: s.IDs.NewID(PrefixDashboardUser), MerchantID: in.MerchantID, Email: email, Role: role,
		PasswordHash: HashPassword(password), SessionEpoch: 1, CreatedAt: now, UpdatedAt: now}
	ev := s.userEvent(u, EventDashboardUserCreated, in.Actor, now)
	if err := s.Store.CreateDashboardUser(ctx, u, ev); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return nil, "", paramError(EConflict, "email", "A dashboard user with this email exists already.")
		}
		return nil, "", err
	}
	return u, generated, nil
}

// RemoveDashboardUser deletes a user of merchantID ("" for any merchant,
// the operator's command line); their sessions end with them.
func (s *Service) RemoveDashboardUser(ctx context.Context, merchantID, email, actor string) (*DashboardUser, error) {
	u, err := s.dashboardUser(ctx, merchantID, email)
	if err != nil {
		return nil, err
	}
	if err := s.Store.DeleteDashboardUser(ctx, u.ID, s.userEvent(u, EventDashboardUserRemoved, actor, s.Now())); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, paramError(ENotFound, "email", "No dashboard user with this email.")
		}
		return nil, err
	}
	return u, nil
}

// ChangeDashboardPassword sets a user's password ("" generates one, which
// it returns) and ends every session the user had (deleted in the same
// transaction as the compare-and-set on the user's epoch).
func (s *Service) ChangeDashboardPassword(ctx context.Context, merchantID, email, password, actor string) (string, error) {
	generated := ""
	if password == "" {
		password = GeneratePassword()
		generated = password
	} else if err := CheckNewPassword(password); err != nil {
		return "", err
	}
	u, err := s.dashboardUser(ctx, merchantID, email)
	if err != nil {
		return "", err
	}
	now := s.Now()
	if err := s.Store.SetDashboardPassword(ctx, u.ID, u.SessionEpoch, HashPassword(password), now,
		s.userEvent(u, EventDashboardUserPasswordChanged, actor, now)); err != nil {
		if errors.Is(err, ErrConflict) {
			return "", Errorf(EConflict, "The user was changed at the same time; try again.")
		}
		return "", err
	}
	return generated, nil
}

// DashboardUsers lists the users of merchantID ("" for every merchant).
func (s *Service) DashboardUsers(ctx context.Context, merchantID string) ([]*DashboardUser, error) {
	return s.Store.DashboardUsers(ctx, merchantID)
}

func (s *Service) dashboardUser(ctx context.Context, merchantID, email string) (*DashboardUser, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.DashboardUserByEmail(ctx, e)
	if errors.Is(err, ErrNotFound) || err == nil && merchantID != "" && u.MerchantID != merchantID {
		return nil, paramError(ENotFound, "email", "No dashboard user with this email.")
	}
	return u, err
}

// userEvent is the merchant event of a change to user u, naming who made it.
func (s *Service) userEvent(u *DashboardUser, typ EventType, actor string, now time.Time) Event {
	if actor == "" {
		actor = "operator"
	}
	return Event{ID: s.IDs.NewID(PrefixEvent), MerchantID: u.MerchantID, Type: typ, CreatedAt: now,
		Data: map[string]any{"user_id": u.ID, "email": u.Email, "role": string(u.Role), "actor": actor}}
}

// dummyHash is verified against when no user has the email given, so that
// a sign-in takes as long whether or not the account exists.
var dummyHash = sync.OnceValue(func() string { return HashPassword(RandomToken(16)) })

// SignIn finds the user with email and checks password. A wrong password
// and an unknown email give the same error after the same work (one
// argon2id hash). The caller limits attempts (per account and address)
// before calling it.
func (s *Service) SignIn(ctx context.Context, email, password string) (*DashboardUser, error) {
	wrong := Errorf(EUnauthorized, "The email or the password is not right.")
	e, err := NormalizeEmail(email)
	if err != nil || password == "" || len(password) > MaxPasswordLength {
		VerifyPassword(dummyHash(), password)
		return nil, wrong
	}
	u, err := s.Store.DashboardUserByEmail(ctx, e)
	if errors.Is(err, ErrNotFound) {
		VerifyPassword(dummyHash(), password)
		return nil, wrong
	}
	if err != nil {
		return nil, err
	}
	if !VerifyPassword(u.PasswordHash, password) {
		return nil, wrong
	}
	return u, nil
}

// DashboardUser loads a user by id (for the dashboard's session).
func (s *Service) DashboardUser(ctx context.Context, id string) (*DashboardUser, error) {
	return s.Store.DashboardUser(ctx, id)
}

// paramError is an error of code about the request field param.
func paramError(code ErrorCode, param, format string, args ...any) *Error {
	return &Error{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// DashboardIdle is how long a dashboard session lasts without a request.
const DashboardIdle = 12 * time.Hour

// DashboardSession is one signed-in browser of a dashboard user. Its cookie
// holds a random token; the store keeps only the token's SHA-256 (ID).
type DashboardSession struct {
	ID        string
	UserID    string
	CreatedAt time.Time
	SeenAt    time.Time
}

// dashboardSessionID is the stored id of a session token.
func dashboardSessionID(token string) string {
	sum := sha256.Sum256([]byte("dashboard-session\x00" + token))
	return hex.EncodeToString(sum[:])
}

// StartDashboardSession signs u in: a new session with a new random token
// (returned for the cookie; never stored).
func (s *Service) StartDashboardSession(ctx context.Context, u *DashboardUser) (string, error) {
	token := RandomToken(32)
	now := s.Now()
	if err := s.Store.CreateDashboardSession(ctx, &DashboardSession{ID: dashboardSessionID(token), UserID: u.ID,
		CreatedAt: now, SeenAt: now}); err != nil {
		return "", err
	}
	return token, nil
}

// DashboardSessionUser finds the user of a session token: ENotFound
// (ErrNotFound) when there is no such session, it has been idle for
// DashboardIdle, or its user is gone. A session last seen a minute ago or
// more is seen again now (the idle expiry slides).
func (s *Service) DashboardSessionUser(ctx context.Context, token string) (*DashboardUser, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrNotFound
	}
	now := s.Now()
	id := dashboardSessionID(token)
	sess, err := s.Store.DashboardSession(ctx, id, now.Add(-DashboardIdle))
	if err != nil {
		return nil, err
	}
	u, err := s.Store.DashboardUser(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if now.Sub(sess.SeenAt) >= time.Minute {
		if err := s.Store.TouchDashboardSession(ctx, id, now); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// EndDashboardSession signs a session out: its token signs nobody in again.
func (s *Service) EndDashboardSession(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	return s.Store.DeleteDashboardSession(ctx, dashboardSessionID(token))
}

// PruneDashboardSessions deletes the sessions idle past DashboardIdle.
func (s *Service) PruneDashboardSessions(ctx context.Context) (int64, error) {
	return s.Store.PruneDashboardSessions(ctx, s.Now().Add(-DashboardIdle))
}
