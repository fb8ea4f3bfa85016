package alipayplus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// ProviderData keys: the state the adapter keeps on the payment between
// steps.
const (
	keyPaymentID     = "payment_id"     // the wallet's paymentId (also the ProviderRef)
	keyPaymentStatus = "payment_status" // the last state seen: ACCEPTED (pay S), SUCCESS, FAIL, PROCESSING, CANCELLED
	keyResultCode    = "result_code"    // the last result or fail code seen
)

// state is what a wallet message says about a payment, in one vocabulary
// for pay answers, inquiries and notifications.
type state int

const (
	stateUnknown   state = iota // U, PROCESSING: not known yet
	stateAccepted               // pay S: the order exists, the shopper pays at the cashier
	stateSucceeded              // SUCCESS
	stateFailed                 // F, FAIL: code says why
	stateCancelled              // CANCELLED: the shopper cancelled at the cashier
)

// statusNames are what ProviderData records for each state.
var statusNames = map[state]string{
	stateUnknown:   PaymentProcessing,
	stateAccepted:  "ACCEPTED",
	stateSucceeded: PaymentSuccess,
	stateFailed:    PaymentFail,
	stateCancelled: PaymentCancelled,
}

// report is one wallet message, read.
type report struct {
	state     state
	code      string // result code or fail reason, cleaned
	paymentID string
	form      *redirectActionForm // pay S only
}

// Shopper messages. They never quote the wallet and never hint at risk rules.
const (
	msgWalletUnavailable = "The wallet could not take this payment right now. No money was taken; please try again later or choose another way to pay."
	msgLimit             = "This payment is over your wallet's limit. No money was taken; try a smaller amount or choose another way to pay."
	msgBalance           = "Your wallet balance is not enough for this payment. No money was taken; top up your wallet or choose another way to pay."
	msgUserNotExist      = "We could not find your wallet account. No money was taken; check the account you signed in with, or choose another way to pay."
	msgUserAbnormal      = "Your wallet account cannot make payments right now. No money was taken; contact your wallet provider or choose another way to pay."
	msgDeclined          = "Your wallet declined this payment. No money was taken; try again or choose another way to pay."
	msgNotApproved       = "Your wallet did not approve this payment. No money was taken; choose another way to pay."
	msgClosed            = "This wallet payment was closed before it was paid. No money was taken; please try again."
	msgCancelled         = "You cancelled the payment in your wallet. No money was taken."
	msgNotCreated        = "The payment could not be started in your wallet. No money was taken; please try again."
	msgFailed            = "Your wallet could not complete this payment. No money was taken; try again or choose another way to pay."
)

// decline is our reading of a wallet failure code.
type decline struct {
	code    checkout.DeclineCode
	message string
}

