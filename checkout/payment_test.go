package checkout_test

import (
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestCanTransition(t *testing.T) {
	allowed := map[[2]checkout.PaymentStatus]bool{}
	for _, pair := range [][2]checkout.PaymentStatus{
		{"created", "processing"}, {"created", "failed"}, {"created", "canceled"},
		{"processing", "requires_action"}, {"processing", "succeeded"}, {"processing", "authorized"},
		{"processing", "failed"}, {"processing", "pending"},
		{"requires_action", "processing"}, {"requires_action", "succeeded"}, {"requires_action", "authorized"},
		{"requires_action", "failed"}, {"requires_action", "pending"}, {"requires_action", "canceled"},
		{"pending", "succeeded"}, {"pending", "authorized"}, {"pending", "failed"}, {"pending", "canceled"},
		{"authorized", "captured"}, {"authorized", "canceled"}, {"authorized", "pending"},
		{"succeeded", "refunded"}, {"succeeded", "partially_refunded"},
		{"captured", "refunded"}, {"captured", "partially_refunded"},
		{"partially_refunded", "refunded"}, {"partially_refunded", "partially_refunded"},
	} {
		allowed[pair] = true
	}
	// Every pair of the closed list is checked, so a new edge must be added here on purpose.
	for _, from := range checkout.PaymentStatuses {
		for _, to := range checkout.PaymentStatuses {
			if got := checkout.CanTransition(from, to); got != allowed[[2]checkout.PaymentStatus{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	// Final states never move backwards.
	for _, final := range []checkout.PaymentStatus{"failed", "canceled", "refunded"} {
		for _, to := range checkout.PaymentStatuses {
			if checkout.CanTransition(final, to) {
				t.Errorf("final %s may move to %s", final, to)
			}
		}
	}
}

func TestChallengeWindowFor(t *testing.T) {
	tests := []struct {
		w, h int
		want string
	}{
		{0, 0, "02"}, {1280, 800, "03"}, {700, 600, "04"}, {430, 900, "02"}, {300, 600, "01"}, {200, 300, "01"},
	}
	for _, tt := range tests {
		if got := checkout.ChallengeWindowFor(tt.w, tt.h); got.Code != tt.want {
			t.Errorf("ChallengeWindowFor(%d, %d) = %s, want %s", tt.w, tt.h, got.Code, tt.want)
		}
	}
}
