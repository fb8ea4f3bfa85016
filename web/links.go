package web

import "github.com/opencheckout/hostedcheckout/handlers"

// links builds public URLs from the configured base URL.
type links struct{ base string }

func (l links) SessionURL(id string) string { return l.base + handlers.SessionPath(id) }
func (l links) ReturnURL(sessionID, paymentID string) string {
	return l.base + handlers.ReturnPath(sessionID, paymentID)
}
func (l links) NotifyURL(provider string) string { return l.base + handlers.NotifyPath(provider) }
func (l links) Origin() string                   { return l.base }
