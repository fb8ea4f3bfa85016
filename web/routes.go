package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/static"
)

// routes is the whole route table, top to bottom.
func (a *App) routes(h *handlers.Handlers) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.handleError
	e.IPExtractor = echo.ExtractIPDirect() // forwarded headers are not trusted...
	if len(a.Config.TrustedProxies) > 0 {
		// ...except from the configured proxies.
		var trust []echo.TrustOption
		for _, n := range a.Config.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(append(trust, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))...)
	}
	e.Use(handlers.RecoverPanics(a.Log), handlers.RequestID, a.metrics.middleware, handlers.LogRequests(a.Log), handlers.SecurityHeaders,
		handlers.CrossOriginProtection())

	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	// Liveness: the process answers. Readiness: the database answers and
	// carries this build's migrations (a load balancer sends traffic only
	// then; during a graceful shutdown the listener closes first).
	e.GET("/livez", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := a.Store.Ready(ctx); err != nil {
			a.Log.WarnContext(ctx, "not ready", "err", err)
			return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error())
		}
		return c.String(http.StatusOK, "ready")
	})
	// The merchant API's OpenAPI document (web/openapi), public: clients are
	// generated from it.
	e.GET("/openapi.json", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.Blob(http.StatusOK, "application/json", a.openAPIJSON)
	})
	e.POST(handlers.CSPReportPath, h.CSPReport) // browsers report CSP violations here
	// embed.js has a stable address for merchant pages; it redirects to the
	// current content-hashed file.
	e.GET("/embed.js", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.Redirect(http.StatusFound, static.URL("embed.js"))
	})
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	// Merchants' logos, as the static assets: content-hashed URLs, cached for
	// a year, never sniffed. HEAD too, for caches and link checkers.
	e.Match([]string{http.MethodGet, http.MethodHead}, handlers.LogoPrefix+":file", h.Logo)

	// Merchant API. Middleware goes on each route rather than on a group, so
	// that a wrong method on a known path is a 405 and not a 404.
	authed := []echo.MiddlewareFunc{h.Authenticate, handlers.BufferBody}
	// A query parameter the OpenAPI document does not list for the
	// operation is a 422 naming it. (Clipped: the appends below each get
	// a slice of their own.)
	authed = slices.Clip(append(authed, h.RefuseUnknownQuery))
	e.POST("/v1/checkout/sessions", h.APISessionsCreate, append(authed, h.IdempotentAnswered)...)
	e.GET("/v1/checkout/sessions", h.APISessionsList, authed...)
	e.GET("/v1/checkout/sessions/:id", h.APISessionsGet, authed...)
	e.GET("/v1/checkout/sessions/:id/timeline", h.APISessionsTimeline, authed...)
	e.POST("/v1/checkout/sessions/:id/expire", h.APISessionsExpire, append(authed, h.Idempotent)...)
	e.GET("/v1/payments", h.APIPaymentsList, authed...)
	e.GET("/v1/payments/:id", h.APIPaymentsGet, authed...)
	e.POST("/v1/payments/:id/capture", h.APIPaymentsCapture, append(authed, h.Idempotent)...)
	e.POST("/v1/payments/:id/cancel", h.APIPaymentsCancel, append(authed, h.Idempotent)...)
	e.POST("/v1/payments/:id/refunds", h.APIPaymentsRefund, append(authed, h.Idempotent)...)
	e.GET("/v1/refunds", h.APIRefundsList, authed...)
	e.GET("/v1/refunds/:id", h.APIRefundsGet, authed...)
	e.POST("/v1/refunds/:id/retry", h.APIRefundsRetry, append(authed, h.Idempotent)...)
	e.GET("/v1/customers/:reference/saved_cards", h.APISavedCardsList, authed...)
	e.DELETE("/v1/customers/:reference/saved_cards/:id", h.APISavedCardsDelete, authed...)
	e.POST("/v1/recurring_charges", h.APIRecurringCharge, append(authed, h.Idempotent)...)
	e.POST("/v1/webhook_endpoints", h.APIWebhookEndpointsCreate, append(authed, h.Idempotent)...)
	e.GET("/v1/webhook_endpoints", h.APIWebhookEndpointsList, authed...)
	e.POST("/v1/webhook_endpoints/:id/rotate_secret", h.APIWebhookEndpointsRotateSecret, append(authed, h.Idempotent)...)
	e.DELETE("/v1/webhook_endpoints/:id", h.APIWebhookEndpointsDelete, authed...)
	e.POST("/v1/webhook_endpoints/:id/disable", h.APIWebhookEndpointsDisable, append(authed, h.Idempotent)...)
	e.POST("/v1/webhook_endpoints/:id/enable", h.APIWebhookEndpointsEnable, append(authed, h.Idempotent)...)
	e.GET("/v1/webhook_deliveries", h.APIWebhookDeliveriesList, authed...)
	e.GET("/v1/events", h.APIEventsList, authed...)
	e.POST("/v1/webhook_deliveries/:id/redeliver", h.APIWebhookDeliveriesRedeliver, append(authed, h.Idempotent)...)
	// Test webhooks: one signed test event to one endpoint, test keys only.
	e.POST("/v1/test/webhooks", h.APITestWebhooksCreate, append(authed, h.Idempotent)...)
	// The merchant's own settings; PATCH takes a logo, so a larger body.
	// The key rotation is not Idempotent: its answer (the new secret key)
	// must never be stored.
	e.GET("/v1/merchant", h.APIMerchantGet, authed...)
	e.PATCH("/v1/merchant", h.APIMerchantUpdate, h.Authenticate, handlers.BufferMerchantBody, h.RefuseUnknownQuery)
	e.POST("/v1/merchant/keys/rotate", h.APIMerchantKeysRotate, authed...)
	// The return secret is stored as it is (it signs), so a replay under
	// an Idempotency-Key may show it again.
	e.POST("/v1/merchant/return_secret/rotate", h.APIReturnSecretRotate, append(authed, h.Idempotent)...)

	// Provider notifications: verified by the provider's adapter; GET for
	// endpoint verification handshakes.
	e.Match([]string{http.MethodGet, http.MethodPost}, handlers.RouteNotify, h.Notify)
	e.Match([]string{http.MethodGet, http.MethodPost}, handlers.RouteNotifyTest, h.NotifyTest)

	// Shopper pages. Every form of theirs carries a token bound to the
	// session.
	// They are rate-limited per session, except the provider return.
	form, limit := middleware.BodyLimit("16K"), h.LimitSessionRequests
	e.GET(handlers.RouteSession, h.CheckoutPage, limit)
	e.POST(handlers.RoutePay, h.CheckoutPay, limit, form, h.RequireFormToken)
	e.GET(handlers.RouteStatus, h.CheckoutStatus, limit)
	e.POST(handlers.RouteDeviceData, h.CheckoutDeviceData, limit, form, h.RequireFormToken)
	// The action page reports its steps for the timeline (each at most
	// once per payment).
	e.POST(handlers.RouteStep, h.CheckoutStep, limit, form, h.RequireFormToken)
	e.POST(handlers.RouteAddCard, h.CheckoutAddCard, limit, form, h.RequireFormToken)
	e.GET(handlers.RouteCardReturn, h.CheckoutCardReturn, limit)
	e.POST(handlers.RouteRemoveCard, h.CheckoutRemoveCard, limit, form, h.RequireFormToken)
	// The way back to the merchant: signed when the shopper leaves.
	e.GET(handlers.RouteLeave, h.CheckoutLeave, limit)
	// Provider returns: the challenge iframe POSTs here, redirects GET here.
	// They carry no token of ours: nothing in them is trusted, the result
	// comes from the provider server to server.
	e.Match([]string{http.MethodGet, http.MethodPost}, handlers.RouteReturn, h.CheckoutReturn, form)

	// The merchant dashboard: its own sign-in and cookie; every signed-in
	// page behind RequireDashboardUser, every form with its token.
	e.GET(handlers.DashboardPrefix, h.DashboardHome)
	e.GET(handlers.RouteDashSignIn, h.DashboardSignInPage)
	e.POST(handlers.RouteDashSignIn, h.DashboardSignIn, form)
	e.POST(handlers.RouteDashSignOut, h.DashboardSignOut, form, h.RequireDashboardUser)
	e.GET(handlers.RouteDashOverview, h.DashboardOverview, h.RequireDashboardUser)
	e.GET(handlers.RouteDashPayments, h.DashboardPayments, h.RequireDashboardUser)
	e.GET(handlers.RouteDashSession, h.DashboardSession, h.RequireDashboardUser)
	e.POST(handlers.RouteDashRefund, h.DashboardRefund, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashCapture, h.DashboardCapture, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashCancel, h.DashboardCancel, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashRedeliver, h.DashboardRedeliver, form, h.RequireDashboardUser)
	e.GET(handlers.RouteDashLinks, h.DashboardLinks, h.RequireDashboardUser)
	e.POST(handlers.RouteDashLinks, h.DashboardCreateLink, form, h.RequireDashboardUser)
	e.GET(handlers.RouteDashUsers, h.DashboardUsers, h.RequireDashboardUser)
	e.POST(handlers.RouteDashUsers, h.DashboardAddUser, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashUserRemove, h.DashboardRemoveUser, form, h.RequireDashboardUser)
	e.GET(handlers.RouteDashWebhooks, h.DashboardWebhooks, h.RequireDashboardUser)
	e.POST(handlers.RouteDashWebhooks, h.DashboardAddEndpoint, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashEndpointToggle, h.DashboardEndpointAction("toggle"), form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashEndpointRotate, h.DashboardEndpointAction("rotate"), form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashEndpointDelete, h.DashboardEndpointAction("delete"), form, h.RequireDashboardUser)
	e.GET(handlers.RouteDashSettings, h.DashboardSettings, h.RequireDashboardUser)
	e.GET(handlers.RouteDashSettingsPreview, h.DashboardSettingsPreview, h.RequireDashboardUser)
	e.POST(handlers.RouteDashSettingsBranding, h.DashboardSaveBranding, middleware.BodyLimit(handlers.SettingsBrandingBodyLimit), h.RequireDashboardUser)
	e.POST(handlers.RouteDashSettingsOrigins, h.DashboardSaveOrigins, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashSettingsKeys, h.DashboardRotateKey, form, h.RequireDashboardUser)
	e.GET(handlers.RouteDashAccount, h.DashboardAccount, h.RequireDashboardUser)
	e.POST(handlers.RouteDashAccount, h.DashboardChangePassword, form, h.RequireDashboardUser)
	// Two-step sign-in: the code after a right password, whose form is
	// bound to the browser's id like the sign-in form (the pending sign-in
	// in the cookie is no session: RequireDashboardUser lets nothing else
	// through); set up and turned off from the account page.
	e.GET(handlers.RouteDashSignInCode, h.DashboardSignInCodePage)
	e.POST(handlers.RouteDashSignInCode, h.DashboardSignInCode, form)
	e.POST(handlers.RouteDashTOTP, h.DashboardTOTPStart, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashTOTPEnable, h.DashboardTOTPEnable, form, h.RequireDashboardUser)
	e.POST(handlers.RouteDashTOTPDisable, h.DashboardTOTPDisable, form, h.RequireDashboardUser)

	// The demo shop (sandbox mode): a merchant of its own, calling the API
	// above over HTTP.
	if d := a.Demo; d != nil {
		e.GET("/", d.Storefront)
		e.POST("/demo/checkout", d.Checkout, form)
		e.GET("/demo/return", d.Return)
		e.POST("/demo/orders/:id/:action", d.OrderAction, form)
	}
	// The sandboxes, in live mode too: there they serve test keys only.
	mountSandboxes(e, a.Sandbox, a.Config.Mode == ModeSandbox)
	return e
}
