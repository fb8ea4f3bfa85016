package antom

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
	"strconv"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

// Name is the provider name the Service routes by.
const Name = "antom"

// maxAnswer bounds how much of a response body the adapter reads.
const maxAnswer = 1 << 20

// Config is everything the adapter needs; pointing it at Antom instead of
// the sandbox is a matter of these values.
type Config struct {
	// BaseURL is the API domain, e.g. https://open-sea-global.alipay.com
	// (a path, as for a mounted sandbox, is allowed and is not signed).
	BaseURL string
	// ClientID is the merchant's Client-Id. One starting with "SANDBOX_"
	// is a sandbox client: its paths become /ams/sandbox/api/... as the
	// SDK's AdjustSandboxUrl does.
	ClientID string
	// MerchantPrivateKey signs every request: RSA PKCS#8, PEM or bare base64.
	MerchantPrivateKey string
	// AntomPublicKey verifies every answer and notification: RSA X.509
	// SubjectPublicKeyInfo, PEM or bare base64.
	AntomPublicKey string
	Currencies     []string         // ISO codes the account takes; empty means any
	HTTPClient     *http.Client     // nil means a client with a 30 s timeout
	Now            func() time.Time // the clock for Request-Time; time.Now when nil
	// NotFoundAfter is how old a payment must be before inquiryPayment's
	// ORDER_NOT_EXIST is taken to mean that the pay call never created it;
	// until then that answer is pending. 10 minutes when zero.
	NotFoundAfter time.Duration
}

// Client is the Antom card payments adapter.
type Client struct {
	base          *url.URL
	clientID      string
	root          string // /ams/api, or /ams/sandbox/api for a sandbox client
	merchantKey   *rsa.PrivateKey
	antomKey      *rsa.PublicKey
	currencies    []string
	http          *http.Client
	now           func() time.Time
	notFoundAfter time.Duration
}

var (
	_ checkout.Provider       = (*Client)(nil)
	_ checkout.Capturer       = (*Client)(nil)
	_ checkout.Canceler       = (*Client)(nil)
	_ checkout.Refunder       = (*Client)(nil)
	_ checkout.RefundInquirer = (*Client)(nil)
	_ checkout.Notifier       = (*Client)(nil)
)

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// New validates cfg and builds the adapter.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("antom: BaseURL must be an absolute http(s) URL without query, e.g. https://open-sea-global.alipay.com")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("antom: ClientID is required")
	}
	if !clientIDPattern.MatchString(cfg.ClientID) {
		return nil, errors.New("antom: ClientID must be at most 64 letters, digits, '_', '.' or '-'")
	}
	if strings.TrimSpace(cfg.MerchantPrivateKey) == "" {
		return nil, errors.New("antom: MerchantPrivateKey is required")
	}
	key, err := alipaysign.ParsePrivateKey(cfg.MerchantPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("antom: MerchantPrivateKey: %w", err)
	}
	if strings.TrimSpace(cfg.AntomPublicKey) == "" {
		return nil, errors.New("antom: AntomPublicKey is required")
	}
	pub, err := alipaysign.ParsePublicKey(cfg.AntomPublicKey)
	if err != nil {
		return nil, fmt.Errorf("antom: AntomPublicKey: %w", err)
	}
	for i, code := range cfg.Currencies {
		if !checkout.ValidCurrency(code) {
			return nil, fmt.Errorf("antom: Currencies[%d] is not an ISO 4217 code", i)
		}
	}
	c := &Client{
		base:          base,
		clientID:      cfg.ClientID,
		root:          productionRoot,
		merchantKey:   key,
		antomKey:      pub,
		currencies:    cfg.Currencies,
		http:          cfg.HTTPClient,
		now:           cfg.Now,
		notFoundAfter: cfg.NotFoundAfter,
	}
	if strings.HasPrefix(cfg.ClientID, sandboxPrefix) {
		c.root = sandboxRoot
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

// Name returns "antom".
func (c *Client) Name() string { return Name }

// Capabilities says the account takes cards in its configured currencies
// and can hold an authorization for a later capture (captureMode MANUAL).
func (c *Client) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{
		Methods:       []checkout.PaymentMethod{checkout.MethodCard},
		Currencies:    c.currencies,
		ManualCapture: true,
	}
}

// apiPath is the path of an endpoint for this client: the first /ams/api
// becomes /ams/sandbox/api for a SANDBOX_ client, as in the SDK's
// AdjustSandboxUrl. It is the path that is signed.
func (c *Client) apiPath(path string) string {
	return strings.Replace(path, productionRoot, c.root, 1)
}

