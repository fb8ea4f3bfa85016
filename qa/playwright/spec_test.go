// Package playwright runs the JavaScript kit's suites (kit.test.mjs,
// first.spec.mjs: the README's QA guide, example.spec.mjs: every scenario)
// and the guide's Go suite (first_test.go) against the app started
// in-process, so the kits and the guide are tested on every run. It holds
// tests only: the kit itself is the ES module beside this file.
package playwright

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/e2e/cardscan"
	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/web"
)

// The app the suites here play against, started by TestMain.
var app *web.App

// TestMain starts the app in sandbox mode on 127.0.0.1:0, the way the e2e
// suite does (the sandboxes on localhost of the same port, a temporary
// database, a 2 s provider timeout so the timeout card settles), and sets
// the environment the README's QA guide sets by hand: CHECKOUT_BASE_URL,
// CHECKOUT_API_KEY (the demo merchant's key) and CHECKOUT_CHROMIUM. The
// JavaScript suites (TestExampleSpec) and the guide's Go suite
// (TestFirstSuite, first_test.go) then run against it. Afterwards it scans
// the database and the app's log for every card number and security code
// of the catalogue.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	_, chromium, missing := tools()
	// The playwright-go driver of TestFirstSuite: the one e2e/setup.sh
	// installs, as the e2e suite finds it.
	if os.Getenv("PLAYWRIGHT_DRIVER_PATH") == "" {
		driver, _ := filepath.Abs("../../.cache/playwright-driver-1.52.0")
		_ = os.Setenv("PLAYWRIGHT_DRIVER_PATH", driver)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("PLAYWRIGHT_DRIVER_PATH"), "package", "cli.js")); err != nil && missing == "" {
		missing = "no Playwright driver at " + os.Getenv("PLAYWRIGHT_DRIVER_PATH")
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "qa/playwright: %s; CI must run the Playwright kits' suites (the README's test command installs it)\n", missing)
			return 1
		}
		fmt.Fprintf(os.Stderr, "qa/playwright: SKIPPED: %s; run `bash e2e/setup.sh` (or `make test`) to install it\n", missing)
		return 0
	}
	dir, err := os.MkdirTemp("", "checkout-qa-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logFile, err := os.Create(filepath.Join(dir, "app.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err = web.New(ctx, web.Config{
		Listener: ln,
		BaseURL:  fmt.Sprintf("http://127.0.0.1:%d", port),
		// The sandboxes on another origin, as real providers are.
		SandboxURL:        fmt.Sprintf("http://localhost:%d", port),
		DBPath:            filepath.Join(dir, "checkout.db"),
		Mode:              web.ModeSandbox,
		ProviderTimeout:   2 * time.Second, // the timeout card hangs until then
		ReconcileInterval: 200 * time.Millisecond,
		LogFormat:         "json",
	}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qa/playwright: start app:", err)
		return 1
	}
	served := make(chan error, 1)
	go func() { served <- app.Run(ctx) }()
	for k, v := range map[string]string{"CHECKOUT_BASE_URL": app.URL, "CHECKOUT_API_KEY": app.DemoAPIKey, "CHECKOUT_CHROMIUM": chromium} {
		_ = os.Setenv(k, v)
	}

	code := m.Run()

	cancel()
	if err := <-served; err != nil {
		fmt.Fprintln(os.Stderr, "qa/playwright: the app stopped with:", err)
		code = 1
	}
	_ = logFile.Close()
	if hits := scan(dir); len(hits) > 0 {
		for _, hit := range hits {
			fmt.Fprintln(os.Stderr, "qa/playwright: CARD DATA AT REST:", hit)
		}
		code = 1
	}
	if code == 0 {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "qa/playwright: kept the database and log in", dir)
	}
	return code
}

// TestExampleSpec runs `node --test kit.test.mjs first.spec.mjs
// example.spec.mjs`: the kit's unit tests, the README's QA guide suite and
// the example spec over the whole catalogue, against the app TestMain
// started, with the demo merchant's key; it fails when node does.
func TestExampleSpec(t *testing.T) {
	node, _, _ := tools()
	// Leave the run a minute to stop and scan before go test's own deadline.
	runCtx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		var stop context.CancelFunc
		runCtx, stop = context.WithDeadline(runCtx, deadline.Add(-time.Minute))
		defer stop()
	}
	specs := []string{"kit.test.mjs", "first.spec.mjs", "example.spec.mjs"}
	cmd := exec.CommandContext(runCtx, node, append([]string{"--test", "--test-reporter=spec"}, specs...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out := &testLog{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	out.flush()
	if err != nil {
		t.Errorf("node --test %s: %v", strings.Join(specs, " "), err)
	}
}

// scan looks for the catalogue's card numbers and security codes in the
// database, its WAL and the app's log.
func scan(dir string) []string {
	catalogue, err := qa.Load()
	if err != nil {
		return []string{err.Error()}
	}
	var numbers []string
	codes := map[string]bool{}
	for _, p := range catalogue.Providers {
		for _, s := range p.Scenarios {
			if s.Card != nil {
				numbers = append(numbers, s.Card.Number)
				codes[s.Card.CVC] = true
			}
		}
	}
	var cvcs []string
	for c := range codes {
		cvcs = append(cvcs, c)
	}
	var files []string
	for _, f := range []string{"checkout.db-wal", "checkout.db-shm", "checkout.db", "app.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			files = append(files, filepath.Join(dir, f))
		}
	}
	return cardscan.Scan(files, numbers, cvcs)
}

// tools finds node, the playwright-core that e2e/setup.sh links into
// node_modules, and Chromium; missing says what is not there.
func tools() (node, chromium, missing string) {
	chromium = os.Getenv("CHECKOUT_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium-headless-shell"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", chromium, "no node on PATH"
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		return node, chromium, "no qa/playwright/node_modules/playwright-core"
	}
	if _, err := os.Stat(chromium); err != nil {
		return node, chromium, "no Chromium at " + chromium
	}
	return node, chromium, ""
}

// testLog streams node's output into the test log line by line.
type testLog struct {
	t   *testing.T
	buf []byte
}

func (w *testLog) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *testLog) flush() {
	if len(w.buf) > 0 {
		w.t.Log(string(w.buf))
		w.buf = nil
	}
}

var _ io.Writer = (*testLog)(nil)
