package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Refund test values: the last two digits of a refund's amount (in minor
// units) decide whether Worldline holds it. Any other amount is
// REFUND_REQUESTED at once. They collide with no other test value (the
// fault amounts end in 0502 to 0506).
const (
	// RefundPendingThenSucceeds (…71, e.g. 1.71): PENDING_APPROVAL, then
	// REFUND_REQUESTED once it has been inquired RefundSettlesAfter times.
	RefundPendingThenSucceeds = 71
	// RefundPendingThenFails (…72): PENDING_APPROVAL, then REJECTED once it
	// has been inquired RefundSettlesAfter times; its amount is released
	// and can be refunded again.
	RefundPendingThenFails = 72
	// RefundSettlesAfter is how many inquiries (Get refund, or a Find
	// refunds that lists it) a pending refund answers PENDING_APPROVAL to;
	// it settles as the last of them is answered, so the next read sees the
	// final status. Only inquiries count, so the settling is deterministic.
	RefundSettlesAfter = 2
)

// Refund status codes and categories [I: the platform's refund statuses
// share the payment vocabulary; the codes are this sandbox's].
var (
	refundStatusCodes = map[string]int{statusPendingApproval: 600, statusRefundRequested: 800, statusRejected: 100}
	refundCategories  = map[string]string{
		statusPendingApproval: "PENDING_MERCHANT",
		statusRefundRequested: "PENDING_CONNECT_OR_3RD_PARTY",
		statusRejected:        "UNSUCCESSFUL",
	}
)

// refund is one refund of a payment.
type refund struct {
	id                string // "<payment id>-<n>" [I]
	p                 *payment
	amount            int64
	merchantReference string // refundReferences.merchantReference: our refund id
	createdAt         time.Time
	status            string
	statusCode        int
	statusChangedAt   time.Time
	settlesTo         string // the status a pending refund settles to; "" once final
	inquiries         int
}

// RefundState is what the sandbox's ledger knows about one refund, for tests.
type RefundState struct {
	ID                string // Worldline's refund id
	PaymentID         string // Worldline's payment id
	MerchantReference string // our refund id
	Amount            int64
	Currency          string
	Status            string                // PENDING_APPROVAL, REFUND_REQUESTED or REJECTED
	Outcome           checkout.RefundStatus // what Status means for the money: pending, succeeded, failed
	Inquiries         int                   // inquiries answered so far
}

func (r *refund) state() RefundState {
	st := RefundState{
		ID: r.id, PaymentID: r.p.id, MerchantReference: r.merchantReference, Amount: r.amount, Currency: r.p.currency,
		Status: r.status, Inquiries: r.inquiries, Outcome: checkout.RefundSucceeded,
	}
	switch r.status {
	case statusPendingApproval:
		st.Outcome = checkout.RefundPending
	case statusRejected:
		st.Outcome = checkout.RefundFailed
	}
	return st
}

// Refunds returns the refunds of the latest payment made with
// merchantReference (our payment id), in the order they were made.
func (s *Sandbox) Refunds(merchantReference string) []RefundState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RefundState
	for i := len(s.created) - 1; i >= 0; i-- {
		if p := s.created[i]; p.merchantReference == merchantReference {
			for _, r := range p.refunds {
				out = append(out, r.state())
			}
			break
		}
	}
	return out
}

// Refund returns the refund made with merchantReference (our refund id).
func (s *Sandbox) Refund(merchantReference string) (RefundState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.refundByReference(merchantReference); r != nil {
		return r.state(), true
	}
	return RefundState{}, false
}

// refundByReference finds the refund made under our refund id. The caller holds s.mu.
func (s *Sandbox) refundByReference(reference string) *refund {
	for _, p := range s.created {
		for _, r := range p.refunds {
			if r.merchantReference == reference {
				return r
			}
		}
	}
	return nil
}

