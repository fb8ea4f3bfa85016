package antom

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// ProviderData keys: the state the adapter keeps on the payment between
// steps. None of it is card data.
const (
	keyPaymentID  = "payment_id"  // Antom's paymentId (also the ProviderRef)
	keyStatus     = "status"      // the last payment status seen: SUCCESS, FAIL, PROCESSING, CANCELLED, PENDING
	keyResultCode = "result_code" // the last result code seen about the payment, e.g. PAYMENT_IN_PROCESS, DO_NOT_HONOR
	keyCaptureID  = "capture_id"  // Antom's captureId once captured
)

// paymentView is an Antom payment as one answer describes it, whatever the
// answer: pay (result), inquiryPayment (paymentStatus) or a notification
// (result). Status is one of the inquiry statuses; pay and notification
// results are turned into one by statusOfResult.
type paymentView struct {
	status    string // SUCCESS, FAIL, PROCESSING, CANCELLED, PENDING; "" when unknown
	code      string // resultCode, or paymentResultCode for an inquiry
	paymentID string
	normalURL string // the 3DS page of a pay answer U PAYMENT_IN_PROCESS; "" otherwise
	captured  bool   // a successful capture of the payment is known
	info      *paymentResultInfo
}

// statusOfResult is the payment status a pay answer or a notification's
// result stands for: S succeeded, F failed, U still in flight.
func statusOfResult(r result) string {
	switch r.ResultStatus {
	case ResultSuccess:
		return StatusSuccess
	case ResultFailure:
		return StatusFail
	case ResultUnknown:
		return StatusProcessing
	}
	return ""
}

// declineCodes maps Antom result codes onto our decline vocabulary; any
// other failure code is a generic decline. Risk and fraud refusals are
// generic declines: a shopper is never told a payment looked like fraud.
// Codes beyond PROVIDERS.md 3.6's list (CARD_EXPIRED, INSUFFICIENT_BALANCE,
// INVALID_CVV) are [I].
var declineCodes = map[string]checkout.DeclineCode{
	"DO_NOT_HONOR":                checkout.DeclineGeneric,
	"RISK_REJECT":                 checkout.DeclineGeneric,
	"SUSPECTED_CARD":              checkout.DeclineGeneric,
	"USER_BALANCE_NOT_ENOUGH":     checkout.DeclineInsufficientFunds,
	"INSUFFICIENT_BALANCE":        checkout.DeclineInsufficientFunds,
	"INVALID_EXPIRATION_DATE":     checkout.DeclineExpiredCard,
	"CARD_EXPIRED":                checkout.DeclineExpiredCard,
	"INVALID_CVV":                 checkout.DeclineIncorrectCVC,
	"INVALID_CARD_NUMBER":         checkout.DeclineIncorrectNumber,
	CodeThreeDSFailed:             checkout.DeclineAuthenticationFailed,
	"CARD_NOT_SUPPORTED":          checkout.DeclineNotSupported,
	"PAYMENT_NOT_QUALIFY":         checkout.DeclineNotSupported,
	"PAYMENT_AMOUNT_EXCEED_LIMIT": checkout.DeclineLimitExceeded,
	"PARAM_ILLEGAL":               checkout.DeclineProcessingError,
	"PROCESS_FAIL":                checkout.DeclineProcessingError,
	"ORDER_IS_CLOSED":             checkout.DeclineProcessingError,
}

// declineOf is the one place where a failure code becomes a Decline. The
// message is always ours, never Antom's text.
func declineOf(code string) *checkout.Decline {
	if !codePattern.MatchString(code) {
		return checkout.NewDecline(checkout.DeclineGeneric, "")
	}
	if d, ok := declineCodes[code]; ok {
		return checkout.NewDecline(d, code)
	}
	return checkout.NewDecline(checkout.DeclineGeneric, code)
}

