package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/relay"
)

// hookLog keeps every webhook as it arrived, signatures unchecked, and
// accepts it.
type hookLog struct {
	mu  sync.Mutex
	got []arrived
	t   testing.TB // fails on a webhook the OpenAPI document does not describe
}

type arrived struct {
	header http.Header
	body   []byte
}

func (l *hookLog) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	checkWebhook(l.t, req.Header, body)
	l.mu.Lock()
	l.got = append(l.got, arrived{req.Header.Clone(), body})
	l.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// expiredWebhook expires a new session through the API and returns its
// checkout.session.expired webhook as it arrived.
func (l *hookLog) expiredWebhook(t *testing.T, app *web.App) arrived {
	t.Helper()
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	if res := api(t, app, http.MethodPost, "/v1/checkout/sessions/"+sid+"/expire", nil); res.Status != 200 {
		t.Fatalf("expire: %d %s", res.Status, res.Body)
	}
	var hook arrived
	eventually(t, "the webhook of "+sid, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, a := range l.got {
			var e struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if json.Unmarshal(a.body, &e) == nil && e.Type == checkout.WebhookSessionExpired && e.Data["id"] == sid {
				hook = a
				return true
			}
		}
		return false
	})
	return hook
}

// verifies reports whether the official Standard Webhooks library accepts
// the webhook under secret (the injected clock makes timestamps old).
func verifies(t *testing.T, secret string, a arrived) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.VerifyIgnoringTimestamp(a.body, a.header) == nil
}

// signatures checks the webhook-signature header holds the signatures of
// the given secrets, in that order, space-delimited.
func signatures(t *testing.T, a arrived, secrets ...string) {
	t.Helper()
	got := strings.Fields(a.header.Get("webhook-signature"))
	ts, _ := strconv.ParseInt(a.header.Get("webhook-timestamp"), 10, 64)
	var want []string
	for _, s := range secrets {
		sig, err := relay.Sign(s, a.header.Get("webhook-id"), time.Unix(ts, 0), a.body)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, sig)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || a.header.Get("webhook-signature") != strings.Join(want, " ") {
		t.Fatalf("webhook-signature %q, want %d signature(s) %q", a.header.Get("webhook-signature"), len(want), want)
	}
}

