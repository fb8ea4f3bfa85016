// Package sandbox simulates Antom's card acquiring API (Alipay's
// /ams/api/v1/payments/*) together with its hosted 3-D Secure page, so that
// the antom adapter runs against it over real HTTP with no network.
//
// It follows the wire contract shared with the adapter (../WIRE.md, from
// PROVIDERS.md section 3 and seed 002): it verifies the Alipay-family
// request signature exactly (providers/alipaysign), signs every answer with
// Response-Time and the Antom key, honours paymentRequestId (and
// captureRequestId, refundRequestId) idempotency, and posts signed
// notifyPayment and notifyCapture notifications.
//
// Routes, relative to where the sandbox is mounted (a SANDBOX_ client uses
// /ams/sandbox/api, any other client /ams/api):
//
//	POST /ams/sandbox/api/v1/payments/pay             pay with a card
//	POST /ams/sandbox/api/v1/payments/inquiryPayment  read a payment
//	POST /ams/sandbox/api/v1/payments/capture         capture an authorization
//	POST /ams/sandbox/api/v1/payments/cancel          void a payment
//	POST /ams/sandbox/api/v1/payments/refund          refund (part of) a capture
//	POST /ams/sandbox/api/v1/payments/inquiryRefund   read a refund
//	GET  /3ds/{id}                                    the 3DS page at normalUrl (browser)
//	POST /3ds/{id}                                    its answer, then 303 to paymentRedirectUrl
//	POST /_faults                                     arm a provider fault (tests; see below), DELETE clears, GET lists
//
// Provider faults (package sandboxfault, SECURITY.md R27/R39) apply to the
// endpoints that move money: pay, capture, cancel and refund (operations
// of the same names). inquiryRefund (operation "inquiryRefund") takes only
// faults armed for it by name; inquiryPayment never takes one. They apply to
// authenticated requests only (a refused signature is answered as usual).
// Arm them with InjectFault or the /_faults endpoint (unauthenticated, like
// the 3DS page: it exists only where the sandbox does, and the app mounts
// the sandbox only in sandbox mode). An injected fault counts every
// matching call, replays included; an injected 5xx answers HTTP 502 and
// does nothing. A malformed answer is cut short and signed as it is, so
// the signature verifies and the body does not parse. A magic cardholder
// name on pay applies to the call that makes the payment (replays answer
// normally):
//
//	FAULT TIMEOUT       pays, then holds the answer until the client gives up
//	FAULT SERVER ERROR  HTTP 500 unsigned and nothing created, as 4000000000000119
//	FAULT MALFORMED     pays, then answers a signed body cut short
//	FAULT RESET         pays, then drops the connection, as 4000000000000259
//	FAULT SLOW          pays, then answers normally after 500 ms
//
// A payment made under a fault is on the ledger (Charges, PaymentState,
// TotalCharges) and its notifyPayment goes out as usual; so is a refund
// (Refund, Refunds). A refund under a timeout, reset or malformed fault is
// made before the answer misbehaves, so inquiryRefund shows it; under a
// 5xx nothing is made, so the same refund sent again under its
// refundRequestId is made once.
//
// Refunds: a refund whose amount in minor units ends in 71 (say 1.71) is
// U REFUND_IN_PROCESS and settles to SUCCESS; one ending in 72 is U
// REFUND_IN_PROCESS and settles to FAIL (PROCESS_FAIL), its amount
// released so that it can be refunded again. A held refund answers
// refundStatus PROCESSING to its first two inquiryRefund calls
// (RefundSettlesAfter) and settles as the second is answered, so the third
// sees the final status; nothing else moves it, which keeps tests
// deterministic. Any other amount is S at once. A held amount is reserved
// (it counts against what is left to refund) but not refunded. notifyRefund
// (REFUND_RESULT) goes out when a refund reaches SUCCESS or FAIL, at once
// or on settling, to the refund's refundNotifyUrl, else where the payment's
// notifications go.
//
// Outcomes come from the card number: the shared table (providers/testcards)
// first, then the Cardinal EMV 3DS test numbers (issuer.go); any other
// Luhn-valid number behaves like 4242. A cardholder named REFUSED is
// declined with DO_NOT_HONOR. 4000000000000119 answers HTTP 500 and creates
// nothing; 4000000000000259 creates and authorises the payment, then drops
// the connection (panic(http.ErrAbortHandler)), while a replay and
// inquiryPayment show it.
//
// Card data: it never logs and never keeps a card number or a CVV. A
// payment keeps the brand, BIN, last four digits, expiry and test scenario;
// idempotency compares an HMAC (under a key made at start) of the request
// body, never the body itself. Error messages name fields, never values.
//
// Inferred behaviour (not published by Antom; the contract's [I] marks),
// chosen to be plausible and documented here:
//   - Every API answer is HTTP 200 with Antom's result object, signed, even
//     refusals (INVALID_SIGNATURE, INVALID_CLIENT, PARAM_ILLEGAL): the SDK
//     reads no HTTP status, only the signed body. The exception is the 500
//     test card, whose answer is unsigned.
//   - Checks run in this order: method (METHOD_NOT_SUPPORTED), Client-Id
//     (missing or unknown: INVALID_CLIENT), Signature header (missing,
//     malformed or not verifying: INVALID_SIGNATURE; a keyVersion other than
//     1: KEY_NOT_FOUND), then the path (the other environment's root:
//     INVALID_CLIENT; an unknown endpoint: NO_INTERFACE_DEF), then
//     Content-Type (MEDIA_TYPE_NOT_ACCEPTABLE), then the body
//     (PARAM_ILLEGAL). The signed path may be the path relative to the
//     mount point or the one the request arrived with; the answer is signed
//     over the one that verified. Request-Time is not checked against the
//     clock.
//   - Response-Time and notification Request-Time are ISO 8601 with
//     milliseconds and offset; paymentId, captureId and refundId are 35
//     digits (the date, then random digits), like the seed's.
//   - pay: missing or malformed fields are PARAM_ILLEGAL and create
//     nothing. A card number that is not 12 to 19 digits passing Luhn is F
//     INVALID_CARD_NUMBER, a CVV of the wrong length (4 for Amex, else 3)
//     INVALID_CVV, a past expiry INVALID_EXPIRATION_DATE; these create a
//     failed payment. terminalType WEB needs browserInfo.userAgent and
//     acceptHeader; paymentRedirectUrl must be an absolute http(s) URL;
//     paymentFactor.isAuthorization must be true; captureMode is AUTOMATIC
//     (or empty) or MANUAL.
//   - 3-D Secure: is3DSAuthentication true runs the card's scenario
//     (frictionless Y, A, U, N, R, or a challenge). is3DSAuthentication
//     false skips 3DS (no threeDSResult), except that a card whose issuer
//     demands a challenge is upgraded to one when
//     enableAuthenticationUpgrade is true (Antom 3DS-Retry) and declined
//     DO_NOT_HONOR when it is false. Antom's pay has no challenge-preference
//     field [NF], so a merchant cannot force a challenge on a frictionless
//     card. ECIs are 05/06/07 (Mastercard 02/01/00); threeDSInteractionMode
//     is FRICTIONLESS or CHALLENGE (absent when 3DS was unavailable). A 3DS
//     failure (N, R, wrong code or Cancel on the page) is F
//     THREE_D_SECURE_AUTHENTICATION_FAILED with threeDSResult ECI 07/00.
//   - A challenge is U PAYMENT_IN_PROCESS with normalUrl
//     <PublicURL>/3ds/<32 hex>; the payment is PROCESSING until the page is
//     answered. The first answer decides; every answer sends the browser
//     303 to paymentRedirectUrl unchanged.
//   - Expiry: a page nobody answered within Config.ActionTimeout of its
//     opening (default registry.DefaultActionTimeout, 15 minutes) expires
//     the payment as FAIL ORDER_IS_CLOSED with nothing charged (and
//     notifyPayment), applied lazily by whatever reads the payment next:
//     inquiryPayment, a pay replay, capture, cancel, refund, PaymentState
//     or the page itself, which then sends the browser 303 back to
//     paymentRedirectUrl.
//   - Idempotency: a pay repeated with the same body (compared as canonical
//     JSON) answers the payment as it stands now (the U of a challenge
//     still open, else its final S or F; F ORDER_IS_CLOSED once canceled);
//     with another body under the same paymentRequestId it is F
//     REPEAT_REQ_INCONSISTENT. A repeat while the first is still being
//     processed is U UNKNOWN_EXCEPTION. captureRequestId and
//     refundRequestId replay and refuse the same way, for successful
//     captures and for refunds Antom took (a refused one is not kept); a
//     refund's replay answers it as it stands (S, U REFUND_IN_PROCESS, or
//     F PROCESS_FAIL once a held one failed).
//   - inquiryPayment takes paymentRequestId or paymentId; an unknown one is
//     F ORDER_NOT_EXIST. paymentStatus is PROCESSING, SUCCESS, FAIL or
//     CANCELLED; transactions list CAPTURE, REFUND and CANCEL records with
//     transactionStatus SUCCESS (a held refund's is PROCESSING until it
//     settles, then SUCCESS or FAIL).
//   - inquiryRefund takes refundRequestId or refundId (refundId first, as
//     Antom documents); an unknown refund is F REFUND_NOT_EXIST. It answers
//     refundId, refundRequestId, refundAmount, refundStatus (PROCESSING,
//     SUCCESS or FAIL) and, once it succeeded, refundTime.
//   - AUTOMATIC capture captures at authorisation (a CAPTURE transaction,
//     no notifyCapture); MANUAL waits for capture, which takes up to the
//     authorised amount once (CAPTURE_AMOUNT_EXCEED beyond it), needs a
//     SUCCESS payment not captured yet (ORDER_STATUS_INVALID; a failed or
//     canceled one is ORDER_IS_CLOSED) and sends notifyCapture. cancel voids
//     an uncaptured SUCCESS or a PROCESSING payment (S again when canceled
//     already; ORDER_STATUS_INVALID once captured; ORDER_IS_CLOSED when
//     failed). refund needs a captured payment (ORDER_STATUS_INVALID) and
//     at most the amount left (REFUND_AMOUNT_EXCEED); a payment stays
//     SUCCESS however much is refunded.
//   - Notifications: notifyPayment (PAYMENT_RESULT) after every final pay
//     result (S or F), notifyCapture (CAPTURE_RESULT) after a manual
//     capture, notifyRefund (REFUND_RESULT: result S SUCCESS with
//     refundStatus SUCCESS, or F PROCESS_FAIL with FAIL [I: the code]) when
//     a refund is final, posted to the payment's paymentNotifyUrl (a
//     refund's refundNotifyUrl first; Config.NotifyURL overrides both)
//     with Client-Id, Request-Time and a Signature over "POST <request URI
//     of that URL>". Each is tried at once and again after each of
//     Config.RetryDelays (real time) until the answer is HTTP 200 with
//     exactly the acknowledgement body (surrounding white space aside);
//     Close stops them. Each runs on its own goroutine, so their order is
//     not guaranteed.
//
// For tests: Charges, Challenged, PaymentState, Refund and Refunds read
// the ledger; Requests
// counts answers by kind; HoldNext holds the next pay so that a duplicate
// can meet it in flight; Deliveries and WaitNotifications observe
// notifications.
//
// State lives in memory, behind one mutex, for the life of the value.
package sandbox

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"github.com/opencheckout/hostedcheckout/providers/sandboxkit"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// Credentials are a merchant's Antom client: its Client-Id, the merchant
// key pair (the adapter signs with the private key, the sandbox verifies
// with the public one) and Antom's key pair (the sandbox signs answers and
// notifications with the private key, the adapter verifies with the public
// one). Keys are bare base64, as Antom's portal hands them out.
type Credentials struct {
	ClientID           string // "SANDBOX_" + 12 random letters and digits
	MerchantPublicKey  string // X.509 SubjectPublicKeyInfo, base64
	MerchantPrivateKey string // PKCS#8, base64: for the adapter
	AntomPrivateKey    string // PKCS#8, base64
	AntomPublicKey     string // X.509 SubjectPublicKeyInfo, base64: for the adapter
}

