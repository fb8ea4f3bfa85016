package bbmsl

import (
	"bytes"
	"encoding/json"
	"errors"
)

// API paths relative to BaseURL (PROVIDERS.md 2.1) [V]. The PHP SDK writes
// them with a trailing slash and the docs without; the adapter sends the
// docs' form.
const (
	pathAddToken    = "tokenization/add-token"
	pathQueryToken  = "tokenization/query-token"
	pathDeleteToken = "tokenization/delete-token"
	pathSale        = "tokenization/sale"
	pathVoid        = "tokenization/void"
	pathRecurring   = "tokenization/recurring"
	// DefaultQueryPath is the order query the adapter uses for Inquire and
	// after a refused void: hosted-checkout/query by merchantReference, the
	// only order query PayAPI documents (docs and the PHP SDK's queryOrder)
	// [V]; that it also finds orders made by tokenization/sale is [I]. The
	// sandbox answers it and tokenization/query alike.
	DefaultQueryPath = "hosted-checkout/query"
)

// Hosts (PROVIDERS.md 2.1) [V].
const (
	SITBaseURL        = "https://payapi.sit.bbmsl.com"
	ProductionBaseURL = "https://payapi.prod.bbmsl.com"
)

// Response codes. "0000" is the only documented one [V]; the rest of the
// catalogue is not published [NF], so these are the contract the adapter
// and the sandbox share (WIRE.md) [I].
const (
	CodeSuccess            = "0000"
	CodeInvalidSignature   = "1001" // message "invalid signature" [V message]
	CodeNoPublicKey        = "1002" // message "no public key" [V message]: no key for this merchantId
	CodeInvalidParameter   = "1003" // message "invalid parameter: <field>"
	CodeOrderNotFound      = "2001"
	CodeDuplicateReference = "2002" // merchantReference reused with a different request
	CodeTokenNotFound      = "2003"
	CodeInvalidParent      = "2004" // recurring: parentOrderId is not a recurring success of this user and token
	CodeInvalidOrderStatus = "2005" // void: the order is not SUCCESS
	CodeSystemError        = "9999"
)

// Order and transaction statuses (PROVIDERS.md 2.3, the Android demo app's
// StatusEnum) [V]. Transactions move SUCCESS -> VOIDED | REFUNDED.
const (
	StatusOpen              = "OPEN"
	StatusSuccess           = "SUCCESS"
	StatusDeclined          = "DECLINED"
	StatusFailure           = "FAILURE"
	StatusCancelled         = "CANCELLED"
	StatusProcessing        = "PROCESSING"
	StatusVoided            = "VOIDED"
	StatusRefunded          = "REFUNDED"
	StatusPartiallyRefunded = "PARTIALLY_REFUNDED"
	StatusSettled           = "SETTLED"
	StatusClosed            = "CLOSED"
)

// Token statuses in query-token's list [I]; a token without a status is
// active.
const tokenActive = "ACTIVE"

// NotificationAck is the body BBMSL needs back, with HTTP 200, to stop
// resending a notification ("must be in CAPS") [V].
const NotificationAck = "OK"

// callbackURL is add-token's and sale's callbackUrl.
type callbackURL struct {
	Success string `json:"success,omitempty"`
	Fail    string `json:"fail,omitempty"`
	Cancel  string `json:"cancel,omitempty"`
	Notify  string `json:"notify,omitempty"`
}

// addTokenRequest asks for the hosted add-card page [V].
type addTokenRequest struct {
	MerchantID  string       `json:"merchantId"`
	UserID      string       `json:"userId"`
	Reason      string       `json:"reason,omitempty"`
	CallbackURL *callbackURL `json:"callbackUrl"`
	Lang        string       `json:"lang"`
}

// userRequest is query-token's request [V].
type userRequest struct {
	MerchantID string `json:"merchantId"`
	UserID     string `json:"userId"`
}

// deleteTokenRequest is delete-token's request [V].
type deleteTokenRequest struct {
	MerchantID string      `json:"merchantId"`
	UserID     string      `json:"userId"`
	TokenID    json.Number `json:"tokenId"`
}

