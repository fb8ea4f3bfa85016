package sandbox

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"

	"github.com/opencheckout/hostedcheckout/providers/sandboxpage"
)

// canvasClasses map challengeCanvasSize to the page's CSS class.
var canvasClasses = map[string]string{
	"250x400": "c250x400", "390x400": "c390x400", "500x600": "c500x600", "600x400": "c600x400", "full-screen": "cfull",
}

// serveChallenge is GET /3dsecure/{uuid}?returnMAC=…: the ACS challenge
// page. A wrong or missing returnMAC gets a 400 page; after the action
// timeout the payment has failed and the browser is sent back (303).
func (s *Sandbox) serveChallenge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("uuid")
	s.mu.Lock()
	p := s.challenges[id]
	switch {
	case p == nil:
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This authentication request is unknown.")
		return
	case !macMatches(r.URL.Query().Get("returnMAC"), p.returnMAC):
		s.mu.Unlock()
		s.renderError(w, r, http.StatusBadRequest, "This authentication request is not valid.")
		return
	case s.expire(p):
		// Too late: the authentication failed, as after a wrong code.
		target := returnTarget(p)
		s.mu.Unlock()
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	case p.browserDone:
		v := finishedView{ReturnURL: returnTarget(p)}
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return finishedPage(v) })
		return
	}
	p.challengeShown = true
	canvas := canvasClasses[p.canvasSize]
	if canvas == "" {
		canvas = canvasClasses["250x400"] // Worldline's default size
	}
	v := challengeView{
		Action:    s.publicURL + "/3dsecure/" + id,
		ReturnMAC: p.returnMAC,
		Canvas:    canvas,
		Merchant:  merchantName(p),
		Amount:    checkout.Money{Amount: p.amount, Currency: p.currency}.Format("en-US"),
		Card:      p.card.brand.Label() + " •••• " + p.card.last4,
	}
	s.mu.Unlock()
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return challengePage(v) })
}

// serveChallengeAnswer is POST /3dsecure/{uuid}: the first answer decides
// (code 1234 passes, anything else or Cancel fails); every answer then
// sends the browser back to the merchant.
func (s *Sandbox) serveChallengeAnswer(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := r.PathValue("uuid")
	mac := r.PostFormValue("returnMAC")
	code := strings.TrimSpace(r.PostFormValue("otp"))
	cancelled := r.PostFormValue("action") == "cancel"
	s.mu.Lock()
	p := s.challenges[id]
	switch {
	case p == nil:
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This authentication request is unknown.")
		return
	case !macMatches(mac, p.returnMAC):
		s.mu.Unlock()
		s.renderError(w, r, http.StatusBadRequest, "This authentication request is not valid.")
		return
	}
	s.expire(p) // an answer after the timeout counts for nothing
	if !p.browserDone {
		p.browserDone = true
		if !cancelled && subtle.ConstantTimeCompare([]byte(code), []byte(testcards.ChallengeCode)) == 1 {
			s.authorise(p, s.threeDSResultOf(p, testcards.Challenged, "challenged"))
		} else {
			s.failAuthentication(p, s.threeDSResultOf(p, testcards.Failed, "challenged"))
		}
	}
	target := returnTarget(p)
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveRedirector is GET /redirector/{uuid}: Worldline's 3DS Method hop.
// It completes the frictionless authentication once and sends the browser
// back to the merchant.
func (s *Sandbox) serveRedirector(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.redirectors[r.PathValue("uuid")]
	if p == nil {
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This authentication request is unknown.")
		return
	}
	s.expire(p) // too late: the browser only goes back
	if !p.browserDone {
		p.browserDone = true
		s.authorise(p, s.threeDSResultOf(p, p.card.scenario.Authentication, "frictionless"))
	}
	target := returnTarget(p)
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// returnTarget is the payment's returnUrl with RETURNMAC, REF and paymentId
// added after its own query. The caller holds s.mu.
func returnTarget(p *payment) string {
	u, err := url.Parse(p.returnURL)
	if err != nil { // validated at creation
		return p.returnURL
	}
	extra := url.Values{"RETURNMAC": {p.returnMAC}, "REF": {p.id}, "paymentId": {p.id}}.Encode()
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += extra
	return u.String()
}

func macMatches(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// merchantName is what the challenge page shows: the host of the return
// URL (the descriptor carries the merchant's order reference, not its name).
func merchantName(p *payment) string {
	if u, err := url.Parse(p.returnURL); err == nil {
		return u.Hostname()
	}
	return ""
}

func (s *Sandbox) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.render(w, r, status, func(nonce string) templ.Component { return errorPage(nonce, message) })
}

// render writes a page with the headers a third-party 3DS page sets for itself.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, page func(nonce string) templ.Component) {
	sandboxpage.Render(w, r, status, page, sandboxpage.Policy{})
}
