package checkout

import (
	"context"
	"time"
)

// Store is the persistence the Service needs. Implementations make every
// method atomic; writes that change a status are compare-and-set and return
// ErrConflict when another request got there first. Missing rows are ErrNotFound.
type Store interface {
	// SaveMerchant inserts or updates m by ID, in one transaction with its
	// logo: m.Logo's bytes are stored first when its Body is set (under
	// its hash, once), and logos no merchant uses any more are deleted.
	SaveMerchant(ctx context.Context, m *Merchant) error
	Merchant(ctx context.Context, id string) (*Merchant, error)
	MerchantByKeyHash(ctx context.Context, hash string) (*Merchant, error)
	// Logo loads a merchant's logo with its bytes by its SHA-256 (hex).
	Logo(ctx context.Context, sha256 string) (*Logo, error)

	// CreateSession inserts a session; ErrDuplicate when the merchant has
	// one under s.IdempotencyKey already.
	CreateSession(ctx context.Context, s *Session, events ...Event) error
	Session(ctx context.Context, id string) (*Session, error)
	SessionByIdempotencyKey(ctx context.Context, merchantID, key string) (*Session, error)
	// ExpireSession moves an open session to expired, in one guarded
	// statement: only while none of its payments is active (anything but
	// failed or canceled), and with dueOnly only once its expiry time is
	// past at. ErrConflict, with nothing written, otherwise: the events are
	// written only when the session really changed.
	ExpireSession(ctx context.Context, id string, at time.Time, dueOnly bool, events ...Event) error
	// SessionsExpiringBefore lists open sessions whose expiry time has
	// passed and that have no active payment.
	SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error)

	// CreatePayment inserts an attempt, in one statement guarded by its
	// session being open and not past its expiry time at p.CreatedAt
	// (ErrSessionNotOpen otherwise); ErrConflict when the session already
	// has an active (not failed, not canceled) payment.
	CreatePayment(ctx context.Context, p *Payment, events ...Event) error
	Payment(ctx context.Context, id string) (*Payment, error)
	SessionPayments(ctx context.Context, sessionID string) ([]*Payment, error)
	// UpdatePayment writes p if the stored version is still p.Version-1
	// (callers bump Version), and in the same transaction applies the
	// optional session status change (writing its events only if the
	// session was still in From) and appends events.
	UpdatePayment(ctx context.Context, p *Payment, session *SessionChange, events ...Event) error
	// PaymentsToCheck lists in-flight payments, and authorized ones, due
	// for an inquiry.
	PaymentsToCheck(ctx context.Context, now time.Time, limit int) ([]*Payment, error)
	// PaymentByProviderRef finds a payment by the provider's id for it.
	PaymentByProviderRef(ctx context.Context, provider, ref string) (*Payment, error)

	// CreateRefund inserts r (pending) and reserves its amount on the
	// payment, in one transaction. The reservation is a guarded statement:
	// only a paid payment with room for r left (confirmed plus pending
	// refunds plus r at most its amount); ErrConflict otherwise.
	// ErrDuplicate when the merchant has a refund under r.IdempotencyKey
	// already, or r.RetryOf was retried already.
	CreateRefund(ctx context.Context, r *Refund, events ...Event) error
	// UpdateRefund writes a still-pending refund's status, references and
	// check schedule, with an optional payment update (compare-and-set) in
	// the same transaction; ErrConflict, with nothing written, when the
	// refund was no longer pending or the payment moved.
	UpdateRefund(ctx context.Context, r *Refund, p *Payment, events ...Event) error
	Refund(ctx context.Context, id string) (*Refund, error)
	RefundByIdempotencyKey(ctx context.Context, merchantID, key string) (*Refund, error)
	// RefundRetry is the refund that retried the failed refund id.
	RefundRetry(ctx context.Context, id string) (*Refund, error)
	RefundByProviderRef(ctx context.Context, provider, ref string) (*Refund, error)
	PaymentRefunds(ctx context.Context, paymentID string) ([]*Refund, error)
	// RefundsToCheck lists pending refunds due for an inquiry.
	RefundsToCheck(ctx context.Context, now time.Time, limit int) ([]*Refund, error)
	// CheckRefundsNow makes the payment's pending refunds due now.
	CheckRefundsNow(ctx context.Context, paymentID string, now time.Time) error

	// NotificationSeen reports whether a provider event was handled already;
	// RecordNotification remembers it.
	NotificationSeen(ctx context.Context, provider, eventID string) (bool, error)
	RecordNotification(ctx context.Context, provider, eventID string, at time.Time) error

	AppendEvents(ctx context.Context, events ...Event) error
	// Events with Notify set are also queued as merchant webhooks, one
	// delivery per enabled endpoint of the session's merchant, in the same
	// transaction (the outbox).

	SaveWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	WebhookEndpoints(ctx context.Context, merchantID string) ([]*WebhookEndpoint, error)
	// RotateWebhookSecret makes fresh the secret of the merchant's endpoint
	// id and its current secret the previous one, valid until
	// previousUntil, and returns the endpoint; ErrNotFound when the
	// merchant has no such endpoint.
	RotateWebhookSecret(ctx context.Context, merchantID, id, fresh string, previousUntil time.Time) (*WebhookEndpoint, error)
	// ClaimWebhookDeliveries leases due pending deliveries (next attempt
	// moved to now+lease) and returns them with their endpoint's URL and
	// secret, and its previous secret while that has not expired at now.
	// At most perMerchant deliveries of one merchant are claimed per call,
	// so that one merchant's backlog never fills a round.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perMerchant int) ([]*WebhookDelivery, error)
	// InsertWebhookEndpoint adds a new endpoint unless its merchant already
	// has max (ErrEndpointLimit), checked in the inserting statement.
	InsertWebhookEndpoint(ctx context.Context, e *WebhookEndpoint, max int) error
	// DeleteWebhookEndpoint marks the merchant's endpoint deleted and
	// cancels its pending deliveries, in one transaction.
	DeleteWebhookEndpoint(ctx context.Context, merchantID, id string, now time.Time) (*WebhookEndpoint, error)
	// SetWebhookEndpointEnabled turns the merchant's endpoint off or on;
	// turning it on makes its held deliveries due now.
	SetWebhookEndpointEnabled(ctx context.Context, merchantID, id string, enabled bool, now time.Time) (*WebhookEndpoint, error)
	// RecordWebhookAttempt logs an attempt and sets the delivery's outcome.
	RecordWebhookAttempt(ctx context.Context, a WebhookAttempt, status string, next time.Time, disableEndpoint bool) error
	WebhookDeliveries(ctx context.Context, merchantID string, limit int) ([]*WebhookDelivery, error)
	WebhookAttempts(ctx context.Context, deliveryID string) ([]WebhookAttempt, error)
	RedeliverWebhook(ctx context.Context, merchantID, id string, now time.Time) (*WebhookDelivery, error)
	SessionEvents(ctx context.Context, sessionID string) ([]Event, error)
	// SessionTimeline reads one page of a session's timeline: at most
	// limit of its events in the order written (after the entry afterID
	// when it is set: one of the session's events, or a webhook delivery
	// one of them queued; ErrNotFound otherwise), the merchant webhook
	// deliveries those events queued (without their payloads) and the
	// deliveries' attempts, all read at one moment.
	SessionTimeline(ctx context.Context, sessionID, afterID string, limit int) (*TimelineRecords, error)
	// MarkSessionViewed sets the session's first view to at, in one
	// statement guarded by its having none yet, and writes events in the
	// same transaction; ErrConflict, with nothing written, when it was
	// viewed already.
	MarkSessionViewed(ctx context.Context, sessionID string, at time.Time, events ...Event) error
	// RecordBrowserStep writes e, a step the shopper's page reported for a
	// payment, unless the payment has an event of e's type already (a
	// guard of the inserting statement, never a read before it); it
	// reports whether e was written.
	RecordBrowserStep(ctx context.Context, e Event) (bool, error)

	// BeginIdempotent claims key for a request. It returns (nil, nil) when
	// the caller now owns the key, or the existing record otherwise.
	BeginIdempotent(ctx context.Context, rec IdempotencyRecord) (*IdempotencyRecord, error)
	CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error
	ReleaseIdempotent(ctx context.Context, merchantID, key string) error
	PruneIdempotent(ctx context.Context, before time.Time) (int64, error)

	// ServerKey returns the server's key called name, storing fresh as that
	// key if it has none yet.
	ServerKey(ctx context.Context, name string, fresh []byte, at time.Time) ([]byte, error)
}

// SessionChange is a session status move applied together with a payment
// update. Its Events (the merchant's checkout.session.completed) are
// written only if the session really moved.
type SessionChange struct {
	From, To SessionStatus
	Events   []Event
}

// IdempotencyRecord remembers a merchant API request made with an
// Idempotency-Key so that a retry gets the first answer.
type IdempotencyRecord struct {
	MerchantID  string
	Key         string
	RequestHash string    // method, path and body digest
	LockedUntil time.Time // lease while the first request runs
	Status      int       // 0 while in progress
	Body        []byte
	CreatedAt   time.Time
}

// Done reports whether the first request finished and its answer is stored.
func (r *IdempotencyRecord) Done() bool { return r.Status != 0 }
