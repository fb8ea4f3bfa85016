package sandbox

// The sandbox's own copy of Antom's JSON shapes (../WIRE.md). It does not
// share the adapter's types, so that a mismatch between the two shows up
// as a failing test instead of agreeing with itself.

type result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage"`
}

type amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// payRequest is what the sandbox reads of a pay body. Pointers tell a
// missing object or flag from a zero one.
type payRequest struct {
	ProductCode        string         `json:"productCode"`
	PaymentRequestID   string         `json:"paymentRequestId"`
	PaymentAmount      *amount        `json:"paymentAmount"`
	Order              *order         `json:"order"`
	Env                *env           `json:"env"`
	PaymentMethod      *paymentMethod `json:"paymentMethod"`
	PaymentFactor      *paymentFactor `json:"paymentFactor"`
	PaymentNotifyURL   string         `json:"paymentNotifyUrl"`
	PaymentRedirectURL string         `json:"paymentRedirectUrl"`
}

type order struct {
	ReferenceOrderID string  `json:"referenceOrderId"`
	OrderDescription string  `json:"orderDescription"`
	OrderAmount      *amount `json:"orderAmount"`
	Goods            []goods `json:"goods"`
}

type goods struct {
	ReferenceGoodsID string  `json:"referenceGoodsId"`
	GoodsName        string  `json:"goodsName"`
	GoodsUnitAmount  *amount `json:"goodsUnitAmount"`
	GoodsQuantity    string  `json:"goodsQuantity"`
}

type env struct {
	TerminalType   string       `json:"terminalType"`
	ClientIP       string       `json:"clientIp"`
	DeviceLanguage string       `json:"deviceLanguage"`
	ColorDepth     int          `json:"colorDepth"`
	ScreenHeight   int          `json:"screenHeight"`
	ScreenWidth    int          `json:"screenWidth"`
	TimeZoneOffset int          `json:"timeZoneOffset"`
	BrowserInfo    *browserInfo `json:"browserInfo"`
}

type browserInfo struct {
	AcceptHeader      string `json:"acceptHeader"`
	JavaEnabled       *bool  `json:"javaEnabled"`
	JavaScriptEnabled *bool  `json:"javaScriptEnabled"`
	Language          string `json:"language"`
	UserAgent         string `json:"userAgent"`
}

type paymentMethod struct {
	PaymentMethodType     string        `json:"paymentMethodType"`
	PaymentMethodMetaData *cardMetaData `json:"paymentMethodMetaData"`
}

type cardMetaData struct {
	CardNo                      string      `json:"cardNo"`
	CVV                         string      `json:"cvv"`
	ExpiryMonth                 string      `json:"expiryMonth"`
	ExpiryYear                  string      `json:"expiryYear"`
	CardholderName              *personName `json:"cardholderName"`
	Is3DSAuthentication         *bool       `json:"is3DSAuthentication"`
	EnableAuthenticationUpgrade *bool       `json:"enableAuthenticationUpgrade"`
}

type personName struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	FullName  string `json:"fullName"`
}

type paymentFactor struct {
	IsAuthorization *bool  `json:"isAuthorization"`
	CaptureMode     string `json:"captureMode"`
}

// payResponse is the answer to pay.
type payResponse struct {
	Result            result             `json:"result"`
	PaymentRequestID  string             `json:"paymentRequestId,omitempty"`
	PaymentID         string             `json:"paymentId,omitempty"`
	PaymentAmount     *amount            `json:"paymentAmount,omitempty"`
	PaymentCreateTime string             `json:"paymentCreateTime,omitempty"`
	PaymentTime       string             `json:"paymentTime,omitempty"`
	NormalURL         string             `json:"normalUrl,omitempty"`
	PaymentResultInfo *paymentResultInfo `json:"paymentResultInfo,omitempty"`
}

type paymentResultInfo struct {
	CardNo               string         `json:"cardNo,omitempty"`
	CardBrand            string         `json:"cardBrand,omitempty"`
	CardBin              string         `json:"cardBin,omitempty"`
	LastFour             string         `json:"lastFour,omitempty"`
	ExpiryMonth          string         `json:"expiryMonth,omitempty"`
	ExpiryYear           string         `json:"expiryYear,omitempty"`
	Funding              string         `json:"funding,omitempty"`
	IssuingCountry       string         `json:"issuingCountry,omitempty"`
	AvsResultRaw         string         `json:"avsResultRaw,omitempty"`
	CvvResultRaw         string         `json:"cvvResultRaw,omitempty"`
	NetworkTransactionID string         `json:"networkTransactionId,omitempty"`
	ThreeDSResult        *threeDSResult `json:"threeDSResult,omitempty"`
}

type threeDSResult struct {
	ThreeDSVersion         string `json:"threeDSVersion,omitempty"`
	ThreeDSInteractionMode string `json:"threeDSInteractionMode,omitempty"`
	ECI                    string `json:"eci,omitempty"`
	CAVV                   string `json:"cavv,omitempty"`
	DSTransactionID        string `json:"dsTransactionId,omitempty"`
}

