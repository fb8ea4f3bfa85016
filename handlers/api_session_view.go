package handlers

import (
	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/templates/i18n"
)

// PageLocale is the locale a session's pages render in, as the merchant
// API and webhooks show it (checkout.Service.PageLocale): the shipped
// locale the session's own matches (de-AT renders de; a language we do not
// ship, en), or "auto" when each shopper's browser decides.
func PageLocale(sessionLocale string) string {
	if sessionLocale == checkout.LocaleAuto {
		return checkout.LocaleAuto
	}
	return i18n.Resolve(sessionLocale, "").Tag()
}
