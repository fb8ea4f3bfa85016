package antom

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestFixturesMap reads the seed's JSON examples and the contract's
// (testdata/) into the adapter's wire types and maps them, the way Pay,
// Inquire and Notification do.
func TestFixturesMap(t *testing.T) {
	for _, tc := range []struct {
		file    string
		kind    string // pay, inquiry, notification
		mode    checkout.CaptureMode
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		ref     string
		threeDS *checkout.ThreeDSResult
		card    *checkout.CardDetails
	}{
		{file: "seed_pay_response_success.json", kind: "pay", mode: checkout.CaptureAutomatic, status: checkout.OutcomeSucceeded,
			ref: "20211112194010800100188570271832381"},
		{file: "seed_pay_response_success.json", kind: "pay", mode: checkout.CaptureManual, status: checkout.OutcomeAuthorized,
			ref: "20211112194010800100188570271832381"},
		// The seed's notify sample spells the CAVV "caav" and has no
		// interaction mode: the flow is unknown, the value present.
		{file: "seed_notify_payment.json", kind: "notification", status: checkout.OutcomeAuthorized, ref: "2020010123456789XXXX",
			threeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "02", TransactionID: "sample_dsTranasctionId", AuthenticationValuePresent: true, Status: "Y"}},
		// The seed says its notify sample is also what inquiryPayment returns;
		// as an inquiry it lacks paymentStatus, so it is read as a notification only.
		{file: "contract_pay_in_process.json", kind: "pay", mode: checkout.CaptureAutomatic, status: checkout.OutcomeActionRequired,
			ref: "20260314123456789012345678901234567"},
		{file: "contract_pay_declined.json", kind: "pay", mode: checkout.CaptureAutomatic, status: checkout.OutcomeFailed,
			decline: checkout.DeclineInsufficientFunds, ref: "20260314123456789012345678901234567",
			threeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "8d1f2a4e-2b3c-4d5e-8f60-718293a4b5c6", AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "Y"},
			card:    &checkout.CardDetails{Brand: checkout.BrandVisa, BIN: "400000", Last4: "9995", ExpMonth: 12, ExpYear: 2029}},
		{file: "contract_pay_3ds_failed.json", kind: "pay", mode: checkout.CaptureAutomatic, status: checkout.OutcomeFailed,
			decline: checkout.DeclineAuthenticationFailed, ref: "20260314123456789012345678901234567",
			threeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "07", TransactionID: "8d1f2a4e-2b3c-4d5e-8f60-718293a4b5c6", Flow: checkout.FlowFrictionless, Status: "N"}},
		{file: "contract_pay_unavailable_mastercard.json", kind: "pay", mode: checkout.CaptureAutomatic, status: checkout.OutcomeSucceeded,
			ref:     "20260314123456789012345678901234567",
			threeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "00", TransactionID: "8d1f2a4e-2b3c-4d5e-8f60-718293a4b5c6", Status: "U"},
			card:    &checkout.CardDetails{Brand: checkout.BrandMastercard, BIN: "555555", Last4: "4444", ExpMonth: 12, ExpYear: 2029}},
		{file: "contract_inquiry_manual_captured.json", kind: "inquiry", mode: checkout.CaptureManual, status: checkout.OutcomeSucceeded,
			ref:     "20260314123456789012345678901234567",
			threeDS: &checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "8d1f2a4e-2b3c-4d5e-8f60-718293a4b5c6", AuthenticationValuePresent: true, Flow: checkout.FlowChallenge, Status: "Y"}},
	} {
		t.Run(tc.file+" "+string(tc.mode), func(t *testing.T) {
			raw := readTestdata(t, tc.file)
			var v paymentView
			switch tc.kind {
			case "pay":
				var r payResponse
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				v = paymentView{status: statusOfResult(r.Result), code: r.Result.ResultCode, paymentID: r.PaymentID, info: r.PaymentResultInfo}
				if r.Result.ResultCode == CodePaymentInProcess {
					v.normalURL = r.NormalURL
				}
			case "inquiry":
				var r inquiryResponse
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				v = inquiryView(&r)
			case "notification":
				var n notification
				if err := json.Unmarshal(raw, &n); err != nil {
					t.Fatal(err)
				}
				v = paymentView{status: statusOfResult(n.Result), code: n.Result.ResultCode, paymentID: n.PaymentID, info: n.PaymentResultInfo}
			}
			out := mapPayment(v, tc.mode)
			if out.Status != tc.status {
				t.Fatalf("status = %s, want %s", out.Status, tc.status)
			}
			if out.ProviderRef != tc.ref || out.ProviderData[keyPaymentID] != tc.ref {
				t.Errorf("ref = %q / %q, want %q", out.ProviderRef, out.ProviderData[keyPaymentID], tc.ref)
			}
			if tc.decline != "" && (out.Decline == nil || out.Decline.Code != tc.decline) {
				t.Errorf("decline = %+v, want %s", out.Decline, tc.decline)
			}
			if tc.status != checkout.OutcomeFailed && out.Decline != nil {
				t.Errorf("decline on a %s outcome: %+v", out.Status, out.Decline)
			}
			if tc.threeDS != nil && (out.ThreeDS == nil || *out.ThreeDS != *tc.threeDS) {
				t.Errorf("3DS = %+v, want %+v", out.ThreeDS, tc.threeDS)
			}
			if tc.card != nil && (out.Card == nil || *out.Card != *tc.card) {
				t.Errorf("card = %+v, want %+v", out.Card, tc.card)
			}
			if tc.status == checkout.OutcomeActionRequired && (out.Action == nil || out.Action.Kind != checkout.ActionRedirect ||
				!strings.HasPrefix(out.Action.URL, "https://sandbox.example.com/sandbox/antom/3ds/")) {
				t.Errorf("action = %+v", out.Action)
			}
		})
	}
}

