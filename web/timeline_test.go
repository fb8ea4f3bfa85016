package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/web"
)

// timelineRead is a session's whole timeline read over the API, page by
// page, with the raw bodies of the answers.
type timelineRead struct {
	entries []map[string]any
	bodies  string
}

func readTimeline(t *testing.T, app *web.App, sid string, limit int) timelineRead {
	t.Helper()
	var out timelineRead
	after := ""
	for range 100 {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if after != "" {
			q.Set("starting_after", after)
		}
		res := api(t, app, http.MethodGet, "/v1/checkout/sessions/"+sid+"/timeline?"+q.Encode(), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("timeline of %s: %d %s", sid, res.Status, res.Body)
		}
		out.bodies += string(res.Body) + "\n"
		var page struct {
			Object  string           `json:"object"`
			Data    []map[string]any `json:"data"`
			HasMore bool             `json:"has_more"`
			URL     string           `json:"url"`
		}
		if err := json.Unmarshal(res.Body, &page); err != nil {
			t.Fatal(err)
		}
		if page.Object != "list" || page.URL != "/v1/checkout/sessions/"+sid+"/timeline" || page.Data == nil {
			t.Fatalf("timeline page: %s", res.Body)
		}
		out.entries = append(out.entries, page.Data...)
		if !page.HasMore {
			return out
		}
		if len(page.Data) == 0 {
			t.Fatalf("has_more with an empty page: %s", res.Body)
		}
		after = page.Data[len(page.Data)-1]["id"].(string)
	}
	t.Fatal("the timeline never ends")
	return out
}

func (r timelineRead) kinds() []string {
	var out []string
	for _, e := range r.entries {
		out = append(out, fmt.Sprint(e["kind"]))
	}
	return out
}

// expectInOrder fails unless the entries hold each step of want, in
// order (others may come between). A step is a kind, optionally with
// key=value pairs the entry must carry ("provider.call operation=pay").
func (r timelineRead) expectInOrder(t *testing.T, want ...string) {
	t.Helper()
	i := 0
	for _, e := range r.entries {
		if i == len(want) {
			break
		}
		fields := strings.Fields(want[i])
		ok := fmt.Sprint(e["kind"]) == fields[0]
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			ok = ok && fmt.Sprint(e[k]) == v
		}
		if ok {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("timeline lacks %q (after %q) in order; kinds: %v", want[i], want[:i], r.kinds())
	}
}

func (r timelineRead) count(kind string) int {
	n := 0
	for _, e := range r.entries {
		if e["kind"] == kind {
			n++
		}
	}
	return n
}

// reportStep posts a step as the action page's script does.
func reportStep(t *testing.T, app *web.App, sid, pid, step string) response {
	t.Helper()
	return postPage(t, app, app.URL+"/c/"+sid+"/payments/"+pid+"/steps", url.Values{"step": {step}})
}

