package checkout

import (
	"encoding/json"
	"time"
)

// The merchant-visible objects: one type each, used by the merchant API's
// answers and by the webhooks alike, so that a webhook's data is what the
// API answers for the same object at the same version. None of them holds
// card data beyond brand, last 4 and expiry.
//
// The list object (ListObject) and the event object (EventObject) of the
// merchant API's lists are in lists.go.

// SessionObject is a checkout session as the merchant sees it.
type SessionObject struct {
	ID                string                   `json:"id"`
	Object            string                   `json:"object"`
	Livemode          bool                     `json:"livemode"`
	URL               string                   `json:"url"`
	Status            SessionStatus            `json:"status"`
	PaymentStatus     string                   `json:"payment_status"`
	Amount            int64                    `json:"amount"`
	Currency          string                   `json:"currency"`
	MerchantReference string                   `json:"merchant_reference"`
	LineItems         []LineItem               `json:"line_items"`
	Customer          Customer                 `json:"customer"`
	Locale            string                   `json:"locale"`
	SuccessURL        string                   `json:"success_url"`
	CancelURL         string                   `json:"cancel_url"`
	PaymentMethods    []PaymentMethod          `json:"payment_methods"`
	Provider          string                   `json:"provider"`
	Routes            map[PaymentMethod]string `json:"routes"`
	CaptureMode       CaptureMode              `json:"capture_mode"`
	ThreeDS           ThreeDSPreference        `json:"three_ds"`
	SetupRecurring    bool                     `json:"setup_recurring"`
	Metadata          map[string]string        `json:"metadata"`
	ExpiresAt         int64                    `json:"expires_at"`
	CreatedAt         int64                    `json:"created_at"`
	Attempts          int                      `json:"attempts"`
	// Payment is the latest attempt (without its refunds), or null.
	Payment *PaymentObject `json:"payment"`
}

// PaymentObject is a payment attempt as the merchant sees it.
type PaymentObject struct {
	ID             string        `json:"id"`
	Object         string        `json:"object"`
	Livemode       bool          `json:"livemode"`
	SessionID      string        `json:"session_id"`
	Provider       string        `json:"provider"`
	Status         PaymentStatus `json:"status"`
	Amount         int64         `json:"amount"`
	AmountRefunded int64         `json:"amount_refunded"`
	// AmountRefundPending is reserved by refunds the provider has not
	// confirmed yet; it is not refunded.
	AmountRefundPending int64          `json:"amount_refund_pending"`
	Currency            string         `json:"currency"`
	CaptureMode         CaptureMode    `json:"capture_mode"`
	Method              PaymentMethod  `json:"method"`
	SavedCardID         string         `json:"saved_card,omitempty"`
	Card                *CardObject    `json:"card"`
	ThreeDS             *ThreeDSObject `json:"three_ds"`
	Decline             *Decline       `json:"decline"`
	CreatedAt           int64          `json:"created_at"`
	// Refunds lists the payment's refunds, oldest first, where the payment
	// stands on its own (the API's payment, payment webhooks); a session's
	// latest payment leaves them out.
	Refunds []RefundObject `json:"refunds,omitzero"`
}

// CardObject is what a payment shows of its card.
type CardObject struct {
	Brand    CardBrand `json:"brand"`
	Last4    string    `json:"last4"`
	ExpMonth int       `json:"exp_month"`
	ExpYear  int       `json:"exp_year"`
}

// ThreeDSObject is the outcome of 3-D Secure on a payment.
type ThreeDSObject struct {
	Version                    string `json:"version"`
	ECI                        string `json:"eci"`
	Flow                       string `json:"flow"`
	Status                     string `json:"status"`
	AuthenticationValuePresent bool   `json:"authentication_value_present"`
	LiabilityShift             bool   `json:"liability_shift"`
	TransactionID              string `json:"transaction_id"`
}

