package sandbox

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/templates/i18n"

	"github.com/opencheckout/hostedcheckout/providers/sandboxpage"
)

// ChallengeCode is the one-time code that passes the add-card page's
// 3-D Secure challenge; any other code fails.
const ChallengeCode = testcards.ChallengeCode

// texts are the page's two languages (add-token lang) [V values].
var texts = map[string]pageText{
	"en": {
		Lang: "en", Title: "BBMSL: add a card", Heading: "Add a card",
		Intro:      "Your card is kept by BBMSL for this merchant's future payments.",
		CardNumber: "Card number", Expiry: "Expiry (MM/YY)", CVC: "Security code", Holder: "Name on card",
		Submit: "Save card", Cancel: "Cancel",
		OTPHeading: "Verify it's you", OTPIntro: "Your card issuer sent a one-time code.", OTPLabel: "One-time code", OTPSubmit: "Submit",
		Finished: "This page has been used", Return: "Return to the merchant",
	},
	"zh-HK": {
		Lang: "zh-HK", Title: "BBMSL：新增信用卡", Heading: "新增信用卡",
		Intro:      "你的信用卡將由 BBMSL 保存，供此商戶日後收款。",
		CardNumber: "卡號", Expiry: "到期日 (MM/YY)", CVC: "安全碼", Holder: "持卡人姓名",
		Submit: "儲存信用卡", Cancel: "取消",
		OTPHeading: "驗證身份", OTPIntro: "發卡銀行已發出一次性密碼。", OTPLabel: "一次性密碼", OTPSubmit: "提交",
		Finished: "此頁面已使用", Return: "返回商戶",
	},
}

const (
	cardHint      = "Sandbox: the shared test cards apply; 4000 0000 0000 3220 asks for a one-time code."
	challengeHint = "Sandbox: enter " + ChallengeCode + " to pass; any other code fails."
)

// livePage takes s.mu and returns the page named by the request's sid,
// still holding s.mu (the caller unlocks it). First it expires a page left
// waiting past the action timeout (lapse). An unknown page is a 404 and an
// expired one a 303 to callbackUrl.fail, as a failed authentication: both
// are answered here, with s.mu released, and livePage returns nil.
func (s *Sandbox) livePage(w http.ResponseWriter, r *http.Request) *session {
	s.mu.Lock()
	ss := s.sessions[r.URL.Query().Get("sid")]
	if ss == nil {
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This add-card page is unknown.")
		return nil
	}
	s.lapse(ss)
	if ss.lapsed {
		target := ss.endedAt
		s.mu.Unlock()
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	return ss
}

// lapse ends a page the shopper has not finished (its card form or its
// one-time code still waiting) once it is older than the action timeout:
// no card is saved and the page ends at callbackUrl.fail, as a failed
// authentication does [I: BBMSL documents no page lifetime]. It runs
// first wherever a page is read. The caller holds s.mu.
func (s *Sandbox) lapse(ss *session) {
	if ss.state != sessionDone && s.now().Sub(ss.createdAt) > s.actionTimeout {
		s.end(ss, ss.fail)
		ss.lapsed = true
	}
}

// servePage is GET /token?sid=...: the page in its current step.
func (s *Sandbox) servePage(w http.ResponseWriter, r *http.Request) {
	ss := s.livePage(w, r)
	if ss == nil {
		return
	}
	switch ss.state {
	case sessionDone:
		v := finishedView{T: texts[ss.lang], ReturnURL: ss.endedAt}
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return finishedPage(v) })
	case sessionChallenge:
		v := s.challengeView(ss)
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return challengePage(v) })
	default:
		v := s.addCardView(ss)
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return addCardPage(v) })
	}
}

