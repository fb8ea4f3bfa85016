package antom

import (
	"encoding/json"
	"fmt"
	"github.com/opencheckout/hostedcheckout/providers/wirekit"
)

// API paths, before the sandbox rewrite (PROVIDERS.md 3.1) [V].
const (
	pathPay           = "/ams/api/v1/payments/pay"
	pathInquiry       = "/ams/api/v1/payments/inquiryPayment"
	pathCapture       = "/ams/api/v1/payments/capture"
	pathCancel        = "/ams/api/v1/payments/cancel"
	pathRefund        = "/ams/api/v1/payments/refund"
	pathInquiryRefund = "/ams/api/v1/payments/inquiryRefund" // [V SDK AlipayInquiryRefundRequest, and the Java, .NET, PHP, Python SDKs' INQUIRY_REFUND_PATH]
	productionRoot    = "/ams/api"
	sandboxRoot       = "/ams/sandbox/api"
	sandboxPrefix     = "SANDBOX_" // a Client-Id with this prefix is a sandbox client
)

// resultStatus values of result.resultStatus [V].
const (
	ResultSuccess = "S"
	ResultFailure = "F"
	ResultUnknown = "U"
)

// Payment statuses of inquiryPayment's paymentStatus [V SDK TransactionStatusType].
const (
	StatusSuccess    = "SUCCESS"
	StatusFail       = "FAIL"
	StatusProcessing = "PROCESSING"
	StatusCancelled  = "CANCELLED"
	StatusPending    = "PENDING"
)

// Result codes the adapter tells apart. Card decline codes only feed
// declineCodes in mapping.go.
const (
	CodeSuccess               = "SUCCESS"
	CodePaymentInProcess      = "PAYMENT_IN_PROCESS"
	CodeOrderNotExist         = "ORDER_NOT_EXIST"
	CodeRepeatReqInconsistent = "REPEAT_REQ_INCONSISTENT"
	CodeRefundInProcess       = "REFUND_IN_PROCESS" // [I]
	CodeRefundNotExist        = "REFUND_NOT_EXIST"  // inquiryRefund: no such refund [I: Alipay+ family spelling]
	CodeThreeDSFailed         = "THREE_D_SECURE_AUTHENTICATION_FAILED"
)

// Notification types [V docs notifyPayment, notifyCapture, notifyRefund].
const (
	NotifyPaymentResult  = "PAYMENT_RESULT"
	NotifyPaymentPending = "PAYMENT_PENDING"
	NotifyCaptureResult  = "CAPTURE_RESULT"
	NotifyRefundResult   = "REFUND_RESULT"
)

// Refund statuses: inquiryRefund's refundStatus SUCCESS, PROCESSING, FAIL
// and notifyRefund's SUCCESS, FAIL [V docs inquiryRefund, notifyRefund].
const (
	RefundStatusSuccess    = "SUCCESS"
	RefundStatusProcessing = "PROCESSING"
	RefundStatusFail       = "FAIL"
)

// Values the pay request carries.
const (
	productCashierPayment = "CASHIER_PAYMENT"
	terminalWeb           = "WEB"
	methodCard            = "CARD"
	captureAutomatic      = "AUTOMATIC"
	captureManual         = "MANUAL"
	transactionCapture    = "CAPTURE" // transactions[].transactionType of a capture [I]
)

// notificationAck is the one acknowledgement Antom accepts; anything else
// makes it send the notification again [V].
const notificationAck = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`

// result is the result object of every answer and notification.
type result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage"`
}

// amount is Antom's money: minor units as a decimal string.
type amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// payRequest is the body of POST /v1/payments/pay for a card (seed 002,
// PROVIDERS.md 3.2).
type payRequest struct {
	ProductCode        string        `json:"productCode"`
	PaymentRequestID   string        `json:"paymentRequestId"`
	PaymentAmount      amount        `json:"paymentAmount"`
	Order              order         `json:"order"`
	Env                env           `json:"env"`
	PaymentMethod      paymentMethod `json:"paymentMethod"`
	PaymentFactor      paymentFactor `json:"paymentFactor"`
	PaymentNotifyURL   string        `json:"paymentNotifyUrl,omitempty"`
	PaymentRedirectURL string        `json:"paymentRedirectUrl"`
}

type order struct {
	ReferenceOrderID string  `json:"referenceOrderId"`
	OrderDescription string  `json:"orderDescription"`
	OrderAmount      amount  `json:"orderAmount"`
	Goods            []goods `json:"goods,omitempty"`
	Buyer            *buyer  `json:"buyer,omitempty"`
}

type goods struct {
	ReferenceGoodsID string `json:"referenceGoodsId"`
	GoodsName        string `json:"goodsName"`
	GoodsUnitAmount  amount `json:"goodsUnitAmount"`
	GoodsQuantity    string `json:"goodsQuantity"`
}

