package web_test

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/web/openapi"
)

// The OpenAPI check of the tests (web/openapi.Doc.Check): MustApp and
// sharedApp install it on every app (Config.CheckAPI), so that every
// request these tests send to /v1/..., the demo shop's calls over HTTP
// included, and every answer they get is validated against the document.
// A mismatch fails the test that met it.

// openAPIDoc is the document the tests check against: the served one.
var openAPIDoc = sync.OnceValues(openapi.Load)

// checkAPI is the Config.CheckAPI of a test app: report gets each mismatch.
func checkAPI(tb testing.TB, report func(error)) func(http.Handler) http.Handler {
	tb.Helper()
	doc, err := openAPIDoc()
	if err != nil {
		tb.Fatal(err)
	}
	return func(h http.Handler) http.Handler { return doc.Check(h, report) }
}

// sharedChecks sends the shared app's mismatches to the test using it
// (those tests do not run in parallel); one that comes while no test uses
// it fails the whole run (TestMain).
var sharedChecks checkReports

type checkReports struct {
	sync.Mutex
	t       testing.TB // the test using the shared app
	orphans []error
}

// use makes t the test the shared app's mismatches fail, until it ends.
func (s *checkReports) use(t testing.TB) {
	s.Lock()
	s.t = t
	s.Unlock()
	t.Cleanup(func() {
		s.Lock()
		if s.t == t {
			s.t = nil
		}
		s.Unlock()
	})
}

func reportShared(err error) {
	sharedChecks.Lock()
	defer sharedChecks.Unlock()
	if sharedChecks.t != nil {
		sharedChecks.t.Errorf("%v", err)
		return
	}
	sharedChecks.orphans = append(sharedChecks.orphans, err)
}

func TestMain(m *testing.M) {
	code := pgtest.Main(m, &pgCluster)
	sharedChecks.Lock()
	for _, err := range sharedChecks.orphans {
		fmt.Fprintf(os.Stderr, "OpenAPI mismatch on the shared app outside any test: %v\n", err)
		code = 1
	}
	sharedChecks.Unlock()
	os.Exit(code)
}

// checkWebhook fails tb when a webhook, as a merchant's endpoint received
// it, does not match the document's webhooks section.
func checkWebhook(tb testing.TB, header http.Header, body []byte) {
	doc, err := openAPIDoc()
	if err == nil {
		err = doc.CheckWebhook(header, body)
	}
	if err != nil && tb != nil {
		tb.Errorf("%v", err)
	}
}
