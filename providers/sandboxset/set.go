// Package sandboxset holds the running provider sandboxes of a server in
// sandbox mode, by name, with a typed field for each of ours so that tests
// can ask a sandbox what happened (charges, orders, deliveries). A new
// provider's sandbox works without a field here; add one when its tests
// need to look inside it.
package sandboxset

import (
	"sort"

	"github.com/opencheckout/hostedcheckout/providers/alipayplus"
	apsandbox "github.com/opencheckout/hostedcheckout/providers/alipayplus/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/antom"
	amsandbox "github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	bbsandbox "github.com/opencheckout/hostedcheckout/providers/bbmsl/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	posandbox "github.com/opencheckout/hostedcheckout/providers/payorder/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
)

// Set is the running sandboxes.
type Set struct {
	Payorder   *posandbox.Sandbox
	Worldline  *wlsandbox.Sandbox
	AlipayPlus *apsandbox.Sandbox
	Antom      *amsandbox.Sandbox
	BBMSL      *bbsandbox.Sandbox
	byName     map[string]registry.Sandbox
}

// New is the set of the sandboxes in byName (provider name to sandbox).
func New(byName map[string]registry.Sandbox) *Set {
	s := &Set{byName: byName}
	s.Payorder, _ = byName[payorder.Name].(*posandbox.Sandbox)
	s.Worldline, _ = byName[worldline.Name].(*wlsandbox.Sandbox)
	s.AlipayPlus, _ = byName[alipayplus.Name].(*apsandbox.Sandbox)
	s.Antom, _ = byName[antom.Name].(*amsandbox.Sandbox)
	s.BBMSL, _ = byName[bbmsl.Name].(*bbsandbox.Sandbox)
	return s
}

// Get returns the sandbox of a provider.
func (s *Set) Get(name string) (registry.Sandbox, bool) {
	sb, ok := s.byName[name]
	return sb, ok
}

// Names are the providers with a sandbox, sorted.
func (s *Set) Names() []string {
	var out []string
	for name := range s.byName {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Close stops every sandbox's background work (notification deliveries).
func (s *Set) Close() {
	if s == nil {
		return
	}
	for _, sb := range s.byName {
		_ = sb.Close()
	}
}
