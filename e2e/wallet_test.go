package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout"
	apsandbox "github.com/opencheckout/hostedcheckout/providers/alipayplus/sandbox"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// shopWallet buys the mug in US dollars offering methods (the card goes to
// the demo shop's default provider) and returns the session id.
func shopWallet(t *testing.T, page playwright.Page, methods string) string {
	t.Helper()
	must(t, goto_(page, app.URL+"/"))
	_, err := page.GetByTestId("demo-methods").SelectOption(playwright.SelectOptionValues{Values: &[]string{methods}})
	must(t, err)
	must(t, page.GetByTestId("buy-mug").Click())
	must(t, page.WaitForURL(sessionURL))
	id := sessionURL.FindStringSubmatch(page.URL())[1]
	if s := apiSession(t, id); s["routes"].(map[string]any)["wallet"] != "alipayplus" {
		t.Fatalf("wallet route: %v", s["routes"])
	}
	return id
}

// payWithWallet chooses the wallet where the page offers a choice, presses
// "Pay with wallet" and waits for the sandbox cashier (the whole window,
// reached by the auto-submitted form); it returns the payment.
func payWithWallet(t *testing.T, page playwright.Page, id string) *checkout.Payment {
	t.Helper()
	if n, err := page.GetByTestId("payment-method-wallet-option").Count(); err == nil && n > 0 {
		must(t, page.GetByTestId("payment-method-wallet-option").Click())
	}
	must(t, page.GetByTestId("payment-method-wallet").Click())
	must(t, page.WaitForURL("**/sandbox/alipayplus/**"))
	if !strings.HasPrefix(page.URL(), app.SandboxURL) {
		t.Fatalf("cashier on %s, want the sandbox origin", page.URL())
	}
	must(t, expect.Locator(page.GetByTestId(apsandbox.TestIDApprove)).ToBeVisible())
	return walletPayment(t, id)
}

// walletPayment is the session's one payment, a wallet one at Alipay+.
func walletPayment(t *testing.T, id string) *checkout.Payment {
	t.Helper()
	pays := payments(t, id)
	if len(pays) != 1 || pays[0].Provider != "alipayplus" || pays[0].Method != checkout.MethodWallet || pays[0].Card != nil {
		t.Fatalf("wallet payment: %+v", pays)
	}
	return pays[0]
}

func TestWalletJourneys(t *testing.T) {
	rows := []struct {
		action, status, message, apiStatus string
		charged                            int
	}{
		{checkoutqa.WalletApprove, "succeeded", "went through", "succeeded", 1},
		{checkoutqa.WalletDecline, "failed", "Your wallet did not complete this payment", "failed", 0},
		{checkoutqa.WalletCancel, "failed", "Your wallet did not complete this payment", "failed", 0},
	}
	for _, row := range rows {
		t.Run(row.action, func(t *testing.T) {
			t.Parallel()
			page := newPage(t)
			visits := topLevelVisits(page)
			id := shopWallet(t, page, "card,wallet")
			// Both are offered: the card is chosen, and the wallet's
			// button shows only once the shopper chooses the wallet.
			must(t, expect.Locator(page.GetByTestId("card-number")).ToBeVisible())
			must(t, expect.Locator(page.GetByTestId("payment-method-card")).ToBeChecked())
			must(t, expect.Locator(page.GetByTestId("payment-method-wallet")).ToBeHidden())
			must(t, checkoutqa.ApproveWallet(page, row.action))
			expectResult(t, page, row.status)
			if !visited(visits(), app.SandboxURL+"/sandbox/alipayplus/") {
				t.Fatalf("no cashier on the sandbox origin: %v", visits())
			}
			p := walletPayment(t, id)
			if msg := text(t, page.GetByTestId("result-message")); !strings.Contains(msg, row.message) {
				t.Fatalf("result message %q does not say %q", msg, row.message)
			}
			s := apiSession(t, id)
			if s["payment"].(map[string]any)["status"] != row.apiStatus || s["payment"].(map[string]any)["provider"] != "alipayplus" {
				t.Fatalf("API payment %v", s["payment"])
			}
			if got := app.Sandbox.AlipayPlus.Charges(p.ID); got != row.charged {
				t.Fatalf("wallet charged %d times, want %d", got, row.charged)
			}
			if row.status == "failed" {
				// The shopper can try again, with a card this time: the
				// page comes back on the wallet, and the card is a click away.
				must(t, page.GetByTestId("try-again").Click())
				must(t, expect.Locator(page.GetByTestId("payment-method-wallet-option")).ToBeChecked())
				must(t, expect.Locator(page.GetByTestId("card-number")).ToBeHidden())
				must(t, page.GetByTestId("payment-method-card").Click())
				must(t, expect.Locator(page.GetByTestId("payment-method-wallet")).ToBeHidden())
				fillCard(t, page, "4242424242424242", expiry(), cvc, "Ada Lovelace")
				must(t, page.GetByTestId("pay-button").Click())
				expectResult(t, page, "succeeded")
				if s := apiSession(t, id); s["payment_status"] != "paid" || s["attempts"] != float64(2) {
					t.Fatalf("after the card retry: %v / %v", s["payment_status"], s["attempts"])
				}
			}
		})
	}
}