// NewCredentials generates a fresh sandbox client with two RSA-2048 key pairs.
func NewCredentials() (Credentials, error) {
	merchant, err := alipaysign.NewKeyPair()
	if err != nil {
		return Credentials{}, fmt.Errorf("antom sandbox: generating the merchant key: %w", err)
	}
	antom, err := alipaysign.NewKeyPair()
	if err != nil {
		return Credentials{}, fmt.Errorf("antom sandbox: generating the Antom key: %w", err)
	}
	return Credentials{
		ClientID:           "SANDBOX_" + sandboxkit.NewRandom(nil, "antom").From("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 12),
		MerchantPublicKey:  merchant.Public,
		MerchantPrivateKey: merchant.Private,
		AntomPrivateKey:    antom.Private,
		AntomPublicKey:     antom.Public,
	}, nil
}

// DefaultRetryDelays are the waits before the second and later tries of a
// notification when Config.RetryDelays is nil: eight tries in all, as
// Antom makes [V], but over seconds instead of a day.
var DefaultRetryDelays = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
	1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond,
}

// Config configures a Sandbox.
type Config struct {
	// PublicURL is the absolute URL of the sandbox's mount point as the
	// shopper's browser reaches it, e.g. http://127.0.0.1:8080/sandbox/antom.
	// normalUrl (the 3DS page) starts with it.
	PublicURL   string
	Credentials Credentials
	// HTTPClient posts notifications; a client with a 5 second timeout when nil.
	HTTPClient *http.Client
	Now        func() time.Time // time.Now when nil
	// NotifyURL, when set, receives every notification instead of the
	// payment's paymentNotifyUrl (for an app whose public URL this process
	// cannot reach). The signature covers this URL's path.
	NotifyURL string
	// RetryDelays are the waits before each retry of a notification that
	// was not acknowledged; DefaultRetryDelays when nil.
	RetryDelays []time.Duration
	Rand        io.Reader // source of ids, tokens and CAVVs; crypto/rand when nil
	// ActionTimeout is how long a payment may wait for the shopper (its
	// 3DS page open, unanswered) before the sandbox expires it as FAIL
	// ORDER_IS_CLOSED with nothing charged; 0 is
	// registry.DefaultActionTimeout (registry.SandboxEnv.ActionTimeout).
	ActionTimeout time.Duration
}

