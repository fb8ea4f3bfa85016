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
	// An existing merchant is updated only while its stored version is
	// still m.Version (compare-and-set; ErrConflict, with nothing written,
	// otherwise); on success m.Version is the new stored version. A key
	// hash set here (not rotated) ends any previous key's overlap. The
	// events (merchant.updated) are written in the same transaction.
	SaveMerchant(ctx context.Context, m *Merchant, events ...Event) error
	Merchant(ctx context.Context, id string) (*Merchant, error)
	// MerchantSnapshot is Merchant as this process read it at most a
	// second ago (a write through this store is seen at once; another
	// instance's within the second): for a page's branding and embedding
	// origins, never for keys, secrets or money.
	MerchantSnapshot(ctx context.Context, id string) (*Merchant, error)
	// MerchantByKeyHash finds the merchant whose current secret key has
	// this hash, or whose previous key has it while that key's overlap
	// lasts (PreviousKeyExpiresAt after now, compared in the statement).
	MerchantByKeyHash(ctx context.Context, hash string, now time.Time) (*Merchant, error)
	// RotateMerchantKey makes fresh the merchant's key hash and its
	// current one the previous, valid until previousExpiresAt, in one
	// statement guarded by the current hash still being current (two
	// rotations from one key: one wins, the other gets ErrConflict and
	// writes nothing); it moves the merchant's version on and writes the
	// events in the same transaction. ErrNotFound for no such merchant.
	RotateMerchantKey(ctx context.Context, id, current, fresh string, previousExpiresAt time.Time, events ...Event) error
	// ReplaceMerchantKey sets the merchant's current key hash to fresh
	// only while its current and previous hashes are still current and
	// previous (ErrConflict otherwise; ErrNotFound without the
	// merchant), keeping the previous key and its end, with the events.
	ReplaceMerchantKey(ctx context.Context, id, previous, current, fresh string, events ...Event) error
	// Logo loads a merchant's logo with its bytes by its SHA-256 (hex).
	Logo(ctx context.Context, sha256 string) (*Logo, error)
	// EnsureReturnSecret sets fresh as the merchant's return secret if it
	// has none, in one statement guarded by that (of two callers at once,
	// the first one's secret stays), and returns the merchant as stored;
	// ErrNotFound when there is no such merchant.
	EnsureReturnSecret(ctx context.Context, merchantID, fresh string) (*Merchant, error)
	// RotateReturnSecret makes fresh the merchant's return secret and the
	// current one its previous secret, valid until previousUntil, in one
	// compare-and-set statement: only while current is still its secret
	// (ErrConflict otherwise, with nothing written). The events are
	// written in the same transaction. It returns the merchant as stored;
	// ErrNotFound when there is no such merchant.
	RotateReturnSecret(ctx context.Context, merchantID, current, fresh string, previousUntil time.Time, events ...Event) (*Merchant, error)
	// MerchantEvents lists the merchant's own events (of no session, such
	// as a return secret rotation), newest first, at most limit.
	MerchantEvents(ctx context.Context, merchantID string, limit int) ([]Event, error)

	// CreateSession inserts a session; ErrDuplicate when the merchant has
	// one under s.IdempotencyKey already.
	CreateSession(ctx context.Context, s *Session, events ...Event) error
	// CreateSessionAnswered inserts a session made by a merchant API
	// request under an Idempotency-Key together with answer, that
	// request's completed record (its status and body), in one
	// transaction: the key is never claimed in a commit of its own. When
	// the merchant has a record under answer.Key already it writes nothing
	// and returns that record, for the caller to replay or refuse;
	// ErrDuplicate when a session holds the key without a record.
	CreateSessionAnswered(ctx context.Context, s *Session, answer IdempotencyRecord, events ...Event) (*IdempotencyRecord, error)
	Session(ctx context.Context, id string) (*Session, error)
	// SessionWithPayments is Session and SessionPayments together (one
	// statement for a session without payments).
	SessionWithPayments(ctx context.Context, id string) (*Session, []*Payment, error)
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
	// PaymentsToCheck claims in-flight payments, and authorized ones, due
	// for an inquiry: in the same statement it moves each one's next check
	// to now+lease, so that no other instance takes it while this one
	// asks (a claim whose instance dies is due again after its lease);
	// the settled answer then sets the real next check. Rows another
	// transaction holds are skipped (PostgreSQL: FOR UPDATE SKIP LOCKED).
	PaymentsToCheck(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Payment, error)
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
	// RefundsToCheck claims pending refunds due for an inquiry, as
	// PaymentsToCheck claims payments.
	RefundsToCheck(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Refund, error)
	// CheckRefundsNow makes the payment's pending refunds due now.
	CheckRefundsNow(ctx context.Context, paymentID string, now time.Time) error

	// NotificationSeen reports whether a provider event was handled already;
	// RecordNotification remembers it, with the events its handling adds
	// (written in the same transaction).
	NotificationSeen(ctx context.Context, provider, eventID string) (bool, error)
	RecordNotification(ctx context.Context, provider, eventID string, at time.Time, events ...Event) error

	AppendEvents(ctx context.Context, events ...Event) error
	// Events with Notify set are also queued as merchant webhooks, one
	// delivery per enabled endpoint of the session's merchant, in the same
	// transaction (the outbox).

	SaveWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	WebhookEndpoints(ctx context.Context, merchantID string) ([]*WebhookEndpoint, error)
	// RotateWebhookSecret makes fresh the secret of the merchant's endpoint
	// id and its current secret the previous one, valid until
	// previousUntil, and returns the endpoint; ErrNotFound when the
	// merchant has no such endpoint. With current set, only while current
	// is still its secret (compare-and-set in the statement; ErrConflict,
	// with nothing written, otherwise); "" rotates whatever it is.
	RotateWebhookSecret(ctx context.Context, merchantID, id, current, fresh string, previousUntil time.Time) (*WebhookEndpoint, error)
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
	// QueueTestWebhook writes d, a pending delivery of a test event
	// (POST /v1/test/webhooks), to the endpoint d.EndpointID only, setting
	// d.ID: one insert guarded by that endpoint being d.MerchantID's, not
	// deleted and enabled (its enabled_events do not filter it). It writes
	// no event row. ErrNotFound when the merchant has no such endpoint,
	// ErrEndpointDisabled when it is disabled; nothing is written then.
	QueueTestWebhook(ctx context.Context, d *WebhookDelivery) error
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

	// BeginIdempotent claims key for a request, as rec.Owner. It returns
	// (nil, nil) when the caller now owns the key (new, or the same
	// request taking over a claim whose lease ran out, in one guarded
	// statement), or the existing record otherwise.
	BeginIdempotent(ctx context.Context, rec IdempotencyRecord) (*IdempotencyRecord, error)
	// CompleteIdempotent stores the answer while owner still holds the
	// claim; ErrConflict, with nothing written, once another request took
	// it over. ReleaseIdempotent deletes owner's unanswered claim only.
	CompleteIdempotent(ctx context.Context, merchantID, key, owner string, status int, body []byte) error
	ReleaseIdempotent(ctx context.Context, merchantID, key, owner string) error
	// IdempotencyRecord reads the merchant's record under key (nil, nil
	// when there is none).
	IdempotencyRecord(ctx context.Context, merchantID, key string) (*IdempotencyRecord, error)
	PruneIdempotent(ctx context.Context, before time.Time) (int64, error)

	// ServerKey returns the server's key called name, storing fresh as that
	// key if it has none yet.
	ServerKey(ctx context.Context, name string, fresh []byte, at time.Time) ([]byte, error)

	// Dashboard users (dashboard_users.go). CreateDashboardUser inserts u
	// with its events in one transaction; ErrDuplicate when a user has its
	// email already. DashboardUsers lists merchantID's users ("" for every
	// merchant's) by email. DeleteDashboardUser deletes one and writes
	// the events in the same transaction; ErrNotFound when there is none. SetDashboardPassword stores
	// a new hash and moves the user's session epoch on, in one statement
	// guarded by the epoch still being epoch (ErrConflict, with nothing
	// written, otherwise; ErrNotFound for no such user).
	CreateDashboardUser(ctx context.Context, u *DashboardUser, events ...Event) error
	DashboardUser(ctx context.Context, id string) (*DashboardUser, error)
	DashboardUserByEmail(ctx context.Context, email string) (*DashboardUser, error)
	DashboardUsers(ctx context.Context, merchantID string) ([]*DashboardUser, error)
	DeleteDashboardUser(ctx context.Context, id string, events ...Event) error
	SetDashboardPassword(ctx context.Context, id string, epoch int64, hash string, at time.Time, events ...Event) error
	// Dashboard sessions, by the hash of their token. A user's sessions
	// go with a password change and with the user (in the same
	// transactions). DashboardSession finds one seen after seenAfter
	// (compared in the statement): an idle one is ErrNotFound.
	// TouchDashboardSession moves its seen time on; DeleteDashboardSession
	// deletes one (no error when it is gone); PruneDashboardSessions
	// deletes those not seen since before.
	CreateDashboardSession(ctx context.Context, s *DashboardSession) error
	DashboardSession(ctx context.Context, id string, seenAfter time.Time) (*DashboardSession, error)
	TouchDashboardSession(ctx context.Context, id string, at time.Time) error
	DeleteDashboardSession(ctx context.Context, id string) error
	PruneDashboardSessions(ctx context.Context, before time.Time) (int64, error)
	// Dashboard two-step sign-in (dashboard_totp.go). EnableDashboardTOTP
	// stores a sealed secret and the step its confirming code used, only
	// when the user has none (ErrConflict otherwise), with the events in
	// the same transaction; DisableDashboardTOTP clears it, only when set
	// (ErrConflict otherwise), with the events. UseDashboardTOTPStep
	// records step as used in one statement guarded by the secret still
	// being sealed and step being later than the last one used:
	// ErrConflict, with nothing written, when the code (or a later one)
	// was used already. Each is ErrNotFound for no such user.
	EnableDashboardTOTP(ctx context.Context, id, sealed string, step int64, at time.Time, events ...Event) error
	DisableDashboardTOTP(ctx context.Context, id string, at time.Time, events ...Event) error
	UseDashboardTOTPStep(ctx context.Context, id, sealed string, step int64) error

	// OverviewStats counts merchantID's sessions, payments and provider
	// calls made in [from, to) for the dashboard's overview (overview.go),
	// by UTC day where it says so.
	OverviewStats(ctx context.Context, merchantID string, from, to time.Time) (*OverviewStats, error)
	// OperationalStats counts the work waiting across all merchants, for
	// the metrics: webhook deliveries pending (and the oldest one's
	// creation), payments whose outcome is being reconciled.
	OperationalStats(ctx context.Context) (*OperationalStats, error)

	// The merchant API's lists (lists.go). Each returns the merchant's
	// objects of its kind that match the filter, at most page.Limit, in
	// descending id order: with page.StartingAfter the ones just below
	// that id, with page.EndingBefore the ones just above it, else the
	// greatest. ErrNotFound, with nothing listed, when the cursor is not
	// one of the merchant's objects of the list's kind (a merchant-visible
	// event, for ListEvents). A created-from bound may skip ids below
	// IDFloor(prefix, from-MaxIDClockSkew).
	ListSessions(ctx context.Context, merchantID string, f SessionFilter, page Page) ([]*Session, error)
	ListPayments(ctx context.Context, merchantID string, f PaymentFilter, page Page) ([]*Payment, error)
	ListRefunds(ctx context.Context, merchantID string, f RefundFilter, page Page) ([]*Refund, error)
	ListEvents(ctx context.Context, merchantID string, f EventFilter, page Page) ([]MerchantEvent, error)
	ListWebhookDeliveries(ctx context.Context, merchantID string, f DeliveryFilter, page Page) ([]*WebhookDelivery, error)
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
	Owner       string    // a random token of the request holding the claim
	LockedUntil time.Time // lease while the first request runs
	Status      int       // 0 while in progress
	Body        []byte
	CreatedAt   time.Time
}

// Done reports whether the first request finished and its answer is stored.
func (r *IdempotencyRecord) Done() bool { return r.Status != 0 }

// Replayable says whether a request whose digest is requestHash may be
// answered with r: nil when r is its stored answer; EIdempotencyMismatch
// for the same key with a different request; EIdempotencyInUse while the
// first request is still running.
func (r *IdempotencyRecord) Replayable(requestHash string) error {
	switch {
	case r.RequestHash != requestHash:
		return &Error{Code: EIdempotencyMismatch, Param: "Idempotency-Key", Message: "This Idempotency-Key was already used with a different request."}
	case !r.Done():
		return &Error{Code: EIdempotencyInUse, Param: "Idempotency-Key", Message: "A request with this Idempotency-Key is still being processed; retry shortly."}
	}
	return nil
}
