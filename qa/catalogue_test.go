package qa_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/web"
)

// The values the product really shows, from the packages that show them.
var (
	// resultStatuses are the result page's data-status values
	// (handlers/checkout_status.go).
	resultStatuses = []string{"succeeded", "authorized", "failed", "pending", "expired", "canceled"}
	declineCodes   = []checkout.DeclineCode{
		checkout.DeclineGeneric, checkout.DeclineInsufficientFunds, checkout.DeclineExpiredCard,
		checkout.DeclineIncorrectCVC, checkout.DeclineIncorrectNumber, checkout.DeclineAuthenticationFailed,
		checkout.DeclineFraudSuspected, checkout.DeclineLimitExceeded, checkout.DeclineNotSupported,
		checkout.DeclineProcessingError,
	}
	flows          = []string{checkout.FlowFrictionless, checkout.FlowChallenge}
	ecis           = []string{"05", "06", "07", "02", "01", "00"} // Visa-style and Mastercard-style
	walletActions  = []string{"approve", "decline", "cancel"}
	challengeKinds = []string{"", "iframe", "window"}
	threeDSPrefs   = []checkout.ThreeDSPreference{"", checkout.ThreeDSAutomatic, checkout.ThreeDSChallengeRequested, checkout.ThreeDSNoChallengeRequested}
	captureModes   = []checkout.CaptureMode{"", checkout.CaptureAutomatic, checkout.CaptureManual}
	refundStatuses = []checkout.RefundStatus{checkout.RefundSucceeded, checkout.RefundFailed}
)

// paymentStatusOfResult is the API's payment.status behind each final
// result page status (a payment that is later refunded or captured moves
// on; the catalogue lists the status right after paying).
var paymentStatusOfResult = map[string]checkout.PaymentStatus{
	"succeeded":  checkout.PaymentSucceeded,
	"authorized": checkout.PaymentAuthorized,
	"failed":     checkout.PaymentFailed,
	"canceled":   checkout.PaymentCanceled,
}

func TestCatalogueLoadsStrictly(t *testing.T) {
	c, err := qa.Load()
	if err != nil {
		t.Fatal(err)
	}
	// Load refuses unknown fields; and the file says nothing its types
	// drop: encoded back, it is the same JSON.
	back, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var file, again any
	if err := json.Unmarshal(qa.JSON(), &file); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &again); err != nil {
		t.Fatal(err)
	}
	if a, b := canonical(t, file), canonical(t, again); a != b {
		t.Fatalf("the catalogue does not round-trip through its types:\nfile %s\n Go  %s", a, b)
	}
	// JSON hands out a copy: a caller cannot change the catalogue.
	b := qa.JSON()
	b[0] = 'x'
	if !bytes.Equal(qa.JSON()[:1], []byte("{")) {
		t.Fatal("JSON must return a copy")
	}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps are encoded with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCatalogueIsTrueToTheProduct checks the catalogue against the provider
// registry, the checkout's vocabulary, the shared test-card table and the
// README.
func TestCatalogueIsTrueToTheProduct(t *testing.T) {
	c, err := qa.Load()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	numbers := readmeCardNumbers(string(readme))
	if len(numbers) < len(testcards.Table()) {
		t.Fatalf("found %d card numbers in the README's Sandbox test cards section; is the section still there?", len(numbers))
	}
	for _, p := range problems(c, numbers) {
		t.Error(p)
	}
}

