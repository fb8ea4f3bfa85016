package checkout_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// inquiringProvider can also be asked about refunds.
type inquiringProvider struct {
	*managedProvider
	mu        sync.Mutex
	inquiries []string
	answer    func(r checkout.Refund) (checkout.RefundOutcome, error)
}

func (p *inquiringProvider) InquireRefund(ctx context.Context, pay checkout.Payment, r checkout.Refund) (checkout.RefundOutcome, error) {
	p.mu.Lock()
	p.inquiries = append(p.inquiries, r.ID)
	p.mu.Unlock()
	return p.answer(r)
}

func refundService(t *testing.T) (*inquiringProvider, *checkout.Service, *checkout.Merchant, *clock) {
	t.Helper()
	mp := &managedProvider{fakeProvider: &fakeProvider{
		pay:     outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "wl-9"}, nil),
		inquire: outcome(checkout.Outcome{Status: checkout.OutcomePending}, nil),
	}}
	ip := &inquiringProvider{managedProvider: mp}
	svc, m, clk := MustService(t, ip)
	if err := svc.Store.SaveWebhookEndpoint(context.Background(), &checkout.WebhookEndpoint{ID: "we_" + strings.Repeat("r", 32),
		MerchantID: m.ID, URL: "https://shop.test/hooks", Secret: checkout.NewWebhookSecret(), Enabled: true, CreatedAt: today}); err != nil {
		t.Fatal(err)
	}
	return ip, svc, m, clk
}

// webhooksOf lists the queued merchant webhooks as "type id" with their
// data, oldest first.
func webhooksOf(t *testing.T, svc *checkout.Service, m *checkout.Merchant) ([]string, []map[string]any) {
	t.Helper()
	ds, err := svc.Store.WebhookDeliveries(context.Background(), m.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var data []map[string]any
	for i := len(ds) - 1; i >= 0; i-- {
		var body struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(ds[i].Payload, &body); err != nil {
			t.Fatal(err)
		}
		names = append(names, body.Type+" "+body.Data["id"].(string))
		data = append(data, body.Data)
	}
	return names, data
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// Issue 12, defect 3: a refund whose answer is unknown stays pending with
// its amount reserved, and is never counted as refunded: a later refund of
// the rest leaves the payment partially refunded, not refunded, until the
// pending one is confirmed by an inquiry.
func TestPendingRefundIsNotRefundedUntilTheProviderSaysSo(t *testing.T) {
	ctx := context.Background()
	ip, svc, m, clk := refundService(t)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)

	ip.refund = func(checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{}, errors.New("worldline: timeout")
	}
	lost, got, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 400})
	if err != nil || lost.Status != checkout.RefundPending {
		t.Fatalf("refund without an answer: %+v %v", lost, err)
	}
	if got.Status != checkout.PaymentSucceeded || got.AmountRefunded != 0 || got.AmountRefundPending != 400 {
		t.Fatalf("payment with a pending refund: %s, refunded %d, pending %d", got.Status, got.AmountRefunded, got.AmountRefundPending)
	}
	// The rest goes through: partially refunded, 600 of 1000.
	ip.refund = func(r checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundSucceeded, ProviderRef: "rf-" + r.RefundID}, nil
	}
	rest, got, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{})
	if err != nil || rest.Amount.Amount != 600 || rest.Status != checkout.RefundSucceeded {
		t.Fatalf("refund of the rest: %+v %v", rest, err)
	}
	if got.Status != checkout.PaymentPartiallyRefunded || got.AmountRefunded != 600 || got.AmountRefundPending != 400 {
		t.Fatalf("after the rest: %s, refunded %d, pending %d; a pending refund was counted as refunded", got.Status, got.AmountRefunded, got.AmountRefundPending)
	}
	if _, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 1}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("refunding past the reservations: %v", err)
	}

	// The inquiry schedule settles the pending one.
	ip.answer = func(r checkout.Refund) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundSucceeded, ProviderRef: "rf-late"}, nil
	}
	if n, _ := svc.CheckRefundsDue(ctx); n != 0 {
		t.Fatalf("%d refunds checked before their time", n)
	}
	clk.Add(3 * time.Second)
	if n, err := svc.CheckRefundsDue(ctx); n != 1 || err != nil {
		t.Fatalf("checked %d: %v", n, err)
	}
	after, _ := svc.MerchantPayment(ctx, m.ID, p.ID)
	if after.Status != checkout.PaymentRefunded || after.AmountRefunded != 1000 || after.AmountRefundPending != 0 {
		t.Fatalf("after the inquiry: %s, refunded %d, pending %d", after.Status, after.AmountRefunded, after.AmountRefundPending)
	}
	r, _ := svc.MerchantRefund(ctx, m.ID, lost.ID)
	if r.Status != checkout.RefundSucceeded || r.ProviderRef != "rf-late" || !r.NextCheckAt.IsZero() {
		t.Fatalf("the pending refund after the inquiry: %+v", r)
	}

	names, data := webhooksOf(t, svc, m)
	if countOf(names, "refund.succeeded "+lost.ID) != 1 || countOf(names, "refund.succeeded "+rest.ID) != 1 {
		t.Fatalf("refund webhooks: %v", names)
	}
	// payment.refunded is sent for each confirmed refund, and the last one
	// is the whole amount; never while the 400 was pending.
	var refundedAmounts []any
	for i, n := range names {
		if n == "payment.refunded "+p.ID {
			refundedAmounts = append(refundedAmounts, data[i]["amount_refunded"])
			if data[i]["status"] == string(checkout.PaymentRefunded) && data[i]["amount_refunded"] != float64(1000) {
				t.Errorf("payment.refunded says refunded with %v refunded", data[i]["amount_refunded"])
			}
		}
	}
	if len(refundedAmounts) != 2 || refundedAmounts[0] != float64(600) || refundedAmounts[1] != float64(1000) {
		t.Fatalf("payment.refunded amounts %v, want [600 1000]", refundedAmounts)
	}
	for i, n := range names {
		if strings.HasPrefix(n, "refund.") && data[i]["payment_id"] != p.ID {
			t.Errorf("refund webhook without its payment: %v", data[i])
		}
	}
}

