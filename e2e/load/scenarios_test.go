package load

import (
	"fmt"
	"math/rand/v2"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Payment methods as the merchant API and the hosted page name them.
const (
	methodCard      = "card"
	methodWallet    = "wallet"
	methodSavedCard = "saved_card"
)

// Final states as the result page (data-status) and the payments table name them.
const (
	stateSucceeded  = "succeeded"
	stateAuthorized = "authorized"
	stateFailed     = "failed"
)

// Wallet cashier buttons.
const (
	walletApprove = "approve"
	walletDecline = "decline"
	walletCancel  = "cancel"
)

// wrongCode fails every sandbox challenge.
const wrongCode = "0000"

// scenario is one shopper journey and what it must end in.
type scenario struct {
	Provider string // where the payment must go: payorder, worldline, antom, alipayplus, bbmsl
	Method   string // card, wallet, saved_card
	Currency string
	Card     string // digits; "" for the wallet
	OTP      string // the code typed when a challenge is shown ("" when none is expected)
	Choice   string // the wallet cashier's button
	Amount   int64  // 0: the run's rotating amount
	Capture  string // "" (automatic) or manual
	ThreeDS  string // "" (automatic) or challenge_requested

	// What the flow implies.
	Want      string // succeeded, authorized or failed
	Charges   int    // sandbox ledger charges of the payment
	Challenge bool   // a challenge page must be shown
	Unknown   bool   // the provider's answer is lost: the state comes from reconciliation
}

// Name identifies the scenario in reports.
func (s scenario) Name() string {
	n := s.Provider + "/" + s.Method
	switch {
	case s.Card != "":
		n += "/" + s.Card
	case s.Choice != "":
		n += "/" + s.Choice
	}
	if s.Amount != 0 {
		n += fmt.Sprintf("/amount-%d", s.Amount)
	}
	if s.OTP != "" {
		n += "/otp-" + s.OTP
	}
	if s.Capture != "" {
		n += "/" + s.Capture
	}
	if s.ThreeDS != "" {
		n += "/" + s.ThreeDS
	}
	return n
}

// cardScenario derives what a card payment must end in from the shared
// test-card table, never from what the app does.
func cardScenario(provider, method, currency, card, otp string) scenario {
	s := scenario{Provider: provider, Method: method, Currency: currency, Card: card}
	sc := testcards.Lookup(card, nil)
	challenged := method == methodCard && sc.Authentication == testcards.Challenged && sc.Fault == testcards.NoFault
	if challenged {
		s.OTP = otp
		s.Challenge = true
	}
	switch {
	case sc.Fault == testcards.ServerErrorNoCharge:
		s.Want, s.Unknown = stateFailed, true
	case sc.Fault == testcards.TimeoutCharged:
		s.Want, s.Charges, s.Unknown = stateSucceeded, 1, true
	case challenged && otp != testcards.ChallengeCode:
		s.Want = stateFailed
	case method == methodCard && (sc.Authentication == testcards.Failed || sc.Authentication == testcards.Rejected):
		s.Want = stateFailed
	case sc.Decline != testcards.Approve:
		s.Want = stateFailed
	default:
		s.Want, s.Charges = stateSucceeded, 1
	}
	return s
}

func manual(s scenario) scenario {
	s.Capture = "manual"
	if s.Want == stateSucceeded {
		s.Want = stateAuthorized
	}
	return s
}

// challengeRequested asks for a challenge on a frictionless card: the
// provider must then show one (payOrder and Worldline honour it).
func challengeRequested(s scenario) scenario {
	s.ThreeDS, s.OTP, s.Challenge = "challenge_requested", testcards.ChallengeCode, true
	return s
}

func walletScenario(choice string, amount int64) scenario {
	s := scenario{Provider: "alipayplus", Method: methodWallet, Currency: "USD", Choice: choice, Amount: amount, Want: stateFailed}
	switch {
	case amount == 999999: // PAYMENT_AMOUNT_EXCEED_LIMIT at once: no cashier
		s.Choice = ""
	case amount%100 == 51: // USER_BALANCE_NOT_ENOUGH at Approve
	case choice == walletApprove:
		s.Want, s.Charges = stateSucceeded, 1
	}
	return s
}

// savedScenario is a BBMSL saved-card payment; the card is added once per
// customer on the add-card page (answering its challenge with the code) and
// behaves at sale time like the card it was saved from.
func savedScenario(card string) scenario {
	s := cardScenario("bbmsl", methodSavedCard, "USD", card, "")
	if testcards.Lookup(card, nil).Authentication == testcards.Challenged {
		s.OTP = testcards.ChallengeCode // typed on the add-card page only
	}
	return s
}

// catalogue is every journey of the mix. Tier one is what the short run
// must cover on every provider: frictionless, challenge passed and failed,
// a decline, and both reconciliation rows; tier two is the rest of the
// table.
func catalogue() (tier1, tier2 []scenario) {
	cards := []struct{ provider, currency string }{{"payorder", "USD"}, {"worldline", "EUR"}, {"antom", "EUR"}}
	for _, p := range cards {
		c := func(card, otp string) scenario { return cardScenario(p.provider, methodCard, p.currency, card, otp) }
		tier1 = append(tier1,
			c(testcards.Visa, ""),
			c(testcards.Challenge, testcards.ChallengeCode),
			c(testcards.Challenge, wrongCode),
			c(testcards.DeclineGeneric, ""),
			c(testcards.ServerError, ""),
			c(testcards.TimeoutAfterCharge, ""),
		)
		tier2 = append(tier2,
			c(testcards.Mastercard, ""),
			c(testcards.Amex, ""),
			c(testcards.ChallengeThenDecline, testcards.ChallengeCode),
			c(testcards.AuthFailed, ""),
			c(testcards.AuthUnavailable, ""),
			c(testcards.DeclineFunds, ""),
			c(testcards.DeclineExpired, ""),
			c(testcards.DeclineCVC, ""),
		)
		switch p.provider {
		case "worldline", "antom":
			tier2 = append(tier2, manual(c(testcards.Mastercard, "")))
		}
		switch p.provider {
		case "payorder", "worldline":
			tier2 = append(tier2, challengeRequested(c(testcards.Visa, "")))
		}
	}
	// Worldline's 3-D Secure method hop (the browser passes /redirector/).
	tier2 = append(tier2, cardScenario("worldline", methodCard, "EUR", "4000000000052672", ""))

	tier1 = append(tier1,
		walletScenario(walletApprove, 0),
		walletScenario(walletDecline, 0),
		walletScenario(walletCancel, 0),
		savedScenario(testcards.Visa),
		savedScenario(testcards.Challenge),
		savedScenario(testcards.DeclineGeneric),
		savedScenario(testcards.ServerError),
		savedScenario(testcards.TimeoutAfterCharge),
	)
	tier2 = append(tier2,
		walletScenario(walletApprove, 2551),
		walletScenario("", 999999),
		savedScenario(testcards.Mastercard),
		savedScenario(testcards.ChallengeThenDecline),
		savedScenario(testcards.AuthUnavailable),
		savedScenario(testcards.DeclineFunds),
	)
	return tier1, tier2
}

// plan lists n journeys: tier one, tier two, then the whole catalogue
// again and again, in a fixed shuffled order so that providers and flows
// overlap.
func plan(n int) []scenario {
	tier1, tier2 := catalogue()
	all := append(append([]scenario(nil), tier1...), tier2...)
	out := make([]scenario, 0, n)
	for len(out) < n {
		for _, s := range all {
			if len(out) == n {
				break
			}
			out = append(out, s)
		}
	}
	r := rand.New(rand.NewPCG(36, 37))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
