package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Worldline's published 3DS v2 test cards (PROVIDERS.md 4.8): frictionless,
// without a 3DS Method, for Visa, Mastercard and Amex.
const (
	VisaAuthenticated       = "4012000033330026"
	MastercardAuthenticated = "5200000091444270"
	AmexAuthenticated       = "371449635398431"
	VisaAttempted           = "4012004040524514"
	MastercardAttempted     = "5200008932030109"
	AmexAttempted           = "344822942822422"
	VisaNotAuthenticated    = "4012001775445550"
	MastercardNotAuth       = "5200008192910263"
	AmexNotAuthenticated    = "348058683731797"
	VisaRejected            = "4012003360932265"
	MastercardRejected      = "5200008849448782"
	AmexRejected            = "371402182236181"
)

// ThreeDSMethodCard is frictionless (Y) after the 3DS Method hop: the
// payment is REDIRECTED to /redirector/ first. The seed shows only its
// suffix 2672; the full number is this sandbox's.
const ThreeDSMethodCard = "4000000000052672"

// RefusedHolder is the cardholder name the issuer always declines (430285).
const RefusedHolder = "REFUSED"

// CardholderInfo is the issuer's text shown after a frictionless N.
const CardholderInfo = "Additional authentication is needed for this transaction, please contact your card issuer."

// worldlineCards are the extras passed to testcards.Lookup.
var worldlineCards = map[string]testcards.Scenario{
	VisaAuthenticated:       {},
	MastercardAuthenticated: {},
	AmexAuthenticated:       {},
	VisaAttempted:           {Authentication: testcards.Attempted},
	MastercardAttempted:     {Authentication: testcards.Attempted},
	AmexAttempted:           {Authentication: testcards.Attempted},
	VisaNotAuthenticated:    {Authentication: testcards.Failed},
	MastercardNotAuth:       {Authentication: testcards.Failed},
	AmexNotAuthenticated:    {Authentication: testcards.Failed},
	VisaRejected:            {Authentication: testcards.Rejected},
	MastercardRejected:      {Authentication: testcards.Rejected},
	AmexRejected:            {Authentication: testcards.Rejected},
	ThreeDSMethodCard:       {},
}

// threeDSMethodCards go through the /redirector/ hop.
var threeDSMethodCards = map[string]bool{ThreeDSMethodCard: true}

// threeDSVersion is the EMV 3DS version the simulated directory servers speak.
const threeDSVersion = "2.2.0"

// Payment product ids [I beyond 1, 2 and 3].
const (
	productVisa       = 1
	productAmex       = 2
	productMastercard = 3
	productMaestro    = 117
	productJCB        = 125
	productDiners     = 132
)

// productBrands are the brands each product id accepts.
var productBrands = map[int][]checkout.CardBrand{
	productVisa:       {checkout.BrandVisa},
	productAmex:       {checkout.BrandAmex},
	productMastercard: {checkout.BrandMastercard},
	productMaestro:    {checkout.BrandMastercard, checkout.BrandUnknown},
	productJCB:        {checkout.BrandJCB},
	productDiners:     {checkout.BrandDiners},
}

// Worldline statuses.
const (
	statusCreated          = "CREATED"
	statusRedirected       = "REDIRECTED"
	statusPendingApproval  = "PENDING_APPROVAL"
	statusCaptureRequested = "CAPTURE_REQUESTED"
	statusCaptured         = "CAPTURED"
	statusRejected         = "REJECTED"
	statusCancelled        = "CANCELLED"
	statusRefunded         = "REFUNDED"
	statusRefundRequested  = "REFUND_REQUESTED"
)

// statusCategories is the category of each status the sandbox produces.
var statusCategories = map[string]string{
	statusCreated:          "CREATED",
	statusRedirected:       "PENDING_PAYMENT",
	statusPendingApproval:  "PENDING_MERCHANT",
	statusCaptureRequested: "PENDING_CONNECT_OR_3RD_PARTY",
	statusCaptured:         "COMPLETED",
	statusRejected:         "UNSUCCESSFUL",
	statusCancelled:        "UNSUCCESSFUL",
	statusRefunded:         "REFUNDED",
	statusRefundRequested:  "PENDING_CONNECT_OR_3RD_PARTY",
}

// threeDSFailed is the threeDSecureStatus of a failed authentication.
const threeDSFailed = "INVALID_PARES_OR_NOT_COMPLETED"

