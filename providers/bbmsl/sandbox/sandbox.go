// Package sandbox simulates BBMSL's PayAPI online tokenization together
// with its hosted add-card page, so that the bbmsl adapter runs against it
// over real HTTP with no network.
//
// It follows the wire contract shared with the adapter (../WIRE.md, from
// PROVIDERS.md section 2 and seed 001): every call is a POST of
// {"request":"<json string>","signature":"<base64>"} whose signature it
// verifies with the merchant's public key over the exact bytes of the
// request string; it honours merchantReference idempotency, keeps tokens
// per userId, and posts signed notifications.
//
// Routes, relative to where the sandbox is mounted (API paths with or
// without a trailing slash):
//
//	POST /tokenization/add-token     a hosted add-card page for a userId
//	POST /tokenization/query-token   the userId's active tokens
//	POST /tokenization/delete-token  remove a token
//	POST /tokenization/sale          charge a token
//	POST /tokenization/recurring     charge a token again after a recurring sale
//	POST /tokenization/void          void a sale
//	POST /tokenization/query         read an order (also POST /hosted-checkout/query)
//	GET  /token?sid=...              the hosted add-card page (browser)
//	POST /token?sid=...              its card form
//	POST /token/challenge?sid=...    its 3-D Secure one-time code
//	GET  /token/cancel?sid=...       its cancel link, then 303 to callbackUrl.cancel
//	POST /_faults                    arm a provider fault (tests; see below), DELETE clears, GET lists
//
// The add-card page honours the shared test-card table (providers/testcards)
// at 3-D Secure: a challenge card asks for a one-time code (1234 passes,
// anything else fails), a card whose authentication fails (3DS N or R) is
// refused, and every other card, 3DS unavailable included, is saved. A
// saved token remembers only what the card's scenario does at the issuer
// and the provider, its brand, BIN, last four and expiry: never the number
// or the CVC. A sale of a token from a decline card is declined with the
// matching code; 4000000000000119 answers HTTP 500 and creates nothing;
// 4000000000000259 creates and charges the order, then drops the
// connection (panic(http.ErrAbortHandler)), while a replay and a query show
// it.
//
// Provider faults (package sandboxfault, SECURITY.md R27/R39) apply to the
// calls that move money: sale, recurring and void (operations of the same
// names); add-token, query-token, delete-token and query never take one,
// nor does a request whose envelope or signature is refused. Arm them with
// InjectFault or the /_faults endpoint (unauthenticated, like the add-card
// page: it exists only where the sandbox does, and the app mounts the
// sandbox only in sandbox mode). An injected fault counts every matching
// call, replays included; an injected 5xx answers HTTP 502 and does
// nothing. A magic cardholder name typed on the add-card page stays with
// the token and applies to every sale or recurring charge that creates an
// order with it (replays answer normally):
//
//	FAULT TIMEOUT       charges, then holds the answer until the client gives up
//	FAULT SERVER ERROR  HTTP 500 and nothing created, as 4000000000000119
//	FAULT MALFORMED     charges, then answers a body cut short
//	FAULT RESET         charges, then drops the connection, as 4000000000000259
//	FAULT SLOW          charges, then answers normally after 500 ms
//
// (CompleteAddCardAs types such a name.) An order made under a fault is on
// the ledger (Charges, Order, TotalCharges) and notified as usual.
//
// Inferred behaviour (BBMSL publishes no sandbox, no response-code list and
// no test cards [NF]), chosen to be plausible and documented in WIRE.md:
//   - Every API answer is HTTP 200 with JSON {"responseCode","message",...},
//     unsigned, refusals included; the one exception is the 500 card. Codes:
//     0000 SUCCESS, 1001 "invalid signature", 1002 "no public key" (a
//     merchantId without a key), 1003 "invalid parameter: <field>" (the
//     field, never its value), 2001 order not found, 2002 duplicate
//     merchantReference (another request), 2003 token not found, 2004
//     invalid parent order, 2005 invalid order status, and declines 50NN
//     (NN the ISO 8583 issuer answer: 5005, 5051, 5054, 5082).
//   - Checks run in this order: method and path, Content-Type, the envelope,
//     merchantId (1002), the signature (1001), the fields (1003), then the
//     operation's rules.
//   - A declined sale is created: order OPEN, transaction DECLINED with the
//     decline's responseCode, and the answer's responseCode is that code.
//   - sale and recurring share one merchantReference namespace: the same
//     request again (compared as canonical JSON) answers the order as it
//     stands; another request under the same reference is 2002.
//   - recurring needs the token and a parentOrderId whose order was made
//     with isRecurring true (or is itself a recurring charge), for the same
//     userId and token, and is still SUCCESS; else 2004. Its currency,
//     when sent, must be the parent's.
//   - line items must add up to the amount (1003 lineItems).
//   - void takes a SUCCESS order to VOIDED (its transaction too), and is
//     0000 again for a VOIDED one; any other state is 2005.
//   - Notifications are posted after every sale or recurring result
//     (SUCCESS, DECLINED) and every void (VOIDED), signed over the raw
//     canonical form, to callbackUrl.notify or Config.NotifyURL, tried at
//     once and after each of Config.RetryDelays until an HTTP 200 answer
//     whose body is OK (white space aside). add-token's notify is kept but
//     never called: no token event is documented.
//   - A hosted page serves one card; the browser goes to
//     callbackUrl.success, fail or cancel unchanged (no parameters).
//   - A hosted page the shopper has not finished (no card yet, or a
//     one-time code still awaited) Config.ActionTimeout after add-token
//     (15 minutes by default) expires as a failed authentication does: no
//     card is saved, and the page, its card form, its challenge and its
//     cancel link all send the browser to callbackUrl.fail from then on.
//     BBMSL documents no page lifetime [NF]. Nothing else waits for the
//     shopper: a token sale is final when it answers (no 3-D Secure), so
//     no order ever needs to expire.
//
// For tests: Charges, Order and Tokens read the ledger; Deliveries and
// WaitNotifications observe notifications; CompleteAddCard plays the
// shopper on the hosted page over plain HTTP.
//
// State lives in memory, behind one mutex, for the life of the value.
package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"github.com/opencheckout/hostedcheckout/providers/sandboxkit"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Credentials are a merchant's PayAPI account: its numeric id, the merchant
// key pair (the adapter signs with the private key, the sandbox verifies
// with the public one, which the merchant uploads to the portal) and
// BBMSL's key pair (the sandbox signs notifications, the adapter verifies
// with the public key the portal offers for download). Keys are bare
// base64 DER, as the portal shows them.
type Credentials struct {
	MerchantID         string // digits
	MerchantPrivateKey string // PKCS#8: for the adapter
	MerchantPublicKey  string // SubjectPublicKeyInfo
	BBMSLPrivateKey    string // PKCS#8
	BBMSLPublicKey     string // SubjectPublicKeyInfo: for the adapter
}

