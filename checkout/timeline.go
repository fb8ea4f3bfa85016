package checkout

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A session's timeline is its events (event.go), in the order written,
// read back as the merchant's typed TimelineEvent objects (objects.go),
// with the merchant webhooks each event queued (webhook.sent) after it.
// The events are written where things happen: the service's own steps
// (session, payment, provider calls, notifications, refunds) in the same
// transaction as the change they record, and the steps the shopper's page
// reports (page.viewed, device_data.started, challenge.shown,
// redirect.left), each at most once per session or payment by a guard of
// the statement that writes it. Nothing on a timeline carries a card number,
// a security code, a key or a provider's own answer: provider failures are
// recorded as a class (ProviderErrorClass), not their text.

// TimelineRecords is what a store reads for one page of a session's
// timeline.
type TimelineRecords struct {
	Events []Event
	// Deliveries are the merchant webhooks Events queued (one per
	// endpoint), in the order of their events, then by endpoint; without
	// their payloads.
	Deliveries []*WebhookDelivery
	// Attempts are the Deliveries' attempts, by delivery, then number.
	Attempts []WebhookAttempt
	// More says whether events follow this page.
	More bool
}

// Timeline page sizes: a page holds up to limit recorded events (each
// followed by the webhooks it queued).
const (
	DefaultTimelineLimit = 100
	MaxTimelineLimit     = 100
)

// TimelineParams asks for one page of a session's timeline: Limit events
// (DefaultTimelineLimit when 0) after the entry StartingAfter (the id of
// the last entry of the previous page), from the start when empty.
type TimelineParams struct {
	Limit         int
	StartingAfter string
}

// Timeline returns a page of the merchant's session's timeline. Another
// merchant's session is not found, as for Session; reading it never writes.
func (s *Service) Timeline(ctx context.Context, merchantID, sessionID string, in TimelineParams) (*TimelinePage, error) {
	if in.Limit == 0 {
		in.Limit = DefaultTimelineLimit
	}
	if in.Limit < 1 || in.Limit > MaxTimelineLimit {
		return nil, InvalidParam("limit", "limit must be an integer from 1 to %d", MaxTimelineLimit)
	}
	if in.StartingAfter != "" && !ValidID(PrefixEvent, in.StartingAfter) && !ValidID(PrefixWebhookDelivery, in.StartingAfter) {
		return nil, InvalidParam("starting_after", "starting_after must be the id of an entry of this timeline (evt_ or whd_)")
	}
	if !ValidID(PrefixSession, sessionID) {
		return nil, Errorf(ENotFound, "No such checkout session.")
	}
	sess, err := s.Store.Session(ctx, sessionID)
	if errors.Is(err, ErrNotFound) || (err == nil && sess.MerchantID != merchantID) {
		return nil, Errorf(ENotFound, "No such checkout session.")
	}
	if err != nil {
		return nil, Internal(err)
	}
	recs, err := s.Store.SessionTimeline(ctx, sessionID, in.StartingAfter, in.Limit)
	if errors.Is(err, ErrNotFound) {
		return nil, InvalidParam("starting_after", "starting_after is not an entry of this session's timeline")
	}
	if err != nil {
		return nil, Internal(err)
	}
	data := BuildTimeline(recs)
	for i := range data {
		data[i].Livemode = sess.Livemode
	}
	return &TimelinePage{Object: "list", Data: data, HasMore: recs.More,
		URL: "/v1/checkout/sessions/" + sessionID + "/timeline"}, nil
}

// RecordPageView puts page.viewed on the timeline of sess, whose checkout
// page is being shown: only the first view writes (a guarded first-time
// write; a session that shows a view writes nothing at all). A failure is
// logged, never shown: the page works without it.
func (s *Service) RecordPageView(ctx context.Context, sess *Session) {
	if !sess.ViewedAt.IsZero() {
		return
	}
	at := s.now()
	ev := s.event(sess.ID, "", EventPageViewed, nil)
	ev.MerchantID = sess.MerchantID
	err := s.Store.MarkSessionViewed(ctx, sess.ID, at, ev)
	if err != nil && !errors.Is(err, ErrConflict) {
		s.Log.WarnContext(ctx, "page view not recorded", "session_id", sess.ID, "err", err)
	}
	if err == nil {
		sess.ViewedAt = at
	}
}

