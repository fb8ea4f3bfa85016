// Package demo is the demo shop of sandbox mode: a pretend merchant whose
// pages call the checkout's merchant API over HTTP with its secret key,
// exactly as a real merchant server would. It knows the checkout only
// through that API; from package handlers it takes the page rendering and
// the Content-Security-Policy of the response, nothing else.
package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/static"
	"github.com/opencheckout/hostedcheckout/templates"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Shop is a pretend merchant served in sandbox mode: it calls our public
// API over HTTP with its secret key, exactly as a real merchant server
// would, and remembers the visitor's orders in a signed cookie.
type Shop struct {
	Providers []string       // the configured providers, default first
	APIKey    string         // the demo merchant's secret key
	APIURL    string         // where this server answers, for the API calls
	PublicURL string         // the public base URL, for success and cancel URLs
	Client    *http.Client   // for the API calls
	Cookies   sessions.Store // the shop's own visitor session (NewCookieStore)
	Log       *slog.Logger   // for the API calls that fail

	// ReturnSecret is the demo merchant's return secret: the shop's return
	// page verifies the signed return with it.
	ReturnSecret string
	Now          func() time.Time // the clock returns are checked against; time.Now when nil
}

const demoCookie = "__Host-demo_shop"

// NewCookieStore is the store of the shop's visitor cookie, signed with
// secret. The cookie is host-only, secure, script-proof and, should the
// shop itself ever be framed, partitioned. Browsers treat http://localhost
// and 127.0.0.1 as secure, so this holds in local runs too.
func NewCookieStore(secret []byte) *sessions.CookieStore {
	cookies := sessions.NewCookieStore(secret)
	cookies.Options = &sessions.Options{Path: "/", MaxAge: 30 * 24 * 3600, HttpOnly: true,
		Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true}
	return cookies
}

type demoProduct struct {
	templates.Product
	amount int64
}

var demoProducts = []demoProduct{
	{templates.Product{ID: "mug", Name: "Ceramic mug", Blurb: "350 ml, dishwasher safe."}, 1900},
	{templates.Product{ID: "beans", Name: "Coffee beans", Blurb: "1 kg, medium roast, whole bean."}, 2450},
	{templates.Product{ID: "grinder", Name: "Hand grinder", Blurb: "Steel burrs, 40 grind settings."}, 8900},
}

// demoCurrencies are the currencies the shop prices in; the provider
// decides which it accepts.
var demoCurrencies = []templates.DemoOption{{Value: "USD", Label: "US dollar"}, {Value: "EUR", Label: "Euro"}}

func (d *Shop) products() []templates.Product {
	out := make([]templates.Product, len(demoProducts))
	for i, p := range demoProducts {
		out[i] = p.Product
		out[i].Price = checkout.Money{Amount: p.amount, Currency: "USD"}.Format("en-US") + " / " +
			checkout.Money{Amount: p.amount, Currency: "EUR"}.Format("en-US")
	}
	return out
}

func (d *Shop) providerOptions() []templates.DemoOption {
	out := make([]templates.DemoOption, 0, len(d.Providers))
	for _, p := range d.Providers {
		out = append(out, templates.DemoOption{Value: p, Label: p})
	}
	return out
}

// Storefront handles GET /: the storefront with the visitor's recent orders.
func (d *Shop) Storefront(c echo.Context) error {
	return d.renderShop(c, http.StatusOK, "", "")
}

// shopStatus is the status of the shop's page after an API call: the API's
// own refusal (4xx) passes through, an API that did not answer is a 502.
func shopStatus(apiStatus int, err error) int {
	if err != nil || apiStatus >= 500 || apiStatus < 400 {
		return http.StatusBadGateway
	}
	return apiStatus
}

// renderShop renders the shop's page with a notice or a problem, under status.
func (d *Shop) renderShop(c echo.Context, status int, notice, problem string) error {
	return d.render(c, status, notice, problem, nil)
}

// renderReturn renders the shop's page after a verified return.
func (d *Shop) renderReturn(c echo.Context, notice string, ret *templates.DemoReturn) error {
	return d.render(c, http.StatusOK, notice, "", ret)
}

