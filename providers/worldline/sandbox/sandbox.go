// Package sandbox simulates the Worldline Connect Server API v1 (the
// GlobalCollect platform) for card payments with 3-D Secure v2, together
// with its browser pages (the ACS challenge and the 3DS Method hop), so that
// the worldline adapter runs against it over real HTTP with no network.
//
// It follows the wire contract shared with the adapter
// (../WIRE.md, from PROVIDERS.md section 4 and seed
// 003): it verifies GCS v1HMAC signatures exactly as the platform does,
// answers with the platform's shapes, status codes and error bodies, honours
// X-GCS-Idempotence-Key, and posts signed webhooks.
//
// Routes, relative to where the sandbox is mounted:
//
//	POST /v1/{merchantId}/payments                     create a payment (201, Location; 402 declined)
//	GET  /v1/{merchantId}/payments?merchantReference=… find payments (offset, limit)
//	GET  /v1/{merchantId}/payments/{paymentId}         get a payment
//	POST /v1/{merchantId}/payments/{paymentId}/approve approve (capture) an authorised payment
//	POST /v1/{merchantId}/payments/{paymentId}/cancel  cancel an authorised payment
//	POST /v1/{merchantId}/payments/{paymentId}/refund  refund (part of) a captured payment
//	GET  /v1/{merchantId}/refunds/{refundId}           get a refund
//	GET  /v1/{merchantId}/refunds?merchantReference=…  find refunds (offset, limit)
//	GET  /3dsecure/{uuid}?returnMAC=…                  the ACS challenge page (browser)
//	POST /3dsecure/{uuid}                              its answer, then 303 to the returnUrl
//	GET  /redirector/{uuid}?locale=…                   the 3DS Method hop (browser), then 303 to the returnUrl
//	POST /_faults                                      arm a provider fault (tests; see below), DELETE clears, GET lists
//
// Provider faults (package sandboxfault, SECURITY.md R27/R39) apply to the
// calls that move money: create (operation "create"), approve ("approve"),
// cancel ("cancel") and refund ("refund"). The refund inquiries (Get refund
// and Find refunds, operation "inquire-refund") take only faults armed for
// them by name; the payment GET and Find never take one. Arm
// them with InjectFault or the /_faults endpoint (unauthenticated, like the
// pages: it exists only where the sandbox does, and the app mounts the
// sandbox only in sandbox mode). An injected fault counts every matching
// call, idempotent replays and 409s included; an injected 5xx answers 502
// before the idempotence key is even looked at, so nothing is done or
// remembered. A magic cardholder name on create applies to the call that
// makes the payment (its idempotent replays answer normally):
//
//	FAULT TIMEOUT       authorises, then holds the 201 until the client gives up
//	FAULT SERVER ERROR  500 code 9999 and nothing created, as 4000000000000119
//	FAULT MALFORMED     authorises, then answers 201 with a body cut short
//	FAULT RESET         authorises, then drops the connection, as 4000000000000259
//	FAULT SLOW          authorises, then answers normally after 500 ms
//
// A payment made under a fault is on the ledger (Charges, Payment,
// TotalCharges) and its webhooks go out as usual; so is a refund (Refund,
// Refunds). A refund under a timeout, reset or malformed fault is made
// before the answer misbehaves, so Find refunds by our reference shows it;
// under a 5xx nothing is made and nothing is kept under the idempotence
// key, so the same refund sent again is made once.
//
// Refunds: a refund whose amount in minor units ends in 71 (say 1.71) is
// PENDING_APPROVAL and settles to REFUND_REQUESTED; one ending in 72 is
// PENDING_APPROVAL and settles to REJECTED, its amount released so that it
// can be refunded again. A pending refund settles as its second inquiry is
// answered (RefundSettlesAfter: Get refund, or a Find refunds listing it),
// so the third read sees the final status; nothing else moves it, which
// keeps tests deterministic. Any other amount is REFUND_REQUESTED at once.
// A pending amount is reserved: it counts against what is left to refund
// but not as refunded, and the payment becomes REFUNDED only when refunds
// that succeeded add up to the captured amount. A refund webhook
// ("refund.<status>") goes out when a refund is made and when a pending one
// settles.
//
// Outcomes come from the card number: the shared table (providers/testcards)
// first, then Worldline's published 3DS v2 test cards (PROVIDERS.md 4.8),
// then 4000000000052672 for the /redirector/ hop; any other Luhn-valid
// number behaves like 4242. A cardholder named REFUSED is declined.
// challengeIndicator challenge-requested or challenge-required turns a
// frictionless card into a challenge; the one-time code 1234 passes it.
// 4000000000000119 answers 500 (code 9999) and creates nothing;
// 4000000000000259 creates and authorises the payment, then drops the
// connection (panic(http.ErrAbortHandler)) so that the client gets no
// answer, while an idempotent replay, Find and GET show it.
//
// Card data: it never logs and never keeps a card number or a CVV. The
// request body lives only in the memory of the request; a payment keeps the
// brand, product id, BIN, last four digits, expiry and test scenario. The
// idempotence store keeps answers, which carry only the masked number.
//
// Inferred behaviour (not published by Worldline; see the contract's [I]
// marks), chosen to be plausible and documented here:
//   - Both signed resources are accepted: the full path the request arrived
//     with and the path relative to the mount point (they are the same on
//     the real host, which has no prefix).
//   - A Date more than 15 minutes from Now, a missing or unparsable Date, an
//     unknown key id, a bad signature or another merchant's id in the path
//     are all 403 code 9002 MISSING_OR_INVALID_AUTHORIZATION (its message
//     says which, never with a secret). Authentication runs before routing,
//     so an unsigned request never learns a route.
//   - Validation errors are 400 code 21000020 naming the first offending
//     property as a dotted path (cardPaymentMethodSpecificInput.card.cvv);
//     messages never carry values. Unknown JSON properties are ignored.
//     references.merchantReference is at most 50 characters, the cardholder
//     name at most 51, the descriptor at most 256; paymentProductId must be
//     1 Visa, 2 Amex, 3 Mastercard, 117 Maestro, 125 JCB or 132 Diners and
//     match the card number's brand; the CVV has 4 digits for Amex, 3 for
//     the others; the expiry may not be before Now's month. Following EMV
//     3DS 2.2, browserData.colorDepth, screenHeight and screenWidth are
//     required only when javaScriptEnabled is not false (a browser without
//     scripts cannot read them).
//   - Payment ids are 30 digits: the merchant id padded to 10, a sequence
//     padded to 10 (starting from Now in milliseconds, modulo 10^10, so that
//     a restarted sandbox does not reuse ids) and "0000100001", as in the seed.
//   - 3DS failures (frictionless N, rejected R, failed or cancelled
//     challenge) are REJECTED 180 with threeDSecureStatus
//     INVALID_PARES_OR_NOT_COMPLETED and error 401025 MEDIUM_CONFIDENCE;
//     only N carries a SHOW_TRANSACTION_RESULTS CARDHOLDERINFO text. Issuer
//     declines are REJECTED 100 with 430285 NOT_AUTHORISED, 430396
//     INSUFFICIENT_FUNDS, 430306 CARD_EXPIRED or 430360 INVALID_CVV.
//   - requiresApproval false means automatic capture: an authorised
//     payment goes straight to CAPTURE_REQUESTED. skipAuthentication true
//     skips 3-D Secure (no threeDSecureResults).
//   - CAPTURE_REQUESTED settles to CAPTURED (900, refundable) as soon as an
//     API call reads or changes the payment after the answer that put it
//     there. Refunds that succeeded adding up to the whole captured amount
//     make the payment REFUNDED (1800); until then it stays CAPTURED. A
//     refund is REFUND_REQUESTED (800), PENDING_APPROVAL (600) or REJECTED
//     (100), with id "<payment id>-<n>"; refundReferences.merchantReference
//     is at most 50 characters. An unknown refund id is 404 code 1004
//     UNKNOWN_REFUND_ID. Find refunds filters on merchantReference only
//     (the other filters are ignored), with the same offset and limit rules
//     as Find payments.
//   - Approve takes an optional amount up to the authorised amount (partial
//     capture); a refund over the remaining captured amount is 400.
//     approve and cancel need PENDING_APPROVAL, refund needs a captured and
//     not fully refunded payment, else 409 code 300450.
//   - An idempotence key is per merchant, whatever the route and body: the
//     first finished answer (any status) is replayed byte for byte with
//     X-GCS-Idempotence-Request-Timestamp (the first request's Unix
//     milliseconds by Now); while the first runs, 409 code 1409 carries
//     the same header. Unknown routes are 404 code 9404 and wrong methods
//     405 code 9405, both after authentication.
//   - A payment left REDIRECTED (challenge page or redirector) longer than
//     Config.ActionTimeout (default registry.DefaultActionTimeout, 15
//     minutes) expires as REJECTED 180 INVALID_PARES_OR_NOT_COMPLETED with
//     nothing authorised, applied when anything next reads it (GET, Find,
//     approve, cancel, refund, its pages, the ledger accessors); its pages
//     then only send the browser back. Only the first answer to a
//     challenge counts (Cancel fails authentication); later visits only
//     send the browser back. The browser return appends
//     RETURNMAC, REF and paymentId to the returnUrl's own query.
//   - Webhooks: one event per status change ("payment.<status>",
//     "refund.<status>"), each posted on its own goroutine, so their
//     order is not guaranteed; tried at once and after 100ms, 400ms and
//     1.6s (real time) until a 2xx; Close stops them. created is in UTC.
//   - statusCodeChangeDateTime and utcTimestamp are in UTC; ECIs are Visa's
//     05/06/07 for Visa, Amex, JCB and Diners, Mastercard's 02/01/00 for
//     Mastercard and Maestro; a CAVV is 20 bytes (28 characters of base64).
//   - Find payments defaults to offset 0 and limit 10 (at most 100), lists
//     payments in creation order, and without merchantReference lists all.
//
// For tests: Charges, Challenged, Payment, PaymentByID, Refund and Refunds
// read the ledger;
// Requests counts answers by kind; HoldNext holds the next request that
// carries an idempotence key so that a duplicate can meet it in flight;
// Deliveries and WaitWebhooks observe webhooks; VerifyEndpoint performs the
// endpoint-verification handshake against WebhookURL.
//
// State lives in memory, behind one mutex, for the life of the value.
package sandbox

