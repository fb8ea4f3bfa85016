// Package web assembles the application: configuration, the Echo instance
// with its middleware and route table, the error handler, the providers (and
// their sandboxes in sandbox mode), and the background workers.
package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/providers/registry"
)

// Modes.
const (
	ModeSandbox = "sandbox"
	ModeLive    = "live"
)

// Config is everything the app reads from its environment.
type Config struct {
	Addr              string        // CHECKOUT_ADDR: listen address; port 0 picks a free one
	BaseURL           string        // CHECKOUT_BASE_URL: public URL in session links; default http://<listen address>
	SandboxURL        string        // CHECKOUT_SANDBOX_URL: public origin of the provider sandboxes; default BaseURL
	DBPath            string        // CHECKOUT_DB: SQLite file
	DatabaseURL       string        // CHECKOUT_DATABASE_URL: postgres://…: PostgreSQL instead of the SQLite file
	MetricsAddr       string        // CHECKOUT_METRICS_ADDR: where /metrics listens (a listener of its own); off when empty
	SQLiteSync        sqlstore.Sync // CHECKOUT_SQLITE_SYNC: full (default; "" too) or normal, which may lose the last commits before a power loss
	Mode              string        // CHECKOUT_MODE: sandbox (default) or live
	DemoAPIKey        string        // CHECKOUT_DEMO_API_KEY: the demo merchant's secret key (sandbox mode); random when empty
	CookieSecret      string        // CHECKOUT_COOKIE_SECRET: signs the demo shop's cookie; random when empty
	DemoWebhookURL    string        // CHECKOUT_DEMO_WEBHOOK_URL: where the demo merchant's webhooks go (sandbox mode); none when empty
	DemoWebhookSecret string        // CHECKOUT_DEMO_WEBHOOK_SECRET: its whsec_ secret; random when empty
	DemoReturnSecret  string        // CHECKOUT_DEMO_RETURN_SECRET: the demo merchant's rsec_ return secret; when empty, the one it has (fresh on a new database)
	DemoEmbedOrigins  []string      // CHECKOUT_DEMO_EMBED_ORIGINS: comma-separated origins that may frame the demo merchant's checkout
	// DemoDashboardPassword (CHECKOUT_DEMO_DASHBOARD_PASSWORD, sandbox
	// mode) is the password of the demo merchant's dashboard user
	// demo@example.com; when empty, a random one is set at every start and
	// printed.
	DemoDashboardPassword string
	ProviderTimeout       time.Duration // CHECKOUT_PROVIDER_TIMEOUT: limit on each provider HTTP call
	ReconcileInterval     time.Duration // CHECKOUT_RECONCILE_INTERVAL: how often due inquiries run
	// ProviderNotFoundAfter (CHECKOUT_PROVIDER_NOT_FOUND_AFTER, live mode):
	// how old a payment must be before a provider that has no record of it
	// is believed (the call never reached it: failed, nothing charged);
	// younger, "not found" is still pending.
	ProviderNotFoundAfter time.Duration
	WebhookTimeout        time.Duration // CHECKOUT_WEBHOOK_TIMEOUT: limit on each merchant webhook attempt (15s)
	// WebhookPrivateNetworks (CHECKOUT_WEBHOOK_PRIVATE_NETWORKS=true) lets
	// live-mode webhooks reach loopback and private addresses, which are
	// refused by default (SSRF); for on-premises merchants and tests.
	WebhookPrivateNetworks bool
	// Card-testing limits: payment attempts per client IP and per card in
	// LimitWindow (CHECKOUT_LIMIT_PER_IP, CHECKOUT_LIMIT_PER_CARD,
	// CHECKOUT_LIMIT_WINDOW; 0 turns one off).
	// They hold live-mode payments; test-mode ones (test keys, a sandbox
	// server) are held only to TestLimitPerIP attempts per client IP in
	// the window (CHECKOUT_TEST_LIMIT_PER_IP, 2000; 0 turns it off).
	LimitPerIP, LimitPerCard int
	LimitWindow              time.Duration
	TestLimitPerIP           int
	// Merchant API limits: requests per merchant per second
	// (CHECKOUT_API_LIMIT_PER_SECOND) and failed authentications per client
	// IP per minute (CHECKOUT_API_AUTH_FAILURES_PER_MINUTE); 0 turns one off.
	APILimitPerSecond, APIAuthFailuresPerMinute int
	// SessionRequestsPerMinute (CHECKOUT_LIMIT_SESSION_REQUESTS_PER_MINUTE)
	// bounds the requests to one checkout session's pages; 0 turns it off.
	SessionRequestsPerMinute int
	// TrustedProxies (CHECKOUT_TRUSTED_PROXIES, comma-separated CIDRs) are
	// the only peers whose X-Forwarded-For is believed for the client IP.
	TrustedProxies  []*net.IPNet
	LogLevel        slog.Level // CHECKOUT_LOG_LEVEL: debug, info, warn, error
	LogFormat       string     // CHECKOUT_LOG_FORMAT: text (default) or json
	DefaultProvider string     // CHECKOUT_DEFAULT_PROVIDER: the first of Providers by default; where sessions go unless they name one
	// ProviderVars are, per provider of Providers, its configuration
	// variables' values (registry.Descriptor.Vars) as live mode reads them.
	ProviderVars map[string]registry.Vars

	// Now is the clock; tests inject one. Defaults to time.Now.
	Now func() time.Time
	// CrashPoint, when set, is called at each step of a payment and a
	// refund where a crash leaves work half done; the crash test stops the
	// process there. Never set from the environment.
	CrashPoint func(step string)
	// ServerTimingEverywhere gives every answer of ours (pages too, not
	// the provider sandboxes') the Server-Timing header the merchant API
	// always carries: make bench sums a payment's own server time from it.
	// Not read from the environment.
	ServerTimingEverywhere bool
	// IdempotencyLease is how long a merchant request holds its
	// Idempotency-Key before a retry may take it over (one minute when
	// zero); tests shorten it. Never set from the environment.
	IdempotencyLease time.Duration
	// Listener, when set, is used instead of listening on Addr (tests that
	// need the port before building URLs).
	Listener net.Listener
	// CheckAPI, when set, wraps the server's whole handler: the tests
	// install the OpenAPI check there (openapi.Doc.Check), so that every
	// merchant API request and answer, the demo shop's included, is
	// validated against the document. Never set from the environment.
	CheckAPI func(http.Handler) http.Handler
}

