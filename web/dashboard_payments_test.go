package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/web"
)

// TestDashboardPaymentsSearchAndFilters: the payments list finds a
// session by its card's last 4 digits, goes straight to a session's page
// from its id or its payment's id (not another merchant's), and filters
// by provider and by UTC days; a filter it cannot use is an inline 422.
func TestDashboardPaymentsSearchAndFilters(t *testing.T) {
	app := dashApp(t)
	sid, pid := payWorldline(t, app, "automatic", "5555555555554444")
	body := validSession()
	body["provider"] = "payorder"
	other := mustCreateSession(t, app, body)["id"].(string)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	list := func(q url.Values) response {
		t.Helper()
		return b.do("GET", "/dashboard/payments?"+q.Encode(), nil)
	}
	rows := func(res response) []string {
		t.Helper()
		if res.Status != 200 {
			t.Fatalf("list: %d %s", res.Status, res.Body)
		}
		var ids []string
		testID(t, res, "sessions-table").Find("tbody tr").Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-testid")
			ids = append(ids, id[len("session-row-"):])
		})
		return ids
	}
	if got := rows(list(url.Values{"q": {"4444"}})); len(got) != 1 || got[0] != sid {
		t.Fatalf("last 4 search: %v, want only %s", got, sid)
	}
	// The same filters on the merchant API's list.
	if res := api(t, app, http.MethodGet, "/v1/checkout/sessions?card_last4=4444&provider=worldline", nil); res.Status != 200 ||
		len(res.JSON(t)["data"].([]any)) != 1 || res.JSON(t)["data"].([]any)[0].(map[string]any)["id"] != sid {
		t.Fatalf("API card_last4 and provider: %d %s", res.Status, res.Body)
	}
	for _, bad := range []string{"card_last4=44a4", "provider=nope"} {
		if res := api(t, app, http.MethodGet, "/v1/checkout/sessions?"+bad, nil); res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("API %s: %d", bad, res.Status)
		}
	}
	for _, id := range []string{sid, pid} {
		if res := list(url.Values{"q": {id}}); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/payments/"+sid {
			t.Fatalf("search %s: %d %s", id, res.Status, res.Header.Get("Location"))
		}
	}
	_, key := mustOtherMerchant(t, app)
	theirs := api(t, app, http.MethodPost, "/v1/checkout/sessions", validSession(), "Authorization", "Bearer "+key).JSON(t)["id"].(string)
	if res := list(url.Values{"q": {theirs}}); res.Status != http.StatusNotFound || testID(t, res, "dashboard-error").Length() != 1 {
		t.Fatalf("another merchant's session id: %d", res.Status)
	}
	worldline := rows(list(url.Values{"provider": {"worldline"}}))
	for _, id := range worldline {
		if id == other {
			t.Fatalf("the payOrder session is in the Worldline list %v", worldline)
		}
	}
	if len(worldline) == 0 || worldline[0] != sid {
		t.Fatalf("provider filter: %v", worldline)
	}
	today := app.Service.Now().UTC().Format(time.DateOnly)
	yesterday := app.Service.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	if got := rows(list(url.Values{"from": {today}, "to": {today}, "provider": {"payorder"}})); len(got) == 0 || got[0] != other {
		t.Fatalf("today's payOrder sessions: %v", got)
	}
	if res := list(url.Values{"to": {yesterday}}); res.Status != 200 || testID(t, res, "sessions-empty").Length() != 1 {
		t.Fatalf("until yesterday: %d, want none", res.Status)
	}
	for _, bad := range []url.Values{{"provider": {"nope"}}, {"from": {"31/12/2026"}}, {"from": {today}, "to": {yesterday}}} {
		if res := list(bad); res.Status != http.StatusUnprocessableEntity || testID(t, res, "dashboard-error").Length() != 1 {
			t.Errorf("%v: %d, want an inline 422", bad, res.Status)
		}
	}
}
