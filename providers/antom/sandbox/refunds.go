package sandbox

import (
	"strconv"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Refund test values: the last two digits of a refund's amount (in minor
// units) decide whether Antom holds it. Any other amount succeeds at once.
// They collide with no other test value (the fault amounts end in 0502 to
// 0506).
const (
	// RefundPendingThenSucceeds (…71, e.g. 1.71): U REFUND_IN_PROCESS, then
	// SUCCESS once it has been inquired RefundSettlesAfter times.
	RefundPendingThenSucceeds = 71
	// RefundPendingThenFails (…72): U REFUND_IN_PROCESS, then FAIL once it
	// has been inquired RefundSettlesAfter times; its amount is released
	// and can be refunded again.
	RefundPendingThenFails = 72
	// RefundSettlesAfter is how many inquiryRefund calls a held refund
	// answers PROCESSING to; it settles as the last of them is answered, so
	// the next inquiry sees the final status. Only inquiries count, so the
	// settling is deterministic.
	RefundSettlesAfter = 2
)

// refund is one refund of the ledger, kept for its refundRequestId.
type refund struct {
	requestID   string
	id          string
	fingerprint []byte
	p           *payment
	amount      int64
	notifyURL   string // refundNotifyUrl, when the request had one
	at          time.Time
	status      string // PROCESSING, SUCCESS or FAIL
	settlesTo   string // the status a held refund settles to; "" once final
	settledAt   time.Time
	inquiries   int
	transaction int // its index in p.transactions
}

// RefundState is what the sandbox's ledger knows about one refund, for tests.
type RefundState struct {
	RefundRequestID  string // our refund id
	RefundID         string // Antom's refundId
	PaymentRequestID string // our payment id
	Amount           int64
	Currency         string
	Status           string                // PROCESSING, SUCCESS or FAIL
	Outcome          checkout.RefundStatus // what Status means for the money: pending, succeeded, failed
	Inquiries        int                   // inquiryRefund calls answered so far
}

func (rf *refund) state() RefundState {
	st := RefundState{
		RefundRequestID: rf.requestID, RefundID: rf.id, PaymentRequestID: rf.p.requestID, Amount: rf.amount,
		Currency: rf.p.currency, Status: rf.status, Inquiries: rf.inquiries, Outcome: checkout.RefundSucceeded,
	}
	switch rf.status {
	case statusProcessing:
		st.Outcome = checkout.RefundPending
	case statusFail:
		st.Outcome = checkout.RefundFailed
	}
	return st
}

// Refunds returns the refunds of the payment made with paymentRequestID
// (our payment id), in the order they were made. A refused refund (one
// Antom did not take, such as REFUND_AMOUNT_EXCEED) is not on the ledger.
func (s *Sandbox) Refunds(paymentRequestID string) []RefundState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RefundState
	for _, rf := range s.refundOrder {
		if rf.p.requestID == paymentRequestID {
			out = append(out, rf.state())
		}
	}
	return out
}

// Refund returns the refund made with refundRequestID (our refund id).
func (s *Sandbox) Refund(refundRequestID string) (RefundState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rf := s.refunds[refundRequestID]; rf != nil {
		return rf.state(), true
	}
	return RefundState{}, false
}

