package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// statusOf is the one mapping from domain error codes to HTTP statuses.
func statusOf(code checkout.ErrorCode) int {
	switch code {
	case checkout.EInvalid, checkout.EUnsupported, checkout.EIdempotencyMismatch, checkout.ELimitReached:
		return http.StatusUnprocessableEntity
	case checkout.EMalformed, checkout.EDuplicateKey, checkout.EFieldNameMismatch:
		return http.StatusBadRequest
	case checkout.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case checkout.EUnauthorized:
		return http.StatusUnauthorized
	case checkout.EForbidden, checkout.ETestModeOnly:
		return http.StatusForbidden
	case checkout.ERateLimited:
		return http.StatusTooManyRequests
	case checkout.ENotFound:
		return http.StatusNotFound
	case checkout.EConflict, checkout.EIdempotencyInUse:
		return http.StatusConflict
	case checkout.EUnavailable:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// errorType groups codes the way merchant API clients branch on them.
func errorType(code checkout.ErrorCode) string {
	switch code {
	case checkout.EUnauthorized:
		return "authentication_error"
	case checkout.EIdempotencyMismatch, checkout.EIdempotencyInUse:
		return "idempotency_error"
	case checkout.EInternal, checkout.EUnavailable:
		return "api_error"
	case checkout.ERateLimited:
		return "rate_limit_error"
	}
	return "invalid_request_error"
}

type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
	// RequestID is the request's X-Request-Id, the key to its log lines
	// when the merchant asks support about it.
	RequestID string `json:"request_id,omitempty"`
}

// handleError answers every error a handler or middleware returned: JSON for
// the merchant API and provider notifications, an error page for the shopper. Only internal errors are
// logged, and their details never reach the response.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ce *checkout.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ce):
	case errors.As(err, &he):
		ce = fromHTTPError(he)
	default:
		ce = checkout.Internal(err)
	}
	status := statusOf(ce.Code)
	if ce.Code == checkout.ERateLimited {
		handlers.SetRetryAfter(c, ce.RetryAfter)
	}
	if he != nil && he.Code == http.StatusMethodNotAllowed {
		status = http.StatusMethodNotAllowed
	}
	if status >= 500 {
		a.Log.ErrorContext(c.Request().Context(), "request failed",
			"method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if path := c.Request().URL.Path; strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, handlers.NotifyPrefix) {
		body := apiError{apiErrorBody{Type: errorType(ce.Code), Code: string(ce.Code), Message: ce.Message, Param: ce.Param,
			RequestID: c.Response().Header().Get("X-Request-Id")}}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, body)
		return
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	l := i18n.Resolve(a.errorPageLocale(c), c.Request().Header.Get("Accept-Language"))
	var heading, message string
	switch {
	case status == http.StatusNotFound:
		heading, message = l.T("page.not_found_heading"), l.T("page.not_found_message")
	case status == http.StatusForbidden:
		heading, message = l.T("page.forbidden_heading"), l.T("page.forbidden_message")
	case status == http.StatusGone:
		heading, message = l.T("page.gone_heading"), l.T("page.gone_message")
	case status == http.StatusTooManyRequests:
		heading, message = l.T("page.rate_limited_heading"), l.T("page.rate_limited_message")
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable:
		heading, message = l.T("page.unavailable_heading"), l.T("page.unavailable_message")
	case status >= 500:
		heading, message = l.T("page.error_heading"), l.T("page.error_message")
	default:
		heading, message = l.T("page.bad_request_heading"), l.T("page.bad_request_message")
	}
	page := templates.ErrorPage{Page: templates.Page{Title: heading, L: l}, Status: status, Heading: heading, Message: message}
	if rerr := handlers.Render(c, status, templates.Error(page)); rerr != nil {
		_ = c.String(status, heading)
	}
}

// errorPageLocale is the locale of the session a shopper's error page is
// about (/c/{id}/...: a refused form, a page limit, a step that failed), so
// that the error speaks the language the shopper's pages were in; "" (the
// browser's language) when the path names no session or the session is
// not there to ask (a 404, a store that failed).
func (a *App) errorPageLocale(c echo.Context) string {
	rest, ok := strings.CutPrefix(c.Request().URL.Path, handlers.ShopperPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	if !checkout.ValidID(checkout.PrefixSession, id) {
		return ""
	}
	s, err := a.Store.Session(c.Request().Context(), id)
	if err != nil {
		return ""
	}
	return s.Locale
}

// fromHTTPError turns Echo's own errors (no route, wrong method, body too
// large) into domain errors with safe messages.
func fromHTTPError(he *echo.HTTPError) *checkout.Error {
	switch he.Code {
	case http.StatusNotFound:
		return checkout.Errorf(checkout.ENotFound, "No such resource.")
	case http.StatusMethodNotAllowed:
		return &checkout.Error{Code: checkout.EMalformed, Message: "This method is not allowed here."}
	case http.StatusRequestEntityTooLarge:
		return checkout.Errorf(checkout.ETooLarge, "The request is too large.")
	case http.StatusUnsupportedMediaType, http.StatusBadRequest:
		return checkout.Errorf(checkout.EMalformed, "The request could not be read.")
	}
	if he.Code >= 400 && he.Code < 500 {
		return checkout.Errorf(checkout.EMalformed, "The request could not be processed.")
	}
	return checkout.Internal(he)
}
