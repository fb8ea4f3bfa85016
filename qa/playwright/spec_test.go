// Package playwright runs the JavaScript kit's example spec
// (example.spec.mjs, with checkout.mjs) against the app started in-process,
// so the kit is tested on every run. It holds tests only: the kit itself is
// the ES module beside this file.
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
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/e2e/cardscan"
	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/web"
)

// TestExampleSpec starts the app in sandbox mode on 127.0.0.1:0, the way
// the e2e suite does (the sandboxes on localhost of the same port, a
// temporary database, a 2 s provider timeout so the timeout card settles),
// runs `node --test kit.test.mjs example.spec.mjs` (the kit's unit tests,
// then the spec against it with the demo merchant's key), and fails when
// node does. Then it scans the database and the app's
// log for every card number and security code of the catalogue.
func TestExampleSpec(t *testing.T) {
	node, chromium, missing := tools()
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI must run the JavaScript kit's spec (the README's test command installs it)", missing)
		}
		t.Skipf("%s; run `bash e2e/setup.sh` (or `make test`) to install it", missing)
	}

	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := web.New(ctx, web.Config{
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
		t.Fatal("start app:", err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Run(ctx) }()

	// Leave the run a minute to stop and scan before go test's own deadline.
	runCtx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		var stop context.CancelFunc
		runCtx, stop = context.WithDeadline(runCtx, deadline.Add(-time.Minute))
		defer stop()
	}
	cmd := exec.CommandContext(runCtx, node, "--test", "--test-reporter=spec", "kit.test.mjs", "example.spec.mjs")
	cmd.Env = append(os.Environ(),
		"CHECKOUT_BASE_URL="+app.URL,
		"CHECKOUT_API_KEY="+app.DemoAPIKey,
		"CHECKOUT_CHROMIUM="+chromium,
		"NO_COLOR=1",
	)
	out := &testLog{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	runErr := cmd.Run()
	out.flush()

	cancel()
	if err := <-served; err != nil {
		t.Error("the app stopped with:", err)
	}
	_ = logFile.Close()
	if runErr != nil {
		t.Errorf("node --test kit.test.mjs example.spec.mjs: %v", runErr)
	}

	catalogue, err := qa.Load()
	if err != nil {
		t.Fatal(err)
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
	files := []string{filepath.Join(dir, "checkout.db"), filepath.Join(dir, "app.log")}
	for _, f := range []string{"checkout.db-wal", "checkout.db-shm"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			files = append(files, filepath.Join(dir, f))
		}
	}
	hits := cardscan.Scan(files, numbers, cvcs)
	for _, hit := range hits {
		t.Error("CARD DATA AT REST:", hit)
	}
	if len(hits) == 0 {
		t.Logf("card-data scan of %d files: none of the catalogue's %d card numbers or its security codes found", len(files), len(numbers))
	}
}

// tools finds node, the playwright-core that e2e/setup.sh links into
// node_modules, and Chromium; missing says what is not there.
func tools() (node, chromium, missing string) {
	chromium = os.Getenv("CHECKOUT_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
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