// TestCatalogueCheckCatchesMistakes spoils a copy of the catalogue in one
// way at a time: each must be reported.
func TestCatalogueCheckCatchesMistakes(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	numbers := readmeCardNumbers(string(readme))
	spoil := []struct {
		name, want string
		change     func(c *qa.Catalogue)
	}{
		{"repeated id", "appears twice", func(c *qa.Catalogue) { c.Providers[0].Scenarios[1].ID = c.Providers[0].Scenarios[0].ID }},
		{"id of another provider", "is not prefixed", func(c *qa.Catalogue) { c.Providers[0].Scenarios[0].ID = "worldline/x" }},
		{"unknown provider", "registry", func(c *qa.Catalogue) { c.Providers[0].Provider = "stripe" }},
		{"missing provider", "registry", func(c *qa.Catalogue) { c.Providers = c.Providers[1:] }},
		{"method not offered", "does not offer", func(c *qa.Catalogue) { c.Providers[0].Method = "wallet" }},
		{"currency not accepted", "currency", func(c *qa.Catalogue) { c.Providers[0].Currency = "EUR" }},
		{"bad Luhn", "Luhn", func(c *qa.Catalogue) { card(c, "payorder/visa-frictionless").Number = "4242424242424241" }},
		{"spaces in a number", "digits only", func(c *qa.Catalogue) { card(c, "payorder/visa-frictionless").Number = "4242 4242 4242 4242" }},
		{"short Amex CVC", "CVC", func(c *qa.Catalogue) { card(c, "payorder/amex-frictionless").CVC = "123" }},
		{"unknown status", "status", func(c *qa.Catalogue) { scenario(c, "payorder/visa-frictionless").Outcome.Status = "paid" }},
		{"status and payment status disagree", "payment_status", func(c *qa.Catalogue) {
			scenario(c, "payorder/visa-frictionless").Outcome.PaymentStatus = "failed"
		}},
		{"unknown decline code", "decline code", func(c *qa.Catalogue) {
			scenario(c, "payorder/declined-generic").Outcome.DeclineCode = "do_not_honor"
		}},
		{"unknown flow", "flow", func(c *qa.Catalogue) { scenario(c, "payorder/visa-frictionless").Outcome.ThreeDS = "redirect" }},
		{"liability shift against the ECI", "liability", func(c *qa.Catalogue) {
			f := false
			scenario(c, "payorder/visa-frictionless").Outcome.LiabilityShift = &f
		}},
		{"a table row missing", testcards.DeclineCVC, func(c *qa.Catalogue) {
			p := &c.Providers[1]
			p.Scenarios = slices.DeleteFunc(p.Scenarios, func(s qa.Scenario) bool { return s.Card != nil && s.Card.Number == testcards.DeclineCVC })
		}},
		{"a saved-card row missing", testcards.DeclineFunds, func(c *qa.Catalogue) {
			p := &c.Providers[len(c.Providers)-1]
			p.Scenarios = slices.DeleteFunc(p.Scenarios, func(s qa.Scenario) bool { return s.Card != nil && s.Card.Number == testcards.DeclineFunds })
		}},
		{"no wrong challenge code", "wrong code", func(c *qa.Catalogue) { scenario(c, "antom/challenge-failed").ChallengeCode = "1234" }},
		{"a README number missing", "4012000033330026", func(c *qa.Catalogue) { card(c, "worldline/wl-visa-authenticated").Number = "4242424242424242" }},
		{"unknown wallet action", "wallet action", func(c *qa.Catalogue) { scenario(c, "alipayplus/approve").WalletAction = "pay" }},
		{"a card on the wallet", "card", func(c *qa.Catalogue) {
			scenario(c, "alipayplus/approve").Card = &qa.Card{Number: "4242424242424242", CVC: "123", Name: "A"}
		}},
		{"manual capture where there is none", "manual capture", func(c *qa.Catalogue) {
			scenario(c, "payorder/visa-frictionless").CaptureMode = "manual"
		}},
		{"refunds where there are none", "refunds", func(c *qa.Catalogue) { c.Providers[0].Refunds = c.Providers[1].Refunds }},
		{"refund status", "refund", func(c *qa.Catalogue) { c.Providers[1].Refunds[0].Status = "pending" }},
		{"card_saved outside saved cards", "card_saved", func(c *qa.Catalogue) {
			b := true
			scenario(c, "payorder/visa-frictionless").Outcome.CardSaved = &b
		}},
	}
	for _, tt := range spoil {
		t.Run(tt.name, func(t *testing.T) {
			c := fresh(t)
			tt.change(&c)
			got := problems(c, numbers)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Fatalf("no problem mentioning %q reported; got %q", tt.want, got)
			}
		})
	}
}