func (d *Shop) render(c echo.Context, status int, notice, problem string, ret *templates.DemoReturn) error {
	v := templates.DemoShopPage{Page: templates.Page{Title: "Demo coffee shop"}, Products: d.products(),
		Providers: d.providerOptions(), Currencies: demoCurrencies, Locales: demoLocaleOptions(), Notice: notice, Error: problem}
	v.Return = ret
	for _, id := range d.orders(c) {
		var s checkout.SessionObject
		if status, err := d.api(c, http.MethodGet, "/v1/checkout/sessions/"+id, nil, &s, ""); err != nil || status != http.StatusOK {
			continue
		}
		o := templates.DemoOrder{
			SessionID: s.ID, Reference: s.MerchantReference, Status: string(s.Status), PaymentStatus: s.PaymentStatus,
			Total: checkout.Money{Amount: s.Amount, Currency: s.Currency}.Format("en-US"), Provider: s.Provider,
		}
		if p := s.Payment; p != nil {
			o.PaymentState = string(p.Status)
			o.CanCapture = p.Status == checkout.PaymentAuthorized
			o.CanRefund = (p.Status == checkout.PaymentSucceeded || p.Status == checkout.PaymentCaptured ||
				p.Status == checkout.PaymentPartiallyRefunded) && p.AmountRefunded < p.Amount
			o.CanChargeAgain = s.SetupRecurring && p.Method == checkout.MethodSavedCard && p.Status.Paid()
		}
		v.Orders = append(v.Orders, o)
	}
	return handlers.Render(c, status, templates.DemoShop(v))
}

// Checkout handles POST /demo/checkout: one click creates a checkout
// session through the public API and sends the browser to its URL.
func (d *Shop) Checkout(c echo.Context) error {
	var product *demoProduct
	for i := range demoProducts {
		if demoProducts[i].ID == c.FormValue("product") {
			product = &demoProducts[i]
		}
	}
	if product == nil {
		return checkout.Errorf(checkout.EInvalid, "Pick a product from the shop.")
	}
	currency := c.FormValue("currency")
	if currency == "" {
		currency = "USD"
	}
	req := map[string]any{
		"amount":             product.amount,
		"currency":           currency,
		"merchant_reference": "DEMO-" + strings.ToUpper(checkout.RandomToken(5)),
		"line_items":         []map[string]any{{"name": product.Name, "quantity": 1, "unit_amount": product.amount}},
		"locale":             demoLocale(c.FormValue("locale")),
		"success_url":        d.PublicURL + "/demo/return",
		"cancel_url":         d.PublicURL + "/demo/return?canceled=1",
	}
	// The shop passes its choices through; the API validates them. The
	// provider choice is the card provider: a wallet-only order leaves the
	// routing to the API.
	methods := strings.Split(c.FormValue("payment_methods"), ",")
	if methods[0] == "" {
		methods = []string{"card"}
	}
	req["payment_methods"] = methods
	if p := c.FormValue("provider"); p != "" && slices.Contains(methods, "card") {
		req["provider"] = p
	}
	if slices.Contains(methods, "saved_card") {
		// The shop knows its visitor: their saved cards follow them.
		req["customer"] = map[string]any{"reference": d.customer(c)}
		req["setup_recurring"] = c.FormValue("setup_recurring") == "true"
	}
	if m := c.FormValue("capture_mode"); m != "" {
		req["capture_mode"] = m
	}
	var s checkout.SessionObject
	// A real merchant derives the key from its own order, so a retry after
	// a network error cannot create a second session.
	var raw json.RawMessage
	status, err := d.api(c, http.MethodPost, "/v1/checkout/sessions", req, &raw, "demo-"+req["merchant_reference"].(string))
	var problem demoAPIError
	if err == nil && status == http.StatusCreated {
		err = json.Unmarshal(raw, &s)
	} else if err == nil {
		_ = json.Unmarshal(raw, &problem)
	}
	if err != nil || status != http.StatusCreated {
		d.Log.WarnContext(c.Request().Context(), "demo shop could not create a session", "status", status, "err", err)
		if problem.Error.Message != "" {
			return d.renderShop(c, shopStatus(status, err), "", "The checkout could not be started: "+problem.Error.Message)
		}
		return d.renderShop(c, shopStatus(status, err), "", "The checkout could not be started. See the server log.")
	}
	d.remember(c, s.ID)
	if c.FormValue("embed") == "true" {
		// The shop's own page with the checkout in an iframe (embed.js).
		u, _ := url.Parse(s.URL)
		handlers.AllowProviderOrigin(c, u.Scheme+"://"+u.Host) // frame-src: the checkout's origin
		return handlers.Render(c, http.StatusOK, templates.DemoEmbed(templates.DemoEmbedPage{
			Page:       templates.Page{Title: "Demo coffee shop: checkout", Script: "demo-embed.js"},
			SessionURL: s.URL, EmbedJS: static.URL("embed.js"), EmbedSRI: static.Integrity("embed.js"),
		}))
	}
	return c.Redirect(http.StatusSeeOther, s.URL)
}