// TestPayEitherMethodOnTheChooser: on a page offering the card and the
// wallet, a shopper pays by card, and another by wallet, each by clicking
// the visible controls only (the card method after trying the wallet's).
func TestPayEitherMethodOnTheChooser(t *testing.T) {
	t.Parallel()
	t.Run("card", func(t *testing.T) {
		t.Parallel()
		page := newPage(t)
		id := shopWallet(t, page, "card,wallet")
		must(t, page.GetByTestId("payment-method-wallet-option").Click())
		must(t, expect.Locator(page.GetByTestId("card-number")).ToBeHidden())
		must(t, page.GetByTestId("payment-method-card").Click())
		must(t, expect.Locator(page.GetByTestId("payment-method-wallet")).ToBeHidden())
		fillCard(t, page, "4242424242424242", expiry(), cvc, "Ada Lovelace")
		must(t, page.GetByTestId("pay-button").Click())
		expectResult(t, page, "succeeded")
		if pays := payments(t, id); len(pays) != 1 || pays[0].Method != checkout.MethodCard || pays[0].Status != checkout.PaymentSucceeded {
			t.Fatalf("card payment: %+v", pays)
		}
	})
	t.Run("wallet", func(t *testing.T) {
		t.Parallel()
		page := newPage(t)
		id := shopWallet(t, page, "card,wallet")
		must(t, page.GetByTestId("payment-method-wallet-option").Click())
		must(t, expect.Locator(page.GetByTestId("card-number")).ToBeHidden())
		must(t, page.GetByTestId("payment-method-wallet").Click())
		must(t, page.GetByTestId(apsandbox.TestIDApprove).Click())
		expectResult(t, page, "succeeded")
		if pays := payments(t, id); len(pays) != 1 || pays[0].Method != checkout.MethodWallet || pays[0].Status != checkout.PaymentSucceeded {
			t.Fatalf("wallet payment: %+v", pays)
		}
	})
}

// timeline returns the order in which the payment's notification and the
// shopper's return reached us.
func timeline(t *testing.T, sessionID, paymentID string) (notified, returned int) {
	t.Helper()
	events, err := app.Store.SessionEvents(context.Background(), sessionID)
	must(t, err)
	notified, returned = -1, -1
	for i, e := range events {
		if e.PaymentID != paymentID {
			continue
		}
		if e.Type == checkout.EventNotification && notified < 0 {
			notified = i
		}
		if (e.Type == checkout.EventRedirectReturned || e.Type == checkout.EventBrowserReturn) && returned < 0 {
			returned = i
		}
	}
	return notified, returned
}

// The wallet notifies us before the shopper is back: the payment is
// settled by the inquiry the notification triggers, and the return finds it
// done.
func TestWalletNotificationBeforeReturn(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopWallet(t, page, "wallet")
	if n, _ := page.GetByTestId("card-number").Count(); n != 0 {
		t.Fatal("a wallet-only checkout shows the card form")
	}
	must(t, checkoutqa.ApproveWallet(page, checkoutqa.WalletApprove))
	expectResult(t, page, "succeeded")
	p := walletPayment(t, id)
	notified, returned := timeline(t, id, p.ID)
	if notified < 0 || (returned >= 0 && notified > returned) {
		t.Fatalf("notification at %d, return at %d: want the notification first", notified, returned)
	}
	if app.Sandbox.AlipayPlus.Charges(p.ID) != 1 {
		t.Fatal("not charged once")
	}
}

// The shopper is back before the notification: the return's inquiry settles
// the payment, and the late notification changes nothing.
func TestWalletNotificationAfterReturn(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopWallet(t, page, "wallet")
	p := payWithWallet(t, page, id)
	app.Sandbox.AlipayPlus.DelayNotifications(p.ID, 2*time.Second)
	must(t, page.GetByTestId(apsandbox.TestIDApprove).Click())
	expectResult(t, page, "succeeded")
	deadline := time.Now().Add(10 * time.Second)
	for {
		notified, returned := timeline(t, id, p.ID)
		if notified >= 0 {
			if returned < 0 || returned > notified {
				t.Fatalf("return at %d, notification at %d: want the return first", returned, notified)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the late notification never arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, _ := app.Store.Payment(context.Background(), p.ID)
	if got.Status != checkout.PaymentSucceeded || app.Sandbox.AlipayPlus.Charges(p.ID) != 1 {
		t.Fatalf("after the late notification: %s, charged %d", got.Status, app.Sandbox.AlipayPlus.Charges(p.ID))
	}
}