// fresh is a deep copy of the catalogue, to spoil.
func fresh(t *testing.T) qa.Catalogue {
	t.Helper()
	var c qa.Catalogue
	if err := json.Unmarshal(qa.JSON(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func scenario(c *qa.Catalogue, id string) *qa.Scenario {
	for i := range c.Providers {
		for j := range c.Providers[i].Scenarios {
			if c.Providers[i].Scenarios[j].ID == id {
				return &c.Providers[i].Scenarios[j]
			}
		}
	}
	panic("no scenario " + id)
}

func card(c *qa.Catalogue, id string) *qa.Card { return scenario(c, id).Card }

// cardRun is a run of digits, single spaces allowed between groups, as the
// README prints card numbers (4242 4242 4242 4242, 3782 822463 10005).
var cardRun = regexp.MustCompile(`\b\d{3,}(?: \d{2,})*\b`)

// readmeCardNumbers are the card numbers of the README's "Sandbox test
// cards" section: the runs of 13 to 19 digits.
func readmeCardNumbers(readme string) []string {
	_, section, _ := strings.Cut(readme, "\n## Sandbox test cards\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var out []string
	for _, m := range cardRun.FindAllString(section, -1) {
		n := strings.ReplaceAll(m, " ", "")
		if len(n) >= 13 && len(n) <= 19 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// problems is everything wrong with c; readmeNumbers are the card numbers
// the README publishes.
func problems(c qa.Catalogue, readmeNumbers []string) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }

	if c.Object != "scenario_catalogue" || c.Version != 1 {
		bad("object %q version %d", c.Object, c.Version)
	}
	if c.ChallengeCode != testcards.ChallengeCode {
		bad("challenge_code %q, the sandboxes pass %q", c.ChallengeCode, testcards.ChallengeCode)
	}
	var names []string
	for _, p := range c.Providers {
		names = append(names, p.Provider)
	}
	if !slices.Equal(names, web.Providers.Names()) {
		bad("providers %v, the registry has %v (in that order)", names, web.Providers.Names())
	}

	ids := map[string]bool{}
	id := func(provider, id string) {
		if ids[id] {
			bad("id %s appears twice", id)
		}
		ids[id] = true
		if slug, ok := strings.CutPrefix(id, provider+"/"); !ok || slug == "" || strings.Contains(slug, "/") {
			bad("id %s is not prefixed by its provider %s/", id, provider)
		}
	}
	everyNumber := map[string]bool{}
	for _, p := range c.Providers {
		d, known := web.Providers.Find(p.Provider)
		if !known {
			continue // reported above
		}
		method := checkout.PaymentMethod(p.Method)
		if !d.Capabilities.Supports(method) {
			bad("%s: method %q, the descriptor does not offer it (%v)", p.Provider, p.Method, d.Capabilities.Methods)
		}
		if !d.Capabilities.SupportsCurrency(p.Currency) || len(p.Currency) != 3 {
			bad("%s: currency %q is not one the descriptor accepts (%v)", p.Provider, p.Currency, d.Capabilities.Currencies)
		}
		if !slices.Contains(challengeKinds, p.Challenge) {
			bad("%s: challenge %q", p.Provider, p.Challenge)
		}
		if len(p.Scenarios) == 0 {
			bad("%s: no scenarios", p.Provider)
		}
		challengeCodes := map[string][]string{} // card number -> codes typed
		for _, s := range p.Scenarios {
			id(p.Provider, s.ID)
			if s.Description == "" || s.Amount <= 0 {
				bad("%s: description %q amount %d", s.ID, s.Description, s.Amount)
			}
			out = append(out, scenarioProblems(c, p, d.Capabilities, s)...)
			if s.Card != nil {
				everyNumber[s.Card.Number] = true
				if s.ChallengeCode != "" {
					challengeCodes[s.Card.Number] = append(challengeCodes[s.Card.Number], s.ChallengeCode)
				}
			}
		}
		if method == checkout.MethodCard || method == checkout.MethodSavedCard {
			for _, row := range testcards.Table() {
				if !slices.ContainsFunc(p.Scenarios, func(s qa.Scenario) bool { return s.Card != nil && s.Card.Number == row.Number }) {
					bad("%s: the shared table's %s (%s) is missing", p.Provider, row.Number, row.Behaves)
				}
			}
			codes := challengeCodes[testcards.Challenge]
			if !slices.Contains(codes, c.ChallengeCode) || !slices.ContainsFunc(codes, func(code string) bool { return code != c.ChallengeCode }) {
				bad("%s: the challenge card %s needs an entry with code %s and one with a wrong code (has %v)", p.Provider, testcards.Challenge, c.ChallengeCode, codes)
			}
		}
		if len(p.Refunds) > 0 && !d.Refunds {
			bad("%s: refunds listed, the adapter makes none", p.Provider)
		}
		paid := firstPaid(p)
		for _, r := range p.Refunds {
			id(p.Provider, r.ID)
			if r.Description == "" || r.Amount <= 0 || (paid != nil && r.Amount > paid.Amount) {
				bad("%s: refund description %q amount %d (paid %v)", r.ID, r.Description, r.Amount, paid)
			}
			if !slices.Contains(refundStatuses, checkout.RefundStatus(r.Status)) {
				bad("%s: refund status %q is not final", r.ID, r.Status)
			}
		}
		if len(p.Refunds) > 0 && paid == nil {
			bad("%s: refunds need a succeeding frictionless card scenario to refund", p.Provider)
		}
	}
	for _, n := range readmeNumbers {
		if !everyNumber[n] {
			bad("the README's card number %s is in no scenario", n)
		}
	}
	return out
}

func scenarioProblems(c qa.Catalogue, p qa.Provider, caps checkout.Capabilities, s qa.Scenario) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, s.ID+": "+fmt.Sprintf(format, a...)) }
	method := checkout.PaymentMethod(p.Method)
	if method == checkout.MethodWallet {
		if s.Card != nil {
			bad("a wallet scenario types no card")
		}
		if s.WalletAction != "" && !slices.Contains(walletActions, s.WalletAction) {
			bad("wallet action %q", s.WalletAction)
		}
	} else {
		if s.WalletAction != "" {
			bad("wallet action %q on a %s scenario", s.WalletAction, p.Method)
		}
		if s.Card == nil {
			bad("a %s scenario needs a card", p.Method)
		} else {
			n := s.Card.Number
			if strings.Trim(n, "0123456789") != "" || n == "" {
				bad("card number %q: digits only", n)
			} else if !checkout.Luhn(n) || len(n) < 13 || len(n) > 19 {
				bad("card number %s fails Luhn or its length", n)
			}
			if want := checkout.DetectBrand(n).CVCLength(); len(s.Card.CVC) != want || strings.Trim(s.Card.CVC, "0123456789") != "" {
				bad("CVC %q for a %s card: %d digits", s.Card.CVC, checkout.DetectBrand(n), want)
			}
			if strings.TrimSpace(s.Card.Name) == "" {
				bad("no cardholder name")
			}
		}
	}
	if s.ChallengeCode != "" && p.Challenge == "" {
		bad("a challenge code where %s shows no challenge", p.Provider)
	}
	if !slices.Contains(threeDSPrefs, checkout.ThreeDSPreference(s.ThreeDS)) {
		bad("three_ds %q", s.ThreeDS)
	}
	if !slices.Contains(captureModes, checkout.CaptureMode(s.CaptureMode)) {
		bad("capture_mode %q", s.CaptureMode)
	}
	if s.CaptureMode == string(checkout.CaptureManual) && !caps.ManualCapture {
		bad("manual capture, %s has none", p.Provider)
	}

	o := s.Outcome
	notSaved := o.CardSaved != nil && !*o.CardSaved
	if (o.CardSaved != nil) != (method == checkout.MethodSavedCard) {
		bad("card_saved is for saved_card scenarios, and they all say it")
	}
	if notSaved {
		if o != (qa.Outcome{CardSaved: o.CardSaved}) {
			bad("a card that is not saved pays nothing: the outcome says only card_saved false")
		}
		return out
	}
	if !slices.Contains(resultStatuses, o.Status) {
		bad("status %q is not a result page status %v", o.Status, resultStatuses)
	}
	if want, ok := paymentStatusOfResult[o.Status]; ok && checkout.PaymentStatus(o.PaymentStatus) != want {
		bad("status %s with payment_status %q, want %s", o.Status, o.PaymentStatus, want)
	}
	if !slices.Contains(checkout.PaymentStatuses, checkout.PaymentStatus(o.PaymentStatus)) {
		bad("payment_status %q is not a payment status", o.PaymentStatus)
	}
	if s.CaptureMode == string(checkout.CaptureManual) && o.Status != "authorized" && o.Status != "failed" {
		bad("manual capture ends authorized (or failed), not %s", o.Status)
	}
	if (o.DeclineCode != "") != (o.PaymentStatus == string(checkout.PaymentFailed)) {
		bad("decline code %q with payment_status %s: a failed payment has one, others none", o.DeclineCode, o.PaymentStatus)
	}
	if o.DeclineCode != "" && !slices.Contains(declineCodes, checkout.DeclineCode(o.DeclineCode)) {
		bad("decline code %q is not one of the checkout's", o.DeclineCode)
	}
	if o.ThreeDS != "" && !slices.Contains(flows, o.ThreeDS) {
		bad("3-D Secure flow %q", o.ThreeDS)
	}
	if o.ECI != "" && !slices.Contains(ecis, o.ECI) {
		bad("ECI %q", o.ECI)
	}
	if o.LiabilityShift != nil && *o.LiabilityShift != (checkout.ThreeDSResult{ECI: o.ECI}).LiabilityShift() {
		bad("liability_shift %v with ECI %q", *o.LiabilityShift, o.ECI)
	}
	if (o.ThreeDS != "" || o.ECI != "") != (o.LiabilityShift != nil) {
		bad("a 3-D Secure result always says liability_shift, and only then")
	}
	if method == checkout.MethodCard && s.ChallengeCode == "" && o.ThreeDS == checkout.FlowChallenge {
		bad("a challenge with no code to answer it")
	}
	if s.ChallengeCode != "" && s.ChallengeCode != c.ChallengeCode && o.Status != "failed" && !notSaved {
		bad("a wrong code %q must fail", s.ChallengeCode)
	}
	return out
}

// firstPaid is the provider's first succeeding scenario, the one refunds
// are made from.
func firstPaid(p qa.Provider) *qa.Scenario {
	for i, s := range p.Scenarios {
		if s.Outcome.Status == "succeeded" {
			return &p.Scenarios[i]
		}
	}
	return nil
}
