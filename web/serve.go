package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Serve is the server command: it reads the configuration from getenv,
// logs to stderr, and serves until SIGINT or SIGTERM; the answer is the
// exit code. options change the configuration read from the environment
// (only tests pass any).
func Serve(getenv func(string) string, stderr io.Writer, options ...func(*Config)) int {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "checkout: configuration:", err)
		return 2
	}
	for _, o := range options {
		o(&cfg)
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var handler slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(stderr, opts)
	}
	log := slog.New(handler)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	app, err := New(ctx, cfg, log)
	if err != nil {
		log.Error("startup failed", "err", err)
		return 1
	}
	fmt.Fprintf(stderr, "\nHosted checkout (%s mode) on %s\n  database: %s\n", cfg.Mode, app.URL, cfg.DatabaseName())
	if cfg.Mode == ModeSandbox {
		fmt.Fprintf(stderr, "  demo shop: %s/\n  demo merchant secret key: %s\n", app.URL, app.DemoAPIKey)
		fmt.Fprintf(stderr, "  demo merchant return secret: %s\n", app.DemoReturnSecret)
		if cfg.DemoDashboardPassword != "" {
			fmt.Fprintf(stderr, "  dashboard: %s/dashboard (%s, the password in CHECKOUT_DEMO_DASHBOARD_PASSWORD)\n", app.URL, DemoDashboardEmail)
		} else {
			fmt.Fprintf(stderr, "  dashboard: %s/dashboard (%s, password %s)\n", app.URL, DemoDashboardEmail, app.DemoDashboardPassword)
		}
		if cfg.DemoWebhookURL != "" {
			fmt.Fprintf(stderr, "  demo webhooks: %s (secret %s)\n", cfg.DemoWebhookURL, app.DemoWebhookSecret)
		}
		fmt.Fprintln(stderr)
	}
	if err := app.Run(ctx); err != nil {
		log.Error("server stopped with an error", "err", err)
		return 1
	}
	log.Info("server stopped")
	return 0
}
