package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// shopSaved buys the mug offering the visitor's saved cards (or a new
// card); the page's browser context is one returning visitor.
func shopSaved(t *testing.T, page playwright.Page, recurring bool) string {
	t.Helper()
	must(t, goto_(page, app.URL+"/"))
	_, err := page.GetByTestId("demo-methods").SelectOption(playwright.SelectOptionValues{Values: &[]string{"saved_card,card"}})
	must(t, err)
	if recurring {
		_, err = page.GetByTestId("demo-recurring").SelectOption(playwright.SelectOptionValues{Values: &[]string{"true"}})
		must(t, err)
	}
	must(t, page.GetByTestId("buy-mug").Click())
	must(t, page.WaitForURL(sessionURL))
	id := sessionURL.FindStringSubmatch(page.URL())[1]
	if s := apiSession(t, id); s["routes"].(map[string]any)["saved_card"] != "bbmsl" || s["customer"].(map[string]any)["reference"] == "" {
		t.Fatalf("saved-card session: %v", s)
	}
	return id
}

// addCard goes to the provider's add-card page from the hosted page and
// saves number there; it returns the id of the card the page then selects.
func addCard(t *testing.T, page playwright.Page, number, otp string) string {
	t.Helper()
	remember(number)
	visits := topLevelVisits(page)
	must(t, checkoutqa.AddSavedCard(page, checkoutqa.Card{Number: number, CVC: cvc}, otp))
	if !visited(visits(), app.SandboxURL+"/sandbox/bbmsl/token?") {
		t.Fatalf("no add-card page on the sandbox origin: %v", visits())
	}
	must(t, page.WaitForURL(regexp.MustCompile(`/c/cs_[0-9a-z]+\?.*card_added=1`)))
	selected := page.Locator(`.saved-card[data-selected="true"] button[data-testid^="saved-card-"]`)
	must(t, expect.Locator(selected).ToBeVisible())
	hook, err := selected.GetAttribute("data-testid")
	must(t, err)
	if label := text(t, selected); !strings.Contains(label, number[len(number)-4:]) {
		t.Fatalf("the selected card is %q, not the one just added", label)
	}
	return strings.TrimPrefix(hook, "saved-card-")
}

func TestSavedCardAddThenPayThenReturningShopper(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopSaved(t, page, false)
	card := addCard(t, page, testcards.Visa, "")
	must(t, page.GetByTestId("saved-card-"+card).Click())
	expectResult(t, page, "succeeded")
	p := payments(t, id)[0]
	if p.Method != checkout.MethodSavedCard || p.Provider != "bbmsl" || p.SavedCardID != card || p.Card == nil || p.Card.Last4 != "4242" {
		t.Fatalf("payment: %+v", p)
	}
	if app.Sandbox.BBMSL.Charges(p.ID) != 1 {
		t.Fatalf("charged %d times", app.Sandbox.BBMSL.Charges(p.ID))
	}

	// The same visitor comes back: one click pays.
	id2 := shopSaved(t, page, false)
	must(t, page.GetByTestId("saved-card-"+card).Click())
	expectResult(t, page, "succeeded")
	p2 := payments(t, id2)[0]
	if p2.SavedCardID != card || app.Sandbox.BBMSL.Charges(p2.ID) != 1 {
		t.Fatalf("second payment: %+v", p2)
	}

	// Another visitor (a fresh browser context) does not see the card.
	other := newPage(t)
	shopSaved(t, other, false)
	if n, _ := other.GetByTestId("saved-card-" + card).Count(); n != 0 {
		t.Fatal("another shopper sees the card")
	}
}

func TestSavedCardWithChallengeDeclinedAndRemoved(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopSaved(t, page, false)
	// A card whose issuer declines: saving it passes 3DS, the sale fails.
	declining := addCard(t, page, testcards.ChallengeThenDecline, testcards.ChallengeCode)
	must(t, page.GetByTestId("saved-card-"+declining).Click())
	expectResult(t, page, "failed")
	if p := payments(t, id)[0]; p.Status != checkout.PaymentFailed || p.Decline == nil || app.Sandbox.BBMSL.Charges(p.ID) != 0 {
		t.Fatalf("declined saved card: %+v", p)
	}
	must(t, page.GetByTestId("try-again").Click())
	must(t, page.GetByTestId("remove-saved-card-"+declining).Click())
	must(t, page.WaitForURL(sessionURL))
	if n, _ := page.GetByTestId("saved-card-" + declining).Count(); n != 0 {
		t.Fatal("the removed card is still offered")
	}
	// The new card form still works.
	fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "succeeded")
}

// TestSavedCardRecurringCharge: a subscription paid with a saved card, then
// the merchant charges it again from the demo shop through the API.
func TestSavedCardRecurringCharge(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	id := shopSaved(t, page, true)
	card := addCard(t, page, testcards.Mastercard, "")
	must(t, page.GetByTestId("saved-card-"+card).Click())
	expectResult(t, page, "succeeded")
	parent := payments(t, id)[0]

	must(t, page.GetByTestId("return-to-merchant").Click())
	must(t, page.WaitForURL("**/demo/return**"))
	must(t, page.GetByTestId("charge-again-"+id).Click())
	must(t, page.WaitForURL(app.URL+"/?done=charge"))
	orders := page.Locator(`[data-testid^="order-status-"][data-payment-status="succeeded"]`)
	must(t, expect.Locator(orders).ToHaveCount(2))

	// The renewal is a payment of its own, on its own session, linked to the parent.
	var renewal string
	for _, sid := range orderSessions(t, page) {
		if sid != id {
			renewal = sid
		}
	}
	rp := payments(t, renewal)
	if len(rp) != 1 || rp[0].ID == parent.ID || rp[0].SavedCardID != card || rp[0].Status != checkout.PaymentSucceeded ||
		app.Sandbox.BBMSL.Charges(rp[0].ID) != 1 {
		t.Fatalf("renewal payment: %+v", rp)
	}
	res := apiGet(t, "/v1/customers/"+apiSession(t, id)["customer"].(map[string]any)["reference"].(string)+"/saved_cards")
	if data := res["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != card || data[0].(map[string]any)["last4"] != "4444" {
		t.Fatalf("saved cards over the API: %v", res)
	}
	if app.Sandbox.BBMSL.Charges(parent.ID) != 1 {
		t.Fatal("the parent was charged again")
	}
}

// apiGet reads a merchant API resource with the demo key.
func apiGet(t *testing.T, path string) map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, app.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+app.DemoAPIKey)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
	}
	return out
}

// orderSessions lists the session ids of the demo shop's order list.
func orderSessions(t *testing.T, page playwright.Page) []string {
	t.Helper()
	ids, err := page.Locator(`[data-testid^="order-status-"]`).EvaluateAll(`els => els.map(e => e.dataset.testid.slice("order-status-".length))`)
	must(t, err)
	var out []string
	for _, v := range ids.([]any) {
		out = append(out, v.(string))
	}
	return out
}
