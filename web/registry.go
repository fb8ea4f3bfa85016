package web

import (
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

// Providers is the one list of the providers this server knows, each with
// its sandbox. The first is the default provider. A new provider is its
// own packages (the adapter with its registry.Descriptor, its sandbox with
// Start) and one line here.
var Providers = registry.List{
	registry.With(payorder.Provider, posandbox.Start),
	registry.With(worldline.Provider, wlsandbox.Start),
	registry.With(antom.Provider, amsandbox.Start),
	registry.With(alipayplus.Provider, apsandbox.Start),
	registry.With(bbmsl.Provider, bbsandbox.Start),
}
