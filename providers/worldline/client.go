package worldline

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/opencheckout/hostedcheckout/providers/wirekit"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Name is the provider name the Service routes by.
const Name = "worldline"

// maxAnswer bounds how much of a response body the adapter reads.
const maxAnswer = 1 << 20

// Config is everything the adapter needs; pointing it at Worldline instead
// of the sandbox is a matter of these values.
type Config struct {
	BaseURL        string           // API base, e.g. https://eu.sandbox.api-ingenico.com (a path, as for a mounted sandbox, is allowed)
	MerchantID     string           // the {merchantId} of every path
	APIKeyID       string           // names the key in Authorization: GCS v1HMAC:<APIKeyID>:<signature>
	SecretAPIKey   string           // signs every request
	WebhookKeyID   string           // the X-GCS-KeyId webhooks must carry; webhooks are refused when empty
	WebhookSecret  string           // verifies X-GCS-Signature
	DefaultCountry string           // billing country when the locale has no region; "NL" when empty
	Currencies     []string         // ISO codes the account takes; empty means any
	HTTPClient     *http.Client     // nil means a client with a 30 s timeout
	Now            func() time.Time // the clock for the Date header; time.Now when nil
	// NotFoundAfter is how old a payment must be before "Find shows no
	// payment with our reference" is taken to mean the create call never
	// made one; until then that answer is pending. 10 minutes when zero.
	NotFoundAfter time.Duration
}

// Client is the Worldline Connect adapter.
type Client struct {
	base           *url.URL
	merchantID     string
	apiKeyID       string
	secretAPIKey   string
	webhookKeyID   string
	webhookSecret  string
	defaultCountry string
	currencies     []string
	http           *http.Client
	now            func() time.Time
	notFoundAfter  time.Duration
	serverMetaInfo string
}

var (
	_ checkout.Provider       = (*Client)(nil)
	_ checkout.ReturnChecker  = (*Client)(nil)
	_ checkout.Capturer       = (*Client)(nil)
	_ checkout.Canceler       = (*Client)(nil)
	_ checkout.Refunder       = (*Client)(nil)
	_ checkout.RefundInquirer = (*Client)(nil)
	_ checkout.Notifier       = (*Client)(nil)
)

// New validates cfg and builds the adapter.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("worldline: BaseURL must be an absolute http(s) URL without query")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	for _, f := range []struct{ name, value string }{
		{"MerchantID", cfg.MerchantID}, {"APIKeyID", cfg.APIKeyID}, {"SecretAPIKey", cfg.SecretAPIKey},
	} {
		if strings.TrimSpace(f.value) == "" {
			return nil, errors.New("worldline: " + f.name + " is required")
		}
	}
	if !pathSegment.MatchString(cfg.MerchantID) {
		return nil, errors.New("worldline: MerchantID must be letters, digits, '-' or '_'")
	}
	if (cfg.WebhookKeyID == "") != (cfg.WebhookSecret == "") {
		return nil, errors.New("worldline: WebhookKeyID and WebhookSecret go together: set both or neither")
	}
	country := cfg.DefaultCountry
	if country == "" {
		country = "NL"
	}
	if !isRegion(country) {
		return nil, errors.New("worldline: DefaultCountry must be an ISO 3166-1 alpha-2 code such as NL")
	}
	for i, code := range cfg.Currencies {
		if !checkout.ValidCurrency(code) {
			return nil, fmt.Errorf("worldline: Currencies[%d] is not an ISO 4217 code", i)
		}
	}
	c := &Client{
		base:           base,
		merchantID:     cfg.MerchantID,
		apiKeyID:       cfg.APIKeyID,
		secretAPIKey:   cfg.SecretAPIKey,
		webhookKeyID:   cfg.WebhookKeyID,
		webhookSecret:  cfg.WebhookSecret,
		defaultCountry: country,
		currencies:     cfg.Currencies,
		http:           cfg.HTTPClient,
		now:            cfg.Now,
		notFoundAfter:  cfg.NotFoundAfter,
	}
	if c.notFoundAfter <= 0 {
		c.notFoundAfter = 10 * time.Minute
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	meta, _ := json.Marshal(map[string]string{
		"platformIdentifier": runtime.GOOS + " " + runtime.Version() + " (" + runtime.GOARCH + ")",
		"sdkIdentifier":      "opencheckout-hostedcheckout",
		"sdkCreator":         "opencheckout",
		"integrator":         "opencheckout",
	})
	c.serverMetaInfo = base64.StdEncoding.EncodeToString(meta)
	return c, nil
}

// Name returns "worldline".
func (c *Client) Name() string { return Name }

// Capabilities says the account takes cards in its configured currencies
// and can hold an authorization for a later capture (requiresApproval).
func (c *Client) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{
		Methods:       []checkout.PaymentMethod{checkout.MethodCard},
		Currencies:    c.currencies,
		ManualCapture: true,
	}
}

// call is one Server API request. Path is relative to /v1/{merchantId}.
type call struct {
	op             string // what the error messages call it, e.g. "create payment"
	method         string
	path           string
	query          string // raw, already escaped
	body           any    // nil: no body
	idempotenceKey string
}

// answer is an HTTP answer read in full (up to maxAnswer).
type answer struct {
	status int
	body   []byte
}

func (a answer) ok() bool { return a.status >= 200 && a.status < 300 }

