package sandbox

import "encoding/json"

// result is the family's result object.
type result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage"`
}

// amount is a currency with a minor-unit value as a string.
type amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// payRequest is what pay reads. goods may be an object (the seed's
// example) or an array (the family's other APIs), so it stays raw.
type payRequest struct {
	ProductCode        string    `json:"productCode"`
	PaymentRequestID   string    `json:"paymentRequestId"`
	PaymentAmount      *amount   `json:"paymentAmount"`
	Order              *orderReq `json:"order"`
	PaymentExpiryTime  string    `json:"paymentExpiryTime"`
	PaymentNotifyURL   string    `json:"paymentNotifyUrl"`
	PaymentRedirectURL string    `json:"paymentRedirectUrl"`
	PaymentAuthCode    string    `json:"paymentAuthCode"`
}

type orderReq struct {
	ReferenceOrderID string          `json:"referenceOrderId"`
	OrderDescription string          `json:"orderDescription"`
	OrderAmount      *amount         `json:"orderAmount"`
	Merchant         *merchantReq    `json:"merchant"`
	Goods            json.RawMessage `json:"goods"`
	Env              *envReq         `json:"env"`
}

type merchantReq struct {
	ReferenceMerchantID string `json:"referenceMerchantId"`
	MerchantMCC         string `json:"merchantMCC"`
	MerchantName        string `json:"merchantName"`
	MerchantDisplayName string `json:"merchantDisplayName"`
}

type envReq struct {
	TerminalType string `json:"terminalType"`
	OSType       string `json:"osType"`
	// DeviceLanguage is the language the cashier would speak.
	DeviceLanguage string `json:"deviceLanguage"`
}

type redirectActionForm struct {
	Method         string `json:"method"`
	RedirectionURL string `json:"redirectionUrl"`
}

type payResponse struct {
	Result             result              `json:"result"`
	PaymentID          string              `json:"paymentId,omitempty"`
	PaymentTime        string              `json:"paymentTime,omitempty"`
	RedirectActionForm *redirectActionForm `json:"redirectActionForm,omitempty"`
}

type inquiryRequest struct {
	PaymentRequestID string `json:"paymentRequestId"`
	PaymentID        string `json:"paymentId"`
}

type inquiryResponse struct {
	Result            result  `json:"result"`
	PaymentID         string  `json:"paymentId,omitempty"`
	PaymentRequestID  string  `json:"paymentRequestId,omitempty"`
	PaymentStatus     string  `json:"paymentStatus,omitempty"`
	PaymentResult     *result `json:"paymentResult,omitempty"`
	PaymentFailReason string  `json:"paymentFailReason,omitempty"`
	PaymentAmount     *amount `json:"paymentAmount,omitempty"`
	PaymentCreateTime string  `json:"paymentCreateTime,omitempty"`
	PaymentTime       string  `json:"paymentTime,omitempty"`
}

type notifyBody struct {
	PaymentID         string `json:"paymentId"`
	PaymentRequestID  string `json:"paymentRequestId"`
	PaymentResult     result `json:"paymentResult"`
	PaymentAmount     amount `json:"paymentAmount"`
	PaymentCreateTime string `json:"paymentCreateTime"`
	PaymentTime       string `json:"paymentTime,omitempty"`
}