// browserSteps are the steps a payment's page may report, with the action
// each belongs to.
var browserSteps = map[EventType][]ActionKind{
	EventDeviceDataStarted: {ActionDeviceDataCollection},
	EventChallengeShown:    {ActionChallenge},
	EventRedirectLeft:      {ActionRedirect, ActionRedirectForm},
}

// BrowserStepNames are the steps RecordBrowserStep takes.
var BrowserStepNames = []string{string(EventDeviceDataStarted), string(EventChallengeShown), string(EventRedirectLeft)}

// RecordBrowserStep puts a step the shopper's page reports on the
// payment's timeline: device_data.started, challenge.shown or
// redirect.left, only while the payment waits for that action, and at most
// once per payment (the store's statement refuses a second one, so a page
// posting it again cannot grow the timeline). It reports whether the step
// was new.
func (s *Service) RecordBrowserStep(ctx context.Context, sessionID, paymentID, step string) (bool, error) {
	actions, ok := browserSteps[EventType(step)]
	if !ok {
		return false, InvalidParam("step", "step must be one of %s", strings.Join(BrowserStepNames, ", "))
	}
	p, err := s.sessionPayment(ctx, sessionID, paymentID)
	if err != nil {
		return false, err
	}
	if p.Status != PaymentRequiresAction || p.Action == nil || !slices.Contains(actions, p.Action.Kind) {
		return false, Errorf(EConflict, "This payment is not waiting for that step.")
	}
	written, err := s.Store.RecordBrowserStep(ctx, s.event(p.SessionID, p.ID, EventType(step), map[string]any{"action": string(p.Action.Kind)}))
	if err != nil {
		return false, Internal(err)
	}
	if written {
		switch EventType(step) {
		case EventChallengeShown:
			s.observeThreeDS(ThreeDSChallenge)
		case EventRedirectLeft:
			s.observeThreeDS(ThreeDSRedirect)
		case EventDeviceDataTimedOut:
			s.observeThreeDS(ThreeDSDeviceDataTimeout)
		}
	}
	return written, nil
}

// Provider error classes: what a timeline (and a payment's status reason)
// says of a provider call that got no usable answer. The error's own text,
// which may quote the provider, stays in the log.
const (
	ProviderErrTimeout      = "timeout"          // no answer in time
	ProviderErrConnection   = "connection_error" // the connection failed or broke
	ProviderErrHTTP         = "http_error"       // an HTTP status that is not an answer (5xx, 4xx)
	ProviderErrUntrusted    = "untrusted_answer" // a signature, seal or MAC that does not verify
	ProviderErrMalformed    = "malformed_answer" // an answer we cannot read
	ProviderErrRefundGone   = "refund_not_found" // the provider has no such refund
	ProviderErrUnclassified = "provider_error"   // anything else
)

// ProviderErrorClasses is the closed list ProviderErrorClass answers from.
var ProviderErrorClasses = []string{ProviderErrTimeout, ProviderErrConnection, ProviderErrHTTP, ProviderErrUntrusted,
	ProviderErrMalformed, ProviderErrRefundGone, ProviderErrUnclassified}

// httpStatusText is a status that is not a success: an answer with a 2xx
// status that cannot be read is malformed, not an HTTP error.
var httpStatusText = regexp.MustCompile(`\bHTTP [1345][0-9][0-9]\b`)

// ProviderErrorClass names the kind of failure of a provider call in one
// word of ProviderErrorClasses ("" for nil), from its type where the
// adapter kept it and from the adapters' own wording otherwise.
func ProviderErrorClass(err error) string {
	if err == nil {
		return ""
	}
	msg := strings.ToLower(err.Error())
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(msg, w) })
	}
	var netErr net.Error
	var urlErr *url.Error
	switch {
	case errors.Is(err, ErrRefundNotFound):
		return ProviderErrRefundGone
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout(),
		has("no answer in time", "timeout", "deadline exceeded"):
		return ProviderErrTimeout
	case httpStatusText.MatchString(err.Error()):
		return ProviderErrHTTP
	case has("signature", "not trusted", "unsigned", "unsealed", "does not decrypt", "does not verify", "mac mismatch"):
		return ProviderErrUntrusted
	case has("malformed", "unreadable", "unknown answer", "too large", "larger than", "not json", "cannot parse", "decode"):
		return ProviderErrMalformed
	case errors.As(err, &urlErr), errors.As(err, &netErr),
		has("connection", "reset by peer", "refused", "eof", "broken pipe", "canceled"):
		return ProviderErrConnection
	}
	return ProviderErrUnclassified
}

