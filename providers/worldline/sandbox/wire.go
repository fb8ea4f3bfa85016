package sandbox

import (
	"strconv"
	"time"
)

// The platform's wire structs are written here independently of the
// adapter's, so that a property the two spell differently fails the
// conformance suite instead of passing silently.

// Requests.

type createPaymentRequest struct {
	CardPaymentMethodSpecificInput *cardPaymentInput `json:"cardPaymentMethodSpecificInput"`
	Order                          *orderInput       `json:"order"`
}

type cardPaymentInput struct {
	Card               *cardInput         `json:"card"`
	PaymentProductID   *int               `json:"paymentProductId"`
	IsRecurring        bool               `json:"isRecurring"`
	TransactionChannel string             `json:"transactionChannel"`
	RequiresApproval   *bool              `json:"requiresApproval"`
	SkipAuthentication *bool              `json:"skipAuthentication"`
	ThreeDSecure       *threeDSecureInput `json:"threeDSecure"`
}

type cardInput struct {
	CardNumber     string `json:"cardNumber"`
	CVV            string `json:"cvv"`
	ExpiryDate     string `json:"expiryDate"`
	CardholderName string `json:"cardholderName"`
}

type threeDSecureInput struct {
	AuthenticationFlow  string           `json:"authenticationFlow"`
	ChallengeIndicator  string           `json:"challengeIndicator"`
	ChallengeCanvasSize string           `json:"challengeCanvasSize"`
	SkipAuthentication  *bool            `json:"skipAuthentication"`
	RedirectionData     *redirectionData `json:"redirectionData"`
}

type redirectionData struct {
	ReturnURL string `json:"returnUrl"`
	Variant   string `json:"variant"`
}

type orderInput struct {
	AmountOfMoney *amountInput     `json:"amountOfMoney"`
	Customer      *customerInput   `json:"customer"`
	References    *referencesInput `json:"references"`
}

