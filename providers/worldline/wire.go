package worldline

import (
	"fmt"
	"github.com/opencheckout/hostedcheckout/providers/wirekit"
)

// Headers of the Server API and its webhooks beyond Date, Content-Type and
// Authorization.
const (
	HeaderServerMetaInfo       = "X-GCS-ServerMetaInfo"
	HeaderIdempotenceKey       = "X-GCS-Idempotence-Key"
	HeaderSignature            = "X-GCS-Signature"
	HeaderKeyID                = "X-GCS-KeyId"
	HeaderEndpointVerification = "X-GCS-Webhooks-Endpoint-Verification"
)

// Payment statuses (PROVIDERS.md 4.5), with their status category.
const (
	StatusCreated                = "CREATED"                 // CREATED
	StatusPendingPayment         = "PENDING_PAYMENT"         // PENDING_PAYMENT
	StatusRedirected             = "REDIRECTED"              // PENDING_PAYMENT
	StatusAccountVerified        = "ACCOUNT_VERIFIED"        // ACCOUNT_VERIFIED
	StatusPendingApproval        = "PENDING_APPROVAL"        // PENDING_MERCHANT
	StatusPendingCompletion      = "PENDING_COMPLETION"      // PENDING_MERCHANT
	StatusPendingCapture         = "PENDING_CAPTURE"         // PENDING_MERCHANT
	StatusPendingFraudApproval   = "PENDING_FRAUD_APPROVAL"  // PENDING_MERCHANT
	StatusAuthorizationRequested = "AUTHORIZATION_REQUESTED" // PENDING_CONNECT_OR_3RD_PARTY
	StatusCaptureRequested       = "CAPTURE_REQUESTED"       // PENDING_CONNECT_OR_3RD_PARTY
	StatusPayoutRequested        = "PAYOUT_REQUESTED"        // PENDING_CONNECT_OR_3RD_PARTY
	StatusRefundRequested        = "REFUND_REQUESTED"        // PENDING_CONNECT_OR_3RD_PARTY
	StatusCaptured               = "CAPTURED"                // COMPLETED
	StatusPaid                   = "PAID"                    // COMPLETED
	StatusAccountCredited        = "ACCOUNT_CREDITED"        // COMPLETED
	StatusChargebackNotification = "CHARGEBACK_NOTIFICATION" // COMPLETED
	StatusChargebacked           = "CHARGEBACKED"            // REVERSED
	StatusReversed               = "REVERSED"                // REVERSED
	StatusRefunded               = "REFUNDED"                // REFUNDED
	StatusCancelled              = "CANCELLED"               // UNSUCCESSFUL
	StatusRejected               = "REJECTED"                // UNSUCCESSFUL
	StatusRejectedCapture        = "REJECTED_CAPTURE"        // UNSUCCESSFUL
	StatusRejectedCredit         = "REJECTED_CREDIT"         // UNSUCCESSFUL
)

// threeDSecureStatus values seen (seed 003).
const (
	ThreeDSecureEnrolled     = "ENROLLED"
	ThreeDSecureNotCompleted = "INVALID_PARES_OR_NOT_COMPLETED"
)

// merchantAction action types and the showData key the adapter reads.
const (
	ActionRedirect               = "REDIRECT"
	ActionShowTransactionResults = "SHOW_TRANSACTION_RESULTS"
	ShowDataCardholderInfo       = "CARDHOLDERINFO"
)

// Error codes the adapter tells apart (the rest only feed declines).
const (
	CodeDuplicateRequestInProgress = "1409" // 409: the first request with this idempotence key is still running [V]
)

// createPaymentRequest is the Create Payment body, new-style objects (seed 003).
type createPaymentRequest struct {
	CardPaymentMethodSpecificInput cardPaymentInput `json:"cardPaymentMethodSpecificInput"`
	Order                          orderInput       `json:"order"`
}

type cardPaymentInput struct {
	Card               cardData          `json:"card"`
	PaymentProductID   int               `json:"paymentProductId"`
	IsRecurring        bool              `json:"isRecurring"`
	TransactionChannel string            `json:"transactionChannel"`
	RequiresApproval   bool              `json:"requiresApproval"`
	ThreeDSecure       threeDSecureInput `json:"threeDSecure"`
}