// Webhook attempt error classes on a timeline: the delivery log's safe
// categories (DeliveryErr*), http_error for an answer that is not 2xx, and
// endpoint_gone for a 410 that disabled the endpoint.
var WebhookErrorClasses = []string{DeliveryErrDNS, DeliveryErrAddressNotAllowed, DeliveryErrTimeout,
	DeliveryErrConnectionRefused, DeliveryErrTLS, DeliveryErrConnection, DeliveryErrBadURL, "http_error", "endpoint_gone"}

func webhookErrorClass(a WebhookAttempt) *string {
	switch {
	case a.Error == "":
		return nil
	case a.Status == 410:
		return ptr("endpoint_gone")
	case strings.HasPrefix(a.Error, "HTTP "):
		return ptr("http_error")
	case slices.Contains(WebhookErrorClasses, a.Error):
		return ptr(a.Error)
	}
	return ptr(DeliveryErrConnection)
}

// TimelineTime is how a timeline writes a time: RFC 3339 in UTC with
// milliseconds.
func TimelineTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// BuildTimeline turns a page of stored records into the merchant's
// timeline entries, in order: each event as its kind (events of no kind
// the timeline knows are left out), each followed by the webhooks it
// queued.
func BuildTimeline(recs *TimelineRecords) []TimelineEvent {
	queued := map[string][]*WebhookDelivery{}
	for _, d := range recs.Deliveries {
		queued[d.MessageID] = append(queued[d.MessageID], d)
	}
	attempts := map[string][]WebhookAttempt{}
	for _, a := range recs.Attempts {
		attempts[a.DeliveryID] = append(attempts[a.DeliveryID], a)
	}
	started := map[string]time.Time{} // payment id + step kind
	out := make([]TimelineEvent, 0, len(recs.Events)+len(recs.Deliveries))
	for i, e := range recs.Events {
		entry, ok := timelineEntry(e)
		if !ok {
			continue
		}
		d := eventData(e.Data)
		switch entry.Kind {
		case TimelineDeviceDataStarted, TimelineChallengeShown, TimelineRedirectLeft:
			started[e.PaymentID+" "+string(entry.Kind)] = e.CreatedAt
		case TimelineDeviceDataCompleted, TimelineDeviceDataTimedOut, TimelineChallengeReturned, TimelineRedirectReturned:
			start := map[TimelineKind]TimelineKind{TimelineDeviceDataCompleted: TimelineDeviceDataStarted,
				TimelineDeviceDataTimedOut: TimelineDeviceDataStarted, TimelineChallengeReturned: TimelineChallengeShown,
				TimelineRedirectReturned: TimelineRedirectLeft}[entry.Kind]
			if at, ok := started[e.PaymentID+" "+string(start)]; ok && !e.CreatedAt.Before(at) {
				entry.DurationMS = ptr(e.CreatedAt.Sub(at).Milliseconds())
			}
		case TimelineNotificationReceived:
			n := entry.Step.(NotificationStep)
			n.Changed = notificationChanged(recs.Events[i+1:], e, d)
			entry.Step = n
		}
		out = append(out, entry)
		for _, w := range queued[e.ID] {
			out = append(out, webhookEntry(e, w, attempts[w.ID]))
		}
	}
	return out
}

