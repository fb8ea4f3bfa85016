package sandbox

import (
	"crypto/hmac"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Payment statuses, as inquiryPayment's paymentStatus says them [V].
const (
	statusProcessing = "PROCESSING"
	statusSuccess    = "SUCCESS"
	statusFail       = "FAIL"
	statusCancelled  = "CANCELLED"
)

// Capture modes and transaction types.
const (
	captureAutomatic = "AUTOMATIC"
	captureManual    = "MANUAL"
	txCapture        = "CAPTURE"
	txRefund         = "REFUND"
	txCancel         = "CANCEL"
)

// Limits the sandbox enforces [I].
const (
	maxID          = 64
	maxDescription = 256
	maxValueDigits = 18
)

// payment is one payment of the ledger. It never holds the card number or CVV.
type payment struct {
	requestID            string // our paymentRequestId
	id                   string // Antom's paymentId
	fingerprint          []byte
	amount               int64
	currency             string
	captureMode          string
	card                 cardFacts
	threeDSRequested     bool
	language             string
	upgrade              bool
	redirectURL          string
	notifyURL            string
	status               string
	code                 string
	threeDS              *threeDSResult
	authorised           bool
	networkTransactionID string
	captured             int64
	refunded             int64 // refunds that succeeded
	refundPending        int64 // refunds still in process: reserved, not refunded
	transactions         []transaction
	token                string // the 3DS page's id
	challengeShown       bool
	browserDone          bool
	waitingSince         time.Time // when the 3DS page opened: ActionTimeout runs from here
	expired              bool      // nobody answered the 3DS page within ActionTimeout
	createdAt            time.Time
	paidAt               time.Time
	canceledAt           time.Time
}

func (p *payment) state() PaymentState {
	st := PaymentState{
		PaymentRequestID: p.requestID,
		PaymentID:        p.id,
		Status:           p.status,
		ResultCode:       p.code,
		CaptureMode:      p.captureMode,
		Amount:           p.amount,
		Currency:         p.currency,
		Captured:         p.captured,
		Refunded:         p.refunded,
		RefundPending:    p.refundPending,
		Challenged:       p.challengeShown,
		ThreeDSRequested: p.threeDSRequested,
		Language:         p.language,
		Brand:            p.card.brand,
		Last4:            p.card.last4,
	}
	if p.authorised {
		st.Authorisations = 1
	}
	if p.threeDS != nil {
		st.ECI = p.threeDS.ECI
	}
	return st
}

func (p *payment) money() *amount {
	return &amount{Currency: p.currency, Value: strconv.FormatInt(p.amount, 10)}
}

// capture is a successful capture, kept for its idempotency key.
type capture struct {
	requestID   string
	id          string
	fingerprint []byte
	p           *payment
	amount      int64
	at          time.Time
}

// validPay is a pay request that passed validation. It holds the card
// number and CVV only for the life of the request.
type validPay struct {
	requestID        string
	amount           int64
	currency         string
	number           string
	month, year      string
	holder           string
	threeDSRequested bool
	upgrade          bool
	captureMode      string
	redirectURL      string
	notifyURL        string
	language         string // env.browserInfo.language, else env.deviceLanguage
	cardCode         string // a refusal of the card itself: INVALID_CARD_NUMBER, INVALID_CVV, INVALID_EXPIRATION_DATE
}

// validatePay checks a pay request and names the first field at fault.
func (s *Sandbox) validatePay(req *payRequest) (validPay, string) {
	var v validPay
	if req.ProductCode != "CASHIER_PAYMENT" {
		return v, "productCode"
	}
	if !validID(req.PaymentRequestID) {
		return v, "paymentRequestId"
	}
	v.requestID = req.PaymentRequestID
	m, ok := parseAmount(req.PaymentAmount)
	if !ok {
		return v, "paymentAmount"
	}
	v.amount, v.currency = m.Amount, m.Currency

	o := req.Order
	switch {
	case o == nil:
		return v, "order"
	case !validReference(o.ReferenceOrderID):
		return v, "order.referenceOrderId"
	case strings.TrimSpace(o.OrderDescription) == "" || len([]rune(o.OrderDescription)) > maxDescription:
		return v, "order.orderDescription"
	}
	if o.OrderAmount != nil {
		if om, ok := parseAmount(o.OrderAmount); !ok || om.Currency != v.currency {
			return v, "order.orderAmount"
		}
	}
	for i, g := range o.Goods {
		if strings.TrimSpace(g.GoodsName) == "" {
			return v, "order.goods[" + strconv.Itoa(i) + "].goodsName"
		}
		if gm, ok := parseMoney(g.GoodsUnitAmount, true); g.GoodsUnitAmount != nil && (!ok || gm.Currency != v.currency) {
			return v, "order.goods[" + strconv.Itoa(i) + "].goodsUnitAmount"
		}
		if g.GoodsQuantity != "" && !allDigits(g.GoodsQuantity) {
			return v, "order.goods[" + strconv.Itoa(i) + "].goodsQuantity"
		}
	}

	e := req.Env
	switch {
	case e == nil:
		return v, "env"
	case e.TerminalType != "WEB" && e.TerminalType != "WAP" && e.TerminalType != "APP":
		return v, "env.terminalType"
	case e.ClientIP != "" && net.ParseIP(e.ClientIP) == nil:
		return v, "env.clientIp"
	}
	v.language = e.DeviceLanguage
	if e.BrowserInfo != nil && e.BrowserInfo.Language != "" {
		v.language = e.BrowserInfo.Language
	}
	if e.TerminalType == "WEB" {
		b := e.BrowserInfo
		switch {
		case b == nil:
			return v, "env.browserInfo"
		case strings.TrimSpace(b.UserAgent) == "":
			return v, "env.browserInfo.userAgent"
		case strings.TrimSpace(b.AcceptHeader) == "":
			return v, "env.browserInfo.acceptHeader"
		}
	}

	pm := req.PaymentMethod
	if pm == nil {
		return v, "paymentMethod"
	}
	if pm.PaymentMethodType != "CARD" {
		return v, "paymentMethod.paymentMethodType"
	}
	c := pm.PaymentMethodMetaData
	const meta = "paymentMethod.paymentMethodMetaData"
	switch {
	case c == nil:
		return v, meta
	case c.CardNo == "":
		return v, meta + ".cardNo"
	case c.CVV == "":
		return v, meta + ".cvv"
	case len(c.ExpiryMonth) != 2 || !allDigits(c.ExpiryMonth):
		return v, meta + ".expiryMonth"
	case len(c.ExpiryYear) != 2 || !allDigits(c.ExpiryYear):
		return v, meta + ".expiryYear"
	case c.CardholderName == nil || (strings.TrimSpace(c.CardholderName.FirstName) == "" && strings.TrimSpace(c.CardholderName.FullName) == ""):
		return v, meta + ".cardholderName"
	}
	v.number, v.month, v.year = c.CardNo, c.ExpiryMonth, c.ExpiryYear
	v.holder = strings.TrimSpace(c.CardholderName.FullName)
	if v.holder == "" {
		v.holder = strings.TrimSpace(c.CardholderName.FirstName + " " + c.CardholderName.LastName)
	}
	v.threeDSRequested = c.Is3DSAuthentication != nil && *c.Is3DSAuthentication
	v.upgrade = c.EnableAuthenticationUpgrade != nil && *c.EnableAuthenticationUpgrade

	f := req.PaymentFactor
	switch {
	case f == nil || f.IsAuthorization == nil || !*f.IsAuthorization:
		return v, "paymentFactor.isAuthorization"
	case f.CaptureMode == "" || f.CaptureMode == captureAutomatic:
		v.captureMode = captureAutomatic
	case f.CaptureMode == captureManual:
		v.captureMode = captureManual
	default:
		return v, "paymentFactor.captureMode"
	}
	if !absoluteHTTP(req.PaymentRedirectURL) || len(req.PaymentRedirectURL) > 2048 {
		return v, "paymentRedirectUrl"
	}
	v.redirectURL = req.PaymentRedirectURL
	if req.PaymentNotifyURL != "" {
		if !absoluteHTTP(req.PaymentNotifyURL) || len(req.PaymentNotifyURL) > 2048 {
			return v, "paymentNotifyUrl"
		}
		v.notifyURL = req.PaymentNotifyURL
	}

	// The card itself: refusals that still make a (failed) payment.
	cvvLength := 3
	if checkout.DetectBrand(c.CardNo) == checkout.BrandAmex {
		cvvLength = 4
	}
	switch {
	case !checkout.LooksLikeCardNumber(c.CardNo):
		v.cardCode = codeInvalidCardNumber
	case !allDigits(c.CVV) || len(c.CVV) != cvvLength:
		v.cardCode = codeInvalidCVV
	case s.expired(c.ExpiryMonth, c.ExpiryYear):
		v.cardCode = codeInvalidExpiry
	}
	return v, ""
}

// pay is POST …/v1/payments/pay.
func (s *Sandbox) pay(body []byte) answer {
	s.count("pay")
	var req payRequest
	if field, ok := decode(body, &req); !ok {
		s.count("invalid")
		return s.illegal(field)
	}
	v, field := s.validatePay(&req)
	if field != "" {
		s.count("invalid")
		return s.illegal(field)
	}
	fp := s.requestFingerprint(body)

	s.mu.Lock()
	if p := s.payments[v.requestID]; p != nil {
		s.expire(p)
		a := s.repeat(fp, p.fingerprint, func() answer { return s.payAnswer(p) })
		s.mu.Unlock()
		return a
	}
	if s.inFlight[v.requestID] {
		s.requests.Add("in-progress")
		s.mu.Unlock()
		return s.failure(codeUnknownException)
	}
	s.inFlight[v.requestID] = true
	h := s.hold.Take()
	s.mu.Unlock()
	h.Wait()

	facts := newCardFacts(v.number, v.month, v.year, v.holder)
	magic, isMagic := sandboxfault.FromHolder(v.holder)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, v.requestID)
	if v.cardCode == "" && facts.scenario.Fault == testcards.ServerErrorNoCharge {
		return serverError() // nothing is created
	}
	if isMagic && magic.Kind == sandboxfault.ServerError {
		return serverError() // nothing is created, as for 4000000000000119
	}
	p := &payment{
		requestID:        v.requestID,
		id:               s.antomID(),
		fingerprint:      fp,
		amount:           v.amount,
		currency:         v.currency,
		captureMode:      v.captureMode,
		card:             facts,
		threeDSRequested: v.threeDSRequested,
		language:         v.language,
		upgrade:          v.upgrade,
		redirectURL:      v.redirectURL,
		notifyURL:        v.notifyURL,
		createdAt:        s.now(),
	}
	s.payments[p.requestID] = p
	s.byID[p.id] = p
	abort := s.decide(p, v.cardCode)
	a := s.payAnswer(p)
	a.abort = abort
	if isMagic {
		a.fault = &magic // the payment is made as usual; only the answer misbehaves
	}
	return a
}

