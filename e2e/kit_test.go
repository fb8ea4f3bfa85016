package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/qa"
	"github.com/opencheckout/hostedcheckout/qa/checkoutqa"
)

// TestKitChoosesTheMethod: on a page offering card and wallet behind
// visible radios (the form of each hidden until its radio is chosen), the
// kit's FillCard and StartWallet choose first; on a page with one method
// they do not wait for a choice. Synthetic pages, no server.
func TestKitChoosesTheMethod(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	page.SetDefaultTimeout(3000)
	const choice = `<style>.m{display:none} :checked + .m{display:block}</style>
<input type="radio" name="m" data-testid="payment-method-card"><div class="m">
<input data-testid="card-number"><input data-testid="card-expiry"><input data-testid="card-cvc"><input data-testid="cardholder-name"></div>
<input type="radio" name="m" data-testid="payment-method-wallet-option"><div class="m">
<button data-testid="payment-method-wallet" onclick="this.dataset.pressed=1">Pay with wallet</button></div>`
	must(t, page.SetContent(choice))
	must(t, checkoutqa.FillCard(page, checkoutqa.Card{Number: "4242424242424242"}))
	if v, _ := page.GetByTestId("card-number").InputValue(); v != "4242424242424242" {
		t.Fatalf("card-number %q", v)
	}
	if v, _ := page.GetByTestId("cardholder-name").InputValue(); v != "Ada Lovelace" {
		t.Fatalf("cardholder-name %q", v)
	}
	must(t, checkoutqa.StartWallet(page))
	if p, _ := page.GetByTestId("payment-method-wallet").GetAttribute("data-pressed"); p != "1" {
		t.Fatal("the wallet button was not pressed")
	}

	// One method: no visible chooser (a hidden element with the hook is
	// none), and nothing waits for one. A kit that waited for the radio
	// would wait out the page's 30 s timeout; typing four fields takes far
	// less even on a busy machine.
	page.SetDefaultTimeout(30_000)
	must(t, page.SetContent(`<input type="hidden" data-testid="payment-method-card">
<input data-testid="card-number"><input data-testid="card-expiry"><input data-testid="card-cvc"><input data-testid="cardholder-name">`))
	start := time.Now()
	must(t, checkoutqa.FillCard(page, checkoutqa.Card{Number: "5555555555554444", Name: "REFUSED"}))
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("FillCard waited %s on a page without a choice", d)
	}
	if v, _ := page.GetByTestId("cardholder-name").InputValue(); v != "REFUSED" {
		t.Fatalf("cardholder-name %q", v)
	}
}

// TestKitWaitsPastPending: WaitForResult follows a pending result to its
// final status, and answers pending when the timeout comes first.
func TestKitWaitsPastPending(t *testing.T) {
	t.Parallel()
	page := newPage(t)
	const pending = `<h1 data-testid="result-status" data-status="pending">Waiting</h1>`
	must(t, page.SetContent(pending+`<script>setTimeout(() => {
		document.querySelector("h1").outerHTML = '<h1 data-testid="result-status" data-status="succeeded">Paid</h1>'}, 700)</script>`))
	if got, err := checkoutqa.WaitForResult(page, 20*time.Second); err != nil || got != "succeeded" {
		t.Fatalf("after pending: %q, %v", got, err)
	}
	must(t, page.SetContent(pending))
	start := time.Now()
	// Pending only once the timeout has run out (less a little: the
	// driver's timer, not this clock, ends the wait).
	if got, err := checkoutqa.WaitForResult(page, time.Second); err != nil || got != "pending" || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("still pending: %q, %v after %s", got, err, time.Since(start))
	}
	must(t, page.SetContent(`<h1 data-testid="error-heading">Too many requests</h1>`))
	if _, err := checkoutqa.WaitForResult(page, time.Second); err == nil {
		t.Fatal("an error page is no result")
	}
}

// TestKitFetchesTheServedCatalogue: GET /sandbox/scenarios serves the
// catalogue the kit embeds.
func TestKitFetchesTheServedCatalogue(t *testing.T) {
	t.Parallel()
	got, err := checkoutqa.FetchScenarios(context.Background(), app.URL)
	must(t, err)
	want, err := qa.Load()
	must(t, err)
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("served %s\nembedded %s", a, b)
	}
}