// A refund the provider holds in process (Worldline PENDING_APPROVAL, Antom
// REFUND_IN_PROCESS) is inquired until it settles either way; a refused one
// releases its reservation, says refund.failed, and can be retried once.
func TestRefundInProcessThenRefusedThenRetried(t *testing.T) {
	ctx := context.Background()
	ip, svc, m, clk := refundService(t)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	ip.refund = func(checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundPending, ProviderRef: "rf-1"}, nil
	}
	r, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 700})
	if err != nil || r.Status != checkout.RefundPending || r.ProviderRef != "rf-1" {
		t.Fatalf("refund in process: %+v %v", r, err)
	}
	inProcess := true
	ip.answer = func(checkout.Refund) (checkout.RefundOutcome, error) {
		if inProcess {
			return checkout.RefundOutcome{Status: checkout.RefundPending}, nil
		}
		return checkout.RefundOutcome{Status: checkout.RefundFailed, ProviderCode: "REJECTED"}, nil
	}
	for range 3 {
		clk.Add(10 * time.Second)
		if _, err := svc.CheckRefundsDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := svc.MerchantRefund(ctx, m.ID, r.ID); got.Status != checkout.RefundPending || got.CheckCount != 3 {
		t.Fatalf("after three inquiries in process: %+v", got)
	}
	inProcess = false
	clk.Add(10 * time.Second)
	if _, err := svc.CheckRefundsDue(ctx); err != nil {
		t.Fatal(err)
	}
	failed, _ := svc.MerchantRefund(ctx, m.ID, r.ID)
	pay, _ := svc.MerchantPayment(ctx, m.ID, p.ID)
	if failed.Status != checkout.RefundFailed || failed.ProviderCode != "REJECTED" || pay.AmountRefundPending != 0 ||
		pay.AmountRefunded != 0 || pay.Status != checkout.PaymentSucceeded {
		t.Fatalf("after the refusal: refund %+v, payment %s %d/%d", failed, pay.Status, pay.AmountRefunded, pay.AmountRefundPending)
	}
	names, data := webhooksOf(t, svc, m)
	if countOf(names, "refund.failed "+r.ID) != 1 || countOf(names, "payment.refunded "+p.ID) != 0 {
		t.Fatalf("webhooks: %v", names)
	}
	for i, n := range names {
		if n == "refund.failed "+r.ID && data[i]["failure_code"] != "REJECTED" {
			t.Errorf("refund.failed data %v", data[i])
		}
	}

	// Retry: a new refund of the same amount, once.
	if _, _, err := svc.RetryRefund(ctx, m.ID, "re_nope"); checkout.ErrorCodeOf(err) != checkout.ENotFound {
		t.Fatalf("retry of no refund: %v", err)
	}
	ip.refund = func(req checkout.RefundRequest) (checkout.RefundOutcome, error) {
		if req.RefundID == r.ID {
			t.Error("the retry reused the refused refund's key")
		}
		return checkout.RefundOutcome{Status: checkout.RefundSucceeded}, nil
	}
	var wg sync.WaitGroup
	retries := make([]*checkout.Refund, 5)
	for i := range retries {
		wg.Go(func() {
			retries[i], _, _ = svc.RetryRefund(ctx, m.ID, r.ID)
		})
	}
	wg.Wait()
	for _, x := range retries {
		if x == nil || x.ID != retries[0].ID || x.RetryOf != r.ID || x.Amount.Amount != 700 {
			t.Fatalf("concurrent retries: %+v", retries)
		}
	}
	if pay, _ := svc.MerchantPayment(ctx, m.ID, p.ID); pay.AmountRefunded != 700 || pay.Status != checkout.PaymentPartiallyRefunded {
		t.Fatalf("after the retry: %s %d", pay.Status, pay.AmountRefunded)
	}
	if ip.refunds.Load() != 2 {
		t.Fatalf("%d refund calls, want the first and one retry", ip.refunds.Load())
	}
	if _, _, err := svc.RetryRefund(ctx, m.ID, retries[0].ID); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("retrying a succeeded refund: %v", err)
	}
}