// Error codes the issuer and the 3DS server give.
var (
	errAuthentication = apiError{Code: "401025", Message: "MEDIUM_CONFIDENCE", HTTPStatusCode: 402}
	declineErrors     = map[testcards.Decline]apiError{
		testcards.Generic:           {Code: "430285", Message: "NOT_AUTHORISED", HTTPStatusCode: 402},
		testcards.InsufficientFunds: {Code: "430396", Message: "INSUFFICIENT_FUNDS", HTTPStatusCode: 402},
		testcards.ExpiredCard:       {Code: "430306", Message: "CARD_EXPIRED", HTTPStatusCode: 402},
		testcards.IncorrectCVC:      {Code: "430360", Message: "INVALID_CVV", HTTPStatusCode: 402},
	}
)

// cardFacts is what the sandbox keeps of a card: never its number or CVV.
type cardFacts struct {
	scenario  testcards.Scenario
	method    bool // goes through the 3DS Method hop
	refused   bool // the cardholder is REFUSED
	brand     checkout.CardBrand
	productID int
	bin       string
	last4     string
	masked    string // "************4242"
	expiry    string // MMYY
}

// newCardFacts reduces a validated card to what may be kept.
func newCardFacts(number, expiry, holder string, productID int) cardFacts {
	return cardFacts{
		scenario:  testcards.Lookup(number, worldlineCards),
		method:    threeDSMethodCards[number],
		refused:   strings.EqualFold(strings.TrimSpace(holder), RefusedHolder),
		brand:     checkout.DetectBrand(number),
		productID: productID,
		bin:       number[:6],
		last4:     number[len(number)-4:],
		masked:    strings.Repeat("*", len(number)-4) + number[len(number)-4:],
		expiry:    expiry,
	}
}

// mastercardECI reports whether the card's scheme uses Mastercard's ECI
// values (02/01/00) rather than Visa's (05/06/07).
func (c cardFacts) mastercardECI() bool {
	return c.productID == productMastercard || c.productID == productMaestro
}

// payment is one Worldline payment and everything that happened to it.
type payment struct {
	id                 string
	merchantReference  string
	merchantOrderID    *int64
	descriptor         string
	amount             int64
	currency           string
	card               cardFacts
	requiresApproval   bool
	returnURL          string
	challengeIndicator string
	canvasSize         string
	locale             string
	additionalRef      string
	externalRef        string
	createdAt          time.Time

	status             string
	statusCode         int
	statusChangedAt    time.Time
	threeDSecureStatus string
	errors             []apiError
	settleOnNextCall   bool // CAPTURE_REQUESTED, answered: the next call settles it

	threeDS        *threeDSResult
	authCode       string
	fraud          *fraudResults
	authorisations int

	returnMAC      string
	challengeID    string // the /3dsecure/ uuid
	redirectorID   string // the /redirector/ uuid
	challengeShown bool
	browserDone    bool      // the challenge was answered, the hop completed or the wait expired
	redirectedAt   time.Time // when the payment became REDIRECTED: the shopper's wait starts
	expired        bool      // the shopper did not finish within actionTimeout

	captured      int64
	refunded      int64 // refunds that succeeded
	refundPending int64 // refunds still pending: reserved, not refunded
	refunds       []*refund
}

// refundable is what is left to refund: captured, less what is refunded or
// reserved by a pending refund.
func (p *payment) refundable() int64 { return p.captured - p.refunded - p.refundPending }

// threeDSResult is the authentication's outcome as Worldline reports it.
type threeDSResult struct {
	cavv, eci, dsTransID, serverTransID, acsTransID, method, utcTimestamp string
}

func (p *payment) state() PaymentState {
	st := PaymentState{
		ID:                p.id,
		MerchantReference: p.merchantReference,
		Status:            p.status,
		StatusCode:        p.statusCode,
		Amount:            p.amount,
		Currency:          p.currency,
		Captured:          p.captured,
		Refunded:          p.refunded,
		RefundPending:     p.refundPending,
		Authorisations:    p.authorisations,
		Challenged:        p.challengeShown,
		Brand:             p.card.brand,
		Last4:             p.card.last4,
		Locale:            p.locale,
	}
	if p.threeDS != nil {
		st.ECI = p.threeDS.eci
	}
	return st
}