// repeat answers a request repeated under an idempotency key: the same
// content gets the current answer, other content REPEAT_REQ_INCONSISTENT.
// The caller holds s.mu.
func (s *Sandbox) repeat(got, want []byte, current func() answer) answer {
	if !hmac.Equal(got, want) {
		s.requests.Add("inconsistent")
		return s.failure(codeRepeatInconsistent)
	}
	s.requests.Add("replayed")
	return current()
}

// decide runs 3-D Secure and the issuer for a new payment. It reports
// whether the connection must then be dropped (the timeout card). The
// caller holds s.mu.
func (s *Sandbox) decide(p *payment, cardCode string) (abort bool) {
	if cardCode != "" {
		s.fail(p, cardCode)
		return false
	}
	sc := p.card.scenario
	if sc.Fault == testcards.TimeoutCharged {
		if p.threeDSRequested {
			p.threeDS = s.threeDSOutcome(p, "Y", modeFrictionless)
		}
		s.authorise(p)
		return true
	}
	if !p.threeDSRequested {
		switch {
		case sc.Authentication == testcards.Challenged && p.upgrade:
			s.startChallenge(p) // Antom 3DS-Retry: the issuer demands authentication
		case sc.Authentication == testcards.Challenged:
			s.fail(p, codeDoNotHonor)
		default:
			s.issue(p)
		}
		return false
	}
	switch sc.Authentication {
	case testcards.Frictionless:
		p.threeDS = s.threeDSOutcome(p, "Y", modeFrictionless)
		s.issue(p)
	case testcards.Attempted:
		p.threeDS = s.threeDSOutcome(p, "A", modeFrictionless)
		s.issue(p)
	case testcards.Unavailable:
		p.threeDS = s.threeDSOutcome(p, "U", "")
		s.issue(p)
	case testcards.Failed, testcards.Rejected:
		p.threeDS = s.threeDSOutcome(p, "N", modeFrictionless)
		s.fail(p, codeThreeDSFailed)
	case testcards.Challenged:
		s.startChallenge(p)
	}
	return false
}

