// Package e2e drives the whole product in a real browser: the app starts
// in-process on 127.0.0.1:0 with a temporary database and its provider
// sandboxes, and headless Chromium (Debian's chromium-headless-shell,
// through playwright-go) plays
// the shopper. After the suite, the database, its WAL and the captured logs
// are scanned for every card number and security code the tests typed.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/web"
)

var (
	app     *web.App
	browser playwright.Browser
	workDir string
	// pgCluster is the PostgreSQL the app runs on when
	// CHECKOUT_E2E_STORE=postgres (the journeys run on both stores).
	pgCluster *pgtest.Cluster
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	driver, chromium, missing := browserSetup()
	if missing != "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "e2e: %s; CI must run the browser tests (the README's test command installs it)\n", missing)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e: SKIPPED: %s; run `make test` to install the browser and driver\n", missing)
		return 0
	}

	var err error
	workDir, err = os.MkdirTemp("", "checkout-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logFile, err := os.Create(filepath.Join(workDir, "app.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The provider sandboxes answer on another origin (localhost rather than
	// 127.0.0.1), as real providers do: the origin checks and the CSP
	// allowances for provider frames and forms are then really exercised.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	port := ln.Addr().(*net.TCPAddr).Port
	databaseURL := ""
	switch store := os.Getenv("CHECKOUT_E2E_STORE"); store {
	case "", "sqlite":
	case "postgres":
		if pgCluster, err = pgtest.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: PostgreSQL (CHECKOUT_E2E_STORE=postgres):", err)
			return 1
		}
		defer pgCluster.Stop()
		if databaseURL, err = pgCluster.CreateDatabase(fmt.Sprintf("checkout_e2e_%d_%d", os.Getpid(), time.Now().Unix())); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	default:
		fmt.Fprintf(os.Stderr, "e2e: CHECKOUT_E2E_STORE must be sqlite or postgres, not %q\n", store)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err = web.New(ctx, web.Config{
		DatabaseURL: databaseURL,
		Listener:    ln,
		BaseURL:     fmt.Sprintf("http://127.0.0.1:%d", port),
		SandboxURL:  fmt.Sprintf("http://localhost:%d", port),
		// The demo shop served on localhost is a merchant site of its own
		// that may embed the checkout (served on 127.0.0.1).
		DemoEmbedOrigins:  []string{fmt.Sprintf("http://localhost:%d", port)},
		DBPath:            filepath.Join(workDir, "checkout.db"),
		Mode:              web.ModeSandbox,
		ProviderTimeout:   2 * time.Second, // the timeout test card hangs until then
		ReconcileInterval: 200 * time.Millisecond,
		// The default per-session request limit: no journey comes near it.
		SessionRequestsPerMinute: 60,
		LogFormat:                "json",
		// The demo merchant's dashboard user signs in with it (dashboard_test.go).
		DemoDashboardPassword: dashboardPassword,
	}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start app:", err)
		cancel()
		return 1
	}
	served := make(chan error, 1)
	go func() { served <- app.Run(ctx) }()
	if err := setDemoSupport(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: demo merchant's support contacts:", err)
		cancel()
		return 1
	}

	pw, err := playwright.Run(&playwright.RunOptions{DriverDirectory: driver, SkipInstallBrowsers: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start playwright driver:", err)
		cancel()
		return 1
	}
	browser, err = pw.Chromium.Launch(playwright.BrowserTypeLaunchOptions{
		ExecutablePath: playwright.String(chromium),
		Headless:       playwright.Bool(true),
		Args: []string{"--no-sandbox", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--disable-quic", "--no-first-run", "--disable-gpu",
			// Third-party cookies blocked, as browsers are moving to.
			"--test-third-party-cookie-phaseout"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: launch chromium:", err)
		_ = pw.Stop()
		cancel()
		return 1
	}

	code := m.Run()

	_ = browser.Close()
	_ = pw.Stop()
	cancel()
	if err := <-served; err != nil {
		fmt.Fprintln(os.Stderr, "e2e: app stopped with:", err)
		code = 1
	}
	_ = logFile.Close()
	if hits := scanForCardData(workDir); len(hits) > 0 {
		for _, h := range hits {
			fmt.Fprintln(os.Stderr, "e2e: CARD DATA AT REST:", h)
		}
		code = 1
	} else {
		fmt.Fprintf(os.Stderr, "e2e: card-data scan of %s: no card number or security code found\n", workDir)
	}
	if code == 0 {
		_ = os.RemoveAll(workDir)
	} else {
		fmt.Fprintln(os.Stderr, "e2e: kept the database and logs in", workDir)
	}
	return code
}

// browserSetup finds the driver and the browser e2e/setup.sh installs.
func browserSetup() (driver, chromium, missing string) {
	driver = os.Getenv("PLAYWRIGHT_DRIVER_PATH")
	if driver == "" {
		driver, _ = filepath.Abs("../.cache/playwright-driver-1.52.0")
	}
	chromium = os.Getenv("CHECKOUT_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium-headless-shell"
	}
	if _, err := os.Stat(filepath.Join(driver, "package", "cli.js")); err != nil {
		return driver, chromium, "no Playwright driver at " + driver
	}
	if _, err := os.Stat(chromium); err != nil {
		return driver, chromium, "no Chromium at " + chromium
	}
	return driver, chromium, ""
}

// The demo merchant's support contacts, set over the merchant API as a
// merchant would: every page then shows its support line, so the audits
// (axe, target sizes, the pseudo-locale) cover it.
const (
	demoSupportEmail = "help@democoffee.example"
	demoSupportURL   = "https://democoffee.example/help"
	demoSupportLabel = "democoffee.example/help"
)

func setDemoSupport() error {
	body := `{"support_email":"` + demoSupportEmail + `","support_url":"` + demoSupportURL + `"}`
	req, err := http.NewRequest(http.MethodPatch, app.URL+"/v1/merchant", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+app.DemoAPIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("PATCH /v1/merchant: %s", res.Status)
	}
	return nil
}