// refund is POST …/v1/payments/refund.
func (s *Sandbox) refund(body []byte) answer {
	s.count("refund")
	var req refundRequest
	if field, ok := decode(body, &req); !ok {
		s.count("invalid")
		return s.illegal(field)
	}
	m, amountOK := parseAmount(req.RefundAmount)
	switch {
	case !validID(req.RefundRequestID):
		s.count("invalid")
		return s.illegal("refundRequestId")
	case req.PaymentID == "":
		s.count("invalid")
		return s.illegal("paymentId")
	case !amountOK:
		s.count("invalid")
		return s.illegal("refundAmount")
	case req.RefundNotifyURL != "" && (!absoluteHTTP(req.RefundNotifyURL) || len(req.RefundNotifyURL) > 2048):
		s.count("invalid")
		return s.illegal("refundNotifyUrl")
	}
	fp := s.requestFingerprint(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rf := s.refunds[req.RefundRequestID]; rf != nil {
		return s.repeat(fp, rf.fingerprint, func() answer { return s.refundAnswer(rf) })
	}
	p := s.byID[req.PaymentID]
	s.expire(p)
	switch {
	case p == nil:
		return s.failure(codeOrderNotExist)
	case p.status != statusSuccess || p.captured == 0:
		return s.failure(codeOrderStatusInvalid)
	case m.Currency != p.currency:
		s.requests.Add("invalid")
		return s.illegal("refundAmount.currency")
	case m.Amount > p.captured-p.refunded-p.refundPending:
		return s.failure(codeRefundAmountExceed)
	}
	rf := &refund{requestID: req.RefundRequestID, id: s.antomID(), fingerprint: fp, p: p, amount: m.Amount,
		notifyURL: req.RefundNotifyURL, at: s.now(), status: statusSuccess}
	switch rf.amount % 100 {
	case RefundPendingThenSucceeds:
		rf.status, rf.settlesTo = statusProcessing, statusSuccess
	case RefundPendingThenFails:
		rf.status, rf.settlesTo = statusProcessing, statusFail
	}
	s.refunds[rf.requestID] = rf
	s.refundOrder = append(s.refundOrder, rf)
	tx := s.transaction(txRefund, rf.id, rf.requestID, rf.amount, p.currency, rf.at)
	tx.TransactionStatus = rf.status
	if rf.status == statusProcessing {
		tx.TransactionResult = resultOf(codeRefundInProcess)
		p.refundPending += rf.amount
	} else {
		p.refunded += rf.amount
		rf.settledAt = rf.at
		s.emitRefund(rf)
	}
	rf.transaction = len(p.transactions)
	p.transactions = append(p.transactions, tx)
	return s.refundAnswer(rf)
}

// refundAnswer is the answer to refund for a refund as it stands: S once
// it succeeded, U REFUND_IN_PROCESS while held, F PROCESS_FAIL once a
// held one failed. The caller holds s.mu.
func (s *Sandbox) refundAnswer(rf *refund) answer {
	r := refundResponse{
		Result:          resultOf(codeSuccess),
		RefundRequestID: rf.requestID,
		RefundID:        rf.id,
		PaymentID:       rf.p.id,
		RefundAmount:    &amount{Currency: rf.p.currency, Value: strconv.FormatInt(rf.amount, 10)},
	}
	switch rf.status {
	case statusSuccess:
		r.RefundTime = s.timestamp(rf.settledAt)
	case statusProcessing:
		r.Result = resultOf(codeRefundInProcess)
	default:
		r.Result = resultOf(codeProcessFail)
	}
	return jsonAnswer(r)
}

// inquiryRefund is POST …/v1/payments/inquiryRefund. refundId takes
// precedence over refundRequestId, as Antom documents [V]; an unknown
// refund is F REFUND_NOT_EXIST [I]. Each answer about a held refund counts
// towards its settling.
func (s *Sandbox) inquiryRefund(body []byte) answer {
	s.count("inquiryRefund")
	var req inquiryRefundRequest
	if field, ok := decode(body, &req); !ok {
		s.count("invalid")
		return s.illegal(field)
	}
	if req.RefundRequestID == "" && req.RefundID == "" {
		s.count("invalid")
		return s.illegal("refundRequestId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rf *refund
	if req.RefundID != "" {
		for _, r := range s.refundOrder {
			if r.id == req.RefundID {
				rf = r
			}
		}
	} else {
		rf = s.refunds[req.RefundRequestID]
	}
	if rf == nil {
		return s.failure(codeRefundNotExist)
	}
	r := inquiryRefundResponse{
		Result:          resultOf(codeSuccess),
		RefundID:        rf.id,
		RefundRequestID: rf.requestID,
		RefundAmount:    &amount{Currency: rf.p.currency, Value: strconv.FormatInt(rf.amount, 10)},
		RefundStatus:    rf.status,
	}
	if rf.status == statusSuccess {
		r.RefundTime = s.timestamp(rf.settledAt)
	}
	a := jsonAnswer(r)
	s.inquired(rf)
	return a
}

// inquired counts an answered inquiry about rf and settles a held refund
// after its RefundSettlesAfter-th: SUCCESS, or FAIL releasing the reserved
// amount; either sends notifyRefund. The caller holds s.mu.
func (s *Sandbox) inquired(rf *refund) {
	rf.inquiries++
	if rf.settlesTo == "" || rf.inquiries < RefundSettlesAfter {
		return
	}
	rf.status, rf.settlesTo, rf.settledAt = rf.settlesTo, "", s.now()
	p := rf.p
	p.refundPending -= rf.amount
	tx := &p.transactions[rf.transaction]
	tx.TransactionStatus = rf.status
	tx.TransactionTime = s.timestamp(rf.settledAt)
	if rf.status == statusSuccess {
		p.refunded += rf.amount
		tx.TransactionResult = resultOf(codeSuccess)
	} else {
		tx.TransactionResult = resultOf(codeProcessFail)
	}
	s.emitRefund(rf)
}
