package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/web"
)

// TestEveryDashboardFormRefusesForgery: every POST route under /dashboard
// (found in the route table, so a new form cannot be missed), sent by a
// signed-in admin without its form token, or with it but from another
// site, is a 403; the session's own sign-out still works afterwards.
// (Sign-in, before any session, is covered by TestDashboardSignIn.)
func TestEveryDashboardFormRefusesForgery(t *testing.T) {
	app := dashApp(t)
	b := newDashBrowser(t, app)
	b.signIn(web.DemoDashboardEmail, dashPassword)
	token := b.token(b.do("GET", "/dashboard/payments", nil))
	param := regexp.MustCompile(`:[a-z_]+`)
	n := 0
	for _, r := range app.Echo.Routes() {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Path, "/dashboard/") || r.Path == "/dashboard/sign-in" ||
			r.Path == "/dashboard/sign-in/code" {
			continue
		}
		n++
		path := param.ReplaceAllString(r.Path, "x_1")
		if res := b.do("POST", path, url.Values{"confirm": {"yes"}}); res.Status != http.StatusForbidden {
			t.Errorf("POST %s without its token: %d, want 403", r.Path, res.Status)
		}
		if res := b.do("POST", path, url.Values{"form_token": {token}, "confirm": {"yes"}}, "Sec-Fetch-Site", "cross-site"); res.Status != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", r.Path, res.Status)
		}
		if res := b.do("POST", path, url.Values{"form_token": {token}, "confirm": {"yes"}}, "Origin", "https://evil.example"); res.Status != http.StatusForbidden {
			t.Errorf("POST %s with another Origin: %d, want 403", r.Path, res.Status)
		}
	}
	if n < 15 {
		t.Fatalf("only %d dashboard forms found in the route table", n)
	}
	if res := b.do("GET", "/dashboard/overview", nil); res.Status != 200 {
		t.Fatalf("the session did not survive the refused posts: %d", res.Status)
	}
}
