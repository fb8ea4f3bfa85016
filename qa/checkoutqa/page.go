package checkoutqa

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/playwright-community/playwright-go"
)

// Card is a test card as a shopper types it.
type Card struct {
	Number string // spaces allowed
	// Expiry is MM/YY; empty means a valid future expiry.
	Expiry string
	// CVC is the security code; empty means 123 (1234 for American
	// Express).
	CVC string
	// Name is the cardholder name; empty means "Ada Lovelace". Some names
	// are scenarios (REFUSED).
	Name string
}

// typed is the card with the defaults filled in.
func (c Card) typed() Card {
	if c.Expiry == "" {
		c.Expiry = time.Now().AddDate(3, 0, 0).Format("01/06")
	}
	if c.CVC == "" {
		c.CVC = "123"
		if n := strings.ReplaceAll(c.Number, " ", ""); strings.HasPrefix(n, "34") || strings.HasPrefix(n, "37") {
			c.CVC = "1234"
		}
	}
	if c.Name == "" {
		c.Name = "Ada Lovelace"
	}
	return c
}

// Last4 is the card number's last four digits.
func (c Card) Last4() string {
	n := strings.ReplaceAll(c.Number, " ", "")
	return n[max(0, len(n)-4):]
}

// ErrCardNotSaved is AddSavedCard's answer when the provider's add-card page
// sent the shopper back without saving the card (authentication failed or
// the shopper canceled).
var ErrCardNotSaved = errors.New("checkoutqa: the add-card page did not save the card")

var visible = playwright.LocatorFilterOptions{Visible: playwright.Bool(true)}

// chooseMethod waits until the page shows the method's field (or the
// visible choice of methods, whichever comes first) and clicks the choice
// when the page offers one. A page offering a single method has no choice
// to make, and nothing waits for one.
func chooseMethod(page playwright.Page, choice, field string) error {
	radio := page.GetByTestId(choice).Filter(visible)
	if err := radio.Or(page.GetByTestId(field).Filter(visible)).First().WaitFor(); err != nil {
		return fmt.Errorf("checkoutqa: waiting for %s: %w", field, err)
	}
	n, err := radio.Count()
	if err != nil {
		return fmt.Errorf("checkoutqa: %w", err)
	}
	if n > 0 {
		if err := radio.First().Click(); err != nil {
			return fmt.Errorf("checkoutqa: choosing %s: %w", choice, err)
		}
	}
	return nil
}

// fillFields types the card into the card hooks of the current page (the
// hosted page or a provider's add-card page).
func fillFields(page playwright.Page, c Card) error {
	for _, f := range []struct{ hook, value string }{
		{"card-number", c.Number}, {"card-expiry", c.Expiry}, {"card-cvc", c.CVC}, {"cardholder-name", c.Name},
	} {
		if err := page.GetByTestId(f.hook).Fill(f.value); err != nil {
			return fmt.Errorf("checkoutqa: typing %s: %w", f.hook, err)
		}
	}
	return nil
}

// FillCard types card into the hosted page's card form, choosing the card
// method first when the page offers a choice (the payment-method-card
// radio, shown only when card and wallet are both offered). It does not
// submit.
func FillCard(page playwright.Page, card Card) error {
	if err := chooseMethod(page, "payment-method-card", "card-number"); err != nil {
		return err
	}
	return fillFields(page, card.typed())
}

// PayWithCard fills the hosted page's card form (FillCard) and presses Pay.
// What follows (a challenge, the result page) is for AnswerChallenge and
// WaitForResult.
func PayWithCard(page playwright.Page, card Card) error {
	if err := FillCard(page, card); err != nil {
		return err
	}
	if err := page.GetByTestId("pay-button").Click(); err != nil {
		return fmt.Errorf("checkoutqa: pay-button: %w", err)
	}
	return nil
}

// AnswerChallenge answers a sandbox 3-D Secure challenge with code wherever
// the provider shows it: inside the page's challenge-frame iframe (payOrder)
// or on the provider's own page in the whole window (Worldline, Antom, the
// BBMSL add-card page). It waits for whichever appears first. The sandboxes'
// passing code is the catalogue's ChallengeCode (1234); any other fails
// authentication.
func AnswerChallenge(page playwright.Page, code string) error {
	frame := page.GetByTestId("challenge-frame").Filter(visible)
	top := page.GetByTestId("otp-input").Filter(visible)
	if err := frame.Or(top).First().WaitFor(); err != nil {
		return fmt.Errorf("checkoutqa: no challenge: %w", err)
	}
	var scope interface {
		GetByTestId(testID interface{}) playwright.Locator
	} = page
	if n, err := frame.Count(); err != nil {
		return fmt.Errorf("checkoutqa: %w", err)
	} else if n > 0 {
		scope = page.FrameLocator("[data-testid=challenge-frame]")
	}
	if err := scope.GetByTestId("otp-input").Fill(code); err != nil {
		return fmt.Errorf("checkoutqa: otp-input: %w", err)
	}
	if err := scope.GetByTestId("otp-submit").Click(); err != nil {
		return fmt.Errorf("checkoutqa: otp-submit: %w", err)
	}
	return nil
}

// Wallet actions in the sandbox cashier.
const (
	WalletApprove = "approve"
	WalletDecline = "decline"
	WalletCancel  = "cancel"
)

