// Package sandbox simulates an Alipay+ wallet's Mini Program OpenAPI for
// cashier payments (pay, inquiryPayment, notifyPayment) together with its
// cashier page, so that the alipayplus adapter runs against it over real
// HTTP with no network.
//
// It follows the wire contract shared with the adapter (../WIRE.md, from
// PROVIDERS.md section 5 and seed 004): it verifies the family's RSA
// signatures exactly as a wallet does, answers with the family's result
// object (always HTTP 200) signed with the wallet's key, honours
// paymentRequestId idempotency, and posts signed notifications.
//
// Routes, relative to where the sandbox is mounted (Config.PathPrefix goes
// before the API paths; "" by default):
//
//	POST {prefix}/v1/payments/pay             create an order: S with the cashier form, or F
//	POST {prefix}/v1/payments/inquiryPayment  the order's state
//	GET  /cashier?orderId=…                   the cashier page (browser); POST works too (the form of
//	POST /cashier                             redirectActionForm), with orderId in the query or the body
//	POST /cashier/confirm                     a button: orderId + choice=approve|decline|cancel
//	POST /_faults                             arm a provider fault (tests; see below), DELETE clears, GET lists
//
// Test values (DESIGN.md section 6): a paymentAmount value of "999999"
// fails at pay time with F PAYMENT_AMOUNT_EXCEED_LIMIT; a value ending in
// "51" fails the cashier's Approve with USER_BALANCE_NOT_ENOUGH. Approve
// otherwise pays (SUCCESS), Decline fails (FAIL, PROCESS_FAIL), Cancel
// cancels (CANCELLED, with paymentResult F ORDER_IS_CLOSED).
//
// Provider faults (package sandboxfault, SECURITY.md R27/R39) apply to pay
// (operation "pay"), the only call that starts moving money: the shopper's
// balance is debited later, at the cashier. inquiryPayment never takes
// one, nor does a request refused as unauthenticated. Arm them with
// InjectFault or the /_faults endpoint (unauthenticated, like the cashier:
// it exists only where the sandbox does, and the app mounts the sandbox
// only in sandbox mode). An injected fault counts every pay, REPEAT_REQUEST
// replays included; an injected 5xx answers HTTP 502 and does nothing. A
// malformed answer is cut short and signed as it is, so the signature
// verifies and the body does not parse. Magic amounts (paymentAmount value
// in minor units, by its last four digits; none collides with the values
// above) apply to the pay that creates the order:
//
//	…0502  HTTP 502, nothing created (inquiry: ORDER_NOT_EXIST)
//	…0503  creates the order, then answers a signed body cut short
//	…0504  creates the order, then holds the answer until the client gives up
//	…0505  creates the order, then drops the connection
//	…0506  creates the order, then answers normally after 500 ms
//
// The order made under a fault waits at the cashier as any other
// (CashierURL finds it when the merchant never got the form), and the
// ledger (Charges, PaymentState, TotalCharges) counts only what the
// shopper approved there.
//
// Inferred behaviour (not published for Alipay+ wallets; see WIRE.md's [I]
// marks), chosen to be plausible and documented here:
//   - Every answer is HTTP 200 with a result object, signed with the
//     wallet's key under the request's Client-Id, over the path the
//     request's signature verified with. A request signature is accepted
//     over the path relative to the mount point or over the full request
//     path. A Client-Id other than the merchant's is F INVALID_CLIENT; a
//     missing Request-Time or Signature, or one that does not verify, is F
//     INVALID_SIGNATURE; a body that is not JSON is F MSG_PARSE_ERROR; a
//     productCode other than Config.ProductCode is F FUNCTION_NOT_MATCH; a
//     missing or malformed field is F PARAM_ILLEGAL; an unknown API path is
//     F NO_INTERFACE_DEF. Authentication comes first: an unsigned request
//     learns nothing else. Request-Time is not checked against the clock.
//   - Idempotency by paymentRequestId, comparing productCode and
//     paymentAmount (times, env and order details may change between
//     retries): the same content gets S REPEAT_REQUEST with the same
//     paymentId, with the cashier form while the order waits for the
//     shopper and without it once final (paymentTime when paid); a pay
//     that ended in F gets the same F again; other content is F
//     REPEAT_REQ_INCONSISTENT. Nothing is charged twice.
//   - Ids: paymentId is the UTC date and 20 random digits; the cashier's
//     orderId is 32 random hex digits, unrelated to paymentId.
//   - redirectActionForm is {method: Config.CashierMethod (POST by
//     default), redirectionUrl: PublicURL/cashier?orderId=…}, no parameters.
//     paymentTime is sent only once the order is paid.
//   - The first button press decides; later presses and visits change
//     nothing and only send the browser back. After a decision the wallet
//     notifies and answers 303 to paymentRedirectUrl as given; without one
//     it shows a page saying the shopper can go back to the merchant.
//   - An order unpaid after paymentExpiryTime (15 minutes after creation
//     when none was sent) closes on the next look (pay, inquiry, cashier):
//     FAIL ORDER_IS_CLOSED, notified.
//   - inquiryPayment answers paymentStatus, paymentResult (U
//     PAYMENT_IN_PROCESS while PROCESSING) and, for FAIL and CANCELLED,
//     paymentFailReason as a code string; an unknown id is F
//     ORDER_NOT_EXIST, which includes a paymentRequestId whose pay failed
//     (nothing was created).
//   - Notifications are signed under the merchant's Client-Id over the path
//     and query of paymentNotifyUrl. By default the first try runs before
//     the cashier answers the browser; Config.NotifyAfterReturn (all
//     orders) and DelayNotifications (one order) send it later instead.
//     An acknowledgement is HTTP 200 whose body, trimmed of white space, is
//     exactly the family's S SUCCESS result; anything else is retried after
//     100 ms, 400 ms, 1.6 s and 6.4 s (real time), then given up. Close
//     stops retries.
//
// For tests: PaymentState and Charges read the ledger; Requests counts
// answers by kind; Deliveries and WaitNotifications observe notifications.
//
// State lives in memory, behind one mutex, for the life of the value.
package sandbox