// Return handles GET /demo/return, where the checkout sends the shopper
// back. Like a real merchant, the shop trusts the outcome only once the
// return's signature verifies under its return secret and the return is at
// most 10 minutes old; a tampered, unsigned or stale return is refused
// (400) and says so. The order's own reference it reads from the API.
func (d *Shop) Return(c echo.Context) error {
	// Read-only, and the session id (132 random bits) is the shopper's own
	// link back, so the shop's cookie is not needed here (an embedded
	// checkout on another site returns without it); a malformed id never
	// reaches the API.
	q := c.QueryParams()
	id := q.Get("session_id")
	if !checkout.ValidID(checkout.PrefixSession, id) {
		return d.renderShop(c, http.StatusNotFound, "", "We could not find that order.")
	}
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	if err := checkout.VerifyReturn(d.ReturnSecret, q, now); err != nil {
		d.Log.WarnContext(c.Request().Context(), "demo shop refused a return", "session_id", id, "err", err)
		msg := "This return is not signed by the checkout (or was changed on the way): we cannot confirm the order from it. Your orders below show where each one stands."
		if errors.Is(err, checkout.ErrReturnStale) {
			msg = "This return link is more than 10 minutes old, so we cannot confirm the order from it. Your orders below show where each one stands."
		}
		return d.renderShop(c, http.StatusBadRequest, "", msg)
	}
	// Verified: the outcome is the signed one.
	ret := &templates.DemoReturn{SessionID: id, Status: q.Get("status"), PaymentStatus: q.Get("payment_status")}
	if ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64); err == nil {
		ret.Age = max(now.Sub(time.Unix(ts, 0)), 0).Round(time.Second).String()
	}
	ref := "your order"
	var s checkout.SessionObject
	if status, err := d.api(c, http.MethodGet, "/v1/checkout/sessions/"+id, nil, &s, ""); err == nil && status == http.StatusOK {
		ref = "Order " + s.MerchantReference
	}
	notice := fmt.Sprintf("%s: payment %s.", ref, ret.PaymentStatus)
	if ret.PaymentStatus == "paid" {
		notice = fmt.Sprintf("Thank you! %s is paid.", ref)
	}
	return d.renderReturn(c, notice, ret)
}

