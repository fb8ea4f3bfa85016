package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/web"
)

// pgCluster is the web tests' PostgreSQL (pgtest.Main in TestMain).
var pgCluster *pgtest.Cluster

// onPostgres is a MustApp option: the app on a PostgreSQL database (a
// fresh one unless url names one, for instances that share it).
func onPostgres(t *testing.T, url *string) func(*web.Config) {
	t.Helper()
	if pgCluster == nil {
		t.Skip("no PostgreSQL (pgtest); CI fails instead")
	}
	if *url == "" {
		*url = pgCluster.NewDatabase(t)
	}
	u := *url
	return func(c *web.Config) { c.DatabaseURL = u }
}

// TestInstancesShareTheLimits: two instances on one PostgreSQL count one
// merchant's API requests together: with 3 a second allowed, requests
// alternating between the instances are refused from the fourth, as one
// process would refuse them; the per-session page limit likewise.
func TestInstancesShareTheLimits(t *testing.T) {
	var url string
	a := MustApp(t, nil, onPostgres(t, &url), func(c *web.Config) { c.APILimitPerSecond = 3 })
	b := MustApp(t, nil, onPostgres(t, &url), func(c *web.Config) { c.APILimitPerSecond = 3 })
	statuses := []int{}
	start := time.Now()
	for i := range 6 {
		app := a
		if i%2 == 1 {
			app = b
		}
		statuses = append(statuses, api(t, app, http.MethodGet, "/v1/merchant", nil).Status)
	}
	refused := 0
	for _, s := range statuses {
		if s == http.StatusTooManyRequests {
			refused++
		}
	}
	// Within one second: 3 pass, 3 are refused (a second boundary may
	// fall in between and let one or two more through; never all six).
	if refused == 0 || statuses[0] != 200 || statuses[1] != 200 || time.Since(start) < 900*time.Millisecond && refused != 3 {
		t.Fatalf("statuses across two instances %v in %v: the limit is not shared", statuses, time.Since(start))
	}

	var url2 string
	c := MustApp(t, nil, onPostgres(t, &url2), func(c *web.Config) { c.SessionRequestsPerMinute = 4 })
	d := MustApp(t, nil, onPostgres(t, &url2), func(c *web.Config) { c.SessionRequestsPerMinute = 4 })
	sid := mustCreateSession(t, c, validSession())["id"].(string)
	var pages []int
	for i := range 6 {
		app := c
		if i%2 == 1 {
			app = d
		}
		pages = append(pages, do(t, "GET", app.URL+"/c/"+sid, nil).Status)
	}
	if pages[3] != 200 || pages[4] != http.StatusTooManyRequests || pages[5] != http.StatusTooManyRequests {
		t.Fatalf("a session's pages across two instances %v, want 4 served and then 429", pages)
	}
}
