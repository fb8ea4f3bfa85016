package checkout

import (
	"errors"
	"fmt"
	"time"
)

// ErrorCode classifies an Error; the web layer maps each code to one HTTP status.
type ErrorCode string

// The closed list of error codes.
const (
	EInvalid             ErrorCode = "invalid_request"        // bad input; Param names the field
	EMalformed           ErrorCode = "malformed_request"      // not parseable at all (bad JSON, wrong content type)
	EDuplicateKey        ErrorCode = "duplicate_key"          // a JSON object names one key twice; Param names it
	EFieldNameMismatch   ErrorCode = "field_name_mismatch"    // a JSON key only case- or Unicode-folds to a field's name; Param is the key as sent
	ENotFound            ErrorCode = "not_found"              // no such resource for this caller
	EUnauthorized        ErrorCode = "unauthorized"           // missing or wrong API key
	EForbidden           ErrorCode = "forbidden"              // a cross-site browser request to a state-changing endpoint
	ETestModeOnly        ErrorCode = "test_mode_only"         // a test-mode tool (POST /v1/test/webhooks) called with a live key
	ERateLimited         ErrorCode = "rate_limited"           // too many requests or attempts; RetryAfter says when to come back
	EConflict            ErrorCode = "conflict"               // the resource is not in a state that allows this
	EIdempotencyMismatch ErrorCode = "idempotency_error"      // same Idempotency-Key, different request
	EIdempotencyInUse    ErrorCode = "idempotency_key_in_use" // same Idempotency-Key while the first is running
	ETooLarge            ErrorCode = "request_too_large"      // body over the limit
	EUnsupported         ErrorCode = "unsupported"            // valid input the routed provider cannot serve
	ELimitReached        ErrorCode = "limit_reached"          // a per-merchant cap (e.g. 16 webhook endpoints) is full
	EUnavailable         ErrorCode = "provider_unavailable"   // the provider did not answer; the request is safe to repeat
	EInternal            ErrorCode = "internal_error"         // our fault; details only in logs
)

// Error is the one error type that crosses the domain boundary. Message is
// safe to show to the caller (merchant or shopper); it never carries card
// data, provider text or internal details. Err, when set, is for the logs.
type Error struct {
	Code    ErrorCode
	Message string
	Param   string // the offending field, for EInvalid and EUnsupported
	// RetryAfter, for ERateLimited, is how long to wait.
	RetryAfter time.Duration
	// Shopper, when set, is the key of the message a shopper sees for
	// this error in the catalogs (templates/i18n); Message stays English
	// for the merchant API and the logs.
	Shopper string
	Err     error // cause, logged, never shown
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Param != "" {
		s += " (" + e.Param + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidParam builds an EInvalid error naming the field.
func InvalidParam(param, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error; callers see only a generic message.
func Internal(err error) *Error {
	return &Error{Code: EInternal, Message: "An internal error occurred.", Err: err}
}

// ErrorCodeOf returns the code of err: "" for nil, EInternal for anything
// that is not an *Error.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrNotFound is returned by a Store when a row does not exist.
var ErrNotFound = &Error{Code: ENotFound, Message: "Not found."}

// ErrConflict is returned by a Store when a compare-and-set or a uniqueness
// rule refuses a write because another request got there first.
var ErrConflict = &Error{Code: EConflict, Message: "The resource was changed by another request."}

// ErrSessionNotOpen is returned by a Store when a payment is refused
// because its session is no longer open (or is past its expiry time).
var ErrSessionNotOpen = &Error{Code: EConflict, Message: "The checkout session is not open."}

// ErrDuplicate is returned by a Store when a resource already exists under
// the same merchant Idempotency-Key (or a failed refund was retried already).
var ErrDuplicate = &Error{Code: EConflict, Message: "The resource exists already."}

// ForShopper sets the catalog key shoppers see for e and returns e.
func (e *Error) ForShopper(key string) *Error {
	e.Shopper = key
	return e
}
