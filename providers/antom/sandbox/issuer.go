package sandbox

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Antom publishes no sandbox test cards [NF]. Besides the shared table
// (providers/testcards), the sandbox honours the Cardinal Commerce EMV 3DS
// 2.2 test numbers (PROVIDERS.md 1.5), which other sandboxes honour too.
const (
	CardinalVisaFrictionless       = "4000000000002701"
	CardinalMastercardFrictionless = "5200000000002235"
	CardinalAmexFrictionless       = "340000000002708"
	CardinalDiscoverFrictionless   = "6011000000002117"
	CardinalJCBFrictionless        = "3338000000000296"
	CardinalVisaChallenge          = "4000000000002503"
	CardinalMastercardChallenge    = "5200000000002151"
	CardinalVisaAttempted          = "4000000000002719"
)

// RefusedHolder is the cardholder name the issuer always declines (DO_NOT_HONOR).
const RefusedHolder = "REFUSED"

// ChallengeCode is the one-time code that passes the 3DS page.
const ChallengeCode = testcards.ChallengeCode

// antomCards are the extras passed to testcards.Lookup.
var antomCards = map[string]testcards.Scenario{
	CardinalVisaFrictionless:       {},
	CardinalMastercardFrictionless: {},
	CardinalAmexFrictionless:       {},
	CardinalDiscoverFrictionless:   {},
	CardinalJCBFrictionless:        {},
	CardinalVisaChallenge:          {Authentication: testcards.Challenged},
	CardinalMastercardChallenge:    {Authentication: testcards.Challenged},
	CardinalVisaAttempted:          {Authentication: testcards.Attempted},
}

// Result codes the sandbox answers (PROVIDERS.md 3.6; the card-specific
// spellings are [I]).
const (
	codeSuccess             = "SUCCESS"
	codePaymentInProcess    = "PAYMENT_IN_PROCESS"
	codeUnknownException    = "UNKNOWN_EXCEPTION"
	codeParamIllegal        = "PARAM_ILLEGAL"
	codeInvalidSignature    = "INVALID_SIGNATURE"
	codeInvalidClient       = "INVALID_CLIENT"
	codeKeyNotFound         = "KEY_NOT_FOUND"
	codeMediaType           = "MEDIA_TYPE_NOT_ACCEPTABLE"
	codeMethodNotSupported  = "METHOD_NOT_SUPPORTED"
	codeNoInterface         = "NO_INTERFACE_DEF"
	codeRepeatInconsistent  = "REPEAT_REQ_INCONSISTENT"
	codeOrderNotExist       = "ORDER_NOT_EXIST"
	codeOrderIsClosed       = "ORDER_IS_CLOSED"
	codeOrderStatusInvalid  = "ORDER_STATUS_INVALID"
	codeCaptureAmountExceed = "CAPTURE_AMOUNT_EXCEED"
	codeRefundAmountExceed  = "REFUND_AMOUNT_EXCEED"
	codeDoNotHonor          = "DO_NOT_HONOR"
	codeBalanceNotEnough    = "USER_BALANCE_NOT_ENOUGH"
	codeInvalidExpiry       = "INVALID_EXPIRATION_DATE"
	codeInvalidCVV          = "INVALID_CVV"
	codeInvalidCardNumber   = "INVALID_CARD_NUMBER"
	codeThreeDSFailed       = "THREE_D_SECURE_AUTHENTICATION_FAILED"
	codeRefundInProcess     = "REFUND_IN_PROCESS" // U: a refund held at Antom [I]
	codeRefundNotExist      = "REFUND_NOT_EXIST"  // inquiryRefund about an unknown refund [I]
	codeProcessFail         = "PROCESS_FAIL"      // a held refund that failed [I]
)

// resultMessages are the texts that go with the codes.
var resultMessages = map[string]string{
	codeSuccess:             "success.",
	codePaymentInProcess:    "payment in process",
	codeUnknownException:    "An API calling is failed, which is caused by unknown reasons.",
	codeParamIllegal:        "Illegal parameters.",
	codeInvalidSignature:    "The signature is invalid.",
	codeInvalidClient:       "The client is invalid.",
	codeKeyNotFound:         "The key is not found.",
	codeMediaType:           "The server does not implement the media type that is acceptable to the client.",
	codeMethodNotSupported:  "The server does not implement the requested HTTP method.",
	codeNoInterface:         "API is not defined.",
	codeRepeatInconsistent:  "Repeated requests are inconsistent.",
	codeOrderNotExist:       "The order does not exist.",
	codeOrderIsClosed:       "The order is closed.",
	codeOrderStatusInvalid:  "The order status is invalid.",
	codeCaptureAmountExceed: "The capture amount exceeds the authorised amount.",
	codeRefundAmountExceed:  "The refund amount exceeds the amount left to refund.",
	codeDoNotHonor:          "Do not honor.",
	codeBalanceNotEnough:    "The card balance is not enough.",
	codeInvalidExpiry:       "The expiration date is invalid.",
	codeInvalidCVV:          "The CVV is invalid.",
	codeInvalidCardNumber:   "The card number is invalid.",
	codeThreeDSFailed:       "3D Secure authentication failed.",
	codeRefundInProcess:     "The refund is being processed.",
	codeRefundNotExist:      "The refund does not exist.",
	codeProcessFail:         "A general business failure occurred.",
}

