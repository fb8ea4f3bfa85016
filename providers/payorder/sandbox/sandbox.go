// Package sandbox simulates the 33 Fintech Payment Order gateway together
// with the Access Worldpay Checkout session API and Cardinal's device data
// collection and challenge pages, so that the payorder adapter can run
// against it over real HTTP with no network.
//
// It speaks the adapter's wire format (see package payorder for what is
// verified and what is inferred), verifies signatures and decrypts exactly
// as the gateway would, and picks outcomes from the shared test cards
// (providers/testcards) plus the Cardinal/Worldpay test numbers. A
// cardholder named REFUSED is always declined, as in Worldpay's sandbox.
//
// Routes, relative to where the sandbox is mounted:
//
//	POST /api                   the gateway: every service in one envelope
//	POST /sessions/card         Access Checkout card session
//	POST /sessions/payments/cvc Access Checkout CVC session
//	POST /ddc/collect           device data collection (browser, hidden iframe)
//	POST /acs/challenge         the 3DS challenge page (browser, iframe)
//	POST /acs/complete          the challenge's answer, posting back to the merchant
//	POST /_faults               arm a provider fault (tests; see below), DELETE clears, GET lists
//
// Provider faults (package sandboxfault, SECURITY.md R27/R39) apply to the
// money-moving services: payOrder (operation "payOrder") and the
// verification after a challenge (operation "verifyOrder"); createPayer,
// createOrder, checkoutOrder, queryOrder and the Checkout sessions never
// take one. Arm them with InjectFault or the /_faults endpoint, or with a
// magic cardholder name (checkoutOrder's cardHolderName, the name typed on
// the hosted page), which applies to the order's first payOrder (to its
// answer, whatever it is: a challenge card's challenge too); replays of
// payOrder answer normally:
//
//	FAULT TIMEOUT       charges, then holds the answer until the client gives up
//	FAULT SERVER ERROR  HTTP 502, nothing charged; the order fails (queryOrder: failed)
//	FAULT MALFORMED     charges, then answers an envelope cut short
//	FAULT RESET         charges, then drops the connection
//	FAULT SLOW          charges, then answers normally after 500 ms
//
// An injected 5xx does nothing either, except that payOrder fails the order
// it was meant to pay (without a charge), as the 500 card does, so that
// queryOrder can say so. The shared cards keep their meaning:
// 4000000000000119 fails the order and answers HTTP 500; 4000000000000259
// charges, holds the answer until the client gives up, then drops the
// connection. A charge made under a fault is on the ledger (Charges, Order)
// like any other.
//
// An order that waits longer than Config.ActionTimeout (15 minutes by
// default) for the shopper or for the merchant's next call expires with
// nothing charged: queryOrder, payOrder and the verification then answer
// failed (authenticationFailed for a challenge), and a late shopper on the
// challenge page is sent back to the merchant as after a failed challenge.
//
// It never logs and never keeps a card number or a CVC: a card session
// stores only the test scenario, brand, BIN and last four digits. Sessions
// are single-use and expire after 10 minutes (inferred). State lives in
// memory for the life of the process.
package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
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
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
)

// Credentials are what the gateway and a merchant share: the merchant's
// ids, its AES key, and both RSA key pairs. The adapter needs MerchantID,
// CheckoutID, AESKey, MerchantPrivateKey and PlatformPublicKey; the sandbox
// needs the other halves.
type Credentials struct {
	MerchantID         string
	CheckoutID         string // Access Checkout identity
	AESKey             string // base64 of 16 bytes
	MerchantPrivateKey string // PKCS#8 PEM: signs requests
	MerchantPublicKey  string // SubjectPublicKeyInfo PEM: verifies requests
	PlatformPrivateKey string // PKCS#8 PEM: signs answers
	PlatformPublicKey  string // SubjectPublicKeyInfo PEM: verifies answers
}

// NewCredentials generates a fresh merchant: ids, an AES-128 key and two
// RSA-2048 key pairs.
func NewCredentials() (Credentials, error) {
	var c Credentials
	merchant, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return c, err
	}
	platform, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return c, err
	}
	if c.MerchantPrivateKey, c.MerchantPublicKey, err = pemPair(merchant); err != nil {
		return c, err
	}
	if c.PlatformPrivateKey, c.PlatformPublicKey, err = pemPair(platform); err != nil {
		return c, err
	}
	key := make([]byte, payorder.AESKeySize)
	if _, err := rand.Read(key); err != nil {
		return c, err
	}
	c.AESKey = base64.StdEncoding.EncodeToString(key)
	c.MerchantID = "M" + strings.ToUpper(checkout.RandomToken(5))
	c.CheckoutID = sandboxkit.NewRandom(nil, "payorder").UUID()
	return c, nil
}

func pemPair(k *rsa.PrivateKey) (private, public string, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), nil
}

// Config configures a Sandbox.
type Config struct {
	// PublicURL is the absolute URL of the sandbox's mount point as the
	// shopper's browser reaches it, e.g. http://127.0.0.1:8080/sandbox/payorder.
	// Session hrefs and the device data collection and challenge URLs start with it.
	PublicURL   string
	Credentials Credentials
	Now         func() time.Time // time.Now when nil
	Rand        io.Reader        // source of ids, tokens and the JWT key; crypto/rand when nil
	// ActionTimeout is how long an order may wait for the shopper (device
	// data collection, the challenge) or for the merchant's next call
	// (payOrder, the verification) before the sandbox expires it, unpaid;
	// 0 is registry.DefaultActionTimeout.
	ActionTimeout time.Duration
}