// RefundObject is a refund as the merchant sees it.
type RefundObject struct {
	ID          string       `json:"id"`
	Object      string       `json:"object"`
	Livemode    bool         `json:"livemode"`
	PaymentID   string       `json:"payment_id"`
	SessionID   string       `json:"session_id"`
	Status      RefundStatus `json:"status"`
	Amount      int64        `json:"amount"`
	Currency    string       `json:"currency"`
	FailureCode string       `json:"failure_code,omitempty"` // the provider's reason, when it refused
	RetryOf     string       `json:"retry_of,omitempty"`     // the failed refund this one retries
	CreatedAt   int64        `json:"created_at"`
}

// NewSessionObject is s with its payments (oldest first) as the merchant
// sees it. url is where the shopper pays; locale is the locale its pages
// render in (see Service.PageLocale).
func NewSessionObject(s *Session, pays []*Payment, url, locale string) SessionObject {
	v := SessionObject{
		ID: s.ID, Object: "checkout.session", Livemode: s.Livemode, URL: url, Status: s.Status,
		PaymentStatus: SessionPaymentStatus(pays), Amount: s.Amount.Amount, Currency: s.Amount.Currency,
		MerchantReference: s.MerchantReference, LineItems: s.LineItems, Customer: s.Customer, Locale: locale,
		SuccessURL: s.SuccessURL, CancelURL: s.CancelURL, PaymentMethods: s.PaymentMethods, Provider: s.Provider,
		CaptureMode: s.CaptureMode, ThreeDS: s.ThreeDS, SetupRecurring: s.SetupRecurring, Metadata: s.Metadata,
		ExpiresAt: s.ExpiresAt.Unix(), CreatedAt: s.CreatedAt.Unix(), Attempts: len(pays),
		Routes: map[PaymentMethod]string{},
	}
	for _, m := range s.PaymentMethods {
		v.Routes[m] = s.ProviderFor(m)
	}
	if v.LineItems == nil {
		v.LineItems = []LineItem{}
	}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if len(pays) > 0 {
		p := NewPaymentObject(pays[len(pays)-1], nil)
		v.Payment = &p
	}
	return v
}

// SessionPaymentStatus summarises a session's payments for the merchant:
// unpaid, authorized, paid, pending or failed.
func SessionPaymentStatus(pays []*Payment) string {
	if len(pays) == 0 {
		return "unpaid"
	}
	switch p := pays[len(pays)-1]; {
	case p.Status == PaymentAuthorized:
		return "authorized"
	case p.Status.Paid():
		return "paid"
	case p.Status == PaymentProcessing, p.Status == PaymentPending:
		return "pending"
	case p.Status == PaymentFailed:
		return "failed"
	}
	return "unpaid"
}

// NewPaymentObject is p as the merchant sees it. refunds, when not nil,
// are its refunds (listed even when there are none).
func NewPaymentObject(p *Payment, refunds []*Refund) PaymentObject {
	v := PaymentObject{ID: p.ID, Object: "payment", Livemode: p.Livemode, SessionID: p.SessionID, Provider: p.Provider, Status: p.Status,
		Method: p.Method, SavedCardID: p.SavedCardID, Amount: p.Amount.Amount, AmountRefunded: p.AmountRefunded,
		AmountRefundPending: p.AmountRefundPending, Currency: p.Amount.Currency, CaptureMode: p.CaptureMode,
		Decline: p.Decline, CreatedAt: p.CreatedAt.Unix()}
	if p.Card != nil {
		v.Card = &CardObject{Brand: p.Card.Brand, Last4: p.Card.Last4, ExpMonth: p.Card.ExpMonth, ExpYear: p.Card.ExpYear}
	}
	if t := p.ThreeDS; t != nil {
		v.ThreeDS = &ThreeDSObject{Version: t.Version, ECI: t.ECI, Flow: t.Flow, Status: t.Status,
			AuthenticationValuePresent: t.AuthenticationValuePresent, LiabilityShift: t.LiabilityShift(), TransactionID: t.TransactionID}
	}
	if refunds != nil {
		v.Refunds = make([]RefundObject, 0, len(refunds))
		for _, r := range refunds {
			v.Refunds = append(v.Refunds, NewRefundObject(r))
		}
	}
	return v
}

