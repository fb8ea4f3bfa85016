package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The merchant API's lists: keyset pages in id order (ids sort by the time
// they were made), each read through the index migration 0014 made for it
// or for its most selective filter, named in the query (INDEXED BY): without
// statistics SQLite's planner takes any index that starts with merchant_id
// as good as another, and would read all of a merchant's payments to find
// one session's. Every query names its table t.

// listQuery is one list's SELECT, built from its filter and page.
type listQuery struct {
	table   string // the table, aliased t
	columns string // t.-prefixed
	index   string // the index the page is read through
	// visible is the condition every object of the list meets (the
	// cursor included), beyond belonging to the merchant.
	visible string
	conds   []string
	args    []any
}

func newList(table, columns, index, merchantID, visible string) *listQuery {
	q := &listQuery{table: table, columns: columns, index: index, visible: visible}
	q.where("t.merchant_id = ?", merchantID)
	if visible != "" {
		q.where(visible)
	}
	return q
}

func (q *listQuery) where(cond string, args ...any) {
	q.conds = append(q.conds, cond)
	q.args = append(q.args, args...)
}

// page adds the cursor and returns the statement and its arguments.
func (q *listQuery) page(p checkout.Page) (string, []any) {
	conds, args := slices.Clone(q.conds), slices.Clone(q.args)
	order := "DESC"
	switch {
	case p.StartingAfter != "":
		conds, args = append(conds, "t.id < ?"), append(args, p.StartingAfter)
	case p.EndingBefore != "":
		// Ascending from the cursor, so that the page is the objects
		// nearest to it; run reverses them.
		conds, args = append(conds, "t.id > ?"), append(args, p.EndingBefore)
		order = "ASC"
	}
	return `SELECT ` + q.columns + ` FROM ` + q.table + ` t INDEXED BY ` + q.index + ` WHERE ` + strings.Join(conds, " AND ") +
		` ORDER BY t.id ` + order + ` LIMIT ?`, append(args, p.Limit)
}

// cursor is the statement that finds the page's cursor among the
// merchant's objects of the list.
func (q *listQuery) cursor(merchantID, id string) (string, []any) {
	query := `SELECT 1 FROM ` + q.table + ` t WHERE t.id = ? AND t.merchant_id = ?`
	if q.visible != "" {
		query += ` AND ` + q.visible
	}
	return query, []any{id, merchantID}
}

// createdFrom bounds the created time from t on, and the id from the
// least an object created then can have (a range of the id index, where
// the created time alone would be a filter on every row scanned).
func (q *listQuery) createdFrom(from int64, floor string) {
	q.where("t.created_at >= ?", from)
	q.where("t.id >= ?", floor)
}

// runList runs q's page and scans each row; the cursor must be one of the
// merchant's objects of the list (checkout.ErrNotFound otherwise).
func runList[T any](ctx context.Context, d *DB, q *listQuery, merchantID string, p checkout.Page, scan func(scanner) (T, error)) ([]T, error) {
	if c := p.StartingAfter + p.EndingBefore; c != "" {
		query, args := q.cursor(merchantID, c)
		var one int
		if err := d.db.QueryRowContext(ctx, query, args...).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, checkout.ErrNotFound
			}
			return nil, err
		}
	}
	query, args := q.page(p)
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]T, 0, p.Limit)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p.EndingBefore != "" {
		slices.Reverse(out)
	}
	return out, nil
}

// sessionPaymentStatus is a session's payment_status in SQL: its latest
// attempt's status mapped as checkout.SessionPaymentStatus maps it (the
// CASE is built from that function, so the two cannot drift), 'unpaid'
// without one. The attempt is found by the payments (session_id, attempt)
// unique index.
var sessionPaymentStatus = func() string {
	var b strings.Builder
	b.WriteString(`coalesce((SELECT CASE p.status`)
	for _, st := range checkout.PaymentStatuses {
		b.WriteString(` WHEN '` + string(st) + `' THEN '` + checkout.SessionPaymentStatus([]*checkout.Payment{{Status: st}}) + `'`)
	}
	b.WriteString(` ELSE 'unpaid' END FROM payments p WHERE p.session_id = t.id ORDER BY p.attempt DESC LIMIT 1), 'unpaid')`)
	return b.String()
}()