// declines maps every failure code of the seed, and the family codes the
// sandbox and real wallets use, onto our vocabulary with a shopper message.
// The merchant's own configuration problems (keys, client, product, API
// path, malformed request) are processing errors: the order was not
// created, so they are final, and the shopper can only try later.
var declines = map[string]decline{
	// Seed 004 [S].
	"PAYMENT_AMOUNT_EXCEED_LIMIT": {checkout.DeclineLimitExceeded, msgLimit},
	"USER_BALANCE_NOT_ENOUGH":     {checkout.DeclineInsufficientFunds, msgBalance},
	"USER_NOT_EXIST":              {checkout.DeclineNotSupported, msgUserNotExist},
	"USER_STATUS_ABNORMAL":        {checkout.DeclineNotSupported, msgUserAbnormal},
	"INVALID_SIGNATURE":           {checkout.DeclineProcessingError, "The wallet could not verify this shop's payment request. No money was taken; please try again later or choose another way to pay."},
	"INVALID_CLIENT":              {checkout.DeclineProcessingError, "This shop is not set up with the wallet. No money was taken; choose another way to pay."},
	"INVALID_CLIENT_STATUS":       {checkout.DeclineProcessingError, "This shop's wallet account is not active right now. No money was taken; choose another way to pay."},
	"PARTNER_NOT_EXIST":           {checkout.DeclineProcessingError, "This shop is not a partner of the wallet. No money was taken; choose another way to pay."},
	"FUNCTION_NOT_MATCH":          {checkout.DeclineProcessingError, "This kind of wallet payment is not enabled for this shop. No money was taken; choose another way to pay."},
	"NO_INTERFACE_DEF":            {checkout.DeclineProcessingError, "The wallet does not offer this payment service. No money was taken; choose another way to pay."},
	"MSG_PARSE_ERROR":             {checkout.DeclineProcessingError, "The wallet could not read this payment request. No money was taken; please try again later or choose another way to pay."},
	// Common codes of the family [V Antom].
	"PARAM_ILLEGAL":             {checkout.DeclineProcessingError, msgWalletUnavailable},
	"ACCESS_DENIED":             {checkout.DeclineProcessingError, msgWalletUnavailable},
	"KEY_NOT_FOUND":             {checkout.DeclineProcessingError, msgWalletUnavailable},
	"METHOD_NOT_SUPPORTED":      {checkout.DeclineProcessingError, msgWalletUnavailable},
	"MEDIA_TYPE_NOT_ACCEPTABLE": {checkout.DeclineProcessingError, msgWalletUnavailable},
	"PROCESS_FAIL":              {checkout.DeclineGeneric, msgDeclined},
	"RISK_REJECT":               {checkout.DeclineFraudSuspected, msgNotApproved},
	"ORDER_IS_CLOSED":           {checkout.DeclineProcessingError, msgClosed},
	CodeOrderNotExist:           {checkout.DeclineProcessingError, msgNotCreated},
}

// pendingCodes are failure codes that do not settle a payment: an order
// under our paymentRequestId exists with other content (a retry that
// differs), so only the inquiry can tell its state.
var pendingCodes = map[string]bool{CodeRepeatReqInconsistent: true}

// declineOf is the Decline of a failure code; unknown codes are a generic
// wallet failure.
func declineOf(code string) *checkout.Decline {
	d, ok := declines[code]
	if !ok {
		d = decline{checkout.DeclineGeneric, msgFailed}
	}
	return &checkout.Decline{Code: d.code, ProviderCode: code, Message: d.message}
}

// cancelDecline is a payment the shopper cancelled at the cashier. None of
// our codes says "cancelled": card_declined (the payment was declined, by
// the shopper) is the most honest, and the message says what happened.
func cancelDecline(code string) *checkout.Decline {
	if code == "" {
		code = PaymentCancelled
	}
	return &checkout.Decline{Code: checkout.DeclineGeneric, ProviderCode: code, Message: msgCancelled}
}

// mapReport is the one place where a wallet message becomes our Outcome.
// Anything it does not know is pending, never a success.
func mapReport(r report) (checkout.Outcome, error) {
	out := checkout.Outcome{
		Status:       checkout.OutcomePending,
		ProviderRef:  r.paymentID,
		ProviderData: map[string]string{keyPaymentStatus: statusNames[r.state]},
	}
	if r.paymentID != "" {
		out.ProviderData[keyPaymentID] = r.paymentID
	}
	if r.code != "" {
		out.ProviderData[keyResultCode] = r.code
	}
	switch r.state {
	case stateAccepted:
		if r.form == nil {
			return out, nil // accepted, nowhere to send the shopper: inquire
		}
		a, err := actionOf(r.form)
		if err != nil {
			return checkout.Outcome{}, err
		}
		out.Status = checkout.OutcomeActionRequired
		out.Action = a
	case stateSucceeded:
		out.Status = checkout.OutcomeSucceeded
	case stateFailed:
		if pendingCodes[r.code] {
			return out, nil
		}
		out.Status = checkout.OutcomeFailed
		out.Decline = declineOf(r.code)
	case stateCancelled:
		out.Status = checkout.OutcomeFailed
		out.Decline = cancelDecline(r.code)
	case stateUnknown:
	}
	return out, nil
}