// A refund the provider never received (the process died before the call,
// or the call was refused before processing) is found missing by the
// inquiry and sent again under the same key; the provider refunds once.
func TestRefundNotFoundIsSentAgainUnderItsKey(t *testing.T) {
	ctx := context.Background()
	ip, svc, m, clk := refundService(t)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	var keys []string
	ip.refund = func(req checkout.RefundRequest) (checkout.RefundOutcome, error) {
		keys = append(keys, req.IdempotencyKey)
		if len(keys) == 1 {
			return checkout.RefundOutcome{}, errors.New("worldline: HTTP 503")
		}
		return checkout.RefundOutcome{Status: checkout.RefundSucceeded}, nil
	}
	ip.answer = func(checkout.Refund) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{}, checkout.ErrRefundNotFound
	}
	r, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{})
	if err != nil || r.Status != checkout.RefundPending {
		t.Fatalf("refund: %+v %v", r, err)
	}
	clk.Add(3 * time.Second)
	if _, err := svc.CheckRefundsDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.MerchantRefund(ctx, m.ID, r.ID)
	if got.Status != checkout.RefundSucceeded || len(keys) != 2 || keys[0] != r.ID || keys[1] != r.ID {
		t.Fatalf("refund %s after not-found, calls under %v", got.Status, keys)
	}
	if pay, _ := svc.MerchantPayment(ctx, m.ID, p.ID); pay.Status != checkout.PaymentRefunded {
		t.Fatalf("payment %s", pay.Status)
	}
}

// The same refund request sent again under its Idempotency-Key (the answer
// was lost: a crash after the refund was stored) finds the refund; it is
// never a second refund, and another request under the key is refused.
func TestRefundIdempotencyKeyFindsTheRefund(t *testing.T) {
	ctx := context.Background()
	ip, svc, m, _ := refundService(t)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	ip.refund = func(checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundSucceeded}, nil
	}
	first, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 300, IdempotencyKey: "refund-1"})
	if err != nil {
		t.Fatal(err)
	}
	again, pay, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 300, IdempotencyKey: "refund-1"})
	if err != nil || again.ID != first.ID || pay.AmountRefunded != 300 || ip.refunds.Load() != 1 {
		t.Fatalf("the same request again: %+v %v, %d refunded, %d calls", again, err, pay.AmountRefunded, ip.refunds.Load())
	}
	if _, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 200, IdempotencyKey: "refund-1"}); checkout.ErrorCodeOf(err) != checkout.EIdempotencyMismatch {
		t.Fatalf("another amount under the key: %v", err)
	}
}