// refundPayment is POST …/payments/{paymentId}/refund.
func (s *Sandbox) refundPayment(r *http.Request, id string, body []byte) answer {
	var req refundRequest
	decodeErr := s.decodeBody(r, body, &req)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("refund")
	p, ok := s.payments[id]
	if !ok {
		return s.unknownPayment()
	}
	if decodeErr != nil {
		return *decodeErr
	}
	s.refresh(p)
	m := req.AmountOfMoney
	switch {
	case m == nil:
		return s.validationAnswer("amountOfMoney", "amountOfMoney is required")
	case m.Amount == nil || *m.Amount <= 0:
		return s.validationAnswer("amountOfMoney.amount", "amountOfMoney.amount must be a positive whole number of minor units")
	case m.CurrencyCode != p.currency:
		return s.validationAnswer("amountOfMoney.currencyCode", "amountOfMoney.currencyCode must be the payment's currency")
	case req.RefundReferences != nil && len(req.RefundReferences.MerchantReference) > maxMerchantReference:
		return s.validationAnswer("refundReferences.merchantReference", fmt.Sprintf("refundReferences.merchantReference has at most %d characters", maxMerchantReference))
	}
	if p.status != statusCaptured || p.refundable() <= 0 {
		return s.wrongStatus(p.status)
	}
	if *m.Amount > p.refundable() {
		return s.validationAnswer("amountOfMoney.amount", "amountOfMoney.amount is more than the amount left to refund")
	}
	now := s.now()
	rf := &refund{id: p.id + "-" + strconv.Itoa(len(p.refunds)+1), p: p, amount: *m.Amount, createdAt: now}
	if req.RefundReferences != nil {
		rf.merchantReference = req.RefundReferences.MerchantReference
	}
	p.refunds = append(p.refunds, rf)
	switch rf.amount % 100 {
	case RefundPendingThenSucceeds:
		rf.settlesTo = statusRefundRequested
	case RefundPendingThenFails:
		rf.settlesTo = statusRejected
	}
	if rf.settlesTo != "" {
		p.refundPending += rf.amount
		s.setRefundStatus(rf, statusPendingApproval)
	} else {
		p.refunded += rf.amount
		s.setRefundStatus(rf, statusRefundRequested)
		s.refundedInFull(p)
	}
	return jsonAnswer(http.StatusCreated, s.refundResponse(rf))
}

// setRefundStatus moves a refund and queues its webhook. The caller holds s.mu.
func (s *Sandbox) setRefundStatus(r *refund, status string) {
	r.status, r.statusCode, r.statusChangedAt = status, refundStatusCodes[status], s.now()
	s.emitRefund(r)
}

// refundedInFull makes a payment REFUNDED once its refunds that succeeded
// add up to what was captured. The caller holds s.mu.
func (s *Sandbox) refundedInFull(p *payment) {
	if p.refunded == p.captured && p.status != statusRefunded {
		s.setStatus(p, statusRefunded, 1800)
	}
}

// inquired counts an answered inquiry about r and settles a pending refund
// after its RefundSettlesAfter-th: REFUND_REQUESTED or REJECTED, the latter
// releasing the reserved amount. The caller holds s.mu.
func (s *Sandbox) inquired(r *refund) {
	r.inquiries++
	if r.settlesTo == "" || r.inquiries < RefundSettlesAfter {
		return
	}
	final := r.settlesTo
	r.settlesTo = ""
	p := r.p
	p.refundPending -= r.amount
	if final == statusRefundRequested {
		p.refunded += r.amount
	}
	s.setRefundStatus(r, final)
	s.refundedInFull(p)
}

// getRefund is GET /v1/{merchantId}/refunds/{refundId}.
func (s *Sandbox) getRefund(id string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("get-refund")
	for _, p := range s.created {
		for _, r := range p.refunds {
			if r.id == id {
				a := jsonAnswer(http.StatusOK, s.refundResponse(r))
				s.inquired(r)
				return a
			}
		}
	}
	return s.errorAnswer(http.StatusNotFound, apiError{
		Code: "1004", ID: "UNKNOWN_REFUND_ID", Category: "CONNECT_PLATFORM_ERROR",
		Message: "UNKNOWN_REFUND_ID", HTTPStatusCode: http.StatusNotFound,
	})
}

// findRefunds is GET /v1/{merchantId}/refunds?merchantReference=…&offset=…&limit=…
// [V SDK FindParams: hostedCheckoutId, merchantReference, merchantOrderId,
// offset, limit]. Each refund it lists counts as inquired.
func (s *Sandbox) findRefunds(r *http.Request) answer {
	q := r.URL.Query()
	offset, limit, bad := pageOf(q.Get("offset"), q.Get("limit"))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("find-refunds")
	if bad != "" {
		return s.validationAnswer(bad, bad+" is out of range")
	}
	reference := q.Get("merchantReference")
	out := findRefundsResponse{Refunds: []refundResponse{}, Offset: offset, Limit: limit}
	var listed []*refund
	for _, p := range s.created {
		for _, rf := range p.refunds {
			if reference != "" && rf.merchantReference != reference {
				continue
			}
			if out.TotalCount >= offset && len(out.Refunds) < limit {
				out.Refunds = append(out.Refunds, s.refundResponse(rf))
				listed = append(listed, rf)
			}
			out.TotalCount++
		}
	}
	a := jsonAnswer(http.StatusOK, out)
	for _, rf := range listed {
		s.inquired(rf)
	}
	return a
}

// pageOf reads offset (0 or more, default 0) and limit (1 to 100, default
// 10); bad names the parameter at fault.
func pageOf(rawOffset, rawLimit string) (offset, limit int, bad string) {
	offset, limit = 0, 10
	if rawOffset != "" {
		n, err := strconv.Atoi(rawOffset)
		if err != nil || n < 0 {
			return 0, 0, "offset"
		}
		offset = n
	}
	if rawLimit != "" {
		n, err := strconv.Atoi(rawLimit)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, "limit"
		}
		limit = n
	}
	return offset, limit, ""
}
