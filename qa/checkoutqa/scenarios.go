package checkoutqa

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/qa"
)

// Scenarios is the scenario catalogue shipped with this package
// (qa/scenarios.json).
func Scenarios() (qa.Catalogue, error) { return qa.Load() }

// FetchScenarios reads the catalogue a running server publishes at
// GET /sandbox/scenarios (served wherever its sandboxes are).
func FetchScenarios(ctx context.Context, baseURL string) (qa.Catalogue, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/sandbox/scenarios", nil)
	if err != nil {
		return qa.Catalogue{}, fmt.Errorf("checkoutqa: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return qa.Catalogue{}, fmt.Errorf("checkoutqa: GET /sandbox/scenarios: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return qa.Catalogue{}, fmt.Errorf("checkoutqa: GET /sandbox/scenarios: %s", res.Status)
	}
	var c qa.Catalogue
	if err := json.NewDecoder(io.LimitReader(res.Body, 4<<20)).Decode(&c); err != nil {
		return qa.Catalogue{}, fmt.Errorf("checkoutqa: GET /sandbox/scenarios: %w", err)
	}
	return c, nil
}

// Played is what came of playing a scenario.
type Played struct {
	SessionID string
	// Status is the result page's data-status; "" when nothing was paid
	// (a saved_card scenario whose card the add-card page did not save).
	Status string
	// Payment is the session's payment as the merchant API reads it back
	// (status, card, three_ds, decline); nil when there is none.
	Payment map[string]any
	// CardSaved says, for a saved_card scenario, whether the provider's
	// add-card page saved the card.
	CardSaved bool
}

// Play plays one catalogue scenario of provider in page: it creates a
// session for it (the provider, its method and currency, the scenario's
// amount, three_ds and capture_mode), opens the session's page, pays as the
// scenario says (a card and its challenge code, a wallet action, or adding a
// card on the provider's page and paying with it), waits for the result and
// reads the session back. It waits for the result until ctx's deadline, or
// 30 s without one. Compare the result with Check.
func (a API) Play(ctx context.Context, page playwright.Page, provider qa.Provider, s qa.Scenario) (Played, error) {
	o := SessionOptions{
		Amount: s.Amount, Currency: provider.Currency, Provider: provider.Provider, Methods: []string{provider.Method},
		ThreeDS: s.ThreeDS, CaptureMode: s.CaptureMode, MerchantReference: s.ID,
	}
	if provider.Method == "saved_card" {
		o.Customer = &Customer{Reference: "qa-" + rand.Text()} // a new shopper, no saved cards yet
	}
	session, err := a.CreateSession(ctx, o)
	if err != nil {
		return Played{}, fmt.Errorf("%s: %w", s.ID, err)
	}
	p := Played{SessionID: session.ID}
	if _, err := page.Goto(session.URL); err != nil {
		return p, fmt.Errorf("%s: %w", s.ID, err)
	}
	wait := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if err := play(page, provider.Method, s); err != nil {
		if !errors.Is(err, ErrCardNotSaved) {
			return p, fmt.Errorf("%s: %w", s.ID, err)
		}
	} else {
		p.CardSaved = provider.Method == "saved_card"
		if p.Status, err = WaitForResult(page, wait); err != nil {
			return p, fmt.Errorf("%s: %w", s.ID, err)
		}
	}
	got, err := a.Session(ctx, session.ID)
	if err != nil {
		return p, fmt.Errorf("%s: %w", s.ID, err)
	}
	p.Payment, _ = got["payment"].(map[string]any)
	return p, nil
}

// play does what the scenario's shopper does on the page, up to the result.
func play(page playwright.Page, method string, s qa.Scenario) error {
	card := func() (Card, error) {
		if s.Card == nil {
			return Card{}, fmt.Errorf("a %s scenario needs a card", method)
		}
		return Card{Number: s.Card.Number, CVC: s.Card.CVC, Name: s.Card.Name}, nil
	}
	switch method {
	case "card":
		c, err := card()
		if err != nil {
			return err
		}
		if err := PayWithCard(page, c); err != nil {
			return err
		}
		if s.ChallengeCode != "" {
			return AnswerChallenge(page, s.ChallengeCode)
		}
		return nil
	case "wallet":
		if s.WalletAction == "" { // refused before the cashier opens
			return StartWallet(page)
		}
		return ApproveWallet(page, s.WalletAction)
	case "saved_card":
		c, err := card()
		if err != nil {
			return err
		}
		if err := AddSavedCard(page, c, s.ChallengeCode); err != nil {
			return err
		}
		return PaySavedCard(page, c.Last4())
	}
	return fmt.Errorf("unknown method %q", method)
}

// Check compares what was played with the scenario's documented outcome:
// every field the outcome lists, each mismatch named in the error.
func Check(s qa.Scenario, p Played) error {
	var errs []error
	mismatch := func(field string, got, want any) {
		errs = append(errs, fmt.Errorf("%s: %s is %v, want %v", s.ID, field, got, want))
	}
	o := s.Outcome
	if p.Status != o.Status {
		mismatch("status", quote(p.Status), quote(o.Status))
	}
	pay := p.Payment
	if got := str(pay, "status"); got != o.PaymentStatus {
		mismatch("payment.status", quote(got), quote(o.PaymentStatus))
	}
	decline, _ := pay["decline"].(map[string]any)
	if got := str(decline, "code"); o.DeclineCode != "" && got != o.DeclineCode {
		mismatch("payment.decline.code", quote(got), quote(o.DeclineCode))
	}
	tds, _ := pay["three_ds"].(map[string]any)
	if got := str(tds, "flow"); o.ThreeDS != "" && got != o.ThreeDS {
		mismatch("payment.three_ds.flow", quote(got), quote(o.ThreeDS))
	}
	if got := str(tds, "eci"); o.ECI != "" && got != o.ECI {
		mismatch("payment.three_ds.eci", quote(got), quote(o.ECI))
	}
	if o.LiabilityShift != nil {
		got, ok := tds["liability_shift"].(bool)
		if !ok {
			mismatch("payment.three_ds.liability_shift", "absent", *o.LiabilityShift)
		} else if got != *o.LiabilityShift {
			mismatch("payment.three_ds.liability_shift", got, *o.LiabilityShift)
		}
	}
	if o.CardSaved != nil && p.CardSaved != *o.CardSaved {
		mismatch("card_saved", p.CardSaved, *o.CardSaved)
	}
	return errors.Join(errs...)
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