// TestSeedRequestShape proves the pay body uses the seed's field names:
// every field the adapter sends is in the seed's pay request, except the
// few the seed leaves out (listed here, each from the SDK model).
func TestSeedRequestShape(t *testing.T) {
	var seed map[string]any
	if err := json.Unmarshal(readTestdata(t, "seed_pay_request.json"), &seed); err != nil {
		t.Fatal(err)
	}
	c := mustClient(t, testConfig("https://open-sea-global.alipay.com", 0))
	b, err := encode(c.payBody(testPayRequest(), testPaymentID))
	if err != nil {
		t.Fatal(err)
	}
	var ours map[string]any
	if err := json.Unmarshal(b, &ours); err != nil {
		t.Fatal(err)
	}
	notInSeed := map[string]bool{
		"paymentFactor.captureMode":                                   true, // [V SDK PaymentFactor] captureMode
		"paymentMethod.paymentMethodMetaData.cardholderName.fullName": true, // [V SDK UserName] fullName
	}
	seedPaths := paths("", seed)
	for _, p := range sortedKeys(paths("", ours)) {
		if !seedPaths[p] && !notInSeed[p] {
			t.Errorf("the adapter sends %s, which the seed's pay request does not have", p)
		}
	}
	// And the seed's values read back through our types.
	var r payRequest
	if err := json.Unmarshal(readTestdata(t, "seed_pay_request.json"), &r); err != nil {
		t.Fatal(err)
	}
	m := r.PaymentMethod.PaymentMethodMetaData
	if r.ProductCode != "CASHIER_PAYMENT" || r.PaymentAmount != (amount{Currency: "EUR", Value: "30000"}) || m.CardNo != "4117347806156383" ||
		m.ExpiryMonth != "12" || m.ExpiryYear != "29" || r.Env.BrowserInfo.UserAgent != "Chrome/100" || r.Env.ColorDepth != 48 ||
		r.Order.Goods[0].GoodsQuantity != "10" || !r.PaymentFactor.IsAuthorization {
		t.Errorf("seed request read as %+v", r)
	}
}

