package bbmsl

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Name is the provider name the Service routes by.
const Name = "bbmsl"

// maxAnswer bounds how much of a response body the adapter reads.
const maxAnswer = 1 << 20

// Config is everything the adapter needs; pointing it at BBMSL instead of
// the sandbox is a matter of these values.
type Config struct {
	// BaseURL is the PayAPI host, SITBaseURL (https://payapi.sit.bbmsl.com,
	// the default) or ProductionBaseURL; a path, as for a mounted sandbox,
	// is allowed.
	BaseURL string
	// MerchantID is the merchant's numeric id in the portal.
	MerchantID string
	// MerchantPrivateKey signs every request: RSA PKCS#8 (or PKCS#1), PEM
	// or bare base64. Its public half is the one uploaded to the portal.
	MerchantPrivateKey string
	// BBMSLPublicKey verifies notifications: the key downloaded from the
	// portal, X.509 SubjectPublicKeyInfo, PEM or bare base64.
	BBMSLPublicKey string
	HTTPClient     *http.Client     // nil means a client with a 30 s timeout
	Now            func() time.Time // time.Now when nil
	// NotFoundAfter is how old a payment must be before "order not found"
	// is taken to mean its sale never created it; until then that answer
	// is pending. 10 minutes when zero.
	NotFoundAfter time.Duration
	// QueryPath is the order query by merchantReference; DefaultQueryPath
	// when empty.
	QueryPath string
}

// Client is the BBMSL PayAPI online tokenization adapter.
type Client struct {
	base          *url.URL
	merchantID    string
	merchantKey   *rsa.PrivateKey
	bbmslKey      *rsa.PublicKey
	http          *http.Client
	now           func() time.Time
	notFoundAfter time.Duration
	queryPath     string
}

var (
	_ checkout.Provider  = (*Client)(nil)
	_ checkout.CardVault = (*Client)(nil)
	_ checkout.Canceler  = (*Client)(nil)
	_ checkout.Notifier  = (*Client)(nil)
)

var (
	merchantIDPattern = regexp.MustCompile(`^[0-9]{1,18}$`)
	pathPattern       = regexp.MustCompile(`^[a-z-]+/[a-z-]+$`)
)

// New validates cfg and builds the adapter.
func New(cfg Config) (*Client, error) {
	raw := cfg.BaseURL
	if strings.TrimSpace(raw) == "" {
		raw = SITBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("bbmsl: BaseURL must be an absolute http(s) URL without query, e.g. " + SITBaseURL)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	if !merchantIDPattern.MatchString(cfg.MerchantID) {
		return nil, errors.New("bbmsl: MerchantID must be the merchant's numeric id")
	}
	if strings.TrimSpace(cfg.MerchantPrivateKey) == "" {
		return nil, errors.New("bbmsl: MerchantPrivateKey is required")
	}
	key, err := ParsePrivateKey(cfg.MerchantPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("bbmsl: MerchantPrivateKey: %w", err)
	}
	if strings.TrimSpace(cfg.BBMSLPublicKey) == "" {
		return nil, errors.New("bbmsl: BBMSLPublicKey is required")
	}
	pub, err := ParsePublicKey(cfg.BBMSLPublicKey)
	if err != nil {
		return nil, fmt.Errorf("bbmsl: BBMSLPublicKey: %w", err)
	}
	c := &Client{
		base:          base,
		merchantID:    cfg.MerchantID,
		merchantKey:   key,
		bbmslKey:      pub,
		http:          cfg.HTTPClient,
		now:           cfg.Now,
		notFoundAfter: cfg.NotFoundAfter,
		queryPath:     strings.Trim(cfg.QueryPath, "/"),
	}
	if c.queryPath == "" {
		c.queryPath = DefaultQueryPath
	}
	if !pathPattern.MatchString(c.queryPath) {
		return nil, errors.New("bbmsl: QueryPath must look like hosted-checkout/query")
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.notFoundAfter <= 0 {
		c.notFoundAfter = 10 * time.Minute
	}
	return c, nil
}

// Name returns "bbmsl".
func (c *Client) Name() string { return Name }

// Capabilities says the account charges saved cards (tokens) in HKD and
// USD, captured at once: a token sale has no separate capture.
func (c *Client) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{
		Methods:    []checkout.PaymentMethod{checkout.MethodSavedCard},
		Currencies: append([]string(nil), currencies...),
	}
}

// call sends one signed request and reads its answer into out, which must
// embed answer. An error means there is no answer to go by (not sent, no
// answer, a 5xx, an unreadable or code-less body), so the outcome is
// unknown. A 4xx whose JSON carries a responseCode other than 0000 is
// read like a 200: PayAPI refused the request.
func (c *Client) call(ctx context.Context, op, path string, body any, out interface{ code() string }) error {
	request, err := marshal(body)
	if err != nil {
		return fmt.Errorf("bbmsl: %s: encoding the request failed", op)
	}
	envelope, err := Seal(c.merchantKey, request)
	if err != nil {
		return fmt.Errorf("bbmsl: %s: signing the request failed", op)
	}
	target := *c.base
	target.Path += "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(envelope))
	if err != nil {
		return fmt.Errorf("bbmsl: %s: building the request failed", op)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("bbmsl: %s: %s", op, checkout.TransportReason(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("bbmsl: %s: HTTP %d, reading the answer failed: %s", op, resp.StatusCode, checkout.TransportReason(err))
	}
	if len(raw) > maxAnswer {
		return fmt.Errorf("bbmsl: %s: HTTP %d, answer larger than %d bytes", op, resp.StatusCode, maxAnswer)
	}
	if resp.StatusCode != http.StatusOK && (resp.StatusCode < 400 || resp.StatusCode > 499) {
		return fmt.Errorf("bbmsl: %s: HTTP %d", op, resp.StatusCode)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("bbmsl: %s: HTTP %d, unreadable answer", op, resp.StatusCode)
	}
	code := out.code()
	if code == "" {
		return fmt.Errorf("bbmsl: %s: HTTP %d, answer without a responseCode", op, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK && code == CodeSuccess {
		return fmt.Errorf("bbmsl: %s: HTTP %d with responseCode 0000", op, resp.StatusCode)
	}
	return nil
}

// codeError is an answer that says the request was not carried out as
// asked. It names the operation and the code, never PayAPI's message,
// which could echo what was sent.
func codeError(op, code string) error {
	return fmt.Errorf("bbmsl: %s: responseCode %s", op, showCode(code))
}