// call sends one signed request and reads its answer into out. The answer's
// signature is verified before anything in it is read; an error means there
// is no trustworthy answer (not sent, no answer, not HTTP 200, bad or
// missing signature, unreadable body), so the outcome is unknown.
func (c *Client) call(ctx context.Context, op, path string, body, out any) error {
	b, err := encode(body)
	if err != nil {
		return fmt.Errorf("antom: %s: encoding the request failed", op)
	}
	signed := c.apiPath(path)
	target := *c.base
	target.Path += signed
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("antom: %s: building the request failed", op)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	requestTime := strconv.FormatInt(c.now().UnixMilli(), 10)
	if err := alipaysign.SignMessage(c.merchantKey, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, signed, c.clientID, requestTime, b); err != nil {
		return fmt.Errorf("antom: %s: signing the request failed", op)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("antom: %s: %s", op, checkout.TransportReason(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("antom: %s: HTTP %d, reading the answer failed: %s", op, resp.StatusCode, checkout.TransportReason(err))
	}
	if len(raw) > maxAnswer {
		return fmt.Errorf("antom: %s: HTTP %d, answer larger than %d bytes", op, resp.StatusCode, maxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("antom: %s: HTTP %d", op, resp.StatusCode)
	}
	if _, err := alipaysign.VerifyMessage(c.antomKey, resp.Header, alipaysign.HeaderResponseTime, http.MethodPost, signed, c.clientID, raw); err != nil {
		return fmt.Errorf("antom: %s: answer not trusted: %w", op, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("antom: %s: unreadable answer", op)
	}
	return nil
}

// encode marshals v without HTML escaping, so that URLs travel as written.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// resultError is an answer whose result says the request itself was not
// carried out as asked (a refused signature or client, an inconsistent
// repeat, an unknown state). It names the operation and Antom's status and
// code, never the message text, which could echo what was sent.
func resultError(op string, r result) error {
	return fmt.Errorf("antom: %s: result %s %s", op, cleanCode(r.ResultStatus), cleanCode(r.ResultCode))
}

// requestRefused are result codes saying Antom did not look at the request
// at all (wrong keys, client, path or media type) or that it contradicts an
// earlier one under the same id. They are errors, never declines: the
// payment's outcome is not what they describe.
var requestRefused = map[string]bool{
	"ACCESS_DENIED":             true,
	"INVALID_CLIENT":            true,
	"INVALID_SIGNATURE":         true,
	"KEY_NOT_FOUND":             true,
	"MEDIA_TYPE_NOT_ACCEPTABLE": true,
	"METHOD_NOT_SUPPORTED":      true,
	"NO_INTERFACE_DEF":          true,
	CodeRepeatReqInconsistent:   true,
}

var (
	codePattern = regexp.MustCompile(`^[A-Z_]{1,64}$`) // Antom codes are upper-case words, never digits
	refPattern  = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	digitRun    = regexp.MustCompile(`[0-9]{12,}`)
	digitsOnly  = regexp.MustCompile(`^[0-9]{1,18}$`)
)

// cleanCode keeps a result code or status only if it looks like one
// (upper-case words); anything else, which could carry echoed input, is
// replaced.
func cleanCode(s string) string { return wirekit.CleanCode(codePattern, s, "(none)", "(invalid)") }

// cleanRef keeps one of Antom's ids (digits, at most 64 characters) or ours.
// A long digit run is fine here: Antom's paymentId is 35 digits. What a
// reference must never be is free text or something shaped like a card
// number (12 to 19 digits passing Luhn), so those are dropped.
func cleanRef(s string) string {
	if !refPattern.MatchString(s) || checkout.LooksLikeCardNumber(s) {
		return ""
	}
	return s
}

// parseAmount reads Antom's money exactly: an ISO currency and a value of
// digits only (minor units). Anything else is an error.
func parseAmount(a *amount) (checkout.Money, error) {
	if a == nil {
		return checkout.Money{}, errors.New("no amount")
	}
	if !checkout.ValidCurrency(a.Currency) {
		return checkout.Money{}, errors.New("amount currency is not an ISO 4217 code")
	}
	if !digitsOnly.MatchString(a.Value) {
		return checkout.Money{}, errors.New("amount value is not a whole number of minor units")
	}
	v, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return checkout.Money{}, errors.New("amount value is out of range")
	}
	return checkout.Money{Amount: v, Currency: a.Currency}, nil
}

// wire is our money as Antom's.
func wire(m checkout.Money) amount {
	return amount{Currency: m.Currency, Value: strconv.FormatInt(m.Amount, 10)}
}

// checkAmount refuses an answer about another amount than ours; an answer
// without one passes.
func checkAmount(op string, a *amount, want checkout.Money) error {
	if a == nil || (a.Currency == "" && a.Value == "") {
		return nil
	}
	// Errors never quote the answer's values: a misbehaving answer could
	// put anything there, card numbers included.
	got, err := parseAmount(a)
	if err != nil {
		return fmt.Errorf("antom: %s: the answer's amount cannot be read", op)
	}
	if got != want {
		return fmt.Errorf("antom: %s: the answer is for another amount or currency than %d %s", op, want.Amount, want.Currency)
	}
	return nil
}
