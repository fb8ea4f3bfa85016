package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates"
)

// CheckoutPay handles POST /c/:id/pay. Bad card input re-renders the form
// with inline errors (never echoing the number or the code) and changes
// nothing; a valid card, or the wallet (whose card fields are ignored),
// starts a payment and answers 303 to the status page.
// A second submit for the same session never reaches the provider.
func (h *Handlers) CheckoutPay(c echo.Context) error {
	noStore(c)
	s, pays, err := h.Service.Session(ctx(c), "", c.Param("id"))
	if err != nil {
		return err
	}
	if !h.payable(s, pays) {
		return seeOther(c, statusPath(s.ID)+alreadyNotice(s))
	}
	method := checkout.PaymentMethod(c.FormValue("payment_method"))
	if method == "" {
		method = checkout.MethodCard
	}
	if (method != checkout.MethodCard && method != checkout.MethodWallet && method != checkout.MethodSavedCard) || !s.Allows(method) {
		return h.refuse(c, s, pays, nil, locale(c, s).T("form.method_unavailable"))
	}
	in := checkout.PayInput{Method: method, Browser: browserInfo(c), FormToken: clip(c.Request().PostFormValue("form_token"), 64), // the body's, as RequireFormToken checked
		Locale: locale(c, s).ProviderTag()}
	if method == checkout.MethodSavedCard {
		in.SavedCardID = clip(c.FormValue("saved_card"), 64)
	}
	if method == checkout.MethodCard {
		card, errs := checkout.ParseCard(c.FormValue("card_number"), c.FormValue("card_expiry"), c.FormValue("card_cvc"),
			c.FormValue("cardholder_name"), h.Service.Now())
		if errs != nil {
			return h.refuse(c, s, pays, errs, "")
		}
		in.Card = &card
	}
	_, err = h.Service.PaySession(ctx(c), s, pays, in)
	switch checkout.ErrorCodeOf(err) {
	case "", checkout.EConflict:
		return seeOther(c, statusPath(s.ID))
	case checkout.EInvalid, checkout.EUnavailable:
		return h.refuse(c, s, pays, nil, shopperMessage(locale(c, s), err))
	case checkout.ERateLimited:
		var ce *checkout.Error
		if errors.As(err, &ce) {
			SetRetryAfter(c, ce.RetryAfter)
		}
		return h.refuseWith(c, s, pays, http.StatusTooManyRequests, shopperMessage(locale(c, s), err))
	}
	return err
}

// refuse re-renders the form with what the shopper typed, minus the card
// number and security code.
func (h *Handlers) refuse(c echo.Context, s *checkout.Session, pays []*checkout.Payment, errs checkout.FieldErrors, banner string) error {
	return h.render(c, s, pays, errs, banner, http.StatusUnprocessableEntity)
}

// refuseWith re-renders the form with a banner and a status of its own.
func (h *Handlers) refuseWith(c echo.Context, s *checkout.Session, pays []*checkout.Payment, status int, banner string) error {
	return h.render(c, s, pays, nil, banner, status)
}

func (h *Handlers) render(c echo.Context, s *checkout.Session, pays []*checkout.Payment, errs checkout.FieldErrors, banner string, status int) error {
	v := h.checkoutForm(c, s, pays, errs, banner)
	if banner == "" && len(errs) == 0 {
		v.Banner = v.L.T("form.check_fields")
	}
	// The method submitted stays chosen: a refused wallet submit shows its
	// banner under the wallet, a refused card the card form and its errors.
	v.WalletChosen = c.FormValue("payment_method") == string(checkout.MethodWallet) && v.Banner != ""
	v.Expiry = checkout.CleanText(c.FormValue("card_expiry"), 9)
	// Shown back without what the text rule refuses (a refused name may
	// be refused for exactly that).
	v.Holder = checkout.CleanText(c.FormValue("cardholder_name"), 100)
	return Render(c, status, templates.CheckoutForm(v))
}

func alreadyNotice(s *checkout.Session) string {
	if s.Status == checkout.SessionComplete {
		return "?notice=already-paid"
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// browserInfo gathers the 3-D Secure browser data: the page script's hidden
// fields, and the request's own headers and address. Without JavaScript the
// hidden fields are empty and the headers are all there is.
func browserInfo(c echo.Context) checkout.BrowserInfo {
	r := c.Request()
	num := func(name string) int {
		n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue(name)))
		return n
	}
	b := checkout.BrowserInfo{
		UserAgent:         r.UserAgent(),
		AcceptHeader:      r.Header.Get("Accept"),
		IP:                c.RealIP(),
		Language:          c.FormValue("browser_language"),
		ColorDepth:        num("browser_color_depth"),
		ScreenWidth:       num("browser_screen_width"),
		ScreenHeight:      num("browser_screen_height"),
		InnerWidth:        num("browser_inner_width"),
		InnerHeight:       num("browser_inner_height"),
		TimezoneOffset:    num("browser_tz_offset"),
		JavaEnabled:       c.FormValue("browser_java_enabled") == "true",
		JavaScriptEnabled: c.FormValue("browser_js_enabled") == "true",
	}
	if b.Language == "" {
		// First tag of Accept-Language, without its quality.
		first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
		b.Language, _, _ = strings.Cut(strings.TrimSpace(first), ";")
	}
	return b
}
