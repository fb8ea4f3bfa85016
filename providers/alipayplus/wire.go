package alipayplus

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// API paths, relative to BaseURL and PathPrefix.
const (
	PathPay     = "/v1/payments/pay"
	PathInquiry = "/v1/payments/inquiryPayment"
)

// Result statuses of the family's result object [S].
const (
	StatusSuccess = "S"
	StatusFail    = "F"
	StatusUnknown = "U"
)

// Result codes the adapter treats specially.
const (
	CodeSuccess               = "SUCCESS"
	CodeRepeatRequest         = "REPEAT_REQUEST"          // S: the order already exists [S]
	CodeRepeatReqInconsistent = "REPEAT_REQ_INCONSISTENT" // F: another order has this paymentRequestId [V family]
	CodeOrderNotExist         = "ORDER_NOT_EXIST"         // inquiry: no order under the id [V family]
	CodeUnknownException      = "UNKNOWN_EXCEPTION"       // U [S]
)

// Payment statuses of inquiryPayment [V].
const (
	PaymentSuccess    = "SUCCESS"
	PaymentFail       = "FAIL"
	PaymentProcessing = "PROCESSING"
	PaymentCancelled  = "CANCELLED"
)

// Result is the family's result object.
type Result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage,omitempty"`
}

// Amount is a currency and a minor-unit value written as a string.
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// payRequest is the body of pay.
type payRequest struct {
	ProductCode        string `json:"productCode"`
	PaymentRequestID   string `json:"paymentRequestId"`
	PaymentAmount      Amount `json:"paymentAmount"`
	Order              order  `json:"order"`
	PaymentExpiryTime  string `json:"paymentExpiryTime,omitempty"`
	PaymentNotifyURL   string `json:"paymentNotifyUrl,omitempty"`
	PaymentRedirectURL string `json:"paymentRedirectUrl,omitempty"`
}

type order struct {
	ReferenceOrderID string   `json:"referenceOrderId"`
	OrderDescription string   `json:"orderDescription"`
	OrderAmount      Amount   `json:"orderAmount"`
	OrderCreateTime  string   `json:"orderCreateTime"`
	Merchant         merchant `json:"merchant"`
	Goods            []goods  `json:"goods,omitempty"`
	Buyer            *buyer   `json:"buyer,omitempty"`
	Env              env      `json:"env"`
}

type merchant struct {
	ReferenceMerchantID string           `json:"referenceMerchantId"`
	MerchantMCC         string           `json:"merchantMCC"`
	MerchantName        string           `json:"merchantName"`
	MerchantDisplayName string           `json:"merchantDisplayName"`
	MerchantAddress     *merchantAddress `json:"merchantAddress,omitempty"`
}

type merchantAddress struct {
	Region string `json:"region,omitempty"`
	City   string `json:"city,omitempty"`
}

type goods struct {
	ReferenceGoodsID string  `json:"referenceGoodsId"`
	GoodsName        string  `json:"goodsName"`
	GoodsQuantity    string  `json:"goodsQuantity,omitempty"`
	GoodsUnitAmount  *Amount `json:"goodsUnitAmount,omitempty"`
}

type buyer struct {
	ReferenceBuyerID string `json:"referenceBuyerId"`
}

type env struct {
	TerminalType   string `json:"terminalType"`
	OSType         string `json:"osType,omitempty"`
	ClientIP       string `json:"clientIp,omitempty"`
	UserAgent      string `json:"userAgent,omitempty"`
	DeviceLanguage string `json:"deviceLanguage,omitempty"`
}

// payResponse is the answer of pay.
type payResponse struct {
	Result             *Result             `json:"result"`
	PaymentID          string              `json:"paymentId"`
	PaymentTime        string              `json:"paymentTime"`
	RedirectActionForm *redirectActionForm `json:"redirectActionForm"`
}

// redirectActionForm is where the shopper pays. Alipay+ spells the URL
// redirectionUrl [S]; Antom spells it redirectUrl [V]; both are read.
type redirectActionForm struct {
	Method         string          `json:"method"`
	RedirectionURL string          `json:"redirectionUrl"`
	RedirectURL    string          `json:"redirectUrl"`
	Parameters     json.RawMessage `json:"parameters"`
}

// url is the form's URL under either spelling.
func (f *redirectActionForm) url() string {
	if f.RedirectionURL != "" {
		return f.RedirectionURL
	}
	return f.RedirectURL
}

type inquiryRequest struct {
	PaymentRequestID string `json:"paymentRequestId"`
}

// inquiryResponse is the answer of inquiryPayment.
type inquiryResponse struct {
	Result            *Result    `json:"result"`
	PaymentID         string     `json:"paymentId"`
	PaymentRequestID  string     `json:"paymentRequestId"`
	PaymentStatus     string     `json:"paymentStatus"`
	PaymentResult     *Result    `json:"paymentResult"`
	PaymentFailReason failReason `json:"paymentFailReason"`
	PaymentAmount     *Amount    `json:"paymentAmount"`
	PaymentTime       string     `json:"paymentTime"`
	PaymentCreateTime string     `json:"paymentCreateTime"`
}

// failReason is paymentFailReason: a result code as a string [I], or an
// object carrying one as resultCode.
type failReason string

// UnmarshalJSON reads either shape; anything else is no reason.
func (r *failReason) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*r = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = failReason(s)
	case b[0] == '{':
		var res Result
		if err := json.Unmarshal(b, &res); err != nil {
			return err
		}
		*r = failReason(res.ResultCode)
	default:
		*r = ""
	}
	return nil
}

// notifyRequest is the body of notifyPayment.
type notifyRequest struct {
	PaymentID         string  `json:"paymentId"`
	PaymentRequestID  string  `json:"paymentRequestId"`
	PaymentResult     *Result `json:"paymentResult"`
	PaymentAmount     *Amount `json:"paymentAmount"`
	PaymentTime       string  `json:"paymentTime"`
	PaymentCreateTime string  `json:"paymentCreateTime"`
}

// AckBody is the exact acknowledgement the wallet expects to a notification.
const AckBody = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`

// amountOf writes minor units as the wire's string value.
func amountOf(minor int64, currency string) Amount {
	return Amount{Currency: currency, Value: strconv.FormatInt(minor, 10)}
}

var errBadAmount = errors.New("not a minor-unit amount")

// parseValue reads a minor-unit string exactly: digits only, no sign, no
// decimals, no leading zeros except "0".
func parseValue(s string) (int64, error) {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return 0, errBadAmount
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadAmount
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
