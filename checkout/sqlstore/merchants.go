package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// SaveMerchant inserts a merchant or updates it by id, with its logo in
// the same transaction: the logo's bytes are stored first when m.Logo.Body
// is set (a logo stored already is kept as it is: the hash is its
// content), and logos no merchant uses any more are deleted, so that a
// replaced or removed logo stops being served. An update is guarded by
// the version m was loaded with (in the upsert's WHERE clause); a key hash
// that changes here ends the previous key's overlap. The events are
// written only when the merchant was. The return secret is written only
// with a new merchant: an update leaves it alone, so that saving a merchant
// read before a rotation cannot undo the rotation (EnsureReturnSecret and
// RotateReturnSecret change it).
func (d *DB) SaveMerchant(ctx context.Context, m *checkout.Merchant, events ...checkout.Event) error {
	returns, _ := json.Marshal(nonNil(m.ReturnOrigins))
	embeds, _ := json.Marshal(nonNil(m.EmbedOrigins))
	var logo any // NULL: no logo
	if m.Logo != nil {
		logo = m.Logo.SHA256
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if l := m.Logo; l != nil && l.Body != nil {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO logos (sha256, content_type, width, height, body) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (sha256) DO NOTHING`,
				l.SHA256, l.ContentType, l.Width, l.Height, l.Body); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO merchants (id, name, api_key_hash, default_provider, live, created_at, return_origins, embed_origins,
				display_name, brand_color, logo_sha256, support_email, support_url, version, return_secret)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, api_key_hash = excluded.api_key_hash,
				default_provider = excluded.default_provider, live = excluded.live,
				return_origins = excluded.return_origins, embed_origins = excluded.embed_origins,
				display_name = excluded.display_name, brand_color = excluded.brand_color, logo_sha256 = excluded.logo_sha256,
				support_email = excluded.support_email, support_url = excluded.support_url,
				previous_api_key_hash = CASE WHEN merchants.api_key_hash = excluded.api_key_hash THEN merchants.previous_api_key_hash END,
				previous_key_expires_at = CASE WHEN merchants.api_key_hash = excluded.api_key_hash THEN merchants.previous_key_expires_at ELSE 0 END,
				version = excluded.version
			WHERE merchants.version = excluded.version - 1`,
			m.ID, m.Name, m.APIKeyHash, m.DefaultProvider, m.Live, ms(m.CreatedAt), string(returns), string(embeds),
			m.DisplayName, m.BrandColor, logo, m.SupportEmail, m.SupportURL, m.Version+1, m.ReturnSecret)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return checkout.ErrConflict // changed since m was loaded
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM logos WHERE NOT EXISTS (SELECT 1 FROM merchants WHERE merchants.logo_sha256 = logos.sha256)`); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	d.forgetMerchant(m.ID)
	if err == nil {
		m.Version++
	}
	return err
}

// RotateMerchantKey replaces the merchant's key hash current with fresh,
// keeping current as the previous key until previousExpiresAt, in one
// statement guarded by current still being the merchant's key.
func (d *DB) RotateMerchantKey(ctx context.Context, id, current, fresh string, previousExpiresAt time.Time, events ...checkout.Event) error {
	defer d.forgetMerchant(id)
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE merchants SET previous_api_key_hash = api_key_hash, previous_key_expires_at = ?,
			api_key_hash = ?, version = version + 1 WHERE id = ? AND api_key_hash = ?`,
			ms(previousExpiresAt), fresh, id, current)
		if err := keyChanged(ctx, tx, res, err, id); err != nil {
			return err // ErrConflict: rotated by another request first
		}
		return insertEvents(ctx, tx, events)
	})
}

// ReplaceMerchantKey replaces the current key hash in one statement
// guarded by both hashes (see checkout.Store), with the events.
func (d *DB) ReplaceMerchantKey(ctx context.Context, id, previous, current, fresh string, events ...checkout.Event) error {
	defer d.forgetMerchant(id)
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE merchants SET api_key_hash = ?, version = version + 1
			WHERE id = ? AND api_key_hash = ? AND previous_api_key_hash = ?`, fresh, id, current, previous)
		if err := keyChanged(ctx, tx, res, err, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// keyChanged is the outcome of a guarded key UPDATE of merchant id: nil
// when it changed the row, ErrConflict when the guard refused it, and
// ErrNotFound when there is no such merchant.
func keyChanged(ctx context.Context, tx *sql.Tx, res sql.Result, err error, id string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM merchants WHERE id = ?`, id).Scan(&one); err != nil {
			return notFound(err)
		}
		return checkout.ErrConflict
	}
	return nil
}

// merchantColumns and merchantsFrom read a merchant with its logo's hash,
// type and size (never the logo's bytes).
const (
	merchantColumns = `merchants.id, merchants.name, merchants.api_key_hash, merchants.default_provider, merchants.live,
		merchants.created_at, merchants.return_origins, merchants.embed_origins, merchants.display_name, merchants.brand_color,
		logos.sha256, logos.content_type, logos.width, logos.height,
		merchants.support_email, merchants.support_url, merchants.previous_api_key_hash, merchants.previous_key_expires_at, merchants.version,
		merchants.return_secret, merchants.previous_return_secret, merchants.previous_return_secret_expires_at`
	merchantsFrom = `merchants LEFT JOIN logos ON logos.sha256 = merchants.logo_sha256`
)

