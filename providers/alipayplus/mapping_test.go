package alipayplus

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestSeedPayResponse maps the seed's example answer, copied verbatim into
// testdata: the order was accepted and the shopper goes to the cashier by
// an auto-submitting POST form.
func TestSeedPayResponse(t *testing.T) {
	f, c := newFake(t)
	f.on(PathPay, ok(string(readFixture(t, "seed_pay_response.json"))))
	out, err := c.Pay(t.Context(), testPayRequest())
	if err != nil {
		t.Fatal(err)
	}
	want := &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: "https://www.wallet.com/cashier?orderId=xxxxxxx",
		Fields: []checkout.FormField{{Name: "orderId", Value: "xxxxxxx"}}}
	if out.Status != checkout.OutcomeActionRequired || !reflect.DeepEqual(out.Action, want) {
		t.Fatalf("outcome %s %+v, want the cashier form %+v", out.Status, out.Action, want)
	}
	if out.ProviderRef != "4374784884773748478499xxxx" || out.ProviderData[keyPaymentID] != out.ProviderRef ||
		out.ProviderData[keyPaymentStatus] != "ACCEPTED" || out.ProviderData[keyResultCode] != "SUCCESS" {
		t.Errorf("ref %q, data %v", out.ProviderRef, out.ProviderData)
	}

	// The seed's redirectActionForm and result examples read the same way.
	var form redirectActionForm
	if err := json.Unmarshal(readFixture(t, "seed_redirect_action_form.json"), &form); err != nil {
		t.Fatal(err)
	}
	if a, err := actionOf(&form); err != nil || !reflect.DeepEqual(a, want) {
		t.Errorf("redirectActionForm example = %+v, %v", a, err)
	}
	var res Result
	if err := json.Unmarshal(readFixture(t, "seed_result_success.json"), &res); err != nil {
		t.Fatal(err)
	}
	if st, code, err := resultState(opPay, &res); err != nil || st != stateSucceeded || code != CodeSuccess {
		t.Errorf("result example = %v %q %v", st, code, err)
	}
}

// TestSeedRequestNames checks that every field the seed's examples use
// (the request example and the order example from the property table) is
// one the adapter sends, under the same name and nesting. goods is an
// object in the seed and an array in our request (WIRE.md); array indices
// are ignored.
func TestSeedRequestNames(t *testing.T) {
	c := mustClient(t, testConfig("https://openapi.wallet.test", 0))
	req := testPayRequest()
	body, err := c.payBody(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	var ours any
	_ = json.Unmarshal(b, &ours)
	have := map[string]bool{}
	for _, p := range jsonPaths(ours, "") {
		have[p] = true
	}
	var seedRequest, seedOrder any
	if err := json.Unmarshal(readFixture(t, "seed_pay_request.json"), &seedRequest); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(readFixture(t, "seed_order.json"), &seedOrder); err != nil {
		t.Fatal(err)
	}
	want := append(jsonPaths(seedRequest, ""), jsonPaths(seedOrder, "order")...)
	for _, p := range want {
		if !have[p] {
			t.Errorf("the seed's %s is not in our pay request", p)
		}
	}
	if len(want) != 22 {
		t.Errorf("%d seed paths, want 22; the fixtures did not parse as expected", len(want))
	}

	// The seed's request parses into the sandbox-side shape with goods as
	// an object: values round-trip.
	if got := field(seedRequest, "paymentAmount.value"); got != "2000" {
		t.Errorf("seed paymentAmount.value = %v", got)
	}
}

// jsonPaths lists the dotted paths of every leaf, skipping array indices.
func jsonPaths(v any, prefix string) []string {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, jsonPaths(e, join(k))...)
		}
		slices.Sort(out)
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, jsonPaths(e, prefix)...)
		}
		return out
	}
	return []string{prefix}
}