// paths lists the dotted paths of the leaves of a decoded JSON value
// (array elements share their array's path).
func paths(prefix string, v any) map[string]bool {
	out := map[string]bool{}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			for q := range paths(p, e) {
				out[q] = true
			}
		}
	case []any:
		for _, e := range x {
			for q := range paths(prefix, e) {
				out[q] = true
			}
		}
	default:
		out[prefix] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDeclineCodes(t *testing.T) {
	for code, want := range map[string]checkout.DeclineCode{
		"DO_NOT_HONOR":                         checkout.DeclineGeneric,
		"RISK_REJECT":                          checkout.DeclineGeneric,
		"SUSPECTED_CARD":                       checkout.DeclineGeneric,
		"USER_BALANCE_NOT_ENOUGH":              checkout.DeclineInsufficientFunds,
		"INSUFFICIENT_BALANCE":                 checkout.DeclineInsufficientFunds,
		"INVALID_EXPIRATION_DATE":              checkout.DeclineExpiredCard,
		"CARD_EXPIRED":                         checkout.DeclineExpiredCard,
		"INVALID_CVV":                          checkout.DeclineIncorrectCVC,
		"INVALID_CARD_NUMBER":                  checkout.DeclineIncorrectNumber,
		"THREE_D_SECURE_AUTHENTICATION_FAILED": checkout.DeclineAuthenticationFailed,
		"CARD_NOT_SUPPORTED":                   checkout.DeclineNotSupported,
		"PAYMENT_NOT_QUALIFY":                  checkout.DeclineNotSupported,
		"PARAM_ILLEGAL":                        checkout.DeclineProcessingError,
		"PROCESS_FAIL":                         checkout.DeclineProcessingError,
		"SOMETHING_NEW":                        checkout.DeclineGeneric,
		"":                                     checkout.DeclineGeneric,
		"card 4111111111111111":                checkout.DeclineGeneric,
	} {
		d := declineOf(code)
		if d.Code != want {
			t.Errorf("%q: %s, want %s", code, d.Code, want)
		}
		if d.Message != checkout.DeclineMessage(want) {
			t.Errorf("%q: message %q is not ours", code, d.Message)
		}
		if strings.Contains(strings.ToLower(d.Message), "fraud") || strings.Contains(strings.ToLower(d.Message), "risk") {
			t.Errorf("%q: the shopper is told %q", code, d.Message)
		}
		if strings.ContainsAny(d.ProviderCode, " 0123456789") && d.ProviderCode != "" {
			t.Errorf("%q: provider code %q kept", code, d.ProviderCode)
		}
	}
}

func TestMapPaymentStatuses(t *testing.T) {
	for _, tc := range []struct {
		status   string
		mode     checkout.CaptureMode
		captured bool
		want     checkout.OutcomeStatus
	}{
		{StatusSuccess, checkout.CaptureAutomatic, false, checkout.OutcomeSucceeded},
		{StatusSuccess, checkout.CaptureManual, false, checkout.OutcomeAuthorized},
		{StatusSuccess, checkout.CaptureManual, true, checkout.OutcomeSucceeded},
		{StatusSuccess, "", false, checkout.OutcomeAuthorized}, // a notification: never a capture
		{StatusSuccess, "", true, checkout.OutcomeSucceeded},
		{StatusFail, checkout.CaptureAutomatic, false, checkout.OutcomeFailed},
		{StatusCancelled, checkout.CaptureManual, false, checkout.OutcomeCanceled},
		{StatusProcessing, checkout.CaptureAutomatic, false, checkout.OutcomePending},
		{StatusPending, checkout.CaptureAutomatic, false, checkout.OutcomePending},
		{"", checkout.CaptureAutomatic, false, checkout.OutcomePending},
		{"REFUNDED", checkout.CaptureAutomatic, false, checkout.OutcomePending},
	} {
		out := mapPayment(paymentView{status: tc.status, code: "X", paymentID: testRef, captured: tc.captured}, tc.mode)
		if out.Status != tc.want {
			t.Errorf("%q %q captured=%v: %s, want %s", tc.status, tc.mode, tc.captured, out.Status, tc.want)
		}
	}
	// A PROCESSING payment is an action only with a plain http(s) normalUrl.
	for raw, action := range map[string]bool{
		"https://open-sea-global.alipay.com/3ds/x":  true,
		"http://127.0.0.1:8080/sandbox/antom/3ds/x": true,
		"javascript:alert(1)":                       false,
		"https://user:pw@example.com/x":             false,
		"/relative":                                 false,
		"":                                          false,
	} {
		out := mapPayment(paymentView{status: StatusProcessing, normalURL: raw}, checkout.CaptureAutomatic)
		if (out.Status == checkout.OutcomeActionRequired) != action {
			t.Errorf("normalUrl %q: %s", raw, out.Status)
		}
	}
}

func TestThreeDSResult(t *testing.T) {
	for name, tc := range map[string]struct {
		json string
		want *checkout.ThreeDSResult
	}{
		"cavv challenge": {`{"eci":"05","cavv":"AAAB","threeDSVersion":"2.2.0","threeDSInteractionMode":"CHALLENGE","dsTransactionId":"a-1"}`,
			&checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "a-1", AuthenticationValuePresent: true, Flow: checkout.FlowChallenge, Status: "Y"}},
		"caav frictionless": {`{"eci":"02","caav":"AAAB","threeDSInteractionMode":"FRICTIONLESS"}`,
			&checkout.ThreeDSResult{ECI: "02", AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "Y"}},
		"numeric one-digit eci": {`{"eci":7}`, &checkout.ThreeDSResult{ECI: "07", Status: "U"}},
		"attempted":             {`{"eci":"06","cavv":"x"}`, &checkout.ThreeDSResult{ECI: "06", AuthenticationValuePresent: true, Status: "A"}},
		"garbage dropped":       {`{"eci":"5x","threeDSVersion":"two","dsTransactionId":"4111111111111111"}`, nil},
		"empty":                 {`{}`, nil},
	} {
		var r threeDSResult
		if err := json.Unmarshal([]byte(tc.json), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := threeDSOf(&paymentResultInfo{ThreeDSResult: &r})
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("%s: %+v, want %+v", name, got, tc.want)
		}
	}
}

