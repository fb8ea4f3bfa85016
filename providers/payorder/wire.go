package payorder

import "encoding/json"

// Services, the values of the envelope's "service" field. All but the
// verification service are named in the 33 Fintech API reference.
const (
	ServiceCreatePayer   = "createPayer"
	ServiceCreateOrder   = "createOrder"
	ServiceCheckoutOrder = "checkoutOrder"
	ServicePayOrder      = "payOrder"
	ServiceQueryOrder    = "queryOrder"
	// DefaultVerifyService names the call that finishes a payment after a
	// challenge. The real name is unpublished, hence Config.VerifyService.
	DefaultVerifyService = "verifyOrder"
)

// Answer status values: 0 success, -1 failure (seed 000).
const (
	StatusSuccess = 0
	StatusFailure = -1
)

// Error codes of failure answers. The real catalogue is unpublished; these
// are the ones the sandbox uses and the adapter recognises.
const (
	CodeInvalidMerchant    = "INVALID_MERCHANT"
	CodeInvalidSign        = "INVALID_SIGN"
	CodeDecryptFailed      = "DECRYPT_FAILED"
	CodeInvalidService     = "INVALID_SERVICE"
	CodeInvalidParam       = "INVALID_PARAM"
	CodeDuplicateOrder     = "DUPLICATE_ORDER"
	CodeOrderNotFound      = "ORDER_NOT_FOUND"
	CodeInvalidOrderStatus = "INVALID_ORDER_STATUS"
)

// Payment order outcomes, the "outcome" field. The seed calls it "Payment
// Order Status" without listing values; these follow Worldpay's words.
const (
	OutcomeCreated              = "created"              // order exists, nothing attempted
	OutcomeInitialized          = "initialized"          // checked out, waiting for device data and payOrder
	OutcomeChallenged           = "challenged"           // waiting for the shopper's 3DS challenge
	OutcomeAuthorized           = "authorized"           // authenticated (or 3DS unavailable) and approved: charged
	OutcomeRefused              = "refused"              // the issuer declined
	OutcomeAuthenticationFailed = "authenticationFailed" // 3DS said N: nothing charged
	OutcomeFailed               = "failed"               // a processing error: nothing charged
)

// Values the adapter sends for fields with a closed list.
const (
	purposePayForGoods   = "PAY_FOR_GOODS"
	skip3DSFalse         = "False" // a string, not a JSON boolean
	relationshipCustomer = "CUSTOMER"
)

// Access Worldpay Checkout session API media type, for Content-Type and Accept.
const sessionsMediaType = "application/vnd.worldpay.sessions-v1.hal+json"

// envelope is the request body of every gateway call.
type envelope struct {
	Service    string `json:"service"`
	MerchantID string `json:"merchantId"`
	BizContent string `json:"bizContent"`
	Sign       string `json:"sign"`
}

// answer is a gateway response body: either a plaintext failure (status,
// errorCode, errorMessage) or a sealed result (bizContent, sign).
type answer struct {
	Status       *int   `json:"status"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	BizContent   string `json:"bizContent"`
	Sign         string `json:"sign"`
}

// result is the decrypted inner JSON of a sealed answer (seed 000 shape).
type result struct {
	Status       *int            `json:"status"`
	ErrorCode    string          `json:"errorCode"`
	ErrorMessage string          `json:"errorMessage"`
	Data         json.RawMessage `json:"data"`
}

type createPayerRequest struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	AreaCode  int    `json:"areaCode,omitempty"` // an integer in the reference; omitted when unknown
	Phone     string `json:"phone"`
	Address   string `json:"address"`
	City      string `json:"city"`
	Province  string `json:"province"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
}

type createPayerData struct {
	PayerID int64 `json:"payerID"`
}

type createOrderRequest struct {
	OrderSN              string      `json:"order_sn"`
	Currency             string      `json:"currency"`
	Amount               json.Number `json:"amount"` // major units, exact, from Money.Decimal
	PayerID              int64       `json:"payerID"`
	PurposeOfTransaction string      `json:"purposeOfTransaction"`
	Description          string      `json:"description"`
	Skip3DS              string      `json:"skip3ds"`
	Domain               string      `json:"domain"`
	Product              string      `json:"product"`
}

