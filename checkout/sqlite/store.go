package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// SaveMerchant inserts a merchant or updates it by id, with its logo in
// the same transaction: the logo's bytes are stored first when m.Logo.Body
// is set (a logo stored already is kept as it is: the hash is its
// content), and logos no merchant uses any more are deleted, so that a
// replaced or removed logo stops being served.
func (d *DB) SaveMerchant(ctx context.Context, m *checkout.Merchant) error {
	returns, _ := json.Marshal(nonNil(m.ReturnOrigins))
	embeds, _ := json.Marshal(nonNil(m.EmbedOrigins))
	var logo any // NULL: no logo
	if m.Logo != nil {
		logo = m.Logo.SHA256
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		if l := m.Logo; l != nil && l.Body != nil {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO logos (sha256, content_type, width, height, body) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (sha256) DO NOTHING`,
				l.SHA256, l.ContentType, l.Width, l.Height, l.Body); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO merchants (id, name, api_key_hash, default_provider, live, created_at, return_origins, embed_origins,
				display_name, brand_color, logo_sha256)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, api_key_hash = excluded.api_key_hash,
				default_provider = excluded.default_provider, live = excluded.live,
				return_origins = excluded.return_origins, embed_origins = excluded.embed_origins,
				display_name = excluded.display_name, brand_color = excluded.brand_color, logo_sha256 = excluded.logo_sha256`,
			m.ID, m.Name, m.APIKeyHash, m.DefaultProvider, m.Live, ms(m.CreatedAt), string(returns), string(embeds),
			m.DisplayName, m.BrandColor, logo); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM logos WHERE NOT EXISTS (SELECT 1 FROM merchants WHERE merchants.logo_sha256 = logos.sha256)`)
		return err
	})
}

// merchantColumns and merchantsFrom read a merchant with its logo's hash,
// type and size (never the logo's bytes).
const (
	merchantColumns = `merchants.id, merchants.name, merchants.api_key_hash, merchants.default_provider, merchants.live,
		merchants.created_at, merchants.return_origins, merchants.embed_origins, merchants.display_name, merchants.brand_color,
		logos.sha256, logos.content_type, logos.width, logos.height`
	merchantsFrom = `merchants LEFT JOIN logos ON logos.sha256 = merchants.logo_sha256`
)

func scanMerchant(row scanner) (*checkout.Merchant, error) {
	var m checkout.Merchant
	var created int64
	var returns, embeds string
	var logoSHA, logoType sql.NullString
	var logoWidth, logoHeight sql.NullInt64
	if err := row.Scan(&m.ID, &m.Name, &m.APIKeyHash, &m.DefaultProvider, &m.Live, &created, &returns, &embeds,
		&m.DisplayName, &m.BrandColor, &logoSHA, &logoType, &logoWidth, &logoHeight); err != nil {
		return nil, notFound(err)
	}
	if err := unmarshalAll(returns, &m.ReturnOrigins, embeds, &m.EmbedOrigins); err != nil {
		return nil, err
	}
	if logoSHA.Valid {
		m.Logo = &checkout.Logo{SHA256: logoSHA.String, ContentType: logoType.String,
			Width: int(logoWidth.Int64), Height: int(logoHeight.Int64)}
	}
	m.CreatedAt = fromMS(created)
	return &m, nil
}

// Merchants lists every merchant, oldest first.
func (d *DB) Merchants(ctx context.Context) ([]*checkout.Merchant, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+merchantColumns+` FROM `+merchantsFrom+` ORDER BY merchants.created_at, merchants.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Merchant loads a merchant by id.
func (d *DB) Merchant(ctx context.Context, id string) (*checkout.Merchant, error) {
	return scanMerchant(d.db.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM `+merchantsFrom+` WHERE merchants.id = ?`, id))
}

// MerchantByKeyHash loads the merchant owning a hashed secret key.
func (d *DB) MerchantByKeyHash(ctx context.Context, hash string) (*checkout.Merchant, error) {
	return scanMerchant(d.db.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM `+merchantsFrom+` WHERE merchants.api_key_hash = ?`, hash))
}

// Logo loads a logo with its bytes by its SHA-256 (hex).
func (d *DB) Logo(ctx context.Context, sha256 string) (*checkout.Logo, error) {
	var l checkout.Logo
	err := d.db.QueryRowContext(ctx, `SELECT sha256, content_type, width, height, body FROM logos WHERE sha256 = ?`, sha256).
		Scan(&l.SHA256, &l.ContentType, &l.Width, &l.Height, &l.Body)
	if err != nil {
		return nil, notFound(err)
	}
	return &l, nil
}

// CreateSession inserts a session and its first events; ErrDuplicate when
// the merchant already has a session under s.IdempotencyKey.
func (d *DB) CreateSession(ctx context.Context, s *checkout.Session, events ...checkout.Event) error {
	items, _ := json.Marshal(nonNil(s.LineItems))
	methods, _ := json.Marshal(s.PaymentMethods)
	meta, _ := json.Marshal(nonNilMap(s.Metadata))
	routes, _ := json.Marshal(nonNilMap(s.Routes))
	return d.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sessions (id, merchant_id, status, amount, currency, merchant_reference, line_items,
				customer_email, customer_reference, locale, success_url, cancel_url, payment_methods, provider,
				capture_mode, three_ds, metadata, expires_at, created_at, updated_at, routes, setup_recurring, idempotency_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.MerchantID, s.Status, s.Amount.Amount, s.Amount.Currency, s.MerchantReference, string(items),
			s.Customer.Email, s.Customer.Reference, s.Locale, s.SuccessURL, s.CancelURL, string(methods), s.Provider,
			s.CaptureMode, s.ThreeDS, string(meta), ms(s.ExpiresAt), ms(s.CreatedAt), ms(s.UpdatedAt), string(routes), s.SetupRecurring,
			s.IdempotencyKey)
		if isUniqueViolation(err) && s.IdempotencyKey != "" {
			return checkout.ErrDuplicate
		}
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

const sessionColumns = `id, merchant_id, status, amount, currency, merchant_reference, line_items, customer_email,
	customer_reference, locale, success_url, cancel_url, payment_methods, provider, capture_mode, three_ds,
	metadata, expires_at, created_at, updated_at, routes, setup_recurring, idempotency_key`

func scanSession(row scanner) (*checkout.Session, error) {
	var s checkout.Session
	var items, methods, meta, routes string
	var expires, created, updated int64
	err := row.Scan(
		&s.ID, &s.MerchantID, &s.Status, &s.Amount.Amount, &s.Amount.Currency, &s.MerchantReference, &items,
		&s.Customer.Email, &s.Customer.Reference, &s.Locale, &s.SuccessURL, &s.CancelURL, &methods, &s.Provider,
		&s.CaptureMode, &s.ThreeDS, &meta, &expires, &created, &updated, &routes, &s.SetupRecurring, &s.IdempotencyKey)
	if err != nil {
		return nil, notFound(err)
	}
	if err := unmarshalAll(items, &s.LineItems, methods, &s.PaymentMethods, meta, &s.Metadata, routes, &s.Routes); err != nil {
		return nil, err
	}
	s.ExpiresAt, s.CreatedAt, s.UpdatedAt = fromMS(expires), fromMS(created), fromMS(updated)
	return &s, nil
}

// Session loads a session by id.
func (d *DB) Session(ctx context.Context, id string) (*checkout.Session, error) {
	return scanSession(d.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

// SessionByIdempotencyKey loads the merchant's session created under key.
func (d *DB) SessionByIdempotencyKey(ctx context.Context, merchantID, key string) (*checkout.Session, error) {
	if key == "" {
		return nil, checkout.ErrNotFound
	}
	return scanSession(d.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE merchant_id = ? AND idempotency_key = ?`, merchantID, key))
}

// ExpireSession moves an open session to expired in one guarded
// statement: only while no payment of it is active (created, processing,
// waiting for the shopper, pending or paid), and, when dueOnly, only once
// its expiry time has passed at. The events are written only when the row
// changed; otherwise it is ErrConflict and nothing is written.
func (d *DB) ExpireSession(ctx context.Context, id string, at time.Time, dueOnly bool, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET status = 'expired', updated_at = ?
			WHERE id = ? AND status = 'open' AND (? = 0 OR expires_at <= ?)
				AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = sessions.id
					AND p.status NOT IN ('failed', 'canceled'))`,
			ms(at), id, dueOnly, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrConflict
		}
		return insertEvents(ctx, tx, events)
	})
}

// SessionsExpiringBefore lists open sessions whose expiry time is before t
// and that have no active payment (those wait for it to settle).
func (d *DB) SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM sessions WHERE status = 'open' AND expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = sessions.id AND p.status NOT IN ('failed', 'canceled'))
		ORDER BY expires_at LIMIT ?`,
		ms(t), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CreatePayment inserts a payment attempt, in one statement, only while its
// session is open and not past its expiry time (at p.CreatedAt):
// ErrSessionNotOpen otherwise. ErrConflict when the session already has an
// active attempt (or the attempt number or form token is taken).
func (d *DB) CreatePayment(ctx context.Context, p *checkout.Payment, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		cols, err := paymentValues(p)
		if err != nil {
			return err
		}
		args := append([]any{p.ID, p.SessionID, p.MerchantID, p.Provider, p.Method}, cols...)
		res, err := tx.ExecContext(ctx, `
			INSERT INTO payments (id, session_id, merchant_id, provider, method, `+paymentMutableColumns+`)
			SELECT ?, ?, ?, ?, ?, `+placeholders(len(cols))+`
			WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ? AND status = 'open' AND expires_at > ?)`,
			append(args, p.SessionID, ms(p.CreatedAt))...)
		if isUniqueViolation(err) {
			return checkout.ErrConflict
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrSessionNotOpen
		}
		return insertEvents(ctx, tx, events)
	})
}

// paymentMutableColumns are the columns paymentValues fills, in its order.
const paymentMutableColumns = `status, amount, currency, capture_mode, provider_ref, provider_data, card, browser, action,
	three_ds, decline, shopper_message, attempt, version, next_check_at, check_count, created_at, updated_at,
	amount_refunded, saved_card_id, form_token, amount_refund_pending`

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// paymentValues are the mutable columns, from status to updated_at, in table order.
func paymentValues(p *checkout.Payment) ([]any, error) {
	data, err := json.Marshal(nonNilMap(p.ProviderData))
	if err != nil {
		return nil, err
	}
	browser, err := json.Marshal(p.Browser)
	if err != nil {
		return nil, err
	}
	return []any{p.Status, p.Amount.Amount, p.Amount.Currency, p.CaptureMode, p.ProviderRef, string(data),
		jsonOrNull(p.Card), string(browser), jsonOrNull(p.Action), jsonOrNull(p.ThreeDS), jsonOrNull(p.Decline),
		p.ShopperMessage, p.Attempt, p.Version, ms(p.NextCheckAt), p.CheckCount, ms(p.CreatedAt), ms(p.UpdatedAt),
		p.AmountRefunded, p.SavedCardID, p.FormToken, p.AmountRefundPending}, nil
}

// UpdatePayment writes p when the stored version is p.Version-1, applies the
// optional session change if the session is still in its From status (with
// the change's own events only then), and appends the events, all in one
// transaction.
func (d *DB) UpdatePayment(ctx context.Context, p *checkout.Payment, session *checkout.SessionChange, events ...checkout.Event) error {
	cols, err := paymentValues(p)
	if err != nil {
		return err
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		if err := updatePayment(ctx, tx, p, cols); err != nil {
			return err
		}
		if session != nil {
			// A paid payment is recorded whatever happened to the session
			// meanwhile; the session moves, and says so, only if it is
			// still where we expect.
			res, err := tx.ExecContext(ctx, `UPDATE sessions SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
				session.To, ms(p.UpdatedAt), p.SessionID, session.From)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				events = append(events, session.Events...)
			}
		}
		return insertEvents(ctx, tx, events)
	})
}