// ConfigFromEnv reads the configuration with safe sandbox defaults. In live
// mode every provider setting is required and a missing one is an error
// naming the variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg, err := ReadConfig(getenv)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// ReadConfig parses the environment as ConfigFromEnv does, without
// checking that the whole is enough to serve: what the merchants and backup
// commands (package web/operator) need (the database, the default provider)
// works with a partial live configuration.
func ReadConfig(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		Addr:              get("CHECKOUT_ADDR", "127.0.0.1:8080"),
		BaseURL:           strings.TrimRight(get("CHECKOUT_BASE_URL", ""), "/"),
		SandboxURL:        strings.TrimRight(get("CHECKOUT_SANDBOX_URL", ""), "/"),
		DBPath:            get("CHECKOUT_DB", "data/checkout.db"),
		DatabaseURL:       get("CHECKOUT_DATABASE_URL", ""),
		MetricsAddr:       get("CHECKOUT_METRICS_ADDR", ""),
		Mode:              get("CHECKOUT_MODE", ModeSandbox),
		DemoAPIKey:        get("CHECKOUT_DEMO_API_KEY", ""),
		CookieSecret:      get("CHECKOUT_COOKIE_SECRET", ""),
		DemoWebhookURL:    get("CHECKOUT_DEMO_WEBHOOK_URL", ""),
		DemoWebhookSecret: get("CHECKOUT_DEMO_WEBHOOK_SECRET", ""),
		DemoReturnSecret:  get("CHECKOUT_DEMO_RETURN_SECRET", ""),
		DemoEmbedOrigins:  splitList(get("CHECKOUT_DEMO_EMBED_ORIGINS", "")),
		// Not trimmed: a password is what it is.
		DemoDashboardPassword: getenv("CHECKOUT_DEMO_DASHBOARD_PASSWORD"),
		LogFormat:             get("CHECKOUT_LOG_FORMAT", "text"),
		DefaultProvider:       get("CHECKOUT_DEFAULT_PROVIDER", Providers[0].Name),
	}
	cfg.ProviderVars = map[string]registry.Vars{}
	for _, d := range Providers {
		vars := registry.Vars{}
		for _, v := range d.Vars {
			vars[v.Env] = get(v.Env, "")
		}
		cfg.ProviderVars[d.Name] = vars
	}
	var err error
	if cfg.ProviderTimeout, err = duration(get("CHECKOUT_PROVIDER_TIMEOUT", "30s"), "CHECKOUT_PROVIDER_TIMEOUT"); err != nil {
		return cfg, err
	}
	if cfg.ReconcileInterval, err = duration(get("CHECKOUT_RECONCILE_INTERVAL", "1s"), "CHECKOUT_RECONCILE_INTERVAL"); err != nil {
		return cfg, err
	}
	if cfg.WebhookTimeout, err = duration(get("CHECKOUT_WEBHOOK_TIMEOUT", "15s"), "CHECKOUT_WEBHOOK_TIMEOUT"); err != nil {
		return cfg, err
	}
	if cfg.ProviderNotFoundAfter, err = duration(get("CHECKOUT_PROVIDER_NOT_FOUND_AFTER", "10m"), "CHECKOUT_PROVIDER_NOT_FOUND_AFTER"); err != nil {
		return cfg, err
	}
	if cfg.LimitPerIP, err = count(get("CHECKOUT_LIMIT_PER_IP", "30"), "CHECKOUT_LIMIT_PER_IP"); err != nil {
		return cfg, err
	}
	if cfg.LimitPerCard, err = count(get("CHECKOUT_LIMIT_PER_CARD", "10"), "CHECKOUT_LIMIT_PER_CARD"); err != nil {
		return cfg, err
	}
	if cfg.LimitWindow, err = duration(get("CHECKOUT_LIMIT_WINDOW", "1h"), "CHECKOUT_LIMIT_WINDOW"); err != nil {
		return cfg, err
	}
	if cfg.TestLimitPerIP, err = count(get("CHECKOUT_TEST_LIMIT_PER_IP", "2000"), "CHECKOUT_TEST_LIMIT_PER_IP"); err != nil {
		return cfg, err
	}
	if cfg.APILimitPerSecond, err = count(get("CHECKOUT_API_LIMIT_PER_SECOND", "100"), "CHECKOUT_API_LIMIT_PER_SECOND"); err != nil {
		return cfg, err
	}
	if cfg.SessionRequestsPerMinute, err = count(get("CHECKOUT_LIMIT_SESSION_REQUESTS_PER_MINUTE", "60"), "CHECKOUT_LIMIT_SESSION_REQUESTS_PER_MINUTE"); err != nil {
		return cfg, err
	}
	if cfg.APIAuthFailuresPerMinute, err = count(get("CHECKOUT_API_AUTH_FAILURES_PER_MINUTE", "30"), "CHECKOUT_API_AUTH_FAILURES_PER_MINUTE"); err != nil {
		return cfg, err
	}
	for _, cidr := range splitList(get("CHECKOUT_TRUSTED_PROXIES", "")) {
		_, n, perr := net.ParseCIDR(cidr)
		if perr != nil {
			return cfg, fmt.Errorf("CHECKOUT_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", cidr)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	switch v := get("CHECKOUT_WEBHOOK_PRIVATE_NETWORKS", "false"); v {
	case "true", "false":
		cfg.WebhookPrivateNetworks = v == "true"
	default:
		return cfg, fmt.Errorf("CHECKOUT_WEBHOOK_PRIVATE_NETWORKS must be true or false, not %q", v)
	}
	if u := cfg.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return cfg, errors.New("CHECKOUT_DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database); leave it unset for the SQLite file CHECKOUT_DB")
	}
	switch v := get("CHECKOUT_SQLITE_SYNC", string(sqlstore.SyncFull)); sqlstore.Sync(v) {
	case sqlstore.SyncFull, sqlstore.SyncNormal:
		cfg.SQLiteSync = sqlstore.Sync(v)
	default:
		return cfg, fmt.Errorf("CHECKOUT_SQLITE_SYNC must be full or normal, not %q", v)
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("CHECKOUT_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("CHECKOUT_LOG_LEVEL: %w", err)
	}
	return cfg, nil
}

func duration(s, name string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 30s", name, s)
	}
	return d, nil
}