// timelineEntry is one stored event as a timeline entry; false for events
// the timeline does not show (a provider call that only applied a
// notification, which its notification.received entry stands for) or
// does not know.
func timelineEntry(e Event) (TimelineEvent, bool) {
	v := TimelineEvent{ID: e.ID, Object: "timeline_event", At: TimelineTime(e.CreatedAt)}
	if e.PaymentID != "" {
		v.Payment = ptr(e.PaymentID)
	}
	d := eventData(e.Data)
	switch e.Type {
	case EventSessionCreated:
		v.Kind = TimelineSessionCreated
		v.Step = SessionCreatedStep{Amount: d.int("amount"), Currency: d.str("currency"), Provider: d.str("provider"),
			RecurringParentPayment: d.opt("recurring_parent_payment")}
	case EventPageViewed:
		v.Kind = TimelinePageViewed
	case EventPaymentCreated:
		v.Kind = TimelinePaymentSubmitted
		v.Step = PaymentSubmittedStep{Attempt: int(d.int("attempt")), Method: PaymentMethod(d.str("method")),
			Provider: d.str("provider"), Card: timelineCard(d["card"])}
	case EventDeviceDataStarted:
		v.Kind = TimelineDeviceDataStarted
	case EventDeviceDataCompleted:
		v.Kind = TimelineDeviceDataCompleted
	case EventDeviceDataTimedOut:
		v.Kind = TimelineDeviceDataTimedOut
	case EventChallengeShown:
		v.Kind = TimelineChallengeShown
	case EventChallengeReturned:
		v.Kind, v.Step = TimelineChallengeReturned, ReturnedStep{Late: d.flag("late")}
	case EventRedirectLeft:
		v.Kind = TimelineRedirectLeft
	case EventRedirectReturned:
		v.Kind, v.Step = TimelineRedirectReturned, ReturnedStep{Late: d.flag("late")}
	case EventBrowserReturn:
		return browserReturnEntry(v, d)
	case EventProviderCall:
		return providerCallEntry(v, d)
	case EventNotification:
		v.Kind = TimelineNotificationReceived
		v.Step = NotificationStep{Provider: d.str("provider"), EventType: clipText(d.str("type"), 64),
			Outcome: d.opt("outcome"), Effect: notificationEffect(d), Refund: d.opt("refund_id")}
	case EventPaymentStatus:
		v.Kind = TimelinePaymentStatusChanged
		v.Step = StatusChangeStep{From: PaymentStatus(d.str("from")), To: PaymentStatus(d.str("to")),
			Reason: statusReason(d.str("reason")), DeclineCode: d.opt("decline_code")}
	case EventRefundCreated:
		v.Kind = TimelineRefundCreated
		v.Step = RefundCreatedStep{Refund: d.str("refund_id"), Amount: d.int("amount"), Currency: d.str("currency"),
			RetryOf: d.opt("retry_of"), Actor: d.actor()}
	case EventRefundUpdated:
		v.Kind = TimelineRefundUpdated
		v.Step = RefundUpdatedStep{Refund: d.str("refund_id"), Status: RefundStatus(d.str("status"))}
	case EventSessionCompleted:
		v.Kind = TimelineSessionCompleted
		v.Step = SessionCompletedStep{PaymentStatus: d.str("payment_status")}
	case EventSessionExpired:
		v.Kind = TimelineSessionExpired
		v.Step = SessionExpiredStep{Reason: d.str("reason")}
	default:
		return v, false
	}
	return v, true
}

// continuationSteps names, for the timeline, what a browser came back from.
var continuationSteps = map[string]string{
	string(ContinueDeviceData): "device_data", string(ContinueChallenge): "challenge", string(ContinueRedirect): "redirect",
}

// browserReturnEntry is a browser.returned event: a refused return, the
// start of adding a saved card, or (written before the returns had types
// of their own) an accepted return.
func browserReturnEntry(v TimelineEvent, d eventData) (TimelineEvent, bool) {
	kind := d.str("kind")
	if kind == "add_card_started" {
		v.Kind = TimelineSavedCardAddStarted
		return v, true
	}
	step, ok := continuationSteps[kind]
	if !ok {
		return v, false
	}
	if !d.flag("accepted") {
		v.Kind = TimelineReturnRejected
		v.Step = ReturnRejectedStep{Step: step, Reason: d.str("reason")}
		return v, true
	}
	switch step {
	case "device_data":
		v.Kind = TimelineDeviceDataCompleted
		if d.flag("timed_out") {
			v.Kind = TimelineDeviceDataTimedOut
		}
	case "challenge":
		v.Kind, v.Step = TimelineChallengeReturned, ReturnedStep{}
	default:
		v.Kind, v.Step = TimelineRedirectReturned, ReturnedStep{}
	}
	return v, true
}

// inquiryOperations are the provider calls that ask about an unknown
// outcome: the reconciler's.
var inquiryOperations = []string{"inquire", "inquire_refund"}

