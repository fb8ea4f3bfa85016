package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// cardinalCards are the Cardinal Commerce / Worldpay EMV 3DS test numbers
// (PROVIDERS.md 1.5), so that a script written for the real sandbox runs here.
var cardinalCards = map[string]testcards.Scenario{
	// Frictionless success, EMV 3DS 2.2.0: Visa, Mastercard, Amex, Discover, JCB.
	"4000000000002701": {},
	"5200000000002235": {},
	"340000000002708":  {},
	"6011000000002117": {},
	"3338000000000296": {},
	// Frictionless success, EMV 3DS 2.1.0: Visa, Mastercard.
	"4000000000001000": {},
	"5200000000001005": {},
	// Successful challenge: Visa, Mastercard.
	"4000000000002503": {Authentication: testcards.Challenged},
	"5200000000002151": {Authentication: testcards.Challenged},
	// Attempts processing (A).
	"4000000000002719": {Authentication: testcards.Attempted},
}

// refusedHolder is the cardholder name Worldpay's sandbox always refuses.
const refusedHolder = "REFUSED"

// threeDSVersion is the EMV 3DS version the simulated directory servers speak.
const threeDSVersion = "2.2.0"

// cardSession is what the sandbox keeps of a Checkout session: the test
// scenario and the displayable parts of the card, never its number or CVC.
type cardSession struct {
	cvcOnly bool
	card    cardFacts
	expires time.Time
}

type cardFacts struct {
	scenario testcards.Scenario
	brand    checkout.CardBrand
	bin      string
	last4    string
}

// order is one payment order and everything that happened to it.
type order struct {
	sn, linkID                   string
	payerID                      int64
	amount                       checkout.Money
	description, product, domain string
	skip3DS                      bool
	status                       string // a payorder.Outcome* word

	// Set by checkoutOrder.
	card   cardFacts
	holder string
	txRef  string

	ddcSessionID    string // issued by device data collection
	sentSessionID   string // what payOrder carried
	browserLanguage string // payOrder's browserLanguage: what the challenge would speak

	// Set by payOrder.
	returnURL, windowSize, preference string
	challenge                         *challengeState

	answer  orderAnswer // the decision, replayed by payOrder and verifyOrder
	charges int

	// waitingSince is when the order began its current wait for the
	// shopper or the merchant (created, checked out, device data
	// collected, challenge started, challenge answered); expired is set
	// when the wait ran past the action timeout (see expire).
	waitingSince time.Time
	expired      bool
}

// challengeState is one 3DS challenge.
type challengeState struct {
	reference     string // challenge.reference, for verifyOrder
	transactionID string // Cardinal's TransactionId, names the challenge on the ACS pages
	serverTransID string // EMV threeDSServerTransID
	acsTransID    string
	result        string // "" waiting for the shopper, "Y" passed, "N" failed
}

// orderAnswer is the data of payOrder, verifyOrder and queryOrder.
type orderAnswer struct {
	Outcome              string          `json:"outcome"`
	TransactionReference string          `json:"transactionReference,omitempty"`
	Authentication       *authentication `json:"authentication,omitempty"`
	Challenge            *challengeData  `json:"challenge,omitempty"`
	RefusalCode          string          `json:"refusalCode,omitempty"`
	RefusalDescription   string          `json:"refusalDescription,omitempty"`
}

type authentication struct {
	Version             string `json:"version"`
	AuthenticationValue string `json:"authenticationValue,omitempty"`
	ECI                 string `json:"eci,omitempty"`
	TransactionID       string `json:"transactionId,omitempty"`
}

type challengeData struct {
	Reference string `json:"reference"`
	URL       string `json:"url"`
	JWT       string `json:"jwt"`
	Payload   string `json:"payload"`
}

// challengeClaims are the claims of the challenge JWT (Cardinal StepUp).
type challengeClaims struct {
	jwt.RegisteredClaims
	OrgUnitID        string           `json:"OrgUnitId"`
	ReturnURL        string           `json:"ReturnUrl"`
	Payload          challengePayload `json:"Payload"`
	ObjectifyPayload bool             `json:"ObjectifyPayload"`
}