func (c *Config) validate() error {
	if c.DefaultProvider == "" {
		c.DefaultProvider = Providers[0].Name
	}
	switch c.Mode {
	case ModeSandbox:
	case ModeLive:
		if c.BaseURL == "" {
			return fmt.Errorf("live mode needs CHECKOUT_BASE_URL")
		}
		configured := c.LiveProviders()
		for _, d := range Providers {
			missing := d.Missing(c.ProviderVars[d.Name])
			if len(missing) > 0 && len(missing) < len(d.Missing(nil)) {
				return fmt.Errorf("live mode: provider %s is partly configured; it also needs %s", d.Name, strings.Join(missing, ", "))
			}
		}
		if !configured[c.DefaultProvider] {
			d, _ := Providers.Find(c.DefaultProvider)
			return fmt.Errorf("live mode needs the default provider (CHECKOUT_DEFAULT_PROVIDER=%s) configured: %s", c.DefaultProvider, strings.Join(d.Missing(nil), ", "))
		}
		if !strings.HasPrefix(c.BaseURL, "https://") {
			return fmt.Errorf("CHECKOUT_BASE_URL must be https in live mode")
		}
	default:
		return fmt.Errorf("CHECKOUT_MODE must be sandbox or live, not %q", c.Mode)
	}
	if _, ok := Providers.Find(c.DefaultProvider); !ok {
		return fmt.Errorf("CHECKOUT_DEFAULT_PROVIDER must name a provider (%s), not %q", Providers, c.DefaultProvider)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("CHECKOUT_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	for name, v := range map[string]string{"CHECKOUT_BASE_URL": c.BaseURL, "CHECKOUT_SANDBOX_URL": c.SandboxURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("%s must be an origin such as https://pay.example.com, not %q", name, v)
		}
	}
	if c.DemoAPIKey != "" && !strings.HasPrefix(c.DemoAPIKey, "sk_test_") {
		return fmt.Errorf("CHECKOUT_DEMO_API_KEY must start with sk_test_")
	}
	if c.DemoWebhookURL != "" {
		if err := checkout.CheckWebhookURL(c.DemoWebhookURL, false); err != nil {
			return fmt.Errorf("CHECKOUT_DEMO_WEBHOOK_URL must be an absolute http(s) URL")
		}
	}
	for i, o := range c.DemoEmbedOrigins {
		n, err := checkout.NormalizeOrigin(o)
		if err != nil {
			return fmt.Errorf("CHECKOUT_DEMO_EMBED_ORIGINS: %q: %v", o, err)
		}
		c.DemoEmbedOrigins[i] = n
	}
	if c.DemoWebhookSecret != "" && !checkout.ValidWebhookSecret(c.DemoWebhookSecret) {
		return fmt.Errorf("CHECKOUT_DEMO_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 bytes")
	}
	if c.DemoDashboardPassword != "" {
		if err := checkout.CheckNewPassword(c.DemoDashboardPassword); err != nil {
			var e *checkout.Error
			errors.As(err, &e)
			return fmt.Errorf("CHECKOUT_DEMO_DASHBOARD_PASSWORD: %s", e.Message)
		}
	}
	if c.DemoReturnSecret != "" && !checkout.ValidReturnSecret(c.DemoReturnSecret) {
		return fmt.Errorf("CHECKOUT_DEMO_RETURN_SECRET must be rsec_ followed by 43 characters of URL-safe base64 (32 bytes)")
	}
	if c.DemoAPIKey != "" && len(c.DemoAPIKey) < 24 {
		return fmt.Errorf("CHECKOUT_DEMO_API_KEY must have at least 24 characters")
	}
	return nil
}