// send signs and sends one request. An error means there is no answer to
// read: the request could not be built or sent, or the answer was cut short.
func (c *Client) send(ctx context.Context, k call) (answer, error) {
	var body io.Reader
	contentType := ""
	if k.method == http.MethodPost {
		contentType = "application/json"
		if k.body != nil {
			b, err := json.Marshal(k.body)
			if err != nil {
				return answer{}, fmt.Errorf("worldline: %s: encoding the request failed", k.op)
			}
			body = bytes.NewReader(b)
		}
	}
	// The signed resource is the API path, relative to BaseURL: the real
	// endpoints have no path of their own, and a mounted sandbox sees the
	// path with its mount point stripped.
	resource := &url.URL{Path: "/v1/" + c.merchantID + k.path, RawQuery: k.query}
	target := *c.base
	target.Path += resource.Path
	target.RawQuery = k.query
	req, err := http.NewRequestWithContext(ctx, k.method, target.String(), body)
	if err != nil {
		return answer{}, fmt.Errorf("worldline: %s: building the request failed", k.op)
	}
	date := FormatDate(c.now())
	req.Header.Set("Date", date)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderServerMetaInfo, c.serverMetaInfo)
	if k.idempotenceKey != "" {
		req.Header.Set(HeaderIdempotenceKey, k.idempotenceKey)
	}
	req.Header.Set("Authorization", Authorization(c.apiKeyID, c.secretAPIKey, StringToSign(k.method, contentType, date, req.Header, resource)))

	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("worldline: %s: %s", k.op, checkout.TransportReason(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return answer{}, fmt.Errorf("worldline: %s: HTTP %d, reading the answer failed: %s", k.op, resp.StatusCode, checkout.TransportReason(err))
	}
	if len(raw) > maxAnswer {
		return answer{}, fmt.Errorf("worldline: %s: HTTP %d, answer larger than %d bytes", k.op, resp.StatusCode, maxAnswer)
	}
	return answer{status: resp.StatusCode, body: raw}, nil
}

// decode reads a 2xx answer into v; an unreadable one is an error.
func decode(op string, a answer, v any) error {
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("worldline: %s: HTTP %d, unreadable answer", op, a.status)
	}
	return nil
}

// apiError is a non-2xx answer. It keeps what the logs need (operation,
// status, Worldline's error id and codes) and never the message texts or the
// body, which could echo what was sent.
type apiError struct {
	op       string
	status   int
	errorID  string
	items    []errorItem // code, id, category and propertyName only, cleaned
	declined *createPaymentResponse
}

func newAPIError(op string, a answer) *apiError {
	e := &apiError{op: op, status: a.status}
	var r errorResponse
	if json.Unmarshal(a.body, &r) != nil {
		return e
	}
	e.errorID = cleanID(r.ErrorID)
	for _, it := range r.Errors {
		e.items = append(e.items, errorItem{
			Code:         wirekit.FlexString(cleanCode(string(it.Code))),
			ID:           cleanWord(it.ID),
			Category:     cleanWord(it.Category),
			PropertyName: cleanWord(it.PropertyName),
		})
	}
	e.declined = r.PaymentResult
	return e
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString("worldline: " + e.op + ": HTTP " + strconv.Itoa(e.status))
	for _, it := range e.items {
		b.WriteString(", error " + string(it.Code))
		if it.ID != "" {
			b.WriteString(" " + it.ID)
		}
		if it.Category != "" {
			b.WriteString(" (" + it.Category + ")")
		}
		if it.PropertyName != "" {
			b.WriteString(" on " + it.PropertyName)
		}
	}
	if e.errorID != "" {
		b.WriteString(", errorId " + e.errorID)
	}
	return b.String()
}

// code is the first error code, "" when there is none.
func (e *apiError) code() string {
	if len(e.items) == 0 {
		return ""
	}
	return string(e.items[0].Code)
}

// wrongState reports a 409 that is not "the first request is still running":
// the payment is not in a state that allows the call.
func (e *apiError) wrongState() bool {
	if e.status != http.StatusConflict {
		return false
	}
	for _, it := range e.items {
		if string(it.Code) == CodeDuplicateRequestInProgress {
			return false
		}
	}
	return true
}

var (
	pathSegment   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	codePattern   = regexp.MustCompile(`^[A-Za-z0-9_]{1,10}$`)
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	digitRun      = regexp.MustCompile(`[0-9]{3,}`)
	longDigitRun  = regexp.MustCompile(`[0-9]{12,}`)
	wordForbidden = regexp.MustCompile(`[^A-Za-z0-9_.\-\[\]]`)
)

// cleanCode keeps an error code only if it looks like one (Worldline's are
// at most 8 digits, far shorter than a card number).
func cleanCode(s string) string { return wirekit.CleanCode(codePattern, s, "", "invalid") }

// cleanID keeps Worldline's errorId (32 hex digits) and drops anything that
// could hold a card number.
func cleanID(s string) string {
	if idPattern.MatchString(s) && !longDigitRun.MatchString(s) {
		return s
	}
	return ""
}

// cleanWord keeps an identifier-like value (an error id, category or
// property name) with runs of three or more digits blanked, so a provider
// echoing a card number or CVV could not carry it into our logs.
func cleanWord(s string) string {
	s = wordForbidden.ReplaceAllString(s, "")
	s = digitRun.ReplaceAllString(s, "***")
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
