package sandbox

import (
	"encoding/json"
	"mime"
	"net/http"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// sessionsMediaType is Access Worldpay Checkout's media type.
const sessionsMediaType = "application/vnd.worldpay.sessions-v1.hal+json"

type cardSessionRequest struct {
	Identity       string      `json:"identity"`
	CardNumber     string      `json:"cardNumber"`
	CardExpiryDate *expiryDate `json:"cardExpiryDate"`
	CVC            string      `json:"cvc"`
}

type expiryDate struct {
	Month int `json:"month"`
	Year  int `json:"year"`
}

type cvcSessionRequest struct {
	Identity string `json:"identity"`
	CVC      string `json:"cvc"`
}

// serveCardSession creates a card session. Like Worldpay it answers 400
// for a malformed or invalid card and 401 for an unknown identity; its
// errors name fields, never their values.
func (s *Sandbox) serveCardSession(w http.ResponseWriter, r *http.Request) {
	var req cardSessionRequest
	if !readSessionRequest(w, r, &req) {
		return
	}
	if req.Identity != s.checkoutID {
		writeSessionError(w, http.StatusUnauthorized, "unauthorized", "the identity is not a known checkout", "")
		return
	}
	now := s.now()
	switch {
	case !checkout.LooksLikeCardNumber(req.CardNumber):
		writeSessionError(w, http.StatusBadRequest, "bodyDoesNotMatchSchema", "the card number is not valid", "$.cardNumber")
		return
	case req.CardExpiryDate == nil || req.CardExpiryDate.Month < 1 || req.CardExpiryDate.Month > 12 ||
		req.CardExpiryDate.Year < now.Year() || (req.CardExpiryDate.Year == now.Year() && req.CardExpiryDate.Month < int(now.Month())):
		writeSessionError(w, http.StatusBadRequest, "bodyDoesNotMatchSchema", "the expiry date is not valid", "$.cardExpiryDate")
		return
	case !validCVC(req.CVC):
		writeSessionError(w, http.StatusBadRequest, "bodyDoesNotMatchSchema", "the CVC is not valid", "$.cvc")
		return
	}
	s.writeSession(w, &cardSession{card: cardFacts{
		scenario: testcards.Lookup(req.CardNumber, cardinalCards),
		brand:    checkout.DetectBrand(req.CardNumber),
		bin:      req.CardNumber[:6],
		last4:    req.CardNumber[len(req.CardNumber)-4:],
	}})
}

// serveCVCSession creates a CVC-only session.
func (s *Sandbox) serveCVCSession(w http.ResponseWriter, r *http.Request) {
	var req cvcSessionRequest
	if !readSessionRequest(w, r, &req) {
		return
	}
	if req.Identity != s.checkoutID {
		writeSessionError(w, http.StatusUnauthorized, "unauthorized", "the identity is not a known checkout", "")
		return
	}
	if !validCVC(req.CVC) {
		writeSessionError(w, http.StatusBadRequest, "bodyDoesNotMatchSchema", "the CVC is not valid", "$.cvc")
		return
	}
	s.writeSession(w, &cardSession{cvcOnly: true})
}

func readSessionRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != sessionsMediaType {
		writeSessionError(w, http.StatusUnsupportedMediaType, "headerHasInvalidValue", "Content-Type must be "+sessionsMediaType, "")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeSessionError(w, http.StatusBadRequest, "bodyDoesNotMatchSchema", "the JSON body does not match the expected schema", "")
		return false
	}
	return true
}

// writeSession stores a session and answers 201 with its href.
func (s *Sandbox) writeSession(w http.ResponseWriter, cs *cardSession) {
	id := s.token(32)
	s.mu.Lock()
	now := s.now()
	for k, old := range s.sessions {
		if !now.Before(old.expires) {
			delete(s.sessions, k)
		}
	}
	cs.expires = now.Add(checkoutSessionTTL)
	s.sessions[id] = cs
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, sessionsMediaType, map[string]any{
		"_links": map[string]any{
			"sessions:session": map[string]string{"href": s.publicURL + "/sessions/" + id},
			"curies":           []map[string]any{{"name": "sessions", "href": s.publicURL + "/rels/sessions/{rel}", "templated": true}},
		},
	})
}

func writeSessionError(w http.ResponseWriter, status int, name, message, path string) {
	body := map[string]any{"errorName": name, "message": message}
	if path != "" {
		body["validationErrors"] = []map[string]string{{"errorName": "fieldHasInvalidValue", "message": message, "jsonPath": path}}
	}
	writeJSON(w, status, "application/json", body)
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func validCVC(s string) bool { return allDigits(s) && len(s) >= 3 && len(s) <= 4 }