func providerCallEntry(v TimelineEvent, d eventData) (TimelineEvent, bool) {
	op := d.str("operation")
	if op == "notification" {
		return v, false // the notification's outcome applied: its notification.received entry says so
	}
	if _, ok := d["duration_ms"]; ok {
		v.DurationMS = ptr(d.int("duration_ms"))
	}
	outcome, errClass := d.opt("outcome"), providerErrorClassOf(d)
	if errClass != nil {
		outcome = nil
	}
	if slices.Contains(inquiryOperations, op) {
		v.Kind = TimelineReconciliationInquiry
		v.Step = InquiryStep{Provider: d.str("provider"), Operation: op, Outcome: outcome, Error: errClass,
			Settled: d.opt("settled"), Refund: d.opt("refund_id")}
		return v, true
	}
	v.Kind = TimelineProviderCall
	v.Step = ProviderCallStep{Provider: d.str("provider"), Operation: op, Outcome: outcome, Error: errClass,
		NextAction: d.opt("action"), DeclineCode: d.opt("decline_code"), Refund: d.opt("refund_id"), Actor: d.actor()}
	return v, true
}

// providerErrorClassOf is the class a provider call event recorded; events
// written before calls were classed carry the error's text, shown as the
// catch-all class.
func providerErrorClassOf(d eventData) *string {
	if _, ok := d["error"]; !ok {
		return nil
	}
	if c := d.str("error"); slices.Contains(ProviderErrorClasses, c) {
		return ptr(c)
	}
	return ptr(ProviderErrUnclassified)
}

// statusReason is a status change's reason as a timeline shows it: an
// unknown outcome names its class only (events written before reasons
// were classed carry the error's text, which is not shown).
func statusReason(reason string) string {
	const unknown = "outcome unknown: "
	if class, ok := strings.CutPrefix(reason, unknown); ok && !slices.Contains(ProviderErrorClasses, class) {
		return unknown + ProviderErrUnclassified
	}
	return reason
}

func notificationEffect(d eventData) string {
	if d.str("ignored") != "" {
		return "ignored"
	}
	switch action := d.str("action"); {
	case action == "apply":
		return "applied"
	case strings.HasPrefix(action, "inquire"):
		return "inquiry"
	}
	return "none"
}

// notificationChanged says whether the notification n (data d) moved its
// payment or refund: the call that applied it, or the inquiry it
// triggered, is the next of its payment's calls among later, and settled
// something.
func notificationChanged(later []Event, n Event, d eventData) bool {
	if effect := notificationEffect(d); effect != "applied" && effect != "inquiry" {
		return false
	}
	for _, e := range later {
		if e.Type != EventProviderCall || e.PaymentID != n.PaymentID {
			continue
		}
		c := eventData(e.Data)
		if refund := d.str("refund_id"); refund != "" && c.str("refund_id") != refund {
			continue
		}
		switch c.str("operation") {
		case "notification", "inquire", "inquire_refund", "refund_again":
			return c.str("settled") != ""
		}
	}
	return false
}

// timelineCard is the brand and last 4 of a stored card, and nothing more.
func timelineCard(v any) *TimelineCard {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	d := eventData(m)
	last4 := d.str("last4")
	if len(last4) != 4 || strings.Trim(last4, "0123456789") != "" {
		last4 = ""
	}
	return &TimelineCard{Brand: CardBrand(clipText(d.str("brand"), 16)), Last4: last4}
}

func webhookEntry(e Event, w *WebhookDelivery, attempts []WebhookAttempt) TimelineEvent {
	v := TimelineEvent{ID: w.ID, Object: "timeline_event", Kind: TimelineWebhookSent, At: TimelineTime(w.CreatedAt)}
	if e.PaymentID != "" {
		v.Payment = ptr(e.PaymentID)
	}
	step := WebhookSentStep{Webhook: w.MessageID, EventType: w.Type, Endpoint: w.EndpointID, Status: w.Status,
		Attempts: make([]TimelineWebhookAttempt, 0, len(attempts))}
	for _, a := range attempts {
		ta := TimelineWebhookAttempt{Number: a.Number, DurationMS: a.DurationMS, Error: webhookErrorClass(a), At: TimelineTime(a.At)}
		if a.Status > 0 {
			ta.HTTPStatus = ptr(a.Status)
		}
		step.Attempts = append(step.Attempts, ta)
	}
	v.Step = step
	return v
}

// eventData reads an event's stored data (JSON: numbers are float64).
type eventData map[string]any

func (d eventData) str(k string) string {
	s, _ := d[k].(string)
	return s
}

func (d eventData) opt(k string) *string {
	if s := d.str(k); s != "" {
		return &s
	}
	return nil
}

func (d eventData) flag(k string) bool {
	b, _ := d[k].(bool)
	return b
}

func (d eventData) int(k string) int64 {
	switch v := d[k].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// clipText keeps at most n bytes of s, whole UTF-8 only.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func ptr[T any](v T) *T { return &v }
