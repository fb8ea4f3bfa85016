package payorder

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestMapOutcomeFixtures(t *testing.T) {
	frictionless := stateOf(checkedOut())
	afterChallenge := frictionless
	afterChallenge.challengeReference = "AB12CD34EF56GH78IJ90"
	pending := checkout.Outcome{Status: checkout.OutcomePending}

	tests := []struct {
		fixture string
		state   state
		want    checkout.Outcome
	}{
		{"payorder_authorized.json", frictionless, checkout.Outcome{
			Status: checkout.OutcomeSucceeded,
			ThreeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "c5b808e7-1de1-4069-a17b-f70d3b3b1645",
				AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "Y"},
		}},
		{"payorder_authorized.json", afterChallenge, checkout.Outcome{
			Status: checkout.OutcomeSucceeded,
			ThreeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "c5b808e7-1de1-4069-a17b-f70d3b3b1645",
				AuthenticationValuePresent: true, Flow: checkout.FlowChallenge, Status: "Y"},
		}},
		{"payorder_authorized_attempted_mastercard.json", frictionless, checkout.Outcome{
			Status: checkout.OutcomeSucceeded,
			ThreeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "01", TransactionID: "0f7a9b3c-51de-4a2e-8c0b-6d2e91f4a7b5",
				AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "A"},
		}},
		{"payorder_authorized_unavailable.json", frictionless, checkout.Outcome{
			Status: checkout.OutcomeSucceeded,
			ThreeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "07", TransactionID: "8d2f6e1a-3b4c-4d5e-9f60-718293a4b5c6",
				Flow: checkout.FlowFrictionless, Status: "U"},
		}},
		{"payorder_refused_insufficient_funds.json", frictionless, checkout.Outcome{
			Status:  checkout.OutcomeFailed,
			Decline: checkout.NewDecline(checkout.DeclineInsufficientFunds, "51"),
			ThreeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
				AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "Y"},
		}},
		{"payorder_refused_unlisted_code.json", frictionless, checkout.Outcome{
			Status:  checkout.OutcomeFailed,
			Decline: checkout.NewDecline(checkout.DeclineGeneric, "12"),
		}},
		{"payorder_challenged.json", frictionless, checkout.Outcome{
			Status:       checkout.OutcomeActionRequired,
			ProviderData: map[string]string{keyChallengeReference: "AB12CD34EF56GH78IJ90"},
			Action: &checkout.Action{
				Kind:   checkout.ActionChallenge,
				URL:    "https://centinelapistag.cardinalcommerce.com/V2/Cruise/StepUp",
				JWT:    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJhIn0.c2lnbmF0dXJl",
				MD:     "eyJtZXNzYWdlVHlwZSI6IkNSZXEiLCJtZXNzYWdlVmVyc2lvbiI6IjIuMi4wIn0",
				Width:  250,
				Height: 400,
			},
		}},
		{"payorder_authentication_failed.json", frictionless, checkout.Outcome{
			Status:  checkout.OutcomeFailed,
			Decline: checkout.NewDecline(checkout.DeclineAuthenticationFailed, ""),
			ThreeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "07", TransactionID: "6f5e4d3c-2b1a-4098-8765-43210fedcba9",
				Flow: checkout.FlowFrictionless, Status: "N"},
		}},
		{"queryorder_failed.json", frictionless, checkout.Outcome{
			Status:  checkout.OutcomeFailed,
			Decline: checkout.NewDecline(checkout.DeclineProcessingError, ""),
		}},
		{"queryorder_created.json", frictionless, pending},
		{"queryorder_initialized.json", frictionless, pending},
		{"queryorder_challenged.json", afterChallenge, pending},
		{"payorder_unknown_outcome.json", frictionless, pending},
		{"payorder_wrong_case_outcome.json", frictionless, pending},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			var r result
			if err := json.Unmarshal(fixture(t, tt.fixture), &r); err != nil {
				t.Fatal(err)
			}
			var d orderData
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
			got := mapOutcome(d, tt.state)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("mapOutcome =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

// TestMapOutcomeNeverSucceedsByAccident feeds every word the mapping does
// not list, plus the listed ones in other spellings: all must be pending.
func TestMapOutcomeNeverSucceedsByAccident(t *testing.T) {
	for _, word := range []string{"", "Authorized", "AUTHORIZED", "authorised", "authenticated", "bypassed", "unavailable",
		"captured", "settled", "success", "SUCCESS", "sentForSettlement", "signatureFailed", "refused ", "null"} {
		got := mapOutcome(orderData{Outcome: word, Authentication: &authentication{ECI: "05", AuthenticationValue: "x"}}, state{})
		if got.Status != checkout.OutcomePending || got.Decline != nil || got.Action != nil {
			t.Errorf("outcome %q mapped to %+v, want pending", word, got)
		}
	}
}

func TestRefusalCodes(t *testing.T) {
	tests := map[string]checkout.DeclineCode{
		"05": checkout.DeclineGeneric,
		"51": checkout.DeclineInsufficientFunds,
		"54": checkout.DeclineExpiredCard,
		"N7": checkout.DeclineIncorrectCVC,
		"82": checkout.DeclineIncorrectCVC,
		"14": checkout.DeclineIncorrectNumber,
		"61": checkout.DeclineLimitExceeded,
		"59": checkout.DeclineFraudSuspected,
		"63": checkout.DeclineFraudSuspected,
		"":   checkout.DeclineGeneric,
		"99": checkout.DeclineGeneric,
	}
	for code, want := range tests {
		got := mapOutcome(orderData{Outcome: OutcomeRefused, RefusalCode: code}, state{})
		if got.Status != checkout.OutcomeFailed || got.Decline.Code != want || got.Decline.ProviderCode != code {
			t.Errorf("refusal %q: %+v, want %s", code, got.Decline, want)
		}
		if got.Decline.Message != checkout.DeclineMessage(want) {
			t.Errorf("refusal %q: message %q is not the standard one", code, got.Decline.Message)
		}
	}
}

func TestChallengeWithoutItsDataIsPending(t *testing.T) {
	for _, ch := range []*challenge{nil, {URL: "https://acs", JWT: "j"}, {Reference: "r", JWT: "j"}, {Reference: "r", URL: "https://acs"}} {
		if got := mapOutcome(orderData{Outcome: OutcomeChallenged, Challenge: ch}, state{}); got.Status != checkout.OutcomePending {
			t.Errorf("challenge %+v: %s, want pending", ch, got.Status)
		}
	}
}

// TestSeedPayOrderSample checks payOrderRequest against the seed's sample
// bizContent: every field of the sample has its exact name and value.
func TestSeedPayOrderSample(t *testing.T) {
	seed := fixture(t, "seed_payorder_request.json")
	var req payOrderRequest
	dec := json.NewDecoder(bytes.NewReader(seed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("the seed sample does not fit payOrderRequest: %v", err)
	}
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	_ = json.Unmarshal(seed, &want)
	_ = json.Unmarshal(out, &got)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	keys := slices.Sorted(maps.Keys(want))
	if !slices.Equal(keys, []string{"linkID", "order_sn", "sessionId", "transactionReference", "userAgent"}) {
		t.Errorf("seed fields = %v", keys)
	}
}