// mapPayment is the one place where an Antom payment becomes our Outcome.
// A status it does not know, or one that is not final, is pending and never
// a success: the payment is then resolved by a later inquiry.
//
// SUCCESS is an authorization that Antom captures itself when captureMode
// is AUTOMATIC. With manual capture, or when the mode is not known (a
// notification), it is reported as authorized until a successful capture
// is known, so that a notification can never pass for a capture.
func mapPayment(v paymentView, mode checkout.CaptureMode) checkout.Outcome {
	out := checkout.Outcome{
		Status:       checkout.OutcomePending,
		ProviderData: map[string]string{},
		ThreeDS:      threeDSOf(v.info),
		Card:         cardOf(v.info),
	}
	if ref := cleanRef(v.paymentID); ref != "" {
		out.ProviderRef = ref
		out.ProviderData[keyPaymentID] = ref
	}
	if codePattern.MatchString(v.status) {
		out.ProviderData[keyStatus] = v.status
	}
	if codePattern.MatchString(v.code) {
		out.ProviderData[keyResultCode] = v.code
	}

	switch v.status {
	case StatusSuccess:
		out.Status = checkout.OutcomeSucceeded
		if mode != checkout.CaptureAutomatic && !v.captured {
			out.Status = checkout.OutcomeAuthorized
		}
	case StatusFail:
		out.Status = checkout.OutcomeFailed
		out.Decline = declineOf(v.code)
		if out.Decline.Code == checkout.DeclineAuthenticationFailed {
			if out.ThreeDS == nil {
				out.ThreeDS = &checkout.ThreeDSResult{}
			}
			out.ThreeDS.Status = "N"
			out.ThreeDS.AuthenticationValuePresent = false
		}
	case StatusCancelled:
		out.Status = checkout.OutcomeCanceled
	case StatusProcessing, StatusPending:
		if a := redirectOf(v.normalURL); a != nil {
			out.Status = checkout.OutcomeActionRequired
			out.Action = a
		}
	}
	return out
}

// mapRefund is the one place where an Antom refund status (inquiryRefund's
// and notifyRefund's refundStatus, or what a refund answer's result stands
// for, see refundStatusOfResult) becomes our RefundOutcome: SUCCESS is a
// success, PROCESSING pending, FAIL a refusal whose provider code is
// Antom's result code when there is one, else "FAIL". known is false for
// any other status: the outcome is then unknown, never a success.
func mapRefund(status, code, refundID string) (out checkout.RefundOutcome, known bool) {
	out.ProviderRef = cleanRef(refundID)
	switch status {
	case RefundStatusSuccess:
		out.Status = checkout.RefundSucceeded
	case RefundStatusProcessing:
		out.Status = checkout.RefundPending
	case RefundStatusFail:
		out.Status = checkout.RefundFailed
		out.ProviderCode = RefundStatusFail
		if codePattern.MatchString(code) && code != CodeSuccess {
			out.ProviderCode = code
		}
	default:
		return checkout.RefundOutcome{ProviderRef: out.ProviderRef}, false
	}
	return out, true
}

// refundStatusOfResult is the refund status a refund answer's result
// stands for: S a refund made, F a refund refused, U REFUND_IN_PROCESS a
// refund Antom holds; anything else ("") is unknown.
func refundStatusOfResult(r result) string {
	switch {
	case r.ResultStatus == ResultSuccess:
		return RefundStatusSuccess
	case r.ResultStatus == ResultFailure:
		return RefundStatusFail
	case r.ResultStatus == ResultUnknown && r.ResultCode == CodeRefundInProcess:
		return RefundStatusProcessing
	}
	return ""
}

// redirectOf is the browser action for Antom's 3DS page, or nil when the
// URL is not a plain absolute http(s) URL.
func redirectOf(raw string) *checkout.Action {
	if raw == "" || len(raw) > 2048 {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil
	}
	return &checkout.Action{Kind: checkout.ActionRedirect, URL: raw}
}

// transStatuses derives the EMV 3DS transStatus from the ECI: 05/02 full
// authentication, 06/01 attempted, 07/00 none.
var transStatuses = map[string]string{
	"05": "Y", "02": "Y",
	"06": "A", "01": "A",
	"07": "U", "00": "U",
}