type amountInput struct {
	Amount       *int64 `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type customerInput struct {
	AccountType        string `json:"accountType"`
	MerchantCustomerID string `json:"merchantCustomerId"`
	Locale             string `json:"locale"`
	BillingAddress     *struct {
		CountryCode string `json:"countryCode"`
	} `json:"billingAddress"`
	ContactDetails *struct {
		EmailAddress string `json:"emailAddress"`
	} `json:"contactDetails"`
	Device *deviceInput `json:"device"`
}

type deviceInput struct {
	AcceptHeader             string            `json:"acceptHeader"`
	IPAddress                string            `json:"ipAddress"`
	Locale                   string            `json:"locale"`
	UserAgent                string            `json:"userAgent"`
	TimezoneOffsetUtcMinutes string            `json:"timezoneOffsetUtcMinutes"`
	BrowserData              *browserDataInput `json:"browserData"`
}

type browserDataInput struct {
	ColorDepth        *int   `json:"colorDepth"`
	JavaEnabled       *bool  `json:"javaEnabled"`
	JavaScriptEnabled *bool  `json:"javaScriptEnabled"`
	ScreenHeight      string `json:"screenHeight"`
	ScreenWidth       string `json:"screenWidth"`
	InnerHeight       string `json:"innerHeight"`
	InnerWidth        string `json:"innerWidth"`
}

type referencesInput struct {
	MerchantReference string `json:"merchantReference"`
	MerchantOrderID   *int64 `json:"merchantOrderId"`
	Descriptor        string `json:"descriptor"`
}

type approveRequest struct {
	Amount *int64 `json:"amount"`
}

type refundRequest struct {
	AmountOfMoney    *amountInput `json:"amountOfMoney"`
	RefundReferences *struct {
		MerchantReference string `json:"merchantReference"`
	} `json:"refundReferences"`
}

// Answers.

type money struct {
	Amount       int64  `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type paymentResponse struct {
	ID            string        `json:"id"`
	PaymentOutput paymentOutput `json:"paymentOutput"`
	Status        string        `json:"status"`
	StatusOutput  statusOutput  `json:"statusOutput"`
}

type paymentOutput struct {
	AmountOfMoney                   money             `json:"amountOfMoney"`
	References                      paymentReferences `json:"references"`
	PaymentMethod                   string            `json:"paymentMethod"`
	CardPaymentMethodSpecificOutput cardOutput        `json:"cardPaymentMethodSpecificOutput"`
}

type paymentReferences struct {
	MerchantOrderID   *int64 `json:"merchantOrderId,omitempty"`
	MerchantReference string `json:"merchantReference"`
	PaymentReference  string `json:"paymentReference"`
}

type cardOutput struct {
	PaymentProductID    int                  `json:"paymentProductId"`
	AuthorisationCode   string               `json:"authorisationCode,omitempty"`
	FraudResults        *fraudResults        `json:"fraudResults,omitempty"`
	ThreeDSecureResults *threeDSecureResults `json:"threeDSecureResults,omitempty"`
	Card                cardEssentials       `json:"card"`
}

type fraudResults struct {
	FraudServiceResult string `json:"fraudServiceResult"`
	AVSResult          string `json:"avsResult"`
	CVVResult          string `json:"cvvResult"`
}

type threeDSecureResults struct {
	CAVV                         string            `json:"cavv,omitempty"`
	ECI                          string            `json:"eci,omitempty"`
	DirectoryServerTransactionID string            `json:"directoryServerTransactionId,omitempty"`
	ThreeDServerTransactionID    string            `json:"threeDServerTransactionId,omitempty"`
	ThreeDSecureVersion          string            `json:"threeDSecureVersion,omitempty"`
	ThreeDSecureData             *threeDSecureData `json:"threeDSecureData,omitempty"`
}

type threeDSecureData struct {
	AcsTransactionID string `json:"acsTransactionId,omitempty"`
	Method           string `json:"method,omitempty"`
	UtcTimestamp     string `json:"utcTimestamp,omitempty"`
}

type cardEssentials struct {
	CardNumber string `json:"cardNumber"`
	ExpiryDate string `json:"expiryDate"`
}

type statusOutput struct {
	Errors                   []apiError `json:"errors,omitempty"`
	IsCancellable            bool       `json:"isCancellable"`
	StatusCategory           string     `json:"statusCategory"`
	StatusCode               int        `json:"statusCode"`
	StatusCodeChangeDateTime string     `json:"statusCodeChangeDateTime"`
	IsAuthorized             bool       `json:"isAuthorized"`
	IsRefundable             bool       `json:"isRefundable"`
	ThreeDSecureStatus       string     `json:"threeDSecureStatus,omitempty"`
}

type createPaymentResponse struct {
	CreationOutput creationOutput  `json:"creationOutput"`
	MerchantAction *merchantAction `json:"merchantAction,omitempty"`
	Payment        paymentResponse `json:"payment"`
}

type creationOutput struct {
	AdditionalReference string `json:"additionalReference"`
	ExternalReference   string `json:"externalReference"`
}

type merchantAction struct {
	ActionType    string        `json:"actionType"`
	RedirectData  *redirectData `json:"redirectData,omitempty"`
	RenderingData string        `json:"renderingData,omitempty"`
	ShowData      []keyValue    `json:"showData"`
}

type redirectData struct {
	ReturnMAC   string `json:"RETURNMAC"`
	RedirectURL string `json:"redirectURL"`
}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type paymentEnvelope struct {
	Payment paymentResponse `json:"payment"`
}

type findPaymentsResponse struct {
	Payments   []paymentResponse `json:"payments"`
	Offset     int               `json:"offset"`
	Limit      int               `json:"limit"`
	TotalCount int               `json:"totalCount"`
}

type refundResponse struct {
	ID           string             `json:"id"`
	RefundOutput refundOutput       `json:"refundOutput"`
	Status       string             `json:"status"`
	StatusOutput refundStatusOutput `json:"statusOutput"`
}

type refundOutput struct {
	AmountOfMoney money             `json:"amountOfMoney"`
	References    *refundReferences `json:"references,omitempty"`
	PaymentMethod string            `json:"paymentMethod"`
}

type refundReferences struct {
	MerchantReference string `json:"merchantReference"`
}

// findRefundsResponse is the answer to Find refunds [V SDK FindRefundsResponse].
type findRefundsResponse struct {
	Refunds    []refundResponse `json:"refunds"`
	Offset     int              `json:"offset"`
	Limit      int              `json:"limit"`
	TotalCount int              `json:"totalCount"`
}

type refundStatusOutput struct {
	IsCancellable            bool   `json:"isCancellable"`
	StatusCategory           string `json:"statusCategory"`
	StatusCode               int    `json:"statusCode"`
	StatusCodeChangeDateTime string `json:"statusCodeChangeDateTime"`
}

// apiError is one item of an error answer's errors.
type apiError struct {
	Code           string `json:"code"`
	ID             string `json:"id,omitempty"`
	Category       string `json:"category,omitempty"`
	Message        string `json:"message"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	PropertyName   string `json:"propertyName,omitempty"`
	RequestID      string `json:"requestId,omitempty"`
}

type errorResponse struct {
	ErrorID       string                 `json:"errorId"`
	Errors        []apiError             `json:"errors"`
	PaymentResult *createPaymentResponse `json:"paymentResult,omitempty"`
}

// webhookEvent is a webhook body.
type webhookEvent struct {
	APIVersion string           `json:"apiVersion"`
	ID         string           `json:"id"`
	Created    string           `json:"created"`
	MerchantID string           `json:"merchantId"`
	Type       string           `json:"type"`
	Payment    *paymentResponse `json:"payment,omitempty"`
	Refund     *refundResponse  `json:"refund,omitempty"`
}

// The platform's time formats.
const (
	statusTimeFormat  = "20060102150405"
	webhookTimeFormat = "2006-01-02T15:04:05.000-0700"
)

// response builds a payment's PaymentResponse. The caller holds s.mu.
func (s *Sandbox) response(p *payment) paymentResponse {
	out := paymentResponse{
		ID: p.id,
		PaymentOutput: paymentOutput{
			AmountOfMoney: money{Amount: p.amount, CurrencyCode: p.currency},
			References:    paymentReferences{MerchantOrderID: p.merchantOrderID, MerchantReference: p.merchantReference, PaymentReference: "0"},
			PaymentMethod: "card",
			CardPaymentMethodSpecificOutput: cardOutput{
				PaymentProductID:  p.card.productID,
				AuthorisationCode: p.authCode,
				FraudResults:      p.fraud,
				Card:              cardEssentials{CardNumber: p.card.masked, ExpiryDate: p.card.expiry},
			},
		},
		Status: p.status,
		StatusOutput: statusOutput{
			Errors:                   p.errors,
			IsCancellable:            p.status == statusPendingApproval,
			StatusCategory:           statusCategories[p.status],
			StatusCode:               p.statusCode,
			StatusCodeChangeDateTime: p.statusChangedAt.UTC().Format(statusTimeFormat),
			IsAuthorized:             p.status == statusPendingApproval || p.status == statusCaptureRequested || p.status == statusCaptured,
			IsRefundable:             p.status == statusCaptured && p.refundable() > 0,
			ThreeDSecureStatus:       p.threeDSecureStatus,
		},
	}
	if r := p.threeDS; r != nil {
		res := &threeDSecureResults{
			CAVV:                         r.cavv,
			ECI:                          r.eci,
			DirectoryServerTransactionID: r.dsTransID,
			ThreeDServerTransactionID:    r.serverTransID,
			ThreeDSecureVersion:          threeDSVersion,
		}
		if r.acsTransID != "" || r.method != "" || r.utcTimestamp != "" {
			res.ThreeDSecureData = &threeDSecureData{AcsTransactionID: r.acsTransID, Method: r.method, UtcTimestamp: r.utcTimestamp}
		}
		out.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults = res
	}
	return out
}

// createResponse builds the CreatePaymentResponse. The caller holds s.mu.
func (s *Sandbox) createResponse(p *payment) *createPaymentResponse {
	return &createPaymentResponse{
		CreationOutput: creationOutput{AdditionalReference: p.additionalRef, ExternalReference: p.externalRef},
		MerchantAction: s.merchantAction(p),
		Payment:        s.response(p),
	}
}

// refundResponse builds a refund's RefundResponse as it stands. The caller
// holds s.mu.
func (s *Sandbox) refundResponse(r *refund) refundResponse {
	out := refundResponse{
		ID:           r.id,
		RefundOutput: refundOutput{AmountOfMoney: money{Amount: r.amount, CurrencyCode: r.p.currency}, PaymentMethod: "card"},
		Status:       r.status,
		StatusOutput: refundStatusOutput{
			IsCancellable:            r.status == statusPendingApproval || r.status == statusRefundRequested,
			StatusCategory:           refundCategories[r.status],
			StatusCode:               r.statusCode,
			StatusCodeChangeDateTime: r.statusChangedAt.UTC().Format(statusTimeFormat),
		},
	}
	if r.merchantReference != "" {
		out.RefundOutput.References = &refundReferences{MerchantReference: r.merchantReference}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// unixMillis is the X-GCS-Idempotence-Request-Timestamp value.
func unixMillis(t time.Time) string { return itoa(t.UnixMilli()) }
