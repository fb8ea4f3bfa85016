// Package qa holds the sandbox scenario catalogue: per provider, every test
// card, cardholder name, amount and wallet action that gives a documented
// outcome in the built-in sandboxes, so a QA suite can iterate over it. The
// catalogue is the JSON file scenarios.json beside this file (QA suites in
// any language read it, or GET /sandbox/scenarios from a running server);
// this package embeds it and gives it Go types. The Playwright kits in
// qa/playwright (JavaScript) and qa/checkoutqa (Go) play its entries, and
// the e2e suite checks that every entry behaves as listed.
package qa

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed scenarios.json
var raw []byte

// JSON returns the catalogue file as it is in the repository.
func JSON() []byte { return bytes.Clone(raw) }

// Catalogue is scenarios.json.
type Catalogue struct {
	Object string `json:"object"` // "scenario_catalogue"
	// Version changes when the format changes incompatibly.
	Version int `json:"version"`
	// ChallengeCode passes every sandbox challenge; any other code fails
	// authentication.
	ChallengeCode string     `json:"challenge_code"`
	Providers     []Provider `json:"providers"`
}

// Provider is one provider's sandbox.
type Provider struct {
	Provider string `json:"provider"` // payorder, worldline, antom, alipayplus, bbmsl
	// Method is what a session created for these scenarios offers: card,
	// wallet or saved_card.
	Method string `json:"method"`
	// Currency is a currency the sandbox accepts; scenario amounts are in
	// its minor units.
	Currency string `json:"currency"`
	// Challenge is where this provider's 3-D Secure challenge appears:
	// "iframe" (inside the page's challenge-frame), "window" (the whole
	// window goes to the provider's page) or "" (no challenge).
	Challenge string `json:"challenge,omitempty"`
	// Notes say what the scenarios share (any future expiry, ...).
	Notes     string           `json:"notes,omitempty"`
	Scenarios []Scenario       `json:"scenarios"`
	Refunds   []RefundScenario `json:"refunds,omitempty"`
}

// Scenario is one way to pay and what comes of it.
type Scenario struct {
	// ID is stable and unique in the catalogue: "<provider>/<slug>".
	ID          string `json:"id"`
	Description string `json:"description"`
	// Amount is the session's amount in minor units of the provider's
	// currency.
	Amount int64 `json:"amount"`
	// Card is the card typed (method card on our page; method saved_card on
	// the provider's add-card page, then paid with once saved).
	Card *Card `json:"card,omitempty"`
	// ChallengeCode answers the challenge, when the scenario shows one.
	ChallengeCode string `json:"challenge_code,omitempty"`
	// WalletAction is what the shopper does in the wallet's cashier:
	// approve, decline or cancel.
	WalletAction string `json:"wallet_action,omitempty"`
	// ThreeDS and CaptureMode are session parameters the scenario needs
	// (the API's three_ds and capture_mode); "" means the default.
	ThreeDS     string  `json:"three_ds,omitempty"`
	CaptureMode string  `json:"capture_mode,omitempty"`
	Outcome     Outcome `json:"outcome"`
}

// Card is a test card and how it is typed.
type Card struct {
	Number string `json:"number"` // digits only
	CVC    string `json:"cvc"`
	Name   string `json:"name"` // cardholder name; some names are scenarios ("REFUSED")
}

// Outcome is what a scenario ends in.
type Outcome struct {
	// Status is the result page's data-status (result-status): succeeded,
	// authorized, failed, pending, canceled; "" when the scenario reaches
	// no result page (a card the add-card page does not save: the shopper
	// is back on the hosted page, with saved-cards-notice).
	Status string `json:"status"`
	// PaymentStatus is the merchant API's payment.status; "" when the
	// scenario makes no payment (a card the add-card page does not save).
	PaymentStatus string `json:"payment_status,omitempty"`
	// DeclineCode is payment.decline.code when the payment failed.
	DeclineCode string `json:"decline_code,omitempty"`
	// ThreeDS is payment.three_ds.flow (frictionless, challenge) when the
	// provider reports a 3-D Secure result; "" when it reports none.
	ThreeDS string `json:"three_ds,omitempty"`
	// ECI and LiabilityShift are payment.three_ds.eci and
	// .liability_shift, when reported.
	ECI            string `json:"eci,omitempty"`
	LiabilityShift *bool  `json:"liability_shift,omitempty"`
	// CardSaved says, for saved_card scenarios, whether the provider's
	// add-card page saves the card (when it does not, nothing is paid).
	CardSaved *bool `json:"card_saved,omitempty"`
}

// RefundScenario is a refund amount with a documented outcome, refunded
// from a payment made with the provider's first succeeding scenario.
type RefundScenario struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Amount      int64  `json:"amount"` // the refund's amount, minor units
	// Held says the refund is first pending (held in process) before it
	// becomes final.
	Held bool `json:"held,omitempty"`
	// Status is the refund's final status: succeeded or failed.
	Status string `json:"status"`
}

// Load decodes the embedded catalogue.
func Load() (Catalogue, error) {
	var c Catalogue
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Catalogue{}, fmt.Errorf("qa/scenarios.json: %w", err)
	}
	return c, nil
}

// Find returns one provider's entry.
func (c Catalogue) Find(provider string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.Provider == provider {
			return p, true
		}
	}
	return Provider{}, false
}
