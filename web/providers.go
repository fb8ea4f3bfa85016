package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/providers/alipayplus"
	apsandbox "github.com/opencheckout/hostedcheckout/providers/alipayplus/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/antom"
	amsandbox "github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	bbsandbox "github.com/opencheckout/hostedcheckout/providers/bbmsl/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	posandbox "github.com/opencheckout/hostedcheckout/providers/payorder/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
)

// Sandboxes are the in-process provider simulators of sandbox mode. The
// adapters reach them over real HTTP, exactly as they would the provider.
type Sandboxes struct {
	Payorder   *posandbox.Sandbox
	Worldline  *wlsandbox.Sandbox
	AlipayPlus *apsandbox.Sandbox
	Antom      *amsandbox.Sandbox
	BBMSL      *bbsandbox.Sandbox
}

const (
	payorderMount   = "/sandbox/payorder"
	worldlineMount  = "/sandbox/worldline"
	alipayplusMount = "/sandbox/alipayplus"
	antomMount      = "/sandbox/antom"
	bbmslMount      = "/sandbox/bbmsl"
)

func (s *Sandboxes) mount(e *echo.Echo) {
	e.Any(payorderMount+"/*", echo.WrapHandler(http.StripPrefix(payorderMount, s.Payorder)))
	e.Any(worldlineMount+"/*", echo.WrapHandler(http.StripPrefix(worldlineMount, s.Worldline)))
	e.Any(alipayplusMount+"/*", echo.WrapHandler(http.StripPrefix(alipayplusMount, s.AlipayPlus)))
	e.Any(antomMount+"/*", echo.WrapHandler(http.StripPrefix(antomMount, s.Antom)))
	e.Any(bbmslMount+"/*", echo.WrapHandler(http.StripPrefix(bbmslMount, s.BBMSL)))
}

// close stops the sandboxes' background work (webhook deliveries).
func (s *Sandboxes) close() {
	if s == nil {
		return
	}
	if s.Worldline != nil {
		s.Worldline.Close()
	}
	if s.AlipayPlus != nil {
		s.AlipayPlus.Close()
	}
	if s.Antom != nil {
		s.Antom.Close()
	}
	if s.BBMSL != nil {
		s.BBMSL.Close()
	}
}

// buildProviders configures every provider adapter: against its sandbox in
// sandbox mode, against the real provider in live mode (only the providers
// whose settings are present).
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
	wlCfg := worldline.Config{
		BaseURL:       a.Config.Worldline.BaseURL,
		MerchantID:    a.Config.Worldline.MerchantID,
		APIKeyID:      a.Config.Worldline.APIKeyID,
		SecretAPIKey:  a.Config.Worldline.SecretAPIKey,
		WebhookKeyID:  a.Config.Worldline.WebhookKeyID,
		WebhookSecret: a.Config.Worldline.WebhookSecret,
		HTTPClient:    client,
		Now:           a.Config.Now,
		NotFoundAfter: a.Config.ProviderNotFoundAfter,
	}
	apCfg := alipayplus.Config{
		BaseURL:            a.Config.AlipayPlus.BaseURL,
		PathPrefix:         a.Config.AlipayPlus.PathPrefix,
		ClientID:           a.Config.AlipayPlus.ClientID,
		MerchantPrivateKey: a.Config.AlipayPlus.PrivateKey,
		WalletPublicKey:    a.Config.AlipayPlus.WalletPublicKey,
		MerchantName:       a.Config.AlipayPlus.MerchantName,
		HTTPClient:         client,
		Now:                a.Config.Now,
		NotFoundAfter:      a.Config.ProviderNotFoundAfter,
	}
	amCfg := antom.Config{
		BaseURL:            a.Config.Antom.BaseURL,
		ClientID:           a.Config.Antom.ClientID,
		MerchantPrivateKey: a.Config.Antom.PrivateKey,
		AntomPublicKey:     a.Config.Antom.AntomPublicKey,
		HTTPClient:         client,
		Now:                a.Config.Now,
		NotFoundAfter:      a.Config.ProviderNotFoundAfter,
	}
	bbCfg := bbmsl.Config{
		BaseURL:            a.Config.BBMSL.BaseURL,
		MerchantID:         a.Config.BBMSL.MerchantID,
		MerchantPrivateKey: a.Config.BBMSL.PrivateKey,
		BBMSLPublicKey:     a.Config.BBMSL.BBMSLPublicKey,
		HTTPClient:         client,
		Now:                a.Config.Now,
		NotFoundAfter:      a.Config.ProviderNotFoundAfter,
	}
	enabled := a.Config.LiveProviders()
	if a.Config.Mode == ModeSandbox {
		sb, err := a.buildSandboxes(&poCfg, &wlCfg, &apCfg, &amCfg, &bbCfg)
		if err != nil {
			return nil, err
		}
		a.Sandbox = sb
		enabled = map[string]bool{payorder.Name: true, worldline.Name: true, alipayplus.Name: true, antom.Name: true, bbmsl.Name: true}
	}
	providers := map[string]checkout.Provider{}
	if enabled[payorder.Name] {
		po, err := payorder.New(poCfg)
		if err != nil {
			return nil, err
		}
		providers[payorder.Name] = po
	}
	if enabled[worldline.Name] {
		wl, err := worldline.New(wlCfg)
		if err != nil {
			return nil, err
		}
		providers[worldline.Name] = wl
	}
	if enabled[antom.Name] {
		am, err := antom.New(amCfg)
		if err != nil {
			return nil, err
		}
		providers[antom.Name] = am
	}
	if enabled[bbmsl.Name] {
		bb, err := bbmsl.New(bbCfg)
		if err != nil {
			return nil, err
		}
		providers[bbmsl.Name] = bb
	}
	if enabled[alipayplus.Name] {
		ap, err := alipayplus.New(apCfg)
		if err != nil {
			return nil, err
		}
		providers[alipayplus.Name] = ap
	}
	return providers, nil
}

