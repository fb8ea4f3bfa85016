package bbmsl

import (
	"github.com/opencheckout/hostedcheckout/providers/wirekit"
	"regexp"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// ProviderData keys: what the adapter keeps on a payment. None of it is
// card data.
const (
	keyOrderID           = "order_id"           // PayAPI's order.id, also the ProviderRef (a recurring charge's parentOrderId)
	keyOrderStatus       = "order_status"       // the last order.status seen
	keyTransactionStatus = "transaction_status" // the last sale transaction.status seen
	keyResponseCode      = "response_code"      // the last responseCode seen about the payment
)

// codeKind is what a responseCode means for the request that got it.
type codeKind int

const (
	kindUnknown       codeKind = iota // nothing can be concluded: the outcome is unknown
	kindSuccess                       // 0000
	kindRefused                       // refused before anything was made (signature, key, parameters, parent order)
	kindTokenNotFound                 // no such token for this user
	kindDuplicate                     // merchantReference already used for another request
	kindOrderNotFound                 // no order with that merchantReference
	kindOrderStatus                   // the order is not in a state that allows the call
	kindDeclined                      // the issuer declined the sale
)

// meaning is what a responseCode says: its kind and, for declines, ours.
type meaning struct {
	kind    codeKind
	decline checkout.DeclineCode
}

// declineCodes are the decline responseCodes [I]: "50" followed by the
// ISO 8583 issuer answer that caused it. Any other 5xxx is a generic
// decline. Lost, stolen and fraud answers are generic declines: a shopper
// is never told a payment looked like fraud.
var declineCodes = map[string]checkout.DeclineCode{
	"5005": checkout.DeclineGeneric,           // do not honour
	"5014": checkout.DeclineIncorrectNumber,   // invalid card number
	"5041": checkout.DeclineGeneric,           // lost card
	"5043": checkout.DeclineGeneric,           // stolen card
	"5051": checkout.DeclineInsufficientFunds, // insufficient funds
	"5054": checkout.DeclineExpiredCard,       // expired card
	"5057": checkout.DeclineNotSupported,      // not permitted to the cardholder
	"5059": checkout.DeclineGeneric,           // suspected fraud
	"5061": checkout.DeclineLimitExceeded,     // exceeds the amount limit
	"5062": checkout.DeclineNotSupported,      // restricted card
	"5065": checkout.DeclineLimitExceeded,     // exceeds the frequency limit
	"5082": checkout.DeclineIncorrectCVC,      // CVV check failed
}

var declineFamily = regexp.MustCompile(`^5[0-9]{3}$`)

// meaningOf is the one place where a PayAPI responseCode gets its meaning
// (WIRE.md's table). A code it does not know is unknown, never a success
// and never a decline.
func meaningOf(code string) meaning {
	switch code {
	case CodeSuccess:
		return meaning{kind: kindSuccess}
	case CodeInvalidSignature, CodeNoPublicKey, CodeInvalidParameter, CodeInvalidParent:
		return meaning{kind: kindRefused, decline: checkout.DeclineProcessingError}
	case CodeTokenNotFound:
		return meaning{kind: kindTokenNotFound, decline: checkout.DeclineProcessingError}
	case CodeDuplicateReference:
		return meaning{kind: kindDuplicate}
	case CodeOrderNotFound:
		return meaning{kind: kindOrderNotFound, decline: checkout.DeclineProcessingError}
	case CodeInvalidOrderStatus:
		return meaning{kind: kindOrderStatus}
	}
	if d, ok := declineCodes[code]; ok {
		return meaning{kind: kindDeclined, decline: d}
	}
	if declineFamily.MatchString(code) {
		return meaning{kind: kindDeclined, decline: checkout.DeclineGeneric}
	}
	return meaning{kind: kindUnknown}
}

// declineOf is the Decline for a failure code; the message is always ours,
// never PayAPI's text. A code that is not a decline or a refusal (or none)
// is a generic decline.
func declineOf(code string) *checkout.Decline {
	code = cleanCode(code)
	m := meaningOf(code)
	if m.decline == "" {
		return checkout.NewDecline(checkout.DeclineGeneric, code)
	}
	return checkout.NewDecline(m.decline, code)
}

// orderView is an order as one answer or notification describes it.
type orderView struct {
	orderID     string // digits
	orderStatus string
	txStatus    string
	// txUnread: the sale transaction had a status this adapter could not
	// read. The order's status then does not decide (a SUCCESS order with
	// an unreadable transaction is no success): the outcome is pending.
	txUnread  bool
	code      string // the decline's code: the transaction's, else the answer's
	maskedPan string
	cardType  string
}

// viewOf reads an order and its sale transaction; code is the answer's
// responseCode, used when the transaction carries none.
func viewOf(o *order, tx *transaction, code string) orderView {
	v := orderView{code: code}
	if o != nil {
		v.orderID = cleanID(string(o.ID))
		v.orderStatus = cleanStatus(o.Status)
		v.cardType = o.CardType
	}
	if tx != nil {
		v.txStatus = cleanStatus(tx.Status)
		v.txUnread = v.txStatus == "" && tx.Status != ""
		v.maskedPan = tx.MaskedPan
		if c := cleanCode(string(tx.ResponseCode)); c != "" && c != CodeSuccess {
			v.code = c
		}
	}
	return v
}

// mapOrder is the one place where a PayAPI order becomes our Outcome. The
// sale transaction's status decides (SUCCESS succeeded, DECLINED or FAILURE
// failed, VOIDED canceled, REFUNDED refunded); without one, the order's
// status does (not when the transaction's status is there but unreadable).
// Anything else, OPEN and PROCESSING included, is pending and never a
// success.
func mapOrder(v orderView) checkout.Outcome {
	out := checkout.Outcome{Status: checkout.OutcomePending, ProviderData: map[string]string{}, Card: cardOf(v.maskedPan, v.cardType)}
	if v.orderID != "" {
		out.ProviderRef = v.orderID
		out.ProviderData[keyOrderID] = v.orderID
	}
	if v.orderStatus != "" {
		out.ProviderData[keyOrderStatus] = v.orderStatus
	}
	if v.txStatus != "" {
		out.ProviderData[keyTransactionStatus] = v.txStatus
	}
	if c := cleanCode(v.code); c != "" {
		out.ProviderData[keyResponseCode] = c
	}

	status := v.txStatus
	if status == "" && !v.txUnread {
		switch v.orderStatus {
		case StatusSuccess, StatusSettled, StatusPartiallyRefunded, StatusVoided, StatusRefunded, StatusCancelled, StatusClosed:
			status = v.orderStatus
		}
	}
	switch status {
	case StatusSuccess, StatusSettled, StatusPartiallyRefunded:
		out.Status = checkout.OutcomeSucceeded
	case StatusDeclined, StatusFailure:
		out.Status = checkout.OutcomeFailed
		out.Decline = declineOf(v.code)
	case StatusCancelled, StatusClosed:
		// Closed without a payment [I].
		out.Status = checkout.OutcomeFailed
		out.Decline = checkout.NewDecline(checkout.DeclineProcessingError, cleanCode(v.code))
	case StatusVoided:
		out.Status = checkout.OutcomeCanceled
	case StatusRefunded:
		out.Status = checkout.OutcomeRefunded
	}
	return out
}

// cardBrands maps PayAPI's cardType/cardBrand values: VISA, MASTERCARD and
// ECMC [V demo app CardType], MASTER [V add-token allowedCardType]; the
// others are [I].
var cardBrands = map[string]checkout.CardBrand{
	"VISA":             checkout.BrandVisa,
	"MASTER":           checkout.BrandMastercard,
	"MASTERCARD":       checkout.BrandMastercard,
	"ECMC":             checkout.BrandMastercard,
	"MC":               checkout.BrandMastercard,
	"AMEX":             checkout.BrandAmex,
	"AMERICAN_EXPRESS": checkout.BrandAmex,
	"JCB":              checkout.BrandJCB,
	"UNIONPAY":         checkout.BrandUnionPay,
	"CUP":              checkout.BrandUnionPay,
	"UPI":              checkout.BrandUnionPay,
	"DINERS":           checkout.BrandDiners,
	"DISCOVER":         checkout.BrandDiscover,
}

// maskedPattern is a masked card number: the BIN, at least two mask
// characters, the last four ("470534XXXXXX8101"). A full number never
// matches, so it is never read.
var maskedPattern = regexp.MustCompile(`^([0-9]{6})[Xx*•]{2,9}([0-9]{4})$`)

// cardOf reads brand, BIN and last four from a masked PAN and a card type;
// nil when it gives none of them.
func cardOf(maskedPan, cardType string) *checkout.CardDetails {
	d := checkout.CardDetails{Brand: checkout.BrandUnknown}
	if m := maskedPattern.FindStringSubmatch(strings.TrimSpace(maskedPan)); m != nil {
		d.BIN, d.Last4 = m[1], m[2]
		d.Brand = checkout.DetectBrand(d.BIN)
	}
	if b, ok := cardBrands[strings.ToUpper(strings.TrimSpace(cardType))]; ok {
		d.Brand = b
	}
	if d == (checkout.CardDetails{Brand: checkout.BrandUnknown}) {
		return nil
	}
	return &d
}

// savedCardOf turns a listed token into a SavedCard; ok is false for a
// token that is not active or not well-formed.
func savedCardOf(t token) (checkout.SavedCard, bool) {
	id := cleanID(string(t.TokenID))
	if id == "" || (t.Status != "" && !strings.EqualFold(t.Status, tokenActive)) {
		return checkout.SavedCard{}, false
	}
	brand := t.CardBrand
	if brand == "" {
		brand = t.CardType
	}
	card := cardOf(t.MaskedPan, brand)
	if card == nil || card.Last4 == "" {
		return checkout.SavedCard{}, false
	}
	card.ExpMonth, card.ExpYear = parseExpiry(string(t.ExpiryDate))
	return checkout.SavedCard{ID: id, Card: *card}, true
}

// parseExpiry reads expiryDate: YYYYMM [I from the demo app], or YYMM,
// MM/YY and MM/YYYY; zeros when it is none of them.
func parseExpiry(s string) (month, year int) {
	s = strings.TrimSpace(s)
	var mm, yy string
	switch {
	case len(s) == 6 && digits(s):
		yy, mm = s[:4], s[4:]
	case len(s) == 4 && digits(s):
		yy, mm = s[:2], s[2:]
	case strings.Contains(s, "/"):
		mm, yy, _ = strings.Cut(s, "/")
	default:
		return 0, 0
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || len(mm) != 2 || m < 1 || m > 12 || (len(yy) != 2 && len(yy) != 4) {
		return 0, 0
	}
	if len(yy) == 2 {
		y += 2000
	}
	return m, y
}

var (
	codePattern   = regexp.MustCompile(`^[0-9A-Z]{1,8}$`)
	statusPattern = regexp.MustCompile(`^[A-Z_]{1,32}$`)
	idPattern     = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)
	refPattern    = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// cleanCode keeps a responseCode only if it looks like one: anything else,
// which could carry echoed input, is dropped.
func cleanCode(s string) string { return wirekit.CleanCode(codePattern, s, "", "") }

// cleanStatus keeps a status only if it is an upper-case word.
func cleanStatus(s string) string {
	if statusPattern.MatchString(s) {
		return s
	}
	return ""
}

// cleanID keeps one of PayAPI's numeric ids (order, token). Twelve to
// nineteen digits passing Luhn could be a card number, so those are
// dropped too.
func cleanID(s string) string {
	if !idPattern.MatchString(s) || (len(s) >= 12 && checkout.Luhn(s)) {
		return ""
	}
	return s
}

// cleanRef keeps a merchantReference that could be one of our ids.
func cleanRef(s string) string {
	if !refPattern.MatchString(s) || checkout.LooksLikeCardNumber(s) {
		return ""
	}
	return s
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// showCode names a responseCode in an error: the code if it looks like one.
func showCode(code string) string {
	if c := cleanCode(code); c != "" {
		return c
	}
	if code == "" {
		return "(none)"
	}
	return "(invalid)"
}

// showStatus names an order's state in an error.
func showStatus(v orderView) string {
	if v.txStatus != "" {
		return v.txStatus
	}
	if v.orderStatus != "" {
		return v.orderStatus
	}
	return "(none)"
}

var digitRun = regexp.MustCompile(`[0-9]{12,19}`)

// cardLike reports whether s holds a run of 12 to 19 digits that passes
// Luhn, the shape of a card number.
func cardLike(s string) bool {
	for _, run := range digitRun.FindAllString(s, -1) {
		if checkout.Luhn(run) {
			return true
		}
	}
	return false
}
