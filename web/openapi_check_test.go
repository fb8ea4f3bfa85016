package web_test

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/opencheckout/hostedcheckout/web/openapi"
)

// The OpenAPI check of the tests (web/openapi.Doc.Check): MustApp and
// sharedApp install it on every app (Config.CheckAPI), so that every
// request these tests send to /v1/..., the demo shop's calls over HTTP
// included, and every answer they get is validated against the document.
// A mismatch fails the test that met it.

// openAPIDoc is the document the tests check against. It requires
// livemode on every object (issue 15, point 7), which this server does not
// send yet: until it does, the check leaves livemode out of the required
// lists (a livemode that is sent must still be a boolean).
// TestLivemodeIsStillPending says when to drop WithoutRequired.
var openAPIDoc = sync.OnceValues(func() (*openapi.Doc, error) {
	d, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	return d.WithoutRequired("livemode")
})

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
	code := m.Run()
	sharedChecks.Lock()
	for _, err := range sharedChecks.orphans {
		fmt.Fprintf(os.Stderr, "OpenAPI mismatch on the shared app outside any test: %v\n", err)
		code = 1
	}
	sharedChecks.Unlock()
	os.Exit(code)
}

// livemode is still to come on this server (see openAPIDoc): the day a
// session carries it, this test fails to say that the check's relaxation
// must go.
func TestLivemodeIsStillPending(t *testing.T) {
	app := sharedApp(t)
	s := mustCreateSession(t, app, validSession())
	if _, ok := s["livemode"]; ok {
		t.Fatal("sessions carry livemode now: drop WithoutRequired(\"livemode\") from openAPIDoc, so that the OpenAPI check requires it")
	}
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
