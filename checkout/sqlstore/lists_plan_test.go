package sqlstore

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Every list query of the merchant API, with and without each filter and
// each cursor, is served by an index: EXPLAIN QUERY PLAN never shows a
// table scanned row by row (SCAN t without USING INDEX), and a filter meant
// to be served by an index of its own (migration 0014) is served by that
// one. A list that scanned its table would read every merchant's rows on
// every page.
func TestListQueriesUseTheirIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "checkout.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	const m = "mer_x"
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	sid, pid := checkout.RandomIDs{}.NewID(checkout.PrefixSession), checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
	cases := []struct {
		name  string
		q     *listQuery
		index string // the index the filter is meant to use; "" for any
	}{
		{"sessions", sessionsList(sqliteDialect, m, checkout.SessionFilter{}), "sessions_list"},
		{"sessions status", sessionsList(sqliteDialect, m, checkout.SessionFilter{Status: checkout.SessionComplete}), "sessions_list_by_status"},
		{"sessions payment_status", sessionsList(sqliteDialect, m, checkout.SessionFilter{PaymentStatus: "paid"}), "sessions_list"},
		{"sessions merchant_reference", sessionsList(sqliteDialect, m, checkout.SessionFilter{MerchantReference: "o-1"}), "sessions_list_by_merchant_reference"},
		{"sessions customer_reference", sessionsList(sqliteDialect, m, checkout.SessionFilter{CustomerReference: "c-1"}), "sessions_list_by_customer_reference"},
		{"sessions customer_email", sessionsList(sqliteDialect, m, checkout.SessionFilter{CustomerEmail: "a@b.test"}), "sessions_list_by_customer_email"},
		{"sessions created[gte]", sessionsList(sqliteDialect, m, checkout.SessionFilter{CreatedFrom: from}), "sessions_list"},
		{"sessions created[lte]", sessionsList(sqliteDialect, m, checkout.SessionFilter{CreatedBefore: from}), "sessions_list_by_created"},
		{"sessions yesterday paid", sessionsList(sqliteDialect, m, checkout.SessionFilter{PaymentStatus: "paid", CreatedFrom: from, CreatedBefore: from.Add(24 * time.Hour)}), "sessions_list_by_created"},
		{"payments", paymentsList(sqliteDialect, m, checkout.PaymentFilter{}), "payments_list"},
		{"payments status", paymentsList(sqliteDialect, m, checkout.PaymentFilter{Status: checkout.PaymentSucceeded}), "payments_list_by_status"},
		{"payments provider", paymentsList(sqliteDialect, m, checkout.PaymentFilter{Provider: "worldline"}), "payments_list_by_provider"},
		{"payments card_last4", paymentsList(sqliteDialect, m, checkout.PaymentFilter{CardLast4: "4242"}), "payments_list_by_card_last4"},
		{"payments session", paymentsList(sqliteDialect, m, checkout.PaymentFilter{SessionID: sid}), "payments_list_by_session"},
		{"refunds", refundsList(m, checkout.RefundFilter{}), "refunds_list"},
		{"refunds payment", refundsList(m, checkout.RefundFilter{PaymentID: pid}), "refunds_by_payment"},
		{"events", eventsList(m, checkout.EventFilter{CreatedFrom: from}), "events_merchant_list"},
		{"events type", eventsList(m, checkout.EventFilter{CreatedFrom: from, Type: "payment.succeeded"}), "events_merchant_list_by_type"},
		{"events session", eventsList(m, checkout.EventFilter{CreatedFrom: from, SessionID: sid}), "events_by_session"},
		{"events payment", eventsList(m, checkout.EventFilter{CreatedFrom: from, PaymentID: pid}), "events_merchant_list_by_payment"},
		{"deliveries", deliveriesList(m, checkout.DeliveryFilter{}), "webhook_deliveries_list"},
		{"deliveries endpoint", deliveriesList(m, checkout.DeliveryFilter{EndpointID: checkout.RandomIDs{}.NewID(checkout.PrefixWebhookEndpoint)}), "webhook_deliveries_list_by_endpoint"},
		{"deliveries event", deliveriesList(m, checkout.DeliveryFilter{EventID: checkout.RandomIDs{}.NewID(checkout.PrefixEvent)}), "webhook_deliveries_list_by_event"},
		{"deliveries outcome", deliveriesList(m, checkout.DeliveryFilter{Status: checkout.DeliveryFailed}), "webhook_deliveries_list_by_status"},
	}
	cursor := "zz_" + strings.Repeat("0", 32)
	pages := map[string]checkout.Page{
		"first page":     {Limit: 11},
		"starting_after": {Limit: 11, StartingAfter: cursor},
		"ending_before":  {Limit: 11, EndingBefore: cursor},
	}
	scan := regexp.MustCompile(`^SCAN (\S+)`)
	for _, tc := range cases {
		for name, page := range pages {
			query, args := tc.q.page(page)
			plan := explain(t, db, query, args)
			for _, step := range plan {
				if m := scan.FindStringSubmatch(step); m != nil && !strings.Contains(step, "USING INDEX") && !strings.Contains(step, "USING COVERING INDEX") {
					t.Errorf("%s, %s: the plan scans %s without an index:\n%s", tc.name, name, m[1], strings.Join(plan, "\n"))
				}
			}
			if tc.index != "" && !strings.Contains(strings.Join(plan, "\n"), "INDEX "+tc.index+" ") {
				t.Errorf("%s, %s: the plan does not use %s:\n%s", tc.name, name, tc.index, strings.Join(plan, "\n"))
			}
		}
		query, args := tc.q.cursor(m, cursor)
		if plan := explain(t, db, query, args); !strings.Contains(strings.Join(plan, "\n"), "SEARCH t USING") {
			t.Errorf("%s: the cursor lookup does not search an index:\n%s", tc.name, strings.Join(plan, "\n"))
		}
	}
}

// explain is the EXPLAIN QUERY PLAN of query: the detail of each step.
func explain(t *testing.T, db *DB, query string, args []any) []string {
	t.Helper()
	rows, err := db.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) == 0 {
		t.Fatalf("no plan for %s", query)
	}
	return plan
}
