package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxset"
)

// mountSandboxes serves each sandbox under its registry.MountPath.
func mountSandboxes(e *echo.Echo, s *sandboxset.Set) {
	for _, name := range s.Names() {
		sb, _ := s.Get(name)
		mount := registry.MountPath(name)
		e.Any(mount+"/*", echo.WrapHandler(http.StripPrefix(mount, sb)))
	}
}

// buildProviders configures every provider adapter of the registry: against
// its sandbox in sandbox mode, against the real provider in live mode (only
// the providers whose settings are present). Both go through the
// descriptor's New, from the variables' values.
func (a *App) buildProviders() (map[string]checkout.Provider, error) {
	if err := Providers.Check(); err != nil {
		return nil, err
	}
	env := registry.Env{
		HTTPClient:    &http.Client{Timeout: a.Config.ProviderTimeout},
		Now:           a.Config.Now,
		NotFoundAfter: a.Config.ProviderNotFoundAfter,
	}
	providers := map[string]checkout.Provider{}
	sandboxes := map[string]registry.Sandbox{}
	for _, d := range Providers {
		vars, env := a.Config.ProviderVars[d.Name], env
		if a.Config.Mode == ModeSandbox {
			// The sandbox runs in this process: the adapter calls it
			// directly (InternalURL), browsers at the public sandbox URL.
			started, err := d.Sandbox(registry.SandboxEnv{
				PublicURL:   a.SandboxURL + registry.MountPath(d.Name),
				InternalURL: a.InternalURL + registry.MountPath(d.Name),
				NotifyURL:   a.InternalURL + handlers.NotifyPath(d.Name),
				HTTPClient:  &http.Client{Timeout: a.Config.ProviderTimeout},
				Now:         a.Config.Now,
			})
			if err != nil {
				return nil, err
			}
			sandboxes[d.Name] = started.Sandbox
			vars = started.Vars
			if a.SandboxVars == nil {
				a.SandboxVars = map[string]registry.Vars{}
			}
			a.SandboxVars[d.Name] = started.Vars
			if started.NotFoundAfter > 0 {
				env.NotFoundAfter = started.NotFoundAfter
			}
		} else if len(d.Missing(vars)) > 0 {
			continue
		}
		p, err := d.New(vars, env)
		if err != nil {
			return nil, err
		}
		providers[d.Name] = p
	}
	if a.Config.Mode == ModeSandbox {
		a.Sandbox = sandboxset.New(sandboxes)
	}
	return providers, nil
}
