package e2e

import (
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// shopAntom buys the mug in euros by card through Antom.
func shopAntom(t *testing.T, page playwright.Page, capture string) string {
	t.Helper()
	must(t, goto_(page, app.URL+"/"))
	for hook, value := range map[string]string{"demo-provider": "antom", "demo-currency": "EUR", "demo-capture": capture} {
		_, err := page.GetByTestId(hook).SelectOption(playwright.SelectOptionValues{Values: &[]string{value}})
		must(t, err)
	}
	must(t, page.GetByTestId("buy-mug").Click())
	must(t, page.WaitForURL(sessionURL))
	id := sessionURL.FindStringSubmatch(page.URL())[1]
	if s := apiSession(t, id); s["provider"] != "antom" || s["capture_mode"] != capture {
		t.Fatalf("demo shop created %v/%v", s["provider"], s["capture_mode"])
	}
	return id
}

func antomPayment(t *testing.T, sessionID string) *checkout.Payment {
	t.Helper()
	pays := payments(t, sessionID)
	if len(pays) != 1 || pays[0].Provider != "antom" {
		t.Fatalf("payments: %+v", pays)
	}
	return pays[0]
}

func TestAntomJourneys(t *testing.T) {
	rows := []struct {
		name, number, otp, status, message, sandboxStatus, eci string
		acs                                                    bool
		charged                                                int
	}{
		{"frictionless", testcards.Visa, "", "succeeded", "went through", "SUCCESS", "05", false, 1},
		{"3DS redirect passed", testcards.Challenge, testcards.ChallengeCode, "succeeded", "went through", "SUCCESS", "05", true, 1},
		{"3DS redirect failed", testcards.Challenge, "0000", "failed", "could not verify", "FAIL", "", true, 0},
		{"decline", testcards.DeclineGeneric, "", "failed", "declined", "FAIL", "", false, 0},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			page := newPage(t)
			visits := topLevelVisits(page)
			id := shopAntom(t, page, "automatic")
			fillCard(t, page, row.number, expiry(), cvc, "Ada Lovelace")
			must(t, page.GetByTestId("pay-button").Click())
			if row.acs {
				must(t, page.WaitForURL("**/sandbox/antom/3ds/**"))
				if !strings.HasPrefix(page.URL(), app.SandboxURL) {
					t.Fatalf("3DS page on %s, want the sandbox origin", page.URL())
				}
				must(t, page.GetByTestId("otp-input").Fill(row.otp))
				must(t, page.GetByTestId("otp-submit").Click())
			}
			expectResult(t, page, row.status)
			if msg := text(t, page.GetByTestId("result-message")); !strings.Contains(msg, row.message) {
				t.Fatalf("result message %q does not say %q", msg, row.message)
			}
			if got := visited(visits(), "/sandbox/antom/3ds/"); got != row.acs {
				t.Fatalf("3DS page visited = %v, want %v", got, row.acs)
			}
			p := antomPayment(t, id)
			st, ok := app.Sandbox.Antom.PaymentState(p.ID)
			if !ok || st.Status != row.sandboxStatus || app.Sandbox.Antom.Charges(p.ID) != row.charged {
				t.Fatalf("sandbox: %+v (charged %d), want %s and %d", st, app.Sandbox.Antom.Charges(p.ID), row.sandboxStatus, row.charged)
			}
			api := apiSession(t, id)["payment"].(map[string]any)
			if api["status"] != map[string]string{"succeeded": "succeeded", "failed": "failed"}[row.status] {
				t.Fatalf("API payment %v", api)
			}
			if row.eci != "" {
				if tds, _ := api["three_ds"].(map[string]any); tds == nil || tds["eci"] != row.eci {
					t.Fatalf("API three_ds %v", api["three_ds"])
				}
			}
		})
	}
}

// TestAntomManualCapture authorizes in the browser, then the merchant
// captures through the API from the demo shop's order list.
func TestAntomManualCapture(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopAntom(t, page, "manual")
	fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "authorized")
	p := antomPayment(t, id)
	if st, _ := app.Sandbox.Antom.PaymentState(p.ID); p.Status != checkout.PaymentAuthorized || st.Captured != 0 || st.CaptureMode != "MANUAL" {
		t.Fatalf("after authorization: ours %s, sandbox %+v", p.Status, st)
	}
	must(t, page.GetByTestId("return-to-merchant").Click())
	must(t, page.WaitForURL("**/demo/return**"))
	must(t, page.GetByTestId("capture-"+id).Click())
	must(t, expect.Locator(page.GetByTestId("order-status-"+id)).ToHaveAttribute("data-payment-status", "captured"))
	if st, _ := app.Sandbox.Antom.PaymentState(p.ID); st.Captured != p.Amount.Amount || app.Sandbox.Antom.Charges(p.ID) != 1 {
		t.Fatalf("sandbox after capture: %+v", st)
	}
	if s := apiSession(t, id); s["payment"].(map[string]any)["status"] != "captured" || s["payment_status"] != "paid" {
		t.Fatalf("API after capture: %v %v", s["payment_status"], s["payment"])
	}
}
