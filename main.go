// Command checkout serves the hosted checkout: the merchant API, the
// shopper's pages and, in sandbox mode (the default), simulators of the
// payment providers and a demo shop. Configuration comes from CHECKOUT_*
// environment variables; see the README. `checkout merchants ...` manages
// merchants (operator.MerchantsCommand); `checkout users ...` manages their
// dashboard users (operator.UsersCommand); `checkout backup -to FILE` copies
// the database while the server runs (operator.BackupCommand).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "merchants":
			os.Exit(operator.MerchantsCommand(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
		case "users":
			os.Exit(operator.UsersCommand(os.Args[2:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
		case "backup":
			// A signal cancels the copy, which then leaves no partial file.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := operator.BackupCommand(ctx, os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Getenv, os.Stderr))
}

// run serves until SIGINT or SIGTERM. options change the configuration read
// from the environment (only tests pass any).
func run(getenv func(string) string, stderr io.Writer, options ...func(*web.Config)) int {
	cfg, err := web.ConfigFromEnv(getenv)
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

	app, err := web.New(ctx, cfg, log)
	if err != nil {
		log.Error("startup failed", "err", err)
		return 1
	}
	fmt.Fprintf(stderr, "\nHosted checkout (%s mode) on %s\n  database: %s\n", cfg.Mode, app.URL, cfg.DatabaseName())
	if cfg.Mode == web.ModeSandbox {
		fmt.Fprintf(stderr, "  demo shop: %s/\n  demo merchant secret key: %s\n", app.URL, app.DemoAPIKey)
		fmt.Fprintf(stderr, "  demo merchant return secret: %s\n", app.DemoReturnSecret)
		if cfg.DemoDashboardPassword != "" {
			fmt.Fprintf(stderr, "  dashboard: %s/dashboard (%s, the password in CHECKOUT_DEMO_DASHBOARD_PASSWORD)\n", app.URL, web.DemoDashboardEmail)
		} else {
			fmt.Fprintf(stderr, "  dashboard: %s/dashboard (%s, password %s)\n", app.URL, web.DemoDashboardEmail, app.DemoDashboardPassword)
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