import (
	"errors"
	"github.com/opencheckout/hostedcheckout/providers/sandboxkit"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// Credentials are what Worldline's Configuration Center gives a merchant:
// its merchant id, an API key (id and secret) that signs requests, and a
// webhook key (id and secret) that signs notifications.
type Credentials struct {
	MerchantID    string // digits, at most 10
	APIKeyID      string
	SecretAPIKey  string
	WebhookKeyID  string
	WebhookSecret string
}

// NewCredentials generates a fresh merchant with random keys. The error is
// always nil (crypto/rand does not fail); it is there to match the other
// sandboxes' constructors.
func NewCredentials() (Credentials, error) {
	b := cryptoRand.Bytes(4)
	merchant := 10000 + (int(b[0])<<16|int(b[1])<<8|int(b[2]))%90000
	return Credentials{
		MerchantID:    strconv.Itoa(merchant),
		APIKeyID:      cryptoRand.Hex(8),
		SecretAPIKey:  cryptoRand.Base64(32),
		WebhookKeyID:  cryptoRand.Hex(8) + "-" + cryptoRand.Hex(4),
		WebhookSecret: cryptoRand.Base64(32),
	}, nil
}

// cryptoRand draws credentials from crypto/rand.
var cryptoRand = sandboxkit.NewRandom(nil, "worldline")

// Config configures a Sandbox.
type Config struct {
	// PublicURL is the absolute URL of the sandbox's mount point as the
	// shopper's browser reaches it, e.g. http://127.0.0.1:8081/sandbox/worldline.
	// The redirectURLs of merchantActions start with it.
	PublicURL   string
	Credentials Credentials
	// WebhookURL is where webhooks are posted; none are sent when empty.
	WebhookURL string
	// HTTPClient posts webhooks; a client with a 5 second timeout when nil.
	HTTPClient *http.Client
	Now        func() time.Time // time.Now when nil
	Rand       io.Reader        // source of uuids, MACs and references; crypto/rand when nil
	// ActionTimeout is how long a payment may wait for the shopper (on the
	// challenge page or the 3DS Method hop) before the sandbox expires it:
	// REJECTED 180, authentication not completed, nothing charged. 0 is
	// registry.DefaultActionTimeout (registry.SandboxEnv.ActionTimeout).
	ActionTimeout time.Duration
}

// Sandbox is the simulated platform, an http.Handler with in-memory state.
type Sandbox struct {
	sandboxfault.Controls // InjectFault, ClearFaults and ArmedFaults, over faults

	publicURL  string
	creds      Credentials
	webhookURL string
	client     *http.Client
	now        func() time.Time
	// actionTimeout is how long a REDIRECTED payment waits for the shopper.
	actionTimeout time.Duration
	sandboxkit.Server
	faults *sandboxfault.Switch

	rnd *sandboxkit.Random

	mu          sync.Mutex
	nextSeq     int64
	payments    map[string]*payment // by payment id
	created     []*payment          // in creation order, for Find
	challenges  map[string]*payment // by the /3dsecure/ uuid
	redirectors map[string]*payment // by the /redirector/ uuid
	idempotence map[string]*idemRecord
	hold        sandboxkit.Hold
	requests    sandboxkit.Counters
	requestID   int
	deliveries  []*delivery
}

// New builds a Sandbox from cfg.
func New(cfg Config) (*Sandbox, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("worldline sandbox: PublicURL must be an absolute http(s) URL")
	}
	cr := cfg.Credentials
	if !allDigits(cr.MerchantID) || len(cr.MerchantID) > 10 {
		return nil, errors.New("worldline sandbox: MerchantID must be at most 10 digits")
	}
	if cr.APIKeyID == "" || cr.SecretAPIKey == "" || cr.WebhookKeyID == "" || cr.WebhookSecret == "" {
		return nil, errors.New("worldline sandbox: the credentials need both key ids and secrets")
	}
	if cfg.WebhookURL != "" {
		if w, err := url.Parse(cfg.WebhookURL); err != nil || (w.Scheme != "http" && w.Scheme != "https") || w.Host == "" {
			return nil, errors.New("worldline sandbox: WebhookURL must be an absolute http(s) URL")
		}
	}
	s := &Sandbox{
		publicURL:     strings.TrimRight(cfg.PublicURL, "/"),
		creds:         cr,
		webhookURL:    cfg.WebhookURL,
		client:        cfg.HTTPClient,
		now:           cfg.Now,
		actionTimeout: registry.ActionTimeoutOr(cfg.ActionTimeout),
		rnd:           sandboxkit.NewRandom(cfg.Rand, "worldline"),
		payments:      map[string]*payment{},
		challenges:    map[string]*payment{},
		redirectors:   map[string]*payment{},
		idempotence:   map[string]*idemRecord{},
		faults:        sandboxfault.NewSwitch(OperationCreate, OperationApprove, OperationCancel, OperationRefund, OperationInquireRefund),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 5 * time.Second}
	}
	s.nextSeq = s.now().UnixMilli() % 1e10
	s.Outbox = sandboxnotify.New()

	s.Controls = s.faults.Controls()
	s.Mux = http.NewServeMux()
	s.Mux.HandleFunc("/v1/", s.serveAPI)
	s.Mux.HandleFunc("GET /3dsecure/{uuid}", s.serveChallenge)
	s.Mux.HandleFunc("POST /3dsecure/{uuid}", s.serveChallengeAnswer)
	s.Mux.HandleFunc("GET /redirector/{uuid}", s.serveRedirector)
	s.Mux.Handle(sandboxfault.Path, s.faults) // test-only, like the sandbox itself
	return s, nil
}

