package bbmsl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Operation names, as errors name them.
const (
	opSale        = "sale"
	opRecurring   = "recurring"
	opQuery       = "query"
	opVoid        = "void"
	opAddToken    = "add-token"
	opQueryToken  = "query-token"
	opDeleteToken = "delete-token"
)

// Field limits: userId and merchantReference String(64), email
// String(255), quantity Number(8) [S]; names and reasons 255 [I].
const (
	maxID       = 64
	maxEmail    = 255
	maxText     = 255
	maxQuantity = 99_999_999
)

// recurringReason is sent when a recurring charge has no description [I].
const recurringReason = "Recurring payment"

// Pay charges a saved card: tokenization/sale, or tokenization/recurring
// when the charge follows an earlier recurring sale (ParentProviderRef).
// merchantReference is our payment id, PayAPI's idempotency key. A token
// sale is merchant-initiated and has no 3-D Secure step, so the answer is
// final: succeeded, failed (a decline, or a request PayAPI refused before
// creating anything), or an error when it cannot be known.
func (c *Client) Pay(ctx context.Context, req checkout.PayRequest) (checkout.Outcome, error) {
	sc := req.SavedCard
	if req.Method != checkout.MethodSavedCard || sc == nil || !supported(req.Amount.Currency) {
		return failed(checkout.DeclineNotSupported), nil
	}
	ref := req.IdempotencyKey
	if ref == "" {
		ref = req.PaymentID
	}
	if ref == "" || cleanRef(ref) != ref {
		return checkout.Outcome{}, errors.New("bbmsl: pay: the payment id must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
	}
	if !validUser(sc.Customer) || cleanID(sc.CardID) != sc.CardID {
		// No token can have this id or belong to this customer key.
		return failed(checkout.DeclineProcessingError), nil
	}
	amount, err := FormatAmount(req.Amount)
	if err != nil || req.Amount.Amount <= 0 {
		return failed(checkout.DeclineNotSupported), nil
	}
	var notify *callbackURL
	if req.NotifyURL != "" {
		notify = &callbackURL{Notify: req.NotifyURL}
	}

	op, path := opSale, pathSale
	var body any
	if sc.ParentProviderRef != "" {
		if cleanID(sc.ParentProviderRef) != sc.ParentProviderRef {
			return failed(checkout.DeclineProcessingError), nil
		}
		op, path = opRecurring, pathRecurring
		body = recurringRequest{
			MerchantID:        c.merchantID,
			UserID:            sc.Customer,
			TokenID:           json.Number(sc.CardID),
			Reason:            text(firstNonEmpty(req.Description, recurringReason)),
			Currency:          req.Amount.Currency,
			Amount:            amount,
			MerchantReference: ref,
			ParentOrderID:     json.Number(sc.ParentProviderRef),
			CallbackURL:       notify,
		}
	} else {
		body = saleRequest{
			MerchantID:        c.merchantID,
			UserID:            sc.Customer,
			TokenID:           json.Number(sc.CardID),
			MerchantReference: ref,
			Currency:          req.Amount.Currency,
			Amount:            amount,
			Email:             email(req.Customer.Email),
			CallbackURL:       notify,
			IsRecurring:       sc.SetupRecurring,
			LineItems:         lineItems(req),
		}
	}
	var r orderResponse
	if err := c.call(ctx, op, path, body, &r); err != nil {
		return checkout.Outcome{}, err
	}
	return saleOutcome(op, ref, req.Amount, r)
}

// saleOutcome reads a sale or recurring answer.
func saleOutcome(op, ref string, want checkout.Money, r orderResponse) (checkout.Outcome, error) {
	code := r.code()
	m := meaningOf(code)
	switch m.kind {
	case kindRefused, kindTokenNotFound:
		// Refused before anything was made: nothing was charged.
		out := failed(m.decline)
		out.Decline.ProviderCode = code
		out.ProviderData[keyResponseCode] = code
		return out, nil
	case kindSuccess, kindDeclined:
	default:
		// A duplicate merchantReference with another request, or a code
		// that says nothing about this payment: its outcome is unknown.
		return checkout.Outcome{}, codeError(op, code)
	}
	if r.Order == nil || cleanID(string(r.Order.ID)) == "" {
		if m.kind == kindDeclined {
			out := failed(m.decline)
			out.Decline.ProviderCode = code
			out.ProviderData[keyResponseCode] = code
			return out, nil
		}
		return checkout.Outcome{}, fmt.Errorf("bbmsl: %s: success without a well-formed order", op)
	}
	if err := checkOrder(op, r.Order, ref, want); err != nil {
		return checkout.Outcome{}, err
	}
	out := mapOrder(viewOf(r.Order, r.Transaction, code))
	if m.kind == kindDeclined && out.Status != checkout.OutcomeFailed {
		// A decline code about an order that says otherwise: trust neither.
		return checkout.Outcome{}, fmt.Errorf("bbmsl: %s: responseCode %s with order status %s", op, showCode(code), out.ProviderData[keyOrderStatus])
	}
	return out, nil
}

// checkOrder refuses an answer about another order than ours: another
// merchantReference, amount or currency. Fields the answer leaves out pass.
func checkOrder(op string, o *order, ref string, want checkout.Money) error {
	if o.MerchantReference != "" && o.MerchantReference != ref {
		return fmt.Errorf("bbmsl: %s: answer about another merchantReference", op)
	}
	currency := o.Currency
	if currency == "" {
		currency = want.Currency
	}
	if currency != want.Currency {
		return fmt.Errorf("bbmsl: %s: answer in another currency", op)
	}
	if o.Amount != "" {
		got, err := ParseAmount(string(o.Amount), currency)
		if err != nil {
			return fmt.Errorf("bbmsl: %s: the order amount is not readable", op)
		}
		if got != want {
			return fmt.Errorf("bbmsl: %s: answer for %d, not %d minor units", op, got.Amount, want.Amount)
		}
	}
	return nil
}

// Continue has nothing to continue: a token sale never asks the browser
// for anything. It reads the payment as Inquire does.
func (c *Client) Continue(ctx context.Context, p checkout.Payment, _ checkout.Continuation) (checkout.Outcome, error) {
	return c.Inquire(ctx, p)
}

// Inquire reads the order made under our payment id (merchantReference).
// "Order not found" is pending while the payment is younger than
// NotFoundAfter (a sale that timed out may still be stored) and failed
// (processing_error) after.
func (c *Client) Inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	ref := p.IdempotencyKey()
	if ref == "" || cleanRef(ref) != ref {
		return checkout.Outcome{}, errors.New("bbmsl: query: the payment id must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
	}
	var r orderResponse
	if err := c.call(ctx, opQuery, c.queryPath, orderRequest{MerchantID: c.merchantID, MerchantReference: ref}, &r); err != nil {
		return checkout.Outcome{}, err
	}
	code := r.code()
	switch meaningOf(code).kind {
	case kindSuccess:
	case kindOrderNotFound:
		if p.CreatedAt.IsZero() || c.now().Sub(p.CreatedAt) < c.notFoundAfter {
			return checkout.Outcome{Status: checkout.OutcomePending, ProviderData: map[string]string{keyResponseCode: code}}, nil
		}
		out := failed(checkout.DeclineProcessingError)
		out.Decline.ProviderCode = code
		out.ProviderData[keyResponseCode] = code
		return out, nil
	default:
		return checkout.Outcome{}, codeError(opQuery, code)
	}
	if r.Order == nil || cleanID(string(r.Order.ID)) == "" {
		return checkout.Outcome{}, fmt.Errorf("bbmsl: %s: success without a well-formed order", opQuery)
	}
	if err := checkOrder(opQuery, r.Order, ref, p.Amount); err != nil {
		return checkout.Outcome{}, err
	}
	return mapOrder(viewOf(r.Order, r.Transaction, code)), nil
}

// Cancel voids a sale (tokenization/void by merchantReference). A void
// that went through is OutcomeCanceled. A refused one (the order is not
// SUCCESS, or not found) makes the adapter read the order and answer what
// it is now: still paid, already voided, or failed.
func (c *Client) Cancel(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	ref := p.IdempotencyKey()
	if ref == "" || cleanRef(ref) != ref {
		return checkout.Outcome{}, errors.New("bbmsl: void: the payment id must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
	}
	var r orderResponse
	if err := c.call(ctx, opVoid, pathVoid, orderRequest{MerchantID: c.merchantID, MerchantReference: ref}, &r); err != nil {
		return checkout.Outcome{}, err
	}
	code := r.code()
	switch meaningOf(code).kind {
	case kindSuccess:
		out := checkout.Outcome{Status: checkout.OutcomeCanceled, ProviderRef: p.ProviderRef, ProviderData: map[string]string{}}
		if r.Order != nil {
			if err := checkOrder(opVoid, r.Order, ref, p.Amount); err != nil {
				return checkout.Outcome{}, err
			}
			v := viewOf(r.Order, r.Transaction, code)
			mapped := mapOrder(v)
			if mapped.Status != checkout.OutcomeCanceled {
				return checkout.Outcome{}, fmt.Errorf("bbmsl: %s: success, but the order is %s", opVoid, showStatus(v))
			}
			out = mapped
		}
		out.ProviderData[keyResponseCode] = code
		return out, nil
	case kindOrderStatus, kindOrderNotFound:
		now, err := c.Inquire(ctx, p)
		if err != nil {
			return checkout.Outcome{}, fmt.Errorf("bbmsl: void refused (%s), and reading the order failed: %w", showCode(code), err)
		}
		return now, nil
	}
	return checkout.Outcome{}, codeError(opVoid, code)
}

// failed is a final failure without a provider answer to quote.
func failed(code checkout.DeclineCode) checkout.Outcome {
	return checkout.Outcome{Status: checkout.OutcomeFailed, ProviderData: map[string]string{}, Decline: checkout.NewDecline(code, "")}
}

// lineItems are the payment's line items when they add up to its amount;
// otherwise (none, or they do not add up) one line for the total.
func lineItems(req checkout.PayRequest) []lineItem {
	var out []lineItem
	var sum int64
	ok := len(req.LineItems) > 0
	for _, li := range req.LineItems {
		name := text(li.Name)
		unit, err := FormatAmount(checkout.Money{Amount: li.UnitAmount, Currency: req.Amount.Currency})
		if name == "" || err != nil || li.Quantity < 1 || li.Quantity > maxQuantity || li.UnitAmount > (checkout.MaxAmount-sum)/li.Quantity {
			ok = false
			break
		}
		sum += li.Quantity * li.UnitAmount
		out = append(out, lineItem{Quantity: li.Quantity, PriceData: priceData{Name: name, UnitAmount: unit}})
	}
	if ok && sum == req.Amount.Amount {
		return out
	}
	total, _ := FormatAmount(req.Amount)
	name := text(firstNonEmpty(req.Description, req.MerchantReference, "Order"))
	return []lineItem{{Quantity: 1, PriceData: priceData{Name: name, UnitAmount: total}}}
}

// validUser reports whether s can be a userId: 1 to 64 printable ASCII
// characters (the CustomerKey is 40 hex digits).
func validUser(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// text trims s, folds its white space and cuts it to maxText characters.
func text(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxText {
		return s
	}
	return string([]rune(s)[:maxText])
}

// email is the receipt address, or nothing when it cannot be one.
func email(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxEmail || !strings.Contains(s, "@") || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
