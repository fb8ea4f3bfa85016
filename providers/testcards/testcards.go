// Package testcards is the sandbox test-card table of DESIGN.md section 6,
// shared by every card sandbox so that one QA script works against all
// providers. Each sandbox turns a Scenario into its own wire format.
package testcards

import "strings"

// Card numbers from the shared table.
const (
	Visa                 = "4242424242424242"
	Mastercard           = "5555555555554444"
	Amex                 = "378282246310005"
	Challenge            = "4000000000003220"
	ChallengeThenDecline = "4000008400001629"
	AuthFailed           = "4000000000002925"
	AuthUnavailable      = "4000000000002313"
	DeclineGeneric       = "4000000000000002"
	DeclineFunds         = "4000000000009995"
	DeclineExpired       = "4000000000000069"
	DeclineCVC           = "4000000000000127"
	ServerError          = "4000000000000119"
	TimeoutAfterCharge   = "4000000000000259"
)

// ChallengeCode is the one-time code that passes a sandbox challenge; any
// other code fails authentication.
const ChallengeCode = "1234"

// Authentication is what 3-D Secure does with a card.
type Authentication int

// Authentication behaviours.
const (
	Frictionless Authentication = iota // authenticated without a challenge (transStatus Y)
	Challenged                         // a challenge; ChallengeCode passes
	Failed                             // frictionless, not authenticated (N): no charge
	Unavailable                        // 3DS could not run (U): authorised without liability shift
	Attempted                          // attempts processing (A): authenticated with ECI 06/01
	Rejected                           // frictionless, rejected by the issuer (R): no charge, no challenge
)

// Decline is how the issuer answers the authorisation.
type Decline int

// Issuer answers.
const (
	Approve Decline = iota
	Generic
	InsufficientFunds
	ExpiredCard
	IncorrectCVC
)

// Fault is how the provider itself misbehaves on the payment call.
type Fault int

// Provider faults.
const (
	NoFault             Fault = iota
	ServerErrorNoCharge       // answers 500 and charges nothing; inquiry says not charged
	TimeoutCharged            // charges, then never answers; inquiry says charged
)

// Scenario is what a sandbox does with a card number.
type Scenario struct {
	Authentication Authentication
	Decline        Decline
	Fault          Fault
}

var table = map[string]Scenario{
	Visa:                 {},
	Mastercard:           {},
	Amex:                 {},
	Challenge:            {Authentication: Challenged},
	ChallengeThenDecline: {Authentication: Challenged, Decline: Generic},
	AuthFailed:           {Authentication: Failed},
	AuthUnavailable:      {Authentication: Unavailable},
	DeclineGeneric:       {Decline: Generic},
	DeclineFunds:         {Decline: InsufficientFunds},
	DeclineExpired:       {Decline: ExpiredCard},
	DeclineCVC:           {Decline: IncorrectCVC},
	ServerError:          {Fault: ServerErrorNoCharge},
	TimeoutAfterCharge:   {Fault: TimeoutCharged},
}

// Lookup returns the scenario of a card number (digits, spaces allowed).
// Any number not in the table behaves like 4242 4242 4242 4242; extra lets a
// sandbox add its provider's own published test numbers.
func Lookup(number string, extra map[string]Scenario) Scenario {
	n := strings.ReplaceAll(number, " ", "")
	if s, ok := extra[n]; ok {
		return s
	}
	return table[n]
}

// Row is one line of the published table, for documentation and tests.
type Row struct {
	Number   string
	Scenario Scenario
	Behaves  string
}

// Table returns the shared table in the order DESIGN.md lists it.
func Table() []Row {
	return []Row{
		{Visa, table[Visa], "frictionless 3DS, approved"},
		{Mastercard, table[Mastercard], "frictionless 3DS, approved"},
		{Amex, table[Amex], "frictionless 3DS, approved"},
		{Challenge, table[Challenge], "challenge; code 1234 passes and the payment is approved, any other code fails authentication"},
		{ChallengeThenDecline, table[ChallengeThenDecline], "challenge passes, then the issuer declines"},
		{AuthFailed, table[AuthFailed], "frictionless authentication fails (3DS N): failed, no charge"},
		{AuthUnavailable, table[AuthUnavailable], "3DS unavailable (U): authorised without liability shift (ECI 07/00)"},
		{DeclineGeneric, table[DeclineGeneric], "declined, generic"},
		{DeclineFunds, table[DeclineFunds], "declined, insufficient funds"},
		{DeclineExpired, table[DeclineExpired], "declined, expired card"},
		{DeclineCVC, table[DeclineCVC], "declined, incorrect CVC"},
		{ServerError, table[ServerError], "provider answers 500 to the payment call (nothing charged; inquiry says so)"},
		{TimeoutAfterCharge, table[TimeoutAfterCharge], "provider times out after charging (inquiry later says succeeded)"},
	}
}
