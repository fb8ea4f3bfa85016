package alipayplus

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/opencheckout/hostedcheckout/providers/wirekit"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

// Name is the provider name the Service routes by.
const Name = "alipayplus"

// Defaults.
const (
	DefaultProductCode   = "51051000101000000011" // cashier payment [S]
	DefaultMerchantMCC   = "5812"                 // eating places and restaurants; set the merchant's own
	DefaultPaymentExpiry = 15 * time.Minute
	DefaultNotFoundAfter = 10 * time.Minute
)

// TimeFormat is how the adapter writes Request-Time and the body's times:
// ISO-8601 with milliseconds and a numeric offset, as in the docs'
// 2019-04-04T12:08:56.253+05:30.
const TimeFormat = "2006-01-02T15:04:05.000-07:00"

// bodyTimeFormat writes the body's times without fractions, as the seed's
// examples do ("2020-06-08T12:12:12+08:00").
const bodyTimeFormat = "2006-01-02T15:04:05-07:00"

// maxAnswer bounds how much of an answer the adapter reads.
const maxAnswer = 1 << 20

// Config is everything the adapter needs; pointing it at a real wallet
// instead of the sandbox is a matter of these values.
type Config struct {
	// BaseURL is the wallet's OpenAPI host, e.g. https://openapi.wallet.example
	// (a path, as for a mounted sandbox, is allowed and is not signed).
	BaseURL string
	// PathPrefix goes before /v1/payments/... and is signed with it: "" by
	// default; some wallets use "/api" or longer prefixes.
	PathPrefix string
	// ClientID is the Client-Id the wallet gave the merchant. The wallet's
	// answers and notifications carry the same Client-Id.
	ClientID string
	// MerchantPrivateKey signs requests: RSA PKCS#8, PEM or bare base64.
	MerchantPrivateKey string
	// WalletPublicKey verifies answers and notifications: X.509
	// SubjectPublicKeyInfo, PEM or bare base64.
	WalletPublicKey string
	// ProductCode is sent on pay; DefaultProductCode when empty.
	ProductCode string
	// MerchantID is order.merchant.referenceMerchantId; ClientID when empty.
	MerchantID string
	// MerchantName is order.merchant.merchantName and merchantDisplayName,
	// shown on the wallet's cashier. Required.
	MerchantName string
	// MerchantMCC is the merchant category code; DefaultMerchantMCC when empty.
	MerchantMCC string
	// MerchantRegion (ISO 3166-1 alpha-2) and MerchantCity make
	// order.merchant.merchantAddress; left out when both are empty.
	MerchantRegion string
	MerchantCity   string
	// PaymentExpiry is how long the shopper has at the cashier;
	// DefaultPaymentExpiry when zero.
	PaymentExpiry time.Duration
	// NotFoundAfter is how old a payment must be before the wallet's
	// ORDER_NOT_EXIST is taken to mean pay never created it; until then
	// that answer is pending. DefaultNotFoundAfter when zero.
	NotFoundAfter time.Duration
	// Currencies the wallet takes (ISO codes); empty means any.
	Currencies []string
	// HTTPClient sends requests; a client with a 30 s timeout when nil.
	HTTPClient *http.Client
	// Now is the clock for Request-Time and the body's times; time.Now when nil.
	Now func() time.Time
}

// Client is the Alipay+ wallet adapter.
type Client struct {
	base          *url.URL
	prefix        string
	clientID      string
	merchantKey   *rsa.PrivateKey
	walletKey     *rsa.PublicKey
	productCode   string
	merchantID    string
	merchantName  string
	merchantMCC   string
	region, city  string
	expiry        time.Duration
	notFoundAfter time.Duration
	currencies    []string
	http          *http.Client
	now           func() time.Time
}

var (
	_ checkout.Provider = (*Client)(nil)
	_ checkout.Notifier = (*Client)(nil)
)