type buyer struct {
	ReferenceBuyerID string `json:"referenceBuyerId,omitempty"`
	BuyerEmail       string `json:"buyerEmail,omitempty"`
}

// env is what Antom's risk engine and 3-D Secure need about the shopper's
// device. Sizes and colour depth are left out when the browser did not
// report them; timeZoneOffset is always sent (0 is UTC).
type env struct {
	TerminalType   string      `json:"terminalType"`
	ClientIP       string      `json:"clientIp,omitempty"`
	DeviceLanguage string      `json:"deviceLanguage,omitempty"`
	ColorDepth     int         `json:"colorDepth,omitempty"`
	ScreenHeight   int         `json:"screenHeight,omitempty"`
	ScreenWidth    int         `json:"screenWidth,omitempty"`
	TimeZoneOffset int         `json:"timeZoneOffset"`
	BrowserInfo    browserInfo `json:"browserInfo"`
}

type browserInfo struct {
	AcceptHeader      string `json:"acceptHeader"`
	JavaEnabled       bool   `json:"javaEnabled"`
	JavaScriptEnabled bool   `json:"javaScriptEnabled"`
	Language          string `json:"language,omitempty"`
	UserAgent         string `json:"userAgent"`
}

type paymentMethod struct {
	PaymentMethodType     string       `json:"paymentMethodType"`
	PaymentMethodMetaData cardMetaData `json:"paymentMethodMetaData"`
}

// cardMetaData is the one place the card number and CVV travel. Every fmt
// verb prints it masked, so a stray %v cannot carry them into a log.
type cardMetaData struct {
	CardNo                      string     `json:"cardNo"`
	CVV                         string     `json:"cvv"`
	ExpiryMonth                 string     `json:"expiryMonth"`
	ExpiryYear                  string     `json:"expiryYear"`
	CardholderName              personName `json:"cardholderName"`
	Is3DSAuthentication         bool       `json:"is3DSAuthentication"`
	EnableAuthenticationUpgrade bool       `json:"enableAuthenticationUpgrade"`
	IsCardOnFile                bool       `json:"isCardOnFile"`
}

// Format prints the card without its number and CVV.
func (cardMetaData) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte("antom.cardMetaData{redacted}"))
}

type personName struct {
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	FullName  string `json:"fullName,omitempty"`
}

type paymentFactor struct {
	IsAuthorization bool   `json:"isAuthorization"`
	CaptureMode     string `json:"captureMode"`
}

// payResponse is the answer to pay.
type payResponse struct {
	Result             result             `json:"result"`
	PaymentRequestID   string             `json:"paymentRequestId"`
	PaymentID          string             `json:"paymentId"`
	PaymentAmount      *amount            `json:"paymentAmount"`
	PaymentCreateTime  string             `json:"paymentCreateTime"`
	PaymentTime        string             `json:"paymentTime"`
	NormalURL          string             `json:"normalUrl"`
	RedirectActionForm json.RawMessage    `json:"redirectActionForm"`
	PaymentResultInfo  *paymentResultInfo `json:"paymentResultInfo"`
}

// paymentResultInfo is what Antom reports about the card and its
// authentication [V SDK model PaymentResultInfo].
type paymentResultInfo struct {
	CardNo               string         `json:"cardNo"` // masked
	CardBrand            string         `json:"cardBrand"`
	CardBin              string         `json:"cardBin"`
	LastFour             string         `json:"lastFour"`
	ExpiryMonth          string         `json:"expiryMonth"`
	ExpiryYear           string         `json:"expiryYear"`
	Funding              string         `json:"funding"`
	IssuingCountry       string         `json:"issuingCountry"`
	AvsResultRaw         string         `json:"avsResultRaw"`
	CvvResultRaw         string         `json:"cvvResultRaw"`
	NetworkTransactionID string         `json:"networkTransactionId"`
	ThreeDSResult        *threeDSResult `json:"threeDSResult"`
}

// threeDSResult accepts both spellings of the authentication value: the SDK
// model's "cavv" and the seed's notification sample's "caav".
type threeDSResult struct {
	ThreeDSVersion         string             `json:"threeDSVersion"`
	ThreeDSInteractionMode string             `json:"threeDSInteractionMode"`
	ECI                    wirekit.FlexString `json:"eci"`
	CAVV                   string             `json:"cavv"`
	CAAV                   string             `json:"caav"`
	DSTransactionID        string             `json:"dsTransactionId"`
}

// inquiryRequest asks about one payment by our paymentRequestId.
type inquiryRequest struct {
	PaymentRequestID string `json:"paymentRequestId"`
}

