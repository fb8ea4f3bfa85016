package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/qa"
)

// TestSandboxScenarios: GET /sandbox/scenarios serves the catalogue file
// as it is in the repository, on a sandbox server and on a live one (whose
// sandboxes serve test keys, so its test merchants' QA suites read it too).
func TestSandboxScenarios(t *testing.T) {
	file, err := os.ReadFile("../qa/scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	live, _ := liveApp(t)
	for _, tt := range []struct {
		mode, url string
	}{
		{"sandbox", sharedApp(t).SandboxURL},
		{"live", live.InternalURL},
	} {
		res := do(t, http.MethodGet, tt.url+"/sandbox/scenarios", nil)
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s server: %d %q", tt.mode, res.Status, res.Header.Get("Content-Type"))
		}
		if !bytes.Equal(res.Body, file) {
			t.Fatalf("%s server: the answer (%d bytes) is not qa/scenarios.json (%d bytes)", tt.mode, len(res.Body), len(file))
		}
		if res := do(t, http.MethodPost, tt.url+"/sandbox/scenarios", nil); res.Status != http.StatusMethodNotAllowed && res.Status != http.StatusNotFound {
			t.Errorf("%s server: POST /sandbox/scenarios: %d", tt.mode, res.Status)
		}
	}
}

// TestCatalogueRefunds makes every refund the catalogue lists, for each
// provider that lists some, from a payment of the provider's first
// succeeding scenario: a held refund is pending first and then reaches its
// listed status (settled by the refund inquiries of the app's worker), the
// others are final at once, and the payment's refunded and reserved
// amounts add up.
func TestCatalogueRefunds(t *testing.T) {
	cat, err := qa.Load()
	if err != nil {
		t.Fatal(err)
	}
	app := MustApp(t, nil)
	tested := 0
	for _, p := range cat.Providers {
		if len(p.Refunds) == 0 {
			continue
		}
		tested++
		t.Run(p.Provider, func(t *testing.T) {
			t.Parallel()
			var paid *qa.Scenario
			for i, s := range p.Scenarios {
				if s.Outcome.Status == "succeeded" && s.Card != nil && s.ChallengeCode == "" && s.ThreeDS == "" && s.CaptureMode == "" {
					paid = &p.Scenarios[i]
					break
				}
			}
			if paid == nil {
				t.Fatal("no succeeding frictionless card scenario to refund")
			}
			body := validSession()
			body["provider"], body["currency"], body["amount"] = p.Provider, p.Currency, paid.Amount
			body["line_items"] = []map[string]any{{"name": "Mug", "quantity": 1, "unit_amount": paid.Amount}}
			sid := mustCreateSession(t, app, body)["id"].(string)
			form := url.Values{"card_number": {paid.Card.Number}, "card_expiry": {"12/40"}, "card_cvc": {paid.Card.CVC}, "cardholder_name": {paid.Card.Name}}
			if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", form); res.Status != http.StatusSeeOther {
				t.Fatalf("pay: %d %s", res.Status, res.Body)
			}
			pay := waitFinal(t, app, onlyPayment(t, app, sid).ID)
			if pay.Status != checkout.PaymentSucceeded {
				t.Fatalf("%s paid %s, the catalogue says succeeded", paid.ID, pay.Status)
			}

			ids := map[string]qa.RefundScenario{}
			for _, r := range p.Refunds {
				res := api(t, app, http.MethodPost, "/v1/payments/"+pay.ID+"/refunds", `{"amount":`+strconv.FormatInt(r.Amount, 10)+`}`)
				if res.Status != http.StatusCreated {
					t.Fatalf("%s: %d %s", r.ID, res.Status, res.Body)
				}
				got := res.JSON(t)
				want := r.Status
				if r.Held {
					want = string(checkout.RefundPending)
				}
				if got["status"] != want || got["amount"] != float64(r.Amount) {
					t.Fatalf("%s: the refund is %v for %v, want %s for %d", r.ID, got["status"], got["amount"], want, r.Amount)
				}
				ids[got["id"].(string)] = r
			}

			var refunded int64
			deadline := time.Now().Add(30 * time.Second)
			for id, r := range ids {
				for {
					res := api(t, app, http.MethodGet, "/v1/refunds/"+id, nil)
					if res.Status != http.StatusOK {
						t.Fatalf("GET %s: %d %s", id, res.Status, res.Body)
					}
					if st := res.JSON(t)["status"]; st != string(checkout.RefundPending) {
						if st != r.Status {
							t.Fatalf("%s settled as %v, the catalogue says %s", r.ID, st, r.Status)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s still pending after 30 s", r.ID)
					}
					time.Sleep(100 * time.Millisecond)
				}
				if r.Status == string(checkout.RefundSucceeded) {
					refunded += r.Amount
				}
			}
			got := api(t, app, http.MethodGet, "/v1/payments/"+pay.ID, nil).JSON(t)
			if got["amount_refunded"] != float64(refunded) || got["amount_refund_pending"] != float64(0) || got["status"] != string(checkout.PaymentPartiallyRefunded) {
				t.Fatalf("after the refunds the payment is %v with %v refunded and %v pending, want partially_refunded with %d and 0",
					got["status"], got["amount_refunded"], got["amount_refund_pending"], refunded)
			}
		})
	}
	if tested == 0 {
		t.Fatal("no provider lists refunds")
	}
}