// TestSeedErrorCodes maps every result code of the seed's table
// (transcribed into testdata) as a pay answer: S codes accept the order, U
// is pending, and every F code has its own entry (never the generic
// fallback) with a decline code and a shopper message.
func TestSeedErrorCodes(t *testing.T) {
	var codes []Result
	if err := json.Unmarshal(readFixture(t, "seed_error_codes.json"), &codes); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		message string
	}{
		"SUCCESS":                     {status: checkout.OutcomeActionRequired},
		"REPEAT_REQUEST":              {status: checkout.OutcomeActionRequired},
		"UNKNOWN_EXCEPTION":           {status: checkout.OutcomePending},
		"PAYMENT_AMOUNT_EXCEED_LIMIT": {checkout.OutcomeFailed, checkout.DeclineLimitExceeded, msgLimit},
		"USER_BALANCE_NOT_ENOUGH":     {checkout.OutcomeFailed, checkout.DeclineInsufficientFunds, msgBalance},
		"USER_NOT_EXIST":              {checkout.OutcomeFailed, checkout.DeclineNotSupported, msgUserNotExist},
		"USER_STATUS_ABNORMAL":        {checkout.OutcomeFailed, checkout.DeclineNotSupported, msgUserAbnormal},
		"NO_INTERFACE_DEF":            {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["NO_INTERFACE_DEF"].message},
		"MSG_PARSE_ERROR":             {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["MSG_PARSE_ERROR"].message},
		"FUNCTION_NOT_MATCH":          {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["FUNCTION_NOT_MATCH"].message},
		"INVALID_CLIENT":              {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["INVALID_CLIENT"].message},
		"INVALID_SIGNATURE":           {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["INVALID_SIGNATURE"].message},
		"INVALID_CLIENT_STATUS":       {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["INVALID_CLIENT_STATUS"].message},
		"PARTNER_NOT_EXIST":           {checkout.OutcomeFailed, checkout.DeclineProcessingError, declines["PARTNER_NOT_EXIST"].message},
	}
	if len(codes) != len(want) {
		t.Fatalf("%d codes in the fixture, %d expected", len(codes), len(want))
	}
	form := &redirectActionForm{Method: "POST", RedirectionURL: "https://www.wallet.com/cashier?orderId=1"}
	for _, r := range codes {
		w, ok := want[r.ResultCode]
		if !ok {
			t.Errorf("no expectation for %s", r.ResultCode)
			continue
		}
		st, code, err := resultState(opPay, &r)
		if err != nil {
			t.Errorf("%s: %v", r.ResultCode, err)
			continue
		}
		rep := report{state: st, code: code, paymentID: "1"}
		if st == stateSucceeded {
			rep.state, rep.form = stateAccepted, form
		}
		out, err := mapReport(rep)
		if err != nil || out.Status != w.status {
			t.Errorf("%s: %s, %v; want %s", r.ResultCode, out.Status, err, w.status)
			continue
		}
		if w.status != checkout.OutcomeFailed {
			if out.Decline != nil {
				t.Errorf("%s: decline %+v", r.ResultCode, out.Decline)
			}
			continue
		}
		if _, listed := declines[r.ResultCode]; !listed {
			t.Errorf("%s falls back to the generic mapping", r.ResultCode)
		}
		if out.Decline == nil || out.Decline.Code != w.decline || out.Decline.ProviderCode != r.ResultCode || out.Decline.Message != w.message {
			t.Errorf("%s: decline %+v, want %s %q", r.ResultCode, out.Decline, w.decline, w.message)
		}
		if strings.Contains(out.Decline.Message, r.ResultMessage) {
			t.Errorf("%s: the message quotes the wallet", r.ResultCode)
		}
	}
}

