package checkout

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Limits on session creation input.
const (
	MaxLineItems       = 100
	MaxMetadataKeys    = 50
	MaxReferenceLength = 255
	// MaxCustomerReference bounds customer.reference (what
	// /v1/customers/{reference} addresses).
	MaxCustomerReference = 200
	MaxURLLength         = 2048
	MinSessionLifetime   = 30 * time.Minute
	MaxSessionLifetime   = 7 * 24 * time.Hour
	DefaultSessionTTL    = 24 * time.Hour
	maxItemNameLength    = 200
	maxItemQuantity      = 10_000
	maxMetadataKeyLen    = 40
	maxMetadataValueLen  = 500
)

// CreateSessionParams is a merchant's request for a new checkout session,
// already decoded from JSON but not yet validated.
type CreateSessionParams struct {
	Amount            int64
	Currency          string
	MerchantReference string
	LineItems         []LineItem
	Customer          Customer
	Locale            string
	SuccessURL        string
	CancelURL         string
	PaymentMethods    []PaymentMethod
	Provider          string
	CaptureMode       CaptureMode
	ThreeDS           ThreeDSPreference
	SetupRecurring    bool // the saved card that pays may be charged again by the merchant
	ExpiresAt         *time.Time
	Metadata          map[string]string
	// IdempotencyKey is the request's Idempotency-Key, kept on the session
	// so that a retry after a crash finds it instead of making another.
	IdempotencyKey string
}