// NewCredentials generates a fresh merchant with two RSA-2048 key pairs.
func NewCredentials() (Credentials, error) {
	merchant, err := bbmsl.NewKeyPair()
	if err != nil {
		return Credentials{}, fmt.Errorf("bbmsl sandbox: generating the merchant key: %w", err)
	}
	platform, err := bbmsl.NewKeyPair()
	if err != nil {
		return Credentials{}, fmt.Errorf("bbmsl sandbox: generating the BBMSL key: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(900_000))
	if err != nil {
		return Credentials{}, fmt.Errorf("bbmsl sandbox: drawing a merchant id: %w", err)
	}
	return Credentials{
		MerchantID:         fmt.Sprint(100_000 + n.Int64()),
		MerchantPrivateKey: merchant.Private,
		MerchantPublicKey:  merchant.Public,
		BBMSLPrivateKey:    platform.Private,
		BBMSLPublicKey:     platform.Public,
	}, nil
}

// DefaultRetryDelays are the waits before the retries of a notification
// that was not acknowledged when Config.RetryDelays is nil: BBMSL's
// fifteen (15 s, 15 s, 30 s, 1 m, 2 m, 5 m, 5 m, 10 m, 20 m, 30 m, 30 m,
// 60 m, 60 m, 2 h, 4 h) [V], with a millisecond for each of its seconds.
var DefaultRetryDelays = []time.Duration{
	15 * time.Millisecond, 15 * time.Millisecond, 30 * time.Millisecond, 60 * time.Millisecond,
	120 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond,
	1200 * time.Millisecond, 1800 * time.Millisecond, 1800 * time.Millisecond, 3600 * time.Millisecond,
	3600 * time.Millisecond, 7200 * time.Millisecond, 14400 * time.Millisecond,
}

// Config configures a Sandbox.
type Config struct {
	// PublicURL is the absolute URL of the sandbox's mount point as the
	// shopper's browser reaches it, e.g. http://127.0.0.1:8080/sandbox/bbmsl.
	// The hosted add-card page's URL starts with it.
	PublicURL   string
	Credentials Credentials
	// NotifyURL, when set, receives every notification instead of the
	// order's callbackUrl.notify (for an app whose public URL this process
	// cannot reach). They are signed the same.
	NotifyURL string
	// HTTPClient posts notifications; a client with a 5 second timeout when nil.
	HTTPClient *http.Client
	Now        func() time.Time // time.Now when nil
	// RetryDelays are the waits before each retry of a notification that
	// was not acknowledged; DefaultRetryDelays when nil.
	RetryDelays []time.Duration
	// ActionTimeout is how long a hosted add-card page waits for the
	// shopper (the card, then any one-time code) before the sandbox
	// expires it: no card is saved and the browser goes to
	// callbackUrl.fail. 0 is registry.DefaultActionTimeout.
	ActionTimeout time.Duration
}

// Sandbox is the simulated PayAPI, an http.Handler with in-memory state.
type Sandbox struct {
	sandboxfault.Controls // InjectFault, ClearFaults and ArmedFaults, over faults

	publicURL   string
	creds       Credentials
	merchantKey *rsa.PublicKey
	bbmslKey    *rsa.PrivateKey
	client      *http.Client
	now         func() time.Time
	notifyURL   string
	retryDelays []time.Duration
	// actionTimeout is how long a hosted page waits for the shopper.
	actionTimeout time.Duration
	sandboxkit.Server
	faults      *sandboxfault.Switch
	fingerprint []byte // HMAC key of request fingerprints

	mu         sync.Mutex
	tokens     map[int64]*tokenRec
	orders     map[string]*orderRec // by merchantReference
	byID       map[int64]*orderRec
	sessions   map[string]*session // hosted pages by sid
	nextToken  int64
	nextOrder  int64
	nextTx     int64
	deliveries []*delivery
}

// New builds a Sandbox from cfg.
func New(cfg Config) (*Sandbox, error) {
	if !absoluteHTTP(cfg.PublicURL) {
		return nil, errors.New("bbmsl sandbox: PublicURL must be an absolute http(s) URL")
	}
	cr := cfg.Credentials
	if cr.MerchantID == "" || strings.Trim(cr.MerchantID, "0123456789") != "" || len(cr.MerchantID) > 18 {
		return nil, errors.New("bbmsl sandbox: Credentials.MerchantID must be digits")
	}
	merchantKey, err := bbmsl.ParsePublicKey(cr.MerchantPublicKey)
	if err != nil {
		return nil, fmt.Errorf("bbmsl sandbox: Credentials.MerchantPublicKey: %w", err)
	}
	bbmslKey, err := bbmsl.ParsePrivateKey(cr.BBMSLPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("bbmsl sandbox: Credentials.BBMSLPrivateKey: %w", err)
	}
	if cfg.NotifyURL != "" && !absoluteHTTP(cfg.NotifyURL) {
		return nil, errors.New("bbmsl sandbox: NotifyURL must be an absolute http(s) URL")
	}
	s := &Sandbox{
		publicURL:     strings.TrimRight(cfg.PublicURL, "/"),
		creds:         cr,
		merchantKey:   merchantKey,
		bbmslKey:      bbmslKey,
		client:        cfg.HTTPClient,
		now:           cfg.Now,
		notifyURL:     cfg.NotifyURL,
		retryDelays:   cfg.RetryDelays,
		actionTimeout: registry.ActionTimeoutOr(cfg.ActionTimeout),
		tokens:        map[int64]*tokenRec{},
		orders:        map[string]*orderRec{},
		byID:          map[int64]*orderRec{},
		sessions:      map[string]*session{},
		faults:        sandboxfault.NewSwitch(OperationSale, OperationRecurring, OperationVoid),
		// The seed's ids, so that answers look like its example.
		nextToken: 436,
		nextOrder: 5798,
		nextTx:    3970,
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
	s.fingerprint = cryptoRand.Bytes(32)
	s.Outbox = sandboxnotify.New()

	s.Controls = s.faults.Controls()
	s.Mux = http.NewServeMux()
	s.Mux.HandleFunc("/tokenization/", s.serveAPI)
	s.Mux.HandleFunc("/hosted-checkout/", s.serveAPI)
	s.Mux.HandleFunc("GET /token", s.servePage)
	s.Mux.HandleFunc("POST /token", s.serveCard)
	s.Mux.HandleFunc("POST /token/challenge", s.serveChallenge)
	s.Mux.HandleFunc("GET /token/cancel", s.serveCancel)
	s.Mux.Handle(sandboxfault.Path, s.faults) // test-only, like the sandbox itself
	return s, nil
}

// Credentials returns the merchant's credentials.
func (s *Sandbox) Credentials() Credentials { return s.creds }

// tokenRec is one saved card. It never holds the card number or the CVC.
type tokenRec struct {
	id        int64
	userID    string // as add-token gave it
	userKey   string // lower case: userId is case-insensitive [V]
	brand     checkout.CardBrand
	bin       string
	last4     string
	panLength int
	expMonth  int
	expYear   int
	scenario  testcards.Scenario  // what the issuer and the provider do with it
	fault     *sandboxfault.Fault // asked for by a magic cardholder name
	threeDS   string              // the add-card authentication: Y, A or U
	status    string              // ACTIVE or DELETED
	createdAt time.Time
}

func (t *tokenRec) maskedPan() string {
	n := t.panLength - len(t.bin) - len(t.last4)
	if n < 2 {
		n = 6
	}
	return t.bin + strings.Repeat("X", n) + t.last4
}

// TokenState is what the ledger knows about a token, for tests.
type TokenState struct {
	TokenID  string
	UserID   string
	Brand    checkout.CardBrand
	BIN      string
	Last4    string
	ExpMonth int
	ExpYear  int
	ThreeDS  string // the add-card authentication: Y, A or U
	Status   string // ACTIVE or DELETED
}

// Tokens lists every token ever saved for userId (case-insensitive),
// deleted ones included, oldest first.
func (s *Sandbox) Tokens(userID string) []TokenState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TokenState
	for _, t := range s.sortedTokens(strings.ToLower(userID), false) {
		out = append(out, TokenState{
			TokenID: fmt.Sprint(t.id), UserID: t.userID, Brand: t.brand, BIN: t.bin, Last4: t.last4,
			ExpMonth: t.expMonth, ExpYear: t.expYear, ThreeDS: t.threeDS, Status: t.status,
		})
	}
	return out
}

// orderRec is one order made by sale or recurring.
type orderRec struct {
	id          int64
	txID        int64
	reference   string
	fingerprint []byte
	userID      string
	userKey     string
	tokenID     int64
	currency    string
	amount      int64 // minor units
	status      string
	txStatus    string
	code        string // the sale's responseCode: 0000 or the decline's
	recurring   bool
	parentID    int64 // set for a recurring charge
	charged     bool
	cardType    string
	maskedPan   string
	notifyURL   string
	createdAt   time.Time
	updatedAt   time.Time
}

// OrderState is what the ledger knows about an order, for tests.
type OrderState struct {
	OrderID           string
	MerchantReference string
	UserID            string
	TokenID           string
	Currency          string
	Amount            int64  // minor units
	Status            string // order status: SUCCESS, OPEN, VOIDED
	TransactionStatus string // SUCCESS, DECLINED, VOIDED
	ResponseCode      string
	Recurring         bool
	ParentOrderID     string // for a recurring charge
	Charged           bool
}

// Order returns the order made under merchantReference (our payment id).
func (s *Sandbox) Order(merchantReference string) (OrderState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[merchantReference]
	if !ok {
		return OrderState{}, false
	}
	st := OrderState{
		OrderID: fmt.Sprint(o.id), MerchantReference: o.reference, UserID: o.userID, TokenID: fmt.Sprint(o.tokenID),
		Currency: o.currency, Amount: o.amount, Status: o.status, TransactionStatus: o.txStatus, ResponseCode: o.code,
		Recurring: o.recurring, Charged: o.charged,
	}
	if o.parentID != 0 {
		st.ParentOrderID = fmt.Sprint(o.parentID)
	}
	return st, true
}

// Charges is how many times the order made under merchantReference was
// charged: 1 after a success (however often it was replayed, and still
// after a void), 0 otherwise.
func (s *Sandbox) Charges(merchantReference string) int {
	return sandboxkit.TallyOne(&s.mu, s.orders, merchantReference, charges)
}

// TotalCharges is how many orders were charged, whatever their reference.
func (s *Sandbox) TotalCharges() int { return sandboxkit.Tally(&s.mu, s.orders, charges) }

func charges(o *orderRec) int { return sandboxkit.Once(o.charged) }

// session is one hosted add-card page.
type session struct {
	sid            string
	userID         string
	reason         string
	lang           string
	success        string
	fail           string
	cancel         string
	createdAt      time.Time
	state          int
	pending        *tokenRec // the card waiting for its one-time code
	challengeShown bool
	endedAt        string // where the browser was sent when it ended
	lapsed         bool   // ended by the action timeout, at the fail URL
}

// Session states.
const (
	sessionOpen = iota
	sessionChallenge
	sessionDone
)

// cryptoRand draws ids and tokens from crypto/rand.
var cryptoRand = sandboxkit.NewRandom(nil, "bbmsl")

func absoluteHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}