func TestCardOfNeverKeepsANumber(t *testing.T) {
	for name, tc := range map[string]struct {
		info paymentResultInfo
		want *checkout.CardDetails
	}{
		"full":                     {paymentResultInfo{CardBrand: "MASTERCARD", CardBin: "55555544", LastFour: "4444", ExpiryMonth: "1", ExpiryYear: "2031"}, &checkout.CardDetails{Brand: checkout.BrandMastercard, BIN: "555555", Last4: "4444", ExpMonth: 1, ExpYear: 2031}},
		"masked number only":       {paymentResultInfo{CardNo: "411734******6383"}, &checkout.CardDetails{Brand: checkout.BrandUnknown, Last4: "6383"}},
		"unmasked number ignored":  {paymentResultInfo{CardNo: testPAN}, nil},
		"a PAN as BIN is not kept": {paymentResultInfo{CardBin: testPAN, CardBrand: "VISA"}, &checkout.CardDetails{Brand: checkout.BrandVisa}},
		"nothing":                  {paymentResultInfo{Funding: "CREDIT"}, nil},
	} {
		got := cardOf(&tc.info)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("%s: %+v, want %+v", name, got, tc.want)
		}
	}
}

// TestMapRefund: every refund status maps to one outcome; what we do not
// know is never a success.
func TestMapRefund(t *testing.T) {
	const ref = "2026031400000000000000000000000002"
	for name, tc := range map[string]struct {
		status, code string
		want         checkout.RefundStatus
		providerCode string
		known        bool
	}{
		"success":          {status: RefundStatusSuccess, code: "SUCCESS", want: checkout.RefundSucceeded, known: true},
		"processing":       {status: RefundStatusProcessing, want: checkout.RefundPending, known: true},
		"fail with a code": {status: RefundStatusFail, code: "PROCESS_FAIL", want: checkout.RefundFailed, providerCode: "PROCESS_FAIL", known: true},
		"fail, no code":    {status: RefundStatusFail, want: checkout.RefundFailed, providerCode: "FAIL", known: true},
		"fail, odd code":   {status: RefundStatusFail, code: "4242424242424242", want: checkout.RefundFailed, providerCode: "FAIL", known: true},
		"fail, SUCCESS":    {status: RefundStatusFail, code: "SUCCESS", want: checkout.RefundFailed, providerCode: "FAIL", known: true},
		"pending":          {status: StatusPending},
		"cancelled":        {status: StatusCancelled},
		"lower case":       {status: "success"},
		"empty":            {status: ""},
		"new":              {status: "SOMETHING_NEW", code: "SUCCESS"},
	} {
		out, known := mapRefund(tc.status, tc.code, ref)
		if known != tc.known || out.Status != tc.want || out.ProviderCode != tc.providerCode || out.ProviderRef != ref {
			t.Errorf("%s: %+v known=%v, want %q %q known=%v", name, out, known, tc.want, tc.providerCode, tc.known)
		}
	}
	if out, _ := mapRefund(RefundStatusSuccess, "", "4242424242424242"); out.ProviderRef != "" {
		t.Errorf("a card-shaped refund id was kept: %+v", out)
	}
	for r, want := range map[result]string{
		{ResultStatus: "S", ResultCode: "SUCCESS"}:              RefundStatusSuccess,
		{ResultStatus: "F", ResultCode: "REFUND_AMOUNT_EXCEED"}: RefundStatusFail,
		{ResultStatus: "U", ResultCode: "REFUND_IN_PROCESS"}:    RefundStatusProcessing,
		{ResultStatus: "U", ResultCode: "UNKNOWN_EXCEPTION"}:    "",
		{ResultStatus: "X", ResultCode: "SUCCESS"}:              "",
	} {
		if got := refundStatusOfResult(r); got != want {
			t.Errorf("refundStatusOfResult(%+v) = %q, want %q", r, got, want)
		}
	}
}