// saleRequest is tokenization/sale (seed 001) [S].
type saleRequest struct {
	MerchantID        string       `json:"merchantId"`
	UserID            string       `json:"userId"`
	TokenID           json.Number  `json:"tokenId"`
	MerchantReference string       `json:"merchantReference"`
	Currency          string       `json:"currency"`
	Amount            json.Number  `json:"amount"`
	Email             string       `json:"email,omitempty"`
	CallbackURL       *callbackURL `json:"callbackUrl,omitempty"`
	IsRecurring       bool         `json:"isRecurring"`
	LineItems         []lineItem   `json:"lineItems"`
}

type lineItem struct {
	Quantity  int64     `json:"quantity"`
	PriceData priceData `json:"priceData"`
}

type priceData struct {
	Name       string      `json:"name"`
	UnitAmount json.Number `json:"unitAmount"`
}

// recurringRequest is tokenization/recurring (PROVIDERS.md 2.3) [V]; the
// currency is [I] (optional; the parent's when absent).
type recurringRequest struct {
	MerchantID        string       `json:"merchantId"`
	UserID            string       `json:"userId"`
	TokenID           json.Number  `json:"tokenId"`
	Reason            string       `json:"reason"`
	Currency          string       `json:"currency"`
	Amount            json.Number  `json:"amount"`
	MerchantReference string       `json:"merchantReference"`
	ParentOrderID     json.Number  `json:"parentOrderId"`
	CallbackURL       *callbackURL `json:"callbackUrl,omitempty"`
}

// orderRequest names an order for void and query [V].
type orderRequest struct {
	MerchantID        string `json:"merchantId"`
	MerchantReference string `json:"merchantReference"`
}

// answer is what every response carries [V].
type answer struct {
	ResponseCode scalar `json:"responseCode"`
	Message      string `json:"message"`
}

func (a answer) code() string { return string(a.ResponseCode) }

// addTokenResponse carries the hosted page's URL in data [V].
type addTokenResponse struct {
	answer
	Data string `json:"data"`
}

// queryTokenResponse lists a user's tokens [V: the Android demo app's
// QueryTokenResponse and TokenizationToken].
type queryTokenResponse struct {
	answer
	List []token `json:"list"`
}

// token is one saved card. expiryDate is YYYYMM [I: the demo app formats
// it as its first four characters, "/", the rest]; status is [I].
type token struct {
	TokenID      scalar `json:"tokenId"`
	UserID       string `json:"userId"`
	MaskedPan    string `json:"maskedPan"`
	CardBrand    string `json:"cardBrand"`
	CardType     string `json:"cardType"` // the spelling of sale answers, read when cardBrand is absent [I]
	CardSubBrand string `json:"cardSubBrand"`
	ExpiryDate   scalar `json:"expiryDate"`
	Status       string `json:"status"`
}

// orderResponse is the answer of sale, recurring, void and query: the order
// and its sale transaction (seed 001) [S]; for a query and a void the
// transaction shows its current status [I].
type orderResponse struct {
	answer
	Order       *order       `json:"order"`
	Transaction *transaction `json:"transaction"`
}

type order struct {
	ID                scalar `json:"id"`
	MerchantID        scalar `json:"merchantId"`
	MerchantReference string `json:"merchantReference"`
	Currency          string `json:"currency"`
	Amount            scalar `json:"amount"`
	NetAmount         scalar `json:"netAmount"`
	CardType          string `json:"cardType"`
	CreateTime        string `json:"createTime"`
	UpdateTime        string `json:"updateTime"`
	Status            string `json:"status"`
	IssuerCountryCode string `json:"issuerCountryCode"`
	Recurring         bool   `json:"recurring"`
}

type transaction struct {
	ID           scalar `json:"id"`
	MerchantID   scalar `json:"merchantId"`
	Type         string `json:"type"`
	Amount       scalar `json:"amount"` // a String in the seed's table, a number in its example: both are read
	Currency     string `json:"currency"`
	Status       string `json:"status"`
	MaskedPan    string `json:"maskedPan"`
	Stan         scalar `json:"stan"`
	ResponseCode scalar `json:"responseCode"` // the decline's code [I]
}

// scalar is a JSON string or number, kept as its text: the seed sends ids
// and amounts as numbers where its table says String, and the reverse.
// null is empty; anything else is an error.
type scalar string

// UnmarshalJSON implements json.Unmarshaler.
func (s *scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = scalar(v)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = scalar(n)
	default:
		return errors.New("bbmsl: not a string or a number")
	}
	return nil
}
