package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Lists of the merchant API (GET /v1/checkout/sessions, /v1/payments,
// /v1/refunds, /v1/events, /v1/webhook_deliveries): Stripe's cursor lists.
// A page is the newest objects first, ordered by id (ids sort by the time
// they were made, ids.go); starting_after names the last object of the
// page before (the next page holds older objects), ending_before the first
// of the page after (newer ones). has_more comes from asking the store for
// one object more than the page holds, never from a count.

// List sizes and reach.
const (
	DefaultListLimit = 10
	MaxListLimit     = 100
	// EventRetention is how far back GET /v1/events reaches.
	EventRetention = 30 * 24 * time.Hour
	// MaxIDClockSkew bounds how much earlier than its object's created
	// time an id may carry (ids.go): a store may skip ids below
	// IDFloor(prefix, from-MaxIDClockSkew) when listing objects created
	// from a time on. The Service takes both from one clock; the margin
	// covers objects whose created time is set apart from their id.
	MaxIDClockSkew = 24 * time.Hour
	// maxUnixSeconds is the last second of the year 9999: a created[...]
	// bound beyond it is a mistake, and its milliseconds still fit int64.
	maxUnixSeconds = 253402300799
)

// Page is where a page of a list starts and how many objects it asks a
// Store for. At most one of StartingAfter and EndingBefore is set.
type Page struct {
	Limit int
	// StartingAfter: the objects just older (smaller id) than this id.
	StartingAfter string
	// EndingBefore: the objects just newer (greater id) than this id.
	EndingBefore string
}

// SessionFilter narrows GET /v1/checkout/sessions; zero fields do not.
type SessionFilter struct {
	Status SessionStatus
	// PaymentStatus is the session's payment_status (SessionPaymentStatus
	// of its latest payment: unpaid, paid, authorized, pending, failed).
	PaymentStatus     string
	MerchantReference string
	CustomerReference string
	CustomerEmail     string
	// CreatedFrom (inclusive) and CreatedBefore (exclusive) bound the
	// created time.
	CreatedFrom, CreatedBefore time.Time
	// Provider: the session's provider, or that of any of its payments
	// (a wallet routed elsewhere). CardLast4: any of its payments' card.
	Provider  string
	CardLast4 string
}

// PaymentFilter narrows GET /v1/payments.
type PaymentFilter struct {
	Status    PaymentStatus
	Provider  string
	CardLast4 string
	SessionID string
}

// RefundFilter narrows GET /v1/refunds.
type RefundFilter struct {
	PaymentID string
}

// EventFilter narrows GET /v1/events: merchant-visible events (those with a
// webhook type) only, created from CreatedFrom on.
type EventFilter struct {
	Type        string // the webhook type
	SessionID   string
	PaymentID   string
	CreatedFrom time.Time
}

// DeliveryFilter narrows GET /v1/webhook_deliveries.
type DeliveryFilter struct {
	EndpointID string
	EventID    string // the event's id, which is the webhook-id
	Status     string // pending, succeeded, failed, canceled
}

// MerchantEvent is a merchant-visible event as stored: its webhook type
// and the JSON body its webhooks carry (WebhookPayload).
type MerchantEvent struct {
	ID        string
	Type      string
	SessionID string
	PaymentID string
	Payload   []byte
	CreatedAt time.Time
}

// ListObject is one page of a list as the merchant sees it.
type ListObject[T any] struct {
	Object  string `json:"object"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// EventObject is a merchant-visible event: the body its webhooks carry
// (type, timestamp and data, byte for byte) with its id (the webhook-id)
// and created time.
type EventObject struct {
	ID        string          `json:"id"`
	Object    string          `json:"object"`
	Livemode  bool            `json:"livemode"`
	Type      string          `json:"type"`
	Created   int64           `json:"created"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// NewEventObject is e, an event of a merchant of mode live, as the
// merchant sees it.
func NewEventObject(e MerchantEvent, live bool) (EventObject, error) {
	var body struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(e.Payload, &body); err != nil {
		return EventObject{}, fmt.Errorf("event %s: payload: %w", e.ID, err)
	}
	return EventObject{ID: e.ID, Object: "event", Livemode: live, Type: body.Type, Created: e.CreatedAt.Unix(),
		Timestamp: body.Timestamp, Data: body.Data}, nil
}

// listQuery is a list's query string once checked: every parameter is one
// the list knows, given once.
type listQuery url.Values

// Parameters every list takes.
var pageParams = []string{"limit", "starting_after", "ending_before"}

// maxFilterLength caps filter values that have no length rule of their own.
const maxFilterLength = 255

func checkListQuery(q url.Values, filters ...string) (listQuery, error) {
	known := append(slices.Clone(pageParams), filters...)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same error for the same query
	for _, k := range keys {
		switch {
		case !slices.Contains(known, k):
			return nil, InvalidParam(k, "%q is not a parameter of this list; it takes %s", k, strings.Join(known, ", "))
		case len(q[k]) > 1:
			return nil, InvalidParam(k, "%s is given %d times; give it once", k, len(q[k]))
		}
	}
	return listQuery(q), nil
}

// get is a parameter's value and whether it was given.
func (q listQuery) get(k string) (string, bool) {
	vs, ok := q[k]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// page reads limit and the cursors, ids with prefix.
func (q listQuery) page(prefix string) (Page, error) {
	p := Page{Limit: DefaultListLimit}
	if s, ok := q.get("limit"); ok {
		n, err := strconv.Atoi(s)
		if !digitsOnly(s) || len(s) > 3 || err != nil || n < 1 || n > MaxListLimit {
			return Page{}, InvalidParam("limit", "limit must be an integer from 1 to %d", MaxListLimit)
		}
		p.Limit = n
	}
	after, hasAfter := q.get("starting_after")
	before, hasBefore := q.get("ending_before")
	if hasAfter && hasBefore {
		return Page{}, InvalidParam("ending_before", "starting_after and ending_before cannot be used together")
	}
	if hasAfter && !ValidID(prefix, after) {
		return Page{}, InvalidParam("starting_after", "starting_after must be the id of an object of this list (%s…)", prefix)
	}
	if hasBefore && !ValidID(prefix, before) {
		return Page{}, InvalidParam("ending_before", "ending_before must be the id of an object of this list (%s…)", prefix)
	}
	p.StartingAfter, p.EndingBefore = after, before
	return p, nil
}

// oneOf reads a parameter that must be one of allowed.
func (q listQuery) oneOf(k string, allowed ...string) (string, error) {
	v, ok := q.get(k)
	if ok && !slices.Contains(allowed, v) {
		return "", InvalidParam(k, "%s must be one of %s", k, strings.Join(allowed, ", "))
	}
	return v, nil
}

// id reads a parameter that must be an id with prefix.
func (q listQuery) id(k, prefix string) (string, error) {
	v, ok := q.get(k)
	if ok && !ValidID(prefix, v) {
		return "", InvalidParam(k, "%s must be an id starting with %s", k, prefix)
	}
	return v, nil
}

// text reads a free-text parameter under the text rule (CheckText), at
// most max characters and not empty.
func (q listQuery) text(k string, max int) (string, error) {
	v, ok := q.get(k)
	if !ok {
		return "", nil
	}
	if v == "" {
		return "", InvalidParam(k, "%s must not be empty", k)
	}
	return v, checkText(k, v, max)
}

// unix reads a Unix time in seconds.
func (q listQuery) unix(k string) (time.Time, bool, error) {
	v, ok := q.get(k)
	if !ok {
		return time.Time{}, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if !digitsOnly(v) || len(v) > 12 || err != nil || n > maxUnixSeconds {
		return time.Time{}, false, InvalidParam(k, "%s must be a Unix time in seconds (an integer from 0 to %d)", k, int64(maxUnixSeconds))
	}
	return time.Unix(n, 0).UTC(), true, nil
}

// last4 is the value of k, when given: a card's 4 last digits.
func (q listQuery) last4(k string) (string, error) {
	v, ok := q.get(k)
	if ok && (len(v) != 4 || !digitsOnly(v)) {
		return "", InvalidParam(k, "%s must be the 4 last digits of a card", k)
	}
	return v, nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// pageOf cuts the limit+1 objects a store returned (newest first) to the
// page and says whether more lie beyond it in the direction of travel: the
// extra object is the oldest one going forwards (no cursor or
// starting_after) and the newest one going backwards (ending_before).
func pageOf[T any](page Page, rows []T) ([]T, bool) {
	if len(rows) <= page.Limit {
		return rows, false
	}
	if page.EndingBefore != "" {
		return rows[len(rows)-page.Limit:], true
	}
	return rows[:page.Limit], true
}

// listed runs a store list with one object more than the page, and turns
// a cursor the store did not find among the merchant's objects into a 422
// naming it.
func listed[T any](page Page, what string, list func(Page) ([]T, error)) ([]T, bool, error) {
	ask := page
	ask.Limit++
	rows, err := list(ask)
	if errors.Is(err, ErrNotFound) {
		param, id := "starting_after", page.StartingAfter
		if page.EndingBefore != "" {
			param, id = "ending_before", page.EndingBefore
		}
		return nil, false, InvalidParam(param, "%s: %s is not one of your %s", param, id, what)
	}
	if err != nil {
		return nil, false, Internal(err)
	}
	rows, more := pageOf(page, rows)
	return rows, more, nil
}

// SessionPaymentStatuses is the closed list of a session's payment_status.
var SessionPaymentStatuses = []string{"unpaid", "paid", "authorized", "pending", "failed"}

// ListSessions answers GET /v1/checkout/sessions: the merchant's sessions,
// each as GET /v1/checkout/sessions/{id} shows it (but as stored: a
// session past its expiry time shows open until the expiry worker, or a
// GET of it, expires it).
func (s *Service) ListSessions(ctx context.Context, m *Merchant, query url.Values) (*ListObject[SessionObject], error) {
	q, err := checkListQuery(query, "status", "payment_status", "merchant_reference", "customer_reference", "customer_email",
		"created[gte]", "created[lte]", "provider", "card_last4")
	if err != nil {
		return nil, err
	}
	page, err := q.page(PrefixSession)
	if err != nil {
		return nil, err
	}
	var f SessionFilter
	status, err := q.oneOf("status", string(SessionOpen), string(SessionComplete), string(SessionExpired))
	if err != nil {
		return nil, err
	}
	f.Status = SessionStatus(status)
	if f.PaymentStatus, err = q.oneOf("payment_status", SessionPaymentStatuses...); err != nil {
		return nil, err
	}
	if f.MerchantReference, err = q.text("merchant_reference", MaxReferenceLength); err != nil {
		return nil, err
	}
	if ref, ok := q.get("customer_reference"); ok {
		if err := CheckCustomerReference("customer_reference", ref); err != nil {
			return nil, err
		}
		f.CustomerReference = ref
	}
	if f.CustomerEmail, err = q.text("customer_email", 254); err != nil {
		return nil, err
	}
	if f.Provider, err = q.oneOf("provider", s.providerNames()...); err != nil {
		return nil, err
	}
	if f.CardLast4, err = q.last4("card_last4"); err != nil {
		return nil, err
	}
	gte, hasGTE, err := q.unix("created[gte]")
	if err != nil {
		return nil, err
	}
	lte, hasLTE, err := q.unix("created[lte]")
	if err != nil {
		return nil, err
	}
	if hasGTE && hasLTE && lte.Before(gte) {
		return nil, InvalidParam("created[lte]", "created[lte] must not be before created[gte]")
	}
	if hasGTE {
		f.CreatedFrom = gte
	}
	if hasLTE {
		// Inclusive to the second, as created_at shows it: the whole
		// second lte counts.
		f.CreatedBefore = lte.Add(time.Second)
	}
	rows, more, err := listed(page, "checkout sessions", func(p Page) ([]*Session, error) {
		return s.Store.ListSessions(ctx, m.ID, f, p)
	})
	if err != nil {
		return nil, err
	}
	out := &ListObject[SessionObject]{Object: "list", Data: make([]SessionObject, 0, len(rows)), HasMore: more}
	for _, sess := range rows {
		pays, err := s.Store.SessionPayments(ctx, sess.ID)
		if err != nil {
			return nil, Internal(err)
		}
		out.Data = append(out.Data, s.SessionObject(sess, pays))
	}
	return out, nil
}

// ListPayments answers GET /v1/payments: the merchant's payments, each as
// GET /v1/payments/{id} shows it (with its refunds).
func (s *Service) ListPayments(ctx context.Context, m *Merchant, query url.Values) (*ListObject[PaymentObject], error) {
	q, err := checkListQuery(query, "status", "provider", "card_last4", "session")
	if err != nil {
		return nil, err
	}
	page, err := q.page(PrefixPayment)
	if err != nil {
		return nil, err
	}
	var f PaymentFilter
	statuses := make([]string, len(PaymentStatuses))
	for i, st := range PaymentStatuses {
		statuses[i] = string(st)
	}
	status, err := q.oneOf("status", statuses...)
	if err != nil {
		return nil, err
	}
	f.Status = PaymentStatus(status)
	if f.Provider, err = q.oneOf("provider", s.providerNames()...); err != nil {
		return nil, err
	}
	if f.CardLast4, err = q.last4("card_last4"); err != nil {
		return nil, err
	}
	if f.SessionID, err = q.id("session", PrefixSession); err != nil {
		return nil, err
	}
	rows, more, err := listed(page, "payments", func(p Page) ([]*Payment, error) {
		return s.Store.ListPayments(ctx, m.ID, f, p)
	})
	if err != nil {
		return nil, err
	}
	out := &ListObject[PaymentObject]{Object: "list", Data: make([]PaymentObject, 0, len(rows)), HasMore: more}
	for _, p := range rows {
		refunds, err := s.Store.PaymentRefunds(ctx, p.ID)
		if err != nil {
			return nil, Internal(err)
		}
		if refunds == nil {
			refunds = []*Refund{}
		}
		out.Data = append(out.Data, NewPaymentObject(p, refunds))
	}
	return out, nil
}

// providerNames is every provider a payment can name: the registry's and
// the configured ones.
func (s *Service) providerNames() []string {
	names := slices.Clone(s.ProviderOrder)
	for name := range s.Providers {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// ListRefunds answers GET /v1/refunds: the merchant's refunds.
func (s *Service) ListRefunds(ctx context.Context, m *Merchant, query url.Values) (*ListObject[RefundObject], error) {
	q, err := checkListQuery(query, "payment")
	if err != nil {
		return nil, err
	}
	page, err := q.page(PrefixRefund)
	if err != nil {
		return nil, err
	}
	var f RefundFilter
	if f.PaymentID, err = q.id("payment", PrefixPayment); err != nil {
		return nil, err
	}
	rows, more, err := listed(page, "refunds", func(p Page) ([]*Refund, error) {
		return s.Store.ListRefunds(ctx, m.ID, f, p)
	})
	if err != nil {
		return nil, err
	}
	out := &ListObject[RefundObject]{Object: "list", Data: make([]RefundObject, 0, len(rows)), HasMore: more}
	for _, r := range rows {
		out.Data = append(out.Data, NewRefundObject(r))
	}
	return out, nil
}

// ListEvents answers GET /v1/events: the merchant's events of the last
// EventRetention, each the body its webhooks carried with its id and
// created time.
func (s *Service) ListEvents(ctx context.Context, m *Merchant, query url.Values) (*ListObject[EventObject], error) {
	q, err := checkListQuery(query, "type", "session", "payment")
	if err != nil {
		return nil, err
	}
	page, err := q.page(PrefixEvent)
	if err != nil {
		return nil, err
	}
	f := EventFilter{CreatedFrom: s.now().Add(-EventRetention)}
	if f.Type, err = q.oneOf("type", WebhookEventTypes...); err != nil {
		return nil, err
	}
	if f.SessionID, err = q.id("session", PrefixSession); err != nil {
		return nil, err
	}
	if f.PaymentID, err = q.id("payment", PrefixPayment); err != nil {
		return nil, err
	}
	rows, more, err := listed(page, "events", func(p Page) ([]MerchantEvent, error) {
		return s.Store.ListEvents(ctx, m.ID, f, p)
	})
	if err != nil {
		return nil, err
	}
	out := &ListObject[EventObject]{Object: "list", Data: make([]EventObject, 0, len(rows)), HasMore: more}
	for _, e := range rows {
		v, err := NewEventObject(e, m.Live)
		if err != nil {
			return nil, Internal(err)
		}
		out.Data = append(out.Data, v)
	}
	return out, nil
}

// ListWebhookDeliveries answers GET /v1/webhook_deliveries: the merchant's
// delivery log, each delivery with its attempts.
func (s *Service) ListWebhookDeliveries(ctx context.Context, m *Merchant, query url.Values) (*ListObject[WebhookDeliveryObject], error) {
	q, err := checkListQuery(query, "endpoint", "event", "outcome")
	if err != nil {
		return nil, err
	}
	page, err := q.page(PrefixWebhookDelivery)
	if err != nil {
		return nil, err
	}
	var f DeliveryFilter
	if f.EndpointID, err = q.id("endpoint", PrefixWebhookEndpoint); err != nil {
		return nil, err
	}
	if f.EventID, err = q.id("event", PrefixEvent); err != nil {
		return nil, err
	}
	if f.Status, err = q.oneOf("outcome", DeliveryPending, DeliverySucceeded, DeliveryFailed, DeliveryCanceled); err != nil {
		return nil, err
	}
	rows, more, err := listed(page, "webhook deliveries", func(p Page) ([]*WebhookDelivery, error) {
		return s.Store.ListWebhookDeliveries(ctx, m.ID, f, p)
	})
	if err != nil {
		return nil, err
	}
	out := &ListObject[WebhookDeliveryObject]{Object: "list", Data: make([]WebhookDeliveryObject, 0, len(rows)), HasMore: more}
	for _, d := range rows {
		attempts, err := s.Store.WebhookAttempts(ctx, d.ID)
		if err != nil {
			return nil, Internal(err)
		}
		out.Data = append(out.Data, NewWebhookDeliveryObject(d, attempts, m.Live))
	}
	return out, nil
}