// cardData is the one place the card number and CVV travel. Every fmt verb
// prints it masked, so a stray %v cannot carry them into a log.
type cardData struct {
	CardNumber     string `json:"cardNumber"`
	CVV            string `json:"cvv"`
	ExpiryDate     string `json:"expiryDate"`
	CardholderName string `json:"cardholderName"`
}

// Format prints the card without its number and CVV.
func (cardData) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("worldline.cardData{redacted}")) }

type threeDSecureInput struct {
	AuthenticationFlow  string          `json:"authenticationFlow"`
	ChallengeIndicator  string          `json:"challengeIndicator"`
	ChallengeCanvasSize string          `json:"challengeCanvasSize"`
	SkipAuthentication  bool            `json:"skipAuthentication"`
	RedirectionData     redirectionData `json:"redirectionData"`
}

type redirectionData struct {
	ReturnURL string `json:"returnUrl"`
}

type orderInput struct {
	AmountOfMoney amountOfMoney   `json:"amountOfMoney"`
	Customer      customerInput   `json:"customer"`
	References    referencesInput `json:"references"`
}

type amountOfMoney struct {
	Amount       int64  `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type customerInput struct {
	AccountType        string          `json:"accountType"`
	BillingAddress     address         `json:"billingAddress"`
	ContactDetails     *contactDetails `json:"contactDetails,omitempty"`
	MerchantCustomerID string          `json:"merchantCustomerId,omitempty"`
	Locale             string          `json:"locale"`
	Device             device          `json:"device"`
}

type address struct {
	CountryCode string `json:"countryCode"`
}

type contactDetails struct {
	EmailAddress string `json:"emailAddress"`
}

type device struct {
	AcceptHeader             string      `json:"acceptHeader,omitempty"`
	IPAddress                string      `json:"ipAddress,omitempty"`
	Locale                   string      `json:"locale,omitempty"`
	UserAgent                string      `json:"userAgent,omitempty"`
	TimezoneOffsetUTCMinutes string      `json:"timezoneOffsetUtcMinutes"`
	BrowserData              browserData `json:"browserData"`
}

// browserData carries screen sizes as strings and colour depth as an
// integer, as the seed's property table says.
type browserData struct {
	ColorDepth        int    `json:"colorDepth,omitempty"`
	JavaEnabled       bool   `json:"javaEnabled"`
	JavaScriptEnabled bool   `json:"javaScriptEnabled"`
	ScreenHeight      string `json:"screenHeight,omitempty"`
	ScreenWidth       string `json:"screenWidth,omitempty"`
	InnerHeight       string `json:"innerHeight,omitempty"`
	InnerWidth        string `json:"innerWidth,omitempty"`
}

type referencesInput struct {
	MerchantReference string `json:"merchantReference"`
	Descriptor        string `json:"descriptor,omitempty"`
}

// approveRequest is the Approve payment body [V SDK ApprovePaymentRequest].
type approveRequest struct {
	Amount int64 `json:"amount"`
}

// refundRequest is the Create refund body.
type refundRequest struct {
	AmountOfMoney    amountOfMoney    `json:"amountOfMoney"`
	RefundReferences refundReferences `json:"refundReferences"`
}

type refundReferences struct {
	MerchantReference string `json:"merchantReference"`
}

// createPaymentResponse is the 201 answer to Create Payment, and the
// paymentResult of a declined one.
type createPaymentResponse struct {
	MerchantAction *merchantAction `json:"merchantAction"`
	Payment        payment         `json:"payment"`
}

type merchantAction struct {
	ActionType   string        `json:"actionType"`
	RedirectData *redirectData `json:"redirectData"`
	ShowData     []keyValue    `json:"showData"`
}

type redirectData struct {
	ReturnMAC   string `json:"RETURNMAC"`
	RedirectURL string `json:"redirectURL"`
}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// payment is Worldline's PaymentResponse: the "payment" object of every
// answer, and the whole body of Get payment.
type payment struct {
	ID            string        `json:"id"`
	PaymentOutput paymentOutput `json:"paymentOutput"`
	Status        string        `json:"status"`
	StatusOutput  statusOutput  `json:"statusOutput"`
}

type paymentOutput struct {
	AmountOfMoney                   *amountOfMoney    `json:"amountOfMoney"`
	References                      paymentReferences `json:"references"`
	PaymentMethod                   string            `json:"paymentMethod"`
	CardPaymentMethodSpecificOutput *cardOutput       `json:"cardPaymentMethodSpecificOutput"`
}

type paymentReferences struct {
	MerchantReference string `json:"merchantReference"`
	PaymentReference  string `json:"paymentReference"`
}

type cardOutput struct {
	PaymentProductID    int                  `json:"paymentProductId"`
	ThreeDSecureResults *threeDSecureResults `json:"threeDSecureResults"`
}

type threeDSecureResults struct {
	CAVV                         string             `json:"cavv"`
	ECI                          wirekit.FlexString `json:"eci"`
	DirectoryServerTransactionID string             `json:"directoryServerTransactionId"`
	ThreeDServerTransactionID    string             `json:"threeDServerTransactionId"`
	ThreeDSecureVersion          string             `json:"threeDSecureVersion"`
	ThreeDSecureData             *threeDSecureData  `json:"threeDSecureData"`
}

type threeDSecureData struct {
	ACSTransactionID string `json:"acsTransactionId"`
	Method           string `json:"method"`
	UTCTimestamp     string `json:"utcTimestamp"`
}

type statusOutput struct {
	IsCancellable      bool        `json:"isCancellable"`
	StatusCategory     string      `json:"statusCategory"`
	StatusCode         int         `json:"statusCode"`
	IsAuthorized       bool        `json:"isAuthorized"`
	IsRefundable       bool        `json:"isRefundable"`
	Errors             []errorItem `json:"errors"`
	ThreeDSecureStatus string      `json:"threeDSecureStatus"`
}

// paymentEnvelope is the answer to approve and cancel.
type paymentEnvelope struct {
	Payment payment `json:"payment"`
}

// findPaymentsResponse is the answer to Find payments.
type findPaymentsResponse struct {
	Payments   []payment `json:"payments"`
	Offset     int       `json:"offset"`
	Limit      int       `json:"limit"`
	TotalCount int       `json:"totalCount"`
}

// refundResponse is a refund as Worldline describes it: the answer to
// Create refund and Get refund, an item of Find refunds and the "refund"
// object of a refund.* webhook [V SDK RefundResponse, RefundResult,
// RefundOutput, PaymentReferences].
type refundResponse struct {
	ID           string       `json:"id"`
	RefundOutput refundOutput `json:"refundOutput"`
	Status       string       `json:"status"`
	StatusOutput statusOutput `json:"statusOutput"`
}

type refundOutput struct {
	AmountOfMoney *amountOfMoney    `json:"amountOfMoney"`
	References    *refundReferences `json:"references"`
}

// findRefundsResponse is the answer to Find refunds [V SDK FindRefundsResponse].
type findRefundsResponse struct {
	Refunds    []refundResponse `json:"refunds"`
	Offset     int              `json:"offset"`
	Limit      int              `json:"limit"`
	TotalCount int              `json:"totalCount"`
}

// errorResponse is the body of every non-2xx answer; paymentResult is set
// when Create Payment declined the payment it created.
type errorResponse struct {
	ErrorID       string                 `json:"errorId"`
	Errors        []errorItem            `json:"errors"`
	PaymentResult *createPaymentResponse `json:"paymentResult"`
}

type errorItem struct {
	Code           wirekit.FlexString `json:"code"`
	ID             string             `json:"id"`
	Category       string             `json:"category"`
	Message        string             `json:"message"`
	HTTPStatusCode int                `json:"httpStatusCode"`
	PropertyName   string             `json:"propertyName"`
}

// webhookEvent is a webhook body; exactly one of the objects is set.
type webhookEvent struct {
	APIVersion string          `json:"apiVersion"`
	ID         string          `json:"id"`
	Created    string          `json:"created"`
	MerchantID string          `json:"merchantId"`
	Type       string          `json:"type"`
	Payment    *payment        `json:"payment"`
	Refund     *refundResponse `json:"refund"`
}