func scanMerchant(row scanner) (*checkout.Merchant, error) {
	var m checkout.Merchant
	var created int64
	var returns, embeds string
	var logoSHA, logoType sql.NullString
	var logoWidth, logoHeight sql.NullInt64
	var previousKey sql.NullString
	var previousExpires, previousReturnExpires int64
	if err := row.Scan(&m.ID, &m.Name, &m.APIKeyHash, &m.DefaultProvider, &m.Live, &created, &returns, &embeds,
		&m.DisplayName, &m.BrandColor, &logoSHA, &logoType, &logoWidth, &logoHeight,
		&m.SupportEmail, &m.SupportURL, &previousKey, &previousExpires, &m.Version,
		&m.ReturnSecret, &m.PreviousReturnSecret, &previousReturnExpires); err != nil {
		return nil, notFound(err)
	}
	m.PreviousKeyHash, m.PreviousKeyExpiresAt = previousKey.String, fromMS(previousExpires)
	if err := unmarshalAll(returns, &m.ReturnOrigins, embeds, &m.EmbedOrigins); err != nil {
		return nil, err
	}
	if logoSHA.Valid {
		m.Logo = &checkout.Logo{SHA256: logoSHA.String, ContentType: logoType.String,
			Width: int(logoWidth.Int64), Height: int(logoHeight.Int64)}
	}
	m.CreatedAt = fromMS(created)
	m.PreviousReturnSecretExpiresAt = fromMS(previousReturnExpires)
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

// MerchantByKeyHash loads the merchant owning a hashed secret key: its
// current key, or its previous key while the overlap lasts at now (the
// expiry is compared here, in the statement). The two unique indexes
// (api_key_hash, merchants_previous_key) serve the two halves.
func (d *DB) MerchantByKeyHash(ctx context.Context, hash string, now time.Time) (*checkout.Merchant, error) {
	return scanMerchant(d.db.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM `+merchantsFrom+`
		WHERE merchants.api_key_hash = ? OR (merchants.previous_api_key_hash = ? AND merchants.previous_key_expires_at > ?)
		ORDER BY merchants.api_key_hash = ? DESC LIMIT 1`, hash, hash, ms(now), hash))
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

// EnsureReturnSecret gives the merchant fresh as its return secret when it
// has none, in one statement guarded by the secret being empty (of two
// callers at once the first one's secret stays), and loads the merchant as
// stored.
func (d *DB) EnsureReturnSecret(ctx context.Context, merchantID, fresh string) (*checkout.Merchant, error) {
	defer d.forgetMerchant(merchantID)
	if _, err := d.db.ExecContext(ctx, `UPDATE merchants SET return_secret = ? WHERE id = ? AND return_secret = ''`, fresh, merchantID); err != nil {
		return nil, err
	}
	return d.Merchant(ctx, merchantID)
}

// RotateReturnSecret swaps in a new return secret in one compare-and-set
// statement: only while current is still the merchant's secret, the old
// one becoming the previous secret (replacing any earlier one) until
// previousUntil. The events are written in the same transaction, and only
// when the row changed.
func (d *DB) RotateReturnSecret(ctx context.Context, merchantID, current, fresh string, previousUntil time.Time, events ...checkout.Event) (*checkout.Merchant, error) {
	defer d.forgetMerchant(merchantID)
	var m *checkout.Merchant
	err := d.tx(ctx, func(tx *sql.Tx) error {
		// SQLite reads every right-hand side from the row as it was, so
		// previous_return_secret gets the old secret.
		res, err := tx.ExecContext(ctx, `UPDATE merchants SET previous_return_secret = return_secret,
			previous_return_secret_expires_at = ?, return_secret = ? WHERE id = ? AND return_secret = ?`,
			ms(previousUntil), fresh, merchantID, current)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM merchants WHERE id = ?`, merchantID).Scan(&one); err != nil {
				return notFound(err)
			}
			return checkout.ErrConflict
		}
		if err := insertEvents(ctx, tx, events); err != nil {
			return err
		}
		m, err = scanMerchant(tx.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM `+merchantsFrom+` WHERE merchants.id = ?`, merchantID))
		return err
	})
	return m, err
}

// MerchantEvents lists the merchant's own events (those of no session),
// newest first, at most limit (index events_of_merchant).
func (d *DB) MerchantEvents(ctx context.Context, merchantID string, limit int) ([]checkout.Event, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, session_id, payment_id, merchant_id, type, data, created_at FROM events
		WHERE merchant_id = ? AND session_id = '' ORDER BY seq DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []checkout.Event
	for rows.Next() {
		var e checkout.Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.SessionID, &e.PaymentID, &e.MerchantID, &e.Type, &data, &created); err != nil {
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