// serveCard is POST /token?sid=...: the card form. The number and CVC live
// only in this request; the token keeps brand, BIN, last four, expiry and
// the test scenario.
func (s *Sandbox) serveCard(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	number, expiry := r.PostFormValue("card-number"), r.PostFormValue("card-expiry")
	cvc, holder := r.PostFormValue("card-cvc"), r.PostFormValue("cardholder-name")

	ss := s.livePage(w, r)
	if ss == nil {
		return
	}
	if ss.state != sessionOpen {
		page := s.pageURL(ss, "")
		s.mu.Unlock()
		http.Redirect(w, r, page, http.StatusSeeOther)
		return
	}
	card, errs := checkout.ParseCard(number, expiry, cvc, holder, s.now())
	if len(errs) > 0 {
		v := s.addCardView(ss)
		v.Expiry, v.Holder, v.Errors = expiry, holder, map[string]string{}
		for f, e := range errs {
			// The sandbox's page is the provider's, in English.
			if e.Count != 0 {
				v.Errors[f] = i18n.English().N(e.Key, e.Count)
			} else {
				v.Errors[f] = i18n.English().T(e.Key)
			}
		}
		s.mu.Unlock()
		s.render(w, r, http.StatusUnprocessableEntity, func(nonce string) templ.Component { v.Nonce = nonce; return addCardPage(v) })
		return
	}
	d := card.Details()
	facts := &tokenRec{
		brand: d.Brand, bin: d.BIN, last4: d.Last4, panLength: len(card.Number), expMonth: d.ExpMonth, expYear: d.ExpYear,
		scenario: testcards.Lookup(card.Number, nil),
	}
	if f, ok := sandboxfault.FromHolder(card.Holder); ok {
		facts.fault = &f
	}
	switch facts.scenario.Authentication {
	case testcards.Challenged:
		ss.state, ss.pending, ss.challengeShown = sessionChallenge, facts, true
		v := s.challengeView(ss)
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return challengePage(v) })
		return
	case testcards.Failed, testcards.Rejected:
		s.end(ss, ss.fail)
	default:
		facts.threeDS = map[testcards.Authentication]string{testcards.Unavailable: "U", testcards.Attempted: "A"}[facts.scenario.Authentication]
		if facts.threeDS == "" {
			facts.threeDS = "Y"
		}
		s.saveToken(ss, facts)
		s.end(ss, ss.success)
	}
	target := ss.endedAt
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveChallenge is POST /token/challenge?sid=...: the first answer
// decides; the card is saved only with the right code.
func (s *Sandbox) serveChallenge(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	code := strings.TrimSpace(r.PostFormValue("otp"))
	ss := s.livePage(w, r)
	if ss == nil {
		return
	}
	if ss.state != sessionChallenge {
		page := s.pageURL(ss, "")
		s.mu.Unlock()
		http.Redirect(w, r, page, http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(ChallengeCode)) == 1 {
		ss.pending.threeDS = "Y"
		s.saveToken(ss, ss.pending)
		s.end(ss, ss.success)
	} else {
		s.end(ss, ss.fail)
	}
	target := ss.endedAt
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveCancel is GET /token/cancel?sid=...: the shopper gives up.
func (s *Sandbox) serveCancel(w http.ResponseWriter, r *http.Request) {
	ss := s.livePage(w, r)
	if ss == nil {
		return
	}
	if ss.state != sessionDone {
		s.end(ss, ss.cancel)
	}
	target := ss.endedAt
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// end finishes a page, sending the browser to target. The caller holds s.mu.
func (s *Sandbox) end(ss *session, target string) {
	ss.state, ss.pending, ss.endedAt = sessionDone, nil, target
}

// pageURL is the public URL of a page step ("" for the page itself,
// "/challenge", "/cancel").
func (s *Sandbox) pageURL(ss *session, step string) string {
	return s.publicURL + "/token" + step + "?sid=" + url.QueryEscape(ss.sid)
}

func (s *Sandbox) addCardView(ss *session) addCardView {
	return addCardView{
		T: texts[ss.lang], Action: s.pageURL(ss, ""), CancelURL: s.pageURL(ss, "/cancel"),
		Merchant: "Merchant " + s.creds.MerchantID, Reason: ss.reason, Hint: cardHint,
	}
}

func (s *Sandbox) challengeView(ss *session) challengeView {
	v := challengeView{T: texts[ss.lang], Action: s.pageURL(ss, "/challenge"), CancelURL: s.pageURL(ss, "/cancel"), Hint: challengeHint}
	if ss.pending != nil {
		v.Card = ss.pending.brand.Label() + " •••• " + ss.pending.last4
	}
	return v
}

func (s *Sandbox) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.render(w, r, status, func(nonce string) templ.Component { return errorPage(nonce, message) })
}

// render writes a page with the headers a provider's card page sets for itself.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, page func(nonce string) templ.Component) {
	sandboxpage.Render(w, r, status, page, sandboxpage.Policy{Referrer: "no-referrer"})
}
