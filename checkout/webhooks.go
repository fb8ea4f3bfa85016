package checkout

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Merchant webhook event types (DESIGN.md section 4).
const (
	WebhookSessionCompleted = "checkout.session.completed"
	WebhookSessionExpired   = "checkout.session.expired"
)

// WebhookEventTypes is every event type merchants can receive, the list
// enabled_events is checked against ("*" enables them all).
var WebhookEventTypes = []string{
	WebhookSessionCompleted, WebhookSessionExpired,
	"payment." + string(PaymentSucceeded), "payment." + string(PaymentAuthorized), "payment." + string(PaymentFailed),
	"payment." + string(PaymentPending), "payment." + string(PaymentCaptured), "payment." + string(PaymentCanceled),
	"payment.refunded", WebhookRefundSucceeded, WebhookRefundFailed,
	WebhookMerchantUpdated, WebhookMerchantKeyRotated,
}

// MaxWebhookEndpoints caps a merchant's endpoints (deleted ones do not
// count): each one multiplies every event into a delivery.
const MaxWebhookEndpoints = 16

// CheckEnabledEvents validates an endpoint's event filter: nil or empty is
// every event (["*"]); "*" stands alone; each type must be known. The
// answer is the list to store, without duplicates.
func CheckEnabledEvents(in []string) ([]string, error) {
	if len(in) == 0 {
		return []string{"*"}, nil
	}
	if len(in) > len(WebhookEventTypes) {
		return nil, InvalidParam("enabled_events", "enabled_events has more entries than there are event types")
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, t := range in {
		if t == "*" {
			if len(in) != 1 {
				return nil, InvalidParam("enabled_events", "\"*\" must be the only entry of enabled_events")
			}
			return []string{"*"}, nil
		}
		if !slices.Contains(WebhookEventTypes, t) {
			return nil, InvalidParam("enabled_events", "enabled_events: unknown event type; known types are %s", strings.Join(WebhookEventTypes, ", "))
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// WantsEvent reports whether an endpoint with this filter receives typ.
func WantsEvent(enabledEvents []string, typ string) bool {
	return len(enabledEvents) == 0 || slices.Contains(enabledEvents, "*") || slices.Contains(enabledEvents, typ)
}

// paymentWebhook is the merchant event a payment status leads to; "" when
// merchants are not told (a payment being created or processed).
func paymentWebhook(to PaymentStatus) string {
	switch to {
	case PaymentSucceeded, PaymentAuthorized, PaymentFailed, PaymentPending, PaymentCaptured, PaymentCanceled:
		return "payment." + string(to)
	case PaymentRefunded, PaymentPartiallyRefunded:
		return "payment.refunded"
	}
	return ""
}

// webhookBody is the JSON body of a merchant webhook.
type webhookBody struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
	// Triggered is true on a test event sent by POST /v1/test/webhooks
	// (its data is synthetic: no such session, payment or refund exists)
	// and absent on every real one.
	Triggered bool `json:"triggered,omitempty"`
}

// WebhookPayload is the minified JSON body of a merchant webhook for an
// event: {"type", "timestamp", "data"}.
func WebhookPayload(e Event) ([]byte, error) {
	return json.Marshal(webhookBody{Type: e.Notify, Timestamp: e.CreatedAt.UTC().Format(time.RFC3339), Data: e.Object})
}

// NewWebhookSecret makes a Standard Webhooks secret: whsec_ and the base64
// of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// ValidWebhookSecret reports whether s is whsec_ and 24 to 64 bytes of base64.
func ValidWebhookSecret(s string) bool {
	raw, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	return err == nil && len(key) >= 24 && len(key) <= 64
}

// WebhookEndpoint is where a merchant receives webhooks.
type WebhookEndpoint struct {
	ID         string
	MerchantID string
	URL        string
	Secret     string // whsec_...
	Enabled    bool
	CreatedAt  time.Time
	// The secret before the last rotation, which still signs next to
	// Secret until PreviousSecretExpiresAt.
	PreviousSecret          string
	PreviousSecretExpiresAt time.Time
	// EnabledEvents is the event types it receives; ["*"] for all.
	EnabledEvents []string
	// ConsecutiveFailures counts failed attempts in a row (a success
	// resets it); past EndpointBackoffAfter the endpoint backs off.
	ConsecutiveFailures int
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
	// DeliveryCanceled is final: the endpoint was deleted before the
	// delivery succeeded.
	DeliveryCanceled = "canceled"
)

// Endpoint backoff: once an endpoint failed EndpointBackoffAfter attempts
// in a row, each further failure holds all its pending deliveries for
// EndpointBackoff(n) (doubling from 1 minute up to 1 hour) without counting
// that wait against their retry schedule, so an endpoint that keeps timing
// out costs the relay one attempt per backoff period, not one per delivery.
const EndpointBackoffAfter = 5

// EndpointBackoff is how long an endpoint that failed n attempts in a row
// is left alone; 0 below EndpointBackoffAfter.
func EndpointBackoff(n int) time.Duration {
	if n < EndpointBackoffAfter {
		return 0
	}
	d := time.Minute << min(n-EndpointBackoffAfter, 6)
	return min(d, time.Hour)
}

// WebhookDelivery is one message on its way to one endpoint.
type WebhookDelivery struct {
	ID            string
	MessageID     string // the webhook-id, the same on every attempt
	EndpointID    string
	MerchantID    string
	Type          string
	Payload       []byte
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int // HTTP status of the last attempt; 0 when none came
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Filled when claimed for sending; PreviousSecret only while a
	// rotation's overlap lasts.
	URL, Secret, PreviousSecret string
}

// Safe delivery error categories: the delivery log that merchants read
// says what went wrong in these words only, never with resolver addresses
// or Go's error text.
const (
	DeliveryErrDNS               = "dns_failure"
	DeliveryErrAddressNotAllowed = "address_not_allowed"
	DeliveryErrTimeout           = "timeout"
	DeliveryErrConnectionRefused = "connection_refused"
	DeliveryErrTLS               = "tls_error"
	DeliveryErrConnection        = "connection_error"
	DeliveryErrBadURL            = "invalid_url"
)

// WebhookAttempt is one try of a delivery, for the delivery log.
type WebhookAttempt struct {
	DeliveryID string
	Number     int
	Status     int
	Error      string
	DurationMS int64
	At         time.Time
}

// CheckWebhookURL accepts absolute http(s) URLs without user info; live
// endpoints must be https.
func CheckWebhookURL(raw string, live bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") || len(raw) > 2048 {
		return InvalidParam("url", "url must be an absolute http(s) URL without user info")
	}
	if live && u.Scheme != "https" {
		return InvalidParam("url", "url must be https")
	}
	return nil
}

// ErrEndpointLimit is returned by a Store when a merchant already has
// MaxWebhookEndpoints endpoints.
var ErrEndpointLimit = Errorf(ELimitReached, "A merchant may have at most %d webhook endpoints; delete one first.", MaxWebhookEndpoints)

// CreateWebhookEndpoint registers an endpoint for a merchant; its secret is
// generated unless given. Live merchants, and every merchant of a server in
// live mode, must use https. At most MaxWebhookEndpoints per merchant,
// enforced by the store's insert itself.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, m *Merchant, rawURL, secret string, enabledEvents []string) (*WebhookEndpoint, error) {
	if err := CheckWebhookURL(rawURL, m.Live || !s.Sandbox); err != nil {
		return nil, err
	}
	events, err := CheckEnabledEvents(enabledEvents)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		secret = NewWebhookSecret()
	} else if !ValidWebhookSecret(secret) {
		return nil, InvalidParam("secret", "secret must be whsec_ followed by the base64 of 24 to 64 bytes")
	}
	e := &WebhookEndpoint{ID: s.IDs.NewID(PrefixWebhookEndpoint), MerchantID: m.ID, URL: rawURL, Secret: secret, Enabled: true,
		CreatedAt: s.now(), EnabledEvents: events}
	if err := s.Store.InsertWebhookEndpoint(ctx, e, MaxWebhookEndpoints); err != nil {
		if errors.Is(err, ErrEndpointLimit) {
			return nil, ErrEndpointLimit
		}
		return nil, Internal(err)
	}
	return e, nil
}

