package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/web"
)

// TestRunServesAndStopsOnSignal starts the program as `go run .` would, with
// no configuration but a free port, checks it serves the demo shop and made
// its database under ./data, then sends SIGTERM and expects a clean exit.
func TestRunServesAndStopsOnSignal(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)

	r, w := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- web.Serve(func(k string) string {
			if k == "CHECKOUT_ADDR" {
				return "127.0.0.1:0"
			}
			return ""
		}, w)
		w.Close()
	}()
	lines := bufio.NewScanner(r)
	url, key := "", ""
	for lines.Scan() && (url == "" || key == "") {
		if m := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
		if m := regexp.MustCompile(`secret key: (sk_test_\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			key = m[1]
		}
	}
	go io.Copy(io.Discard, r)
	if url == "" || key == "" {
		t.Fatalf("no URL or key printed (url %q)", url)
	}
	res, err := http.Get(url + "/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("demo shop: %v %v", res, err)
	}
	res.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/checkout/sessions", strings.NewReader(`{"amount":100,"currency":"USD","success_url":"https://shop.test/"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 201 {
		t.Fatalf("create session with the printed key: %v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "checkout.db")); err != nil {
		t.Fatalf("database not created under ./data: %v", err)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func TestRunRefusesBadConfiguration(t *testing.T) {
	var out strings.Builder
	code := web.Serve(func(k string) string {
		if k == "CHECKOUT_MODE" {
			return "live"
		}
		return ""
	}, &out)
	if code != 2 || !strings.Contains(out.String(), "live mode needs") {
		t.Fatalf("code %d, output %q", code, out.String())
	}
}