// Sandbox is the simulated Antom, an http.Handler with in-memory state.
type Sandbox struct {
	sandboxfault.Controls // InjectFault, ClearFaults and ArmedFaults, over faults

	publicURL   string
	creds       Credentials
	root        string // the API root this client's environment serves
	merchantKey *rsa.PublicKey
	antomKey    *rsa.PrivateKey
	client      *http.Client
	now         func() time.Time
	timeout     time.Duration // Config.ActionTimeout, defaulted
	notifyURL   string
	retryDelays []time.Duration
	sandboxkit.Server
	faults      *sandboxfault.Switch
	fingerprint []byte // HMAC key of request fingerprints

	rnd *sandboxkit.Random

	mu          sync.Mutex
	payments    map[string]*payment // by paymentRequestId
	byID        map[string]*payment // by paymentId
	challenges  map[string]*payment // by 3DS page token
	inFlight    map[string]bool     // paymentRequestIds whose first pay is running
	captures    map[string]*capture // by captureRequestId
	refunds     map[string]*refund  // by refundRequestId
	refundOrder []*refund           // in the order they were made
	hold        sandboxkit.Hold
	requests    sandboxkit.Counters
	deliveries  []*delivery
}

// API roots (PROVIDERS.md 3.1) [V].
const (
	productionRoot = "/ams/api"
	sandboxRoot    = "/ams/sandbox/api"
)