// NewRefundObject is r as the merchant sees it.
func NewRefundObject(r *Refund) RefundObject {
	v := RefundObject{ID: r.ID, Object: "refund", Livemode: r.Livemode, PaymentID: r.PaymentID, SessionID: r.SessionID, Status: r.Status,
		Amount: r.Amount.Amount, Currency: r.Amount.Currency, RetryOf: r.RetryOf, CreatedAt: r.CreatedAt.Unix()}
	if r.Status == RefundFailed {
		v.FailureCode = r.ProviderCode
	}
	return v
}

// SessionObject is s with its payments as the merchant sees it.
func (s *Service) SessionObject(sess *Session, pays []*Payment) SessionObject {
	locale := sess.Locale
	if s.PageLocale != nil {
		locale = s.PageLocale(sess.Locale)
	}
	url := ""
	if s.Links != nil {
		url = s.Links.SessionURL(sess.ID)
	}
	return NewSessionObject(sess, pays, url, locale)
}

// SavedCardObject is a card a customer saved with a provider.
type SavedCardObject struct {
	ID       string    `json:"id"`
	Object   string    `json:"object"`
	Livemode bool      `json:"livemode"`
	Provider string    `json:"provider"`
	Brand    CardBrand `json:"brand"`
	Last4    string    `json:"last4"`
	ExpMonth int       `json:"exp_month"`
	ExpYear  int       `json:"exp_year"`
}

// NewSavedCardObject is sc, kept by provider, as the merchant sees it.
func NewSavedCardObject(sc SavedCard, provider string, live bool) SavedCardObject {
	return SavedCardObject{ID: sc.ID, Object: "saved_card", Livemode: live, Provider: provider, Brand: sc.Card.Brand,
		Last4: sc.Card.Last4, ExpMonth: sc.Card.ExpMonth, ExpYear: sc.Card.ExpYear}
}

// WebhookEndpointObject is a webhook endpoint as the merchant sees it.
type WebhookEndpointObject struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Livemode bool   `json:"livemode"`
	URL      string `json:"url"`
	Secret   string `json:"secret,omitempty"` // only when created or rotated
	Enabled  bool   `json:"enabled"`
	// The event types it receives; ["*"] is all of them.
	EnabledEvents []string `json:"enabled_events"`
	CreatedAt     int64    `json:"created_at"`
	// While a rotated-out secret still signs, until when.
	PreviousSecretExpiresAt int64 `json:"previous_secret_expires_at,omitempty"`
}

// NewWebhookEndpointObject shows e without its secrets, as of now.
func NewWebhookEndpointObject(e *WebhookEndpoint, live bool, now time.Time) WebhookEndpointObject {
	v := WebhookEndpointObject{ID: e.ID, Object: "webhook_endpoint", Livemode: live, URL: e.URL, Enabled: e.Enabled,
		EnabledEvents: e.EnabledEvents, CreatedAt: e.CreatedAt.Unix()}
	if len(v.EnabledEvents) == 0 {
		v.EnabledEvents = []string{"*"}
	}
	if e.PreviousSecret != "" && e.PreviousSecretExpiresAt.After(now) {
		v.PreviousSecretExpiresAt = e.PreviousSecretExpiresAt.Unix()
	}
	return v
}

// WebhookDeliveryObject is one webhook's delivery to one endpoint, with
// its attempts.
type WebhookDeliveryObject struct {
	ID            string                 `json:"id"`
	Object        string                 `json:"object"`
	Livemode      bool                   `json:"livemode"`
	WebhookID     string                 `json:"webhook_id"`
	EndpointID    string                 `json:"endpoint_id"`
	Type          string                 `json:"type"`
	Status        string                 `json:"status"`
	Attempts      []WebhookAttemptObject `json:"attempts"`
	NextAttemptAt int64                  `json:"next_attempt_at,omitempty"`
	CreatedAt     int64                  `json:"created_at"`
}