type challengePayload struct {
	ACSUrl        string `json:"ACSUrl"`
	Payload       string `json:"Payload"` // base64url CReq
	TransactionID string `json:"TransactionId"`
}

// ddcClaims are the claims of the device data collection JWT.
type ddcClaims struct {
	jwt.RegisteredClaims
	OrgUnitID   string `json:"OrgUnitId"`
	ReferenceID string `json:"ReferenceId"`
}

// authenticate runs 3-D Secure for a checked-out order at payOrder and, when
// no challenge is needed, authorises it. The caller holds s.mu.
func (s *Sandbox) authenticate(o *order) *failure {
	if o.skip3DS {
		s.authorise(o, nil)
		return nil
	}
	auth := o.card.scenario.Authentication
	if auth == testcards.Frictionless && o.preference == preferenceChallenge {
		auth = testcards.Challenged
	}
	switch auth {
	case testcards.Challenged:
		return s.startChallenge(o)
	case testcards.Failed:
		o.status = payorder.OutcomeAuthenticationFailed
		o.answer = orderAnswer{Outcome: o.status, TransactionReference: o.txRef, Authentication: s.authenticationOf(o, auth)}
	default:
		s.authorise(o, s.authenticationOf(o, auth))
	}
	return nil
}

// authenticationOf is the 3DS result for an outcome: ECI 05/02 when the
// shopper was authenticated (frictionless or by challenge), 06/01 for
// attempts, 07/00 with no authentication value when 3DS was unavailable or
// failed (Mastercard uses the second code of each pair).
func (s *Sandbox) authenticationOf(o *order, auth testcards.Authentication) *authentication {
	mc := o.card.brand == checkout.BrandMastercard
	eci := func(other, mastercard string) string {
		if mc {
			return mastercard
		}
		return other
	}
	a := &authentication{Version: threeDSVersion, TransactionID: s.rnd.UUID()}
	switch auth {
	case testcards.Frictionless, testcards.Challenged:
		a.ECI = eci("05", "02")
	case testcards.Attempted:
		a.ECI = eci("06", "01")
	default:
		a.ECI = eci("07", "00")
		return a
	}
	// A CAVV/UCAF is 20 bytes, 28 characters of base64.
	a.AuthenticationValue = base64.StdEncoding.EncodeToString(s.rnd.Bytes(20))
	return a
}

// refusals are the issuer's answers to the test cards' decline scenarios.
var refusals = map[testcards.Decline][2]string{
	testcards.Generic:           {"05", "Do not honour"},
	testcards.InsufficientFunds: {"51", "Insufficient funds"},
	testcards.ExpiredCard:       {"54", "Expired card"},
	testcards.IncorrectCVC:      {"N7", "CVC mismatch"},
}

// authorise asks the simulated issuer and charges the order when it
// approves. The caller holds s.mu.
func (s *Sandbox) authorise(o *order, auth *authentication) {
	o.answer = orderAnswer{TransactionReference: o.txRef, Authentication: auth}
	refusal, refused := refusals[o.card.scenario.Decline]
	if strings.EqualFold(strings.TrimSpace(o.holder), refusedHolder) {
		refusal, refused = refusals[testcards.Generic], true
	}
	if refused {
		o.status = payorder.OutcomeRefused
		o.answer.RefusalCode, o.answer.RefusalDescription = refusal[0], refusal[1]
	} else {
		o.status = payorder.OutcomeAuthorized
		o.charges++
		s.charges++
	}
	o.answer.Outcome = o.status
}

