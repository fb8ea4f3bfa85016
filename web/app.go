package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/handlers/ratelimit"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxset"
	"github.com/opencheckout/hostedcheckout/web/demo"
	"github.com/opencheckout/hostedcheckout/web/openapi"
	"github.com/opencheckout/hostedcheckout/web/relay"
)

// DemoMerchantID is the id of the merchant seeded in sandbox mode.
const DemoMerchantID = "mer_demo"

// App is the assembled application, listening but not yet serving.
type App struct {
	Config   Config
	Log      *slog.Logger
	Echo     *echo.Echo
	Store    *sqlstore.DB
	Service  *checkout.Service
	Sandbox  *sandboxset.Set // the provider sandboxes; in live mode they serve test keys only
	Demo     *demo.Shop      // nil in live mode
	Listener net.Listener
	// URL is the public base URL; InternalURL is where this process answers;
	// SandboxURL is the public origin of the provider sandboxes.
	URL, InternalURL, SandboxURL string
	// DemoAPIKey is the demo merchant's secret key in sandbox mode.
	DemoAPIKey string
	// DemoWebhookSecret signs the demo merchant's webhooks (sandbox mode).
	DemoWebhookSecret string
	metrics           *metrics
	metricsLn         net.Listener
	// MetricsURL is where /metrics is served ("" without
	// CHECKOUT_METRICS_ADDR).
	MetricsURL string
	relay      *relay.Relay
	handlers   *handlers.Handlers // for the workers' limiter sweep

	server *http.Server

	openAPIJSON []byte // the OpenAPI document as served at /openapi.json
	// DemoReturnSecret signs the demo merchant's returns (sandbox mode):
	// the demo shop verifies them with it.
	DemoReturnSecret string
	// DemoDashboardPassword is the password of the demo merchant's
	// dashboard user, DemoDashboardEmail (sandbox mode).
	DemoDashboardPassword string
	// SandboxVars are the variables (credentials included) each sandbox
	// gave its adapter, by provider name: for tests that prove none of
	// them leaks (in live mode too, where the sandboxes serve test keys).
	SandboxVars map[string]registry.Vars
}