var (
	prefixPattern   = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*$`)
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	mccPattern      = regexp.MustCompile(`^[0-9]{4}$`)
	productPattern  = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	regionPattern   = regexp.MustCompile(`^[A-Z]{2}$`)
)

// New validates cfg and builds the adapter.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("alipayplus: BaseURL must be an absolute http(s) URL without query")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	prefix := strings.TrimRight(cfg.PathPrefix, "/")
	if !prefixPattern.MatchString(prefix) {
		return nil, errors.New("alipayplus: PathPrefix must be empty or a plain path such as /api")
	}
	if !clientIDPattern.MatchString(cfg.ClientID) {
		return nil, errors.New("alipayplus: ClientID is required (letters, digits, '_', '.', '-', at most 64)")
	}
	merchantKey, err := alipaysign.ParsePrivateKey(cfg.MerchantPrivateKey)
	if err != nil {
		return nil, errors.New("alipayplus: MerchantPrivateKey is not an RSA PKCS#8 key (PEM or base64)")
	}
	walletKey, err := alipaysign.ParsePublicKey(cfg.WalletPublicKey)
	if err != nil {
		return nil, errors.New("alipayplus: WalletPublicKey is not an RSA X.509 public key (PEM or base64)")
	}
	c := &Client{
		base:          base,
		prefix:        prefix,
		clientID:      cfg.ClientID,
		merchantKey:   merchantKey,
		walletKey:     walletKey,
		productCode:   cfg.ProductCode,
		merchantID:    cfg.MerchantID,
		merchantName:  strings.TrimSpace(cfg.MerchantName),
		merchantMCC:   cfg.MerchantMCC,
		region:        cfg.MerchantRegion,
		city:          strings.TrimSpace(cfg.MerchantCity),
		expiry:        cfg.PaymentExpiry,
		notFoundAfter: cfg.NotFoundAfter,
		currencies:    cfg.Currencies,
		http:          cfg.HTTPClient,
		now:           cfg.Now,
	}
	if c.productCode == "" {
		c.productCode = DefaultProductCode
	}
	if !productPattern.MatchString(c.productCode) {
		return nil, errors.New("alipayplus: ProductCode must be letters, digits or '_', at most 32")
	}
	if c.merchantID == "" {
		c.merchantID = c.clientID
	}
	if len(c.merchantID) > 64 || !printable(c.merchantID) {
		return nil, errors.New("alipayplus: MerchantID must be printable, at most 64 characters")
	}
	if c.merchantName == "" || len(c.merchantName) > 256 || !printable(c.merchantName) {
		return nil, errors.New("alipayplus: MerchantName is required (printable, at most 256 characters)")
	}
	if c.merchantMCC == "" {
		c.merchantMCC = DefaultMerchantMCC
	}
	if !mccPattern.MatchString(c.merchantMCC) {
		return nil, errors.New("alipayplus: MerchantMCC must be four digits")
	}
	if c.region != "" && !regionPattern.MatchString(c.region) {
		return nil, errors.New("alipayplus: MerchantRegion must be an ISO 3166-1 alpha-2 code such as SG")
	}
	if len(c.city) > 64 || !printable(c.city) {
		return nil, errors.New("alipayplus: MerchantCity must be printable, at most 64 characters")
	}
	if c.expiry < 0 || c.notFoundAfter < 0 {
		return nil, errors.New("alipayplus: PaymentExpiry and NotFoundAfter may not be negative")
	}
	if c.expiry == 0 {
		c.expiry = DefaultPaymentExpiry
	}
	if c.notFoundAfter == 0 {
		c.notFoundAfter = DefaultNotFoundAfter
	}
	for i, code := range cfg.Currencies {
		if !checkout.ValidCurrency(code) {
			return nil, fmt.Errorf("alipayplus: Currencies[%d] is not an ISO 4217 code", i)
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Name returns "alipayplus".
func (c *Client) Name() string { return Name }

// Capabilities says the wallet takes wallet payments in its configured
// currencies; it captures at once (no manual capture).
func (c *Client) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{
		Methods:    []checkout.PaymentMethod{checkout.MethodWallet},
		Currencies: c.currencies,
	}
}

// call sends one signed request and returns the answer's body once its
// signature verified. Any error means there is no answer to trust: the
// request could not be sent, the answer did not come, was not HTTP 200, was
// too large, or did not verify.
func (c *Client) call(ctx context.Context, op, api string, body any) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("alipayplus: %s: encoding the request failed", op)
	}
	// The signed path is relative to BaseURL: a wallet's host has no path of
	// its own, and a mounted sandbox sees the path with its mount stripped.
	path := c.prefix + api
	target := *c.base
	target.Path += path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("alipayplus: %s: building the request failed", op)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	if err := alipaysign.SignMessage(c.merchantKey, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, path, c.clientID,
		c.now().Format(TimeFormat), raw); err != nil {
		return nil, fmt.Errorf("alipayplus: %s: signing the request failed", op)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("alipayplus: %s: %s", op, checkout.TransportReason(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("alipayplus: %s: HTTP %d, reading the answer failed: %s", op, resp.StatusCode, checkout.TransportReason(err))
	}
	if len(answer) > maxAnswer {
		return nil, fmt.Errorf("alipayplus: %s: HTTP %d, answer larger than %d bytes", op, resp.StatusCode, maxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("alipayplus: %s: HTTP %d", op, resp.StatusCode)
	}
	if _, err := alipaysign.VerifyMessage(c.walletKey, resp.Header, alipaysign.HeaderResponseTime, http.MethodPost, path, c.clientID, answer); err != nil {
		return nil, fmt.Errorf("alipayplus: %s: the answer's signature does not verify (%s)", op, signReason(err))
	}
	return answer, nil
}

// signReason says why a signature check failed, without quoting anything.
func signReason(err error) string {
	switch {
	case errors.Is(err, alipaysign.ErrMissingHeader):
		return "Client-Id, time or Signature missing"
	case errors.Is(err, alipaysign.ErrWrongClient):
		return "another Client-Id"
	case errors.Is(err, alipaysign.ErrBadHeader):
		return "malformed Signature header"
	}
	return "bad signature"
}

var (
	codePattern = regexp.MustCompile(`^[A-Z0-9_]{1,64}$`)
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// cleanCode keeps a result code only if it looks like one, so that an odd
// answer cannot carry text into our logs and records.
func cleanCode(s string) string { return wirekit.CleanCode(codePattern, s, "", "INVALID") }

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