// threeDSOf reads threeDSResult; nil when the answer has none. The
// authentication value may be spelt cavv (SDK) or caav (seed); only its
// presence is kept. The flow is a challenge when threeDSInteractionMode
// says so [I: values CHALLENGE and FRICTIONLESS], frictionless when it says
// FRICTIONLESS, and unknown otherwise.
func threeDSOf(info *paymentResultInfo) *checkout.ThreeDSResult {
	if info == nil || info.ThreeDSResult == nil {
		return nil
	}
	r := info.ThreeDSResult
	eci := checkout.NormalizeECI(string(r.ECI))
	res := &checkout.ThreeDSResult{
		ECI:                        eci,
		AuthenticationValuePresent: strings.TrimSpace(r.CAVV) != "" || strings.TrimSpace(r.CAAV) != "",
		Status:                     transStatuses[eci],
	}
	if versionPattern.MatchString(r.ThreeDSVersion) {
		res.Version = r.ThreeDSVersion
	}
	if t := strings.TrimSpace(r.DSTransactionID); transactionIDPattern.MatchString(t) && !digitRun.MatchString(t) {
		res.TransactionID = t
	}
	switch strings.ToUpper(strings.TrimSpace(r.ThreeDSInteractionMode)) {
	case "CHALLENGE", "CHALLENGED":
		res.Flow = checkout.FlowChallenge
	case "FRICTIONLESS":
		res.Flow = checkout.FlowFrictionless
	}
	if *res == (checkout.ThreeDSResult{}) {
		return nil
	}
	return res
}

// cardBrands maps Antom's cardBrand values [I: upper-case network names].
var cardBrands = map[string]checkout.CardBrand{
	"VISA":       checkout.BrandVisa,
	"MASTERCARD": checkout.BrandMastercard,
	"AMEX":       checkout.BrandAmex,
	"DISCOVER":   checkout.BrandDiscover,
	"JCB":        checkout.BrandJCB,
	"DINERS":     checkout.BrandDiners,
	"UNIONPAY":   checkout.BrandUnionPay,
}

// cardOf reads what Antom reports about the card: brand, BIN, last four
// and expiry; nil when it reports none of them. A full number, should one
// arrive in cardNo, is never kept: only its last four digits are read, and
// only when lastFour is missing and cardNo is visibly masked.
func cardOf(info *paymentResultInfo) *checkout.CardDetails {
	if info == nil {
		return nil
	}
	d := checkout.CardDetails{Brand: checkout.BrandUnknown}
	if b, ok := cardBrands[strings.ToUpper(strings.TrimSpace(info.CardBrand))]; ok {
		d.Brand = b
	}
	if binPattern.MatchString(info.CardBin) {
		d.BIN = info.CardBin[:6]
	}
	switch {
	case last4Pattern.MatchString(info.LastFour):
		d.Last4 = info.LastFour
	case maskedPattern.MatchString(info.CardNo):
		d.Last4 = info.CardNo[len(info.CardNo)-4:]
	}
	if m, err := strconv.Atoi(info.ExpiryMonth); err == nil && m >= 1 && m <= 12 && len(info.ExpiryMonth) <= 2 {
		d.ExpMonth = m
	}
	if y, err := strconv.Atoi(info.ExpiryYear); err == nil && y >= 0 {
		switch len(info.ExpiryYear) {
		case 2:
			d.ExpYear = 2000 + y
		case 4:
			d.ExpYear = y
		}
	}
	if d == (checkout.CardDetails{Brand: checkout.BrandUnknown}) {
		return nil
	}
	return &d
}

var (
	versionPattern       = regexp.MustCompile(`^[0-9]{1,2}(\.[0-9]{1,2}){0,2}$`)
	transactionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	binPattern           = regexp.MustCompile(`^[0-9]{6,8}$`)
	last4Pattern         = regexp.MustCompile(`^[0-9]{4}$`)
	maskedPattern        = regexp.MustCompile(`^[0-9]{0,8}[*xX•]{2,}[0-9]{4}$`)
)