// issue asks the issuer to authorise. The caller holds s.mu.
func (s *Sandbox) issue(p *payment) {
	switch {
	case p.card.refused:
		s.fail(p, codeDoNotHonor)
	case p.card.scenario.Decline != testcards.Approve:
		s.fail(p, declineCodes[p.card.scenario.Decline])
	default:
		s.authorise(p)
	}
}

// authorise grants the authorisation, captured at once with AUTOMATIC
// capture. The caller holds s.mu.
func (s *Sandbox) authorise(p *payment) {
	now := s.now()
	p.status, p.code = statusSuccess, codeSuccess
	p.authorised = true
	p.networkTransactionID = s.rnd.Digits(15)
	p.paidAt = now
	if p.captureMode == captureAutomatic {
		p.captured = p.amount
		p.transactions = append(p.transactions, s.transaction(txCapture, s.antomID(), "", p.amount, p.currency, now))
	}
	s.emitPayment(p)
}

// fail ends the payment with a failure code. The caller holds s.mu.
func (s *Sandbox) fail(p *payment, code string) {
	p.status, p.code = statusFail, code
	s.emitPayment(p)
}

// startChallenge opens the 3DS page. The caller holds s.mu.
func (s *Sandbox) startChallenge(p *payment) {
	p.status, p.code = statusProcessing, codePaymentInProcess
	p.token = s.token()
	p.waitingSince = s.now()
	s.challenges[p.token] = p
}