// Sandbox is the simulated gateway, an http.Handler with in-memory state.
type Sandbox struct {
	sandboxfault.Controls // InjectFault, ClearFaults and ArmedFaults, over faults

	publicURL   string
	merchantID  string
	checkoutID  string
	aesKey      []byte
	merchantKey *rsa.PublicKey
	platformKey *rsa.PrivateKey
	jwtKey      []byte // HS256 key of the device data collection and challenge JWTs
	apiID       string // JWT issuer, Cardinal's "API identifier"
	orgUnitID   string
	now         func() time.Time
	// actionTimeout is how long an order waits before it expires (expire).
	actionTimeout time.Duration
	sandboxkit.Server
	faults *sandboxfault.Switch

	rnd *sandboxkit.Random

	mu          sync.Mutex
	nextPayerID int64
	payers      map[int64]bool
	sessions    map[string]*cardSession // by the opaque part of the href
	orders      map[string]*order       // by order_sn
	byTxRef     map[string]*order       // by transactionReference
	byChallenge map[string]*order       // by the challenge's Cardinal TransactionId
	charges     int
}

// New builds a Sandbox from cfg.
func New(cfg Config) (*Sandbox, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("sandbox: PublicURL must be an absolute http(s) URL")
	}
	cr := cfg.Credentials
	if cr.MerchantID == "" || cr.CheckoutID == "" {
		return nil, errors.New("sandbox: the credentials need a MerchantID and a CheckoutID")
	}
	s := &Sandbox{
		publicURL:     strings.TrimRight(cfg.PublicURL, "/"),
		merchantID:    cr.MerchantID,
		checkoutID:    cr.CheckoutID,
		now:           cfg.Now,
		actionTimeout: registry.ActionTimeoutOr(cfg.ActionTimeout),
		rnd:           sandboxkit.NewRandom(cfg.Rand, "payorder"),
		nextPayerID:   100000,
		payers:        map[int64]bool{},
		sessions:      map[string]*cardSession{},
		orders:        map[string]*order{},
		byTxRef:       map[string]*order{},
		byChallenge:   map[string]*order{},
		faults:        sandboxfault.NewSwitch(OperationPayOrder, OperationVerifyOrder),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.aesKey, err = payorder.ParseAESKey(cr.AESKey); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if s.merchantKey, err = payorder.ParsePublicKey(cr.MerchantPublicKey); err != nil {
		return nil, fmt.Errorf("sandbox: merchant key: %w", err)
	}
	if s.platformKey, err = payorder.ParsePrivateKey(cr.PlatformPrivateKey); err != nil {
		return nil, fmt.Errorf("sandbox: platform key: %w", err)
	}
	s.jwtKey = s.rnd.Bytes(32)
	s.apiID = hex.EncodeToString(s.rnd.Bytes(12))
	s.orgUnitID = hex.EncodeToString(s.rnd.Bytes(12))

	s.Controls = s.faults.Controls()
	s.Mux = http.NewServeMux()
	s.Mux.HandleFunc("POST /api", s.serveAPI)
	s.Mux.HandleFunc("POST /sessions/card", s.serveCardSession)
	s.Mux.HandleFunc("POST /sessions/payments/cvc", s.serveCVCSession)
	s.Mux.HandleFunc("POST /ddc/collect", s.serveDeviceDataCollection)
	s.Mux.HandleFunc("POST /acs/challenge", s.serveChallenge)
	s.Mux.HandleFunc("POST /acs/complete", s.serveChallengeComplete)
	// Test-only: it exists because the sandbox does, and the app mounts
	// the sandbox only in sandbox mode.
	s.Mux.Handle(sandboxfault.Path, s.faults)
	return s, nil
}

// OrderState is what the sandbox's ledger knows about one order, for tests.
type OrderState struct {
	OrderSN              string
	LinkID               string
	Amount               checkout.Money
	Outcome              string // one of the payorder.Outcome* words
	TransactionReference string
	DeviceDataCollected  bool   // payOrder carried the SessionId device data collection issued
	ChallengePreference  string // as payOrder sent it
	ChallengeWindowSize  string // as payOrder sent it
	ChallengeResult      string // "Y" passed, "N" failed, "" no challenge or not answered yet
	Charges              int    // times the order was charged; more than one is a double charge
	BrowserLanguage      string // as payOrder sent it: the language the challenge would speak
	Expired              bool   // the order waited past the action timeout and was closed unpaid
}

// Order returns the ledger entry of an order.
func (s *Sandbox) Order(orderSN string) (OrderState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderSN]
	if !ok {
		return OrderState{}, false
	}
	s.expire(o)
	st := OrderState{
		OrderSN:              o.sn,
		LinkID:               o.linkID,
		Amount:               o.amount,
		Outcome:              o.status,
		TransactionReference: o.txRef,
		DeviceDataCollected:  o.ddcSessionID != "" && o.sentSessionID == o.ddcSessionID,
		ChallengePreference:  o.preference,
		ChallengeWindowSize:  o.windowSize,
		Charges:              o.charges,
		BrowserLanguage:      o.browserLanguage,
		Expired:              o.expired,
	}
	if o.challenge != nil {
		st.ChallengeResult = o.challenge.result
	}
	return st, true
}

// Charges is the number of charges across all orders.
func (s *Sandbox) Charges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.charges
}

// token returns n random upper-case letters and digits, the shape of
// Cardinal's transaction ids and Worldpay's challenge references.
func (s *Sandbox) token(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	return s.rnd.From(alphabet, n)
}
