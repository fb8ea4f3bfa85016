package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The merchant API's middleware: Authenticate, then BufferBody, then (on
// POST endpoints) Idempotent.

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
		c.Set(keyHashKey, checkout.HashAPIKey(strings.TrimSpace(key))) // which of its keys (POST /v1/merchant/keys/rotate)
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
		hash := requestDigest(c)
		claim, rec, err := h.Idempotency.Begin(ctx(c), m.ID, key, hash)
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
			if err := h.Idempotency.Release(bg, m.ID, key, claim); err != nil {
				h.Log.ErrorContext(bg, "releasing an idempotency key failed", "merchant_id", m.ID, "err", err)
			}
			return nil
		}
		if err := h.Idempotency.Complete(bg, m.ID, key, claim, status, w.buf.Bytes()); errors.Is(err, checkout.ErrConflict) {
			// This request outlived its lease and a retry took the key
			// over: the retry's answer is the one kept.
			h.Log.WarnContext(bg, "idempotent answer not stored: the key's lease was taken over", "merchant_id", m.ID)
		} else if err != nil {
			h.Log.ErrorContext(bg, "storing idempotent answer failed", "merchant_id", m.ID, "err", err)
		}
		return nil
	}
}

// IdempotentAnswered gives a POST endpoint whose handler stores its answer
// in the transaction of the change it makes (the session create) the same
// Idempotency-Key semantics as Idempotent, without a claim and a
// completion in commits of their own: it checks the key and leaves the
// request's record (merchant, key, digest, time) for the handler
// (answeredRequest).
func (h *Handlers) IdempotentAnswered(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := idempotencyKey(c)
		if key == "" {
			return next(c)
		}
		if err := validIdempotencyKey(key); err != nil {
			return err
		}
		c.Set(answeredRequestKey, checkout.IdempotencyRecord{
			MerchantID: merchant(c).ID, Key: key, RequestHash: requestDigest(c), CreatedAt: h.Idempotency.Now().UTC(),
		})
		return next(c)
	}
}

const answeredRequestKey = "idempotent-request"

// answeredRequest is the record IdempotentAnswered left for the handler
// (false when the request has no Idempotency-Key).
func answeredRequest(c echo.Context) (checkout.IdempotencyRecord, bool) {
	rec, ok := c.Get(answeredRequestKey).(checkout.IdempotencyRecord)
	return rec, ok
}

// requestDigest is the digest of the request's method, path and body that
// an Idempotency-Key is bound to; the body stays readable.
func requestDigest(c echo.Context) string {
	body, _ := io.ReadAll(c.Request().Body)
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.New()
	sum.Write([]byte(c.Request().Method + " " + c.Request().URL.Path + "\n"))
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil))
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

// RefuseUnknownQuery answers 422 naming the first query parameter (in the
// order sent) that the operation does not take, so that a misspelt or
// unsupported filter is never silently ignored. What each operation takes
// is QueryParams, which the server reads from the OpenAPI document; a route
// the document does not list takes none.
func (h *Handlers) RefuseUnknownQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.Request().URL.RawQuery
		if raw == "" {
			return next(c)
		}
		known := h.QueryParams[c.Request().Method+" "+c.Path()]
		for _, pair := range strings.Split(raw, "&") {
			if pair == "" {
				continue
			}
			name, _, _ := strings.Cut(pair, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if name == "" {
				return checkout.Errorf(checkout.EInvalid, "The query string has a parameter without a name.")
			}
			if !slices.Contains(known, name) {
				// The name goes back in the answer: printable, at most 64 characters.
				name = checkout.CleanText(name, 64)
				if len(known) == 0 {
					return checkout.InvalidParam(name, "%s is not a known parameter: this endpoint takes no query parameters", name)
				}
				return checkout.InvalidParam(name, "%s is not a known parameter; this endpoint takes %s", name, strings.Join(known, ", "))
			}
		}
		return next(c)
	}
}