// New opens the database, listens on the configured address (so that port
// 0 resolves to a real port before any URL is built), builds the providers
// and the routes.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ProviderTimeout == 0 {
		cfg.ProviderTimeout = 30 * time.Second
	}
	if cfg.ReconcileInterval == 0 {
		cfg.ReconcileInterval = time.Second
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	store, err := cfg.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.SQLiteSync == sqlstore.SyncNormal && !cfg.Postgres() {
		log.Warn("CHECKOUT_SQLITE_SYNC=normal: commits acknowledged just before a power loss or OS crash may be lost")
	}
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			store.Close()
			return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
	}
	a := &App{Config: cfg, Log: slog.New(handlers.NewLogHandler(log.Handler())), Store: store, Listener: ln}
	if cfg.MetricsAddr != "" {
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			store.Close()
			return nil, fmt.Errorf("listen on %s (CHECKOUT_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		a.MetricsURL = "http://" + a.metricsLn.Addr().String() + "/metrics"
	}
	a.InternalURL = "http://" + ln.Addr().String()
	a.URL = cfg.BaseURL
	if a.URL == "" {
		a.URL = a.InternalURL
	}
	a.SandboxURL = cfg.SandboxURL
	if a.SandboxURL == "" {
		a.SandboxURL = a.URL
	}
	if err := a.assemble(ctx); err != nil {
		ln.Close()
		if a.metricsLn != nil {
			a.metricsLn.Close()
		}
		store.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) assemble(ctx context.Context) error {
	providers, testProviders, err := a.buildProviders()
	if err != nil {
		return err
	}
	a.Log.Info("providers configured", "mode", a.Config.Mode, "providers", strings.Join(a.Config.configuredNames(), ","),
		"default", a.Config.DefaultProvider)
	// Every session without a provider of its own goes to its merchant's
	// default: a merchant whose default is not configured here could take
	// no payment, so the server does not start with one.
	merchants, err := a.Store.Merchants(ctx)
	if err != nil {
		return err
	}
	for _, m := range merchants {
		set := providers
		if !m.Live && testProviders != nil {
			set = testProviders // a test merchant on a live server pays in the sandboxes
		}
		if _, ok := set[m.DefaultProvider]; !ok && m.ID != DemoMerchantID {
			return fmt.Errorf("merchant %s (%s) has the default provider %q, which this server does not configure (configured: %s); configure it, or run: checkout merchants set-provider -id %s -provider NAME",
				m.ID, m.Name, m.DefaultProvider, strings.Join(a.Config.configuredNames(), ", "), m.ID)
		}
	}
	a.Service = &checkout.Service{
		Store:     a.Store,
		Providers: providers, TestProviders: testProviders, ProviderOrder: Providers.Names(),
		Links: links{base: a.URL},
		// Sessions show the locale their pages render in.
		PageLocale: handlers.PageLocale,
		Sandbox:    a.Config.Mode == ModeSandbox,
		Now:        a.Config.Now,
		IDs:        checkout.RandomIDs{Now: a.Config.Now}, // ids carry the time of the clock created times come from
		Log:        a.Log,
		// A call still running after twice the provider timeout is from a
		// process that died: the reconciler takes over.
		ProcessingTimeout: 2*a.Config.ProviderTimeout + 5*time.Second,
		CrashPoint:        a.Config.CrashPoint,
		RejectedReturns:   a.counter("rejected_returns"),
		// Merchant objects show their logo's URL on our origin.
		LogoURL: func(l *checkout.Logo) string { return a.URL + handlers.LogoURL(l) },
	}
	if err := a.ensureReturnSecrets(ctx, merchants); err != nil {
		return err
	}
	// The card fingerprints' key: one for every instance, so that they
	// count one card the same.
	cardKey, err := a.Store.ServerKey(ctx, "card_fingerprints", randomBytes(32), a.Config.Now())
	if err != nil {
		return fmt.Errorf("card fingerprint key: %w", err)
	}
	if a.Config.LimitPerIP > 0 || a.Config.LimitPerCard > 0 {
		a.Service.Limits = &checkout.AttemptLimits{PerIP: a.Config.LimitPerIP, PerCard: a.Config.LimitPerCard,
			Window: a.Config.LimitWindow, Key: cardKey, Counter: a.counter("card_testing")}
	}
	if a.Config.TestLimitPerIP > 0 {
		// Test mode: no per-card limit (everyone pays with the same test
		// cards), only an abuse ceiling per address, counted apart.
		a.Service.TestLimits = &checkout.AttemptLimits{PerIP: a.Config.TestLimitPerIP,
			Window: a.Config.LimitWindow, Counter: a.counter("card_testing_test")}
	}
	a.relay = relay.New(a.Store, a.Log, a.Config.Now, a.Config.Mode == ModeLive && !a.Config.WebhookPrivateNetworks, a.Config.WebhookTimeout)
	// Counted whether or not /metrics is served (a few atomic adds).
	a.metrics = newMetrics(a.Store)
	a.metrics.timingEverywhere = a.Config.ServerTimingEverywhere
	a.Service.Observer = a.metrics
	a.relay.OnAttempt = a.metrics.webhookAttempt
	formKey, err := a.Store.ServerKey(ctx, "form_tokens", []byte(checkout.RandomToken(32)), a.Config.Now())
	if err != nil {
		return fmt.Errorf("form token key: %w", err)
	}
	// The dashboard's cookie keys: kept in the database, so that sessions
	// outlive a restart and work on every instance.
	hashKey, err := a.Store.ServerKey(ctx, "dashboard_cookie_hash", randomBytes(64), a.Config.Now())
	if err != nil {
		return fmt.Errorf("dashboard cookie key: %w", err)
	}
	blockKey, err := a.Store.ServerKey(ctx, "dashboard_cookie_block", randomBytes(32), a.Config.Now())
	if err != nil {
		return fmt.Errorf("dashboard cookie key: %w", err)
	}
	// The key sealing dashboard users' two-step sign-in secrets, kept
	// likewise: every instance opens what another sealed.
	if a.Service.TOTPKey, err = a.Store.ServerKey(ctx, "dashboard_totp", randomBytes(32), a.Config.Now()); err != nil {
		return fmt.Errorf("dashboard TOTP key: %w", err)
	}
	h := &handlers.Handlers{Service: a.Service, Log: a.Log, Forms: handlers.NewFormTokens(formKey),
		Dashboard:   &handlers.Dashboard{Cookies: handlers.NewDashboardCookieStore(hashKey, blockKey)},
		Idempotency: &handlers.Idempotency{Store: a.Store, Now: a.Config.Now, Lease: a.Config.IdempotencyLease},
		APILimits: &ratelimit.APILimits{PerSecond: a.Config.APILimitPerSecond, FailedAuthPerMinute: a.Config.APIAuthFailuresPerMinute,
			Shared: a.sharedCounter("api")},
		SessionRequestsPerMinute: a.Config.SessionRequestsPerMinute, SharedSessionRequests: a.sharedCounter("session_requests")}
	h.Dashboard.Shared = a.sharedCounter("dashboard_sign_in")
	if a.Config.Mode == ModeSandbox {
		if err := a.seedDemoMerchant(ctx); err != nil {
			return err
		}
		if err := a.seedDemoDashboardUser(ctx); err != nil {
			return err
		}
		secret := []byte(a.Config.CookieSecret)
		if len(secret) == 0 {
			secret = []byte(checkout.RandomToken(32))
		}
		names := []string{a.Config.DefaultProvider}
		for _, name := range slices.Sorted(maps.Keys(a.Service.Providers)) {
			// The shop's provider choice is for cards; wallets route by themselves.
			if name != a.Config.DefaultProvider && a.Service.Providers[name].Capabilities().Supports(checkout.MethodCard) {
				names = append(names, name)
			}
		}
		a.Demo = &demo.Shop{Providers: names, APIKey: a.DemoAPIKey, ReturnSecret: a.DemoReturnSecret, Now: a.Config.Now, APIURL: a.InternalURL, PublicURL: a.URL,
			Client: &http.Client{Timeout: 30 * time.Second}, Cookies: demo.NewCookieStore(secret), Log: a.Log}
	}
	// The OpenAPI document: a broken one stops the server; it says which
	// query parameters each operation takes, and is served with this
	// server's public URL.
	doc, err := openapi.Load()
	if err != nil {
		return err
	}
	if a.openAPIJSON, err = doc.JSON(a.URL); err != nil {
		return err
	}
	h.QueryParams = map[string][]string{}
	for op, names := range doc.QueryParams() {
		h.QueryParams[op.Method+" "+op.Path] = names
	}
	a.handlers = h
	a.Echo = a.routes(h)
	a.server = &http.Server{
		Handler:           a.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		// The request line and headers together; a longer one is a 431.
		MaxHeaderBytes: MaxHeaderBytes,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   a.Config.ProviderTimeout*4 + 30*time.Second,
		IdleTimeout:    120 * time.Second,
		ErrorLog:       slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if a.Config.CheckAPI != nil {
		a.server.Handler = a.Config.CheckAPI(a.server.Handler)
	}
	return nil
}

// MaxHeaderBytes bounds a request's line and headers: ids, cookies and
// the headers browsers and providers send fit well within 16 KiB.
const MaxHeaderBytes = 16 << 10

// DemoDashboardEmail is the demo merchant's dashboard user (sandbox mode).
const DemoDashboardEmail = "demo@example.com"

// seedDemoDashboardUser gives the demo merchant its dashboard user,
// demo@example.com, with the configured password, or a fresh random one
// at every start (DemoDashboardPassword says which, for the startup
// banner). A configured password that already verifies is left alone, so
// that the user's sessions outlive a restart.
func (a *App) seedDemoDashboardUser(ctx context.Context) error {
	password := a.Config.DemoDashboardPassword
	if password == "" {
		password = checkout.GeneratePassword()
	}
	a.DemoDashboardPassword = password
	u, err := a.Store.DashboardUserByEmail(ctx, DemoDashboardEmail)
	switch {
	case errors.Is(err, checkout.ErrNotFound):
		_, _, err = a.Service.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: DemoMerchantID,
			Email: DemoDashboardEmail, Role: checkout.RoleAdmin, Password: password, Actor: "sandbox"})
		return err
	case err != nil:
		return err
	case u.MerchantID != DemoMerchantID:
		return fmt.Errorf("the demo dashboard user %s belongs to merchant %s, not the demo merchant", DemoDashboardEmail, u.MerchantID)
	case checkout.VerifyPassword(u.PasswordHash, password):
		return nil
	}
	_, err = a.Service.ChangeDashboardPassword(ctx, DemoMerchantID, DemoDashboardEmail, password, "sandbox")
	return err
}