// StartWallet chooses the wallet when the page offers a choice (the
// payment-method-wallet-option radio, shown only when card and wallet are
// both offered) and presses "Pay with wallet" (payment-method-wallet). The
// browser then goes to the wallet's cashier, or to the result page when the
// wallet refuses the payment at once.
func StartWallet(page playwright.Page) error {
	if err := chooseMethod(page, "payment-method-wallet-option", "payment-method-wallet"); err != nil {
		return err
	}
	if err := page.GetByTestId("payment-method-wallet").Click(); err != nil {
		return fmt.Errorf("checkoutqa: payment-method-wallet: %w", err)
	}
	return nil
}

// ApproveWallet pays with the wallet (StartWallet) and, in the sandbox
// cashier, presses wallet-approve, wallet-decline or wallet-cancel for
// action approve, decline or cancel.
func ApproveWallet(page playwright.Page, action string) error {
	switch action {
	case WalletApprove, WalletDecline, WalletCancel:
	default:
		return fmt.Errorf("checkoutqa: wallet action %q: want approve, decline or cancel", action)
	}
	if err := StartWallet(page); err != nil {
		return err
	}
	if err := page.GetByTestId("wallet-" + action).Click(); err != nil {
		return fmt.Errorf("checkoutqa: wallet-%s: %w", action, err)
	}
	return nil
}

// AddSavedCard saves card with the saved-card provider: it presses
// add-saved-card, types the card on the provider's add-card page, submits
// (add-card-submit), answers the challenge with code when the page asks for
// one, and waits until the browser is back on the checkout page. It returns
// ErrCardNotSaved when the provider sent the shopper back without the card.
func AddSavedCard(page playwright.Page, card Card, code string) error {
	if err := page.GetByTestId("add-saved-card").Click(); err != nil {
		return fmt.Errorf("checkoutqa: add-saved-card: %w", err)
	}
	if err := page.GetByTestId("add-card-submit").WaitFor(); err != nil {
		return fmt.Errorf("checkoutqa: no add-card page: %w", err)
	}
	if err := fillFields(page, card.typed()); err != nil {
		return err
	}
	if err := page.GetByTestId("add-card-submit").Click(); err != nil {
		return fmt.Errorf("checkoutqa: add-card-submit: %w", err)
	}
	// Back on the checkout page (it offers to add a card again), or a
	// challenge first.
	back := page.GetByTestId("add-saved-card")
	otp := page.GetByTestId("otp-input")
	if err := back.Or(otp).First().WaitFor(); err != nil {
		return fmt.Errorf("checkoutqa: after add-card-submit: %w", err)
	}
	if n, _ := otp.Count(); n > 0 {
		if code == "" {
			return errors.New("checkoutqa: the add-card page asks for a challenge code and none was given")
		}
		if err := AnswerChallenge(page, code); err != nil {
			return err
		}
		if err := back.WaitFor(); err != nil {
			return fmt.Errorf("checkoutqa: after the challenge: %w", err)
		}
	}
	u, err := url.Parse(page.URL())
	if err != nil {
		return fmt.Errorf("checkoutqa: %w", err)
	}
	if u.Query().Get("card_added") == "" {
		return ErrCardNotSaved
	}
	return nil
}

// PaySavedCard presses the saved card whose label ends in last4 (its
// saved-card-<id> button); the page lists a card just added first.
func PaySavedCard(page playwright.Page, last4 string) error {
	card := page.Locator(`button[data-testid^="saved-card-"]`).Filter(playwright.LocatorFilterOptions{
		HasText: regexp.MustCompile(`(^|\D)` + regexp.QuoteMeta(last4) + `(\D|$)`),
	})
	if err := card.First().Click(); err != nil {
		return fmt.Errorf("checkoutqa: saved card ending in %s: %w", last4, err)
	}
	return nil
}

// WaitForResult waits for the result page and returns its status (the
// data-status of result-status): succeeded, authorized, failed, canceled,
// expired or pending. While it says pending it keeps waiting, as the page
// updates itself (its script asks again every 2 s), until a final status or
// the timeout; then it returns pending. A timeout of 0 means 30 s. The
// server's error page, or no result page before the timeout, is an error.
func WaitForResult(page playwright.Page, timeout time.Duration) (string, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	status := page.GetByTestId("result-status")
	errPage := page.GetByTestId("error-heading")
	if err := status.Or(errPage).First().WaitFor(playwright.LocatorWaitForOptions{Timeout: ms(timeout)}); err != nil {
		return "", fmt.Errorf("checkoutqa: no result page within %s: %w", timeout, err)
	}
	if n, _ := errPage.Count(); n > 0 {
		heading, _ := errPage.TextContent()
		return "", fmt.Errorf("checkoutqa: the server answered an error page: %s", strings.TrimSpace(heading))
	}
	final := page.Locator(`[data-testid="result-status"]:not([data-status="pending"])`)
	err := final.WaitFor(playwright.LocatorWaitForOptions{Timeout: ms(max(time.Until(deadline), time.Millisecond))})
	switch {
	case errors.Is(err, playwright.ErrTimeout):
		return "pending", nil
	case err != nil:
		return "", fmt.Errorf("checkoutqa: result-status: %w", err)
	}
	s, err := final.GetAttribute("data-status")
	if err != nil {
		return "", fmt.Errorf("checkoutqa: result-status: %w", err)
	}
	return s, nil
}

// ms is d in Playwright's milliseconds, rounded up so that a wait is never
// shorter than asked.
func ms(d time.Duration) *float64 {
	return playwright.Float(float64((d + time.Millisecond - 1).Milliseconds()))
}