// inquiryResponse is the answer to inquiryPayment. Its result says whether
// the query worked; paymentStatus says where the payment is.
type inquiryResponse struct {
	Result               result             `json:"result"`
	PaymentStatus        string             `json:"paymentStatus"`
	PaymentResultCode    string             `json:"paymentResultCode"`
	PaymentResultMessage string             `json:"paymentResultMessage"`
	PaymentRequestID     string             `json:"paymentRequestId"`
	PaymentID            string             `json:"paymentId"`
	PaymentAmount        *amount            `json:"paymentAmount"`
	PaymentCreateTime    string             `json:"paymentCreateTime"`
	PaymentTime          string             `json:"paymentTime"`
	PaymentResultInfo    *paymentResultInfo `json:"paymentResultInfo"`
	Transactions         []transaction      `json:"transactions"`
}

// transaction is a capture, refund or cancel record of a payment [V SDK model Transaction].
type transaction struct {
	TransactionResult    *result `json:"transactionResult"`
	TransactionID        string  `json:"transactionId"`
	TransactionType      string  `json:"transactionType"`
	TransactionStatus    string  `json:"transactionStatus"`
	TransactionAmount    *amount `json:"transactionAmount"`
	TransactionRequestID string  `json:"transactionRequestId"`
	TransactionTime      string  `json:"transactionTime"`
}

// captureRequest captures an authorization [V SDK AlipayCaptureRequest].
type captureRequest struct {
	CaptureRequestID string `json:"captureRequestId"`
	PaymentID        string `json:"paymentId"`
	CaptureAmount    amount `json:"captureAmount"`
}

type captureResponse struct {
	Result           result  `json:"result"`
	CaptureRequestID string  `json:"captureRequestId"`
	CaptureID        string  `json:"captureId"`
	PaymentID        string  `json:"paymentId"`
	CaptureAmount    *amount `json:"captureAmount"`
	CaptureTime      string  `json:"captureTime"`
}

// cancelRequest voids a payment by our paymentRequestId.
type cancelRequest struct {
	PaymentRequestID string `json:"paymentRequestId"`
}

type cancelResponse struct {
	Result           result `json:"result"`
	PaymentID        string `json:"paymentId"`
	PaymentRequestID string `json:"paymentRequestId"`
	CancelTime       string `json:"cancelTime"`
}

// refundRequest returns (part of) a captured payment.
type refundRequest struct {
	RefundRequestID string `json:"refundRequestId"`
	PaymentID       string `json:"paymentId"`
	RefundAmount    amount `json:"refundAmount"`
}

type refundResponse struct {
	Result          result  `json:"result"`
	RefundRequestID string  `json:"refundRequestId"`
	RefundID        string  `json:"refundId"`
	PaymentID       string  `json:"paymentId"`
	RefundAmount    *amount `json:"refundAmount"`
	RefundTime      string  `json:"refundTime"`
}

// inquiryRefundRequest asks about one refund by our refundRequestId
// [V SDK AlipayInquiryRefundRequest: refundRequestId, refundId,
// merchantAccountId].
type inquiryRefundRequest struct {
	RefundRequestID string `json:"refundRequestId"`
}

// inquiryRefundResponse is the answer to inquiryRefund [V SDK
// AlipayInquiryRefundResponse]. Its result says whether the query worked;
// refundStatus says where the refund is.
type inquiryRefundResponse struct {
	Result          result  `json:"result"`
	RefundID        string  `json:"refundId"`
	RefundRequestID string  `json:"refundRequestId"`
	RefundAmount    *amount `json:"refundAmount"`
	RefundStatus    string  `json:"refundStatus"`
	RefundTime      string  `json:"refundTime"`
}

// notification is the body of notifyPayment (PAYMENT_RESULT,
// PAYMENT_PENDING), notifyCapture (CAPTURE_RESULT) and notifyRefund
// (REFUND_RESULT) [V SDK AlipayRefundNotify].
type notification struct {
	NotifyType        string             `json:"notifyType"`
	Result            result             `json:"result"`
	PaymentRequestID  string             `json:"paymentRequestId"`
	PaymentID         string             `json:"paymentId"`
	PaymentAmount     *amount            `json:"paymentAmount"`
	PaymentCreateTime string             `json:"paymentCreateTime"`
	PaymentTime       string             `json:"paymentTime"`
	PaymentResultInfo *paymentResultInfo `json:"paymentResultInfo"`
	CaptureRequestID  string             `json:"captureRequestId"`
	CaptureID         string             `json:"captureId"`
	CaptureAmount     *amount            `json:"captureAmount"`
	CaptureTime       string             `json:"captureTime"`
	RefundStatus      string             `json:"refundStatus"`
	RefundRequestID   string             `json:"refundRequestId"`
	RefundID          string             `json:"refundId"`
	RefundAmount      *amount            `json:"refundAmount"`
	RefundTime        string             `json:"refundTime"`
}