// randomBytes is n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// seedDemoMerchant creates or refreshes the sandbox demo merchant with the
// configured (or a fresh) test secret key.
func (a *App) seedDemoMerchant(ctx context.Context) error {
	a.DemoAPIKey = a.Config.DemoAPIKey
	if a.DemoAPIKey == "" {
		a.DemoAPIKey = checkout.NewSecretKey(false)
	}
	m := &checkout.Merchant{ID: DemoMerchantID, Name: "Demo Coffee Co.", APIKeyHash: checkout.HashAPIKey(a.DemoAPIKey),
		DefaultProvider: a.Config.DefaultProvider, EmbedOrigins: a.Config.DemoEmbedOrigins, CreatedAt: a.Config.Now().UTC()}
	if existing, err := a.Store.Merchant(ctx, DemoMerchantID); err == nil {
		// Branding set with `checkout merchants update` stays.
		m.CreatedAt, m.DisplayName, m.BrandColor, m.Logo = existing.CreatedAt, existing.DisplayName, existing.BrandColor, existing.Logo
		// So do the support contacts set over the API; the save is a
		// compare-and-set on the version read here.
		m.SupportEmail, m.SupportURL, m.Version = existing.SupportEmail, existing.SupportURL, existing.Version
	}
	// A new demo merchant starts with the configured return secret, or a
	// fresh one; an existing one keeps its own unless one is configured.
	m.ReturnSecret = a.Config.DemoReturnSecret
	if m.ReturnSecret == "" {
		m.ReturnSecret = checkout.NewReturnSecret()
	}
	if err := a.Store.SaveMerchant(ctx, m); err != nil {
		return err
	}
	stored, err := a.Store.Merchant(ctx, DemoMerchantID)
	if err == nil {
		stored, err = a.Service.EnsureReturnSecret(ctx, stored)
	}
	if err == nil && a.Config.DemoReturnSecret != "" {
		stored, err = a.Service.ReplaceReturnSecret(ctx, stored, a.Config.DemoReturnSecret)
	}
	if err != nil {
		return fmt.Errorf("the demo merchant's return secret: %w", err)
	}
	a.DemoReturnSecret = stored.ReturnSecret
	// The demo merchant's webhook endpoint follows the configuration: on
	// with a URL, off without one.
	a.DemoWebhookSecret = a.Config.DemoWebhookSecret
	if a.DemoWebhookSecret == "" {
		a.DemoWebhookSecret = checkout.NewWebhookSecret()
	}
	return a.Store.SaveWebhookEndpoint(ctx, &checkout.WebhookEndpoint{ID: DemoWebhookEndpointID, MerchantID: DemoMerchantID,
		URL: a.Config.DemoWebhookURL, Secret: a.DemoWebhookSecret, Enabled: a.Config.DemoWebhookURL != "", CreatedAt: m.CreatedAt})
}

