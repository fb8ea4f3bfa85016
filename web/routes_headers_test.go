package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/static"
)

// routeCase is one registered route and method, and the request that
// exercises it.
type routeCase struct {
	method, route string // as registered
	target        string // path and query the request goes to
	api           bool   // the merchant API: sent with the test key
	sandbox       bool   // a provider sandbox: plays a third party
}

// TestHeadersOnEveryRoute walks the live route table, so that a route added
// later is covered without touching this test, and sends each route and
// method one plausible request (shopper POSTs without a form token, so
// mostly errors). It proves that every answer of ours, success or error,
// is never a 5xx and carries nosniff, Referrer-Policy no-referrer and a CSP
// with default-src, object-src and base-uri 'none' and frame-ancestors
// 'none' (the challenge-return POST: 'self'); that every /c/ path and every
// HTML answer is no-store while static assets and /embed.js keep their own
// caching; that only the demo shop (the simulated merchant) sets a cookie;
// and that no body shows a stack trace. The provider sandboxes set their
// own headers; of them it asks only no cookie, no 5xx and no stack trace.
func TestHeadersOnEveryRoute(t *testing.T) {
	app := sharedApp(t)
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	asset := static.URL("checkout.js")

	params := map[string]string{
		"id":        sid,
		"pid":       "pay_" + strings.Repeat("a", 32),
		"provider":  "worldline",
		"reference": "cust-1",
		"cid":       "card_1",
		"action":    "capture",
	}
	// Plausible query strings, where a page expects one.
	queries := map[string]string{
		"/demo/return":        checkout.ReturnValues(sid, "open", "unpaid", time.Now(), app.DemoReturnSecret).Encode(),
		"/c/:id/cards/return": "result=added",
	}

	var cases []routeCase
	for _, r := range app.Echo.Routes() {
		if strings.HasPrefix(r.Method, "echo_") { // echo's internal routes (RouteNotFound)
			continue
		}
		tc := routeCase{method: r.Method, route: r.Path, api: strings.HasPrefix(r.Path, "/v1/"),
			sandbox: strings.HasPrefix(r.Path, "/sandbox/")}
		if tc.sandbox && r.Method != http.MethodGet && r.Method != http.MethodPost {
			continue // e.Any mounts: GET and POST are enough to see what they send
		}
		if r.Method == http.MethodConnect {
			t.Logf("%s %s: CONNECT not exercised", r.Method, r.Path)
			continue
		}
		segs := strings.Split(r.Path, "/")
		for i, s := range segs {
			switch {
			case s == "*" && strings.HasPrefix(r.Path, static.Prefix):
				segs[i] = strings.TrimPrefix(asset, static.Prefix)
			case s == "*":
				segs[i] = "nothing-here"
			case strings.HasPrefix(s, ":"):
				v, ok := params[s[1:]]
				if !ok {
					v = "x_" + s[1:] + "_garbage"
				}
				segs[i] = v
			}
		}
		tc.target = strings.Join(segs, "/")
		if q := queries[r.Path]; q != "" {
			tc.target += "?" + q
		}
		cases = append(cases, tc)
	}
	sort.Slice(cases, func(i, j int) bool {
		return cases[i].route+" "+cases[i].method < cases[j].route+" "+cases[j].method
	})

	// The routes this test knows of, so the loop cannot silently shrink.
	own := 0
	for _, tc := range cases {
		if !tc.sandbox {
			own++
		}
	}
	if own < 30 {
		t.Fatalf("only %d routes of ours in the table; the walk must cover at least the 30 known", own)
	}
	for _, must := range []string{"GET /c/:id", "POST /c/:id/pay", "GET /v1/checkout/sessions/:id", "GET " + static.Prefix + "*", "GET /embed.js", "POST /notify/:provider"} {
		if !slices.ContainsFunc(cases, func(tc routeCase) bool { return tc.method+" "+tc.route == must }) {
			t.Errorf("route %s is not in the table", must)
		}
	}

	for _, tc := range cases {
		t.Run(tc.method+" "+tc.route, func(t *testing.T) {
			var res response
			switch {
			case tc.api:
				var body any
				if tc.method == http.MethodPost {
					body = "{}"
				}
				res = api(t, app, tc.method, tc.target, body)
			case tc.method == http.MethodPost:
				res = do(t, tc.method, app.URL+tc.target, nil, "Content-Type", "application/x-www-form-urlencoded")
			default:
				res = do(t, tc.method, app.URL+tc.target, nil)
			}
			h := res.Header
			desc := fmt.Sprintf("%s %s -> %d", tc.method, tc.target, res.Status)
			t.Log(desc)

			if res.Status >= 500 {
				t.Errorf("%s: a server error: %.300s", desc, res.Body)
			}
			for _, leak := range []string{"goroutine", ".go:", "panic("} {
				if strings.Contains(string(res.Body), leak) {
					t.Errorf("%s: body shows %q: %.300s", desc, leak, res.Body)
				}
			}
			// Cookies: the demo shop's, and the dashboard's own (only its
			// __Host- session cookie, host-only, Secure, HttpOnly, Lax).
			if c := h.Values("Set-Cookie"); len(c) > 0 && !(tc.route == "/" || strings.HasPrefix(tc.route, "/demo/")) {
				dashboard := strings.HasPrefix(tc.route, handlers.DashboardPrefix)
				for _, v := range c {
					if !dashboard || !strings.HasPrefix(v, "__Host-dashboard=") || !strings.Contains(v, "; Secure") ||
						!strings.Contains(v, "; HttpOnly") || !strings.Contains(v, "; SameSite=Lax") || strings.Contains(v, "Domain=") {
						t.Errorf("%s: Set-Cookie %q on a route that is not the demo shop's or the dashboard's own", desc, v)
					}
				}
			}
			if tc.sandbox {
				return
			}

			for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
				if got := h.Get(name); got != want {
					t.Errorf("%s: %s %q, want %q", desc, name, got, want)
				}
			}

			raw := h.Get("Content-Security-Policy")
			csp := parseCSP(t, raw)
			ancestors := "'none'"
			if tc.method == http.MethodPost && tc.route == "/c/:id/payments/:pid/return" {
				ancestors = "'self'" // answers inside our own challenge iframe
			}
			for directive, want := range map[string]string{"default-src": "'none'", "object-src": "'none'",
				"base-uri": "'none'", "frame-ancestors": ancestors} {
				if got := csp[directive]; !slices.Equal(got, []string{want}) {
					t.Errorf("%s: %s %q, want %s (CSP %q)", desc, directive, got, want, raw)
				}
			}

			cc := strings.ToLower(h.Get("Cache-Control"))
			noStore := slices.Contains(strings.Split(strings.ReplaceAll(cc, " ", ""), ","), "no-store")
			switch {
			case strings.HasPrefix(tc.route, static.Prefix):
				if !strings.Contains(cc, "immutable") {
					t.Errorf("%s: static asset Cache-Control %q, want its long-lived immutable caching", desc, cc)
				}
			case tc.route == "/embed.js":
				if !strings.Contains(cc, "max-age=") || noStore {
					t.Errorf("%s: /embed.js Cache-Control %q, want its own short caching", desc, cc)
				}
			case strings.HasPrefix(tc.route, "/c/") || strings.HasPrefix(h.Get("Content-Type"), "text/html"):
				if !noStore {
					t.Errorf("%s: Cache-Control %q, want no-store (Content-Type %q)", desc, cc, h.Get("Content-Type"))
				}
			}
		})
	}
}