// buildSandboxes starts every provider's sandbox with fresh credentials and
// points the adapters' configurations at them. The adapters call this
// process directly (InternalURL); browsers use the public sandbox URL.
func (a *App) buildSandboxes(po *payorder.Config, wl *worldline.Config, ap *alipayplus.Config, am *antom.Config, bb *bbmsl.Config) (*Sandboxes, error) {
	poCreds, err := posandbox.NewCredentials()
	if err != nil {
		return nil, err
	}
	poSB, err := posandbox.New(posandbox.Config{PublicURL: a.SandboxURL + payorderMount, Credentials: poCreds, Now: a.Config.Now})
	if err != nil {
		return nil, err
	}
	po.BaseURL = a.InternalURL + payorderMount
	po.SessionsURL = a.InternalURL + payorderMount
	po.MerchantID, po.CheckoutID, po.AESKey = poCreds.MerchantID, poCreds.CheckoutID, poCreds.AESKey
	po.MerchantPrivateKey, po.PlatformPublicKey = poCreds.MerchantPrivateKey, poCreds.PlatformPublicKey

	wlCreds, err := wlsandbox.NewCredentials()
	if err != nil {
		return nil, err
	}
	wlSB, err := wlsandbox.New(wlsandbox.Config{
		PublicURL:   a.SandboxURL + worldlineMount,
		Credentials: wlCreds,
		WebhookURL:  a.InternalURL + handlers.NotifyPath(worldline.Name),
		HTTPClient:  &http.Client{Timeout: a.Config.ProviderTimeout},
		Now:         a.Config.Now,
	})
	if err != nil {
		return nil, err
	}
	wl.BaseURL = a.InternalURL + worldlineMount
	wl.MerchantID, wl.APIKeyID, wl.SecretAPIKey = wlCreds.MerchantID, wlCreds.APIKeyID, wlCreds.SecretAPIKey
	wl.WebhookKeyID, wl.WebhookSecret = wlCreds.WebhookKeyID, wlCreds.WebhookSecret
	// The sandbox stores a payment before it answers, so a payment it
	// cannot find after a failed create was never made.
	wl.NotFoundAfter = time.Second

	apCreds, err := apsandbox.NewCredentials()
	if err != nil {
		return nil, err
	}
	apSB, err := apsandbox.New(apsandbox.Config{
		PublicURL:   a.SandboxURL + alipayplusMount,
		Credentials: apCreds,
		HTTPClient:  &http.Client{Timeout: a.Config.ProviderTimeout},
		Now:         a.Config.Now,
	})
	if err != nil {
		return nil, err
	}
	ap.BaseURL = a.InternalURL + alipayplusMount
	ap.ClientID, ap.MerchantPrivateKey, ap.WalletPublicKey = apCreds.ClientID, apCreds.MerchantPrivateKey, apCreds.WalletPublicKey
	ap.MerchantName = "Demo Coffee Co."
	ap.NotFoundAfter = time.Second // the sandbox stores an order before it answers

	amCreds, err := amsandbox.NewCredentials()
	if err != nil {
		return nil, err
	}
	amSB, err := amsandbox.New(amsandbox.Config{
		PublicURL:   a.SandboxURL + antomMount,
		Credentials: amCreds,
		NotifyURL:   a.InternalURL + handlers.NotifyPath(antom.Name),
		HTTPClient:  &http.Client{Timeout: a.Config.ProviderTimeout},
		Now:         a.Config.Now,
	})
	if err != nil {
		return nil, err
	}
	am.BaseURL = a.InternalURL + antomMount
	am.ClientID, am.MerchantPrivateKey, am.AntomPublicKey = amCreds.ClientID, amCreds.MerchantPrivateKey, amCreds.AntomPublicKey
	am.NotFoundAfter = time.Second // the sandbox stores a payment before it answers

	bbCreds, err := bbsandbox.NewCredentials()
	if err != nil {
		return nil, err
	}
	bbSB, err := bbsandbox.New(bbsandbox.Config{
		PublicURL:   a.SandboxURL + bbmslMount,
		Credentials: bbCreds,
		NotifyURL:   a.InternalURL + handlers.NotifyPath(bbmsl.Name),
		HTTPClient:  &http.Client{Timeout: a.Config.ProviderTimeout},
		Now:         a.Config.Now,
	})
	if err != nil {
		return nil, err
	}
	bb.BaseURL = a.InternalURL + bbmslMount
	bb.MerchantID, bb.MerchantPrivateKey, bb.BBMSLPublicKey = bbCreds.MerchantID, bbCreds.MerchantPrivateKey, bbCreds.BBMSLPublicKey
	bb.NotFoundAfter = time.Second // the sandbox stores an order before it answers
	return &Sandboxes{Payorder: poSB, Worldline: wlSB, AlipayPlus: apSB, Antom: amSB, BBMSL: bbSB}, nil
}
