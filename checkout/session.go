package checkout

import (
	"time"
)

// SessionStatus is the lifecycle of a checkout session.
type SessionStatus string

// Session statuses: open -> complete | expired | canceled.
const (
	SessionOpen     SessionStatus = "open"
	SessionComplete SessionStatus = "complete"
	SessionExpired  SessionStatus = "expired"
	SessionCanceled SessionStatus = "canceled"
)

// PaymentMethod is a kind of payment a session may accept.
type PaymentMethod string

// The payment methods.
const (
	MethodCard      PaymentMethod = "card"
	MethodWallet    PaymentMethod = "wallet"
	MethodSavedCard PaymentMethod = "saved_card"
)

// CaptureMode says whether an approved payment is captured at once.
type CaptureMode string

// Capture modes.
const (
	CaptureAutomatic CaptureMode = "automatic"
	CaptureManual    CaptureMode = "manual"
)

// ThreeDSPreference is the merchant's wish for a 3-D Secure challenge.
type ThreeDSPreference string

// 3DS preferences.
const (
	ThreeDSAutomatic            ThreeDSPreference = "automatic"
	ThreeDSChallengeRequested   ThreeDSPreference = "challenge_requested"
	ThreeDSNoChallengeRequested ThreeDSPreference = "no_challenge_requested"
)

// LineItem is one line of the order summary.
type LineItem struct {
	Name       string `json:"name"`
	Quantity   int64  `json:"quantity"`
	UnitAmount int64  `json:"unit_amount"`
}

// Total is quantity times unit amount.
func (li LineItem) Total() int64 { return li.Quantity * li.UnitAmount }

// Customer is what the merchant tells us about the shopper.
type Customer struct {
	Email     string `json:"email,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// Session is one checkout: what is bought, by whom, and where to go after.
type Session struct {
	ID                string
	MerchantID        string
	Livemode          bool // made with a live key: real providers; a test key's only ever reach the sandboxes
	Status            SessionStatus
	Amount            Money
	MerchantReference string
	LineItems         []LineItem
	Customer          Customer
	Locale            string
	SuccessURL        string
	CancelURL         string
	PaymentMethods    []PaymentMethod
	Provider          string                   // the provider of the first payment method
	Routes            map[PaymentMethod]string // the provider of each payment method
	CaptureMode       CaptureMode
	ThreeDS           ThreeDSPreference
	SetupRecurring    bool // a saved card paying this session may be charged again (merchant-initiated)
	Metadata          map[string]string
	ExpiresAt         time.Time
	// IdempotencyKey is the merchant's Idempotency-Key of the request that
	// created it (a retry finds this session instead of making another).
	IdempotencyKey string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// ViewedAt is when the checkout page was first shown (zero: never),
	// the first page.viewed of its timeline.
	ViewedAt time.Time
}

// Allows reports whether the session accepts the payment method.
func (s *Session) Allows(m PaymentMethod) bool {
	for _, x := range s.PaymentMethods {
		if x == m {
			return true
		}
	}
	return false
}

// ProviderFor is the provider that serves method m in this session.
func (s *Session) ProviderFor(m PaymentMethod) string {
	if p, ok := s.Routes[m]; ok {
		return p
	}
	return s.Provider
}

// ExpiredAt reports whether an open session has passed its expiry time.
func (s *Session) ExpiredAt(now time.Time) bool {
	return s.Status == SessionOpen && !now.Before(s.ExpiresAt)
}