// startChallenge sets up a Cardinal step-up: a challenge reference for
// verifyOrder, a JWT for the challenge page and the CReq the merchant
// echoes as MD. The caller holds s.mu.
func (s *Sandbox) startChallenge(o *order) *failure {
	if o.returnURL == "" {
		return &failure{payorder.CodeInvalidParam, "returnUrl is required when the issuer asks for a challenge"}
	}
	ch := &challengeState{
		reference:     s.token(20),
		transactionID: s.token(20),
		serverTransID: s.rnd.UUID(),
		acsTransID:    s.rnd.UUID(),
	}
	creq, _ := json.Marshal(map[string]string{
		"threeDSServerTransID": ch.serverTransID,
		"acsTransID":           ch.acsTransID,
		"messageType":          "CReq",
		"messageVersion":       threeDSVersion,
		"challengeWindowSize":  windowCode(o.windowSize),
	})
	payload := base64.RawURLEncoding.EncodeToString(creq)
	now := s.now()
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, challengeClaims{
		RegisteredClaims: jwt.RegisteredClaims{ID: s.rnd.UUID(), IssuedAt: jwt.NewNumericDate(now), Issuer: s.apiID},
		OrgUnitID:        s.orgUnitID,
		ReturnURL:        o.returnURL,
		Payload:          challengePayload{ACSUrl: s.publicURL + "/acs/challenge", Payload: payload, TransactionID: ch.transactionID},
		ObjectifyPayload: true,
	}).SignedString(s.jwtKey)
	if err != nil {
		return &failure{"SYSTEM_ERROR", "could not start the challenge"}
	}
	o.challenge = ch
	o.status = payorder.OutcomeChallenged
	o.waitingSince = now
	o.answer = orderAnswer{
		Outcome:              o.status,
		TransactionReference: o.txRef,
		Authentication:       &authentication{Version: threeDSVersion},
		Challenge:            &challengeData{Reference: ch.reference, URL: s.publicURL + "/acs/challenge", JWT: token, Payload: payload},
	}
	s.byChallenge[ch.transactionID] = o
	return nil
}

// finishChallenge authorises an order whose shopper passed the challenge
// and fails one whose shopper did not. The caller holds s.mu.
func (s *Sandbox) finishChallenge(o *order) {
	if o.challenge.result == "Y" {
		s.authorise(o, s.authenticationOf(o, testcards.Challenged))
		return
	}
	o.status = payorder.OutcomeAuthenticationFailed
	o.answer = orderAnswer{Outcome: o.status, TransactionReference: o.txRef, Authentication: s.authenticationOf(o, testcards.Failed)}
}

// expire ends an order that has waited longer than the action timeout, in
// any of the states that wait for someone: created or initialized (device
// data collection, then the merchant's payOrder), challenged (the shopper's
// answer, then the merchant's verification). Nothing is charged. The
// outcome is inferred, since 33 Fintech documents neither an expiry nor the
// outcome words: an order never paid closes as failed; a challenge whose
// window lapsed is authenticationFailed, as an ACS that times a challenge
// out reports transStatus N (EMV challengeCancel 05). Every path that reads
// an order calls it first, so that the expiry is seen wherever the order
// is. The caller holds s.mu.
func (s *Sandbox) expire(o *order) {
	if o.waitingSince.IsZero() || s.now().Before(o.waitingSince.Add(s.actionTimeout)) {
		return
	}
	switch o.status {
	case payorder.OutcomeCreated, payorder.OutcomeInitialized:
		o.status = payorder.OutcomeFailed
		o.answer = orderAnswer{Outcome: o.status, TransactionReference: o.txRef}
	case payorder.OutcomeChallenged:
		o.status = payorder.OutcomeAuthenticationFailed
		o.answer = orderAnswer{Outcome: o.status, TransactionReference: o.txRef, Authentication: s.authenticationOf(o, testcards.Failed)}
	default:
		return
	}
	o.expired = true
}

// windowSizes maps Worldpay's window size labels to EMV challengeWindowSize codes.
var windowSizes = map[string]string{
	"250x400":     "01",
	"390x400":     "02",
	"500x600":     "03",
	"600x400":     "04",
	"full-screen": "05",
}

// windowCode is the EMV code of a window size label; 02 (390x400) when none was sent.
func windowCode(label string) string {
	if code, ok := windowSizes[label]; ok {
		return code
	}
	return "02"
}
