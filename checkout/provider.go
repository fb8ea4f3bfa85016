package checkout

import (
	"context"
	"errors"
	"net/url"
)

// Provider is the contract every payment provider adapter implements.
//
// Pay starts a payment; Continue carries it on after the shopper's browser
// did what an Action asked (device data collection, a challenge, a
// redirect); Inquire asks the provider for the current state of a payment
// whose outcome is unknown.
//
// A decline is an Outcome with StatusFailed, not an error. An error means the
// outcome is unknown (timeout, 5xx, malformed or unverifiable answer): the
// Service records the payment as pending and resolves it with Inquire, never
// guessing failure or success.
type Provider interface {
	Name() string
	Capabilities() Capabilities
	Pay(ctx context.Context, req PayRequest) (Outcome, error)
	Continue(ctx context.Context, p Payment, c Continuation) (Outcome, error)
	Inquire(ctx context.Context, p Payment) (Outcome, error)
}

// Capabilities tells the Service which sessions a provider can serve.
type Capabilities struct {
	Methods       []PaymentMethod
	Currencies    []string // ISO codes; empty means any
	ManualCapture bool
}

// Supports reports whether the provider can take method.
func (c Capabilities) Supports(m PaymentMethod) bool {
	for _, x := range c.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// SupportsCurrency reports whether the provider accepts the currency.
func (c Capabilities) SupportsCurrency(code string) bool {
	if len(c.Currencies) == 0 {
		return true
	}
	for _, x := range c.Currencies {
		if x == code {
			return true
		}
	}
	return false
}

// PayRequest is everything a provider may need to start a payment. Card is
// set for card payments only and must not outlive the call.
type PayRequest struct {
	PaymentID         string // our payment id
	IdempotencyKey    string // derived from PaymentID; send it on every money-moving call
	SessionID         string
	MerchantReference string
	Description       string
	Amount            Money
	LineItems         []LineItem
	Customer          Customer
	Locale            string
	Method            PaymentMethod
	Card              *CardInput
	SavedCard         *SavedCardCharge // set for Method saved_card
	Browser           BrowserInfo
	ThreeDS           ThreeDSPreference
	CaptureMode       CaptureMode
	ChallengeWindow   WindowSize
	ReturnURL         string // where the provider sends the shopper's browser back
	NotifyURL         string // where the provider posts notifications
	OriginURL         string // our public origin, for providers that want the merchant domain
}

// SavedCardCharge says which saved card pays and how.
type SavedCardCharge struct {
	Customer string // the provider-side customer key (CustomerKey)
	CardID   string // the provider's token id
	// SetupRecurring asks the provider to allow later merchant-initiated
	// charges of this card (the first payment of a subscription).
	SetupRecurring bool
	// ParentProviderRef, when set, makes this a merchant-initiated recurring
	// charge following that earlier payment (the provider's id for it).
	ParentProviderRef string
}

// OutcomeStatus is what a provider call concluded.
type OutcomeStatus string

// Outcome statuses.
const (
	OutcomeSucceeded      OutcomeStatus = "succeeded"       // money taken
	OutcomeAuthorized     OutcomeStatus = "authorized"      // money reserved, capture later
	OutcomeFailed         OutcomeStatus = "failed"          // definitive: declined or authentication failed; Decline says why
	OutcomePending        OutcomeStatus = "pending"         // accepted, final state not known yet
	OutcomeActionRequired OutcomeStatus = "requires_action" // the browser must perform Action
	OutcomeCanceled       OutcomeStatus = "canceled"        // an authorization was voided (Cancel, notifications)
	OutcomeRefunded       OutcomeStatus = "refunded"        // the whole amount went back (notifications)
)

// Outcome is a provider's answer.
type Outcome struct {
	Status         OutcomeStatus
	ProviderRef    string
	ProviderData   map[string]string // merged into the payment's provider state
	Action         *Action
	ThreeDS        *ThreeDSResult
	Decline        *Decline
	Card           *CardDetails // what the provider reports about the card, if anything
	ShopperMessage string       // provider text meant for the shopper
}

// ActionKind is something the shopper's browser must do.
type ActionKind string

// Action kinds the pages render.
const (
	ActionDeviceDataCollection ActionKind = "device_data_collection" // hidden iframe POSTs Bin + JWT to URL; SessionId comes back by postMessage
	ActionChallenge            ActionKind = "challenge"              // visible iframe POSTs JWT (+ MD) to URL
	ActionRedirect             ActionKind = "redirect"               // top-level GET of URL
	ActionRedirectForm         ActionKind = "redirect_form"          // top-level form submission of Fields to URL with Method
)

// Action is what the browser must do before the payment can continue.
type Action struct {
	Kind   ActionKind  `json:"kind"`
	URL    string      `json:"url"`
	Method string      `json:"method,omitempty"`
	JWT    string      `json:"jwt,omitempty"`
	BIN    string      `json:"bin,omitempty"`
	MD     string      `json:"md,omitempty"`
	Width  int         `json:"width,omitempty"`
	Height int         `json:"height,omitempty"`
	Fields []FormField `json:"fields,omitempty"`
}

// FormField is one name/value pair of a redirect form, in order.
type FormField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Origin is the scheme://host[:port] of the action's URL, the only origin
// whose messages and frames the page may trust for this step.
func (a *Action) Origin() string {
	u, err := url.Parse(a.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ContinuationKind names what the browser came back from.
type ContinuationKind string

// Continuation kinds.
const (
	ContinueDeviceData ContinuationKind = "device_data"      // device data collection finished or timed out
	ContinueChallenge  ContinuationKind = "challenge_return" // the challenge iframe posted back
	ContinueRedirect   ContinuationKind = "redirect_return"  // the shopper came back from a redirect
)

// Continuation is what the browser brought back. Values are untrusted: a
// provider uses them only as a trigger and a binding check, then confirms
// the result server-to-server.
type Continuation struct {
	Kind   ContinuationKind
	Values url.Values
	// TimedOut, for device data, is the page's word that collection ended
	// without the collector's answer (the 10 s passed, or no script ran):
	// the timeline says device_data.timed_out rather than completed.
	TimedOut bool
}

// Expects reports which continuation an action leads to.
func (a *Action) Expects() ContinuationKind {
	switch a.Kind {
	case ActionDeviceDataCollection:
		return ContinueDeviceData
	case ActionChallenge:
		return ContinueChallenge
	}
	return ContinueRedirect
}

// TransportReason describes the transport failure of a provider call
// without the request URL (which an *url.Error would print), for error
// text and logs.
func TransportReason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer in time"
		}
		err = ue.Err
	}
	return err.Error()
}
