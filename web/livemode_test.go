package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
	"github.com/opencheckout/hostedcheckout/web"
)

// TestTestAndLiveKeptApart runs a server in live mode whose Worldline is
// a separate server (standing in for the real provider), with a live and
// a test merchant. The live merchant's payment reaches that server only;
// the test merchant's reaches the in-process sandbox only, and every object
// says which mode it is in. A sandbox server refuses a live key.
func TestTestAndLiveKeptApart(t *testing.T) {
	ctx := context.Background()
	app, real := liveApp(t)
	liveKey, testKey := liveAndTestMerchants(t, app)
	call := func(key, method, path string, body string) response {
		t.Helper()
		return do(t, method, app.InternalURL+path, []byte(body), "Authorization", "Bearer "+key, "Content-Type", "application/json")
	}
	pay := func(key string) (session, payment map[string]any) {
		t.Helper()
		code, sid, _ := payFrictionless(t, app, key)
		if code != http.StatusSeeOther {
			t.Fatalf("pay: %d", code)
		}
		session = call(key, http.MethodGet, "/v1/checkout/sessions/"+sid, "").JSON(t)
		pid := session["payment"].(map[string]any)["id"].(string)
		return session, call(key, http.MethodGet, "/v1/payments/"+pid, "").JSON(t)
	}

	sess, p := pay(liveKey)
	if sess["livemode"] != true || p["livemode"] != true || p["status"] != "succeeded" {
		t.Fatalf("live session %v, payment %v", sess, p)
	}
	if real.TotalCharges() != 1 || app.Sandbox.Worldline.TotalCharges() != 0 {
		t.Fatalf("a live key's payment: real provider %d charges, sandbox %d", real.TotalCharges(), app.Sandbox.Worldline.TotalCharges())
	}
	sess, p = pay(testKey)
	if sess["livemode"] != false || p["livemode"] != false || p["status"] != "succeeded" {
		t.Fatalf("test session %v, payment %v", sess, p)
	}
	if real.TotalCharges() != 1 || app.Sandbox.Worldline.TotalCharges() != 1 {
		t.Fatalf("a test key's payment: real provider %d charges, sandbox %d", real.TotalCharges(), app.Sandbox.Worldline.TotalCharges())
	}
	// Refunds follow their payment's mode.
	res := call(testKey, http.MethodPost, "/v1/payments/"+p["id"].(string)+"/refunds", `{"amount":500}`)
	if res.Status != http.StatusOK && res.Status != http.StatusCreated {
		t.Fatalf("refund: %d %s", res.Status, res.Body)
	}
	if r := res.JSON(t); r["livemode"] != false {
		t.Fatalf("a test payment's refund: %v", r)
	}
	// The sandboxes' notification route knows only the registry's
	// providers (that it moves test payments only is
	// checkout's TestNotificationsStayInTheirMode).
	if res := do(t, http.MethodPost, app.InternalURL+"/notify/test/nope", []byte("{}")); res.Status != http.StatusNotFound {
		t.Fatalf("an unknown provider on the test notification route: %d %s", res.Status, res.Body)
	}

	// A sandbox server takes test keys only.
	sandbox := sharedApp(t)
	key := checkout.NewSecretKey(true)
	if err := sandbox.Store.SaveMerchant(ctx, &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Live on sandbox",
		APIKeyHash: checkout.HashAPIKey(key), DefaultProvider: "worldline", Live: true, CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	res = do(t, http.MethodGet, sandbox.URL+"/v1/webhook_endpoints", nil, "Authorization", "Bearer "+key)
	if res.Status != http.StatusForbidden {
		t.Fatalf("a live key on a sandbox server: %d %s", res.Status, res.Body)
	}
}

// TestLiveServerSandboxesHaveNoFaultSwitch: on a live server the sandboxes
// serve test keys, and nobody can arm their faults.
func TestLiveServerSandboxesHaveNoFaultSwitch(t *testing.T) {
	app, _ := liveApp(t)
	for _, name := range web.Providers.Names() {
		res := do(t, http.MethodPost, app.InternalURL+registry.MountPath(name)+"/_faults", []byte(`{"fault":"timeout","count":1}`))
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: POST _faults on a live server: %d %s", name, res.Status, res.Body)
		}
	}
}

// liveApp runs a server in live mode whose Worldline is a sandbox of its
// own on another port, standing in for the real provider.
func liveApp(t *testing.T, options ...func(*web.Config)) (*web.App, *wlsandbox.Sandbox) {
	t.Helper()
	creds, err := wlsandbox.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	realSrv := httptest.NewUnstartedServer(nil)
	real, err := wlsandbox.New(wlsandbox.Config{PublicURL: "http://" + realSrv.Listener.Addr().String(), Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	realSrv.Config.Handler = real
	realSrv.Start()
	t.Cleanup(func() { realSrv.Close(); real.Close() })

	app := MustApp(t, nil, func(c *web.Config) {
		c.Mode, c.BaseURL, c.DefaultProvider = web.ModeLive, "https://checkout.test", "worldline"
		c.ProviderVars = map[string]registry.Vars{"worldline": {
			"CHECKOUT_WORLDLINE_BASE_URL": realSrv.URL, "CHECKOUT_WORLDLINE_MERCHANT_ID": creds.MerchantID,
			"CHECKOUT_WORLDLINE_API_KEY_ID": creds.APIKeyID, "CHECKOUT_WORLDLINE_SECRET_API_KEY": creds.SecretAPIKey,
			"CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID": creds.WebhookKeyID, "CHECKOUT_WORLDLINE_WEBHOOK_SECRET": creds.WebhookSecret,
		}}
		for _, o := range options {
			o(c)
		}
	})
	if app.Sandbox.Worldline == nil {
		t.Fatal("a live server runs the sandboxes too, for test keys")
	}
	return app, real
}

// liveAndTestMerchants saves a live and a test merchant on app, both with
// Worldline as their default, and returns their secret keys.
func liveAndTestMerchants(t *testing.T, app *web.App) (liveKey, testKey string) {
	t.Helper()
	liveKey, testKey = checkout.NewSecretKey(true), checkout.NewSecretKey(false)
	now := time.Now().UTC()
	for _, m := range []*checkout.Merchant{
		{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Live shop", APIKeyHash: checkout.HashAPIKey(liveKey), DefaultProvider: "worldline", Live: true, CreatedAt: now},
		{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: "Test shop", APIKeyHash: checkout.HashAPIKey(testKey), DefaultProvider: "worldline", CreatedAt: now},
	} {
		if err := app.Store.SaveMerchant(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	return liveKey, testKey
}
