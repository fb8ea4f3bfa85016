package worldline

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// ProviderData keys: the state the adapter keeps on the payment between
// steps. None of it is card data.
const (
	keyPaymentID = "payment_id" // Worldline's payment id (also the ProviderRef)
	keyReturnMAC = "returnmac"  // RETURNMAC of the redirect, compared with the browser's return
	keyStatus    = "status"     // the last Worldline status seen
)

// declineCodes maps Worldline error codes onto our decline vocabulary; any
// other code is a generic decline. Only 401025 is from the seed; the 4303xx
// codes are the sandbox contract's [I]. Lost and stolen cards are generic
// declines: a shopper is never told a card was reported stolen.
var declineCodes = map[string]checkout.DeclineCode{
	"430285": checkout.DeclineGeneric, // NOT_AUTHORISED
	"430396": checkout.DeclineInsufficientFunds,
	"430306": checkout.DeclineExpiredCard,
	"430360": checkout.DeclineIncorrectCVC,
	"430330": checkout.DeclineIncorrectNumber,
	"401025": checkout.DeclineAuthenticationFailed, // MEDIUM_CONFIDENCE: frictionless 3DS said N
	"430409": checkout.DeclineGeneric,              // REFERRED
	"430357": checkout.DeclineGeneric,              // LOST_CARD
	"430354": checkout.DeclineGeneric,              // STOLEN_CARD
}

// statusCode3DSFailed is the legacy statusCode of a payment rejected because
// 3-D Secure failed (seed: REJECTED 180, INVALID_PARES_OR_NOT_COMPLETED).
const statusCode3DSFailed = 180

// transStatuses derives the EMV 3DS transStatus from the ECI: 05/02 full
// authentication, 06/01 attempted, 07/00 none.
var transStatuses = map[string]string{
	"05": "Y", "02": "Y",
	"06": "A", "01": "A",
	"07": "U", "00": "U",
}

// mapPayment is the one place where a Worldline payment (with the
// merchantAction of the same answer, if any) becomes our Outcome. A status
// it does not know, or one that is not final for us, is pending and never a
// success: the payment is then resolved by a later inquiry.
//
// PENDING_APPROVAL is an authorization waiting for approve. With automatic
// capture it is pending here: Pay, Continue and Inquire approve such a
// payment before mapping the answer. Any other mode (manual, or none, as for
// a notification) reports the authorization.
func mapPayment(p payment, action *merchantAction, mode checkout.CaptureMode) checkout.Outcome {
	if checkout.LooksLikeCardNumber(p.ID) {
		p.ID = "" // never keep what could be a card number
	}
	out := checkout.Outcome{
		Status:         checkout.OutcomePending,
		ProviderRef:    p.ID,
		ProviderData:   map[string]string{},
		ThreeDS:        threeDSOf(p),
		ShopperMessage: cardholderInfo(action),
	}
	if p.ID != "" {
		out.ProviderData[keyPaymentID] = p.ID
	}
	if statusPattern.MatchString(p.Status) {
		out.ProviderData[keyStatus] = p.Status
	}
	if action != nil && action.ActionType == ActionRedirect && action.RedirectData != nil {
		if mac := strings.TrimSpace(action.RedirectData.ReturnMAC); mac != "" && len(mac) <= 256 && printable(mac) {
			out.ProviderData[keyReturnMAC] = mac
		}
	}

	switch p.Status {
	case StatusPendingApproval, StatusPendingCapture:
		if mode != checkout.CaptureAutomatic {
			out.Status = checkout.OutcomeAuthorized
		}
	case StatusCaptureRequested, StatusCaptured, StatusPaid, StatusAccountCredited:
		out.Status = checkout.OutcomeSucceeded
	case StatusCancelled:
		out.Status = checkout.OutcomeCanceled
	case StatusRefunded:
		out.Status = checkout.OutcomeRefunded
	case StatusRejected, StatusRejectedCapture:
		out.Status = checkout.OutcomeFailed
		out.Decline = declineOf(p)
		if out.Decline.Code == checkout.DeclineAuthenticationFailed {
			if out.ThreeDS == nil {
				out.ThreeDS = &checkout.ThreeDSResult{}
			}
			out.ThreeDS.Status = "N"
		}
	case StatusRedirected:
		if a := redirectOf(action); a != nil {
			out.Status = checkout.OutcomeActionRequired
			out.Action = a
		}
	case StatusCreated, StatusPendingPayment, StatusAccountVerified, StatusPendingCompletion,
		StatusPendingFraudApproval, StatusAuthorizationRequested, StatusPayoutRequested,
		StatusRefundRequested, StatusChargebackNotification, StatusChargebacked, StatusReversed,
		StatusRejectedCredit:
		// Not final for us, or not about this payment's money: pending.
	}
	return out
}