// resultState reads a result object: S, F, U. Anything else is an error.
func resultState(op string, r *Result) (state, string, error) {
	if r == nil {
		return 0, "", fmt.Errorf("alipayplus: %s: answer without a result", op)
	}
	code := cleanCode(r.ResultCode)
	switch r.ResultStatus {
	case StatusSuccess:
		return stateSucceeded, code, nil
	case StatusFail:
		return stateFailed, code, nil
	case StatusUnknown:
		return stateUnknown, code, nil
	}
	return 0, "", fmt.Errorf("alipayplus: %s: result status %q is not S, F or U", op, cleanCode(r.ResultStatus))
}

// checkPaymentID refuses a paymentId that is not a plain identifier.
func checkPaymentID(op, id string) error {
	if id != "" && !idPattern.MatchString(id) {
		return fmt.Errorf("alipayplus: %s: malformed paymentId", op)
	}
	return nil
}

// maxURL bounds a cashier URL.
const maxURL = 2048

// actionOf is the browser action of a redirectActionForm. GET is a
// top-level redirect, with parameters (if any) added to the URL's query.
// POST is an auto-submitting form: its fields are the parameters or, when
// there are none, the URL's query pairs (the URL keeps its query too, which
// browsers send on a POST), so a cashier that reads either finds them.
func actionOf(f *redirectActionForm) (*checkout.Action, error) {
	raw := f.url()
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURL || !printable(raw) {
		return nil, errors.New("alipayplus: pay: the cashier URL is not an absolute http(s) URL")
	}
	fields, err := parameters(f.Parameters)
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(strings.TrimSpace(f.Method)) {
	case "", "GET":
		if len(fields) > 0 {
			q := u.RawQuery
			for _, fl := range fields {
				if q != "" {
					q += "&"
				}
				q += url.QueryEscape(fl.Name) + "=" + url.QueryEscape(fl.Value)
			}
			u.RawQuery = q
		}
		return &checkout.Action{Kind: checkout.ActionRedirect, URL: u.String()}, nil
	case "POST":
		if len(fields) == 0 {
			fields = queryPairs(u.RawQuery)
		}
		return &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: raw, Fields: fields}, nil
	}
	return nil, errors.New("alipayplus: pay: the cashier form's method is neither GET nor POST")
}

// Parameter bounds.
const (
	maxParameters     = 50
	maxParameterName  = 128
	maxParameterValue = 4096
)

// parameters reads redirectActionForm.parameters: a JSON object of
// name/value pairs, or a string holding one, in the wallet's order.
// Numbers and booleans are kept as written; null is empty.
func parameters(raw json.RawMessage) ([]checkout.FormField, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	bad := errors.New("alipayplus: pay: the cashier form's parameters are not name/value pairs")
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad
		}
		if raw = bytes.TrimSpace([]byte(s)); len(raw) == 0 {
			return nil, nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad
	}
	var fields []checkout.FormField
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		name, _ := t.(string)
		v, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		var value string
		switch x := v.(type) {
		case string:
			value = x
		case json.Number:
			value = x.String()
		case bool:
			value = fmt.Sprint(x)
		case nil:
		default: // a nested object or array
			return nil, bad
		}
		if name == "" || len(name) > maxParameterName || len(value) > maxParameterValue || !printable(name) {
			return nil, bad
		}
		fields = append(fields, checkout.FormField{Name: name, Value: value})
		if len(fields) > maxParameters {
			return nil, bad
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, bad
	}
	return fields, nil
}

// queryPairs splits a raw query into its pairs, in order.
func queryPairs(raw string) []checkout.FormField {
	var fields []checkout.FormField
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || name == "" {
			continue
		}
		fields = append(fields, checkout.FormField{Name: name, Value: value})
	}
	return fields
}