// normalize validates p and fills defaults. It returns the first problem as
// an EInvalid error naming the parameter.
func (p *CreateSessionParams) normalize(now time.Time) error {
	if p.Amount <= 0 {
		return InvalidParam("amount", "amount must be a positive integer in the currency's minor units")
	}
	if p.Amount > MaxAmount {
		return InvalidParam("amount", "amount must be at most %d", MaxAmount)
	}
	if p.Currency == "" {
		return InvalidParam("currency", "currency is required")
	}
	p.Currency = strings.ToUpper(p.Currency)
	if !ValidCurrency(p.Currency) {
		return InvalidParam("currency", "%q is not an ISO 4217 currency code", p.Currency)
	}
	if err := checkText("merchant_reference", p.MerchantReference, MaxReferenceLength); err != nil {
		return err
	}

	if len(p.LineItems) > MaxLineItems {
		return InvalidParam("line_items", "at most %d line items are allowed", MaxLineItems)
	}
	var sum int64
	for i, li := range p.LineItems {
		param := fmt.Sprintf("line_items[%d]", i)
		li.Name = strings.TrimSpace(li.Name)
		p.LineItems[i].Name = li.Name
		if li.Name == "" {
			return InvalidParam(param+".name", "every line item needs a name")
		}
		if err := checkText(param+".name", li.Name, maxItemNameLength); err != nil {
			return err
		}
		if li.Quantity <= 0 || li.Quantity > maxItemQuantity {
			return InvalidParam(param+".quantity", "quantity must be an integer from 1 to %d", maxItemQuantity)
		}
		if li.UnitAmount < 0 || li.UnitAmount > MaxAmount {
			return InvalidParam(param+".unit_amount", "unit_amount must be an integer from 0 to %d", MaxAmount)
		}
		sum += li.Total()
		if sum > MaxAmount {
			return InvalidParam("line_items", "line items add up to more than the maximum amount")
		}
	}
	if len(p.LineItems) > 0 && sum != p.Amount {
		return InvalidParam("line_items", "line items add up to %d but amount is %d", sum, p.Amount)
	}

	if p.Customer.Email != "" {
		// net/mail takes UTF-8 addresses, bidi overrides and zero-width
		// characters included: the text rule first.
		if err := CheckText("customer.email", p.Customer.Email); err != nil {
			return err
		}
		a, err := mail.ParseAddress(p.Customer.Email)
		if err != nil || a.Address != p.Customer.Email || len(p.Customer.Email) > 254 {
			return InvalidParam("customer.email", "customer.email is not a valid email address")
		}
	}
	if p.Customer.Reference != "" {
		if err := CheckCustomerReference("customer.reference", p.Customer.Reference); err != nil {
			return err
		}
	}

	// No locale, or "auto", is the shopper's Accept-Language; a tag is
	// kept as given (normalised): the page matches it to a catalog and
	// formats amounts by its region.
	if p.Locale == "" || p.Locale == LocaleAuto {
		p.Locale = LocaleAuto
	} else {
		tag, err := language.Parse(p.Locale)
		if err != nil || len(p.Locale) > 35 {
			return InvalidParam("locale", "%q is not a BCP 47 language tag, nor \"auto\"", p.Locale)
		}
		p.Locale = tag.String()
	}

	if p.SuccessURL == "" {
		return InvalidParam("success_url", "success_url is required")
	}
	if err := CheckReturnURL("success_url", p.SuccessURL); err != nil {
		return err
	}
	if p.CancelURL != "" {
		if err := CheckReturnURL("cancel_url", p.CancelURL); err != nil {
			return err
		}
	}

	if len(p.PaymentMethods) == 0 {
		p.PaymentMethods = []PaymentMethod{MethodCard}
	}
	seen := map[PaymentMethod]bool{}
	for i, m := range p.PaymentMethods {
		switch m {
		case MethodCard, MethodWallet, MethodSavedCard:
		default:
			return InvalidParam(fmt.Sprintf("payment_methods[%d]", i), "%q is not a payment method (card, wallet, saved_card)", m)
		}
		if seen[m] {
			return InvalidParam(fmt.Sprintf("payment_methods[%d]", i), "%q is listed twice", m)
		}
		seen[m] = true
	}

	if seen[MethodSavedCard] && strings.TrimSpace(p.Customer.Reference) == "" {
		return InvalidParam("customer.reference", "saved cards need customer.reference: the merchant's id for the shopper whose cards they are")
	}
	if p.SetupRecurring && !seen[MethodSavedCard] {
		return InvalidParam("setup_recurring", "setup_recurring needs saved_card among payment_methods")
	}

	switch p.CaptureMode {
	case "":
		p.CaptureMode = CaptureAutomatic
	case CaptureAutomatic, CaptureManual:
	default:
		return InvalidParam("capture_mode", "capture_mode must be automatic or manual")
	}
	switch p.ThreeDS {
	case "":
		p.ThreeDS = ThreeDSAutomatic
	case ThreeDSAutomatic, ThreeDSChallengeRequested, ThreeDSNoChallengeRequested:
	default:
		return InvalidParam("three_ds", "three_ds must be automatic, challenge_requested or no_challenge_requested")
	}

	if p.ExpiresAt == nil {
		t := now.Add(DefaultSessionTTL)
		p.ExpiresAt = &t
	} else {
		d := p.ExpiresAt.Sub(now)
		if d < MinSessionLifetime || d > MaxSessionLifetime {
			return InvalidParam("expires_at", "expires_at must be between 30 minutes and 7 days from now")
		}
	}

	if len(p.Metadata) > MaxMetadataKeys {
		return InvalidParam("metadata", "at most %d metadata keys are allowed", MaxMetadataKeys)
	}
	for k, v := range p.Metadata {
		if k == "" || utf8.RuneCountInString(k) > maxMetadataKeyLen {
			return InvalidParam("metadata", "metadata keys must have 1 to %d characters", maxMetadataKeyLen)
		}
		if CheckText("metadata", k) != nil {
			return InvalidParam("metadata", "metadata keys must be valid UTF-8 without control or invisible formatting characters")
		}
		if err := checkText("metadata."+k, v, maxMetadataValueLen); err != nil {
			return err
		}
	}
	return nil
}

// checkText refuses a merchant or shopper string that is too long, or that
// fails CheckText.
func checkText(param, s string, max int) error {
	if err := CheckText(param, s); err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > max {
		return InvalidParam(param, "%s must be at most %d characters", param, max)
	}
	return nil
}

// LocaleAuto is the session locale that means the shopper's browser
// language.
const LocaleAuto = "auto"

