package sandbox

import (
	"encoding/base32"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
)

// tokenActive and tokenDeleted are a token's statuses [I].
const (
	tokenActive  = "ACTIVE"
	tokenDeleted = "DELETED"
)

// sidEncoding spells the hosted page ids: lower-case base32, no padding.
var sidEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// addToken is POST /tokenization/add-token [V]: it opens a hosted add-card
// page for userId and answers its URL in data.
func (s *Sandbox) addToken(p *params, _ []byte) reply {
	ss := &session{
		userID: p.str("userId", true, maxID),
		reason: p.str("reason", false, maxText),
		lang:   orDefault(p.str("lang", false, 5), "en"),
	}
	cb := p.object("callbackUrl", true)
	if cb != nil {
		ss.success = cb.url("success", true)
		ss.fail = cb.url("fail", true)
		ss.cancel = cb.url("cancel", false)
		cb.url("notify", false)
	}
	if p.ok() && ss.lang != "en" && ss.lang != "zh-HK" {
		p.fail("lang")
	}
	// showLang, themeColor, allowedBinRanges and allowedCardType [V] are
	// accepted in any form and not acted on.
	if !p.ok() {
		return invalid(p.root.bad)
	}
	if ss.cancel == "" {
		ss.cancel = ss.fail
	}
	// Base32 rather than hex: a hex id has a run of 12 or more digits
	// that passes Luhn often enough (about 1 in 150) for the adapter to
	// refuse the URL as carrying a card number; with base32's six digits
	// such a run is practically impossible.
	ss.sid = sidEncoding.EncodeToString(cryptoRand.Bytes(20))
	ss.createdAt = s.now()

	s.mu.Lock()
	s.sessions[ss.sid] = ss
	s.mu.Unlock()
	return jsonReply(struct {
		answer
		Data string `json:"data"`
	}{answerOf(bbmsl.CodeSuccess), s.publicURL + "/token?sid=" + url.QueryEscape(ss.sid)})
}

// queryToken is POST /tokenization/query-token: the user's active tokens,
// oldest first.
func (s *Sandbox) queryToken(p *params, _ []byte) reply {
	userID := p.str("userId", true, maxID)
	if !p.ok() {
		return invalid(p.root.bad)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []tokenJSON{}
	for _, t := range s.sortedTokens(strings.ToLower(userID), true) {
		list = append(list, tokenJSON{
			TokenID: t.id, UserID: t.userID, MaskedPan: t.maskedPan(), CardBrand: cardType(t.brand),
			ExpiryDate: fmt.Sprintf("%04d%02d", t.expYear, t.expMonth), Status: t.status,
		})
	}
	return jsonReply(struct {
		answer
		List []tokenJSON `json:"list"`
	}{answerOf(bbmsl.CodeSuccess), list})
}

// deleteToken is POST /tokenization/delete-token.
func (s *Sandbox) deleteToken(p *params, _ []byte) reply {
	userID, id := p.str("userId", true, maxID), p.id("tokenId", true)
	if !p.ok() {
		return invalid(p.root.bad)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.activeToken(userID, id)
	if t == nil {
		return refuse(bbmsl.CodeTokenNotFound)
	}
	t.status = tokenDeleted
	return refuse(bbmsl.CodeSuccess)
}

// sortedTokens are userKey's tokens by id; active only when asked. The
// caller holds s.mu.
func (s *Sandbox) sortedTokens(userKey string, activeOnly bool) []*tokenRec {
	var out []*tokenRec
	for _, t := range s.tokens {
		if t.userKey == userKey && (!activeOnly || t.status == tokenActive) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// saveToken stores a card that passed the hosted page. The caller holds s.mu.
func (s *Sandbox) saveToken(ss *session, t *tokenRec) {
	t.id = s.nextToken
	s.nextToken++
	t.userID = ss.userID
	t.userKey = strings.ToLower(ss.userID)
	t.status = tokenActive
	t.createdAt = s.now()
	s.tokens[t.id] = t
}
