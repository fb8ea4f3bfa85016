// Package templates holds the templ components of every page and the view
// models they take. Components see view models only: no database rows, no
// provider types, no card numbers.
package templates

import "github.com/opencheckout/hostedcheckout/templates/i18n"

// Page is what every page's layout needs.
type Page struct {
	Title string
	// L is the page's resolved locale: its language, direction and
	// translator (nil is English). Templates never pick a language.
	L      *i18n.Locale
	Script string // asset name of the page's script, if any
	// Brand is the merchant's look (accent colour, logo, display name);
	// the zero Brand is ours.
	Brand Brand
	// Embedders are the origins that may frame this page (a session's
	// merchant's); when set, frame.js tells the parent page our height and
	// the payment's outcome by postMessage to those origins only.
	Embedders []string
	SessionID string
	// Inert makes the whole page a picture: nothing on it can be focused
	// or used (the dashboard's preview of the checkout page).
	Inert bool
}

// SummaryLine is one line item of the order summary.
type SummaryLine struct {
	Name     string
	Quantity int64
	Amount   string
}

// Summary is the order being paid.
type Summary struct {
	MerchantName string // the merchant's display name
	Brand        Brand
	Reference    string
	Total        string
	Lines        []SummaryLine
}

// CheckoutPage is the card form.
type CheckoutPage struct {
	Page
	SessionID    string
	Summary      Summary
	PayURL       string
	CancelURL    string
	Card         bool // the card form is offered
	Wallet       bool // "Pay with wallet" is offered
	WalletChosen bool // with both offered, the chooser starts on the wallet (its last submit came back with an error)
	SavedCards   []SavedCardOption
	CanSaveCards bool // the shopper may add (and remove) saved cards
	AddCardURL   string
	CardsNotice  string            // "Card added", or why saved cards are not shown
	Errors       map[string]string // field hook name -> translated message
	ErrorOrder   []string          // the fields with an error, in form order (the error summary)
	Banner       string            // a message for the whole form (a decline, an unavailable method)
	Expiry       string            // re-shown after an error; number and CVC never are
	Holder       string
	AttemptsLeft int // shown once an attempt has failed; 0 hides it
	PayLabel     string
	FormToken    string // this rendering's form token, bound to the session (every form posts it)
}

// SavedCardOption is one of the shopper's saved cards.
type SavedCardOption struct {
	ID        string
	Label     string // "Visa •••• 4242"
	Expiry    string // "12/30"
	Selected  bool   // the card just added
	PayURL    string
	RemoveURL string
}

// FormField is a hidden field of a provider form.
type FormField struct {
	Name, Value string
}

// ActionPage runs a provider step in the shopper's browser.
type ActionPage struct {
	Page
	Summary     Summary
	Kind        string // device_data_collection, challenge, redirect, redirect_form
	URL         string
	Origin      string // the provider origin the page trusts for messages
	Method      string
	JWT         string
	BIN         string
	MD          string
	Width       int
	Height      int
	Fields      []FormField
	ContinueURL string
	FormToken   string // for the device-data form (ContinueURL)
	StatusURL   string
	// StepURL is where the page's script reports the step it takes
	// (device data started, challenge shown, redirect left) for the
	// session's timeline, with FormToken.
	StepURL string
}

// ResultPage is the end (or the waiting room) of a checkout.
type ResultPage struct {
	Page
	Summary        Summary
	Status         string // succeeded, authorized, failed, pending, expired, canceled, complete
	Heading        string
	Message        string
	ShopperMessage string // text the provider asked us to show the cardholder
	Card           string
	PaymentID      string
	RetryURL       string
	ReturnURL      string
	CheckURL       string // pending: this page again ("Check again" without JavaScript)
}

// FrameReturnPage is rendered inside the challenge iframe when the provider
// sends the shopper back: it moves the page holding the iframe on.
type FrameReturnPage struct {
	Page
	StatusURL string
}

// ErrorPage explains a problem without internals.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}

// Product is an item of the demo shop.
type Product struct {
	ID    string
	Name  string
	Blurb string
	Price string
}

// DemoOrder is one of the visitor's orders in the demo shop.
type DemoOrder struct {
	SessionID      string
	Reference      string
	Total          string
	Status         string
	PaymentStatus  string
	Provider       string
	PaymentState   string // the payment's own status: authorized, captured, refunded...
	CanCapture     bool   // authorized: the shop may capture or cancel
	CanRefund      bool   // paid and not fully refunded
	CanChargeAgain bool   // paid with a saved card set up for recurring charges
}

// DemoEmbedPage is the demo shop's page with the checkout embedded.
type DemoEmbedPage struct {
	Page
	SessionURL string
	EmbedJS    string // our embed.js, as a merchant page would load it
	EmbedSRI   string // its Subresource Integrity value
}

// DemoOption is one choice of a demo shop select.
type DemoOption struct {
	Value, Label string
}

// DemoShopPage is the demo merchant's storefront.
type DemoShopPage struct {
	Page
	Products   []Product
	Orders     []DemoOrder
	Providers  []DemoOption
	Currencies []DemoOption
	Locales    []DemoOption
	Notice     string
	Error      string

	// Return is the signed return the shopper came back with, as the shop
	// verified it; nil when the page is not a return.
	Return *DemoReturn
}

// DemoReturn is a signed return the demo shop verified: the outcome it
// trusts without asking the API.
type DemoReturn struct {
	SessionID, Status, PaymentStatus string
	Age                              string // how long ago the checkout signed it
}