// A verified refund notification is a trigger: the refund is settled by an
// inquiry where the provider can be asked, by the notification otherwise;
// one about a settled refund or with another amount changes nothing.
func TestRefundNotifications(t *testing.T) {
	ctx := context.Background()
	ip, svc, m, _ := refundService(t)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	ip.refund = func(checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundPending, ProviderRef: "rf-n"}, nil
	}
	r, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{Amount: 250})
	if err != nil {
		t.Fatal(err)
	}
	var next checkout.Notification
	ip.notification = func(checkout.NotificationRequest) (checkout.Notification, error) { return next, nil }
	settled := false
	ip.answer = func(checkout.Refund) (checkout.RefundOutcome, error) {
		if settled {
			return checkout.RefundOutcome{Status: checkout.RefundSucceeded}, nil
		}
		return checkout.RefundOutcome{Status: checkout.RefundPending}, nil
	}
	other := checkout.Money{Amount: 249, Currency: "EUR"}
	next = checkout.Notification{EventID: "rf-ev-1", Type: "refund.refunded", Refund: &checkout.RefundNotice{
		RefundID: r.ID, Amount: &other, Outcome: checkout.RefundOutcome{Status: checkout.RefundSucceeded}}}
	if _, err := svc.Notify(ctx, "fake", checkout.NotificationRequest{Method: http.MethodPost}); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantRefund(ctx, m.ID, r.ID); got.Status != checkout.RefundPending || len(ip.inquiries) != 0 {
		t.Fatalf("a notification with another amount moved the refund: %+v", got)
	}
	settled = true
	amount := r.Amount
	next = checkout.Notification{EventID: "rf-ev-2", Type: "refund.refunded", Refund: &checkout.RefundNotice{
		ProviderRef: "rf-n", Amount: &amount, Outcome: checkout.RefundOutcome{Status: checkout.RefundSucceeded}}}
	if _, err := svc.Notify(ctx, "fake", checkout.NotificationRequest{Method: http.MethodPost}); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantRefund(ctx, m.ID, r.ID); got.Status != checkout.RefundSucceeded || len(ip.inquiries) != 1 {
		t.Fatalf("after the notification: %+v, %d inquiries", got, len(ip.inquiries))
	}
	// A late "failed" for a settled refund changes nothing.
	next = checkout.Notification{EventID: "rf-ev-3", Type: "refund.rejected", Refund: &checkout.RefundNotice{
		RefundID: r.ID, Amount: &amount, Outcome: checkout.RefundOutcome{Status: checkout.RefundFailed}}}
	if _, err := svc.Notify(ctx, "fake", checkout.NotificationRequest{Method: http.MethodPost}); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.MerchantRefund(ctx, m.ID, r.ID); got.Status != checkout.RefundSucceeded || len(ip.inquiries) != 1 {
		t.Fatalf("a late refusal moved a settled refund: %+v", got)
	}
	if pay, _ := svc.MerchantPayment(ctx, m.ID, p.ID); pay.AmountRefunded != 250 || pay.AmountRefundPending != 0 {
		t.Fatalf("payment %d/%d", pay.AmountRefunded, pay.AmountRefundPending)
	}
}

// A pending refund is never left unchecked: past the whole schedule it is
// still inquired, at the schedule's last interval.
func TestPendingRefundKeepsBeingChecked(t *testing.T) {
	ctx := context.Background()
	ip, svc, m, clk := refundService(t)
	p := paidWith(t, svc, m, checkout.CaptureAutomatic)
	ip.refund = func(checkout.RefundRequest) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{Status: checkout.RefundPending}, nil
	}
	ip.answer = func(checkout.Refund) (checkout.RefundOutcome, error) {
		return checkout.RefundOutcome{}, errors.New("HTTP 502")
	}
	r, _, err := svc.Refund(ctx, m.ID, p.ID, checkout.RefundParams{})
	if err != nil {
		t.Fatal(err)
	}
	for range 40 {
		clk.Add(8*time.Hour + time.Second)
		if _, err := svc.CheckRefundsDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := svc.MerchantRefund(ctx, m.ID, r.ID)
	if got.Status != checkout.RefundPending || got.CheckCount != 40 || got.NextCheckAt.IsZero() || got.NextCheckAt.Sub(clk.Now()) > 8*time.Hour {
		t.Fatalf("after 40 unknown inquiries: %+v", got)
	}
}
