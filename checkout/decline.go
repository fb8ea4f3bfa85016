package checkout

// DeclineCode is our small vocabulary for why a payment failed. Providers map
// their own codes onto it; the raw code is kept alongside.
type DeclineCode string

// Decline codes.
const (
	DeclineGeneric              DeclineCode = "card_declined"
	DeclineInsufficientFunds    DeclineCode = "insufficient_funds"
	DeclineExpiredCard          DeclineCode = "expired_card"
	DeclineIncorrectCVC         DeclineCode = "incorrect_cvc"
	DeclineIncorrectNumber      DeclineCode = "incorrect_number"
	DeclineAuthenticationFailed DeclineCode = "authentication_failed"
	DeclineFraudSuspected       DeclineCode = "fraud_suspected"
	DeclineLimitExceeded        DeclineCode = "limit_exceeded"
	DeclineNotSupported         DeclineCode = "not_supported"
	DeclineProcessingError      DeclineCode = "processing_error"
)

// Decline explains a failed payment.
type Decline struct {
	Code         DeclineCode `json:"code"`
	ProviderCode string      `json:"provider_code,omitempty"`
	Message      string      `json:"message"` // safe for the shopper and the merchant
}

// NewDecline builds a Decline with the standard shopper message for code.
func NewDecline(code DeclineCode, providerCode string) *Decline {
	return &Decline{Code: code, ProviderCode: providerCode, Message: DeclineMessage(code)}
}

// DeclineMessage is the shopper-safe explanation of a decline code. It never
// quotes the provider and never hints at fraud rules.
func DeclineMessage(code DeclineCode) string {
	switch code {
	case DeclineInsufficientFunds:
		return "Your card has insufficient funds. Try another card."
	case DeclineExpiredCard:
		return "Your card has expired. Try another card."
	case DeclineIncorrectCVC:
		return "The security code is incorrect. Check it and try again."
	case DeclineIncorrectNumber:
		return "The card number is incorrect. Check it and try again."
	case DeclineAuthenticationFailed:
		return "We could not verify it was you with your bank. No money was taken."
	case DeclineLimitExceeded:
		return "This payment is over your card's limit. Try another card."
	case DeclineNotSupported:
		return "This card cannot be used for this payment. Try another card."
	case DeclineProcessingError:
		return "The payment could not be processed. No money was taken; please try again."
	}
	return "Your card was declined. Try another card or contact your bank."
}