// setStatus moves a payment and queues its webhook. The caller holds s.mu.
func (s *Sandbox) setStatus(p *payment, status string, code int) {
	p.status, p.statusCode = status, code
	p.statusChangedAt = s.now()
	s.emitPayment(p)
}

// refresh brings a payment up to date before an API call (or a test's
// ledger read) reads or changes it: a wait for the shopper that lapsed
// expires, and an answered capture settles. The caller holds s.mu.
func (s *Sandbox) refresh(p *payment) {
	s.expire(p)
	s.settle(p)
}

// expire fails a payment still REDIRECTED (to the challenge page or the
// 3DS Method hop) more than actionTimeout after it was redirected: the
// shopper never finished, so the authentication lapsed and nothing is
// authorised. It becomes REJECTED 180 with threeDSecureStatus
// INVALID_PARES_OR_NOT_COMPLETED (the seed's failed-3DS status, whose name
// covers an authentication not completed; using it for a lapsed wait is
// inferred, Worldline does not document the expiry), its webhook goes out,
// and its browser pages only send the shopper back. It reports whether p
// expired, now or before. Applied lazily, wherever the payment is read.
// The caller holds s.mu.
func (s *Sandbox) expire(p *payment) bool {
	if p.status == statusRedirected && s.now().Sub(p.redirectedAt) > s.actionTimeout {
		method := "frictionless" // the 3DS Method hop
		if p.challengeID != "" {
			method = "challenged"
		}
		p.browserDone, p.expired = true, true
		s.failAuthentication(p, s.threeDSResultOf(p, testcards.Failed, method))
	}
	return p.expired
}

// settle completes a capture the acquirer was asked for: any call after the
// answer that requested it finds it CAPTURED. The caller holds s.mu.
func (s *Sandbox) settle(p *payment) {
	if p.settleOnNextCall {
		p.settleOnNextCall = false
		s.setStatus(p, statusCaptured, 900)
	}
}

// authenticate runs 3-D Secure at creation. It either finishes the payment
// (authorised, declined or failed) or leaves it REDIRECTED to a browser
// page. The caller holds s.mu.
func (s *Sandbox) authenticate(p *payment, skip bool) {
	if skip {
		s.authorise(p, nil)
		return
	}
	auth := p.card.scenario.Authentication
	if auth == testcards.Frictionless &&
		(p.challengeIndicator == "challenge-requested" || p.challengeIndicator == "challenge-required") {
		auth = testcards.Challenged
	}
	switch {
	case auth == testcards.Challenged:
		s.redirect(p, true)
	case auth == testcards.Frictionless && p.card.method:
		s.redirect(p, false)
	case auth == testcards.Failed || auth == testcards.Rejected:
		s.failAuthentication(p, s.threeDSResultOf(p, auth, "frictionless"))
	default:
		s.authorise(p, s.threeDSResultOf(p, auth, "frictionless"))
	}
}

// redirect sends the shopper to the challenge page or the 3DS Method hop.
// The caller holds s.mu.
func (s *Sandbox) redirect(p *payment, challenge bool) {
	p.returnMAC = s.rnd.UUID()
	now := s.now().UTC()
	p.threeDS = &threeDSResult{serverTransID: s.rnd.UUID(), utcTimestamp: now.Format("200601021504")}
	if challenge {
		p.challengeID = s.rnd.UUID()
		s.challenges[p.challengeID] = p
	} else {
		// The hop already knows the directory server's and the ACS's ids (seed).
		p.threeDS.dsTransID, p.threeDS.acsTransID, p.threeDS.method = s.rnd.UUID(), strings.ToUpper(s.rnd.UUID()), "frictionless"
		p.redirectorID = s.rnd.UUID()
		s.redirectors[p.redirectorID] = p
	}
	p.threeDSecureStatus = "ENROLLED"
	s.setStatus(p, statusRedirected, 50)
	p.redirectedAt = p.statusChangedAt
}

