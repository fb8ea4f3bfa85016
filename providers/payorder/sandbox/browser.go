package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/golang-jwt/jwt/v5"

	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/testcards"

	"github.com/opencheckout/hostedcheckout/providers/sandboxpage"
)

// maxMD is the longest merchant data Cardinal echoes.
const maxMD = 1024

// serveDeviceDataCollection is Cardinal's Collect endpoint: a hidden iframe
// posts Bin and JWT, and the page tells its parent the SessionId to pass to
// payOrder. An invalid JWT gets Status false and no SessionId.
func (s *Sandbox) serveDeviceDataCollection(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	msg := profileMessage{MessageType: "profile.completed"}
	var claims ddcClaims
	if s.parseJWT(r.PostFormValue("JWT"), &claims, true) {
		s.mu.Lock()
		o := s.byTxRef[claims.ReferenceID]
		if o != nil {
			s.expire(o)
		}
		if o != nil && o.status == payorder.OutcomeInitialized && o.card.bin == r.PostFormValue("Bin") {
			o.ddcSessionID = "0_" + s.rnd.UUID()
			msg.SessionID, msg.Status = o.ddcSessionID, true
			o.waitingSince = s.now() // now for the merchant's payOrder
		}
		s.mu.Unlock()
	}
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { return ddcPage(nonce, msg) })
}

// parseJWT verifies a JWT this sandbox issued (HS256, its issuer and org
// unit) into claims.
func (s *Sandbox) parseJWT(raw string, claims interface {
	jwt.Claims
	orgUnit() string
}, needExpiry bool) bool {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(s.apiID),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
	}
	if needExpiry {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return s.jwtKey, nil }, opts...)
	return err == nil && claims.orgUnit() == s.orgUnitID
}

func (c *ddcClaims) orgUnit() string       { return c.OrgUnitID }
func (c *challengeClaims) orgUnit() string { return c.OrgUnitID }

// serveChallenge is Cardinal's StepUp endpoint: the merchant's iframe posts
// JWT and MD, and the issuer's challenge page comes back.
func (s *Sandbox) serveChallenge(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	md := r.PostFormValue("MD")
	var claims challengeClaims
	ok := s.parseJWT(r.PostFormValue("JWT"), &claims, false) && len(md) <= maxMD
	s.mu.Lock()
	o := s.byChallenge[claims.Payload.TransactionID]
	if !ok || o == nil || claims.ReturnURL != o.returnURL {
		s.mu.Unlock()
		s.renderError(w, r, "This authentication request is not valid.")
		return
	}
	s.expire(o)
	if o.challenge.result != "" || o.status != payorder.OutcomeChallenged {
		// Answered already, or expired: back to the merchant.
		v := s.returnView(o, md)
		s.mu.Unlock()
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return returnPage(v) })
		return
	}
	v := acsView{
		Action:        s.publicURL + "/acs/complete",
		TransactionID: o.challenge.transactionID,
		MD:            md,
		WindowCode:    windowCode(o.windowSize),
		Merchant:      merchantName(o.domain),
		Amount:        o.amount.Format("en-US"),
		Card:          o.card.brand.Label() + " •••• " + o.card.last4,
	}
	s.mu.Unlock()
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return acsPage(v) })
}

// serveChallengeComplete records the shopper's answer (only the first one
// counts) and posts TransactionId, Response and MD back to the merchant's
// return URL.
func (s *Sandbox) serveChallengeComplete(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	md := r.PostFormValue("MD")
	s.mu.Lock()
	o := s.byChallenge[r.PostFormValue("TransactionId")]
	if o == nil || len(md) > maxMD {
		s.mu.Unlock()
		s.renderError(w, r, "This authentication request is not valid.")
		return
	}
	s.expire(o)
	if o.challenge.result == "" && o.status == payorder.OutcomeChallenged {
		o.challenge.result = "N"
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("challengeDataEntry")), []byte(testcards.ChallengeCode)) == 1 {
			o.challenge.result = "Y"
		}
		o.waitingSince = s.now() // now for the merchant's verification
	}
	v := s.returnView(o, md)
	s.mu.Unlock()
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return returnPage(v) })
}

// returnView builds the post back to the merchant. Response is an opaque
// base64 CRes; an expired challenge answers N, as a failed one. The caller
// holds s.mu.
func (s *Sandbox) returnView(o *order, md string) returnView {
	ch := o.challenge
	status := ch.result
	if o.expired {
		status = "N"
	}
	cres, _ := json.Marshal(map[string]string{
		"threeDSServerTransID": ch.serverTransID,
		"acsTransID":           ch.acsTransID,
		"messageType":          "CRes",
		"messageVersion":       threeDSVersion,
		"transStatus":          status,
	})
	return returnView{
		ReturnURL:     o.returnURL,
		TransactionID: ch.transactionID,
		Response:      base64.StdEncoding.EncodeToString(cres),
		MD:            md,
		Passed:        status == "Y",
		Expired:       o.expired,
	}
}

// merchantName is what the challenge page shows for the order's domain.
func merchantName(domain string) string {
	if u, err := url.Parse(domain); err == nil && u.Host != "" {
		return u.Host
	}
	return domain
}

func (s *Sandbox) renderError(w http.ResponseWriter, r *http.Request, message string) {
	s.render(w, r, http.StatusBadRequest, func(nonce string) templ.Component { return errorPage(nonce, message) })
}

// render writes a page with the headers a third-party 3DS page, which runs its own scripts sets for itself.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, page func(nonce string) templ.Component) {
	sandboxpage.Render(w, r, status, page, sandboxpage.Policy{Scripts: true})
}