// Credentials returns the merchant's credentials.
func (s *Sandbox) Credentials() Credentials { return s.creds }

// PaymentState is what the sandbox's ledger knows about one payment, for tests.
type PaymentState struct {
	ID                string
	MerchantReference string
	Status            string // Worldline status, e.g. PENDING_APPROVAL
	StatusCode        int
	Amount            int64 // authorised amount, minor units
	Currency          string
	Captured          int64 // approved amount
	Refunded          int64 // refunds that succeeded
	RefundPending     int64 // refunds still pending: reserved, not refunded
	Authorisations    int   // authorisations the issuer granted; more than one is a double charge
	Challenged        bool  // the challenge page was shown
	ECI               string
	Brand             checkout.CardBrand
	Last4             string
	Locale            string // order.customer.locale (else the device's), language_REGION: what the hosted pages would speak
}

// Payment returns the latest payment created with merchantReference (our
// payment id). Reading it is a read like any other: a CAPTURE_REQUESTED
// payment whose answer has gone out settles to CAPTURED.
func (s *Sandbox) Payment(merchantReference string) (PaymentState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.created) - 1; i >= 0; i-- {
		if p := s.created[i]; p.merchantReference == merchantReference {
			s.refresh(p)
			return p.state(), true
		}
	}
	return PaymentState{}, false
}

