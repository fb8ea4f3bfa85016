package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// shopWorldline buys the mug in euros with Worldline selected in the demo
// shop and returns the checkout session id.
func shopWorldline(t *testing.T, page playwright.Page, capture string) string {
	t.Helper()
	must(t, goto_(page, app.URL+"/"))
	_, err := page.GetByTestId("demo-provider").SelectOption(playwright.SelectOptionValues{Values: &[]string{"worldline"}})
	must(t, err)
	_, err = page.GetByTestId("demo-currency").SelectOption(playwright.SelectOptionValues{Values: &[]string{"EUR"}})
	must(t, err)
	_, err = page.GetByTestId("demo-capture").SelectOption(playwright.SelectOptionValues{Values: &[]string{capture}})
	must(t, err)
	must(t, page.GetByTestId("buy-mug").Click())
	must(t, page.WaitForURL(sessionURL))
	id := sessionURL.FindStringSubmatch(page.URL())[1]
	if s := apiSession(t, id); s["provider"] != "worldline" || s["currency"] != "EUR" || s["capture_mode"] != capture {
		t.Fatalf("demo shop created %v/%v/%v", s["provider"], s["currency"], s["capture_mode"])
	}
	return id
}

// topLevelVisits records the URLs the page's main frame requested,
// redirect hops included.
func topLevelVisits(page playwright.Page) func() []string {
	var mu sync.Mutex
	var urls []string
	page.On("request", func(r playwright.Request) {
		if r.IsNavigationRequest() && r.Frame() == page.MainFrame() {
			mu.Lock()
			urls = append(urls, r.URL())
			mu.Unlock()
		}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
}

func visited(urls []string, part string) bool {
	for _, u := range urls {
		if strings.Contains(u, part) {
			return true
		}
	}
	return false
}

func worldlinePayment(t *testing.T, sessionID string) (*checkout.Payment, wlsandbox.PaymentState) {
	t.Helper()
	pays := payments(t, sessionID)
	if len(pays) != 1 || pays[0].Provider != "worldline" {
		t.Fatalf("payments: %+v", pays)
	}
	st, ok := app.Sandbox.Worldline.PaymentState(pays[0].ID)
	if !ok {
		t.Fatalf("the Worldline sandbox has no payment for %s", pays[0].ID)
	}
	return pays[0], st
}

// TestWorldlineJourneys runs the Worldline flows from the demo shop: the
// hosted page is the same; the provider's mechanics (redirects with
// RETURNMAC, the 3-D Secure method hop, cardholder info) differ.
func TestWorldlineJourneys(t *testing.T) {
	rows := []struct {
		name, number, otp  string
		status, message    string
		eci, flow          string
		redirector, acs    bool
		cardholderInfo     string
		wantSandboxStatus  string
		wantChargedInLedge int
	}{
		{name: "frictionless approve", number: testcards.Visa, status: "succeeded", message: "went through", eci: "05",
			flow: "frictionless", wantSandboxStatus: "CAPTURED", wantChargedInLedge: 1},
		{name: "worldline fully authenticated card", number: "4012000033330026", status: "succeeded", message: "went through",
			eci: "05", flow: "frictionless", wantSandboxStatus: "CAPTURED", wantChargedInLedge: 1},
		{name: "frictionless after the 3DS method hop", number: "4000000000052672", status: "succeeded", message: "went through",
			eci: "05", flow: "frictionless", redirector: true, wantSandboxStatus: "CAPTURED", wantChargedInLedge: 1},
		{name: "challenge passed through the redirect", number: testcards.Challenge, otp: testcards.ChallengeCode,
			status: "succeeded", message: "went through", eci: "05", flow: "challenge", acs: true, wantSandboxStatus: "CAPTURED", wantChargedInLedge: 1},
		{name: "challenge failed through the redirect", number: testcards.Challenge, otp: "0000",
			status: "failed", message: "could not verify", acs: true, wantSandboxStatus: "REJECTED"},
		{name: "rejection with cardholder info", number: "4012001775445550", status: "failed", message: "could not verify",
			cardholderInfo: "contact", wantSandboxStatus: "REJECTED"},
		{name: "issuer decline", number: testcards.DeclineFunds, status: "failed", message: "insufficient funds", wantSandboxStatus: "REJECTED"},
		{name: "provider error, nothing created", number: testcards.ServerError, status: "failed", message: "could not be processed"},
		{name: "timeout after authorising, settled by inquiry", number: testcards.TimeoutAfterCharge, status: "succeeded",
			message: "went through", eci: "05", flow: "frictionless", wantSandboxStatus: "CAPTURED", wantChargedInLedge: 1},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			page := newPage(t)
			visits := topLevelVisits(page)
			id := shopWorldline(t, page, "automatic")
			fillCard(t, page, row.number, expiry(), cvc, "Ada Lovelace")
			must(t, page.GetByTestId("pay-button").Click())
			if row.acs {
				// The shopper's whole window goes to the provider's ACS page.
				must(t, checkoutqa.AnswerChallenge(page, row.otp))
			}
			expectResult(t, page, row.status)
			if msg := text(t, page.GetByTestId("result-message")); !strings.Contains(msg, row.message) {
				t.Fatalf("result message %q does not say %q", msg, row.message)
			}
			if row.cardholderInfo != "" {
				if info := text(t, page.GetByTestId("result-provider-message")); !strings.Contains(info, row.cardholderInfo) {
					t.Fatalf("cardholder info %q", info)
				}
			}
			urls := visits()
			if got := visited(urls, "/redirector/"); got != row.redirector {
				t.Fatalf("3DS method hop visited = %v, want %v (%v)", got, row.redirector, urls)
			}
			if got := visited(urls, "/3dsecure/"); got != row.acs {
				t.Fatalf("ACS visited = %v, want %v", got, row.acs)
			}
			if row.acs && !visited(urls, app.SandboxURL+"/sandbox/worldline/3dsecure/") {
				t.Fatalf("ACS page not on the sandbox origin %s: %v", app.SandboxURL, urls)
			}
			if (row.acs || row.redirector) && !visited(urls, "/return?") {
				t.Fatalf("the provider did not send the browser back to the return URL: %v", urls)
			}

			if row.wantSandboxStatus == "" {
				pays := payments(t, id)
				if _, ok := app.Sandbox.Worldline.PaymentState(pays[0].ID); ok || len(pays) != 1 {
					t.Fatalf("the sandbox has a payment for %s", pays[0].ID)
				}
				return
			}
			p, st := worldlinePayment(t, id)
			if st.Status != row.wantSandboxStatus || app.Sandbox.Worldline.Charges(p.ID) != row.wantChargedInLedge {
				t.Fatalf("sandbox says %s with %d charges, want %s with %d", st.Status, app.Sandbox.Worldline.Charges(p.ID),
					row.wantSandboxStatus, row.wantChargedInLedge)
			}
			api := apiSession(t, id)["payment"].(map[string]any)
			if want := map[string]string{"succeeded": "succeeded", "failed": "failed"}[row.status]; api["status"] != want {
				t.Fatalf("API payment status %v, want %s", api["status"], want)
			}
			if row.eci != "" {
				tds, _ := api["three_ds"].(map[string]any)
				if tds == nil || tds["eci"] != row.eci || tds["flow"] != row.flow {
					t.Fatalf("API three_ds %v, want ECI %s flow %s", tds, row.eci, row.flow)
				}
			}
			if row.status == "failed" {
				must(t, expect.Locator(page.GetByTestId("try-again")).ToBeVisible())
			}
		})
	}
}