// expire ends a payment whose 3DS page nobody answered within
// Config.ActionTimeout of its opening, as Antom closes a payment whose
// authentication lapsed: FAIL ORDER_IS_CLOSED (inferred: Antom documents
// no code for this; ORDER_IS_CLOSED is its common "the order is closed",
// paymentStatus FAIL its failure, and seed 002 only says to inquire once a
// payment reaches its expiry time), with no threeDSResult and nothing
// authorised, and notifyPayment sent as for any failure. It is applied
// lazily, under the lock, by every reader of a payment (pay replays,
// inquiryPayment, capture, cancel, refund, the 3DS page, PaymentState).
// The caller holds s.mu.
func (s *Sandbox) expire(p *payment) {
	if p == nil || p.status != statusProcessing || p.browserDone || s.now().Sub(p.waitingSince) < s.timeout {
		return
	}
	p.expired = true
	s.fail(p, codeOrderIsClosed)
}

func (s *Sandbox) transaction(kind, id, requestID string, value int64, currency string, at time.Time) transaction {
	return transaction{
		TransactionResult:    resultOf(codeSuccess),
		TransactionID:        id,
		TransactionType:      kind,
		TransactionStatus:    statusSuccess,
		TransactionAmount:    &amount{Currency: currency, Value: strconv.FormatInt(value, 10)},
		TransactionRequestID: requestID,
		TransactionTime:      s.timestamp(at),
	}
}

