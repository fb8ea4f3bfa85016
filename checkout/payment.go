package checkout

import (
	"strings"
	"time"
)

// PaymentStatus is the state of one payment attempt.
type PaymentStatus string

// Payment statuses. created -> processing -> requires_action -> processing ->
// succeeded | authorized | failed | pending; pending resolves later; an
// authorized payment is captured or canceled; paid ones may be refunded.
const (
	PaymentCreated           PaymentStatus = "created"
	PaymentRequiresAction    PaymentStatus = "requires_action"
	PaymentProcessing        PaymentStatus = "processing"
	PaymentSucceeded         PaymentStatus = "succeeded"
	PaymentAuthorized        PaymentStatus = "authorized"
	PaymentFailed            PaymentStatus = "failed"
	PaymentPending           PaymentStatus = "pending"
	PaymentCanceled          PaymentStatus = "canceled"
	PaymentCaptured          PaymentStatus = "captured"
	PaymentRefunded          PaymentStatus = "refunded"
	PaymentPartiallyRefunded PaymentStatus = "partially_refunded"
)

// PaymentStatuses is the closed list, in lifecycle order.
var PaymentStatuses = []PaymentStatus{
	PaymentCreated, PaymentRequiresAction, PaymentProcessing, PaymentSucceeded, PaymentAuthorized,
	PaymentFailed, PaymentPending, PaymentCanceled, PaymentCaptured, PaymentRefunded, PaymentPartiallyRefunded,
}

var transitions = map[PaymentStatus][]PaymentStatus{
	PaymentCreated:           {PaymentProcessing, PaymentFailed, PaymentCanceled},
	PaymentProcessing:        {PaymentRequiresAction, PaymentSucceeded, PaymentAuthorized, PaymentFailed, PaymentPending},
	PaymentRequiresAction:    {PaymentProcessing, PaymentSucceeded, PaymentAuthorized, PaymentFailed, PaymentPending, PaymentCanceled},
	PaymentPending:           {PaymentSucceeded, PaymentAuthorized, PaymentFailed, PaymentCanceled},
	PaymentAuthorized:        {PaymentCaptured, PaymentCanceled, PaymentPending},
	PaymentSucceeded:         {PaymentRefunded, PaymentPartiallyRefunded},
	PaymentCaptured:          {PaymentRefunded, PaymentPartiallyRefunded},
	PaymentPartiallyRefunded: {PaymentRefunded, PaymentPartiallyRefunded},
	PaymentFailed:            nil,
	PaymentCanceled:          nil,
	PaymentRefunded:          nil,
}

// CanTransition reports whether a payment may move from one status to
// another. It is the only rule for status changes; nothing moves backwards
// out of a final state.
func CanTransition(from, to PaymentStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Active reports whether a payment in this status still counts against the
// session: only failed and canceled attempts make room for another.
func (s PaymentStatus) Active() bool {
	return s != PaymentFailed && s != PaymentCanceled
}

// Paid reports whether money was taken (or is reserved) for good.
func (s PaymentStatus) Paid() bool {
	switch s {
	case PaymentSucceeded, PaymentAuthorized, PaymentCaptured, PaymentRefunded, PaymentPartiallyRefunded:
		return true
	}
	return false
}

// InFlight reports whether the outcome is not known yet.
func (s PaymentStatus) InFlight() bool {
	switch s {
	case PaymentCreated, PaymentProcessing, PaymentRequiresAction, PaymentPending:
		return true
	}
	return false
}

// ThreeDSResult is what 3-D Secure said about the shopper.
type ThreeDSResult struct {
	Version                    string `json:"version,omitempty"`
	ECI                        string `json:"eci,omitempty"`
	TransactionID              string `json:"transaction_id,omitempty"`
	AuthenticationValuePresent bool   `json:"authentication_value_present"`
	Flow                       string `json:"flow,omitempty"`   // frictionless | challenge
	Status                     string `json:"status,omitempty"` // EMV transStatus: Y, N, U, A, R
}

// 3DS flows.
const (
	FlowFrictionless = "frictionless"
	FlowChallenge    = "challenge"
)

// LiabilityShift reports whether the ECI says the issuer carries fraud liability.
func (t ThreeDSResult) LiabilityShift() bool {
	switch t.ECI {
	case "05", "02", "06", "01":
		return true
	}
	return false
}

// Payment is one attempt to pay a session.
type Payment struct {
	ID             string
	SessionID      string
	MerchantID     string
	Livemode       bool // its session's mode
	Provider       string
	Method         PaymentMethod
	Status         PaymentStatus
	Amount         Money
	CaptureMode    CaptureMode
	ProviderRef    string            // the provider's id for this payment
	ProviderData   map[string]string // provider state kept between steps; never card data
	Card           *CardDetails
	Browser        BrowserInfo
	Action         *Action
	ThreeDS        *ThreeDSResult
	Decline        *Decline
	ShopperMessage string // provider text to show the shopper (for example cardholder info)
	// AmountRefunded is what the provider confirmed refunded, in minor
	// units; AmountRefundPending is reserved by refunds not settled yet.
	// Together they never exceed Amount.
	AmountRefunded      int64
	AmountRefundPending int64
	SavedCardID         string // the provider's token id, for saved-card payments
	FormToken           string // the one-time token of the form that started it
	Attempt             int    // 1-based number of this attempt within its session
	Version             int64  // compare-and-set counter, bumped by every update
	NextCheckAt         time.Time
	CheckCount          int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// IdempotencyKey is the key every money-moving provider call for this
// payment carries, so retries after a timeout or crash cannot charge twice.
func (p *Payment) IdempotencyKey() string { return p.ID }

// Refund is money of a paid payment going back to the shopper.
type Refund struct {
	ID           string
	PaymentID    string
	SessionID    string
	MerchantID   string
	Livemode     bool // its payment's mode
	Status       RefundStatus
	Amount       Money
	ProviderRef  string
	ProviderCode string // the provider's reason when it refused
	// RetryOf is the failed refund this one retries.
	RetryOf string
	// IdempotencyKey is the merchant's Idempotency-Key of the request that
	// created it: a retry of that request finds this refund.
	IdempotencyKey string
	// A pending refund is inquired at NextCheckAt (CheckCount so far).
	NextCheckAt time.Time
	CheckCount  int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NormalizeECI writes an ECI with two digits ("5" becomes "05"), as the
// liability-shift rules expect; anything that is not one or two digits is
// dropped. Providers write it either way.
func NormalizeECI(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case len(s) == 1 && s[0] >= '0' && s[0] <= '9':
		return "0" + s
	case len(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9':
		return s
	}
	return ""
}