// New builds a Sandbox from cfg.
func New(cfg Config) (*Sandbox, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("antom sandbox: PublicURL must be an absolute http(s) URL")
	}
	cr := cfg.Credentials
	if strings.TrimSpace(cr.ClientID) == "" || len(cr.ClientID) > 64 {
		return nil, errors.New("antom sandbox: Credentials.ClientID is required (at most 64 characters)")
	}
	merchantKey, err := alipaysign.ParsePublicKey(cr.MerchantPublicKey)
	if err != nil {
		return nil, fmt.Errorf("antom sandbox: Credentials.MerchantPublicKey: %w", err)
	}
	antomKey, err := alipaysign.ParsePrivateKey(cr.AntomPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("antom sandbox: Credentials.AntomPrivateKey: %w", err)
	}
	if cfg.NotifyURL != "" && !absoluteHTTP(cfg.NotifyURL) {
		return nil, errors.New("antom sandbox: NotifyURL must be an absolute http(s) URL")
	}
	s := &Sandbox{
		publicURL:   strings.TrimRight(cfg.PublicURL, "/"),
		creds:       cr,
		root:        productionRoot,
		merchantKey: merchantKey,
		antomKey:    antomKey,
		client:      cfg.HTTPClient,
		now:         cfg.Now,
		timeout:     registry.ActionTimeoutOr(cfg.ActionTimeout),
		notifyURL:   cfg.NotifyURL,
		retryDelays: cfg.RetryDelays,
		rnd:         sandboxkit.NewRandom(cfg.Rand, "antom"),
		payments:    map[string]*payment{},
		byID:        map[string]*payment{},
		challenges:  map[string]*payment{},
		inFlight:    map[string]bool{},
		captures:    map[string]*capture{},
		refunds:     map[string]*refund{},
		faults:      sandboxfault.NewSwitch(OperationPay, OperationCapture, OperationCancel, OperationRefund, OperationInquiryRefund),
	}
	if strings.HasPrefix(cr.ClientID, "SANDBOX_") {
		s.root = sandboxRoot
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 5 * time.Second}
	}
	if s.retryDelays == nil {
		s.retryDelays = DefaultRetryDelays
	}
	s.fingerprint = s.rnd.Bytes(32)
	s.Outbox = sandboxnotify.New()

	s.Controls = s.faults.Controls()
	s.Mux = http.NewServeMux()
	s.Mux.HandleFunc(productionRoot+"/", s.serveAPI)
	s.Mux.HandleFunc(sandboxRoot+"/", s.serveAPI)
	s.Mux.HandleFunc("GET /3ds/{id}", s.serveChallenge)
	s.Mux.HandleFunc("POST /3ds/{id}", s.serveChallengeAnswer)
	s.Mux.Handle(sandboxfault.Path, s.faults) // test-only, like the sandbox itself
	return s, nil
}

