package payorder

import (
	"bytes"
	"cmp"
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
const Name = "payorder"

// maxAnswer bounds how much of a response body the adapter reads.
const maxAnswer = 1 << 20

// Config is everything the adapter needs to talk to the gateway; pointing it
// at the real provider instead of the sandbox is a matter of these values.
type Config struct {
	BaseURL            string       // gateway base URL, e.g. https://api.example.com
	APIPath            string       // path of the single service endpoint; "/api" when empty (unpublished)
	SessionsURL        string       // Access Worldpay Checkout base URL, e.g. https://try.access.worldpay.com
	MerchantID         string       // the merchantId envelope field
	CheckoutID         string       // Access Checkout identity
	AESKey             string       // base64 of the 16-byte bizContent key
	MerchantPrivateKey string       // PKCS#8 RSA key, PEM or bare base64 DER: signs requests
	PlatformPublicKey  string       // X.509 SubjectPublicKeyInfo RSA key, PEM or bare base64 DER: verifies answers
	VerifyService      string       // service finishing a payment after a challenge; "verifyOrder" when empty (unpublished)
	Currencies         []string     // currencies the gateway accepts; USD only when empty
	HTTPClient         *http.Client // nil means a client with a 30 s timeout
	// StaleAfter is how old a payment must be before an order the gateway
	// still reports as created or initialized (payOrder never took effect:
	// its answer was an error, or the shopper left) counts as failed with
	// nothing charged; until then such an order is pending. 10 minutes
	// when zero.
	StaleAfter time.Duration
}

// Client is the payorder adapter.
type Client struct {
	staleAfter    time.Duration
	apiURL        string
	sessionsURL   string
	merchantID    string
	checkoutID    string
	verifyService string
	currencies    []string
	aesKey        []byte
	merchantKey   *rsa.PrivateKey
	platformKey   *rsa.PublicKey
	http          *http.Client
}

var _ checkout.Provider = (*Client)(nil)

// New validates cfg and parses its keys.
func New(cfg Config) (*Client, error) {
	base, err := baseURL("BaseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	sessions, err := baseURL("SessionsURL", cfg.SessionsURL)
	if err != nil {
		return nil, err
	}
	if cfg.MerchantID == "" || cfg.CheckoutID == "" {
		return nil, errors.New("payorder: MerchantID and CheckoutID are required")
	}
	c := &Client{
		apiURL:        base + cmp.Or(cfg.APIPath, "/api"),
		sessionsURL:   sessions,
		merchantID:    cfg.MerchantID,
		checkoutID:    cfg.CheckoutID,
		verifyService: cmp.Or(cfg.VerifyService, DefaultVerifyService),
		currencies:    cfg.Currencies,
		http:          cfg.HTTPClient,
		staleAfter:    cmp.Or(cfg.StaleAfter, 10*time.Minute),
	}
	if len(c.currencies) == 0 {
		c.currencies = []string{"USD"}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.aesKey, err = ParseAESKey(cfg.AESKey); err != nil {
		return nil, err
	}
	if c.merchantKey, err = ParsePrivateKey(cfg.MerchantPrivateKey); err != nil {
		return nil, err
	}
	if c.platformKey, err = ParsePublicKey(cfg.PlatformPublicKey); err != nil {
		return nil, err
	}
	return c, nil
}

func baseURL(field, s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("payorder: " + field + " must be an absolute http(s) URL")
	}
	return strings.TrimRight(s, "/"), nil
}

// Name returns "payorder".
func (c *Client) Name() string { return Name }

// Capabilities says the gateway takes cards in its configured currencies and
// always captures: an authorised payOrder is a charge.
func (c *Client) Capabilities() checkout.Capabilities {
	return checkout.Capabilities{
		Methods:    []checkout.PaymentMethod{checkout.MethodCard},
		Currencies: c.currencies,
	}
}

// failure is a status -1 answer. signed tells whether it came sealed and
// verified; a plaintext failure is an envelope error.
type failure struct {
	service string
	code    string
	message string
	signed  bool
}

func (f *failure) Error() string {
	s := "payorder: " + f.service + " failed: " + scrub(f.code)
	if m := scrub(f.message); m != "" {
		s += " (" + m + ")"
	}
	return s
}

// digitRun matches what could be part of a card number or a CVC.
var digitRun = regexp.MustCompile(`[0-9]{3,}`)

// scrub shortens provider text for an error message or a stored code and blanks every run of
// three or more digits, so that even a provider echoing a card number or a
// CVC could not carry it into our logs.
func scrub(s string) string {
	s = digitRun.ReplaceAllString(s, "***")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "..."
	}
	return s
}

// call sends one service request and decodes the data of a success answer
// into data. It returns a *failure for a status -1 answer and a plain error
// for anything it cannot trust: a transport error, a non-200 status, an
// answer that does not decrypt, is unsigned or fails verification.
func (c *Client) call(ctx context.Context, service string, req, data any) error {
	plain, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("payorder: %s: encoding the request: %w", service, err)
	}
	biz, err := Seal(c.aesKey, plain)
	if err != nil {
		return err
	}
	sign, err := Sign(c.merchantKey, plain)
	if err != nil {
		return err
	}
	body, err := json.Marshal(envelope{Service: service, MerchantID: c.merchantID, BizContent: biz, Sign: sign})
	if err != nil {
		return fmt.Errorf("payorder: %s: encoding the envelope: %w", service, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("payorder: %s: %w", service, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("sign", sign)
	raw, status, err := c.do(hreq)
	if err != nil {
		return fmt.Errorf("payorder: %s: %w", service, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("payorder: %s: HTTP %d", service, status)
	}

	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return fmt.Errorf("payorder: %s: malformed answer", service)
	}
	if a.BizContent == "" {
		// Only envelope errors travel in plaintext; a plaintext success
		// could have been written by anyone.
		if a.Status != nil && *a.Status == StatusFailure {
			return &failure{service: service, code: a.ErrorCode, message: a.ErrorMessage}
		}
		return fmt.Errorf("payorder: %s: unsealed answer", service)
	}
	inner, err := Open(c.aesKey, a.BizContent)
	if err != nil {
		return fmt.Errorf("payorder: %s: answer does not decrypt", service)
	}
	if a.Sign == "" {
		return fmt.Errorf("payorder: %s: unsigned answer", service)
	}
	if err := Verify(c.platformKey, inner, a.Sign); err != nil {
		return fmt.Errorf("payorder: %s: answer signature does not verify", service)
	}
	var r result
	if err := json.Unmarshal(inner, &r); err != nil || r.Status == nil {
		return fmt.Errorf("payorder: %s: malformed answer", service)
	}
	switch *r.Status {
	case StatusSuccess:
		if err := json.Unmarshal(r.Data, data); err != nil {
			return fmt.Errorf("payorder: %s: malformed answer data", service)
		}
		return nil
	case StatusFailure:
		return &failure{service: service, code: r.ErrorCode, message: r.ErrorMessage, signed: true}
	}
	return fmt.Errorf("payorder: %s: unknown answer status %d", service, *r.Status)
}

// do sends req and reads at most maxAnswer bytes of the body.
func (c *Client) do(req *http.Request) ([]byte, int, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, 0, err
	}
	if len(raw) > maxAnswer {
		return nil, 0, errors.New("answer too large")
	}
	return raw, resp.StatusCode, nil
}
