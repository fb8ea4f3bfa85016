package payorder

import (
	"strconv"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// ProviderData keys: the state the adapter keeps on the payment between
// steps. None of it is card data.
const (
	keyOrderSN              = "order_sn"
	keyLinkID               = "linkID"
	keyTransactionReference = "transactionReference"
	keyPayerID              = "payerID"
	keyReturnURL            = "returnUrl"
	keyWindowSize           = "windowSize"
	keyWindowWidth          = "windowWidth"
	keyWindowHeight         = "windowHeight"
	keyChallengePreference  = "challengePreference"
	keyChallengeReference   = "challengeReference"
	keyBrowserLanguage      = "browserLanguage" // checkout.BrowserLanguage at Pay: the page's language
)

// Challenge preferences, Worldpay's words for the merchant's 3DS wish.
const (
	preferenceNone        = "noPreference"
	preferenceChallenge   = "challengeRequested"
	preferenceNoChallenge = "noChallengeRequested"
)

func preferenceOf(p checkout.ThreeDSPreference) string {
	switch p {
	case checkout.ThreeDSChallengeRequested:
		return preferenceChallenge
	case checkout.ThreeDSNoChallengeRequested:
		return preferenceNoChallenge
	}
	return preferenceNone
}

// state is the payment's ProviderData, read back.
type state struct {
	orderSN, linkID, transactionReference string
	returnURL, windowSize, preference     string
	browserLanguage                       string
	windowWidth, windowHeight             int
	challengeReference                    string
}

func stateOf(p checkout.Payment) state {
	d := p.ProviderData
	w, _ := strconv.Atoi(d[keyWindowWidth])
	h, _ := strconv.Atoi(d[keyWindowHeight])
	return state{
		orderSN:              d[keyOrderSN],
		linkID:               d[keyLinkID],
		transactionReference: d[keyTransactionReference],
		returnURL:            d[keyReturnURL],
		windowSize:           d[keyWindowSize],
		preference:           d[keyChallengePreference],
		windowWidth:          w,
		windowHeight:         h,
		challengeReference:   d[keyChallengeReference],
		browserLanguage:      d[keyBrowserLanguage],
	}
}