// ConfiguredProviders reports the providers this server runs: every one in
// sandbox mode (against its sandbox), in live mode those fully configured.
func (c *Config) ConfiguredProviders() map[string]bool {
	out := map[string]bool{}
	for name, ok := range c.LiveProviders() {
		out[name] = ok || c.Mode == ModeSandbox
	}
	return out
}

// configuredNames lists the configured providers, sorted.
func (c *Config) configuredNames() []string {
	var names []string
	for name, ok := range c.ConfiguredProviders() {
		if ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// ProviderRefusal says why name cannot be a merchant's default provider on
// this server ("" when it can): not a provider, or not configured here, so
// that every session without a provider of its own would fail.
func (c *Config) ProviderRefusal(name string) string {
	if _, ok := Providers.Find(name); !ok {
		return fmt.Sprintf("%q is not a provider (%s)", name, Providers)
	}
	if !c.ConfiguredProviders()[name] {
		return fmt.Sprintf("%q is not configured on this server (configured: %s)", name, strings.Join(c.configuredNames(), ", "))
	}
	return ""
}

// LiveProviders reports which providers live mode configures: those whose
// required variables are all set.
func (c *Config) LiveProviders() map[string]bool {
	out := map[string]bool{}
	for _, d := range Providers {
		out[d.Name] = len(d.Missing(c.ProviderVars[d.Name])) == 0
	}
	return out
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func count(s, name string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a whole number (0 turns it off)", name, s)
	}
	return n, nil
}

// SQLiteOptions are the database settings the configuration chooses.
func (c *Config) SQLiteOptions() sqlstore.Options {
	return sqlstore.Options{Sync: c.SQLiteSync}
}

// Postgres reports whether the store is PostgreSQL (CHECKOUT_DATABASE_URL).
func (c *Config) Postgres() bool { return c.DatabaseURL != "" }

// OpenStore opens and migrates the configured store: PostgreSQL when
// CHECKOUT_DATABASE_URL is set, else the SQLite file CHECKOUT_DB.
func (c *Config) OpenStore(ctx context.Context) (*sqlstore.DB, error) {
	if c.Postgres() {
		return sqlstore.OpenPostgres(ctx, c.DatabaseURL, sqlstore.PostgresOptions{})
	}
	return sqlstore.OpenWith(ctx, c.DBPath, c.SQLiteOptions())
}

// DatabaseName is the store as the startup message names it: the SQLite
// file, or the PostgreSQL URL without its password.
func (c *Config) DatabaseName() string {
	if !c.Postgres() {
		return c.DBPath
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "PostgreSQL"
	}
	return u.Redacted()
}
