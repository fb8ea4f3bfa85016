package payorder

import "github.com/opencheckout/hostedcheckout/checkout"

// refusalDeclines maps the issuer's ISO-8583 style refusal codes onto our
// decline vocabulary; any other code is a generic decline.
var refusalDeclines = map[string]checkout.DeclineCode{
	"05": checkout.DeclineGeneric,
	"51": checkout.DeclineInsufficientFunds,
	"54": checkout.DeclineExpiredCard,
	"N7": checkout.DeclineIncorrectCVC,
	"82": checkout.DeclineIncorrectCVC,
	"14": checkout.DeclineIncorrectNumber,
	"61": checkout.DeclineLimitExceeded,
	"59": checkout.DeclineFraudSuspected,
	"63": checkout.DeclineFraudSuspected,
}

// transStatuses derives the EMV 3DS transStatus from the ECI: 05/02 full
// authentication, 06/01 attempted, 07/00 none.
var transStatuses = map[string]string{
	"05": "Y", "02": "Y",
	"06": "A", "01": "A",
	"07": "U", "00": "U",
}

// mapOutcome is the one place where the gateway's outcome and refusal code
// become our Outcome. The flow is a challenge once the payment has a
// challenge reference. A word it does not know is pending, never success:
// the payment is then resolved by a later inquiry.
func mapOutcome(d orderData, st state) checkout.Outcome {
	flow := checkout.FlowFrictionless
	if st.challengeReference != "" {
		flow = checkout.FlowChallenge
	}
	switch d.Outcome {
	case OutcomeAuthorized:
		// The payment order flow captures on authorisation.
		return checkout.Outcome{Status: checkout.OutcomeSucceeded, ThreeDS: threeDS(d.Authentication, flow)}
	case OutcomeRefused:
		code, ok := refusalDeclines[d.RefusalCode]
		if !ok {
			code = checkout.DeclineGeneric
		}
		out := failedOutcome(code, d.RefusalCode)
		out.ThreeDS = threeDS(d.Authentication, flow)
		return out
	case OutcomeAuthenticationFailed:
		out := failedOutcome(checkout.DeclineAuthenticationFailed, "")
		out.ThreeDS = threeDS(d.Authentication, flow)
		if out.ThreeDS == nil {
			out.ThreeDS = &checkout.ThreeDSResult{Flow: flow}
		}
		out.ThreeDS.Status = "N"
		return out
	case OutcomeFailed:
		return failedOutcome(checkout.DeclineProcessingError, "")
	case OutcomeChallenged:
		ch := d.Challenge
		if ch == nil || ch.URL == "" || ch.JWT == "" || ch.Reference == "" {
			// queryOrder reports a waiting challenge without its data.
			return checkout.Outcome{Status: checkout.OutcomePending}
		}
		return checkout.Outcome{
			Status:       checkout.OutcomeActionRequired,
			ProviderData: map[string]string{keyChallengeReference: ch.Reference},
			Action: &checkout.Action{
				Kind:   checkout.ActionChallenge,
				URL:    ch.URL,
				JWT:    ch.JWT,
				MD:     ch.Payload,
				Width:  st.windowWidth,
				Height: st.windowHeight,
			},
		}
	case OutcomeCreated, OutcomeInitialized:
		return checkout.Outcome{Status: checkout.OutcomePending}
	}
	return checkout.Outcome{Status: checkout.OutcomePending}
}

// failedOutcome is a definitive failure with our code and the provider's,
// which is stored and shown to the merchant, hence scrubbed.
func failedOutcome(code checkout.DeclineCode, providerCode string) checkout.Outcome {
	return checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(code, scrub(providerCode))}
}

func threeDS(a *authentication, flow string) *checkout.ThreeDSResult {
	if a == nil {
		return nil
	}
	return &checkout.ThreeDSResult{
		Version:                    a.Version,
		ECI:                        a.ECI,
		TransactionID:              a.TransactionID,
		AuthenticationValuePresent: a.AuthenticationValue != "",
		Flow:                       flow,
		Status:                     transStatuses[a.ECI],
	}
}