// Credentials returns the merchant's credentials.
func (s *Sandbox) Credentials() Credentials { return s.creds }

// PaymentState is what the sandbox's ledger knows about one payment, for tests.
type PaymentState struct {
	PaymentRequestID string
	PaymentID        string
	Status           string // PROCESSING, SUCCESS, FAIL or CANCELLED
	ResultCode       string // e.g. SUCCESS, PAYMENT_IN_PROCESS, DO_NOT_HONOR
	CaptureMode      string // AUTOMATIC or MANUAL
	Amount           int64  // minor units
	Currency         string
	Captured         int64
	Refunded         int64  // refunds that succeeded
	RefundPending    int64  // refunds still in process: reserved, not refunded
	Authorisations   int    // authorisations the issuer granted; more than one is a double charge
	Challenged       bool   // the 3DS page was shown
	ThreeDSRequested bool   // is3DSAuthentication
	Language         string // env.browserInfo.language (else env.deviceLanguage): what the 3DS page would speak
	ECI              string
	Brand            checkout.CardBrand
	Last4            string
}

// PaymentState returns the payment made with paymentRequestId (our payment id).
func (s *Sandbox) PaymentState(paymentRequestID string) (PaymentState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[paymentRequestID]
	if !ok {
		return PaymentState{}, false
	}
	s.expire(p)
	return p.state(), true
}

// Charges is the number of authorisations granted to the payment made with
// paymentRequestId: 1 after a success, however often it was replayed.
func (s *Sandbox) Charges(paymentRequestID string) int {
	return sandboxkit.TallyOne(&s.mu, s.payments, paymentRequestID, authorisations)
}

// TotalCharges is the number of authorisations granted across every payment.
func (s *Sandbox) TotalCharges() int { return sandboxkit.Tally(&s.mu, s.payments, authorisations) }

func authorisations(p *payment) int { return sandboxkit.Once(p.authorised) }

// Challenged reports whether the 3DS page of the payment made with
// paymentRequestId was shown.
func (s *Sandbox) Challenged(paymentRequestID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[paymentRequestID]
	return ok && p.challengeShown
}

// Requests returns how many API requests the sandbox answered, by kind:
// pay, inquiryPayment, capture, cancel, refund, inquiryRefund, replayed (idempotent
// repeats), inconsistent (REPEAT_REQ_INCONSISTENT), in-progress,
// unauthorised (client, signature or key refused), invalid (PARAM_ILLEGAL).
func (s *Sandbox) Requests() map[string]int {
	return s.requests.Snapshot()
}

// HoldNext makes the next pay request stop, once it is registered as in
// flight, until release is called; entered is closed when it starts
// waiting. A test sends the duplicate in between.
func (s *Sandbox) HoldNext() (entered <-chan struct{}, release func()) {
	return s.hold.Next()
}

// antomID is a 35-digit id in the shape of the seed's paymentId: the date,
// then random digits.
func (s *Sandbox) antomID() string {
	return s.now().Format("20060102") + s.rnd.Digits(27)
}

// token is a random hex string for the 3DS page's URL.
func (s *Sandbox) token() string {
	return s.rnd.Hex(16)
}

// timestamp is Antom's ISO 8601 time with the offset of the sandbox's clock.
func (s *Sandbox) timestamp(t time.Time) string {
	return t.Format(time.RFC3339)
}

func absoluteHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