// WebhookAttemptObject is one attempt of a delivery.
type WebhookAttemptObject struct {
	Number     int    `json:"number"`
	Status     int    `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	At         int64  `json:"at"`
}

// NewWebhookDeliveryObject is d with its attempts as the merchant sees it.
func NewWebhookDeliveryObject(d *WebhookDelivery, attempts []WebhookAttempt, live bool) WebhookDeliveryObject {
	v := WebhookDeliveryObject{ID: d.ID, Object: "webhook_delivery", Livemode: live, WebhookID: d.MessageID, EndpointID: d.EndpointID,
		Type: d.Type, Status: d.Status, Attempts: []WebhookAttemptObject{}, CreatedAt: d.CreatedAt.Unix()}
	if d.Status == DeliveryPending {
		v.NextAttemptAt = d.NextAttemptAt.Unix()
	}
	for _, a := range attempts {
		v.Attempts = append(v.Attempts, WebhookAttemptObject{Number: a.Number, Status: a.Status, Error: a.Error,
			DurationMS: a.DurationMS, At: a.At.Unix()})
	}
	return v
}

// MerchantObject is the calling merchant as it sees itself (GET and PATCH
// /v1/merchant, merchant.updated webhooks). It never carries a key, a
// key's hash or any other secret.
type MerchantObject struct {
	ID          string         `json:"id"`
	Object      string         `json:"object"`
	Name        string         `json:"name"`
	DisplayName string         `json:"display_name"`
	Branding    BrandingObject `json:"branding"`
	// ReturnOrigins are where shoppers may be sent back to; EmbedOrigins
	// may frame the checkout.
	ReturnOrigins   []string `json:"return_origins"`
	EmbedOrigins    []string `json:"embed_origins"`
	DefaultProvider string   `json:"default_provider"`
	SupportEmail    string   `json:"support_email"`
	SupportURL      string   `json:"support_url"`
	CreatedAt       int64    `json:"created_at"`
	Livemode        bool     `json:"livemode"`
}

// BrandingObject is how a merchant's pages look: its accent colour
// ("#rrggbb", or "" for the checkout's own) and its logo, or null.
type BrandingObject struct {
	AccentColor string      `json:"accent_color"`
	Logo        *LogoObject `json:"logo"`
}

// LogoObject is a merchant's logo: where it is served (its URL names its
// content, so a new logo has a new URL) and what it is.
type LogoObject struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	SHA256      string `json:"sha256"`
}

// NewMerchantObject is m as the merchant sees it; logoURL is its logo's
// public URL.
func NewMerchantObject(m *Merchant, logoURL string) MerchantObject {
	v := MerchantObject{ID: m.ID, Object: "merchant", Name: m.Name, DisplayName: m.DisplayName,
		Branding: BrandingObject{AccentColor: m.BrandColor}, ReturnOrigins: m.ReturnOrigins, EmbedOrigins: m.EmbedOrigins,
		DefaultProvider: m.DefaultProvider, SupportEmail: m.SupportEmail, SupportURL: m.SupportURL,
		CreatedAt: m.CreatedAt.Unix(), Livemode: m.Live}
	if v.ReturnOrigins == nil {
		v.ReturnOrigins = []string{}
	}
	if v.EmbedOrigins == nil {
		v.EmbedOrigins = []string{}
	}
	if l := m.Logo; l != nil {
		v.Branding.Logo = &LogoObject{URL: logoURL, ContentType: l.ContentType, Width: l.Width, Height: l.Height, SHA256: l.SHA256}
	}
	return v
}

// APIKeyObject is a secret key just made by a rotation: Secret is shown in
// the rotation's answer only (never in an event or a webhook), and the key
// it replaced works until PreviousExpiresAt.
type APIKeyObject struct {
	Object            string `json:"object"`
	Secret            string `json:"secret,omitempty"`
	Livemode          bool   `json:"livemode"`
	CreatedAt         int64  `json:"created_at"`
	PreviousExpiresAt int64  `json:"previous_expires_at"`
}

// NewAPIKeyObject is a rotated key as the merchant sees it, with its secret.
func NewAPIKeyObject(r *RotatedKey) APIKeyObject {
	return APIKeyObject{Object: "api_key", Secret: r.Secret, Livemode: r.Live, CreatedAt: r.CreatedAt.Unix(),
		PreviousExpiresAt: r.PreviousExpiresAt.Unix()}
}

// ReturnSecretObject is a merchant's new return secret, in the answer of
// its rotation: the only time it is shown.
type ReturnSecretObject struct {
	Object   string `json:"object"`
	Livemode bool   `json:"livemode"`
	Secret   string `json:"secret"`
	// PreviousExpiresAt is when the replaced secret stops signing (Unix
	// seconds); null when there was none.
	PreviousExpiresAt *int64 `json:"previous_expires_at"`
}

// NewReturnSecretObject is m's current return secret as its rotation
// answers it.
func NewReturnSecretObject(m *Merchant) ReturnSecretObject {
	v := ReturnSecretObject{Object: "return_secret", Livemode: m.Live, Secret: m.ReturnSecret}
	if m.PreviousReturnSecret != "" {
		at := m.PreviousReturnSecretExpiresAt.Unix()
		v.PreviousExpiresAt = &at
	}
	return v
}

// TimelinePage is one page of a session's timeline
// (GET /v1/checkout/sessions/{id}/timeline), oldest step first.
type TimelinePage struct {
	Object  string          `json:"object"` // "list"
	Data    []TimelineEvent `json:"data"`
	HasMore bool            `json:"has_more"`
	URL     string          `json:"url"`
}

// TimelineKind names a step of a session's timeline; TimelineKinds is the
// closed list.
type TimelineKind string

// The timeline's kinds, in the order a payment usually meets them.
const (
	TimelineSessionCreated        TimelineKind = "session.created"
	TimelinePageViewed            TimelineKind = "page.viewed"
	TimelineSavedCardAddStarted   TimelineKind = "saved_card.add_started"
	TimelinePaymentSubmitted      TimelineKind = "payment.submitted"
	TimelineProviderCall          TimelineKind = "provider.call"
	TimelinePaymentStatusChanged  TimelineKind = "payment.status_changed"
	TimelineDeviceDataStarted     TimelineKind = "device_data.started"
	TimelineDeviceDataCompleted   TimelineKind = "device_data.completed"
	TimelineDeviceDataTimedOut    TimelineKind = "device_data.timed_out"
	TimelineChallengeShown        TimelineKind = "challenge.shown"
	TimelineChallengeReturned     TimelineKind = "challenge.returned"
	TimelineRedirectLeft          TimelineKind = "redirect.left"
	TimelineRedirectReturned      TimelineKind = "redirect.returned"
	TimelineReturnRejected        TimelineKind = "return.rejected"
	TimelineNotificationReceived  TimelineKind = "notification.received"
	TimelineReconciliationInquiry TimelineKind = "reconciliation.inquiry"
	TimelineRefundCreated         TimelineKind = "refund.created"
	TimelineRefundUpdated         TimelineKind = "refund.updated"
	TimelineSessionCompleted      TimelineKind = "session.completed"
	TimelineSessionExpired        TimelineKind = "session.expired"
	TimelineWebhookSent           TimelineKind = "webhook.sent"
)

// TimelineKinds is every kind a timeline entry may have.
var TimelineKinds = []TimelineKind{
	TimelineSessionCreated, TimelinePageViewed, TimelineSavedCardAddStarted, TimelinePaymentSubmitted,
	TimelineProviderCall, TimelinePaymentStatusChanged, TimelineDeviceDataStarted, TimelineDeviceDataCompleted,
	TimelineDeviceDataTimedOut, TimelineChallengeShown, TimelineChallengeReturned, TimelineRedirectLeft,
	TimelineRedirectReturned, TimelineReturnRejected, TimelineNotificationReceived, TimelineReconciliationInquiry,
	TimelineRefundCreated, TimelineRefundUpdated, TimelineSessionCompleted, TimelineSessionExpired, TimelineWebhookSent,
}

// TimelineEvent is one step of a checkout session as the merchant sees it:
// what happened (Kind), when, to which payment, and the fields of its kind
// (Step: one of the *Step types below, nil for the kinds that carry none),
// written beside the common fields in one JSON object. It never holds more
// of a card than its brand and last 4, nor a key, a security code or a
// provider's own answer.
type TimelineEvent struct {
	ID       string       `json:"id"`
	Object   string       `json:"object"`   // "timeline_event"
	Livemode bool         `json:"livemode"` // its session's mode
	Kind     TimelineKind `json:"kind"`
	At       string       `json:"at"` // RFC 3339, UTC, with milliseconds
	// Payment is the payment attempt the step belongs to, or null.
	Payment *string `json:"payment"`
	// DurationMS is how long the step took, where it has a length: a
	// provider call's latency; for device_data.completed or timed_out,
	// challenge.returned and redirect.returned, the time since the page
	// reported the step's start (when that is on the same page).
	DurationMS *int64       `json:"duration_ms,omitempty"`
	Step       TimelineStep `json:"-"`
}

// MarshalJSON writes the common fields and then Step's, as one object.
func (e TimelineEvent) MarshalJSON() ([]byte, error) {
	type common TimelineEvent // without this method
	head, err := json.Marshal(common(e))
	if err != nil || e.Step == nil {
		return head, err
	}
	body, err := json.Marshal(e.Step)
	if err != nil {
		return nil, err
	}
	if len(body) <= 2 { // {}
		return head, nil
	}
	return append(append(head[:len(head)-1], ','), body[1:]...), nil
}

// TimelineStep is the fields of one kind of timeline entry: only the types
// below are.
type TimelineStep interface{ timelineStep() }

// SessionCreatedStep is a session.created entry.
type SessionCreatedStep struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Provider string `json:"provider"`
	// RecurringParentPayment is the payment a merchant-initiated charge
	// follows; null for a session a shopper pays.
	RecurringParentPayment *string `json:"recurring_parent_payment"`
}

// PaymentSubmittedStep is a payment.submitted entry: the shopper's submit
// (or the merchant's recurring charge) that made a payment attempt.
type PaymentSubmittedStep struct {
	Attempt  int           `json:"attempt"`
	Method   PaymentMethod `json:"method"`
	Provider string        `json:"provider"`
	Card     *TimelineCard `json:"card"` // null for a wallet
}

// TimelineCard is all a timeline shows of a card.
type TimelineCard struct {
	Brand CardBrand `json:"brand"`
	Last4 string    `json:"last4"`
}

// ReturnedStep is a challenge.returned or redirect.returned entry: the
// shopper's browser back from the provider's page.
type ReturnedStep struct {
	// Late says the browser came back after the payment had moved on (a
	// notification or an inquiry settled it first): nothing was checked
	// or done then.
	Late bool `json:"late"`
}

// ReturnRejectedStep is a return.rejected entry: a browser return that did
// not belong to the payment (a forged or stale one), refused and changing
// nothing. At most MaxRejectedReturnEvents an hour per payment are kept.
type ReturnRejectedStep struct {
	Step   string `json:"step"` // device_data, challenge or redirect
	Reason string `json:"reason"`
}

// ProviderCallStep is a provider.call entry: one call to the provider
// about the payment (pay, continue, capture, cancel) or one of its refunds
// (refund, refund_again), with its latency in DurationMS.
type ProviderCallStep struct {
	Provider  string `json:"provider"`
	Operation string `json:"operation"`
	// Outcome is what the provider answered (succeeded, authorized,
	// failed, pending, requires_action, canceled, refunded); null when no
	// usable answer came, and Error says why, in one word of
	// ProviderErrorClasses.
	Outcome *string `json:"outcome"`
	Error   *string `json:"error"`
	// NextAction is the step the answer asked of the shopper's browser
	// (device_data_collection, challenge, redirect, redirect_form).
	NextAction  *string `json:"next_action"`
	DeclineCode *string `json:"decline_code"`
	Refund      *string `json:"refund"`
	// Actor is the dashboard user who asked for the call (a capture or a
	// cancel, or a refund, made in the dashboard); null otherwise.
	Actor *TimelineActor `json:"actor"`
}

// InquiryStep is a reconciliation.inquiry entry: the provider asked about
// a payment (inquire) or a refund (inquire_refund) whose outcome was not
// known, with its latency in DurationMS.
type InquiryStep struct {
	Provider  string  `json:"provider"`
	Operation string  `json:"operation"`
	Outcome   *string `json:"outcome"`
	Error     *string `json:"error"`
	// Settled is the status the answer moved the payment (or the refund)
	// to; null when it changed nothing.
	Settled *string `json:"settled"`
	Refund  *string `json:"refund"`
}

// NotificationStep is a notification.received entry: a verified
// notification the provider pushed about the payment or a refund.
type NotificationStep struct {
	Provider  string  `json:"provider"`
	EventType string  `json:"event_type"` // the provider's name for it
	Outcome   *string `json:"outcome"`
	// Effect is what we did with it: applied (a final outcome recorded),
	// inquiry (a trigger: the provider was asked, see the
	// reconciliation.inquiry that follows), none (nothing left to do), or
	// ignored (its amount or currency differed).
	Effect string `json:"effect"`
	// Changed says whether it moved the payment or the refund, itself or
	// through the inquiry it triggered.
	Changed bool    `json:"changed"`
	Refund  *string `json:"refund"`
}

// StatusChangeStep is a payment.status_changed entry.
type StatusChangeStep struct {
	From        PaymentStatus `json:"from"`
	To          PaymentStatus `json:"to"`
	Reason      string        `json:"reason"`
	DeclineCode *string       `json:"decline_code"`
}

// RefundCreatedStep is a refund.created entry: a refund asked for, its
// amount reserved.
type RefundCreatedStep struct {
	Refund   string  `json:"refund"`
	Amount   int64   `json:"amount"`
	Currency string  `json:"currency"`
	RetryOf  *string `json:"retry_of"`
	// Actor is the dashboard user who asked for the refund; null for one
	// asked through the merchant API.
	Actor *TimelineActor `json:"actor"`
}

// RefundUpdatedStep is a refund.updated entry: a refund settled.
type RefundUpdatedStep struct {
	Refund string       `json:"refund"`
	Status RefundStatus `json:"status"`
}

// SessionCompletedStep is a session.completed entry.
type SessionCompletedStep struct {
	PaymentStatus string `json:"payment_status"`
}

// SessionExpiredStep is a session.expired entry.
type SessionExpiredStep struct {
	Reason string `json:"reason"`
}

// WebhookSentStep is a webhook.sent entry: a merchant webhook the step
// before it queued for one endpoint, with every delivery attempt so far.
type WebhookSentStep struct {
	Webhook   string                   `json:"webhook"` // its webhook-id
	EventType string                   `json:"event_type"`
	Endpoint  string                   `json:"endpoint"`
	Status    string                   `json:"status"` // pending, succeeded, failed or canceled
	Attempts  []TimelineWebhookAttempt `json:"attempts"`
}

// TimelineWebhookAttempt is one delivery attempt of a webhook.
type TimelineWebhookAttempt struct {
	Number     int     `json:"number"`
	HTTPStatus *int    `json:"http_status"` // null when no answer came
	DurationMS int64   `json:"duration_ms"`
	Error      *string `json:"error"` // a class of WebhookErrorClasses; null on success
	At         string  `json:"at"`
}

func (SessionCreatedStep) timelineStep()   {}
func (PaymentSubmittedStep) timelineStep() {}
func (ReturnRejectedStep) timelineStep()   {}
func (ReturnedStep) timelineStep()         {}
func (ProviderCallStep) timelineStep()     {}
func (InquiryStep) timelineStep()          {}
func (NotificationStep) timelineStep()     {}
func (StatusChangeStep) timelineStep()     {}
func (RefundCreatedStep) timelineStep()    {}
func (RefundUpdatedStep) timelineStep()    {}
func (SessionCompletedStep) timelineStep() {}
func (SessionExpiredStep) timelineStep()   {}
func (WebhookSentStep) timelineStep()      {}
