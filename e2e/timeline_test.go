package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// TestTimelineOfAChallengePayment: a merchant's shopper pays with the
// challenge card through the hosted page in a real browser (device data
// collection, then the challenge in our iframe), and the merchant reads the
// session's timeline over the API with its own key: every step, in the
// order it happened, from the page's first view to the webhook that told
// the merchant, each step the page's script reported recorded once, and
// nothing of the card beyond its brand and last 4.
func TestTimelineOfAChallengePayment(t *testing.T) {
	t.Parallel()
	site := newMerchantSite(t)
	m := createMerchantWithCLI(t, site.localhost, site.URL+"/hooks")
	s := m.createSession(t)

	page := newPage(t)
	must(t, goto_(page, s.url))
	fillCard(t, page, testcards.Challenge, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	passChallenge(t, page, testcards.ChallengeCode)
	expectResult(t, page, "succeeded")
	site.expectWebhook(t, m.webhookSecret, "checkout.session.completed", s.id)

	// The webhook's delivery attempt reaches the timeline once recorded.
	var entries []map[string]any
	var body string
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries, body = m.timeline(t, s.id)
		if delivered(entries, "checkout.session.completed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivered checkout.session.completed on the timeline: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	want := []string{"session.created", "page.viewed", "payment.submitted", "provider.call", "device_data.started",
		"device_data.completed", "provider.call", "challenge.shown", "challenge.returned", "provider.call",
		"session.completed", "webhook.sent"}
	var kinds []string
	i := 0
	for _, e := range entries {
		kind := fmt.Sprint(e["kind"])
		kinds = append(kinds, kind)
		if i < len(want) && kind == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("the timeline lacks %s (after %v) in order: %v", want[i], want[:i], kinds)
	}
	counts := map[string]int{}
	for _, e := range entries {
		counts[fmt.Sprint(e["kind"])]++
		switch e["kind"] {
		case "payment.submitted":
			if card := fmt.Sprint(e["card"]); card != "map[brand:visa last4:3220]" || e["method"] != "card" {
				t.Errorf("payment.submitted: method %v, card %s", e["method"], card)
			}
		case "challenge.returned", "device_data.completed":
			if ms, ok := e["duration_ms"].(float64); !ok || ms < 0 {
				t.Errorf("%s without its duration: %v", e["kind"], e)
			}
		case "provider.call":
			if _, ok := e["duration_ms"].(float64); !ok || e["provider"] != "payorder" {
				t.Errorf("provider.call: %v", e)
			}
		}
	}
	for _, once := range []string{"page.viewed", "device_data.started", "device_data.completed", "challenge.shown", "challenge.returned", "session.completed"} {
		if counts[once] != 1 {
			t.Errorf("%d %s entries, want 1: %v", counts[once], once, kinds)
		}
	}
	for _, leak := range []string{testcards.Challenge, "400000", `"` + cvc + `"`, m.key, m.webhookSecret, "eyJ"} {
		if strings.Contains(body, leak) {
			t.Errorf("the timeline shows %q", leak)
		}
	}
}

// delivered reports whether the entries show a webhook of type typ whose
// delivery succeeded.
func delivered(entries []map[string]any, typ string) bool {
	for _, e := range entries {
		if e["kind"] == "webhook.sent" && e["event_type"] == typ && e["status"] == "succeeded" {
			if attempts, _ := e["attempts"].([]any); len(attempts) > 0 {
				return true
			}
		}
	}
	return false
}

// timeline reads a session's whole timeline with the merchant's key, and
// the answer as sent.
func (m *cliMerchant) timeline(t *testing.T, id string) ([]map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, app.URL+"/v1/checkout/sessions/"+id+"/timeline", nil)
	req.Header.Set("Authorization", "Bearer "+m.key)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(t, err)
	var page struct {
		Data    []map[string]any `json:"data"`
		HasMore bool             `json:"has_more"`
	}
	if err := json.Unmarshal(body, &page); err != nil || res.StatusCode != http.StatusOK || page.HasMore {
		t.Fatalf("GET timeline: %d, has_more %v: %s", res.StatusCode, page.HasMore, body)
	}
	return page.Data, string(body)
}
