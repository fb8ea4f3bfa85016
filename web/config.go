// Package web assembles the application: configuration, the Echo instance
// with its middleware and route table, the error handler, the providers (and
// their sandboxes in sandbox mode), and the background workers.
package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
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
	Mode              string        // CHECKOUT_MODE: sandbox (default) or live
	DemoAPIKey        string        // CHECKOUT_DEMO_API_KEY: the demo merchant's secret key (sandbox mode); random when empty
	CookieSecret      string        // CHECKOUT_COOKIE_SECRET: signs the demo shop's cookie; random when empty
	ProviderTimeout   time.Duration // CHECKOUT_PROVIDER_TIMEOUT: limit on each provider HTTP call
	ReconcileInterval time.Duration // CHECKOUT_RECONCILE_INTERVAL: how often due inquiries run
	LogLevel          slog.Level    // CHECKOUT_LOG_LEVEL: debug, info, warn, error
	LogFormat         string        // CHECKOUT_LOG_FORMAT: text (default) or json
	Payorder          PayorderConfig

	// Now is the clock; tests inject one. Defaults to time.Now.
	Now func() time.Time
	// Listener, when set, is used instead of listening on Addr (tests that
	// need the port before building URLs).
	Listener net.Listener
}

// PayorderConfig points the payorder adapter at the real provider (live mode).
type PayorderConfig struct {
	BaseURL, SessionsURL, MerchantID, CheckoutID, AESKey, PrivateKey, PublicKey string
}

// ConfigFromEnv reads the configuration with safe sandbox defaults. In live
// mode every provider setting is required and a missing one is an error
// naming the variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		Addr:         get("CHECKOUT_ADDR", "127.0.0.1:8080"),
		BaseURL:      strings.TrimRight(get("CHECKOUT_BASE_URL", ""), "/"),
		SandboxURL:   strings.TrimRight(get("CHECKOUT_SANDBOX_URL", ""), "/"),
		DBPath:       get("CHECKOUT_DB", "data/checkout.db"),
		Mode:         get("CHECKOUT_MODE", ModeSandbox),
		DemoAPIKey:   get("CHECKOUT_DEMO_API_KEY", ""),
		CookieSecret: get("CHECKOUT_COOKIE_SECRET", ""),
		LogFormat:    get("CHECKOUT_LOG_FORMAT", "text"),
		Payorder: PayorderConfig{
			BaseURL:     get("CHECKOUT_PAYORDER_BASE_URL", ""),
			SessionsURL: get("CHECKOUT_PAYORDER_SESSIONS_URL", ""),
			MerchantID:  get("CHECKOUT_PAYORDER_MERCHANT_ID", ""),
			CheckoutID:  get("CHECKOUT_PAYORDER_CHECKOUT_ID", ""),
			AESKey:      get("CHECKOUT_PAYORDER_AES_KEY", ""),
			PrivateKey:  get("CHECKOUT_PAYORDER_PRIVATE_KEY", ""),
			PublicKey:   get("CHECKOUT_PAYORDER_PLATFORM_PUBLIC_KEY", ""),
		},
	}
	var err error
	if cfg.ProviderTimeout, err = duration(get("CHECKOUT_PROVIDER_TIMEOUT", "30s"), "CHECKOUT_PROVIDER_TIMEOUT"); err != nil {
		return cfg, err
	}
	if cfg.ReconcileInterval, err = duration(get("CHECKOUT_RECONCILE_INTERVAL", "1s"), "CHECKOUT_RECONCILE_INTERVAL"); err != nil {
		return cfg, err
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("CHECKOUT_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("CHECKOUT_LOG_LEVEL: %w", err)
	}
	return cfg, cfg.validate()
}

func duration(s, name string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 30s", name, s)
	}
	return d, nil
}

func (c *Config) validate() error {
	switch c.Mode {
	case ModeSandbox:
	case ModeLive:
		missing := []string{}
		for name, v := range map[string]string{
			"CHECKOUT_BASE_URL":                     c.BaseURL,
			"CHECKOUT_PAYORDER_BASE_URL":            c.Payorder.BaseURL,
			"CHECKOUT_PAYORDER_SESSIONS_URL":        c.Payorder.SessionsURL,
			"CHECKOUT_PAYORDER_MERCHANT_ID":         c.Payorder.MerchantID,
			"CHECKOUT_PAYORDER_CHECKOUT_ID":         c.Payorder.CheckoutID,
			"CHECKOUT_PAYORDER_AES_KEY":             c.Payorder.AESKey,
			"CHECKOUT_PAYORDER_PRIVATE_KEY":         c.Payorder.PrivateKey,
			"CHECKOUT_PAYORDER_PLATFORM_PUBLIC_KEY": c.Payorder.PublicKey,
		} {
			if v == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("live mode needs %s", strings.Join(missing, ", "))
		}
		if !strings.HasPrefix(c.BaseURL, "https://") {
			return fmt.Errorf("CHECKOUT_BASE_URL must be https in live mode")
		}
	default:
		return fmt.Errorf("CHECKOUT_MODE must be sandbox or live, not %q", c.Mode)
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
	if c.DemoAPIKey != "" && len(c.DemoAPIKey) < 24 {
		return fmt.Errorf("CHECKOUT_DEMO_API_KEY must have at least 24 characters")
	}
	return nil
}
