package web_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	cfg, err := web.ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.DBPath != "data/checkout.db" || cfg.Mode != web.ModeSandbox ||
		cfg.ProviderTimeout != 30*time.Second || cfg.BaseURL != "" || cfg.LogFormat != "text" ||
		cfg.SQLiteSync != sqlstore.SyncFull {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CHECKOUT_MODE": "prod"}, "CHECKOUT_MODE"},
		{map[string]string{"CHECKOUT_PROVIDER_TIMEOUT": "soon"}, "CHECKOUT_PROVIDER_TIMEOUT"},
		{map[string]string{"CHECKOUT_BASE_URL": "pay.example.com"}, "CHECKOUT_BASE_URL"},
		{map[string]string{"CHECKOUT_BASE_URL": "https://pay.example.com/checkout"}, "CHECKOUT_BASE_URL"},
		{map[string]string{"CHECKOUT_DEMO_API_KEY": "secret"}, "CHECKOUT_DEMO_API_KEY"},
		{map[string]string{"CHECKOUT_DEMO_RETURN_SECRET": "rsec_short"}, "CHECKOUT_DEMO_RETURN_SECRET"},
		{map[string]string{"CHECKOUT_DEMO_RETURN_SECRET": "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "CHECKOUT_DEMO_RETURN_SECRET"},
		{map[string]string{"CHECKOUT_LOG_LEVEL": "loud"}, "CHECKOUT_LOG_LEVEL"},
		{map[string]string{"CHECKOUT_SQLITE_SYNC": "off"}, "CHECKOUT_SQLITE_SYNC"},
		{map[string]string{"CHECKOUT_SQLITE_SYNC": "extra"}, "CHECKOUT_SQLITE_SYNC"},
		{map[string]string{"CHECKOUT_DATABASE_URL": "mysql://db/checkout"}, "CHECKOUT_DATABASE_URL"},
		{map[string]string{"CHECKOUT_DATABASE_URL": "/var/lib/checkout.db"}, "CHECKOUT_DATABASE_URL"},
		{map[string]string{"CHECKOUT_MODE": "live"}, "CHECKOUT_BASE_URL"},
		{map[string]string{"CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "https://pay.example.com"}, "CHECKOUT_PAYORDER_AES_KEY"},
		{map[string]string{"CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "https://pay.example.com", "CHECKOUT_DEFAULT_PROVIDER": "worldline"}, "CHECKOUT_WORLDLINE_SECRET_API_KEY"},
		{map[string]string{"CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "https://pay.example.com", "CHECKOUT_WORLDLINE_MERCHANT_ID": "1"}, "CHECKOUT_WORLDLINE_WEBHOOK_SECRET"},
		{map[string]string{"CHECKOUT_DEFAULT_PROVIDER": "stripe"}, "CHECKOUT_DEFAULT_PROVIDER"},
		{map[string]string{"CHECKOUT_MODE": "live", "CHECKOUT_BASE_URL": "http://pay.example.com", "CHECKOUT_PAYORDER_BASE_URL": "x",
			"CHECKOUT_PAYORDER_SESSIONS_URL": "x", "CHECKOUT_PAYORDER_MERCHANT_ID": "x", "CHECKOUT_PAYORDER_CHECKOUT_ID": "x",
			"CHECKOUT_PAYORDER_AES_KEY": "x", "CHECKOUT_PAYORDER_PRIVATE_KEY": "x", "CHECKOUT_PAYORDER_PLATFORM_PUBLIC_KEY": "x"}, "https"},
	}
	for _, tt := range tests {
		if _, err := web.ConfigFromEnv(env(tt.env)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error naming %s", tt.env, err, tt.want)
		}
	}
}

// CHECKOUT_SQLITE_SYNC reaches the server's database: FULL unless the
// operator opts into NORMAL.
func TestConfigSQLiteSyncReachesTheDatabase(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want sqlstore.Sync
	}{{"", sqlstore.SyncFull}, {"full", sqlstore.SyncFull}, {"normal", sqlstore.SyncNormal}} {
		cfg, err := web.ConfigFromEnv(env(map[string]string{"CHECKOUT_ADDR": "127.0.0.1:0",
			"CHECKOUT_DB": filepath.Join(t.TempDir(), "c.db"), "CHECKOUT_SQLITE_SYNC": tt.env}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		app, err := web.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		stopped := make(chan error, 1)
		go func() { stopped <- app.Run(ctx) }()
		got, err := app.Store.Synchronous(ctx)
		cancel()
		<-stopped
		if err != nil || got != tt.want {
			t.Errorf("CHECKOUT_SQLITE_SYNC=%q: the database runs with %q (%v), want %q", tt.env, got, err, tt.want)
		}
	}
}

// The startup message names the store without its password.
func TestDatabaseNameHidesThePassword(t *testing.T) {
	c := web.Config{DBPath: "data/checkout.db"}
	if got := c.DatabaseName(); got != "data/checkout.db" {
		t.Fatalf("SQLite: %q", got)
	}
	c.DatabaseURL = "postgres://checkout:s3cret@db.internal:5432/checkout?sslmode=require"
	if got := c.DatabaseName(); strings.Contains(got, "s3cret") || !strings.Contains(got, "db.internal:5432/checkout") {
		t.Fatalf("PostgreSQL: %q", got)
	}
}
