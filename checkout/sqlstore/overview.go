package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// countedStatuses is the SQL list of the payment statuses the overview's
// volume counts (checkout.PaymentStatus.Counted), built from that method
// so that the two cannot drift.
var countedStatuses = func() string {
	var in []string
	for _, st := range checkout.PaymentStatuses {
		if st.Counted() {
			in = append(in, "'"+string(st)+"'")
		}
	}
	return "(" + strings.Join(in, ", ") + ")"
}()

// OverviewStats counts a merchant's window for the dashboard's overview
// (see checkout.Store). Sessions and payments are read through their
// list indexes, from the least id one made at from can have; provider
// calls through events_provider_calls.
func (d *DB) OverviewStats(ctx context.Context, merchantID string, from, to time.Time) (*checkout.OverviewStats, error) {
	st := &checkout.OverviewStats{}
	utcDay := d.dialect.utcDay("t.created_at")
	skewed := from.Add(-checkout.MaxIDClockSkew)
	payments := `FROM payments t INDEXED BY payments_list WHERE t.merchant_id = ? AND t.id >= ? AND t.created_at >= ? AND t.created_at < ?`
	pargs := []any{merchantID, checkout.IDFloor(checkout.PrefixPayment, skewed), ms(from), ms(to)}

	err := d.each(ctx, `SELECT `+utcDay+`, t.currency, sum(t.amount), count(*) `+payments+
		` AND t.status IN `+countedStatuses+` GROUP BY 1, 2`, pargs, func(s scanner) error {
		var v checkout.DayVolume
		if err := s.Scan(&v.Day, &v.Currency, &v.Amount, &v.Count); err != nil {
			return err
		}
		st.Volume = append(st.Volume, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Opened: the page was viewed, or a payment was tried (which only the
	// page starts, should its view have gone unrecorded).
	err = d.each(ctx, `SELECT `+utcDay+`, count(*),
		sum(CASE WHEN t.viewed_at > 0 OR EXISTS (SELECT 1 FROM payments p WHERE p.session_id = t.id) THEN 1 ELSE 0 END),
		sum(CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.session_id = t.id AND p.status IN `+countedStatuses+`) THEN 1 ELSE 0 END)
		FROM sessions t INDEXED BY sessions_list WHERE t.merchant_id = ? AND t.id >= ? AND t.created_at >= ? AND t.created_at < ?
		GROUP BY 1`, []any{merchantID, checkout.IDFloor(checkout.PrefixSession, skewed), ms(from), ms(to)}, func(s scanner) error {
		var v checkout.DaySessions
		if err := s.Scan(&v.Day, &v.Created, &v.Opened, &v.Paid); err != nil {
			return err
		}
		st.Sessions = append(st.Sessions, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	reasons := func(query string, into *[]checkout.ReasonCount) error {
		return d.each(ctx, query, pargs, func(s scanner) error {
			var r checkout.ReasonCount
			if err := s.Scan(&r.Reason, &r.Count); err != nil {
				return err
			}
			*into = append(*into, r)
			return nil
		})
	}
	if err := reasons(`SELECT coalesce(`+d.dialect.jsonText("t.decline", "code")+`, ''), count(*) `+payments+
		` AND t.status = 'failed' GROUP BY 1`, &st.Declines); err != nil {
		return nil, err
	}
	if err := reasons(`SELECT coalesce(`+d.dialect.jsonText("t.three_ds", "flow")+`, ''), count(*) `+payments+
		` AND t.three_ds IS NOT NULL GROUP BY 1`, &st.ThreeDS); err != nil {
		return nil, err
	}
	err = d.each(ctx, `SELECT coalesce(`+d.dialect.jsonText("t.data", "provider")+`, ''), coalesce(`+d.dialect.jsonInt("t.data", "duration_ms")+`, -1)
		FROM events t INDEXED BY events_provider_calls
		WHERE t.merchant_id = ? AND t.type = 'provider.call' AND t.created_at >= ? AND t.created_at < ?
		ORDER BY t.created_at DESC LIMIT ?`, []any{merchantID, ms(from), ms(to), checkout.MaxOverviewCalls}, func(s scanner) error {
		var c checkout.ProviderCallTime
		if err := s.Scan(&c.Provider, &c.DurationMS); err != nil {
			return err
		}
		st.Calls = append(st.Calls, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// each runs query and calls row for each row.
func (d *DB) each(ctx context.Context, query string, args []any, row func(scanner) error) error {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// OperationalStats counts the waiting work (see checkout.Store), through
// the partial indexes of due deliveries and of payments due for a check.
func (d *DB) OperationalStats(ctx context.Context) (*checkout.OperationalStats, error) {
	st := &checkout.OperationalStats{}
	var oldest int64
	if err := d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(min(created_at), 0) FROM webhook_deliveries
		WHERE status = 'pending'`).Scan(&st.WebhooksPending, &oldest); err != nil {
		return nil, err
	}
	st.OldestWebhook = fromMS(oldest)
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM payments
		WHERE next_check_at > 0 AND status IN ('processing', 'pending')`).Scan(&st.PaymentsReconciling); err != nil {
		return nil, err
	}
	return st, nil
}
