package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// MaxAPIBody is the largest merchant API request body accepted.
const MaxAPIBody = 64 << 10

const merchantKey = "merchant"

// merchant is the authenticated merchant of an API request.
func merchant(c echo.Context) *checkout.Merchant { return c.Get(merchantKey).(*checkout.Merchant) }

// Authenticate checks the Bearer secret key of a merchant API request, and
// the API limits: an address with too many failed keys in the last minute
// gets 429 for every further bad key, while a valid key from the same
// address still works (the lockout slows guessing, it never locks out a
// merchant sharing the address); a merchant over its requests per second
// is refused. Both with 429 and Retry-After.
func (h *Handlers) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		now := h.Service.Now()
		refuse := func(err error, challenge string) error {
			if blocked, wait := h.APILimits.AuthBlocked(c.RealIP(), now); blocked {
				h.Log.WarnContext(ctx(c), "api request refused by a limit", "reason", "failed authentications", "ip", c.RealIP())
				return &checkout.Error{Code: checkout.ERateLimited, RetryAfter: wait,
					Message: "Too many requests with a bad key from this address. Retry after the Retry-After delay."}
			}
			h.APILimits.AuthFailed(c.RealIP(), now)
			h.Log.WarnContext(ctx(c), "api authentication failed", "ip", c.RealIP())
			c.Response().Header().Set("WWW-Authenticate", challenge)
			return err
		}
		auth := c.Request().Header.Get("Authorization")
		scheme, key, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
			return refuse(checkout.Errorf(checkout.EUnauthorized, "Send your secret key as Authorization: Bearer sk_..."), `Bearer realm="checkout"`)
		}
		m, err := h.Service.Authenticate(ctx(c), strings.TrimSpace(key))
		if err != nil {
			if checkout.ErrorCodeOf(err) == checkout.EUnauthorized {
				return refuse(err, `Bearer realm="checkout", error="invalid_token"`)
			}
			return err
		}
		if ok, wait := h.APILimits.Request(m.ID, now); !ok {
			h.Log.WarnContext(ctx(c), "api request refused by a limit", "reason", "requests per second", "merchant_id", m.ID, "ip", c.RealIP())
			return &checkout.Error{Code: checkout.ERateLimited, RetryAfter: wait,
				Message: "Too many requests. Slow down and retry after the Retry-After delay."}
		}
		c.Set(merchantKey, m)
		return next(c)
	}
}

// BufferBody reads the request body once, up to MaxAPIBody, so that the
// idempotency check and the decoder see the same bytes.
func BufferBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxAPIBody+1))
		if err != nil {
			return checkout.Errorf(checkout.EMalformed, "The request body could not be read.")
		}
		if len(body) > MaxAPIBody {
			return checkout.Errorf(checkout.ETooLarge, "The request body is larger than %d KiB.", MaxAPIBody>>10)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return next(c)
	}
}

// decodeJSON decodes a JSON object strictly: the right content type, no
// unknown fields, no key given twice, names matched exactly (not
// case-insensitively), no trailing data, and an error naming the field when a
// value has the wrong type.
func decodeJSON(c echo.Context, dst any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return checkout.Errorf(checkout.EMalformed, "Send the body as application/json.")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return checkout.Errorf(checkout.EMalformed, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return checkout.Errorf(checkout.EMalformed, "The request body must be a JSON object.")
	}
	if trimmed := bytes.TrimSpace(body); trimmed[0] != '{' {
		return checkout.Errorf(checkout.EMalformed, "The request body must be a JSON object.")
	}
	if !utf8.Valid(body) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return checkout.Errorf(checkout.EMalformed, "The request body is not valid UTF-8.")
	}
	// Keys are checked in a body that parses; any other is refused below
	// with the decoder's own syntax error.
	if json.Valid(body) {
		if err := checkJSONKeys(body, reflect.TypeOf(dst)); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	// Nothing may follow the object, not even a stray bracket.
	if _, err := dec.Token(); err != io.EOF {
		return checkout.Errorf(checkout.EMalformed, "The request body must hold a single JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return checkout.Errorf(checkout.EMalformed, "The request body is not valid JSON (error at byte %d).", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return checkout.Errorf(checkout.EMalformed, "The request body is not valid JSON (it ends too early).")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return checkout.Errorf(checkout.EMalformed, "The request body must be a JSON object.")
		}
		want := typ.Type.Kind().String()
		switch want {
		case "int64", "int", "int32":
			want = "an integer"
		case "string":
			want = "a string"
		case "slice":
			want = "an array"
		case "map", "struct":
			want = "an object"
		}
		return checkout.InvalidParam(typ.Field, "%s must be %s, not %s", typ.Field, want, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return checkout.InvalidParam(field, "%s is not a known parameter", field)
	}
	return checkout.Errorf(checkout.EMalformed, "The request body is not valid JSON.")
}

// Idempotent gives POST endpoints Idempotency-Key semantics: the first
// answer is stored and replayed for the same key and request; the same key
// with a different request is refused; a retry while the first is running
// gets 409. Only successful answers are remembered: a 4xx (refused as
// invalid, or in a state that did not allow it) or a 5xx (the provider did
// not answer, our fault) releases the key, so retrying it is safe.
//
// A resource is bound to its key inside the transaction that creates it
// (sessions, refunds and recurring charges keep the key, unique per
// merchant): should the process die after that commit and before the
// answer below is stored, the retry (after the key's lease) finds that
// resource and answers with it instead of making a second one.
func (h *Handlers) Idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := idempotencyKey(c)
		if key == "" {
			return next(c)
		}
		m := merchant(c)
		body, _ := io.ReadAll(c.Request().Body)
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.New()
		sum.Write([]byte(c.Request().Method + " " + c.Request().URL.Path + "\n"))
		sum.Write(body)
		hash := hex.EncodeToString(sum.Sum(nil))

		rec, err := h.Service.BeginIdempotent(ctx(c), m.ID, key, hash)
		if err != nil {
			return err
		}
		if rec != nil {
			c.Response().Header().Set("Idempotent-Replayed", "true")
			return c.JSONBlob(rec.Status, rec.Body)
		}

		w := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = w
		if err := next(c); err != nil {
			c.Error(err) // render now, through the recorder
		}
		status := c.Response().Status
		// Store with a context of its own: the answer exists even if the
		// merchant hung up.
		bg := context.WithoutCancel(ctx(c))
		if status >= 400 {
			if err := h.Service.ReleaseIdempotent(bg, m.ID, key); err != nil {
				h.Log.ErrorContext(bg, "releasing an idempotency key failed", "merchant_id", m.ID, "err", err)
			}
			return nil
		}
		if err := h.Service.CompleteIdempotent(bg, m.ID, key, status, w.buf.Bytes()); err != nil {
			h.Log.ErrorContext(bg, "storing idempotent answer failed", "merchant_id", m.ID, "err", err)
		}
		return nil
	}
}

// idempotencyKey is the request's Idempotency-Key header ("" when none).
func idempotencyKey(c echo.Context) string {
	return c.Request().Header.Get("Idempotency-Key")
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}