// demoAPIError is the error body of the merchant API, as the shop reads it.
type demoAPIError struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// OrderAction handles POST /demo/orders/:id/capture, /cancel, /refund and
// /charge: the shop manages an order's payment through the public API, as
// a merchant's back office would.
func (d *Shop) OrderAction(c echo.Context) error {
	id, action := c.Param("id"), c.Param("action")
	if action != "capture" && action != "cancel" && action != "refund" && action != "charge" {
		return checkout.Errorf(checkout.ENotFound, "No such order action.")
	}
	if !d.owns(c, id) {
		// Only the visitor's own orders, as their cookie lists them.
		return d.renderShop(c, http.StatusNotFound, "", "We could not find that order.")
	}
	var s checkout.SessionObject
	if status, err := d.api(c, http.MethodGet, "/v1/checkout/sessions/"+id, nil, &s, ""); err != nil || status != http.StatusOK {
		return d.renderShop(c, shopStatus(status, err), "", "We could not find that order.")
	} else if s.Payment == nil {
		return d.renderShop(c, http.StatusConflict, "", "Order "+s.MerchantReference+" has no payment yet.")
	}
	path := "/v1/payments/" + s.Payment.ID + "/" + action
	if action == "refund" {
		path += "s"
	}
	var body any
	key := "demo-" + action + "-" + s.Payment.ID
	if action == "charge" {
		// A subscription renewal: the same amount again, without the shopper.
		ref := s.MerchantReference + "-R" + strings.ToUpper(checkout.RandomToken(3))
		path, body, key = "/v1/recurring_charges", map[string]any{"parent_payment": s.Payment.ID, "amount": s.Amount, "merchant_reference": ref}, "demo-"+ref
	}
	var raw json.RawMessage
	status, err := d.api(c, http.MethodPost, path, body, &raw, key)
	var problem demoAPIError
	_ = json.Unmarshal(raw, &problem)
	if err == nil && action == "charge" && status == http.StatusCreated {
		var p checkout.PaymentObject
		if json.Unmarshal(raw, &p) == nil && p.SessionID != "" {
			d.remember(c, p.SessionID)
		}
	}
	if err != nil || status >= 300 {
		d.Log.WarnContext(c.Request().Context(), "demo shop order action failed", "action", action, "status", status, "err", err)
		msg := problem.Error.Message
		if msg == "" {
			msg = "see the server log"
		}
		return d.renderShop(c, shopStatus(status, err), "", fmt.Sprintf("Could not %s order %s: %s", action, s.MerchantReference, msg))
	}
	return c.Redirect(http.StatusSeeOther, "/?done="+action)
}

func (d *Shop) api(c echo.Context, method, path string, body, out any, idempotencyKey string) (int, error) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(c.Request().Context(), method, d.APIURL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+d.APIKey)
	req.Header.Set("Content-Type", "application/json")
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	res, err := d.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return res.StatusCode, json.NewDecoder(res.Body).Decode(out)
}

const maxDemoOrders = 5

// customer is the shop's id for its visitor, kept in the shop's cookie.
func (d *Shop) customer(c echo.Context) string {
	sess, _ := d.Cookies.Get(c.Request(), demoCookie)
	if id, ok := sess.Values["customer"].(string); ok && id != "" {
		return id
	}
	id := "demo-" + checkout.RandomToken(8)
	sess.Values["customer"] = id
	_ = sess.Save(c.Request(), c.Response())
	return id
}

func (d *Shop) orders(c echo.Context) []string {
	sess, _ := d.Cookies.Get(c.Request(), demoCookie)
	ids, _ := sess.Values["orders"].(string)
	if ids == "" {
		return nil
	}
	return strings.Split(ids, ",")
}

// owns reports whether the order (a session id) is one of the visitor's,
// as the shop's signed cookie remembers them.
func (d *Shop) owns(c echo.Context, id string) bool {
	return checkout.ValidID(checkout.PrefixSession, id) && slices.Contains(d.orders(c), id)
}

func (d *Shop) remember(c echo.Context, id string) {
	sess, _ := d.Cookies.Get(c.Request(), demoCookie)
	ids := append([]string{id}, d.orders(c)...)
	if len(ids) > maxDemoOrders {
		ids = ids[:maxDemoOrders]
	}
	sess.Values["orders"] = strings.Join(ids, ",")
	_ = sess.Save(c.Request(), c.Response())
}

// demoLocaleOptions lets the shop pick the checkout's language: the
// shopper's browser (auto), each shipped locale by its own name, and the
// pseudo-locale QA uses to find text outside the catalogs.
func demoLocaleOptions() []templates.DemoOption {
	out := []templates.DemoOption{{Value: "auto", Label: "The shopper's browser language"}}
	for _, tag := range i18n.Shipped {
		out = append(out, templates.DemoOption{Value: tag, Label: display.Self.Name(language.MustParse(tag)) + " (" + tag + ")"})
	}
	return append(out, templates.DemoOption{Value: i18n.Pseudo, Label: "Pseudo-locale (" + i18n.Pseudo + ")"})
}

// demoLocale is the locale the shop asks for: one of its options, else auto.
func demoLocale(v string) string {
	for _, o := range demoLocaleOptions() {
		if o.Value == v {
			return v
		}
	}
	return "auto"
}