// providerLocale is the language a provider is told: the one the shopper's
// page rendered in, else the session's own, else English (a session left
// to the browser, with no browser in sight: a recurring charge).
func providerLocale(rendered, session string) string {
	if rendered != "" {
		return rendered
	}
	if session != "" && session != LocaleAuto {
		return session
	}
	return "en"
}

// CheckText is the one rule for every string a merchant or a shopper gives
// us (values and keys): valid UTF-8 (the decoders would turn a bad byte
// into U+FFFD, which is refused too), and none of the characters that
// hide or reorder text or break lines and logs: C0 and C1 controls (NUL,
// CR, LF and TAB included) and DEL, format characters (Unicode Cf: bidi
// overrides and isolates, zero-width space and joiners, the BOM, soft
// hyphen), line and paragraph separators, and noncharacters.
func CheckText(param, s string) error {
	if !utf8.ValidString(s) {
		return InvalidParam(param, "%s must be valid UTF-8", param)
	}
	for _, r := range s {
		if why := forbiddenRune(r); why != "" {
			return InvalidParam(param, "%s must not contain %s (U+%04X)", param, why, r)
		}
	}
	return nil
}

// CleanText is s without what CheckText refuses (invalid bytes included),
// cut to at most max characters: what a refused form may show back to the
// shopper who typed it.
func CleanText(s string, max int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == max {
			break
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				continue // an invalid byte
			}
		}
		if forbiddenRune(r) != "" {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// forbiddenRune says why r may not appear in text, or "".
func forbiddenRune(r rune) string {
	switch {
	case unicode.Is(unicode.Cc, r):
		return "control characters"
	case unicode.Is(unicode.Cf, r):
		return "invisible formatting characters"
	case r == '\u2028' || r == '\u2029':
		return "line separators"
	case r == utf8.RuneError:
		return "replacement characters (invalid UTF-8 or an unpaired surrogate)"
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return "noncharacters"
	}
	return ""
}

// CheckCustomerReference is the rule for a merchant's customer reference:
// text of 1 to MaxCustomerReference characters that /v1/customers/{ref}
// can address, so no '/'.
func CheckCustomerReference(param, ref string) error {
	if strings.TrimSpace(ref) == "" {
		return InvalidParam(param, "%s must not be blank", param)
	}
	if err := checkText(param, ref, MaxCustomerReference); err != nil {
		return err
	}
	if strings.ContainsRune(ref, '/') {
		return InvalidParam(param, "%s must not contain '/' (it is part of the /v1/customers/{reference} path)", param)
	}
	return nil
}

// CheckReturnURL accepts an absolute http(s) URL with a host and without
// userinfo, backslashes, whitespace or control characters.
func CheckReturnURL(param, raw string) error {
	bad := func(why string) error { return InvalidParam(param, "%s %s", param, why) }
	if len(raw) > MaxURLLength {
		return bad(fmt.Sprintf("must be at most %d characters", MaxURLLength))
	}
	if err := CheckText(param, raw); err != nil {
		return err // invalid UTF-8, C1 controls, bidi and zero-width characters
	}
	for _, r := range raw {
		if r <= 0x20 || r == 0x7f || r == '\\' {
			return bad("must not contain spaces, backslashes or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a valid URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return bad("must be an absolute http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return bad("must have a host")
	}
	if u.User != nil {
		return bad("must not contain a user name or password")
	}
	return nil
}

// BrowserLanguage is the language for a provider field that both describes
// the shopper's browser and picks the language of the provider's own pages
// (3-D Secure's browserLanguage, a wallet's deviceLanguage): the browser's
// own tag when it names the language of our page (it keeps the region the
// issuer's risk checks may read), else our page's (locale), so that the
// provider's pages match ours.
func BrowserLanguage(browser, locale string) string {
	browser = strings.TrimSpace(browser)
	if locale == "" {
		return browser
	}
	b, errB := language.Parse(browser)
	l, errL := language.Parse(locale)
	if errB != nil || errL != nil {
		return locale
	}
	bb, _ := b.Base()
	lb, _ := l.Base()
	bs, _ := b.Script()
	ls, _ := l.Script()
	if bb == lb && bs == ls {
		return browser
	}
	return locale
}