import (
	"crypto/rsa"
	"errors"
	"github.com/opencheckout/hostedcheckout/providers/sandboxkit"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// Test values the sandbox honours.
const (
	// AmountOverLimit is the paymentAmount value refused at pay time with
	// PAYMENT_AMOUNT_EXCEED_LIMIT.
	AmountOverLimit = "999999"
	// InsufficientBalanceSuffix ends the paymentAmount values whose Approve
	// fails with USER_BALANCE_NOT_ENOUGH.
	InsufficientBalanceSuffix = "51"
)

// The cashier's data-testid hooks.
const (
	TestIDApprove = "wallet-approve"
	TestIDDecline = "wallet-decline"
	TestIDCancel  = "wallet-cancel"
	TestIDReturn  = "wallet-return"
)

// Cashier choices, the values of the buttons' choice field.
const (
	ChoiceApprove = "approve"
	ChoiceDecline = "decline"
	ChoiceCancel  = "cancel"
)

// Payment statuses, as inquiryPayment answers them.
const (
	StatusProcessing = "PROCESSING"
	StatusSuccess    = "SUCCESS"
	StatusFail       = "FAIL"
	StatusCancelled  = "CANCELLED"
)

// DefaultProductCode is the cashier payment product [S].
const DefaultProductCode = "51051000101000000011"

// timeFormat is how the sandbox writes times: ISO-8601 with milliseconds
// and an offset.
const timeFormat = "2006-01-02T15:04:05.000-07:00"

// Credentials are the keys of one merchant at the wallet: the client id
// the wallet assigned, the merchant's key pair (the wallet holds the
// public half) and the wallet's key pair (the merchant holds the public
// half). Keys are bare base64 (PKCS#8 and X.509 DER), as wallet portals
// hand them out.
type Credentials struct {
	ClientID           string
	MerchantPrivateKey string
	MerchantPublicKey  string
	WalletPrivateKey   string
	WalletPublicKey    string
}

// NewCredentials generates a client id and two RSA-2048 key pairs.
func NewCredentials() (Credentials, error) {
	merchant, err := alipaysign.NewKeyPair()
	if err != nil {
		return Credentials{}, err
	}
	wallet, err := alipaysign.NewKeyPair()
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{
		ClientID:           "2022091" + cryptoRand.Digits(9),
		MerchantPrivateKey: merchant.Private,
		MerchantPublicKey:  merchant.Public,
		WalletPrivateKey:   wallet.Private,
		WalletPublicKey:    wallet.Public,
	}, nil
}

// Config configures a Sandbox.
type Config struct {
	// PublicURL is the absolute URL of the sandbox's mount point as the
	// shopper's browser reaches it, e.g. http://127.0.0.1:8081/sandbox/alipayplus.
	// Cashier URLs start with it.
	PublicURL string
	// PathPrefix goes before the API paths (/v1/payments/...), as the
	// adapter's PathPrefix; "" by default.
	PathPrefix  string
	Credentials Credentials
	// ProductCode is the only productCode pay accepts; DefaultProductCode
	// when empty.
	ProductCode string
	// CashierMethod is redirectActionForm.method: "POST" (default) or "GET".
	CashierMethod string
	// NotifyAfterReturn sends every notification NotifyDelay after the
	// cashier sent the browser back, instead of before.
	NotifyAfterReturn bool
	// NotifyDelay is the wait of NotifyAfterReturn; one second when zero.
	NotifyDelay time.Duration
	// HTTPClient posts notifications; a client with a 5 second timeout when nil.
	HTTPClient *http.Client
	Now        func() time.Time // time.Now when nil
	// ActionTimeout, when set, is the longest an order waits for the
	// shopper: it closes at the earlier of paymentExpiryTime and creation
	// plus ActionTimeout (registry.SandboxEnv.ActionTimeout).
	ActionTimeout time.Duration
}

// Sandbox is the simulated wallet, an http.Handler with in-memory state.
type Sandbox struct {
	sandboxfault.Controls // InjectFault, ClearFaults and ArmedFaults, over faults

	publicURL     string
	prefix        string
	creds         Credentials
	merchantKey   *rsa.PublicKey
	walletKey     *rsa.PrivateKey
	productCode   string
	cashierMethod string
	notifyLater   bool
	notifyDelay   time.Duration
	actionTimeout time.Duration
	client        *http.Client
	now           func() time.Time
	sandboxkit.Server
	faults *sandboxfault.Switch

	mu         sync.Mutex
	orders     map[string]*order  // by paymentRequestId
	byID       map[string]*order  // by paymentId
	byCashier  map[string]*order  // by the cashier's orderId
	refused    map[string]refusal // paymentRequestIds whose pay ended in F
	delays     map[string]time.Duration
	requests   sandboxkit.Counters
	deliveries []*delivery
}

// order is one wallet order.
type order struct {
	requestID   string
	paymentID   string
	cashierID   string
	productCode string
	currency    string
	value       string
	amount      int64
	merchant    string
	description string
	notifyURL   string
	redirectURL string
	created     time.Time
	expires     time.Time
	status      string
	code        string // SUCCESS, or why it failed or was closed
	choice      string // the button that decided, if any
	paidAt      time.Time
	charges     int
	shown       bool
	language    string // env.deviceLanguage
}

func deviceLanguage(o *orderReq) string {
	if o == nil || o.Env == nil {
		return ""
	}
	return o.Env.DeviceLanguage
}

// refusal is a pay that ended in F, kept for idempotency.
type refusal struct {
	fingerprint string
	result      result
	amount      checkout.Money
}

// New builds a Sandbox from cfg.
func New(cfg Config) (*Sandbox, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, errors.New("alipayplus sandbox: PublicURL must be an absolute http(s) URL without query")
	}
	prefix := strings.TrimRight(cfg.PathPrefix, "/")
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "?#") || prefix == "/cashier" || strings.HasPrefix(prefix, "/cashier/")) {
		return nil, errors.New("alipayplus sandbox: PathPrefix must be empty or a path such as /api")
	}
	cr := cfg.Credentials
	if cr.ClientID == "" {
		return nil, errors.New("alipayplus sandbox: the credentials need a ClientID")
	}
	merchantKey, err := alipaysign.ParsePublicKey(cr.MerchantPublicKey)
	if err != nil {
		return nil, errors.New("alipayplus sandbox: MerchantPublicKey is not an RSA public key")
	}
	walletKey, err := alipaysign.ParsePrivateKey(cr.WalletPrivateKey)
	if err != nil {
		return nil, errors.New("alipayplus sandbox: WalletPrivateKey is not an RSA PKCS#8 key")
	}
	method := strings.ToUpper(cfg.CashierMethod)
	switch method {
	case "":
		method = http.MethodPost
	case http.MethodGet, http.MethodPost:
	default:
		return nil, errors.New("alipayplus sandbox: CashierMethod must be GET or POST")
	}
	s := &Sandbox{
		publicURL:     strings.TrimRight(cfg.PublicURL, "/"),
		prefix:        prefix,
		creds:         cr,
		merchantKey:   merchantKey,
		walletKey:     walletKey,
		productCode:   cfg.ProductCode,
		cashierMethod: method,
		notifyLater:   cfg.NotifyAfterReturn,
		notifyDelay:   cfg.NotifyDelay,
		actionTimeout: cfg.ActionTimeout,
		client:        cfg.HTTPClient,
		now:           cfg.Now,
		orders:        map[string]*order{},
		byID:          map[string]*order{},
		byCashier:     map[string]*order{},
		refused:       map[string]refusal{},
		delays:        map[string]time.Duration{},
		faults:        sandboxfault.NewSwitch(OperationPay),
	}
	if s.productCode == "" {
		s.productCode = DefaultProductCode
	}
	if s.notifyDelay <= 0 {
		s.notifyDelay = time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 5 * time.Second}
	}
	s.Outbox = sandboxnotify.New()

	s.Controls = s.faults.Controls()
	s.Mux = http.NewServeMux()
	s.Mux.HandleFunc(prefix+"/v1/", s.serveAPI)
	s.Mux.HandleFunc("GET /cashier", s.serveCashier)
	s.Mux.HandleFunc("POST /cashier", s.serveCashier)
	s.Mux.HandleFunc("POST /cashier/confirm", s.serveConfirm)
	s.Mux.Handle(sandboxfault.Path, s.faults) // test-only, like the sandbox itself
	return s, nil
}