type createOrderData struct {
	LinkID  string `json:"linkID"`
	OrderSN string `json:"order_sn"`
}

type checkoutOrderRequest struct {
	OrderSN        string `json:"order_sn"`
	LinkID         string `json:"linkID"`
	CardHolderName string `json:"cardHolderName"`
	SessionCard    string `json:"sessionCard"`
	SessionCvc     string `json:"sessionCvc"`
	Relationship   string `json:"relationship"`
}

type checkoutOrderData struct {
	Outcome              string                `json:"outcome"`
	TransactionReference string                `json:"transactionReference"`
	DeviceDataCollection *deviceDataCollection `json:"deviceDataCollection"`
}

type deviceDataCollection struct {
	JWT string `json:"jwt"`
	URL string `json:"url"`
	BIN string `json:"bin"`
}

// payOrderRequest is seed 000's payOrder plus the inferred 3DS fields
// (return URL, challenge window and preference, browser data) that
// Worldpay's authentication call needs and 33 Fintech must get from somewhere.
type payOrderRequest struct {
	OrderSN                  string `json:"order_sn"`
	LinkID                   string `json:"linkID"`
	TransactionReference     string `json:"transactionReference"`
	SessionID                string `json:"sessionId"` // empty when device data collection timed out
	UserAgent                string `json:"userAgent"`
	ReturnURL                string `json:"returnUrl,omitempty"`
	ChallengeWindowSize      string `json:"challengeWindowSize,omitempty"`
	ChallengePreference      string `json:"challengePreference,omitempty"`
	AcceptHeader             string `json:"acceptHeader,omitempty"`
	BrowserLanguage          string `json:"browserLanguage,omitempty"`
	IPAddress                string `json:"ipAddress,omitempty"`
	BrowserScreenWidth       int    `json:"browserScreenWidth,omitempty"`
	BrowserScreenHeight      int    `json:"browserScreenHeight,omitempty"`
	BrowserColorDepth        int    `json:"browserColorDepth,omitempty"`
	BrowserTimeZone          int    `json:"browserTimeZone"` // 0 is UTC, so always sent
	BrowserJavaEnabled       bool   `json:"browserJavaEnabled"`
	BrowserJavascriptEnabled bool   `json:"browserJavascriptEnabled"`
}

type verifyOrderRequest struct {
	OrderSN              string `json:"order_sn"`
	LinkID               string `json:"linkID"`
	TransactionReference string `json:"transactionReference"`
	ChallengeReference   string `json:"challengeReference"`
}

type queryOrderRequest struct {
	OrderSN string `json:"order_sn"`
	LinkID  string `json:"linkID"`
}

// orderData is the data of payOrder, the verify service and queryOrder.
type orderData struct {
	Outcome              string          `json:"outcome"`
	TransactionReference string          `json:"transactionReference"`
	Authentication       *authentication `json:"authentication"`
	Challenge            *challenge      `json:"challenge"`
	RefusalCode          string          `json:"refusalCode"`
	RefusalDescription   string          `json:"refusalDescription"`
}

type authentication struct {
	Version             string `json:"version"`
	AuthenticationValue string `json:"authenticationValue"`
	ECI                 string `json:"eci"`
	TransactionID       string `json:"transactionId"`
}

type challenge struct {
	Reference string `json:"reference"`
	URL       string `json:"url"`
	JWT       string `json:"jwt"`
	Payload   string `json:"payload"` // the MD the merchant echoes through the challenge
}

// cardSessionRequest carries the full card number and CVC: it is only ever
// marshalled into a request body, never logged or put in an error.
type cardSessionRequest struct {
	Identity       string     `json:"identity"`
	CardNumber     string     `json:"cardNumber"`
	CardExpiryDate expiryDate `json:"cardExpiryDate"`
	CVC            string     `json:"cvc"`
}

type expiryDate struct {
	Month int `json:"month"`
	Year  int `json:"year"`
}

type cvcSessionRequest struct {
	Identity string `json:"identity"`
	CVC      string `json:"cvc"`
}

type sessionResponse struct {
	Links struct {
		Session struct {
			Href string `json:"href"`
		} `json:"sessions:session"`
	} `json:"_links"`
}
