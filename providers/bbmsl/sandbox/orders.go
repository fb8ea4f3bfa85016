package sandbox

import (
	"crypto/hmac"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Order and transaction statuses [V].
const (
	statusOpen     = "OPEN"
	statusSuccess  = "SUCCESS"
	statusDeclined = "DECLINED"
	statusVoided   = "VOIDED"
)

// Limits the sandbox enforces: String(64) ids, Number(8) quantity [S];
// 255 for names, reasons and email [S for email, I for the rest].
const (
	maxID       = 64
	maxText     = 255
	maxQuantity = 99_999_999
)

// timeFormat is the seed's createTime, "2022-07-05T03:20:01.307+00:00".
const timeFormat = "2006-01-02T15:04:05.000-07:00"

// charge is what a sale or recurring call asks for, once validated.
type charge struct {
	userID      string
	tokenID     int64
	reference   string
	currency    string
	amount      int64
	isRecurring bool
	parentID    int64
	notifyURL   string
	fingerprint []byte
}

// sale is POST /tokenization/sale (seed 001).
func (s *Sandbox) sale(p *params, request []byte) reply {
	c := charge{
		userID:    p.str("userId", true, maxID),
		tokenID:   p.id("tokenId", true),
		reference: p.str("merchantReference", true, maxID),
	}
	c.currency = currencyOf(p)
	c.amount = p.amount("amount", c.currency, true)
	p.str("email", false, maxText)
	if cb := p.object("callbackUrl", false); cb != nil {
		c.notifyURL = cb.url("notify", false)
	}
	c.isRecurring = p.boolean("isRecurring")
	items := p.array("lineItems")
	var sum int64
	for _, it := range items {
		q := it.integer("quantity", 1, maxQuantity)
		pd := it.object("priceData", true)
		if pd == nil {
			break
		}
		pd.str("name", true, maxText)
		unit := pd.amount("unitAmount", c.currency, true)
		if p.ok() && unit > (checkout.MaxAmount-sum)/q {
			p.fail("lineItems")
		}
		sum += q * unit
	}
	if p.ok() && (len(items) == 0 || sum != c.amount) {
		p.fail("lineItems")
	}
	if p.ok() && c.amount <= 0 {
		p.fail("amount")
	}
	if !p.ok() {
		return invalid(p.root.bad)
	}
	c.fingerprint = s.requestFingerprint(request)

	s.mu.Lock()
	defer s.mu.Unlock()
	if r, done := s.replay(c); done {
		return r
	}
	t := s.activeToken(c.userID, c.tokenID)
	if t == nil {
		return refuse(bbmsl.CodeTokenNotFound)
	}
	return s.charge(t, c)
}

// recurring is POST /tokenization/recurring (PROVIDERS.md 2.3).
func (s *Sandbox) recurring(p *params, request []byte) reply {
	c := charge{
		userID:      p.str("userId", true, maxID),
		tokenID:     p.id("tokenId", true),
		reference:   p.str("merchantReference", true, maxID),
		isRecurring: true,
	}
	p.str("reason", false, maxText)
	currency := p.str("currency", false, 3)
	// The amount is read in HKD when no currency is sent: both currencies
	// have two decimals, and the parent's currency applies.
	c.amount = p.amount("amount", orDefault(currency, "HKD"), true)
	c.parentID = p.id("parentOrderId", true)
	if cb := p.object("callbackUrl", false); cb != nil {
		c.notifyURL = cb.url("notify", false)
	}
	if p.ok() && currency != "" && currency != "HKD" && currency != "USD" {
		p.fail("currency")
	}
	if p.ok() && c.amount <= 0 {
		p.fail("amount")
	}
	if !p.ok() {
		return invalid(p.root.bad)
	}
	c.fingerprint = s.requestFingerprint(request)

	s.mu.Lock()
	defer s.mu.Unlock()
	if r, done := s.replay(c); done {
		return r
	}
	t := s.activeToken(c.userID, c.tokenID)
	if t == nil {
		return refuse(bbmsl.CodeTokenNotFound)
	}
	parent := s.byID[c.parentID]
	if parent == nil || parent.userKey != t.userKey || parent.tokenID != t.id || !parent.recurring || parent.txStatus != statusSuccess {
		return refuse(bbmsl.CodeInvalidParent)
	}
	if currency != "" && currency != parent.currency {
		return invalid("currency")
	}
	c.currency = parent.currency
	return s.charge(t, c)
}

// replay answers a merchantReference seen before: the order as it stands
// for the same request, 2002 for another. The caller holds s.mu.
func (s *Sandbox) replay(c charge) (reply, bool) {
	o, ok := s.orders[c.reference]
	if !ok {
		return reply{}, false
	}
	if !hmac.Equal(o.fingerprint, c.fingerprint) {
		return refuse(bbmsl.CodeDuplicateReference), true
	}
	return s.orderReply(o, o.code), true
}

// charge runs the token's scenario and makes the order. The caller holds s.mu.
func (s *Sandbox) charge(t *tokenRec, c charge) reply {
	if t.scenario.Fault == testcards.ServerErrorNoCharge || (t.fault != nil && t.fault.Kind == sandboxfault.ServerError) {
		return serverError()
	}
	now := s.now()
	o := &orderRec{
		id: s.nextOrder, txID: s.nextTx, reference: c.reference, fingerprint: c.fingerprint,
		userID: c.userID, userKey: t.userKey, tokenID: t.id, currency: c.currency, amount: c.amount,
		recurring: c.isRecurring, parentID: c.parentID, cardType: cardType(t.brand), maskedPan: t.maskedPan(),
		notifyURL: c.notifyURL, createdAt: now, updatedAt: now,
	}
	s.nextOrder++
	s.nextTx++
	if code := declineCode(t.scenario.Decline); code != "" {
		o.status, o.txStatus, o.code = statusOpen, statusDeclined, code
	} else {
		o.status, o.txStatus, o.code, o.charged = statusSuccess, statusSuccess, bbmsl.CodeSuccess, true
	}
	s.orders[o.reference] = o
	s.byID[o.id] = o
	s.emit(o)
	if t.scenario.Fault == testcards.TimeoutCharged {
		return reply{abort: true}
	}
	r := s.orderReply(o, o.code)
	r.fault = t.fault // the order is made as usual; only the answer misbehaves
	return r
}

// void is POST /tokenization/void: SUCCESS becomes VOIDED.
func (s *Sandbox) void(p *params, _ []byte) reply {
	ref, id := p.str("merchantReference", false, maxID), p.id("orderId", false)
	if !p.ok() {
		return invalid(p.root.bad)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.find(ref, id)
	switch {
	case o == nil:
		return refuse(bbmsl.CodeOrderNotFound)
	case o.txStatus == statusVoided:
	case o.txStatus == statusSuccess:
		o.status, o.txStatus, o.updatedAt = statusVoided, statusVoided, s.now()
		s.emit(o)
	default:
		return refuse(bbmsl.CodeInvalidOrderStatus)
	}
	return s.orderReply(o, bbmsl.CodeSuccess)
}

// query is POST /tokenization/query and /hosted-checkout/query.
func (s *Sandbox) query(p *params, _ []byte) reply {
	ref, id := p.str("merchantReference", false, maxID), p.id("orderId", false)
	if !p.ok() {
		return invalid(p.root.bad)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.find(ref, id)
	if o == nil {
		return refuse(bbmsl.CodeOrderNotFound)
	}
	return s.orderReply(o, bbmsl.CodeSuccess)
}

// find returns the order named by merchantReference or orderId; both, when
// given, must name the same one. The caller holds s.mu.
func (s *Sandbox) find(ref string, id int64) *orderRec {
	var o *orderRec
	switch {
	case ref != "":
		o = s.orders[ref]
		if o != nil && id != 0 && o.id != id {
			return nil
		}
	case id != 0:
		o = s.byID[id]
	}
	return o
}

// orderReply is an order answer with code. The caller holds s.mu.
func (s *Sandbox) orderReply(o *orderRec, code string) reply {
	amount := s.decimal(o.amount, o.currency)
	return jsonReply(orderAnswer{
		answer: answerOf(code),
		Order: orderJSON{
			ID: o.id, MerchantID: json.Number(s.creds.MerchantID), MerchantReference: o.reference,
			Currency: o.currency, Amount: amount, NetAmount: amount, CardType: o.cardType,
			CreateTime: o.createdAt.Format(timeFormat), UpdateTime: o.updatedAt.Format(timeFormat),
			Status: o.status, IssuerCountryCode: "HK", Recurring: o.recurring,
		},
		Transaction: transactionJSON{
			ID: o.txID, MerchantID: json.Number(s.creds.MerchantID), Type: "SALE", Amount: amount,
			Currency: o.currency, Status: o.txStatus, MaskedPan: o.maskedPan, Stan: strconv.FormatInt(o.txID, 10),
			ResponseCode: o.code,
		},
	})
}

// decimal is an amount as PayAPI writes it, e.g. 12.34.
func (s *Sandbox) decimal(minor int64, currency string) json.Number {
	n, err := bbmsl.FormatAmount(checkout.Money{Amount: minor, Currency: currency})
	if err != nil {
		return "0"
	}
	return n
}

// activeToken is userID's active token id, or nil. The caller holds s.mu.
func (s *Sandbox) activeToken(userID string, id int64) *tokenRec {
	t := s.tokens[id]
	if t == nil || t.status != tokenActive || t.userKey != strings.ToLower(userID) {
		return nil
	}
	return t
}

// currencyOf reads the sale's currency, HKD by default [S].
func currencyOf(p *params) string {
	c := orDefault(p.str("currency", false, 3), "HKD")
	if p.ok() && c != "HKD" && c != "USD" {
		p.fail("currency")
	}
	return c
}

// declineCode is the responseCode of the issuer's answer; "" approves.
func declineCode(d testcards.Decline) string {
	switch d {
	case testcards.Generic:
		return codeDoNotHonour
	case testcards.InsufficientFunds:
		return codeInsufficientFunds
	case testcards.ExpiredCard:
		return codeExpiredCard
	case testcards.IncorrectCVC:
		return codeCVCFailed
	}
	return ""
}

// cardType is the order's cardType for a brand [I beyond VISA].
func cardType(b checkout.CardBrand) string {
	switch b {
	case checkout.BrandVisa:
		return "VISA"
	case checkout.BrandMastercard:
		return "MASTERCARD"
	case checkout.BrandAmex:
		return "AMEX"
	case checkout.BrandJCB:
		return "JCB"
	case checkout.BrandUnionPay:
		return "UNIONPAY"
	case checkout.BrandDiners:
		return "DINERS"
	case checkout.BrandDiscover:
		return "DISCOVER"
	}
	return "UNKNOWN"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