// Credentials returns the merchant's credentials.
func (s *Sandbox) Credentials() Credentials { return s.creds }

// PaymentState is what the wallet's ledger knows about one paymentRequestId.
type PaymentState struct {
	PaymentRequestID string
	PaymentID        string // empty when pay refused the order
	Created          bool   // false when pay ended in F and nothing was created
	Status           string // PROCESSING, SUCCESS, FAIL or CANCELLED
	ResultCode       string // SUCCESS, or why it failed or was closed; the F code of a refused pay
	Amount           checkout.Money
	Charges          int    // times the shopper's balance was debited: 1 after Approve, else 0
	Choice           string // the cashier button that decided: approve, decline, cancel; empty if none
	CashierShown     bool   // the cashier page was shown
	NotifyURL        string
	RedirectURL      string
	ExpiresAt        time.Time
	Language         string // env.deviceLanguage: what the cashier would speak
}

// PaymentState returns the state of the order created under
// paymentRequestId (our payment id). An order past its expiry closes, as on
// any other look.
func (s *Sandbox) PaymentState(paymentRequestID string) (PaymentState, bool) {
	s.mu.Lock()
	o := s.orders[paymentRequestID]
	if o == nil {
		f, ok := s.refused[paymentRequestID]
		s.mu.Unlock()
		if !ok {
			return PaymentState{}, false
		}
		return PaymentState{PaymentRequestID: paymentRequestID, Status: StatusFail, ResultCode: f.result.ResultCode, Amount: f.amount}, true
	}
	d := s.expire(o)
	st := PaymentState{
		PaymentRequestID: o.requestID, PaymentID: o.paymentID, Created: true, Status: o.status, ResultCode: o.code,
		Amount: checkout.Money{Amount: o.amount, Currency: o.currency}, Charges: o.charges, Choice: o.choice,
		CashierShown: o.shown, NotifyURL: o.notifyURL, RedirectURL: o.redirectURL, ExpiresAt: o.expires, Language: o.language,
	}
	s.mu.Unlock()
	s.dispatch(d, false)
	return st, true
}