// TestShopperMessages: every decline message is a sentence of ours that
// promises nothing was taken, and codes do not share a message with each
// other or with the generic fallback (only the family's generic protocol
// codes share the wallet-unavailable one).
func TestShopperMessages(t *testing.T) {
	seen := map[string]string{msgFailed: "fallback", msgCancelled: "cancelled"}
	config := map[string]bool{}
	for code, d := range declines {
		if !strings.HasSuffix(d.message, ".") || !strings.Contains(d.message, "No money was taken") {
			t.Errorf("%s: message %q", code, d.message)
		}
		if d.message == msgWalletUnavailable {
			config[code] = true
			continue
		}
		if other, dup := seen[d.message]; dup {
			t.Errorf("%s and %s share the message %q", code, other, d.message)
		}
		seen[d.message] = code
	}
	// The seed's configuration and protocol codes are final processing
	// errors, each with its own sentence.
	for _, code := range []string{"INVALID_SIGNATURE", "INVALID_CLIENT", "INVALID_CLIENT_STATUS", "PARTNER_NOT_EXIST", "FUNCTION_NOT_MATCH", "NO_INTERFACE_DEF", "MSG_PARSE_ERROR"} {
		if config[code] || declines[code].code != checkout.DeclineProcessingError {
			t.Errorf("%s is not a processing error with a message of its own", code)
		}
	}
}

// TestParameters covers the shapes of redirectActionForm.parameters.
func TestParameters(t *testing.T) {
	for raw, want := range map[string][]checkout.FormField{
		``:                        nil,
		`null`:                    nil,
		`""`:                      nil,
		`{}`:                      nil,
		`{"a":"1","b":"2"}`:       {{Name: "a", Value: "1"}, {Name: "b", Value: "2"}},
		`"{\"b\":\"2\",\"a\":1}"`: {{Name: "b", Value: "2"}, {Name: "a", Value: "1"}},
	} {
		got, err := parameters(json.RawMessage(raw))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parameters(%s) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{`1`, `"x"`, `{"a":[1]}`, `{"":"x"}`, `{"a":"1"`, `"{\"a\":{}}"`} {
		if _, err := parameters(json.RawMessage(raw)); err == nil {
			t.Errorf("parameters(%s) accepted", raw)
		}
	}
	many := "{"
	for i := range maxParameters + 1 {
		if i > 0 {
			many += ","
		}
		many += `"k` + strings.Repeat("x", i) + `":"v"`
	}
	if _, err := parameters(json.RawMessage(many + "}")); err == nil {
		t.Error("more than maxParameters accepted")
	}
	if got := queryPairs("a=1&&b=%20x&=bad&c"); !reflect.DeepEqual(got, []checkout.FormField{{Name: "a", Value: "1"}, {Name: "b", Value: " x"}, {Name: "c", Value: ""}}) {
		t.Errorf("queryPairs = %+v", got)
	}
}

// TestMapReportNeverSucceedsByDefault: only SUCCESS maps to succeeded.
func TestMapReportNeverSucceedsByDefault(t *testing.T) {
	for _, st := range []state{stateUnknown, stateAccepted, stateFailed, stateCancelled} {
		out, err := mapReport(report{state: st, code: "SUCCESS"})
		if err != nil || out.Status == checkout.OutcomeSucceeded {
			t.Errorf("state %d mapped to %s, %v", st, out.Status, err)
		}
	}
}

// Every error code of the seed has a shopper message of its own.
func TestSeedErrorCodesHaveDistinctMessages(t *testing.T) {
	seen := map[string]string{}
	for _, code := range []string{"NO_INTERFACE_DEF", "MSG_PARSE_ERROR", "FUNCTION_NOT_MATCH", "INVALID_CLIENT", "INVALID_SIGNATURE",
		"INVALID_CLIENT_STATUS", "PAYMENT_AMOUNT_EXCEED_LIMIT", "USER_NOT_EXIST", "USER_STATUS_ABNORMAL",
		"USER_BALANCE_NOT_ENOUGH", "PARTNER_NOT_EXIST"} {
		d, ok := declines[code]
		if !ok {
			t.Errorf("%s has no mapping", code)
			continue
		}
		if other, dup := seen[d.message]; dup {
			t.Errorf("%s and %s share the message %q", code, other, d.message)
		}
		seen[d.message] = code
	}
}
