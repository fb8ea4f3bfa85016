// Package registry describes a payment provider to the server: its name, the
// configuration variables live mode reads and how they become the adapter,
// what it can do, and how sandbox mode starts its simulator. Each provider's
// package declares its Descriptor and its sandbox package a Start function;
// the server's one list (web/registry.go) pairs them. Adding a provider is
// its own packages plus one line in that list.
package registry

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Var is one configuration variable of a provider.
type Var struct {
	Env      string // e.g. CHECKOUT_WORLDLINE_BASE_URL
	Optional bool   // live mode runs the provider without it
}

// Vars are the values of a provider's variables, by Env name.
type Vars map[string]string

// Env is what every adapter is built with, whatever its provider.
type Env struct {
	HTTPClient *http.Client
	Now        func() time.Time
	// NotFoundAfter is how long after a payment's creation a provider's
	// "no such payment" is believed (see checkout.Provider).
	NotFoundAfter time.Duration
}

// Descriptor is everything the server needs to know of a provider.
type Descriptor struct {
	Name string // the name merchants and sessions use, e.g. "worldline"
	Vars []Var  // the configuration variables; the README's table says what each is
	// Capabilities are what the adapter serves as configured by default:
	// methods, currencies, manual capture. (Refunds and cancels are the
	// checkout.Refunder and checkout.Canceler interfaces.)
	Capabilities checkout.Capabilities
	Refunds      bool // the adapter implements checkout.Refunder
	Cancels      bool // the adapter implements checkout.Canceler
	// New builds the adapter from the variables' values, in live mode from
	// the environment, in sandbox mode from what Start returned.
	New func(v Vars, env Env) (checkout.Provider, error)
	// Sandbox starts the provider's simulator (set by the server's list,
	// from the sandbox package: the adapter's package cannot import it).
	Sandbox func(SandboxEnv) (*Started, error)
}

// SandboxEnv is what a sandbox is started with.
type SandboxEnv struct {
	// PublicURL is the sandbox's mount point as browsers reach it;
	// InternalURL as the adapter reaches it (this process).
	PublicURL, InternalURL string
	// NotifyURL is where the sandbox sends the provider's notifications.
	NotifyURL  string
	HTTPClient *http.Client
	Now        func() time.Time
	// ActionTimeout is how long the sandbox keeps a payment waiting for
	// the shopper (a redirect, a challenge, device data collection, a
	// hosted page, a wallet's cashier) before it expires it as failed,
	// with nothing charged, as providers do with an authentication nobody
	// finished; 0 is DefaultActionTimeout.
	ActionTimeout time.Duration
}

// DefaultActionTimeout is how long a sandbox waits for the shopper by
// default (SandboxEnv.ActionTimeout): the 15 minutes Alipay+ documents for
// an unpaid order, used for every provider's sandbox.
const DefaultActionTimeout = 15 * time.Minute

// ActionTimeoutOr is timeout, or DefaultActionTimeout when it is 0 or less.
func ActionTimeoutOr(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return DefaultActionTimeout
	}
	return timeout
}

// Sandbox is a running simulator: an HTTP handler mounted at MountPath.
type Sandbox interface {
	http.Handler
	Close() error
}

// Started is a sandbox and the variables that point the adapter at it
// (fresh credentials each start), so that sandbox mode builds the adapter
// with the same New as live mode.
type Started struct {
	Sandbox Sandbox
	Vars    Vars
	// NotFoundAfter replaces Env.NotFoundAfter when set: a sandbox that
	// stores a payment before it answers can be believed sooner.
	NotFoundAfter time.Duration
}

// MountPath is where a provider's sandbox is mounted: /sandbox/{name}.
func MountPath(name string) string { return "/sandbox/" + name }

// Missing lists the required variables of d that v leaves empty, sorted.
func (d Descriptor) Missing(v Vars) []string {
	var out []string
	for _, x := range d.Vars {
		if !x.Optional && v[x.Env] == "" {
			out = append(out, x.Env)
		}
	}
	sort.Strings(out)
	return out
}

// List is the providers a server knows, in the order the server offers
// them (the first is the default provider).
type List []Descriptor

// Find returns the descriptor named name.
func (l List) Find(name string) (Descriptor, bool) {
	for _, d := range l {
		if d.Name == name {
			return d, true
		}
	}
	return Descriptor{}, false
}

// Names are the providers' names, in the list's order.
func (l List) Names() []string {
	out := make([]string, len(l))
	for i, d := range l {
		out[i] = d.Name
	}
	return out
}

// String is the names, comma-separated, for messages.
func (l List) String() string { return strings.Join(l.Names(), ", ") }

// Check reports a list a server cannot run: an empty or repeated name, a
// descriptor without New or Sandbox, a variable named twice.
func (l List) Check() error {
	names, vars := map[string]bool{}, map[string]bool{}
	for _, d := range l {
		if d.Name == "" || names[d.Name] {
			return errors.New("registry: empty or repeated provider name " + d.Name)
		}
		names[d.Name] = true
		if d.New == nil || d.Sandbox == nil {
			return errors.New("registry: provider " + d.Name + " needs New and Sandbox")
		}
		for _, v := range d.Vars {
			if vars[v.Env] {
				return errors.New("registry: variable " + v.Env + " named twice")
			}
			vars[v.Env] = true
		}
	}
	return nil
}

// With is d with its sandbox's Start: the server's list is made of these.
func With(d Descriptor, start func(SandboxEnv) (*Started, error)) Descriptor {
	d.Sandbox = start
	return d
}
