package payorder_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/payorder/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/providertest"
)

// mount is where the app mounts the sandbox.
const mount = "/sandbox/payorder"

// env is the sandbox served over HTTP the way the app serves it.
type env struct {
	sb    *sandbox.Sandbox
	creds sandbox.Credentials
	base  string // the sandbox's absolute URL
}

// credentials are generated once: RSA key generation is slow.
var credentials = sync.OnceValues(sandbox.NewCredentials)

func newEnv(t testing.TB) *env {
	t.Helper()
	creds, err := credentials()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Config{PublicURL: srv.URL + mount, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	return &env{sb: sb, creds: creds, base: srv.URL + mount}
}

func (e *env) config(timeout time.Duration) payorder.Config {
	return payorder.Config{
		BaseURL:            e.base,
		SessionsURL:        e.base,
		MerchantID:         e.creds.MerchantID,
		CheckoutID:         e.creds.CheckoutID,
		AESKey:             e.creds.AESKey,
		MerchantPrivateKey: e.creds.MerchantPrivateKey,
		PlatformPublicKey:  e.creds.PlatformPublicKey,
		HTTPClient:         &http.Client{Timeout: timeout},
	}
}

func (e *env) client(t testing.TB, timeout time.Duration) *payorder.Client {
	t.Helper()
	c, err := payorder.New(e.config(timeout))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) charges(orderSN string) int {
	o, _ := e.sb.Order(orderSN)
	return o.Charges
}

func TestConformance(t *testing.T) {
	e := newEnv(t)
	providertest.Run(t, providertest.Harness{
		Provider: e.client(t, time.Second),
		MisKeyed: func(t testing.TB) checkout.Provider {
			cfg := e.config(time.Second)
			cfg.MerchantPrivateKey = bareBase64Key(t)
			c, err := payorder.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Charges: e.charges,
		Browser: browse,
	})
}

// bareBase64Key is a fresh merchant key the sandbox does not know, as bare
// base64 PKCS#8 DER (the other form merchant portals hand out).
func bareBase64Key(t testing.TB) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// browse performs a payorder action as the checkout page's iframes would:
// device data collection posts Bin and JWT and reads the message the page
// posts to its parent; a challenge posts JWT and MD, types the code into the
// ACS form, and returns the fields the ACS auto-posts to the return URL.
func browse(t testing.TB, a checkout.Action, otp string) checkout.Continuation {
	t.Helper()
	switch a.Kind {
	case checkout.ActionDeviceDataCollection:
		doc := postForm(t, a.URL, url.Values{"Bin": {a.BIN}, "JWT": {a.JWT}})
		var msg struct {
			MessageType string
			SessionID   string `json:"SessionId"`
			Status      bool
		}
		if err := json.Unmarshal([]byte(doc.Find("#profile-message").Text()), &msg); err != nil || msg.MessageType != "profile.completed" {
			t.Fatalf("device data collection posted no profile.completed message: %v", err)
		}
		return checkout.Continuation{Kind: checkout.ContinueDeviceData, Values: url.Values{"SessionId": {msg.SessionID}}}
	case checkout.ActionChallenge:
		doc := postForm(t, a.URL, url.Values{"JWT": {a.JWT}, "MD": {a.MD}})
		input := doc.Find(`[data-testid="otp-input"]`)
		form := input.Closest("form")
		if input.Length() != 1 || form.Length() != 1 {
			t.Fatal("the challenge page has no code form")
		}
		values := formValues(form)
		values.Set(input.AttrOr("name", ""), otp)
		doc = postForm(t, resolve(t, a.URL, form.AttrOr("action", "")), values)
		back := doc.Find("form").First()
		if back.AttrOr("method", "") != "post" || back.AttrOr("action", "") == "" {
			t.Fatal("the ACS did not post back to the return URL")
		}
		return checkout.Continuation{Kind: checkout.ContinueChallenge, Values: formValues(back)}
	}
	t.Fatalf("payorder asks for no %q action", a.Kind)
	return checkout.Continuation{}
}

func postForm(t testing.TB, target string, values url.Values) *goquery.Document {
	t.Helper()
	resp, err := http.PostForm(target, values)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d", target, resp.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// formValues reads a form's named inputs as a browser would submit them.
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		v.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	return v
}

func resolve(t testing.TB, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r.String()
}

// TestSandboxScenarios covers what the shared suite does not: the
// merchant's challenge preference, the Cardinal test numbers, Mastercard's
// ECIs, the REFUSED cardholder and device data reaching payOrder.
func TestSandboxScenarios(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, 5*time.Second)
	tests := []struct {
		name       string
		number     string
		holder     string
		preference checkout.ThreeDSPreference
		status     checkout.OutcomeStatus
		challenge  bool
		eci        string
		transStat  string
		decline    checkout.DeclineCode
	}{
		{name: "challenge requested turns frictionless into a challenge", number: "4242424242424242", preference: checkout.ThreeDSChallengeRequested,
			status: checkout.OutcomeSucceeded, challenge: true, eci: "05", transStat: "Y"},
		{name: "the issuer's challenge stays with no challenge requested", number: "4000000000003220", preference: checkout.ThreeDSNoChallengeRequested,
			status: checkout.OutcomeSucceeded, challenge: true, eci: "05", transStat: "Y"},
		{name: "Mastercard frictionless", number: "5555555555554444", status: checkout.OutcomeSucceeded, eci: "02", transStat: "Y"},
		{name: "Cardinal Visa frictionless", number: "4000000000002701", status: checkout.OutcomeSucceeded, eci: "05", transStat: "Y"},
		{name: "Cardinal Mastercard frictionless", number: "5200000000002235", status: checkout.OutcomeSucceeded, eci: "02", transStat: "Y"},
		{name: "Cardinal Amex frictionless", number: "340000000002708", status: checkout.OutcomeSucceeded, eci: "05", transStat: "Y"},
		{name: "Cardinal Discover frictionless", number: "6011000000002117", status: checkout.OutcomeSucceeded, eci: "05", transStat: "Y"},
		{name: "Cardinal JCB frictionless", number: "3338000000000296", status: checkout.OutcomeSucceeded, eci: "05", transStat: "Y"},
		{name: "Cardinal 2.1.0 Visa frictionless", number: "4000000000001000", status: checkout.OutcomeSucceeded, eci: "05", transStat: "Y"},
		{name: "Cardinal 2.1.0 Mastercard frictionless", number: "5200000000001005", status: checkout.OutcomeSucceeded, eci: "02", transStat: "Y"},
		{name: "Cardinal Visa challenge", number: "4000000000002503", status: checkout.OutcomeSucceeded, challenge: true, eci: "05", transStat: "Y"},
		{name: "Cardinal Mastercard challenge", number: "5200000000002151", status: checkout.OutcomeSucceeded, challenge: true, eci: "02", transStat: "Y"},
		{name: "Cardinal attempts", number: "4000000000002719", status: checkout.OutcomeSucceeded, eci: "06", transStat: "A"},
		{name: "REFUSED cardholder", number: "4242424242424242", holder: "REFUSED", status: checkout.OutcomeFailed, eci: "05", transStat: "Y",
			decline: checkout.DeclineGeneric},
		{name: "expired card", number: "4000000000000069", status: checkout.OutcomeFailed, eci: "05", transStat: "Y", decline: checkout.DeclineExpiredCard},
		{name: "incorrect CVC", number: "4000000000000127", status: checkout.OutcomeFailed, eci: "05", transStat: "Y", decline: checkout.DeclineIncorrectCVC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := payRequest(tt.number)
			if tt.holder != "" {
				req.Card.Holder = tt.holder
			}
			if tt.preference != "" {
				req.ThreeDS = tt.preference
			}
			p := checkout.Payment{ID: req.PaymentID, Browser: req.Browser, ProviderData: map[string]string{}}
			out, err := c.Pay(t.Context(), req)
			challenged := false
			for err == nil && out.Status == checkout.OutcomeActionRequired {
				for k, v := range out.ProviderData {
					p.ProviderData[k] = v
				}
				if out.Action.Kind == checkout.ActionChallenge {
					challenged = true
					if out.Action.Width != 600 || out.Action.Height != 400 {
						t.Errorf("challenge frame = %dx%d, want the requested 600x400", out.Action.Width, out.Action.Height)
					}
				}
				out, err = c.Continue(t.Context(), p, browse(t, *out.Action, "1234"))
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.status || challenged != tt.challenge {
				t.Fatalf("status %s, challenged %v; want %s, %v", out.Status, challenged, tt.status, tt.challenge)
			}
			if tt.decline != "" && (out.Decline == nil || out.Decline.Code != tt.decline) {
				t.Errorf("decline = %+v, want %s", out.Decline, tt.decline)
			}
			if out.ThreeDS == nil || out.ThreeDS.ECI != tt.eci || out.ThreeDS.Status != tt.transStat || out.ThreeDS.Version != "2.2.0" {
				t.Errorf("3DS = %+v, want ECI %s, status %s, version 2.2.0", out.ThreeDS, tt.eci, tt.transStat)
			}
			o, _ := e.sb.Order(req.PaymentID)
			if !o.DeviceDataCollected {
				t.Error("payOrder did not carry the SessionId device data collection issued")
			}
			if o.ChallengeWindowSize != "600x400" || o.ChallengePreference == "" {
				t.Errorf("payOrder sent window %q, preference %q", o.ChallengeWindowSize, o.ChallengePreference)
			}
		})
	}
}

// payRequest is a 12.34 USD card payment from a browser wide enough for a
// 600x400 challenge window.
func payRequest(number string) checkout.PayRequest {
	id := checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
	cvc := "123"
	if strings.HasPrefix(number, "34") || strings.HasPrefix(number, "37") {
		cvc = "1234"
	}
	return checkout.PayRequest{
		PaymentID:       id,
		IdempotencyKey:  id,
		Description:     "order-1",
		Amount:          checkout.Money{Amount: 1234, Currency: "USD"},
		LineItems:       []checkout.LineItem{{Name: "Shirt", Quantity: 1, UnitAmount: 1234}},
		Customer:        checkout.Customer{Email: "jane@example.com"},
		Method:          checkout.MethodCard,
		Card:            &checkout.CardInput{Number: number, CVC: cvc, ExpMonth: 12, ExpYear: time.Now().Year() + 2, Holder: "Jane Doe"},
		Browser:         checkout.BrowserInfo{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0", Language: "en-GB", ColorDepth: 24, JavaScriptEnabled: true},
		ThreeDS:         checkout.ThreeDSAutomatic,
		ChallengeWindow: checkout.WindowSizeByCode("04"),
		ReturnURL:       "https://checkout.example.com/return",
		OriginURL:       "https://checkout.example.com",
	}
}