// Secret rotation (SECURITY.md R23, R42): during the overlap webhooks carry
// the new and the old signature, and both secrets verify with the official
// library; once it has passed (on the injected clock, or at once with
// expire_previous_in: 0) only the new one does. The new secret is shown in
// the rotation's answer only, an idempotent replay rotates nothing, another
// merchant's endpoint is a 404 and a bad expire_previous_in a 422.
func TestWebhookSecretRotation(t *testing.T) {
	var mu sync.Mutex
	var offset time.Duration
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	advance := func(d time.Duration) { mu.Lock(); offset += d; mu.Unlock() }
	app := MustApp(t, nil, func(c *web.Config) { c.ReconcileInterval, c.Now = 50*time.Millisecond, clock })
	hooks := &hookLog{t: t}
	srv := httptest.NewServer(hooks)
	t.Cleanup(srv.Close)

	created := api(t, app, http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": srv.URL + "/hooks"})
	if created.Status != 201 {
		t.Fatalf("create endpoint: %d %s", created.Status, created.Body)
	}
	id, first := created.JSON(t)["id"].(string), created.JSON(t)["secret"].(string)
	rotatePath := "/v1/webhook_endpoints/" + id + "/rotate_secret"
	stored := func() *checkout.WebhookEndpoint {
		t.Helper()
		es, err := app.Store.WebhookEndpoints(context.Background(), web.DemoMerchantID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.ID == id {
				return e
			}
		}
		t.Fatalf("endpoint %s is gone", id)
		return nil
	}
	noSecretsListed := func() {
		t.Helper()
		res := api(t, app, http.MethodGet, "/v1/webhook_endpoints", nil)
		if res.Status != 200 || strings.Contains(string(res.Body), "whsec_") || strings.Contains(string(res.Body), `"secret"`) {
			t.Fatalf("the list shows a secret: %d %s", res.Status, res.Body)
		}
	}

	// Rotate with the default overlap (24 h), then replay the request.
	rotated := api(t, app, http.MethodPost, rotatePath, nil, "Idempotency-Key", "rotate-1")
	if rotated.Status != 200 {
		t.Fatalf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	body := rotated.JSON(t)
	second, _ := body["secret"].(string)
	if !checkout.ValidWebhookSecret(second) || second == first || body["id"] != id || body["object"] != "webhook_endpoint" {
		t.Fatalf("rotation answer: %s", rotated.Body)
	}
	if until := int64(body["previous_secret_expires_at"].(float64)); until < clock().Add(24*time.Hour-time.Minute).Unix() || until > clock().Add(24*time.Hour).Unix() {
		t.Fatalf("previous_secret_expires_at %d, want about 24 h from now", until)
	}
	replay := api(t, app, http.MethodPost, rotatePath, nil, "Idempotency-Key", "rotate-1")
	if replay.Status != 200 || string(replay.Body) != string(rotated.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s %v", replay.Status, replay.Body, replay.Header)
	}
	if e := stored(); e.Secret != second || e.PreviousSecret != first {
		t.Fatal("the replay rotated the secret again")
	}
	noSecretsListed()

	// During the overlap: both signatures, new first, both secrets verify.
	hook := hooks.expiredWebhook(t, app)
	signatures(t, hook, second, first)
	wh, _ := standardwebhooks.NewWebhook(first)
	if err := wh.Verify(hook.body, hook.header); err != nil {
		t.Fatalf("the old secret does not verify during the overlap: %v", err)
	}
	if !verifies(t, second, hook) {
		t.Fatal("the new secret does not verify during the overlap")
	}
	if verifies(t, checkout.NewWebhookSecret(), hook) {
		t.Fatal("an unrelated secret verifies")
	}

	// Once the overlap has passed, only the new secret signs.
	advance(24*time.Hour + time.Minute)
	hook = hooks.expiredWebhook(t, app)
	signatures(t, hook, second)
	if !verifies(t, second, hook) || verifies(t, first, hook) {
		t.Fatal("after the overlap: the new secret must verify and the old one fail")
	}
	noSecretsListed()
	if strings.Contains(string(api(t, app, http.MethodGet, "/v1/webhook_endpoints", nil).Body), "previous_secret_expires_at") {
		t.Fatal("the list shows an overlap that has ended")
	}

	// expire_previous_in: 0 drops the old secret at once.
	rotated = api(t, app, http.MethodPost, rotatePath, map[string]any{"expire_previous_in": 0})
	third, _ := rotated.JSON(t)["secret"].(string)
	if rotated.Status != 200 || !checkout.ValidWebhookSecret(third) || third == second || rotated.JSON(t)["previous_secret_expires_at"] != nil {
		t.Fatalf("rotate with expire_previous_in 0: %d %s", rotated.Status, rotated.Body)
	}
	hook = hooks.expiredWebhook(t, app)
	signatures(t, hook, third)
	if !verifies(t, third, hook) || verifies(t, second, hook) {
		t.Fatal("after an immediate rotation: the new secret must verify and the old one fail")
	}

	// Rotating during an overlap replaces the previous secret: two sign,
	// never three.
	var fourth, fifth string
	for _, s := range []*string{&fourth, &fifth} {
		res := api(t, app, http.MethodPost, rotatePath, map[string]any{"expire_previous_in": 3600})
		if res.Status != 200 {
			t.Fatalf("rotate: %d %s", res.Status, res.Body)
		}
		*s = res.JSON(t)["secret"].(string)
	}
	hook = hooks.expiredWebhook(t, app)
	signatures(t, hook, fifth, fourth)
	if !verifies(t, fifth, hook) || !verifies(t, fourth, hook) || verifies(t, third, hook) {
		t.Fatal("after two rotations: the last two secrets must verify, the one before them fail")
	}

	// Bad overlaps are 422s naming the parameter, and change nothing.
	for _, in := range []string{`{"expire_previous_in": -1}`, `{"expire_previous_in": 604801}`, `{"expire_previous_in": 1.5}`,
		`{"expire_previous_in": "60"}`, `{"expire_previous_in": 18446744074}`} {
		res := api(t, app, http.MethodPost, rotatePath, in)
		if res.Status != 422 || res.JSON(t)["error"].(map[string]any)["param"] != "expire_previous_in" {
			t.Errorf("%s: %d %s", in, res.Status, res.Body)
		}
	}
	if res := api(t, app, http.MethodPost, rotatePath, map[string]any{"expire_previous_in": 604800}); res.Status != 200 {
		t.Errorf("the 7-day maximum: %d %s", res.Status, res.Body)
	}

	// Another merchant's endpoint, and ids that name none, are 404s.
	bg := context.Background()
	other := &checkout.Merchant{ID: "mer_rotation_other", Name: "Other", APIKeyHash: checkout.HashAPIKey("sk_test_rotation_other_0123456789"),
		DefaultProvider: "payorder", CreatedAt: clock()}
	theirs := &checkout.WebhookEndpoint{ID: checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), MerchantID: other.ID,
		URL: "https://other.test/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: clock()}
	if err := app.Store.SaveMerchant(bg, other); err != nil {
		t.Fatal(err)
	}
	if err := app.Store.SaveWebhookEndpoint(bg, theirs); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{theirs.ID, checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint), "nope"} {
		if res := api(t, app, http.MethodPost, "/v1/webhook_endpoints/"+path+"/rotate_secret", nil); res.Status != 404 {
			t.Errorf("rotate %s: %d %s", path, res.Status, res.Body)
		}
	}
	if es, _ := app.Store.WebhookEndpoints(bg, other.ID); len(es) != 1 || es[0].Secret != theirs.Secret || es[0].PreviousSecret != "" {
		t.Fatal("another merchant's endpoint was rotated")
	}
}
