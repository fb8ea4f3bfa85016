package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/web"
)

// TestSignedReturns follows real shoppers back to the merchant and checks
// each return with implementations other than ours: openssl on the exact
// message, and the README's Go and shell snippets run as printed.
//
// A Worldline payment succeeds; the result page's button goes to our leave
// redirect, which answers 303 to the success URL with the merchant's own
// parameters kept (ours win a clash) and the session's id, status and
// payment status, the time and the signature. Right after a rotation the
// signature holds the new and the old secret's, new first, each openssl's
// HMAC-SHA256 of timestamp.session_id.status.payment_status; after a
// rotation with expire_previous_in 0 only the new one. A cancel goes
// through the same redirect to the cancel URL. The snippets accept the
// real returns under either secret of the overlap and refuse a changed
// field, another secret and a stale return. The rotation API refuses bad
// overlaps with a 422 naming expire_previous_in (changing nothing), shows
// each secret once, replays under its Idempotency-Key, records each
// rotation as the merchant's event without the secret, and concurrent
// rotations never lose one silently.
func TestSignedReturns(t *testing.T) {
	app := MustApp(t, nil)
	ctx := context.Background()
	first := app.DemoReturnSecret
	if !checkout.ValidReturnSecret(first) {
		t.Fatalf("the demo merchant's return secret %q", first)
	}

	// Bad rotations change nothing.
	for _, tt := range []struct{ body, param string }{
		{`{"expire_previous_in": -1}`, "expire_previous_in"},
		{`{"expire_previous_in": 604801}`, "expire_previous_in"},
		{`{"expire_previous_in": "soon"}`, "expire_previous_in"},
		{`{"expire_previous_in": 1.5}`, "expire_previous_in"},
		{`{"expires_in": 10}`, "expires_in"},
	} {
		res := api(t, app, http.MethodPost, "/v1/merchant/return_secret/rotate", tt.body)
		if res.Status != 422 || res.JSON(t)["error"].(map[string]any)["param"] != tt.param {
			t.Errorf("rotate %s: %d %s, want 422 naming %s", tt.body, res.Status, res.Body, tt.param)
		}
	}
	if res := do(t, http.MethodPost, app.URL+"/v1/merchant/return_secret/rotate", nil); res.Status != 401 {
		t.Errorf("rotate without a key: %d", res.Status)
	}
	if m := demoMerchant(t, app); m.ReturnSecret != first || m.PreviousReturnSecret != "" {
		t.Fatal("a refused rotation changed the secret")
	}

	// A rotation with the default overlap, replayed under its key.
	res := api(t, app, http.MethodPost, "/v1/merchant/return_secret/rotate", nil, "Idempotency-Key", "rotate-1")
	rotated := res.JSON(t)
	second, _ := rotated["secret"].(string)
	if res.Status != 200 || rotated["object"] != "return_secret" || !checkout.ValidReturnSecret(second) || second == first {
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	if exp, _ := rotated["previous_expires_at"].(float64); int64(exp) < time.Now().Add(24*time.Hour-time.Minute).Unix() || int64(exp) > time.Now().Add(24*time.Hour).Unix() {
		t.Errorf("previous_expires_at %v, want 24 h from now", rotated["previous_expires_at"])
	}
	if again := api(t, app, http.MethodPost, "/v1/merchant/return_secret/rotate", nil, "Idempotency-Key", "rotate-1"); again.JSON(t)["secret"] != second ||
		again.Header.Get("Idempotent-Replayed") != "true" || demoMerchant(t, app).ReturnSecret != second {
		t.Fatalf("replayed rotation: %s", again.Body)
	}

	// A real payment, and the way back from its result page.
	body := validSession()
	body["provider"], body["currency"] = "worldline", "EUR"
	body["success_url"] = "https://shop.test/ok?order=42&status=mine"
	sid := mustCreateSession(t, app, body)["id"].(string)
	payCard(t, app, sid, "4242424242424242")
	result := doc(t, do(t, http.MethodGet, app.URL+"/c/"+sid+"/status", nil))
	if st, _ := testid(result, "result-status").Attr("data-status"); st != "succeeded" {
		t.Fatalf("result %q", st)
	}
	if href, _ := testid(result, "return-to-merchant").Attr("href"); href != "/c/"+sid+"/leave" {
		t.Fatalf("the result page returns to %q, want our leave redirect", href)
	}
	q := leave(t, app, sid, "https://shop.test/ok")
	if q.Get("order") != "42" || len(q["status"]) != 1 || q.Get("status") != "complete" || q.Get("payment_status") != "paid" || q.Get("session_id") != sid {
		t.Fatalf("return query %v: want the merchant's order=42, and status complete (ours), payment_status paid", q)
	}
	if ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64); ts < time.Now().Unix()-5 || ts > time.Now().Unix() {
		t.Fatalf("timestamp %s is not now", q.Get("timestamp"))
	}
	message := q.Get("timestamp") + "." + sid + ".complete.paid"
	sigs := strings.Split(q.Get("signature"), ",")
	if len(sigs) != 2 || sigs[0] != "v1="+opensslHMAC(t, second, message) || sigs[1] != "v1="+opensslHMAC(t, first, message) {
		t.Fatalf("signature during the overlap %q, want openssl's v1=<new>,v1=<old>", q.Get("signature"))
	}
	stale := checkout.ReturnValues(sid, "complete", "paid", time.Now().Add(-11*time.Minute), second)
	tampered := cloneValues(q)
	tampered.Set("payment_status", "failed")
	// A timestamp that is not a number never reaches shell arithmetic.
	injected := cloneValues(q)
	injected.Set("timestamp", "a[$(echo pwned >&2)]")
	// The README's snippets, as printed.
	for _, tt := range []struct {
		name, secret string
		query        url.Values
		want         string
	}{
		{"the real return, new secret", second, q, "verified"},
		{"the real return, old secret", first, q, "verified"},
		{"payment_status changed", second, tampered, "forged"},
		{"another secret", checkout.NewReturnSecret(), q, "forged"},
		{"stale", second, stale, "stale"},
		{"a timestamp that is not a number", second, injected, "malformed"},
	} {
		if got := readmeShell(t, tt.secret, tt.query); got != tt.want {
			t.Errorf("README shell, %s: %q, want %q", tt.name, got, tt.want)
		}
		if got := readmeGo(t, tt.secret, tt.query); got != (tt.want == "verified") {
			t.Errorf("README Go, %s: %v", tt.name, got)
		}
		if err := checkout.VerifyReturn(tt.secret, tt.query, time.Now()); (err == nil) != (tt.want == "verified") {
			t.Errorf("VerifyReturn, %s: %v", tt.name, err)
		}
	}

	// After a rotation with no overlap, only the new secret signs.
	res = api(t, app, http.MethodPost, "/v1/merchant/return_secret/rotate", `{"expire_previous_in": 0}`)
	third, _ := res.JSON(t)["secret"].(string)
	if res.Status != 200 || !checkout.ValidReturnSecret(third) {
		t.Fatalf("rotate with 0: %d %s", res.Status, res.Body)
	}
	q = leave(t, app, sid, "https://shop.test/ok")
	if want := "v1=" + opensslHMAC(t, third, q.Get("timestamp")+"."+sid+".complete.paid"); q.Get("signature") != want {
		t.Fatalf("signature after the overlap %q, want only %q", q.Get("signature"), want)
	}
	if readmeShell(t, second, q) != "forged" || readmeShell(t, third, q) != "verified" {
		t.Fatal("after the overlap the old secret still verifies, or the new one does not")
	}

	// A shopper who gives up: the form's cancel link goes through the same
	// redirect, to the cancel URL.
	cid := mustCreateSession(t, app, validSession())["id"].(string)
	if href, _ := testid(doc(t, do(t, http.MethodGet, app.URL+"/c/"+cid, nil)), "cancel-checkout").Attr("href"); href != "/c/"+cid+"/leave" {
		t.Fatalf("the cancel link goes to %q, want our leave redirect", href)
	}
	q = leave(t, app, cid, "https://shop.test/cancel")
	if q.Get("status") != "open" || q.Get("payment_status") != "unpaid" ||
		q.Get("signature") != "v1="+opensslHMAC(t, third, q.Get("timestamp")+"."+cid+".open.unpaid") || readmeShell(t, third, q) != "verified" {
		t.Fatalf("cancel return %v", q)
	}
	for _, id := range []string{"cs_nope", checkout.RandomIDs{}.NewID(checkout.PrefixSession)} {
		if res := do(t, http.MethodGet, app.URL+"/c/"+id+"/leave", nil); res.Status != 404 {
			t.Errorf("leaving session %s: %d, want 404", id, res.Status)
		}
	}

	// Concurrent rotations: each answered secret was really the merchant's
	// (one event per success), the last one stays, none is a 5xx.
	before, _ := app.Store.MerchantEvents(ctx, web.DemoMerchantID, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := map[string]bool{}
	for range 8 {
		wg.Go(func() {
			res := api(t, app, http.MethodPost, "/v1/merchant/return_secret/rotate", nil)
			mu.Lock()
			defer mu.Unlock()
			switch res.Status {
			case 200:
				answered[res.JSON(t)["secret"].(string)] = true
			case 409:
			default:
				t.Errorf("concurrent rotation: %d %s", res.Status, res.Body)
			}
		})
	}
	wg.Wait()
	after, _ := app.Store.MerchantEvents(ctx, web.DemoMerchantID, 100)
	if m := demoMerchant(t, app); len(answered) == 0 || !answered[m.ReturnSecret] || len(after)-len(before) != len(answered) {
		t.Fatalf("%d rotations answered, %d events, the stored secret answered: %v", len(answered), len(after)-len(before), answered[m.ReturnSecret])
	}
	for _, e := range after[:len(after)-len(before)] {
		if e.Type != checkout.EventReturnSecretRotated || e.SessionID != "" {
			t.Fatalf("merchant event %+v", e)
		}
		for k, v := range e.Data {
			if s, ok := v.(string); ok && strings.Contains(s, "rsec_") {
				t.Fatalf("a rotation event carries a secret in %s", k)
			}
		}
	}
}

// The leave redirect is limited per session like the session's pages.
func TestLeaveIsRateLimited(t *testing.T) {
	app := MustApp(t, nil, func(c *web.Config) { c.SessionRequestsPerMinute = 2 })
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	for i, want := range []int{303, 303, 429} {
		if res := do(t, http.MethodGet, app.URL+"/c/"+sid+"/leave", nil); res.Status != want {
			t.Fatalf("leave #%d: %d, want %d", i+1, res.Status, want)
		}
	}
}

// leave follows the leave redirect of session sid and returns the query of
// where it sends the shopper, which must be dest.
func leave(t *testing.T, app *web.App, sid, dest string) url.Values {
	t.Helper()
	res := do(t, http.MethodGet, app.URL+"/c/"+sid+"/leave", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("leave: %d (Cache-Control %q), want a 303 never cached", res.Status, res.Header.Get("Cache-Control"))
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || u.Scheme+"://"+u.Host+u.Path != dest {
		t.Fatalf("leave goes to %q, want %s", res.Header.Get("Location"), dest)
	}
	return u.Query()
}

func demoMerchant(t *testing.T, app *web.App) *checkout.Merchant {
	t.Helper()
	m, err := app.Store.Merchant(context.Background(), web.DemoMerchantID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// need finds a program the test runs: under CI a missing one fails the
// test (.ci/run's make test installs openssl through e2e/setup.sh),
// elsewhere it skips.
func need(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing; CI must run this check (e2e/setup.sh installs it)", name)
	}
	t.Skipf("%s is missing; run make test to install it", name)
	return ""
}

// opensslHMAC is openssl's hex HMAC-SHA256 of message under secret: a
// separate implementation of the signature.
func opensslHMAC(t *testing.T, secret, message string) string {
	t.Helper()
	cmd := exec.Command(need(t, "openssl"), "dgst", "-sha256", "-hmac", secret)
	cmd.Stdin = strings.NewReader(message)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	_, hex, ok := strings.Cut(strings.TrimSpace(string(out)), "= ")
	if !ok || len(hex) != 64 {
		t.Fatalf("openssl said %q", out)
	}
	return hex
}

// readmeBlock is the first code block of the README's "Signed returns"
// section in language lang that contains marker.
func readmeBlock(t *testing.T, lang, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Signed returns\n")
	if !ok {
		t.Fatal("the README has no Signed returns section")
	}
	if end := strings.Index(section, "\n### "); end >= 0 {
		section = section[:end]
	}
	for rest := section; ; {
		_, after, ok := strings.Cut(rest, "\n```"+lang+"\n")
		if !ok {
			t.Fatalf("no %s block with %q in the README's Signed returns", lang, marker)
		}
		block, next, _ := strings.Cut(after, "\n```\n")
		if strings.Contains(block, marker) {
			return block + "\n"
		}
		rest = next
	}
}

// readmeShell runs the README's shell verification, as printed, on a
// return's query, in bash and in sh, which must agree; its answer is
// verified, forged, stale or malformed.
func readmeShell(t *testing.T, secret string, q url.Values) string {
	t.Helper()
	need(t, "openssl")
	var answers []string
	for _, shell := range []string{"bash", "sh"} {
		cmd := exec.Command(need(t, shell), "-c", readmeBlock(t, "sh", "openssl dgst"))
		cmd.Env = append(os.Environ(), "SECRET="+secret)
		for _, name := range []string{"timestamp", "session_id", "status", "payment_status", "signature"} {
			cmd.Env = append(cmd.Env, name+"="+q.Get(name))
		}
		out, _ := cmd.CombinedOutput() // malformed exits 1
		answers = append(answers, strings.TrimSpace(string(out)))
	}
	if answers[0] != answers[1] {
		t.Fatalf("the README's shell verification says %q in bash and %q in sh", answers[0], answers[1])
	}
	return answers[0]
}

var (
	readmeGoOnce sync.Once
	readmeGoBin  string
	readmeGoErr  error
)

// readmeGo runs the README's Go verifyReturn, as printed (built once, with
// the go command), on a return's query at the current time.
func readmeGo(t *testing.T, secret string, q url.Values) bool {
	t.Helper()
	snippet := readmeBlock(t, "go", "func verifyReturn")
	readmeGoOnce.Do(func() {
		dir := t.TempDir()
		harness := `package main

import (
	"fmt"
	"net/url"
	"os"
	"time"
)

func main() {
	q, err := url.ParseQuery(os.Args[2])
	fmt.Println(err == nil && verifyReturn(os.Args[1], q, time.Now()))
}
`
		readmeGoBin = filepath.Join(dir, "verify")
		if readmeGoErr = os.WriteFile(filepath.Join(dir, "snippet.go"), []byte("package main\n\n"+snippet), 0o600); readmeGoErr != nil {
			return
		}
		if readmeGoErr = os.WriteFile(filepath.Join(dir, "main.go"), []byte(harness), 0o600); readmeGoErr != nil {
			return
		}
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		build := exec.Command(goCmd, "build", "-o", readmeGoBin, "snippet.go", "main.go")
		build.Dir = dir
		// A file outside any module, built with this toolchain only.
		build.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := build.CombinedOutput(); err != nil {
			readmeGoErr = err
			t.Logf("go build of the README's Go snippet:\n%s", out)
		}
	})
	if readmeGoErr != nil {
		t.Fatalf("the README's Go snippet does not build: %v", readmeGoErr)
	}
	out, err := exec.Command(readmeGoBin, secret, q.Encode()).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out)) == "true"
}

// Return secrets at startup: a merchant stored without one (made before
// signed returns) gets one of its own, kept over restarts; the demo
// merchant takes CHECKOUT_DEMO_RETURN_SECRET when it is set (the old one
// stops signing at once) and otherwise keeps the one it has.
func TestReturnSecretsAtStartup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkout.db")
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	legacy := &checkout.Merchant{ID: "mer_" + strings.Repeat("l", 32), Name: "Older shop", APIKeyHash: checkout.HashAPIKey(checkout.NewSecretKey(false)),
		DefaultProvider: "payorder", CreatedAt: time.Now()}
	if err := db.SaveMerchant(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	db.Close()

	configured := checkout.NewReturnSecret()
	// start serves on the database until the next start (or the test's end).
	stop := func() {}
	start := func(demoSecret string) *web.App {
		stop()
		ctx, cancel := context.WithCancel(context.Background())
		app, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", DBPath: path, Mode: web.ModeSandbox, DemoAPIKey: testKey,
			DemoReturnSecret: demoSecret, ProviderTimeout: 2 * time.Second, ReconcileInterval: 100 * time.Millisecond, LogFormat: "json"}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- app.Run(ctx) }()
		stop = func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("app stopped with: %v", err)
			}
			stop = func() {}
		}
		return app
	}
	t.Cleanup(func() { stop() })
	app := start("")
	older, err := app.Store.Merchant(ctx, legacy.ID)
	if err != nil || !checkout.ValidReturnSecret(older.ReturnSecret) {
		t.Fatalf("the older merchant after startup: %+v %v", older, err)
	}
	own := app.DemoReturnSecret
	if !checkout.ValidReturnSecret(own) || demoMerchant(t, app).ReturnSecret != own {
		t.Fatalf("the demo merchant's secret %q", own)
	}

	app = start("")
	if again, _ := app.Store.Merchant(ctx, legacy.ID); again.ReturnSecret != older.ReturnSecret {
		t.Fatal("a restart replaced the older merchant's secret")
	}
	if app.DemoReturnSecret != own {
		t.Fatal("a restart without CHECKOUT_DEMO_RETURN_SECRET replaced the demo merchant's secret")
	}
	app = start(configured)
	if m := demoMerchant(t, app); app.DemoReturnSecret != configured || m.ReturnSecret != configured || len(m.ReturnSecrets(time.Now())) != 1 {
		t.Fatalf("with CHECKOUT_DEMO_RETURN_SECRET: %q, stored %+v", app.DemoReturnSecret, m)
	}
}