// DeleteWebhookEndpoint deletes a merchant's endpoint; its pending
// deliveries become canceled in the same transaction. Another merchant's
// endpoint, or one already deleted, is not found.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, m *Merchant, id string) (*WebhookEndpoint, error) {
	if !ValidID(PrefixWebhookEndpoint, id) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	e, err := s.Store.DeleteWebhookEndpoint(ctx, m.ID, id, s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return e, nil
}

// SetWebhookEndpointEnabled disables or enables a merchant's endpoint. A
// disabled endpoint's pending deliveries are held, not attempted, and
// resume (due at once) when it is enabled again; enabling also clears its
// failure streak.
func (s *Service) SetWebhookEndpointEnabled(ctx context.Context, m *Merchant, id string, enabled bool) (*WebhookEndpoint, error) {
	if !ValidID(PrefixWebhookEndpoint, id) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	e, err := s.Store.SetWebhookEndpointEnabled(ctx, m.ID, id, enabled, s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return e, nil
}

// WebhookEndpoints lists a merchant's endpoints.
func (s *Service) WebhookEndpoints(ctx context.Context, m *Merchant) ([]*WebhookEndpoint, error) {
	es, err := s.Store.WebhookEndpoints(ctx, m.ID)
	if err != nil {
		return nil, Internal(err)
	}
	return es, nil
}

// Webhook secret rotation overlap: how long the replaced secret keeps
// signing next to the new one, so that the merchant can switch verifiers
// without rejecting a webhook.
const (
	DefaultWebhookSecretOverlap = 24 * time.Hour
	MaxWebhookSecretOverlap     = 7 * 24 * time.Hour
)

// RotateWebhookSecret gives a merchant's endpoint a new secret. The current
// one becomes the previous secret and keeps signing until expirePreviousIn
// seconds from now (nil: DefaultWebhookSecretOverlap; 0: it stops now). A
// previous secret still live is dropped: two secrets at most sign. With
// current set, the rotation happens only while current is still the
// endpoint's secret (EConflict otherwise: someone rotated it first).
func (s *Service) RotateWebhookSecret(ctx context.Context, m *Merchant, id, current string, expirePreviousIn *int64) (*WebhookEndpoint, error) {
	overlap := DefaultWebhookSecretOverlap
	if expirePreviousIn != nil {
		// Checked in seconds, before converting, so that no huge value
		// can overflow into an accepted one.
		if *expirePreviousIn < 0 || *expirePreviousIn > int64(MaxWebhookSecretOverlap/time.Second) {
			return nil, InvalidParam("expire_previous_in", "expire_previous_in must be from 0 to %d seconds", int64(MaxWebhookSecretOverlap/time.Second))
		}
		overlap = time.Duration(*expirePreviousIn) * time.Second
	}
	if !ValidID(PrefixWebhookEndpoint, id) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	e, err := s.Store.RotateWebhookSecret(ctx, m.ID, id, current, NewWebhookSecret(), s.now().Add(overlap))
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such webhook endpoint.")
	}
	if errors.Is(err, ErrConflict) {
		return nil, Errorf(EConflict, "The endpoint's secret was rotated by another request.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return e, nil
}

// Redeliver queues one delivery to be sent again now, whatever its state.
func (s *Service) Redeliver(ctx context.Context, m *Merchant, id string) (*WebhookDelivery, error) {
	if !ValidID(PrefixWebhookDelivery, id) {
		return nil, Errorf(ENotFound, "No such webhook delivery.")
	}
	d, err := s.Store.RedeliverWebhook(ctx, m.ID, id, s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such webhook delivery.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return d, nil
}
