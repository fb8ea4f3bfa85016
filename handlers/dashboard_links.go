package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// RouteDashLinks is the payment link page.
const RouteDashLinks = "/dashboard/links"

// linkCurrencies are offered when a provider takes any currency.
var linkCurrencies = []string{"USD", "EUR", "GBP", "JPY", "HKD", "SGD", "AUD", "CAD", "CHF", "CNY"}

// linkExpiries are the lifetimes a payment link may have.
var linkExpiries = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour}

func (h *Handlers) linksView(c echo.Context) (templates.DashboardLinksPage, *checkout.Merchant, error) {
	u := DashboardUser(c)
	l := h.dashLocale(c)
	m, err := h.Service.Store.Merchant(ctx(c), u.MerchantID)
	if err != nil {
		return templates.DashboardLinksPage{}, nil, err
	}
	chrome := h.dashChrome(c, "links")
	v := templates.DashboardLinksPage{Page: templates.Page{Title: l.T("dashboard.title.links"), L: l}, DashboardChrome: chrome,
		FormToken: chrome.FormToken, Expiry: "24h", Card: true}
	set := map[string]bool{}
	for _, p := range h.Service.Providers {
		cur := p.Capabilities().Currencies
		if len(cur) == 0 {
			cur = linkCurrencies
		}
		for _, c := range cur {
			set[c] = true
		}
	}
	for c := range set {
		v.Currencies = append(v.Currencies, c)
	}
	slices.Sort(v.Currencies)
	v.Currency = "USD"
	if !set["USD"] && len(v.Currencies) > 0 {
		v.Currency = v.Currencies[0]
	}
	if len(m.ReturnOrigins) > 0 {
		v.ReturnURL = m.ReturnOrigins[0] + "/"
	}
	return v, m, nil
}

// DashboardLinks handles GET /dashboard/links: the payment link form.
func (h *Handlers) DashboardLinks(c echo.Context) error {
	v, _, err := h.linksView(c)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.DashboardLinks(v))
}

// DashboardCreateLink handles POST /dashboard/links: a checkout session
// made with the merchant API's own checks (amount, currency, methods, the
// return address on the merchant's return origins, the customer's email),
// whose URL and a QR code of it the page then shows. A refusal is shown
// at the form, with the values typed kept.
func (h *Handlers) DashboardCreateLink(c echo.Context) error {
	v, m, err := h.linksView(c)
	if err != nil {
		return err
	}
	l := h.dashLocale(c)
	f := c.Request().PostForm
	v.Amount, v.Currency = clip(strings.TrimSpace(f.Get("amount")), 24), clip(f.Get("currency"), 3)
	v.Describe, v.Reference = clip(strings.TrimSpace(f.Get("description")), 200), clip(strings.TrimSpace(f.Get("reference")), 100)
	v.Email, v.ReturnURL = clip(strings.TrimSpace(f.Get("email")), 254), clip(strings.TrimSpace(f.Get("return_url")), 2048)
	v.Expiry = f.Get("expiry")
	v.Card, v.Wallet = slices.Contains(f["methods"], "card"), slices.Contains(f["methods"], "wallet")
	refuse := func(key, field string) error {
		v.Error, v.ErrorField = l.T("dashboard.links.error."+key), field
		return Render(c, http.StatusUnprocessableEntity, templates.DashboardLinks(v))
	}
	amount, err := checkout.ParseDecimal(v.Amount, v.Currency)
	switch {
	case !slices.Contains(v.Currencies, v.Currency):
		return refuse("currency", "link-currency")
	case err != nil || amount.Amount <= 0:
		return refuse("amount", "link-amount")
	}
	ttl, ok := linkExpiries[v.Expiry]
	if !ok {
		return refuse("other", "link-expiry")
	}
	var methods []checkout.PaymentMethod
	if v.Card {
		methods = append(methods, checkout.MethodCard)
	}
	if v.Wallet {
		methods = append(methods, checkout.MethodWallet)
	}
	expires := h.Service.Now().Add(ttl).UTC()
	p := checkout.CreateSessionParams{Amount: amount.Amount, Currency: v.Currency, MerchantReference: v.Reference,
		Customer: checkout.Customer{Email: v.Email}, SuccessURL: v.ReturnURL, PaymentMethods: methods, ExpiresAt: &expires}
	if v.Describe != "" {
		p.LineItems = []checkout.LineItem{{Name: v.Describe, Quantity: 1, UnitAmount: amount.Amount}}
	}
	s, err := h.Service.CreateSession(ctx(c), m, p)
	if err != nil {
		var e *checkout.Error
		if !errors.As(err, &e) || e.Code == checkout.EInternal {
			return err
		}
		param := e.Param
		switch {
		case param == "amount":
			return refuse("amount", "link-amount")
		case param == "currency", param == "payment_methods", param == "provider":
			return refuse("currency", "link-currency")
		case param == "success_url":
			return refuse("return", "link-return")
		case strings.HasPrefix(param, "customer"):
			return refuse("email", "link-email")
		}
		return refuse("other", "")
	}
	u := DashboardUser(c)
	h.Log.InfoContext(ctx(c), "dashboard payment link", "user_id", u.ID, "session_id", s.ID)
	v.LinkURL = h.Service.SessionObject(s, nil).URL
	qr, err := qrcode.New(v.LinkURL, qrcode.Medium)
	if err != nil {
		return err
	}
	v.QR = qr.Bitmap()
	v.SessionPage = "/dashboard/payments/" + url.PathEscape(s.ID)
	return Render(c, http.StatusCreated, templates.DashboardLinks(v))
}
