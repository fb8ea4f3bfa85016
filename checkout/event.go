package checkout

import "time"

// EventType names an entry of a session's timeline.
type EventType string

// Event types. Data payloads never carry card numbers or security codes.
const (
	EventSessionCreated   EventType = "session.created"
	EventSessionCompleted EventType = "session.completed"
	EventSessionExpired   EventType = "session.expired"
	EventPaymentCreated   EventType = "payment.created"
	EventPaymentStatus    EventType = "payment.status_changed"
	EventProviderCall     EventType = "provider.call"
	EventBrowserReturn    EventType = "browser.returned"
	EventNotification     EventType = "provider.notification"
	EventRefundCreated    EventType = "refund.created"
	EventRefundUpdated    EventType = "refund.updated"

	// Steps of the shopper's browser (timeline.go): the first view of the
	// checkout page, what the page reports of a payment's action, and the
	// browser's accepted returns from it, each at most once per session or
	// payment. (A refused return is a browser.returned, accepted false.)
	EventPageViewed          EventType = "page.viewed"
	EventDeviceDataStarted   EventType = "device_data.started"
	EventDeviceDataCompleted EventType = "device_data.completed"
	EventDeviceDataTimedOut  EventType = "device_data.timed_out"
	EventChallengeShown      EventType = "challenge.shown"
	EventChallengeReturned   EventType = "challenge.returned"
	EventRedirectLeft        EventType = "redirect.left"
	EventRedirectReturned    EventType = "redirect.returned"
)

// BrowserStepTypes are the events a payment has at most one of each: the
// steps of its shopper's browser. A store writes a second one as nothing
// (never as an error: the change it comes with still happens).
var BrowserStepTypes = []EventType{EventDeviceDataStarted, EventDeviceDataCompleted, EventDeviceDataTimedOut,
	EventChallengeShown, EventChallengeReturned, EventRedirectLeft, EventRedirectReturned}

// Event is one entry of a session's append-only timeline: the audit log and
// the source of merchant webhooks.
type Event struct {
	ID        string
	SessionID string // "" for an event of the merchant itself (merchant.updated)
	PaymentID string
	// MerchantID is the merchant the event belongs to; the store fills it
	// from the session when it is empty.
	MerchantID string
	Type       EventType
	Data       map[string]any
	CreatedAt  time.Time
	// Notify, when set, is the merchant webhook type this entry becomes
	// (written to the outbox in the same transaction), with Object the
	// snapshot it carries.
	Notify string
	Object any // one of the merchant-visible objects (objects.go)
}