// lookupRequest names a payment by our id or Antom's (inquiryPayment, cancel).
type lookupRequest struct {
	PaymentRequestID string `json:"paymentRequestId"`
	PaymentID        string `json:"paymentId"`
}

type inquiryResponse struct {
	Result               result             `json:"result"`
	PaymentStatus        string             `json:"paymentStatus,omitempty"`
	PaymentResultCode    string             `json:"paymentResultCode,omitempty"`
	PaymentResultMessage string             `json:"paymentResultMessage,omitempty"`
	PaymentRequestID     string             `json:"paymentRequestId,omitempty"`
	PaymentID            string             `json:"paymentId,omitempty"`
	PaymentAmount        *amount            `json:"paymentAmount,omitempty"`
	PaymentCreateTime    string             `json:"paymentCreateTime,omitempty"`
	PaymentTime          string             `json:"paymentTime,omitempty"`
	PaymentResultInfo    *paymentResultInfo `json:"paymentResultInfo,omitempty"`
	Transactions         []transaction      `json:"transactions,omitempty"`
}

type transaction struct {
	TransactionResult    result  `json:"transactionResult"`
	TransactionID        string  `json:"transactionId"`
	TransactionType      string  `json:"transactionType"`
	TransactionStatus    string  `json:"transactionStatus"`
	TransactionAmount    *amount `json:"transactionAmount,omitempty"`
	TransactionRequestID string  `json:"transactionRequestId,omitempty"`
	TransactionTime      string  `json:"transactionTime"`
}

type captureRequest struct {
	CaptureRequestID string  `json:"captureRequestId"`
	PaymentID        string  `json:"paymentId"`
	CaptureAmount    *amount `json:"captureAmount"`
}

type captureResponse struct {
	Result           result  `json:"result"`
	CaptureRequestID string  `json:"captureRequestId,omitempty"`
	CaptureID        string  `json:"captureId,omitempty"`
	PaymentID        string  `json:"paymentId,omitempty"`
	CaptureAmount    *amount `json:"captureAmount,omitempty"`
	CaptureTime      string  `json:"captureTime,omitempty"`
}

type cancelResponse struct {
	Result           result `json:"result"`
	PaymentID        string `json:"paymentId,omitempty"`
	PaymentRequestID string `json:"paymentRequestId,omitempty"`
	CancelTime       string `json:"cancelTime,omitempty"`
}

type refundRequest struct {
	RefundRequestID string  `json:"refundRequestId"`
	PaymentID       string  `json:"paymentId"`
	RefundAmount    *amount `json:"refundAmount"`
	RefundNotifyURL string  `json:"refundNotifyUrl"` // [V SDK AlipayRefundRequest]
}

// inquiryRefundRequest names a refund by our id or Antom's [V SDK
// AlipayInquiryRefundRequest].
type inquiryRefundRequest struct {
	RefundRequestID   string `json:"refundRequestId"`
	RefundID          string `json:"refundId"`
	MerchantAccountID string `json:"merchantAccountId"`
}

// inquiryRefundResponse is the answer to inquiryRefund [V SDK
// AlipayInquiryRefundResponse; refundStatus SUCCESS, PROCESSING, FAIL from
// the API reference].
type inquiryRefundResponse struct {
	Result          result  `json:"result"`
	RefundID        string  `json:"refundId,omitempty"`
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundAmount    *amount `json:"refundAmount,omitempty"`
	RefundStatus    string  `json:"refundStatus,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
}

// refundNotification is notifyRefund's body [V SDK AlipayRefundNotify,
// docs notify_refund: notifyType REFUND_RESULT].
type refundNotification struct {
	NotifyType      string `json:"notifyType"`
	Result          result `json:"result"`
	RefundStatus    string `json:"refundStatus"`
	RefundRequestID string `json:"refundRequestId"`
	RefundID        string `json:"refundId"`
	RefundAmount    amount `json:"refundAmount"`
	RefundTime      string `json:"refundTime,omitempty"`
}

type refundResponse struct {
	Result          result  `json:"result"`
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundID        string  `json:"refundId,omitempty"`
	PaymentID       string  `json:"paymentId,omitempty"`
	RefundAmount    *amount `json:"refundAmount,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
}

// paymentNotification is notifyPayment's body.
type paymentNotification struct {
	NotifyType        string             `json:"notifyType"`
	Result            result             `json:"result"`
	PaymentRequestID  string             `json:"paymentRequestId"`
	PaymentID         string             `json:"paymentId"`
	PaymentAmount     amount             `json:"paymentAmount"`
	PaymentCreateTime string             `json:"paymentCreateTime"`
	PaymentTime       string             `json:"paymentTime,omitempty"`
	PaymentResultInfo *paymentResultInfo `json:"paymentResultInfo,omitempty"`
}

// captureNotification is notifyCapture's body.
type captureNotification struct {
	NotifyType       string `json:"notifyType"`
	Result           result `json:"result"`
	CaptureRequestID string `json:"captureRequestId"`
	PaymentID        string `json:"paymentId"`
	CaptureID        string `json:"captureId"`
	CaptureAmount    amount `json:"captureAmount"`
	CaptureTime      string `json:"captureTime"`
}
