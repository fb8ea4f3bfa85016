package checkoutqa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// API is a merchant's view of a checkout server: its base URL (the origin
// the server answers on, such as http://127.0.0.1:8080) and a secret key.
// A test key (sk_test_…) pays only in the provider sandboxes.
type API struct {
	BaseURL string
	Key     string
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client
}

// DefaultSuccessURL is the success_url CreateSession sends when the options
// name none (the API requires one; a merchant with return origins must name
// a URL on them).
const DefaultSuccessURL = "https://merchant.example/qa/success"

// SessionOptions are the fields of POST /v1/checkout/sessions a QA suite
// sets; empty fields are left out, so the server's defaults apply.
type SessionOptions struct {
	Amount   int64  // minor units; required
	Currency string // ISO 4217; required
	// Provider routes every method it supports to that provider
	// (payorder, worldline, antom, alipayplus, bbmsl).
	Provider string
	// Methods are the payment methods offered: card, wallet, saved_card.
	Methods []string
	// Customer is the shopper; saved_card needs Customer.Reference.
	Customer          *Customer
	ThreeDS           string // automatic, challenge_requested, no_challenge_requested
	CaptureMode       string // automatic, manual
	Locale            string // a BCP 47 tag or "auto"
	MerchantReference string
	SuccessURL        string // DefaultSuccessURL when empty
	CancelURL         string
	// Extra adds (or overrides) any other body field, such as line_items,
	// metadata, expires_at or setup_recurring.
	Extra map[string]any
}

// Customer is the session's customer: an email and the merchant's own
// reference for the shopper, under which saved cards are kept.
type Customer struct {
	Email     string `json:"email,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// Session is a created checkout session.
type Session struct {
	ID  string // cs_…
	URL string // the hosted page to open in the browser
	// Object is the whole answer, as the API gave it.
	Object map[string]any
}

// APIError is an error answer of the merchant API.
type APIError struct {
	Status  int    // the HTTP status
	Type    string // error.type
	Code    string // error.code, such as parameter_invalid
	Message string // error.message
	Param   string // error.param, the field at fault, when there is one
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("checkoutqa: API %d %s", e.Status, e.Code)
	if e.Param != "" {
		s += " (" + e.Param + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// CreateSession posts /v1/checkout/sessions.
func (a API) CreateSession(ctx context.Context, o SessionOptions) (Session, error) {
	body := map[string]any{"amount": o.Amount, "currency": o.Currency}
	set := func(k, v string) {
		if v != "" {
			body[k] = v
		}
	}
	set("provider", o.Provider)
	set("three_ds", o.ThreeDS)
	set("capture_mode", o.CaptureMode)
	set("locale", o.Locale)
	set("merchant_reference", o.MerchantReference)
	set("success_url", o.SuccessURL)
	set("cancel_url", o.CancelURL)
	if o.SuccessURL == "" {
		body["success_url"] = DefaultSuccessURL
	}
	if len(o.Methods) > 0 {
		body["payment_methods"] = o.Methods
	}
	if o.Customer != nil {
		body["customer"] = o.Customer
	}
	for k, v := range o.Extra {
		body[k] = v
	}
	var out map[string]any
	if err := a.do(ctx, http.MethodPost, "/v1/checkout/sessions", body, http.StatusCreated, &out); err != nil {
		return Session{}, err
	}
	s := Session{Object: out}
	s.ID, _ = out["id"].(string)
	s.URL, _ = out["url"].(string)
	if s.ID == "" || s.URL == "" {
		return Session{}, errors.New("checkoutqa: the created session has no id or url")
	}
	return s, nil
}

// Session reads GET /v1/checkout/sessions/{id}: its status,
// payment_status and latest payment (status, card, three_ds, decline).
func (a API) Session(ctx context.Context, id string) (map[string]any, error) {
	var out map[string]any
	err := a.do(ctx, http.MethodGet, "/v1/checkout/sessions/"+url.PathEscape(id), nil, http.StatusOK, &out)
	return out, err
}

// do sends one request and decodes the answer into out, or the API's
// error answer into an *APIError.
func (a API) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("checkoutqa: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.BaseURL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("checkoutqa: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.Key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := a.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("checkoutqa: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("checkoutqa: %s %s: %w", method, path, err)
	}
	if res.StatusCode != want {
		var e struct {
			Error struct{ Type, Code, Message, Param string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &APIError{Status: res.StatusCode, Type: e.Error.Type, Code: e.Error.Code, Message: e.Error.Message, Param: e.Error.Param}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("checkoutqa: %s %s: %w", method, path, err)
	}
	return nil
}