// payAnswer is the answer to pay for the payment as it stands. The caller
// holds s.mu.
func (s *Sandbox) payAnswer(p *payment) answer {
	r := payResponse{
		PaymentRequestID:  p.requestID,
		PaymentID:         p.id,
		PaymentAmount:     p.money(),
		PaymentCreateTime: s.timestamp(p.createdAt),
	}
	switch p.status {
	case statusProcessing:
		r.Result = resultOf(codePaymentInProcess)
		r.NormalURL = s.publicURL + "/3ds/" + p.token
	case statusSuccess:
		r.Result = resultOf(codeSuccess)
		r.PaymentTime = s.timestamp(p.paidAt)
		r.PaymentResultInfo = s.resultInfo(p)
	case statusFail:
		r.Result = resultOf(p.code)
		r.PaymentResultInfo = s.resultInfo(p)
	case statusCancelled:
		r.Result = resultOf(codeOrderIsClosed)
	}
	return jsonAnswer(r)
}

// inquiry is POST …/v1/payments/inquiryPayment.
func (s *Sandbox) inquiry(body []byte) answer {
	s.count("inquiryPayment")
	var req lookupRequest
	if field, ok := decode(body, &req); !ok {
		s.count("invalid")
		return s.illegal(field)
	}
	if req.PaymentRequestID == "" && req.PaymentID == "" {
		s.count("invalid")
		return s.illegal("paymentRequestId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookup(req)
	if p == nil {
		return s.failure(codeOrderNotExist)
	}
	s.expire(p)
	r := inquiryResponse{
		Result:               resultOf(codeSuccess),
		PaymentStatus:        p.status,
		PaymentResultCode:    p.code,
		PaymentResultMessage: resultMessages[p.code],
		PaymentRequestID:     p.requestID,
		PaymentID:            p.id,
		PaymentAmount:        p.money(),
		PaymentCreateTime:    s.timestamp(p.createdAt),
		Transactions:         p.transactions,
	}
	if p.status != statusProcessing {
		r.PaymentResultInfo = s.resultInfo(p)
	}
	if p.authorised {
		r.PaymentTime = s.timestamp(p.paidAt)
	}
	return jsonAnswer(r)
}

// lookup finds a payment by paymentRequestId and/or paymentId; both must
// agree when both are given. The caller holds s.mu.
func (s *Sandbox) lookup(req lookupRequest) *payment {
	var p *payment
	if req.PaymentRequestID != "" {
		p = s.payments[req.PaymentRequestID]
	}
	if req.PaymentID != "" {
		q := s.byID[req.PaymentID]
		if p != nil && p != q {
			return nil
		}
		p = q
	}
	return p
}

// capture is POST …/v1/payments/capture.
func (s *Sandbox) capture(body []byte) answer {
	s.count("capture")
	var req captureRequest
	if field, ok := decode(body, &req); !ok {
		s.count("invalid")
		return s.illegal(field)
	}
	m, amountOK := parseAmount(req.CaptureAmount)
	switch {
	case !validID(req.CaptureRequestID):
		s.count("invalid")
		return s.illegal("captureRequestId")
	case req.PaymentID == "":
		s.count("invalid")
		return s.illegal("paymentId")
	case !amountOK:
		s.count("invalid")
		return s.illegal("captureAmount")
	}
	fp := s.requestFingerprint(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.captures[req.CaptureRequestID]; c != nil {
		return s.repeat(fp, c.fingerprint, func() answer { return s.captureAnswer(c) })
	}
	p := s.byID[req.PaymentID]
	s.expire(p)
	switch {
	case p == nil:
		return s.failure(codeOrderNotExist)
	case p.status == statusFail || p.status == statusCancelled:
		return s.failure(codeOrderIsClosed)
	case p.status != statusSuccess || p.captureMode != captureManual || p.captured > 0:
		return s.failure(codeOrderStatusInvalid)
	case m.Currency != p.currency:
		s.requests.Add("invalid")
		return s.illegal("captureAmount.currency")
	case m.Amount > p.amount:
		return s.failure(codeCaptureAmountExceed)
	}
	c := &capture{requestID: req.CaptureRequestID, id: s.antomID(), fingerprint: fp, p: p, amount: m.Amount, at: s.now()}
	s.captures[c.requestID] = c
	p.captured = c.amount
	p.transactions = append(p.transactions, s.transaction(txCapture, c.id, c.requestID, c.amount, p.currency, c.at))
	s.emitCapture(c)
	return s.captureAnswer(c)
}

func (s *Sandbox) captureAnswer(c *capture) answer {
	return jsonAnswer(captureResponse{
		Result:           resultOf(codeSuccess),
		CaptureRequestID: c.requestID,
		CaptureID:        c.id,
		PaymentID:        c.p.id,
		CaptureAmount:    &amount{Currency: c.p.currency, Value: strconv.FormatInt(c.amount, 10)},
		CaptureTime:      s.timestamp(c.at),
	})
}

// cancelPayment is POST …/v1/payments/cancel.
func (s *Sandbox) cancelPayment(body []byte) answer {
	s.count("cancel")
	var req lookupRequest
	if field, ok := decode(body, &req); !ok {
		s.count("invalid")
		return s.illegal(field)
	}
	if req.PaymentRequestID == "" && req.PaymentID == "" {
		s.count("invalid")
		return s.illegal("paymentRequestId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookup(req)
	s.expire(p)
	switch {
	case p == nil:
		return s.failure(codeOrderNotExist)
	case p.status == statusFail:
		return s.failure(codeOrderIsClosed)
	case p.status == statusSuccess && p.captured > 0:
		return s.failure(codeOrderStatusInvalid)
	case p.status != statusCancelled:
		p.status, p.code, p.canceledAt = statusCancelled, codeOrderIsClosed, s.now()
		p.transactions = append(p.transactions, s.transaction(txCancel, s.antomID(), "", p.amount, p.currency, p.canceledAt))
	}
	return jsonAnswer(cancelResponse{Result: resultOf(codeSuccess), PaymentID: p.id, PaymentRequestID: p.requestID, CancelTime: s.timestamp(p.canceledAt)})
}

// parseAmount reads Antom's money: an ISO currency and a positive whole
// number of minor units as a string of digits.
func parseAmount(a *amount) (checkout.Money, bool) { return parseMoney(a, false) }

// parseMoney is parseAmount, allowing zero when asked (a free line item).
func parseMoney(a *amount, zero bool) (checkout.Money, bool) {
	if a == nil || !checkout.ValidCurrency(a.Currency) || !allDigits(a.Value) || len(a.Value) > maxValueDigits {
		return checkout.Money{}, false
	}
	v, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil || v < 0 || (v == 0 && !zero) {
		return checkout.Money{}, false
	}
	return checkout.Money{Amount: v, Currency: a.Currency}, true
}

// validID is an Antom request id: 1 to 64 printable characters without spaces.
func validID(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for _, r := range s {
		if r <= 0x20 || r >= 0x7f {
			return false
		}
	}
	return true
}

// validReference is a merchant's reference: 1 to 64 characters, not
// blank, without control characters (spaces are allowed).
func validReference(s string) bool {
	if strings.TrimSpace(s) == "" || len(s) > maxID {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