// PaymentState is Payment, under the name the e2e suite uses.
func (s *Sandbox) PaymentState(merchantReference string) (PaymentState, bool) {
	return s.Payment(merchantReference)
}

// PaymentByID returns a payment by its Worldline id, settling it as Payment does.
func (s *Sandbox) PaymentByID(id string) (PaymentState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return PaymentState{}, false
	}
	s.refresh(p)
	return p.state(), true
}

// Charges is the number of authorisations granted across all payments made
// with merchantReference (our payment id). Idempotent replays do not add any.
func (s *Sandbox) Charges(merchantReference string) int {
	return sandboxkit.Tally(&s.mu, s.payments, func(p *payment) int {
		if p.merchantReference != merchantReference {
			return 0
		}
		return p.authorisations
	})
}

// TotalCharges is the number of authorisations granted across every
// payment, whatever its reference.
func (s *Sandbox) TotalCharges() int {
	return sandboxkit.Tally(&s.mu, s.payments, func(p *payment) int { return p.authorisations })
}

// Challenged reports whether the challenge page of a payment made with
// merchantReference was shown.
func (s *Sandbox) Challenged(merchantReference string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.created {
		if p.merchantReference == merchantReference && p.challengeShown {
			return true
		}
	}
	return false
}

// Requests returns how many API requests the sandbox answered, by kind:
// create, get, find, approve, cancel, refund, get-refund, find-refunds,
// replayed (idempotent replays), in-progress (409 1409), unauthorised
// (403), invalid (400).
func (s *Sandbox) Requests() map[string]int {
	return s.requests.Snapshot()
}

// HoldNext makes the next API request that carries an
// X-GCS-Idempotence-Key stop, once it is registered as in flight, until
// release is called; entered is closed when it starts waiting. A test sends
// the duplicate in between to see 409 code 1409.
func (s *Sandbox) HoldNext() (entered <-chan struct{}, release func()) {
	return s.hold.Next()
}

// token returns n random letters and digits, the shape of Worldline's
// creationOutput references.
func (s *Sandbox) token(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := s.rnd.Bytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