// TestWorldlineManualCapture authorizes in the browser, then the merchant
// captures through the API from the demo shop's order list.
func TestWorldlineManualCapture(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopWorldline(t, page, "manual")
	fillCard(t, page, testcards.Mastercard, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "authorized")
	p, st := worldlinePayment(t, id)
	if p.Status != checkout.PaymentAuthorized || st.Status != "PENDING_APPROVAL" {
		t.Fatalf("after authorization: ours %s, sandbox %s", p.Status, st.Status)
	}

	must(t, page.GetByTestId("return-to-merchant").Click())
	must(t, page.WaitForURL("**/demo/return**"))
	must(t, expect.Locator(page.GetByTestId("order-status-"+id)).ToHaveAttribute("data-payment-status", "authorized"))
	must(t, page.GetByTestId("capture-"+id).Click())
	must(t, expect.Locator(page.GetByTestId("order-status-"+id)).ToHaveAttribute("data-payment-status", "captured"))
	if _, st := worldlinePayment(t, id); st.Status != "CAPTURED" {
		t.Fatalf("sandbox after capture: %s", st.Status)
	}
	if app.Sandbox.Worldline.Charges(p.ID) != 1 {
		t.Fatalf("charged %d times", app.Sandbox.Worldline.Charges(p.ID))
	}

	// Refund from the shop too.
	must(t, page.GetByTestId("refund-"+id).Click())
	must(t, expect.Locator(page.GetByTestId("order-status-"+id)).ToHaveAttribute("data-payment-status", "refunded"))
}

// TestWorldlineWebhooksReachUs checks that the sandbox's signed webhooks
// for a payment were accepted (2xx) and recorded on the timeline.
func TestWorldlineWebhooksReachUs(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopWorldline(t, page, "automatic")
	fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "succeeded")
	p, _ := worldlinePayment(t, id)
	deadline := time.Now().Add(10 * time.Second)
	for {
		events, err := app.Store.SessionEvents(context.Background(), id)
		must(t, err)
		n := 0
		for _, e := range events {
			if e.Type == checkout.EventNotification && e.PaymentID == p.ID {
				n++
			}
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook for %s reached the timeline; deliveries: %+v", p.ID, app.Sandbox.Worldline.Deliveries())
		}
		time.Sleep(100 * time.Millisecond)
	}
	wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	app.Sandbox.Worldline.WaitWebhooks(wait)
	for _, d := range app.Sandbox.Worldline.Deliveries() {
		if d.MerchantReference == p.ID && !d.Delivered {
			t.Fatalf("a webhook for %s was not accepted: tries %v", p.ID, d.Attempts)
		}
	}
}

// TestWorldlineWithoutJavaScript: the redirect to the ACS is a plain link,
// and the provider brings the shopper back by redirect, so the whole
// challenge works with JavaScript off.
func TestWorldlineWithoutJavaScript(t *testing.T) {
	t.Parallel()
	page := newPage(t, playwright.BrowserNewContextOptions{JavaScriptEnabled: playwright.Bool(false)})
	id := shopWorldline(t, page, "automatic")
	fillCard(t, page, testcards.Challenge, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	must(t, page.GetByTestId("redirect-continue").Click())
	must(t, page.WaitForURL("**/sandbox/worldline/3dsecure/**"))
	must(t, checkoutqa.AnswerChallenge(page, testcards.ChallengeCode))
	expectResult(t, page, "succeeded")
	p, st := worldlinePayment(t, id)
	if p.Browser.JavaScriptEnabled || p.ThreeDS == nil || p.ThreeDS.Flow != checkout.FlowChallenge || st.Status != "CAPTURED" {
		t.Fatalf("without JavaScript: browser %+v, 3DS %+v, sandbox %s", p.Browser, p.ThreeDS, st.Status)
	}
}
