package web

// links builds public URLs from the configured base URL.
type links struct{ base string }

func (l links) SessionURL(id string) string { return l.base + "/c/" + id }
func (l links) ReturnURL(sessionID, paymentID string) string {
	return l.base + "/c/" + sessionID + "/payments/" + paymentID + "/return"
}
func (l links) NotifyURL(provider string) string { return l.base + "/notify/" + provider }
func (l links) Origin() string                   { return l.base }
