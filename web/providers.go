package web

import (
	"net/http"
	"path"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxset"
	"github.com/opencheckout/hostedcheckout/qa"
)

// mountSandboxes serves each sandbox under its registry.MountPath. On a
// live server (faults false) they serve test keys' payments only, and their
// fault switches (/_faults, for tests) are not served: one test merchant
// cannot make the others' test payments fail.
func mountSandboxes(e *echo.Echo, s *sandboxset.Set, faults bool) {
	for _, name := range s.Names() {
		sb, _ := s.Get(name)
		mount := registry.MountPath(name)
		var h http.Handler = sb
		if !faults {
			h = withoutFaults(h)
		}
		e.Any(mount+"/*", echo.WrapHandler(http.StripPrefix(mount, h)))
	}
	// The scenario catalogue (qa/scenarios.json): what each sandbox does
	// with each test card, name, amount and wallet action.
	e.GET("/sandbox/scenarios", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, qa.JSON())
	})
}

func withoutFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Clean(r.URL.Path) == "/_faults" {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// buildProviders configures every provider adapter of the registry: against
// its sandbox in sandbox mode, against the real provider in live mode (only
// the providers whose settings are present). Both go through the
// descriptor's New, from the variables' values. In live mode the sandboxes
// run too, for test keys only: test is the second set, the adapters of
// test-mode sessions, which never reach a real provider.
func (a *App) buildProviders() (live, test map[string]checkout.Provider, err error) {
	if err := Providers.Check(); err != nil {
		return nil, nil, err
	}
	env := registry.Env{
		HTTPClient:    &http.Client{Timeout: a.Config.ProviderTimeout},
		Now:           a.Config.Now,
		NotFoundAfter: a.Config.ProviderNotFoundAfter,
	}
	sandboxMode := a.Config.Mode == ModeSandbox
	live, test = map[string]checkout.Provider{}, map[string]checkout.Provider{}
	sandboxes := map[string]registry.Sandbox{}
	for _, d := range Providers {
		// The sandbox runs in this process: the adapter calls it directly
		// (InternalURL), browsers at the public sandbox URL. On a live
		// server its notifications come to the test route, which only
		// ever reaches test payments.
		notify := handlers.NotifyPath(d.Name)
		if !sandboxMode {
			notify = handlers.NotifyTestPath(d.Name)
		}
		started, err := d.Sandbox(registry.SandboxEnv{
			PublicURL:   a.SandboxURL + registry.MountPath(d.Name),
			InternalURL: a.InternalURL + registry.MountPath(d.Name),
			NotifyURL:   a.InternalURL + notify,
			HTTPClient:  &http.Client{Timeout: a.Config.ProviderTimeout},
			Now:         a.Config.Now,
		})
		if err != nil {
			return nil, nil, err
		}
		sandboxes[d.Name] = started.Sandbox
		if a.SandboxVars == nil {
			a.SandboxVars = map[string]registry.Vars{}
		}
		a.SandboxVars[d.Name] = started.Vars
		sandboxEnv := env
		if started.NotFoundAfter > 0 {
			sandboxEnv.NotFoundAfter = started.NotFoundAfter
		}
		if test[d.Name], err = d.New(started.Vars, sandboxEnv); err != nil {
			return nil, nil, err
		}
		if sandboxMode {
			continue
		}
		vars := a.Config.ProviderVars[d.Name]
		if len(d.Missing(vars)) > 0 {
			continue
		}
		if live[d.Name], err = d.New(vars, env); err != nil {
			return nil, nil, err
		}
	}
	a.Sandbox = sandboxset.New(sandboxes)
	if sandboxMode {
		// Every merchant of a sandbox server is a test one: the
		// sandboxes are its only providers.
		return test, nil, nil
	}
	return live, test, nil
}