func sessionsList(dl dialect, merchantID string, f checkout.SessionFilter) *listQuery {
	q := newList("sessions", prefixed("t.", sessionColumns), "sessions_list", merchantID, "")
	// Each filter's index, the more selective ones last (they win).
	if f.Status != "" {
		q.where("t.status = ?", f.Status)
		q.index = "sessions_list_by_status"
	}
	if f.PaymentStatus != "" {
		q.where(sessionPaymentStatus+" = ?", f.PaymentStatus)
	}
	// Through the payments (session_id, attempt) unique index.
	if f.Provider != "" {
		q.where("(t.provider = ? OR EXISTS (SELECT 1 FROM payments p WHERE p.session_id = t.id AND p.provider = ?))", f.Provider, f.Provider)
	}
	if f.CardLast4 != "" {
		q.where("EXISTS (SELECT 1 FROM payments p WHERE p.session_id = t.id AND p.card IS NOT NULL AND "+dl.jsonText("p.card", "last4")+" = ?)", f.CardLast4)
	}
	if !f.CreatedFrom.IsZero() {
		q.createdFrom(ms(f.CreatedFrom), checkout.IDFloor(checkout.PrefixSession, f.CreatedFrom.Add(-checkout.MaxIDClockSkew)))
	}
	if !f.CreatedBefore.IsZero() {
		q.where("t.created_at < ?", ms(f.CreatedBefore))
		q.index = "sessions_list_by_created"
	}
	// The <> '' conditions let the partial indexes serve the filters.
	if f.CustomerReference != "" {
		q.where("t.customer_reference = ? AND t.customer_reference <> ''", f.CustomerReference)
		q.index = "sessions_list_by_customer_reference"
	}
	if f.CustomerEmail != "" {
		q.where("t.customer_email = ? AND t.customer_email <> ''", f.CustomerEmail)
		q.index = "sessions_list_by_customer_email"
	}
	if f.MerchantReference != "" {
		q.where("t.merchant_reference = ? AND t.merchant_reference <> ''", f.MerchantReference)
		q.index = "sessions_list_by_merchant_reference"
	}
	return q
}

// ListSessions lists the merchant's sessions (see checkout.Store).
func (d *DB) ListSessions(ctx context.Context, merchantID string, f checkout.SessionFilter, p checkout.Page) ([]*checkout.Session, error) {
	return runList(ctx, d, sessionsList(d.dialect, merchantID, f), merchantID, p, scanSession)
}

// paymentsList's card_last4 filter is the expression of the
// payments_list_by_card_last4 index.
func paymentsList(dl dialect, merchantID string, f checkout.PaymentFilter) *listQuery {
	q := newList("payments", prefixed("t.", paymentColumns), "payments_list", merchantID, "")
	if f.Provider != "" {
		q.where("t.provider = ?", f.Provider)
		q.index = "payments_list_by_provider"
	}
	if f.Status != "" {
		q.where("t.status = ?", f.Status)
		q.index = "payments_list_by_status"
	}
	if f.CardLast4 != "" {
		q.where(dl.jsonText("t.card", "last4")+" = ? AND t.card IS NOT NULL", f.CardLast4)
		q.index = "payments_list_by_card_last4"
	}
	if f.SessionID != "" {
		q.where("t.session_id = ?", f.SessionID)
		q.index = "payments_list_by_session"
	}
	return q
}