// updatePayment is the compare-and-set write of p's mutable columns.
func updatePayment(ctx context.Context, tx *sql.Tx, p *checkout.Payment, cols []any) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE payments SET status = ?, amount = ?, currency = ?, capture_mode = ?, provider_ref = ?,
			provider_data = ?, card = ?, browser = ?, action = ?, three_ds = ?, decline = ?, shopper_message = ?,
			attempt = ?, version = ?, next_check_at = ?, check_count = ?, created_at = ?, updated_at = ?,
			amount_refunded = ?, saved_card_id = ?, form_token = ?, amount_refund_pending = ?
		WHERE id = ? AND version = ?`,
		append(cols, p.ID, p.Version-1)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return checkout.ErrConflict
	}
	return nil
}

const paymentColumns = `id, session_id, merchant_id, provider, method, ` + paymentMutableColumns

type scanner interface{ Scan(dest ...any) error }

func scanPayment(row scanner) (*checkout.Payment, error) {
	var p checkout.Payment
	var data, browser string
	var card, action, threeDS, decline sql.NullString
	var next, created, updated int64
	err := row.Scan(&p.ID, &p.SessionID, &p.MerchantID, &p.Provider, &p.Method, &p.Status, &p.Amount.Amount,
		&p.Amount.Currency, &p.CaptureMode, &p.ProviderRef, &data, &card, &browser, &action, &threeDS, &decline,
		&p.ShopperMessage, &p.Attempt, &p.Version, &next, &p.CheckCount, &created, &updated, &p.AmountRefunded, &p.SavedCardID, &p.FormToken, &p.AmountRefundPending)
	if err != nil {
		return nil, notFound(err)
	}
	if err := unmarshalAll(data, &p.ProviderData, browser, &p.Browser); err != nil {
		return nil, err
	}
	if err := unmarshalNull(card, &p.Card); err != nil {
		return nil, err
	}
	if err := unmarshalNull(action, &p.Action); err != nil {
		return nil, err
	}
	if err := unmarshalNull(threeDS, &p.ThreeDS); err != nil {
		return nil, err
	}
	if err := unmarshalNull(decline, &p.Decline); err != nil {
		return nil, err
	}
	p.NextCheckAt, p.CreatedAt, p.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	return &p, nil
}

// Payment loads a payment by id.
func (d *DB) Payment(ctx context.Context, id string) (*checkout.Payment, error) {
	return scanPayment(d.db.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id))
}

// SessionPayments lists a session's attempts, oldest first.
func (d *DB) SessionPayments(ctx context.Context, sessionID string) ([]*checkout.Payment, error) {
	return d.payments(ctx, `SELECT `+paymentColumns+` FROM payments WHERE session_id = ? ORDER BY attempt`, sessionID)
}

// PaymentsToCheck lists in-flight (and long-authorized) payments whose
// next inquiry is due.
func (d *DB) PaymentsToCheck(ctx context.Context, now time.Time, limit int) ([]*checkout.Payment, error) {
	return d.payments(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE next_check_at > 0 AND next_check_at <= ?
			AND status IN ('created', 'processing', 'requires_action', 'pending', 'authorized')
		ORDER BY next_check_at LIMIT ?`, ms(now), limit)
}