// declineCodes are the issuer's answers for the shared table's declines.
var declineCodes = map[testcards.Decline]string{
	testcards.Generic:           codeDoNotHonor,
	testcards.InsufficientFunds: codeBalanceNotEnough,
	testcards.ExpiredCard:       codeInvalidExpiry,
	testcards.IncorrectCVC:      codeInvalidCVV,
}

// threeDSVersion is the EMV 3DS version the simulated directory servers speak.
const threeDSVersion = "2.2.0"

// Values of threeDSInteractionMode [I].
const (
	modeFrictionless = "FRICTIONLESS"
	modeChallenge    = "CHALLENGE"
)

// cardBrands are Antom's cardBrand values [I].
var cardBrands = map[checkout.CardBrand]string{
	checkout.BrandVisa:       "VISA",
	checkout.BrandMastercard: "MASTERCARD",
	checkout.BrandAmex:       "AMEX",
	checkout.BrandDiscover:   "DISCOVER",
	checkout.BrandJCB:        "JCB",
	checkout.BrandDiners:     "DINERS",
	checkout.BrandUnionPay:   "UNIONPAY",
}

// cardFacts is what the sandbox keeps of a card: never its number or CVV.
type cardFacts struct {
	brand       checkout.CardBrand
	bin, last4  string
	expiryMonth string // MM
	expiryYear  string // YY
	refused     bool   // cardholder REFUSED
	scenario    testcards.Scenario
}

func newCardFacts(number, month, year, holder string) cardFacts {
	f := cardFacts{
		brand:       checkout.DetectBrand(number),
		expiryMonth: month,
		expiryYear:  year,
		refused:     strings.EqualFold(strings.TrimSpace(holder), RefusedHolder),
		scenario:    testcards.Lookup(number, antomCards),
	}
	if len(number) >= 12 {
		f.bin, f.last4 = number[:6], number[len(number)-4:]
	}
	return f
}

// resultInfo is the paymentResultInfo of a payment with this card.
func (s *Sandbox) resultInfo(p *payment) *paymentResultInfo {
	c := p.card
	info := &paymentResultInfo{
		CardBrand:      cardBrands[c.brand],
		CardBin:        c.bin,
		LastFour:       c.last4,
		ExpiryMonth:    c.expiryMonth,
		ExpiryYear:     c.expiryYear,
		Funding:        "CREDIT",
		IssuingCountry: "US",
		ThreeDSResult:  p.threeDS,
	}
	if c.bin != "" {
		info.CardNo = c.bin + "******" + c.last4
	}
	if p.status == statusSuccess || p.authorised {
		info.AvsResultRaw = "U"
		info.CvvResultRaw = "M"
		info.NetworkTransactionID = p.networkTransactionID
	}
	return info
}

// threeDSOutcome is what a 3DS authentication produced: its EMV
// transStatus and the interaction (frictionless or challenge).
func (s *Sandbox) threeDSOutcome(p *payment, transStatus, mode string) *threeDSResult {
	mastercard := p.card.brand == checkout.BrandMastercard
	eci := map[string][2]string{"Y": {"05", "02"}, "A": {"06", "01"}}[transStatus]
	r := &threeDSResult{
		ThreeDSVersion:         threeDSVersion,
		ThreeDSInteractionMode: mode,
		DSTransactionID:        s.rnd.UUID(),
	}
	switch {
	case eci[0] != "" && mastercard:
		r.ECI, r.CAVV = eci[1], s.cavv()
	case eci[0] != "":
		r.ECI, r.CAVV = eci[0], s.cavv()
	case mastercard:
		r.ECI = "00"
	default:
		r.ECI = "07"
	}
	return r
}

// cavv is a 20-byte authentication value, 28 characters of base64.
func (s *Sandbox) cavv() string {
	return base64.StdEncoding.EncodeToString(s.rnd.Bytes(20))
}

// expired reports whether an MM/YY expiry is before the sandbox's month.
func (s *Sandbox) expired(month, year string) bool {
	m, err1 := strconv.Atoi(month)
	y, err2 := strconv.Atoi(year)
	if err1 != nil || err2 != nil || m < 1 || m > 12 {
		return true
	}
	now := s.now().UTC()
	y += now.Year() / 100 * 100
	return y < now.Year() || (y == now.Year() && m < int(now.Month()))
}