// ListPayments lists the merchant's payments (see checkout.Store).
func (d *DB) ListPayments(ctx context.Context, merchantID string, f checkout.PaymentFilter, p checkout.Page) ([]*checkout.Payment, error) {
	return runList(ctx, d, paymentsList(d.dialect, merchantID, f), merchantID, p, scanPayment)
}

func refundsList(merchantID string, f checkout.RefundFilter) *listQuery {
	q := newList("refunds", prefixed("t.", refundColumns), "refunds_list", merchantID, "")
	if f.PaymentID != "" {
		// A payment has a few refunds: its own index, then a sort.
		q.where("t.payment_id = ?", f.PaymentID)
		q.index = "refunds_by_payment"
	}
	return q
}

// ListRefunds lists the merchant's refunds (see checkout.Store).
func (d *DB) ListRefunds(ctx context.Context, merchantID string, f checkout.RefundFilter, p checkout.Page) ([]*checkout.Refund, error) {
	return runList(ctx, d, refundsList(merchantID, f), merchantID, p, scanRefund)
}

func eventsList(merchantID string, f checkout.EventFilter) *listQuery {
	// Merchant-visible events are those with a webhook type.
	q := newList("events", `t.id, t.notify, t.session_id, t.payment_id, t.payload, t.created_at`, "events_merchant_list",
		merchantID, "t.notify <> ''")
	if !f.CreatedFrom.IsZero() {
		q.createdFrom(ms(f.CreatedFrom), checkout.IDFloor(checkout.PrefixEvent, f.CreatedFrom.Add(-checkout.MaxIDClockSkew)))
	}
	if f.Type != "" {
		q.where("t.notify = ?", f.Type)
		q.index = "events_merchant_list_by_type"
	}
	if f.PaymentID != "" {
		q.where("t.payment_id = ?", f.PaymentID)
		q.index = "events_merchant_list_by_payment"
	}
	if f.SessionID != "" {
		// A session's timeline is short: its own index, then a sort.
		q.where("t.session_id = ?", f.SessionID)
		q.index = "events_by_session"
	}
	return q
}

func scanMerchantEvent(row scanner) (checkout.MerchantEvent, error) {
	var e checkout.MerchantEvent
	var created int64
	if err := row.Scan(&e.ID, &e.Type, &e.SessionID, &e.PaymentID, &e.Payload, &created); err != nil {
		return e, err
	}
	e.CreatedAt = fromMS(created)
	return e, nil
}

// ListEvents lists the merchant's merchant-visible events (see
// checkout.Store).
func (d *DB) ListEvents(ctx context.Context, merchantID string, f checkout.EventFilter, p checkout.Page) ([]checkout.MerchantEvent, error) {
	return runList(ctx, d, eventsList(merchantID, f), merchantID, p, scanMerchantEvent)
}

func deliveriesList(merchantID string, f checkout.DeliveryFilter) *listQuery {
	q := newList("webhook_deliveries", strings.ReplaceAll(deliveryColumns, "d.", "t."), "webhook_deliveries_list", merchantID, "")
	if f.Status != "" {
		q.where("t.status = ?", f.Status)
		q.index = "webhook_deliveries_list_by_status"
	}
	if f.EndpointID != "" {
		q.where("t.endpoint_id = ?", f.EndpointID)
		q.index = "webhook_deliveries_list_by_endpoint"
	}
	if f.EventID != "" {
		q.where("t.message_id = ?", f.EventID)
		q.index = "webhook_deliveries_list_by_event"
	}
	return q
}

// ListWebhookDeliveries lists the merchant's deliveries (see
// checkout.Store).
func (d *DB) ListWebhookDeliveries(ctx context.Context, merchantID string, f checkout.DeliveryFilter, p checkout.Page) ([]*checkout.WebhookDelivery, error) {
	return runList(ctx, d, deliveriesList(merchantID, f), merchantID, p, func(row scanner) (*checkout.WebhookDelivery, error) {
		return scanDelivery(row)
	})
}