// PaymentByProviderRef finds a payment by the provider's id for it.
func (d *DB) PaymentByProviderRef(ctx context.Context, provider, ref string) (*checkout.Payment, error) {
	if ref == "" {
		return nil, checkout.ErrNotFound
	}
	return scanPayment(d.db.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE provider = ? AND provider_ref = ? ORDER BY created_at DESC LIMIT 1`, provider, ref))
}

func (d *DB) payments(ctx context.Context, query string, args ...any) ([]*checkout.Payment, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AppendEvents adds entries to the timeline.
func (d *DB) AppendEvents(ctx context.Context, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, events) })
}

func insertEvents(ctx context.Context, tx *sql.Tx, events []checkout.Event) error {
	for _, e := range events {
		data, err := json.Marshal(nonNilMap(e.Data))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, session_id, payment_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			e.ID, e.SessionID, e.PaymentID, e.Type, string(data), ms(e.CreatedAt)); err != nil {
			return err
		}
		if e.Notify != "" {
			if err := queueWebhooks(ctx, tx, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueWebhooks writes the outbox: one pending delivery of the event's
// message to every enabled endpoint of the session's merchant whose
// enabled_events include the event's type. The message
// id (webhook-id) is the event id.
func queueWebhooks(ctx context.Context, tx *sql.Tx, e checkout.Event) error {
	payload, err := checkout.WebhookPayload(e)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT w.id, w.merchant_id, w.enabled_events FROM webhook_endpoints w
		JOIN sessions s ON s.merchant_id = w.merchant_id WHERE s.id = ? AND w.enabled = 1 AND w.deleted_at = 0 ORDER BY w.id`, e.SessionID)
	if err != nil {
		return err
	}
	type target struct{ endpoint, merchant string }
	var targets []target
	for rows.Next() {
		var t target
		var events string
		if err := rows.Scan(&t.endpoint, &t.merchant, &events); err != nil {
			rows.Close()
			return err
		}
		// Only the event types the endpoint enabled are queued for it.
		var enabled []string
		if err := json.Unmarshal([]byte(events), &enabled); err != nil {
			rows.Close()
			return err
		}
		if checkout.WantsEvent(enabled, e.Notify) {
			targets = append(targets, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range targets {
		id := checkout.PrefixWebhookDelivery + strings.TrimPrefix(e.ID, checkout.PrefixEvent)[:24] + strings.TrimPrefix(t.endpoint, checkout.PrefixWebhookEndpoint)[:8]
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, message_id, endpoint_id, merchant_id, type, payload,
			status, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
			ON CONFLICT (message_id, endpoint_id) DO NOTHING`,
			id, e.ID, t.endpoint, t.merchant, e.Notify, payload, ms(e.CreatedAt), ms(e.CreatedAt), ms(e.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

// SessionEvents returns a session's timeline in order.
func (d *DB) SessionEvents(ctx context.Context, sessionID string) ([]checkout.Event, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, session_id, payment_id, type, data, created_at FROM events WHERE session_id = ? ORDER BY seq`, sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []checkout.Event
	for rows.Next() {
		var e checkout.Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.SessionID, &e.PaymentID, &e.Type, &data, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// BeginIdempotent claims an idempotency key. It returns nil when the caller
// owns the key now (new, or an abandoned claim whose lease ran out), or the
// stored record for the caller to replay or refuse.
func (d *DB) BeginIdempotent(ctx context.Context, rec checkout.IdempotencyRecord) (*checkout.IdempotencyRecord, error) {
	var existing *checkout.IdempotencyRecord
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var r checkout.IdempotencyRecord
		var locked, created int64
		err := tx.QueryRowContext(ctx, `SELECT merchant_id, key, request_hash, locked_until, status, body, created_at
			FROM idempotency_keys WHERE merchant_id = ? AND key = ?`, rec.MerchantID, rec.Key).Scan(
			&r.MerchantID, &r.Key, &r.RequestHash, &locked, &r.Status, &r.Body, &created)
		switch {
		case err == sql.ErrNoRows:
			_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (merchant_id, key, request_hash, locked_until, created_at)
				VALUES (?, ?, ?, ?, ?)`, rec.MerchantID, rec.Key, rec.RequestHash, ms(rec.LockedUntil), ms(rec.CreatedAt))
			return err
		case err != nil:
			return err
		}
		r.LockedUntil, r.CreatedAt = fromMS(locked), fromMS(created)
		if r.Status == 0 && r.RequestHash == rec.RequestHash && !rec.CreatedAt.Before(r.LockedUntil) {
			// The first request died holding the lease; take it over.
			_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET locked_until = ? WHERE merchant_id = ? AND key = ?`,
				ms(rec.LockedUntil), rec.MerchantID, rec.Key)
			return err
		}
		existing = &r
		return nil
	})
	return existing, err
}

// CompleteIdempotent stores the answer of the request holding the key.
func (d *DB) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	_, err := d.db.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ?, locked_until = 0 WHERE merchant_id = ? AND key = ?`,
		status, body, merchantID, key)
	return err
}

// ReleaseIdempotent forgets a key whose request should not be remembered
// (it failed validation), so a corrected retry can use it.
func (d *DB) ReleaseIdempotent(ctx context.Context, merchantID, key string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE merchant_id = ? AND key = ? AND status = 0`, merchantID, key)
	return err
}

// PruneIdempotent deletes records created before the cut-off (24 hours ago in production).
func (d *DB) PruneIdempotent(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func jsonOrNull[T any](v *T) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return string(b)
}

func unmarshalNull[T any](s sql.NullString, dst **T) error {
	if !s.Valid {
		return nil
	}
	var v T
	if err := json.Unmarshal([]byte(s.String), &v); err != nil {
		return err
	}
	*dst = &v
	return nil
}

// unmarshalAll decodes pairs of (json string, destination).
func unmarshalAll(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := json.Unmarshal([]byte(pairs[i].(string)), pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// ServerKey returns the key stored under name, storing fresh first when
// there is none yet (the first of several instances to start wins).
func (d *DB) ServerKey(ctx context.Context, name string, fresh []byte, at time.Time) ([]byte, error) {
	if _, err := d.db.ExecContext(ctx, `INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, fresh, ms(at)); err != nil {
		return nil, err
	}
	var key []byte
	if err := d.db.QueryRowContext(ctx, `SELECT value FROM server_keys WHERE name = ?`, name).Scan(&key); err != nil {
		return nil, err
	}
	return key, nil
}