// ensureReturnSecrets gives every merchant without a return secret (made
// before signed returns) one of its own: SQL cannot make a random secret
// per row portably, so the migration leaves them empty and this fills
// them, each in a statement guarded by the secret still being empty (of
// two servers starting at once, the first one's secret stays). Their
// merchants learn them by rotating.
func (a *App) ensureReturnSecrets(ctx context.Context, merchants []*checkout.Merchant) error {
	n := 0
	for _, m := range merchants {
		if m.ReturnSecret != "" {
			continue
		}
		if _, err := a.Service.EnsureReturnSecret(ctx, m); err != nil {
			return err
		}
		n++
	}
	if n > 0 {
		a.Log.Info("return secrets made for merchants that had none; they see theirs by rotating it", "merchants", n)
	}
	return nil
}

// DemoWebhookEndpointID is the demo merchant's webhook endpoint.
const DemoWebhookEndpointID = "we_demoendpointaaaaaaaaaaaaaaaaaaa"

// Run serves until ctx ends, then shuts down gracefully: in-flight requests
// get up to shutdownGrace to finish, workers stop, the database closes.
func (a *App) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.runWorkers(workCtx)
	}()
	go func() {
		defer wg.Done()
		a.runRelay(workCtx)
	}()

	errc := make(chan error, 2)
	go func() { errc <- a.server.Serve(a.Listener) }()
	metricsCtx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
	defer stopMetrics()
	if a.metricsLn != nil {
		go func() {
			if err := a.metrics.serve(metricsCtx, a.metricsLn); err != nil {
				errc <- fmt.Errorf("metrics listener: %w", err)
			}
		}()
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := a.server.Shutdown(shutdownCtx); err != nil {
		a.Log.Warn("shutdown did not finish cleanly", "err", err)
	}
	stopWork()
	wg.Wait()
	a.Sandbox.Close()
	if err := a.Store.Close(); err != nil {
		return err
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

const shutdownGrace = 20 * time.Second

// counter is a limiter of the kind the store calls for: in this process's
// memory on SQLite (one instance), in the database on PostgreSQL, shared
// by every instance with the same answers (sqlstore.Counter), under
// namespace.
func (a *App) counter(namespace string) checkout.Counter {
	if c := a.sharedCounter(namespace); c != nil {
		return c
	}
	return &ratelimit.Limiter{}
}

// sharedCounter is the database's counter under namespace on PostgreSQL,
// nil on SQLite (the handlers then count in memory).
func (a *App) sharedCounter(namespace string) ratelimit.Counter {
	if !a.Config.Postgres() {
		return nil
	}
	return a.Store.Counter(namespace)
}