// merchantAction is what the create answer tells the merchant to do next.
func (s *Sandbox) merchantAction(p *payment) *merchantAction {
	switch {
	case p.status == statusRedirected && p.challengeID != "":
		return &merchantAction{ActionType: "REDIRECT", ShowData: []keyValue{}, RedirectData: &redirectData{
			ReturnMAC:   p.returnMAC,
			RedirectURL: s.publicURL + "/3dsecure/" + p.challengeID + "?returnMAC=" + p.returnMAC,
		}}
	case p.status == statusRedirected && p.redirectorID != "":
		return &merchantAction{ActionType: "REDIRECT", ShowData: []keyValue{}, RedirectData: &redirectData{
			ReturnMAC:   p.returnMAC,
			RedirectURL: s.publicURL + "/redirector/" + p.redirectorID + "?locale=" + p.locale,
		}}
	case p.status == statusRejected && p.card.scenario.Authentication == testcards.Failed && p.challengeID == "":
		rendering, _ := json.Marshal(map[string]any{
			"type":                 "rppHostedCheckout",
			"createdPaymentOutput": map[string]any{"payment": map[string]string{"id": p.id, "status": p.status}},
		})
		return &merchantAction{
			ActionType:    "SHOW_TRANSACTION_RESULTS",
			RenderingData: base64.StdEncoding.EncodeToString(rendering),
			ShowData:      []keyValue{{Key: "CARDHOLDERINFO", Value: CardholderInfo}},
		}
	}
	return nil
}

// threeDSResultOf builds the result of an authentication that happened:
// ECI 05/02 authenticated, 06/01 attempted, 07/00 unavailable, none when it
// failed; a 28-character CAVV only with 05/02 and 06/01. The caller holds s.mu.
func (s *Sandbox) threeDSResultOf(p *payment, auth testcards.Authentication, method string) *threeDSResult {
	r := p.threeDS
	if r == nil {
		r = &threeDSResult{serverTransID: s.rnd.UUID()}
	}
	if r.dsTransID == "" {
		r.dsTransID = s.rnd.UUID()
	}
	if r.acsTransID == "" {
		r.acsTransID = strings.ToUpper(s.rnd.UUID())
	}
	r.method = method
	r.utcTimestamp = s.now().UTC().Format("200601021504")
	eci := func(visa, mastercard string) string {
		if p.card.mastercardECI() {
			return mastercard
		}
		return visa
	}
	switch auth {
	case testcards.Frictionless, testcards.Challenged:
		r.eci = eci("05", "02")
	case testcards.Attempted:
		r.eci = eci("06", "01")
	case testcards.Unavailable:
		r.eci = eci("07", "00")
		return r
	default:
		return r
	}
	// A CAVV (Visa) or UCAF (Mastercard) is 20 bytes: 28 characters of base64.
	r.cavv = base64.StdEncoding.EncodeToString(append([]byte{0, 0, 1}, s.rnd.Bytes(17)...))
	return r
}

// failAuthentication rejects a payment whose shopper was not authenticated.
// The caller holds s.mu.
func (s *Sandbox) failAuthentication(p *payment, r *threeDSResult) {
	p.threeDS = r
	p.threeDSecureStatus = threeDSFailed
	e := errAuthentication
	e.RequestID = s.nextRequestID()
	p.errors = []apiError{e}
	s.setStatus(p, statusRejected, 180)
}

// authorise asks the simulated issuer and, when it approves, holds the
// amount: PENDING_APPROVAL, or CAPTURE_REQUESTED without requiresApproval.
// The caller holds s.mu.
func (s *Sandbox) authorise(p *payment, r *threeDSResult) {
	p.threeDS = r
	p.threeDSecureStatus = ""
	decline := p.card.scenario.Decline
	if p.card.refused {
		decline = testcards.Generic
	}
	cvv := "M"
	if decline == testcards.IncorrectCVC {
		cvv = "N"
	}
	p.fraud = &fraudResults{FraudServiceResult: "no-advice", AVSResult: "0", CVVResult: cvv}
	if e, declined := declineErrors[decline]; declined {
		e.RequestID = s.nextRequestID()
		p.errors = []apiError{e}
		s.setStatus(p, statusRejected, 100)
		return
	}
	p.authCode = s.rnd.Digits(6)
	p.authorisations++
	if p.requiresApproval {
		s.setStatus(p, statusPendingApproval, 600)
		return
	}
	p.captured = p.amount
	s.setStatus(p, statusCaptureRequested, 800)
	p.settleOnNextCall = true
}

// nextRequestID numbers the requestId of status errors. The caller holds s.mu.
func (s *Sandbox) nextRequestID() string {
	s.requestID++
	return itoa(int64(7000 + s.requestID))
}
