package checkout

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// Links builds the public URLs the Service hands to providers and merchants.
type Links interface {
	SessionURL(sessionID string) string
	ReturnURL(sessionID, paymentID string) string
	NotifyURL(provider string) string
	Origin() string
}

// Service orchestrates checkout sessions and payments over a Store and the
// configured Providers. Handlers call it; it never renders anything.
type Service struct {
	Store     Store
	Providers map[string]Provider
	// TestProviders, on a server in live mode, are the sandboxes that
	// test-mode sessions (made with a test key) use, so that a test key
	// never reaches a real provider; nil on a sandbox server, where
	// Providers are the sandboxes and every merchant is a test one.
	TestProviders map[string]Provider
	// ProviderOrder is the order in which sessions that name no provider
	// try the configured providers after the merchant's default (the
	// server's registry list); by name when empty.
	ProviderOrder []string
	Links         Links
	Now           func() time.Time
	IDs           IDSource
	Log           *slog.Logger
	// Observer hears provider calls, payment statuses and 3-D Secure
	// flows, for metrics; nil hears nothing.
	Observer    Observer
	MaxAttempts int // payment attempts per session; 5 when zero
	// Sandbox is a server in sandbox mode: test merchants may then send
	// shoppers back to http://localhost.
	Sandbox bool
	// Limits slow card testing (per IP and per card) on live-mode
	// payments; nil is no limits.
	Limits *AttemptLimits
	// TestLimits hold test-mode payments (test keys, every payment of a
	// sandbox server), where no real card can be tested, to an abuse
	// ceiling far above any QA suite's needs instead; nil is none.
	TestLimits *AttemptLimits
	// ProcessingTimeout is how long a provider call may run before the
	// reconciler treats its payment as unknown (the process may have died
	// mid-call); ProcessingCheckAfter when zero. Keep it above the
	// provider timeout.
	ProcessingTimeout time.Duration
	// CrashPoint, when set, is called at each step of a payment and of a
	// refund where a crash leaves something half done (the crash test
	// kills the process there); nil in production.
	CrashPoint func(step string)
	// PageLocale is the locale a session's pages render in for the
	// session's own locale ("auto" stays "auto": each shopper's browser
	// decides), as the merchant sees it on the session; nil keeps the
	// session's locale as it was given.
	PageLocale func(sessionLocale string) string
	// RejectedReturns counts the refused browser returns put on each
	// payment's timeline, so that forged returns cannot grow the database
	// (MaxRejectedReturnEvents an hour); nil puts none there (they are
	// refused all the same).
	RejectedReturns Counter
	// LogoURL is the public URL of a merchant's logo, as merchant objects
	// show it; nil shows none.
	LogoURL func(*Logo) string
	// TOTPKey (32 bytes) seals dashboard users' two-step sign-in secrets
	// (AES-256-GCM), stored and while being set up.
	TOTPKey []byte
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// crashPoint marks a step a crash test may stop the process at.
func (s *Service) crashPoint(step string) {
	if s.CrashPoint != nil {
		s.CrashPoint(step)
	}
}

// processingCheckAfter is how long after a provider call started the
// reconciler treats its payment (or refund) as unknown.
func (s *Service) processingCheckAfter() time.Duration {
	if s.ProcessingTimeout > 0 {
		return s.ProcessingTimeout
	}
	return ProcessingCheckAfter
}

// MaxAttemptsPerSession is how many payment attempts a session allows.
func (s *Service) MaxAttemptsPerSession() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 5
}

func (s *Service) event(sessionID, paymentID string, t EventType, data map[string]any) Event {
	return Event{ID: s.IDs.NewID(PrefixEvent), SessionID: sessionID, PaymentID: paymentID, Type: t, Data: data, CreatedAt: s.now()}
}

// paymentEvent is an event of payment p, with its merchant (the store
// need not look it up).
func (s *Service) paymentEvent(p *Payment, t EventType, data map[string]any) Event {
	e := s.event(p.SessionID, p.ID, t, data)
	e.MerchantID = p.MerchantID
	return e
}

// Authenticate finds the merchant owning a secret key.
func (s *Service) Authenticate(ctx context.Context, key string) (*Merchant, error) {
	if !LooksLikeSecretKey(key) {
		return nil, Errorf(EUnauthorized, "Invalid API key.")
	}
	m, err := s.Store.MerchantByKeyHash(ctx, HashAPIKey(key), s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(EUnauthorized, "Invalid API key.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	// A key's prefix names its mode, which is its merchant's: a live key
	// only ever reaches real providers, so a sandbox server refuses it.
	if strings.HasPrefix(key, LiveKeyPrefix) != m.Live {
		return nil, Errorf(EUnauthorized, "Invalid API key.")
	}
	if m.Live && s.Sandbox {
		return nil, Errorf(EForbidden, "This server runs in sandbox mode and takes test keys (sk_test_...) only; use a live key with a server in live mode.")
	}
	return m, nil
}

// Merchant returns a merchant by id.
func (s *Service) Merchant(ctx context.Context, id string) (*Merchant, error) {
	return merchantOrError(s.Store.Merchant(ctx, id))
}

// PageMerchant returns a merchant by id for a shopper's page (its branding
// and embedding origins): as read at most a second ago
// (Store.MerchantSnapshot).
func (s *Service) PageMerchant(ctx context.Context, id string) (*Merchant, error) {
	return merchantOrError(s.Store.MerchantSnapshot(ctx, id))
}

func merchantOrError(m *Merchant, err error) (*Merchant, error) {
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such merchant.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return m, nil
}

// providers is the provider set of the sessions of one mode: on a live
// server, test sessions use TestProviders (the sandboxes) and live ones the
// real providers; a server with one set uses it for both.
func (s *Service) providers(live bool) map[string]Provider {
	if !live && s.TestProviders != nil {
		return s.TestProviders
	}
	return s.Providers
}

// providerOf is the provider of payment p, in p's mode.
func (s *Service) providerOf(p *Payment) Provider { return s.providers(p.Livemode)[p.Provider] }

// inMode reports whether an object of mode objLive belongs to the provider
// set of mode live (a notification to the sandboxes' route must never move
// a live payment, nor the real providers' route a test one).
func (s *Service) inMode(objLive, live bool) bool { return s.TestProviders == nil || objLive == live }
