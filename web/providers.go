package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/payorder/sandbox"
)

// defaultProvider is where sessions go unless the merchant says otherwise.
const defaultProvider = payorder.Name

// Sandboxes are the in-process provider simulators of sandbox mode. The
// adapters reach them over real HTTP, exactly as they would the provider.
type Sandboxes struct {
	Payorder *sandbox.Sandbox
}

const payorderMount = "/sandbox/payorder"

func (s *Sandboxes) mount(e *echo.Echo) {
	e.Any(payorderMount+"/*", echo.WrapHandler(http.StripPrefix(payorderMount, s.Payorder)))
}

// buildProviders configures every provider adapter: against its sandbox in
// sandbox mode, against the real provider in live mode.
func (a *App) buildProviders() (map[string]checkout.Provider, error) {
	client := &http.Client{Timeout: a.Config.ProviderTimeout}
	poCfg := payorder.Config{
		BaseURL:            a.Config.Payorder.BaseURL,
		SessionsURL:        a.Config.Payorder.SessionsURL,
		MerchantID:         a.Config.Payorder.MerchantID,
		CheckoutID:         a.Config.Payorder.CheckoutID,
		AESKey:             a.Config.Payorder.AESKey,
		MerchantPrivateKey: a.Config.Payorder.PrivateKey,
		PlatformPublicKey:  a.Config.Payorder.PublicKey,
		HTTPClient:         client,
	}
	if a.Config.Mode == ModeSandbox {
		creds, err := sandbox.NewCredentials()
		if err != nil {
			return nil, err
		}
		sb, err := sandbox.New(sandbox.Config{PublicURL: a.SandboxURL + payorderMount, Credentials: creds, Now: a.Config.Now})
		if err != nil {
			return nil, err
		}
		a.Sandbox = &Sandboxes{Payorder: sb}
		// The adapter calls this process directly; the browser uses the public URL.
		poCfg.BaseURL = a.InternalURL + payorderMount
		poCfg.SessionsURL = a.InternalURL + payorderMount
		poCfg.MerchantID, poCfg.CheckoutID, poCfg.AESKey = creds.MerchantID, creds.CheckoutID, creds.AESKey
		poCfg.MerchantPrivateKey, poCfg.PlatformPublicKey = creds.MerchantPrivateKey, creds.PlatformPublicKey
	}
	po, err := payorder.New(poCfg)
	if err != nil {
		return nil, err
	}
	return map[string]checkout.Provider{payorder.Name: po}, nil
}
