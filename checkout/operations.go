package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
)

// The interfaces below are optional: a provider implements the ones its API
// offers, and the Service answers "unsupported" for the rest.

// ReturnChecker is implemented by providers that bind a browser return to
// the payment with a value kept server-side (Worldline's RETURNMAC). The
// Service calls it before anything moves; an error means the return does
// not belong to this payment and is ignored.
type ReturnChecker interface {
	CheckReturn(p Payment, c Continuation) error
}

// Capturer captures an authorized payment in full. The Outcome is
// OutcomeSucceeded once the provider accepted the capture, OutcomeAuthorized
// if it still holds the authorization uncaptured, OutcomeFailed if it
// refused; an error means the answer is unknown and the call is safe to
// repeat (it carries an idempotency key derived from the payment id).
type Capturer interface {
	Capture(ctx context.Context, p Payment) (Outcome, error)
}

// Canceler voids an authorized, uncaptured payment. The Outcome is
// OutcomeCanceled when the authorization was released.
type Canceler interface {
	Cancel(ctx context.Context, p Payment) (Outcome, error)
}

// Refunder returns money of a paid payment to the shopper.
type Refunder interface {
	Refund(ctx context.Context, p Payment, r RefundRequest) (RefundOutcome, error)
}

// RefundInquirer is implemented by providers that can tell a refund's
// status. The Service asks it about every refund whose outcome is unknown
// (no answer, a 5xx, a crash mid-call) or still in process at the provider
// (Worldline PENDING_APPROVAL, Antom REFUND_IN_PROCESS), on a schedule,
// until the answer is definitive. RefundSucceeded and RefundFailed are
// definitive; RefundPending means the provider holds the refund and has not
// finished it. ErrRefundNotFound means the provider has no refund under our
// refund id (r.ID, the idempotency key of the refund call): the call never
// reached it, and the Service sends it again under the same key. Any other
// error means the answer is unknown.
type RefundInquirer interface {
	InquireRefund(ctx context.Context, p Payment, r Refund) (RefundOutcome, error)
}

// ErrRefundNotFound is what InquireRefund returns when the provider has no
// refund under our refund id.
var ErrRefundNotFound = errors.New("the provider has no such refund")

// RefundRequest is one refund of (part of) a payment.
type RefundRequest struct {
	RefundID       string // our refund id
	IdempotencyKey string // derived from RefundID
	Amount         Money
}

// RefundStatus is what a provider said about a refund.
type RefundStatus string

// Refund statuses.
const (
	RefundSucceeded RefundStatus = "succeeded" // accepted by the provider; the money goes back
	RefundPending   RefundStatus = "pending"   // accepted, not final yet
	RefundFailed    RefundStatus = "failed"    // refused; nothing is returned
)

// RefundOutcome is a provider's answer to a refund.
type RefundOutcome struct {
	Status       RefundStatus
	ProviderRef  string
	ProviderCode string // the provider's reason when it refused
}

// Notifier is implemented by providers that push signed notifications.
// Notification verifies the request (signature first, before any parsing)
// and reads it; an error means it is not authentic or not readable, and
// nothing may change.
type Notifier interface {
	Notification(ctx context.Context, req NotificationRequest) (Notification, error)
}

// NotificationRequest is the raw request a provider sent to our notify URL.
type NotificationRequest struct {
	Method     string
	RequestURI string // the path and query as received, which Alipay-family signatures cover
	Header     http.Header
	Body       []byte
}

// Notification is a verified provider notification. A handshake (such as
// Worldline's endpoint verification) has no EventID and only a Reply.
type Notification struct {
	EventID     string // the provider's id of this event; duplicates are dropped by it
	Type        string // the provider's event type, for the timeline
	PaymentID   string // our payment id, when the provider echoes it
	ProviderRef string // the provider's payment id
	Amount      *Money // the amount the event is about, compared with the payment's
	Outcome     Outcome
	// Refund is set, instead of Outcome, when the event is about a refund
	// (Worldline refund.*, Antom notifyRefund).
	Refund *RefundNotice
	Reply  NotificationReply // what the provider expects back
}

// RefundNotice is what a verified provider notification says about one
// refund. Like a payment notification it is a trigger: a refund still
// pending here is settled by InquireRefund where the provider has it, and
// by Outcome otherwise.
type RefundNotice struct {
	RefundID    string // our refund id, when the provider echoes it (merchant reference, refundRequestId)
	ProviderRef string // the provider's refund id
	Amount      *Money // the refund's amount, compared with ours
	Outcome     RefundOutcome
}

// NotificationReply is the HTTP answer a provider expects to a notification.
type NotificationReply struct {
	Status      int
	ContentType string
	Body        string
}

// CardVault is implemented by providers that keep cards for a merchant's
// customers (tokenization). Card numbers never pass through us: the shopper
// types the card on the provider's own page.
type CardVault interface {
	// AddCard starts saving a card: the shopper's browser goes (top-level)
	// to the returned URL and comes back to ReturnURL or CancelURL.
	AddCard(ctx context.Context, r AddCardRequest) (string, error)
	// SavedCards lists the customer's usable cards.
	SavedCards(ctx context.Context, customer string) ([]SavedCard, error)
	// DeleteSavedCard removes one; removing a card that is gone is not an error.
	DeleteSavedCard(ctx context.Context, customer, cardID string) error
}

// AddCardRequest asks a provider for its add-card page.
type AddCardRequest struct {
	Customer  string // the provider-side customer key (see CustomerKey)
	ReturnURL string // where the browser goes after the card was saved
	CancelURL string // where it goes when the shopper gives up or the card is refused
	NotifyURL string
	Locale    string
}

// SavedCard is a card a provider keeps for a customer.
type SavedCard struct {
	ID   string      `json:"id"` // the provider's token id
	Card CardDetails `json:"card"`
}

// CustomerKey is the id a provider knows a merchant's customer by: derived
// from the merchant and the merchant's own customer reference, so one
// merchant's customer can never reach another merchant's saved cards, and
// the provider never learns the merchant's reference. 40 lowercase hex
// characters (providers may treat it case-insensitively).
func CustomerKey(merchantID, customerReference string) string {
	sum := sha256.Sum256([]byte("customer\x00" + merchantID + "\x00" + customerReference))
	return hex.EncodeToString(sum[:20])
}
