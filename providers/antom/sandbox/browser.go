package sandbox

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/opencheckout/hostedcheckout/checkout"

	"github.com/opencheckout/hostedcheckout/providers/sandboxpage"
)

// serveChallenge is GET /3ds/{id}: Antom's 3DS page for a payment in
// process. A payment no longer waiting (answered, or canceled by the
// merchant) gets a page that leads back to the merchant; one that expired
// (Config.ActionTimeout) sends the browser back at once, 303 to
// paymentRedirectUrl, as a failed authentication does.
func (s *Sandbox) serveChallenge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.challenges[id]
	s.expire(p)
	switch {
	case p == nil:
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This verification request is unknown.")
		return
	case p.expired:
		target := p.redirectURL
		s.mu.Unlock()
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	case p.browserDone || p.status != statusProcessing:
		v := finishedView{ReturnURL: p.redirectURL}
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return finishedPage(v) })
		return
	}
	p.challengeShown = true
	v := challengeView{
		Action:   s.publicURL + "/3ds/" + id,
		Merchant: merchantName(p),
		Amount:   checkout.Money{Amount: p.amount, Currency: p.currency}.Format("en-US"),
		Card:     p.card.brand.Label() + " •••• " + p.card.last4,
		Hint:     "Sandbox: enter " + ChallengeCode + " to pass; any other code fails.",
	}
	s.mu.Unlock()
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return challengePage(v) })
}

// serveChallengeAnswer is POST /3ds/{id}: the first answer decides (code
// 1234 passes, anything else or Cancel fails authentication) unless the
// payment expired first (Config.ActionTimeout); every answer then sends the
// browser to paymentRedirectUrl.
func (s *Sandbox) serveChallengeAnswer(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := r.PathValue("id")
	code := strings.TrimSpace(r.PostFormValue("otp"))
	cancelled := r.PostFormValue("action") == "cancel"
	s.mu.Lock()
	p := s.challenges[id]
	if p == nil {
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This verification request is unknown.")
		return
	}
	s.expire(p)
	if !p.browserDone && p.status == statusProcessing {
		p.browserDone = true
		if !cancelled && subtle.ConstantTimeCompare([]byte(code), []byte(ChallengeCode)) == 1 {
			p.threeDS = s.threeDSOutcome(p, "Y", modeChallenge)
			s.issue(p)
		} else {
			p.threeDS = s.threeDSOutcome(p, "N", modeChallenge)
			s.fail(p, codeThreeDSFailed)
		}
	}
	target := p.redirectURL
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// merchantName is what the page shows: the host of the redirect URL.
func merchantName(p *payment) string {
	if u, err := url.Parse(p.redirectURL); err == nil {
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