// The demo shop trusts a return only when its signature verifies under the
// demo merchant's return secret and it is at most 10 minutes old: a paid
// order followed back through the leave redirect shows its verified
// outcome; a changed field, another secret, a stale or an unsigned return
// is a 400 that says why and shows no outcome.
func TestDemoShopVerifiesReturns(t *testing.T) {
	app := sharedApp(t)
	body := validSession()
	body["provider"], body["currency"] = "worldline", "EUR"
	body["success_url"], body["cancel_url"] = app.URL+"/demo/return", app.URL+"/demo/return?canceled=1"
	sid := mustCreateSession(t, app, body)["id"].(string)
	payCard(t, app, sid, "4242424242424242")
	res := do(t, http.MethodGet, app.URL+"/c/"+sid+"/leave", nil)
	back := do(t, http.MethodGet, res.Header.Get("Location"), nil)
	page := doc(t, back)
	verified := testid(page, "demo-return-verified")
	if st, _ := verified.Attr("data-payment-status"); back.Status != 200 || st != "paid" || !strings.Contains(testid(page, "demo-notice").Text(), "ORDER-1 is paid") {
		t.Fatalf("back at the shop: %d, verified %q, notice %q", back.Status, st, testid(page, "demo-notice").Text())
	}

	signed := func(at time.Time, secret string) url.Values {
		return checkout.ReturnValues(sid, "complete", "paid", at, secret)
	}
	tampered := signed(time.Now(), app.DemoReturnSecret)
	tampered.Set("payment_status", "failed")
	unsigned := url.Values{"session_id": {sid}}
	for _, tt := range []struct {
		name  string
		query url.Values
		says  string
	}{
		{"a changed payment_status", tampered, "not signed by the checkout"},
		{"another secret", signed(time.Now(), checkout.NewReturnSecret()), "not signed by the checkout"},
		{"unsigned", unsigned, "not signed by the checkout"},
		{"11 minutes old", signed(time.Now().Add(-11*time.Minute), app.DemoReturnSecret), "more than 10 minutes old"},
	} {
		res := do(t, http.MethodGet, app.URL+"/demo/return?"+tt.query.Encode(), nil)
		page := doc(t, res)
		if res.Status != 400 || !strings.Contains(testid(page, "demo-error").Text(), tt.says) ||
			testid(page, "demo-return-verified").Length() != 0 || testid(page, "demo-notice").Length() != 0 {
			t.Errorf("%s: %d, error %q", tt.name, res.Status, testid(page, "demo-error").Text())
		}
	}
}