// mapRefund is the one place where a Worldline refund status becomes our
// RefundOutcome. REFUND_REQUESTED (Worldline has accepted it and passed it
// on), REFUNDED and CAPTURED are a success; PENDING_APPROVAL and CREATED
// are pending (held at Worldline); REJECTED and CANCELLED are a refusal,
// with the status as the provider's code. known is false for any other
// status: the outcome is then unknown, never a success, and the caller
// decides what unknown means for it.
func mapRefund(r refundResponse) (out checkout.RefundOutcome, known bool) {
	if pathSegment.MatchString(r.ID) && !checkout.LooksLikeCardNumber(r.ID) {
		out.ProviderRef = r.ID
	}
	switch r.Status {
	case StatusRefundRequested, StatusRefunded, StatusCaptured:
		out.Status = checkout.RefundSucceeded
	case StatusPendingApproval, StatusCreated:
		out.Status = checkout.RefundPending
	case StatusRejected, StatusCancelled:
		out.Status = checkout.RefundFailed
		out.ProviderCode = r.Status
	default:
		return checkout.RefundOutcome{ProviderRef: out.ProviderRef}, false
	}
	return out, true
}

// declineOf is the one place where a rejected payment's error codes and 3-D
// Secure status become a Decline. A payment rejected because 3-D Secure
// failed is authentication_failed whatever its code; otherwise the first
// code we know decides, and anything else is a generic decline. The message
// is always ours, never the provider's text.
func declineOf(p payment) *checkout.Decline {
	var codes []string
	for _, e := range p.StatusOutput.Errors {
		if c := cleanCode(string(e.Code)); c != "" {
			codes = append(codes, c)
		}
	}
	first := ""
	if len(codes) > 0 {
		first = codes[0]
	}
	if p.Status == StatusRejected && (p.StatusOutput.ThreeDSecureStatus == ThreeDSecureNotCompleted || p.StatusOutput.StatusCode == statusCode3DSFailed) {
		return checkout.NewDecline(checkout.DeclineAuthenticationFailed, first)
	}
	for _, c := range codes {
		if d, ok := declineCodes[c]; ok {
			return checkout.NewDecline(d, c)
		}
	}
	return checkout.NewDecline(checkout.DeclineGeneric, first)
}

// threeDSOf reads threeDSecureResults; nil when the payment has none.
func threeDSOf(p payment) *checkout.ThreeDSResult {
	card := p.PaymentOutput.CardPaymentMethodSpecificOutput
	if card == nil || card.ThreeDSecureResults == nil {
		return nil
	}
	r := card.ThreeDSecureResults
	eci := checkout.NormalizeECI(string(r.ECI))
	res := &checkout.ThreeDSResult{
		ECI:                        eci,
		AuthenticationValuePresent: r.CAVV != "",
		Status:                     transStatuses[eci],
	}
	if uuidPattern.MatchString(r.DirectoryServerTransactionID) {
		res.TransactionID = r.DirectoryServerTransactionID
	}
	if versionPattern.MatchString(r.ThreeDSecureVersion) {
		res.Version = r.ThreeDSecureVersion
	}
	if r.ThreeDSecureData != nil {
		switch r.ThreeDSecureData.Method {
		case "frictionless":
			res.Flow = checkout.FlowFrictionless
		case "challenged":
			res.Flow = checkout.FlowChallenge
		}
	}
	if *res == (checkout.ThreeDSResult{}) {
		return nil
	}
	return res
}

// redirectOf is the browser action of a REDIRECT merchantAction, or nil
// when there is none or its URL is not a plain absolute http(s) URL.
func redirectOf(a *merchantAction) *checkout.Action {
	if a == nil || a.ActionType != ActionRedirect || a.RedirectData == nil {
		return nil
	}
	u, err := url.Parse(a.RedirectData.RedirectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(a.RedirectData.RedirectURL) > 2048 {
		return nil
	}
	return &checkout.Action{Kind: checkout.ActionRedirect, URL: a.RedirectData.RedirectURL}
}

// maxShopperMessage bounds the issuer's text we show.
const maxShopperMessage = 300

// cardholderInfo is the issuer's CARDHOLDERINFO text of a
// SHOW_TRANSACTION_RESULTS action, made safe to show: control characters
// and repeated spaces go, anything shaped like a card number is blanked,
// and it is cut to a sensible length.
func cardholderInfo(a *merchantAction) string {
	if a == nil || a.ActionType != ActionShowTransactionResults {
		return ""
	}
	for _, kv := range a.ShowData {
		if kv.Key != ShowDataCardholderInfo {
			continue
		}
		s := strings.Map(func(r rune) rune {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
				return ' '
			}
			return r
		}, kv.Value)
		s = strings.Join(strings.Fields(longDigitRun.ReplaceAllString(s, "***")), " ")
		if r := []rune(s); len(r) > maxShopperMessage {
			s = strings.TrimSpace(string(r[:maxShopperMessage-1])) + "…"
		}
		return s
	}
	return ""
}

var (
	statusPattern  = regexp.MustCompile(`^[A-Z_]{1,40}$`)
	versionPattern = regexp.MustCompile(`^[0-9]{1,2}(\.[0-9]{1,2}){0,2}$`)
	uuidPattern    = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
)

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
