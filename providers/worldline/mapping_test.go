package worldline

import (
	"encoding/json"
	"github.com/opencheckout/hostedcheckout/providers/wirekit"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestSeedAnswers parses each of the seed's example answers, copied
// verbatim into testdata, and maps it under both capture modes.
func TestSeedAnswers(t *testing.T) {
	type want struct {
		manual, automatic checkout.OutcomeStatus
		ref               string
		status            string
		actionURL         string
		returnMAC         string
		threeDS           *checkout.ThreeDSResult
		decline           checkout.DeclineCode
		providerCode      string
		shopperMessage    string
	}
	for file, w := range map[string]want{
		"create_0026_frictionless.json": {
			manual: checkout.OutcomeAuthorized, automatic: checkout.OutcomePending, // automatic: approved before mapping
			ref: "000007041700000008370000100001", status: StatusPendingApproval,
			threeDS: &checkout.ThreeDSResult{Version: "2.1.0", ECI: "05", TransactionID: "f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
				AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "Y"},
		},
		"create_7977_challenge.json": {
			manual: checkout.OutcomeActionRequired, automatic: checkout.OutcomeActionRequired,
			ref: "000007041700000008380000100001", status: StatusRedirected,
			actionURL: "http://payment.globalcollect-cc100.com:20105/3dsecure/0be7decc-5fb8-4e29-a71a-5b0f1bc93926?returnMAC=d317d15e-0fb5-48ef-b177-cbebb282ff0d",
			returnMAC: "d317d15e-0fb5-48ef-b177-cbebb282ff0d",
			threeDS:   &checkout.ThreeDSResult{Version: "2.1.0"},
		},
		"create_2672_redirector.json": {
			manual: checkout.OutcomeActionRequired, automatic: checkout.OutcomeActionRequired,
			ref: "000007041700000008390000100001", status: StatusRedirected,
			actionURL: "http://payment.globalcollect-cc100.com:20105/redirector/70ad24f4-4c0a-442c-99b2-e4bdfd1aa0ec?locale=en_US",
			returnMAC: "a59255a0-2d1e-4b65-ad8e-7666d9eaa51a",
			threeDS:   &checkout.ThreeDSResult{Version: "2.1.0", TransactionID: "f25084f0-5b16-4c0a-ae5d-b24808a95e4b", Flow: checkout.FlowFrictionless},
		},
		"create_0002_redirector.json": {
			manual: checkout.OutcomeActionRequired, automatic: checkout.OutcomeActionRequired,
			ref: "000007041700000008410000100001", status: StatusRedirected,
			actionURL: "http://payment.globalcollect-cc100.com:20105/redirector/319ea199-4094-44ba-b28d-c17a10089b0c?locale=en_US",
			returnMAC: "f6708f89-68fe-4e65-9e55-bfe8f638da34",
		},
		"create_9026_not_enrolled.json": {
			manual: checkout.OutcomeAuthorized, automatic: checkout.OutcomePending,
			ref: "000007041700000008420000100001", status: StatusPendingApproval,
			threeDS: &checkout.ThreeDSResult{ECI: "07", Status: "U"},
		},
		"error_402_5550_authentication_failed.json": {
			manual: checkout.OutcomeFailed, automatic: checkout.OutcomeFailed,
			ref: "000007041700000008440000100001", status: StatusRejected,
			threeDS: &checkout.ThreeDSResult{Version: "2.1.0", TransactionID: "f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
				Flow: checkout.FlowFrictionless, Status: "N"},
			decline: checkout.DeclineAuthenticationFailed, providerCode: "401025",
			shopperMessage: "Additional authentication is needed for this transaction, please contact (Issuer Name) at xxx-xxx-xxxx.",
		},
	} {
		for _, mode := range []checkout.CaptureMode{checkout.CaptureManual, checkout.CaptureAutomatic} {
			t.Run(file+"/"+string(mode), func(t *testing.T) {
				var out checkout.Outcome
				raw := readTestdata(t, file)
				if strings.HasPrefix(file, "error_") {
					var e errorResponse
					if err := json.Unmarshal(raw, &e); err != nil || e.PaymentResult == nil {
						t.Fatalf("parse: %v", err)
					}
					var err error
					out, err = declined(newAPIError(opCreatePayment, answer{status: 402, body: raw}), mode)
					if err != nil {
						t.Fatal(err)
					}
				} else {
					var r createPaymentResponse
					if err := json.Unmarshal(raw, &r); err != nil {
						t.Fatalf("parse: %v", err)
					}
					out = mapPayment(r.Payment, r.MerchantAction, mode)
				}
				wantStatus := w.manual
				if mode == checkout.CaptureAutomatic {
					wantStatus = w.automatic
				}
				if out.Status != wantStatus {
					t.Errorf("status = %s, want %s", out.Status, wantStatus)
				}
				if out.ProviderRef != w.ref || out.ProviderData[keyPaymentID] != w.ref || out.ProviderData[keyStatus] != w.status {
					t.Errorf("ref %q, provider data %v; want %s %s", out.ProviderRef, out.ProviderData, w.ref, w.status)
				}
				if out.ProviderData[keyReturnMAC] != w.returnMAC {
					t.Errorf("RETURNMAC kept = %q, want %q", out.ProviderData[keyReturnMAC], w.returnMAC)
				}
				switch {
				case w.actionURL == "" && out.Action != nil:
					t.Errorf("action = %+v, want none", out.Action)
				case w.actionURL != "" && (out.Action == nil || out.Action.Kind != checkout.ActionRedirect || out.Action.URL != w.actionURL):
					t.Errorf("action = %+v, want a redirect to %s", out.Action, w.actionURL)
				}
				switch {
				case w.threeDS == nil && out.ThreeDS != nil:
					t.Errorf("3DS = %+v, want none", out.ThreeDS)
				case w.threeDS != nil && (out.ThreeDS == nil || *out.ThreeDS != *w.threeDS):
					t.Errorf("3DS = %+v, want %+v", out.ThreeDS, w.threeDS)
				}
				if w.decline != "" {
					if out.Decline == nil || out.Decline.Code != w.decline || out.Decline.ProviderCode != w.providerCode || out.Decline.Message != checkout.DeclineMessage(w.decline) {
						t.Errorf("decline = %+v, want %s (%s)", out.Decline, w.decline, w.providerCode)
					}
				} else if out.Decline != nil {
					t.Errorf("decline = %+v, want none", out.Decline)
				}
				if out.ShopperMessage != w.shopperMessage {
					t.Errorf("shopper message = %q, want %q", out.ShopperMessage, w.shopperMessage)
				}
			})
		}
	}
}

// TestMapStatuses walks the whole status list: only the completed and
// capture-requested statuses are successes, and nothing unknown is.
func TestMapStatuses(t *testing.T) {
	pending, authorized, succeeded := checkout.OutcomePending, checkout.OutcomeAuthorized, checkout.OutcomeSucceeded
	for status, want := range map[string][2]checkout.OutcomeStatus{ // manual, automatic
		StatusCreated:                {pending, pending},
		StatusPendingPayment:         {pending, pending},
		StatusRedirected:             {pending, pending}, // without a REDIRECT action
		StatusAccountVerified:        {pending, pending},
		StatusPendingApproval:        {authorized, pending},
		StatusPendingCompletion:      {pending, pending},
		StatusPendingCapture:         {authorized, pending},
		StatusPendingFraudApproval:   {pending, pending},
		StatusAuthorizationRequested: {pending, pending},
		StatusCaptureRequested:       {succeeded, succeeded},
		StatusPayoutRequested:        {pending, pending},
		StatusRefundRequested:        {pending, pending},
		StatusCaptured:               {succeeded, succeeded},
		StatusPaid:                   {succeeded, succeeded},
		StatusAccountCredited:        {succeeded, succeeded},
		StatusChargebackNotification: {pending, pending},
		StatusChargebacked:           {pending, pending},
		StatusReversed:               {pending, pending},
		StatusRefunded:               {checkout.OutcomeRefunded, checkout.OutcomeRefunded},
		StatusCancelled:              {checkout.OutcomeCanceled, checkout.OutcomeCanceled},
		StatusRejected:               {checkout.OutcomeFailed, checkout.OutcomeFailed},
		StatusRejectedCapture:        {checkout.OutcomeFailed, checkout.OutcomeFailed},
		StatusRejectedCredit:         {pending, pending},
		"":                           {pending, pending},
		"paid":                       {pending, pending},
		"SOMETHING_NEW":              {pending, pending},
	} {
		for i, mode := range []checkout.CaptureMode{checkout.CaptureManual, checkout.CaptureAutomatic} {
			out := mapPayment(payment{ID: testRef, Status: status}, nil, mode)
			if out.Status != want[i] {
				t.Errorf("%q under %s capture = %s, want %s", status, mode, out.Status, want[i])
			}
			if (out.Status == checkout.OutcomeFailed) != (out.Decline != nil) {
				t.Errorf("%q: status %s with decline %+v", status, out.Status, out.Decline)
			}
		}
	}
	// A notification has no capture mode: the authorization is reported.
	if out := mapPayment(payment{ID: testRef, Status: StatusPendingApproval}, nil, ""); out.Status != authorized {
		t.Errorf("PENDING_APPROVAL without a mode = %s", out.Status)
	}
	// The action only counts on a REDIRECTED payment.
	action := &merchantAction{ActionType: ActionRedirect, RedirectData: &redirectData{ReturnMAC: "m", RedirectURL: "https://acs.test/x"}}
	if out := mapPayment(payment{ID: testRef, Status: StatusCaptured}, action, checkout.CaptureManual); out.Status != succeeded || out.Action != nil {
		t.Errorf("CAPTURED with a redirect = %s %+v", out.Status, out.Action)
	}
	for _, u := range []string{"javascript:alert(1)", "/relative", "ftp://x.test/", "https:///nohost", "https://x.test/" + strings.Repeat("a", 2100)} {
		action.RedirectData.RedirectURL = u
		if out := mapPayment(payment{ID: testRef, Status: StatusRedirected}, action, checkout.CaptureManual); out.Status != pending || out.Action != nil {
			t.Errorf("redirect to %.40q = %s %+v, want pending without an action", u, out.Status, out.Action)
		}
	}
}

func TestDeclineOf(t *testing.T) {
	for name, tc := range map[string]struct {
		p    payment
		want checkout.DeclineCode
		code string
	}{
		"not authorised":     {rejected(0, "", "430285"), checkout.DeclineGeneric, "430285"},
		"insufficient funds": {rejected(100, "", "430396"), checkout.DeclineInsufficientFunds, "430396"},
		"expired":            {rejected(100, "", "430306"), checkout.DeclineExpiredCard, "430306"},
		"CVV":                {rejected(100, "", "430360"), checkout.DeclineIncorrectCVC, "430360"},
		"card number":        {rejected(100, "", "430330"), checkout.DeclineIncorrectNumber, "430330"},
		"referred":           {rejected(100, "", "430409"), checkout.DeclineGeneric, "430409"},
		"lost":               {rejected(100, "", "430357"), checkout.DeclineGeneric, "430357"},
		"stolen":             {rejected(100, "", "430354"), checkout.DeclineGeneric, "430354"},
		"medium confidence":  {rejected(100, "", "401025"), checkout.DeclineAuthenticationFailed, "401025"},
		"unknown code":       {rejected(100, "", "123456"), checkout.DeclineGeneric, "123456"},
		"unknown then known": {rejected(100, "", "123456", "430396"), checkout.DeclineInsufficientFunds, "430396"},
		"no code":            {rejected(100, ""), checkout.DeclineGeneric, ""},
		"3DS status, issuer code": {rejected(100, ThreeDSecureNotCompleted, "430285"),
			checkout.DeclineAuthenticationFailed, "430285"},
		"status code 180":          {rejected(180, "", "430396"), checkout.DeclineAuthenticationFailed, "430396"},
		"rejected capture, 180":    {payment{Status: StatusRejectedCapture, StatusOutput: statusOutput{StatusCode: 180}}, checkout.DeclineGeneric, ""},
		"code holding a card":      {rejected(100, "", testPAN), checkout.DeclineGeneric, "invalid"},
		"code with spaces":         {rejected(100, "", "43 0285"), checkout.DeclineGeneric, "invalid"},
		"enrolled, issuer decline": {rejected(100, ThreeDSecureEnrolled, "430285"), checkout.DeclineGeneric, "430285"},
	} {
		t.Run(name, func(t *testing.T) {
			d := declineOf(tc.p)
			if d.Code != tc.want || d.ProviderCode != tc.code || d.Message != checkout.DeclineMessage(tc.want) {
				t.Errorf("decline = %+v, want %s (%q)", d, tc.want, tc.code)
			}
		})
	}
}

func rejected(statusCode int, threeDSStatus string, codes ...string) payment {
	p := payment{ID: testRef, Status: StatusRejected, StatusOutput: statusOutput{StatusCode: statusCode, ThreeDSecureStatus: threeDSStatus}}
	for _, c := range codes {
		p.StatusOutput.Errors = append(p.StatusOutput.Errors, errorItem{Code: wirekit.FlexString(c)})
	}
	return p
}

func TestThreeDSResults(t *testing.T) {
	parse := func(s string) *checkout.ThreeDSResult {
		var p payment
		if err := json.Unmarshal([]byte(`{"id":"1","status":"PENDING_APPROVAL","paymentOutput":{"cardPaymentMethodSpecificOutput":{"threeDSecureResults":`+s+`}}}`), &p); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return threeDSOf(p)
	}
	for in, want := range map[string]checkout.ThreeDSResult{
		`{"eci":"5"}`:            {ECI: "05", Status: "Y"},
		`{"eci":2}`:              {ECI: "02", Status: "Y"},
		`{"eci":"06"}`:           {ECI: "06", Status: "A"},
		`{"eci":"01"}`:           {ECI: "01", Status: "A"},
		`{"eci":"00","cavv":""}`: {ECI: "00", Status: "U"},
		`{"eci":"123","threeDSecureVersion":"2.2.0"}`:                                                                                 {Version: "2.2.0"},
		`{"eci":"05","threeDSecureData":{"method":"challenged"},"cavv":"AAAB"}`:                                                       {ECI: "05", Status: "Y", Flow: checkout.FlowChallenge, AuthenticationValuePresent: true},
		`{"threeDSecureVersion":"<b>","directoryServerTransactionId":"` + testPAN + `","threeDSecureData":{"method":"frictionless"}}`: {Flow: checkout.FlowFrictionless},
	} {
		got := parse(in)
		if got == nil || *got != want {
			t.Errorf("%s = %+v, want %+v", in, got, want)
		}
	}
	if got := parse(`{"threeDSecureData":{"utcTimestamp":"201907082250"}}`); got != nil {
		t.Errorf("results without anything we read = %+v, want nil", got)
	}
	if got := threeDSOf(payment{}); got != nil {
		t.Errorf("no card output = %+v", got)
	}
}

func TestCardholderInfo(t *testing.T) {
	show := func(v string) *merchantAction {
		return &merchantAction{ActionType: ActionShowTransactionResults, ShowData: []keyValue{{Key: "OTHER", Value: "no"}, {Key: ShowDataCardholderInfo, Value: v}}}
	}
	for in, want := range map[string]string{
		"  Call your bank.  ":                 "Call your bank.",
		"Call\x00 your\r\nbank\u0085 now.":    "Call your bank now.",
		"Card " + testPAN + " needs checking": "Card *** needs checking",
		"Call +31 20 123 4567.":               "Call +31 20 123 4567.",
		strings.Repeat("x", 400):              strings.Repeat("x", maxShopperMessage-1) + "…",
	} {
		if got := cardholderInfo(show(in)); got != want {
			t.Errorf("cardholder info %q = %q, want %q", in, got, want)
		}
	}
	if got := cardholderInfo(&merchantAction{ActionType: ActionRedirect, ShowData: []keyValue{{Key: ShowDataCardholderInfo, Value: "x"}}}); got != "" {
		t.Errorf("a redirect's show data became a shopper message: %q", got)
	}
	if got := cardholderInfo(nil); got != "" {
		t.Errorf("nil action = %q", got)
	}
}

// TestMapRefund: every refund status maps to one outcome; what we do not
// know is never a success.
func TestMapRefund(t *testing.T) {
	for status, tc := range map[string]struct {
		want  checkout.RefundStatus
		code  string
		known bool
	}{
		StatusRefundRequested:        {checkout.RefundSucceeded, "", true},
		StatusRefunded:               {checkout.RefundSucceeded, "", true},
		StatusCaptured:               {checkout.RefundSucceeded, "", true},
		StatusPendingApproval:        {checkout.RefundPending, "", true},
		StatusCreated:                {checkout.RefundPending, "", true},
		StatusRejected:               {checkout.RefundFailed, StatusRejected, true},
		StatusCancelled:              {checkout.RefundFailed, StatusCancelled, true},
		StatusPaid:                   {"", "", false},
		StatusRejectedCredit:         {"", "", false},
		StatusChargebacked:           {"", "", false},
		"":                           {"", "", false},
		"refund_requested":           {"", "", false},
		"SOMETHING_NEW":              {"", "", false},
		StatusCaptureRequested + " ": {"", "", false},
	} {
		out, known := mapRefund(refundResponse{ID: testRef + "-1", Status: status})
		if known != tc.known || out.Status != tc.want || out.ProviderCode != tc.code || out.ProviderRef != testRef+"-1" {
			t.Errorf("%q: %+v known=%v, want %q %q known=%v", status, out, known, tc.want, tc.code, tc.known)
		}
	}
	if out, _ := mapRefund(refundResponse{ID: "4242424242424242", Status: StatusRefunded}); out.ProviderRef != "" {
		t.Errorf("a card-shaped refund id was kept: %+v", out)
	}
}
