package checkout

import "time"

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