// Charges is how many times the order under paymentRequestId debited the
// shopper: 1 after Approve, 0 otherwise, never more under replays.
func (s *Sandbox) Charges(paymentRequestID string) int {
	return sandboxkit.TallyOne(&s.mu, s.orders, paymentRequestID, charges)
}

// TotalCharges is how many times any order debited a shopper.
func (s *Sandbox) TotalCharges() int { return sandboxkit.Tally(&s.mu, s.orders, charges) }

func charges(o *order) int { return o.charges }

// CashierURL is the cashier page of the order created under
// paymentRequestId, as redirectActionForm gives it: what a test opens when
// pay's answer was lost to a fault.
func (s *Sandbox) CashierURL(paymentRequestID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[paymentRequestID]
	if o == nil {
		return "", false
	}
	return s.form(o).RedirectionURL, true
}

// Requests returns how many API requests the sandbox answered, by kind:
// pay (orders created), repeat (REPEAT_REQUEST answers), refused (pay F),
// inquiry, unauthorised (INVALID_CLIENT, INVALID_SIGNATURE), invalid
// (MSG_PARSE_ERROR, PARAM_ILLEGAL, FUNCTION_NOT_MATCH, NO_INTERFACE_DEF,
// REPEAT_REQ_INCONSISTENT).
func (s *Sandbox) Requests() map[string]int {
	return s.requests.Snapshot()
}

// DelayNotifications makes the notifications of the order under
// paymentRequestId go out d after the cashier sent the browser back,
// instead of before (0 sends them before, even with
// Config.NotifyAfterReturn). It may be called before the order exists.
func (s *Sandbox) DelayNotifications(paymentRequestID string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[paymentRequestID] = d
}

// expire closes an unpaid order past its expiry and returns the
// notification to send, if any. The caller holds s.mu.
func (s *Sandbox) expire(o *order) *delivery {
	if o.status != StatusProcessing || s.now().Before(o.expires) {
		return nil
	}
	o.status, o.code = StatusFail, codeOrderClosed
	return s.notification(o)
}

// cryptoRand draws ids and credentials from crypto/rand.
var cryptoRand = sandboxkit.NewRandom(nil, "alipayplus")

// readBody reads a request body up to limit bytes.
func readBody(r io.Reader, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil || int64(len(b)) > limit {
		return nil, false
	}
	return b, true
}
