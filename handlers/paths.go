package handlers

import "net/url"

// The shapes of our public URLs, in one place: the route table
// (web/routes.go) registers the patterns, and the pages, the links the
// service hands to providers (web/links.go) and the provider
// configurations build paths with the functions below, so that a path
// changes here or nowhere.
const (
	// ShopperPrefix starts every path of a session's pages.
	ShopperPrefix = "/c/"
	// NotifyPrefix starts the path of each provider's notifications.
	NotifyPrefix = "/notify/"

	RouteSession    = ShopperPrefix + ":id"
	RoutePay        = RouteSession + "/pay"
	RouteStatus     = RouteSession + "/status"
	RouteDeviceData = RouteSession + "/payments/:pid/device-data"
	RouteReturn     = RouteSession + "/payments/:pid/return"
	RouteStep       = RouteSession + "/payments/:pid/steps"
	RouteAddCard    = RouteSession + "/cards"
	RouteCardReturn = RouteSession + "/cards/return"
	RouteRemoveCard = RouteSession + "/cards/:cid/remove"
	RouteLeave      = RouteSession + "/leave"
	RouteNotify     = NotifyPrefix + ":provider"
	RouteNotifyTest = NotifyPrefix + "test/:provider"
)

// SessionPath is the hosted page of session id.
func SessionPath(id string) string { return ShopperPrefix + id }

func statusPath(id string) string     { return SessionPath(id) + "/status" }
func payPath(id string) string        { return SessionPath(id) + "/pay" }
func addCardPath(id string) string    { return SessionPath(id) + "/cards" }
func cardReturnPath(id string) string { return SessionPath(id) + "/cards/return" }
func removeCardPath(id, cardID string) string {
	return SessionPath(id) + "/cards/" + url.PathEscape(cardID) + "/remove"
}

// leavePath is the way back to the merchant from session id's pages: a
// redirect that signs the return when the shopper leaves.
func leavePath(id string) string { return SessionPath(id) + "/leave" }
func deviceDataPath(sid, pid string) string {
	return SessionPath(sid) + "/payments/" + pid + "/device-data"
}

func stepPath(sid, pid string) string { return SessionPath(sid) + "/payments/" + pid + "/steps" }

// ReturnPath is where a provider sends the shopper (or the challenge
// iframe) back for payment pid of session sid.
func ReturnPath(sid, pid string) string { return SessionPath(sid) + "/payments/" + pid + "/return" }

// NotifyPath is where provider sends its notifications.
func NotifyPath(provider string) string { return NotifyPrefix + provider }

// NotifyTestPath is where a provider's sandbox sends its notifications on
// a server in live mode (the sandboxes there serve test keys only).
func NotifyTestPath(provider string) string { return NotifyPrefix + "test/" + provider }
