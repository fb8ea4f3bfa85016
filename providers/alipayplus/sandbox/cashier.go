package sandbox

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/opencheckout/hostedcheckout/checkout"

	"github.com/opencheckout/hostedcheckout/providers/sandboxpage"
)

// maxForm bounds a cashier form body.
const maxForm = 64 << 10

// serveCashier is GET|POST /cashier?orderId=…: the cashier page, reached by
// the merchant's redirect or form. A finished order shows how it ended.
func (s *Sandbox) serveCashier(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id := strings.TrimSpace(r.FormValue("orderId"))
	s.mu.Lock()
	o := s.byCashier[id]
	if o == nil {
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This payment is unknown.")
		return
	}
	d := s.expire(o)
	if o.status != StatusProcessing {
		v := finishedOf(o)
		s.mu.Unlock()
		s.dispatch(d, false)
		s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return finishedPage(v) })
		return
	}
	o.shown = true
	v := cashierView{
		Action:      s.publicURL + "/cashier/confirm",
		OrderID:     o.cashierID,
		Merchant:    firstNonEmpty(o.merchant, "the merchant"),
		Amount:      checkout.Money{Amount: o.amount, Currency: o.currency}.Format("en-US"),
		Description: o.description,
	}
	s.mu.Unlock()
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return cashierPage(v) })
}

// serveConfirm is POST /cashier/confirm: the first button decides, the
// wallet notifies the merchant, and the browser goes back to the merchant.
// Later presses change nothing and only send the browser back.
func (s *Sandbox) serveConfirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id := strings.TrimSpace(r.PostFormValue("orderId"))
	choice := r.PostFormValue("choice")
	if choice != ChoiceApprove && choice != ChoiceDecline && choice != ChoiceCancel {
		s.renderError(w, r, http.StatusBadRequest, "Choose Pay, Decline or Cancel.")
		return
	}
	s.mu.Lock()
	o := s.byCashier[id]
	if o == nil {
		s.mu.Unlock()
		s.renderError(w, r, http.StatusNotFound, "This payment is unknown.")
		return
	}
	d := s.expire(o)
	if o.status == StatusProcessing {
		s.decide(o, choice)
		d = s.notification(o)
	}
	v := finishedOf(o)
	s.mu.Unlock()

	// Before the browser goes back, unless the notification is delayed.
	s.dispatch(d, true)
	if v.ReturnURL != "" {
		http.Redirect(w, r, v.ReturnURL, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, func(nonce string) templ.Component { v.Nonce = nonce; return finishedPage(v) })
}

// decide applies the shopper's choice. The caller holds s.mu.
func (s *Sandbox) decide(o *order, choice string) {
	o.choice = choice
	switch {
	case choice == ChoiceApprove && strings.HasSuffix(o.value, InsufficientBalanceSuffix):
		o.status, o.code = StatusFail, codeBalanceNotEnough
	case choice == ChoiceApprove:
		o.status, o.code = StatusSuccess, codeSuccess
		o.paidAt = s.now()
		o.charges = 1
	case choice == ChoiceDecline:
		o.status, o.code = StatusFail, codeProcessFail
	default:
		o.status, o.code = StatusCancelled, codeOrderClosed
	}
}

// finishedOf describes a finished order. The caller holds s.mu.
func finishedOf(o *order) finishedView {
	v := finishedView{ReturnURL: o.redirectURL}
	switch {
	case o.status == StatusSuccess:
		v.Title, v.Message = "Payment successful", "You paid with your wallet."
	case o.status == StatusCancelled:
		v.Title, v.Message = "Payment cancelled", "You cancelled this payment. No money was taken."
	case o.code == codeOrderClosed:
		v.Title, v.Message = "Payment expired", "The time to pay ran out. No money was taken."
	case o.code == codeBalanceNotEnough:
		v.Title, v.Message = "Payment failed", "Your balance is not enough for this payment. No money was taken."
	default:
		v.Title, v.Message = "Payment failed", "The payment was declined. No money was taken."
	}
	return v
}

func (s *Sandbox) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.render(w, r, status, func(nonce string) templ.Component { return errorPage(nonce, message) })
}

// render writes a page with the headers a wallet's page sets for itself.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, page func(nonce string) templ.Component) {
	sandboxpage.Render(w, r, status, page, sandboxpage.Policy{})
}