func TestTimelineAPI(t *testing.T) {
	app := MustApp(t, nil)
	sid := mustCreateSession(t, app, validSession())["id"].(string)
	tl := readTimeline(t, app, sid, 100)
	if kinds := tl.kinds(); !slices.Equal(kinds, []string{"session.created"}) {
		t.Fatalf("a new session's timeline: %v", kinds)
	}
	created := tl.entries[0]
	if created["object"] != "timeline_event" || created["payment"] != nil || created["amount"] != float64(2500) ||
		created["currency"] != "USD" || created["provider"] != "payorder" || !strings.HasPrefix(fmt.Sprint(created["id"]), "evt_") {
		t.Fatalf("session.created: %v", created)
	}
	if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(created["at"])); err != nil || !strings.HasSuffix(fmt.Sprint(created["at"]), "Z") ||
		len(fmt.Sprint(created["at"])) != len("2006-01-02T15:04:05.000Z") || time.Since(at) > time.Minute {
		t.Fatalf("at %v: want RFC 3339 UTC with milliseconds", created["at"])
	}

	// The first view of the page is recorded once, however often it is shown.
	for range 3 {
		if res := do(t, http.MethodGet, app.URL+"/c/"+sid, nil); res.Status != http.StatusOK {
			t.Fatalf("checkout page: %d", res.Status)
		}
	}
	if got := readTimeline(t, app, sid, 100); got.count("page.viewed") != 1 {
		t.Fatalf("3 views: kinds %v, want one page.viewed", got.kinds())
	}
	if s, _ := app.Store.Session(context.Background(), sid); s.ViewedAt.IsZero() {
		t.Fatal("the session shows no view")
	}

	// The merchant's own sessions only, and only the parameters it knows.
	other := "sk_test_other_timeline_0000000"
	if err := app.Store.SaveMerchant(context.Background(), &checkout.Merchant{ID: "mer_timeline_other", Name: "Other",
		APIKeyHash: checkout.HashAPIKey(other), DefaultProvider: "payorder", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if res := do(t, http.MethodGet, app.URL+"/v1/checkout/sessions/"+sid+"/timeline", nil, "Authorization", "Bearer "+other); res.Status != http.StatusNotFound {
		t.Fatalf("another merchant's timeline: %d %s", res.Status, res.Body)
	}
	if res := do(t, http.MethodGet, app.URL+"/v1/checkout/sessions/"+sid+"/timeline", nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("without a key: %d", res.Status)
	}
	unknownEvent := checkout.RandomIDs{}.NewID(checkout.PrefixEvent)
	for _, tc := range []struct {
		path   string
		status int
		param  string
	}{
		{"/v1/checkout/sessions/cs_nope/timeline", 404, ""},
		{"/v1/checkout/sessions/" + checkout.RandomIDs{}.NewID(checkout.PrefixSession) + "/timeline", 404, ""},
		{"/v1/checkout/sessions/" + sid + "/timeline?colour=blue", 422, "colour"},
		{"/v1/checkout/sessions/" + sid + "/timeline?limit=0", 422, "limit"},
		{"/v1/checkout/sessions/" + sid + "/timeline?limit=101", 422, "limit"},
		{"/v1/checkout/sessions/" + sid + "/timeline?limit=ten", 422, "limit"},
		{"/v1/checkout/sessions/" + sid + "/timeline?limit=1&limit=2", 422, "limit"},
		{"/v1/checkout/sessions/" + sid + "/timeline?starting_after=nope", 422, "starting_after"},
		{"/v1/checkout/sessions/" + sid + "/timeline?starting_after=" + unknownEvent, 422, "starting_after"},
	} {
		res := api(t, app, http.MethodGet, tc.path, nil)
		e, _ := res.JSON(t)["error"].(map[string]any)
		if res.Status != tc.status || e == nil || fmt.Sprint(e["param"]) != fmt.Sprint(map[bool]any{true: tc.param, false: nil}[tc.param != ""]) {
			t.Errorf("GET %s: %d %s; want %d naming %q", tc.path, res.Status, res.Body, tc.status, tc.param)
		}
	}

	// The page's steps: bound to the session by its form token, to the
	// payment's current action, and recorded once per payment.
	a := payAndGetAction(t, app, sid, url.Values{"card_number": {testcards.Visa}})
	pid := onlyPayment(t, app, sid).ID
	if a.Kind != checkout.ActionDeviceDataCollection {
		t.Fatalf("action %s", a.Kind)
	}
	stepURL := app.URL + "/c/" + sid + "/payments/" + pid + "/steps"
	if res := do(t, http.MethodPost, stepURL, []byte("step=device_data.started"), "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusForbidden {
		t.Fatalf("a step without the form token: %d", res.Status)
	}
	otherSid := mustCreateSession(t, app, validSession())["id"].(string)
	forged := shopperForm(t, app, otherSid, url.Values{"step": {"device_data.started"}})
	if res := do(t, http.MethodPost, stepURL, forged, "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusForbidden {
		t.Fatalf("a step with another session's token: %d", res.Status)
	}
	if res := reportStep(t, app, otherSid, pid, "device_data.started"); res.Status != http.StatusNotFound {
		t.Fatalf("a step of another session's payment: %d %s", res.Status, res.Body)
	}
	if res := reportStep(t, app, sid, pid, "payment.succeeded"); res.Status != 422 {
		t.Fatalf("an unknown step: %d %s", res.Status, res.Body)
	}
	if res := reportStep(t, app, sid, pid, "challenge.shown"); res.Status != http.StatusConflict {
		t.Fatalf("a step of another action: %d %s", res.Status, res.Body)
	}
	for range 5 {
		if res := reportStep(t, app, sid, pid, "device_data.started"); res.Status != http.StatusNoContent {
			t.Fatalf("device_data.started: %d %s", res.Status, res.Body)
		}
	}
	tl = readTimeline(t, app, sid, 100)
	if n := tl.count("device_data.started"); n != 1 {
		t.Fatalf("5 reports: %d device_data.started, want 1", n)
	}
	tl.expectInOrder(t, "session.created", "page.viewed", "payment.submitted payment="+pid+" method=card",
		"provider.call operation=pay next_action=device_data_collection", "device_data.started payment="+pid)

	// Pages of one event each come back whole and in order.
	paged := readTimeline(t, app, sid, 1)
	if !slices.Equal(paged.kinds(), tl.kinds()) {
		t.Fatalf("one at a time: %v, want %v", paged.kinds(), tl.kinds())
	}
}

// TestTimelineShowsEveryProviderAndLeaksNothing runs real payments through
// every provider's sandbox (payOrder's device data collection and
// challenge, a device data timeout, Worldline's 3-D Secure redirect and a
// refund, Antom, the Alipay+ wallet, a BBMSL saved card) with a webhook
// endpoint receiving the merchant's webhooks, then reads each session's
// timeline over the API. The kinds come in the order they happened (a
// challenge flow, a redirect flow), and no answer holds a card number (in
// any grouping), the security code, the merchant's secret key, a webhook
// secret, any credential of the sandbox configuration, or any part of a
// provider's own messages (wire fields, JWTs, MACs).
func TestTimelineShowsEveryProviderAndLeaksNothing(t *testing.T) {
	app := MustApp(t, nil)
	rcv := withEndpoint(t, app)
	var secrets []string // values seen during the flows that must not show
	session := func(body map[string]any) string {
		sid := mustCreateSession(t, app, body)["id"].(string)
		if res := do(t, http.MethodGet, app.URL+"/c/"+sid, nil); res.Status != http.StatusOK {
			t.Fatalf("checkout page: %d", res.Status)
		}
		return sid
	}
	withProvider := func(provider, currency string) map[string]any {
		s := validSession()
		s["provider"], s["currency"] = provider, currency
		return s
	}
	// deviceData plays payOrder's collector and posts its answer back (or
	// says it timed out, as the page does after 10 s).
	deviceData := func(sid string, timeout bool) *checkout.Payment {
		p := onlyPayment(t, app, sid)
		if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.Kind != checkout.ActionDeviceDataCollection {
			t.Fatalf("before device data: %s %+v", p.Status, p.Action)
		}
		secrets = append(secrets, p.Action.JWT)
		if res := reportStep(t, app, sid, p.ID, "device_data.started"); res.Status != http.StatusNoContent {
			t.Fatalf("device_data.started: %d %s", res.Status, res.Body)
		}
		form := url.Values{"SessionId": {""}, "ddc_timed_out": {"true"}}
		if !timeout {
			var msg struct {
				SessionID string `json:"SessionId"`
			}
			page := doc(t, postPage(t, app, p.Action.URL, url.Values{"Bin": {p.Action.BIN}, "JWT": {p.Action.JWT}}))
			if err := json.Unmarshal([]byte(page.Find("#profile-message").Text()), &msg); err != nil || msg.SessionID == "" {
				t.Fatalf("device data collection: %+v %v", msg, err)
			}
			form = url.Values{"SessionId": {msg.SessionID}, "ddc_timed_out": {"false"}}
		}
		if res := postPage(t, app, app.URL+"/c/"+sid+"/payments/"+p.ID+"/device-data", form); res.Status != http.StatusSeeOther {
			t.Fatalf("device data: %d %s", res.Status, res.Body)
		}
		return onlyPayment(t, app, sid)
	}
	// final waits a little for the payment's final status: the browser's
	// continuation and a notification's or the reconciler's inquiry race to
	// settle it, and the one that loses the claim returns at once, before
	// the other has written the outcome.
	final := func(sid string, want checkout.PaymentStatus) string {
		p := onlyPayment(t, app, sid)
		for deadline := time.Now().Add(10 * time.Second); p.Status != want && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			p = onlyPayment(t, app, sid)
		}
		if p.Status != want {
			t.Fatalf("payment %s of %s is %s, want %s", p.ID, sid, p.Status, want)
		}
		return p.ID
	}
	sessions := map[string]string{} // flow -> session

	// payOrder, frictionless after device data collection.
	sid := session(withProvider("payorder", "USD"))
	payCard(t, app, sid, testcards.Visa)
	deviceData(sid, false)
	final(sid, checkout.PaymentSucceeded)
	sessions["payorder frictionless"] = sid

	// payOrder, device data collection timed out (the issuer still
	// approves without it).
	sid = session(withProvider("payorder", "USD"))
	payCard(t, app, sid, testcards.Visa)
	deviceData(sid, true)
	final(sid, checkout.PaymentSucceeded)
	sessions["payorder timeout"] = sid

	// payOrder, a challenge in our iframe.
	sid = session(withProvider("payorder", "USD"))
	payCard(t, app, sid, testcards.Challenge)
	p := deviceData(sid, false)
	if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.Kind != checkout.ActionChallenge {
		t.Fatalf("after device data: %s %+v", p.Status, p.Action)
	}
	secrets = append(secrets, p.Action.JWT, p.Action.MD)
	if res := reportStep(t, app, sid, p.ID, "challenge.shown"); res.Status != http.StatusNoContent {
		t.Fatalf("challenge.shown: %d %s", res.Status, res.Body)
	}
	acs := doc(t, postPage(t, app, p.Action.URL, url.Values{"JWT": {p.Action.JWT}, "MD": {p.Action.MD}})).Find("form")
	fields := formFields(acs)
	fields.Set("challengeDataEntry", testcards.ChallengeCode)
	back := doc(t, postPage(t, app, acs.AttrOr("action", ""), fields)).Find("form#return")
	for _, v := range formFields(back) {
		secrets = append(secrets, v...)
	}
	if res := postPage(t, app, back.AttrOr("action", ""), formFields(back)); res.Status != http.StatusOK {
		t.Fatalf("challenge return: %d %s", res.Status, res.Body)
	}
	challengePayment := final(sid, checkout.PaymentSucceeded)
	sessions["payorder challenge"] = sid

	// Worldline, a 3-D Secure challenge behind a top-level redirect.
	sid = session(withProvider("worldline", "EUR"))
	payCard(t, app, sid, testcards.Challenge)
	p = onlyPayment(t, app, sid)
	if p.Status != checkout.PaymentRequiresAction || p.Action == nil || p.Action.Kind != checkout.ActionRedirect {
		t.Fatalf("worldline challenge: %s %+v", p.Status, p.Action)
	}
	if res := reportStep(t, app, sid, p.ID, "redirect.left"); res.Status != http.StatusNoContent {
		t.Fatalf("redirect.left: %d %s", res.Status, res.Body)
	}
	acsPage := do(t, http.MethodGet, p.Action.URL, nil)
	acsForm := doc(t, acsPage).Find("form")
	answer := formFields(acsForm)
	answer.Set("otp", testcards.ChallengeCode)
	answer.Set("action", "submit")
	for _, v := range answer {
		secrets = append(secrets, v...)
	}
	res := do(t, http.MethodPost, acsForm.AttrOr("action", ""), []byte(answer.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("worldline ACS: %d %s", res.Status, res.Body)
	}
	if back, _ := url.Parse(res.Header.Get("Location")); back != nil {
		secrets = append(secrets, back.Query().Get("RETURNMAC"))
	}
	if res := do(t, http.MethodGet, res.Header.Get("Location"), nil); res.Status != http.StatusSeeOther {
		t.Fatalf("return from the ACS: %d %s", res.Status, res.Body)
	}
	redirectPayment := final(sid, checkout.PaymentSucceeded)
	sessions["worldline redirect"] = sid

	// Worldline, frictionless, then a partial refund.
	sid = session(withProvider("worldline", "EUR"))
	pid := payCard(t, app, sid, testcards.Visa)
	final(sid, checkout.PaymentSucceeded)
	if res := api(t, app, http.MethodPost, "/v1/payments/"+pid+"/refunds", `{"amount":1000}`); res.Status != http.StatusCreated {
		t.Fatalf("refund: %d %s", res.Status, res.Body)
	}
	sessions["worldline refund"] = sid

	// Worldline answering garbage to the payment: unknown, then settled
	// by the reconciler's inquiry.
	sid = session(withProvider("worldline", "EUR"))
	if res := do(t, http.MethodPost, app.SandboxURL+"/sandbox/worldline/_faults", []byte(`{"fault":"malformed","count":1,"operation":"create"}`),
		"Content-Type", "application/json"); res.Status != http.StatusNoContent {
		t.Fatalf("arming: %d %s", res.Status, res.Body)
	}
	if got := waitFinal(t, app, payCard(t, app, sid, testcards.Visa)); got.Status != checkout.PaymentSucceeded {
		t.Fatalf("after the garbled answer: %s", got.Status)
	}
	sessions["worldline unknown outcome"] = sid

	// Antom, frictionless.
	sid = session(withProvider("antom", "USD"))
	payCard(t, app, sid, testcards.Visa)
	final(sid, checkout.PaymentSucceeded)
	sessions["antom"] = sid

	// The Alipay+ wallet: its cashier, approved.
	wallet := validSession()
	wallet["payment_methods"] = []string{"wallet"}
	sid = session(wallet)
	if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", url.Values{"payment_method": {"wallet"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("wallet pay: %d %s", res.Status, res.Body)
	}
	p = onlyPayment(t, app, sid)
	if res := reportStep(t, app, sid, p.ID, "redirect.left"); res.Status != http.StatusNoContent {
		t.Fatalf("wallet redirect.left: %d %s", res.Status, res.Body)
	}
	approveAtCashier(t, app, sid, p.ID, "ok")
	final(sid, checkout.PaymentSucceeded)
	sessions["alipayplus wallet"] = sid

	// BBMSL: a card saved on its page, then charged.
	saved := validSession()
	saved["payment_methods"] = []string{"saved_card"}
	saved["customer"] = map[string]any{"reference": "timeline-shopper", "email": "ada@example.test"}
	sid = session(saved)
	card := saveCard(t, app, sid)
	if res := postPage(t, app, app.URL+"/c/"+sid+"/pay", url.Values{"payment_method": {"saved_card"}, "saved_card": {card}}); res.Status != http.StatusSeeOther {
		t.Fatalf("saved-card pay: %d %s", res.Status, res.Body)
	}
	final(sid, checkout.PaymentSucceeded)
	sessions["bbmsl saved card"] = sid

	// Every webhook delivered, and on its session's timeline with its attempt.
	reads := map[string]timelineRead{}
	eventually(t, "every webhook delivered and on the timelines", func() bool {
		for flow, sid := range sessions {
			reads[flow] = readTimeline(t, app, sid, 5)
			if reads[flow].count("webhook.sent") == 0 {
				return false
			}
			for _, e := range reads[flow].entries {
				if e["kind"] == "webhook.sent" && (e["status"] != checkout.DeliverySucceeded || len(e["attempts"].([]any)) == 0) {
					return false
				}
			}
		}
		return true
	})
	rcv.mu.Lock()
	received, bad := len(rcv.events), rcv.bad
	rcv.mu.Unlock()
	if received == 0 || bad != 0 {
		t.Fatalf("the merchant's endpoint verified %d webhooks and refused %d", received, bad)
	}

	// Nothing secret in any answer.
	var all strings.Builder
	for _, sid := range sessions {
		all.WriteString(readTimeline(t, app, sid, 100).bodies)
		all.WriteString(readTimeline(t, app, sid, 3).bodies)
	}
	body := all.String()
	for _, pan := range []string{testcards.Visa, testcards.Challenge} {
		grouped := regexp.MustCompile(strings.Join(strings.Split(pan, ""), `[\s\-./]*`))
		if loc := grouped.FindStringIndex(body); loc != nil {
			t.Errorf("a card number on the timeline: %q", body[max(0, loc[0]-40):min(len(body), loc[1]+40)])
		}
		if strings.Contains(body, pan[:6]) {
			t.Errorf("the BIN of %s on the timeline", pan[:6])
		}
	}
	if regexp.MustCompile(`"737"|(?i)\bcv[cv2]\b|\bcsc\b|security.?code`).MatchString(body) {
		t.Error("the security code, or a field for it, on the timeline")
	}
	for _, s := range []string{testKey, "sk_test_", "sk_live_", "whsec_", app.DemoAPIKey} {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("a secret key on the timeline: %q", s)
		}
	}
	if len(app.SandboxVars) < 5 {
		t.Fatalf("sandbox variables of %d providers, want every provider's", len(app.SandboxVars))
	}
	for provider, vars := range app.SandboxVars {
		for name, v := range vars {
			if strings.HasSuffix(name, "_URL") || strings.HasSuffix(name, "_NAME") || v == "" {
				continue
			}
			for _, part := range secretParts(v) {
				if strings.Contains(body, part) {
					t.Errorf("%s's %s on the timeline", provider, name)
				}
			}
		}
	}
	for _, v := range secrets {
		if len(v) >= 8 && strings.Contains(body, v) {
			t.Errorf("a provider message value on the timeline: %.20q", v)
		}
	}
	for _, wire := range []string{"bizContent", "merchantAction", "RETURNMAC", "returnMAC", "paymentOutput", "resultStatus",
		"resultCode", "redirectActionForm", "paymentRequestId", "challengeDataEntry", "SessionId", "eyJ", "BEGIN ", "<html",
		"http://", "https://", "Authorization", "signature"} {
		if strings.Contains(body, wire) {
			t.Errorf("provider wire text %q on the timeline", wire)
		}
	}

	// The order of a challenge in our iframe and of a redirect.
	reads["payorder challenge"].expectInOrder(t,
		"session.created", "page.viewed",
		"payment.submitted payment="+challengePayment+" method=card provider=payorder",
		"provider.call operation=pay next_action=device_data_collection",
		"payment.status_changed to=requires_action",
		"device_data.started", "device_data.completed", "payment.status_changed to=processing",
		"provider.call operation=continue next_action=challenge",
		"challenge.shown", "challenge.returned",
		"provider.call operation=continue outcome=succeeded",
		"payment.status_changed to=succeeded", "webhook.sent event_type=payment.succeeded status=succeeded",
		"session.completed payment_status=succeeded", "webhook.sent event_type=checkout.session.completed status=succeeded")
	reads["worldline redirect"].expectInOrder(t,
		"session.created", "page.viewed",
		"payment.submitted payment="+redirectPayment+" provider=worldline",
		"provider.call operation=pay next_action=redirect",
		"redirect.left", "redirect.returned")
	// The return's call and a notification's inquiry may race to settle
	// it: the return's continue call or the inquiry settles it (when the
	// inquiry wins, the return is recorded late and makes no call), and
	// whichever wins, the payment succeeds after the shopper left.
	settledBy := ""
	for _, e := range reads["worldline redirect"].entries {
		switch {
		case e["kind"] == "provider.call" && e["operation"] == "continue":
			settledBy += " the return's continue call"
		case e["kind"] == "reconciliation.inquiry" && e["settled"] == "succeeded":
			settledBy += " an inquiry"
		}
	}
	if settledBy == "" {
		t.Error("worldline redirect: neither the return's continue call nor an inquiry settled the payment")
	}
	reads["worldline redirect"].expectInOrder(t, "redirect.left", "payment.status_changed to=succeeded",
		"session.completed", "webhook.sent event_type=checkout.session.completed")
	reads["worldline unknown outcome"].expectInOrder(t, "provider.call operation=pay outcome=<nil> error=malformed_answer",
		"payment.status_changed to=pending", "reconciliation.inquiry operation=inquire settled=succeeded",
		"payment.status_changed to=succeeded")
	for _, e := range reads["worldline unknown outcome"].entries {
		if e["kind"] == "payment.status_changed" && e["to"] == "pending" && e["reason"] != "outcome unknown: malformed_answer" {
			t.Errorf("the unknown outcome's reason: %q", e["reason"])
		}
	}
	reads["payorder timeout"].expectInOrder(t, "device_data.started", "device_data.timed_out", "provider.call operation=continue")
	// The refund call's answer and a notification's inquiry may race to
	// settle the refund, as above.
	reads["worldline refund"].expectInOrder(t, "session.completed", "refund.created amount=1000 currency=EUR",
		"refund.updated status=succeeded", "webhook.sent event_type=refund.succeeded")
	reads["worldline refund"].expectInOrder(t, "refund.created", "provider.call operation=refund")
	reads["alipayplus wallet"].expectInOrder(t, "payment.submitted method=wallet card=<nil>", "provider.call operation=pay",
		"redirect.left", "session.completed")
	reads["bbmsl saved card"].expectInOrder(t, "saved_card.add_started", "payment.submitted method=saved_card", "session.completed")
	for flow, r := range reads {
		for _, e := range r.entries {
			if !slices.Contains(checkout.TimelineKinds, checkout.TimelineKind(fmt.Sprint(e["kind"]))) || e["object"] != "timeline_event" {
				t.Errorf("%s: entry %v", flow, e)
			}
			if e["kind"] == "payment.submitted" && e["method"] != "wallet" {
				if c, _ := e["card"].(map[string]any); len(c) != 2 || len(fmt.Sprint(c["last4"])) != 4 {
					t.Errorf("%s: the card shows %v, want its brand and last 4 only", flow, e["card"])
				}
			}
		}
		if r.count("provider.call")+r.count("reconciliation.inquiry") == 0 {
			t.Errorf("%s: no provider call on the timeline: %v", flow, r.kinds())
		}
	}
	for _, flow := range []string{"worldline redirect", "antom", "alipayplus wallet"} {
		eventually(t, "a notification on the "+flow+" timeline", func() bool {
			return readTimeline(t, app, sessions[flow], 100).count("notification.received") > 0
		})
	}

}

// secretParts are the value and, for a long one (a key), pieces of it, so
// that a key shown in part is found too.
func secretParts(v string) []string {
	v = strings.TrimSpace(v)
	out := []string{v}
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 24 && !strings.HasPrefix(line, "-----") {
			out = append(out, line[:24], line[len(line)-24:])
		}
	}
	return out
}
