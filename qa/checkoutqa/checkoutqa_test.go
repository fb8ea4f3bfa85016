package checkoutqa

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/qa"
)

// TestCreateSessionSendsTheOptions: the body carries what the options set,
// nothing else, and the key as a bearer token; the answer's id and url
// come back.
func TestCreateSessionSendsTheOptions(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" || r.Header.Get("Authorization") != "Bearer sk_test_x" ||
			r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %v", r.Method, r.URL.Path, r.Header)
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"cs_1","object":"checkout.session","url":"http://x/c/cs_1"}`))
	}))
	defer srv.Close()
	api := API{BaseURL: srv.URL + "/", Key: "sk_test_x"}
	s, err := api.CreateSession(context.Background(), SessionOptions{
		Amount: 2500, Currency: "HKD", Provider: "bbmsl", Methods: []string{"saved_card"},
		Customer: &Customer{Reference: "c-1"}, ThreeDS: "challenge_requested", CaptureMode: "manual",
		Extra: map[string]any{"metadata": map[string]string{"k": "v"}},
	})
	if err != nil || s.ID != "cs_1" || s.URL != "http://x/c/cs_1" || s.Object["object"] != "checkout.session" {
		t.Fatalf("session %+v, %v", s, err)
	}
	want := `{"amount":2500,"capture_mode":"manual","currency":"HKD","customer":{"reference":"c-1"},"metadata":{"k":"v"},` +
		`"payment_methods":["saved_card"],"provider":"bbmsl","success_url":"` + DefaultSuccessURL + `","three_ds":"challenge_requested"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Fatalf("body\n%s\nwant\n%s", b, want)
	}
}

// TestAPIErrorCarriesStatusAndCode: an error answer is an *APIError with
// the HTTP status and the error's code and param.
func TestAPIErrorCarriesStatusAndCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			if r.URL.Path != "/v1/checkout/sessions/cs_nope" {
				t.Errorf("path %s", r.URL.Path)
			}
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"no such session"}}`))
			return
		}
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"parameter_invalid","message":"bad","param":"currency"}}`))
	}))
	defer srv.Close()
	api := API{BaseURL: srv.URL, Key: "k"}
	_, err := api.CreateSession(context.Background(), SessionOptions{Amount: 1, Currency: "XXX"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Code != "parameter_invalid" || ae.Param != "currency" ||
		!strings.Contains(err.Error(), "422 parameter_invalid (currency)") {
		t.Fatalf("create: %v", err)
	}
	_, err = api.Session(context.Background(), "cs_nope")
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "resource_missing" {
		t.Fatalf("read: %v", err)
	}
}

func TestCardDefaults(t *testing.T) {
	c := Card{Number: "3782 822463 10005"}.typed()
	exp, err := time.Parse("01/06", c.Expiry)
	if err != nil || !exp.After(time.Now()) || c.CVC != "1234" || c.Name != "Ada Lovelace" {
		t.Fatalf("amex defaults: %+v", c)
	}
	if c := (Card{Number: "4242424242424242"}).typed(); c.CVC != "123" {
		t.Fatalf("visa CVC %q", c.CVC)
	}
	if c := (Card{Number: "4242", Expiry: "13/30", CVC: "1", Name: "REFUSED"}).typed(); c.Expiry != "13/30" || c.CVC != "1" || c.Name != "REFUSED" {
		t.Fatalf("given values changed: %+v", c)
	}
	if l := (Card{Number: "4000 0000 0000 3220"}).Last4(); l != "3220" {
		t.Fatalf("last4 %q", l)
	}
}

// TestCheckNamesEachMismatch: a matching play passes; each differing field
// is named, and fields the outcome does not list are not compared.
func TestCheckNamesEachMismatch(t *testing.T) {
	yes := true
	s := qa.Scenario{ID: "p/x", Outcome: qa.Outcome{Status: "failed", PaymentStatus: "failed", DeclineCode: "insufficient_funds",
		ThreeDS: "challenge", ECI: "05", LiabilityShift: &yes}}
	pay := map[string]any{"status": "failed", "decline": map[string]any{"code": "insufficient_funds"},
		"three_ds": map[string]any{"flow": "challenge", "eci": "05", "liability_shift": true}}
	if err := Check(s, Played{Status: "failed", Payment: pay}); err != nil {
		t.Fatal(err)
	}
	wrong := map[string]any{"status": "succeeded", "decline": nil, "three_ds": map[string]any{"flow": "frictionless", "eci": "07", "liability_shift": false}}
	err := Check(s, Played{Status: "succeeded", Payment: wrong})
	for _, field := range []string{"p/x: status", "payment.status", "payment.decline.code", "payment.three_ds.flow", "payment.three_ds.eci", "payment.three_ds.liability_shift"} {
		if err == nil || !strings.Contains(err.Error(), field+" is ") {
			t.Errorf("%v does not name %s", err, field)
		}
	}
	// Not listed, not compared: a frictionless success without 3DS fields.
	if err := Check(qa.Scenario{Outcome: qa.Outcome{Status: "succeeded", PaymentStatus: "succeeded"}}, Played{Status: "succeeded", Payment: wrong}); err != nil {
		t.Fatal(err)
	}
	// A card the add-card page does not save: no payment.
	no := false
	notSaved := qa.Scenario{ID: "bbmsl/n", Outcome: qa.Outcome{CardSaved: &no}}
	if err := Check(notSaved, Played{}); err != nil {
		t.Fatal(err)
	}
	if err := Check(notSaved, Played{CardSaved: true, Status: "succeeded", Payment: pay}); err == nil ||
		!strings.Contains(err.Error(), "card_saved is true, want false") || !strings.Contains(err.Error(), `payment.status is "failed", want ""`) {
		t.Fatalf("not saved: %v", err)
	}
}

// TestFetchScenariosReadsTheCatalogue: the published catalogue decodes to
// the embedded one.
func TestFetchScenariosReadsTheCatalogue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sandbox/scenarios" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(qa.JSON())
	}))
	defer srv.Close()
	got, err := FetchScenarios(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Scenarios()
	if err != nil || len(want.Providers) == 0 {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("fetched %s\nembedded %s", a, b)
	}
	if _, err := FetchScenarios(context.Background(), srv.URL+"/nope"); err == nil {
		t.Fatal("a 404 is not an error")
	}
}
