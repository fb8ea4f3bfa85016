package checkout_test

import (
	"github.com/opencheckout/hostedcheckout/templates/i18n"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

var today = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestParseCard(t *testing.T) {
	tests := []struct {
		name                        string
		number, expiry, cvc, holder string
		wantErr                     []string // fields with errors
		wantBrand                   checkout.CardBrand
		wantMonth, wantYear         int
	}{
		{"visa with spaces", "4242 4242 4242 4242", "12 / 30", "123", "Ada Lovelace", nil, checkout.BrandVisa, 12, 2030},
		{"mastercard dashes", "5555-5555-5555-4444", "01/2031", "999", "A B", nil, checkout.BrandMastercard, 1, 2031},
		{"amex four digit cvc", "3782 822463 10005", "0628", "1234", "Grace Hopper", nil, checkout.BrandAmex, 6, 2028},
		{"this month still valid", "4242424242424242", "11/26", "123", "X Y", nil, checkout.BrandVisa, 11, 2026},
		{"luhn failure", "4242 4242 4242 4241", "12/30", "123", "Ada", []string{checkout.FieldCardNumber}, "", 0, 0},
		{"letters in number", "4242 4242 4242 abcd", "12/30", "123", "Ada", []string{checkout.FieldCardNumber}, "", 0, 0},
		{"too short", "4242 4242", "12/30", "123", "Ada", []string{checkout.FieldCardNumber}, "", 0, 0},
		{"too long", "4242 4242 4242 4242 4242", "12/30", "123", "Ada", []string{checkout.FieldCardNumber}, "", 0, 0},
		{"empty everything", "", "", "", "", []string{checkout.FieldCardNumber, checkout.FieldCardExpiry, checkout.FieldCardCVC, checkout.FieldCardholder}, "", 0, 0},
		{"expired last month", "4242424242424242", "10/26", "123", "Ada", []string{checkout.FieldCardExpiry}, "", 0, 0},
		{"month 13", "4242424242424242", "13/30", "123", "Ada", []string{checkout.FieldCardExpiry}, "", 0, 0},
		{"month 00", "4242424242424242", "00/30", "123", "Ada", []string{checkout.FieldCardExpiry}, "", 0, 0},
		{"expiry garbage", "4242424242424242", "soon", "123", "Ada", []string{checkout.FieldCardExpiry}, "", 0, 0},
		{"expiry too far", "4242424242424242", "12/2099", "123", "Ada", []string{checkout.FieldCardExpiry}, "", 0, 0},
		{"visa with 4 digit cvc", "4242424242424242", "12/30", "1234", "Ada", []string{checkout.FieldCardCVC}, "", 0, 0},
		{"amex with 3 digit cvc", "378282246310005", "12/30", "123", "Ada", []string{checkout.FieldCardCVC}, "", 0, 0},
		{"cvc letters", "4242424242424242", "12/30", "12a", "Ada", []string{checkout.FieldCardCVC}, "", 0, 0},
		{"name with digits", "4242424242424242", "12/30", "123", "4242424242424242", []string{checkout.FieldCardholder}, "", 0, 0},
		{"name too long", "4242424242424242", "12/30", "123", strings.Repeat("a", 101), []string{checkout.FieldCardholder}, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card, errs := checkout.ParseCard(tt.number, tt.expiry, tt.cvc, tt.holder, today)
			if len(errs) != len(tt.wantErr) {
				t.Fatalf("errors %v, want fields %v", errs, tt.wantErr)
			}
			for _, f := range tt.wantErr {
				fe, ok := errs[f]
				msg := i18n.English().N(fe.Key, fe.Count)
				if !ok || msg == fe.Key {
					t.Fatalf("no error for %s in %v", f, errs)
				}
				digits := strings.Map(func(r rune) rune {
					if r >= '0' && r <= '9' {
						return r
					}
					return -1
				}, tt.number)
				if len(digits) >= 6 && strings.Contains(msg, digits) || tt.cvc != "" && strings.Contains(msg, tt.cvc) {
					t.Fatalf("error message %q echoes card data", msg)
				}
			}
			if tt.wantErr == nil {
				if card.Brand() != tt.wantBrand || card.ExpMonth != tt.wantMonth || card.ExpYear != tt.wantYear {
					t.Fatalf("card %v exp %d/%d, want %s %d/%d", card.Brand(), card.ExpMonth, card.ExpYear, tt.wantBrand, tt.wantMonth, tt.wantYear)
				}
			}
		})
	}
}

func TestDetectBrand(t *testing.T) {
	for in, want := range map[string]checkout.CardBrand{
		"4": checkout.BrandVisa, "51": checkout.BrandMastercard, "2221": checkout.BrandMastercard, "2720": checkout.BrandMastercard,
		"2721": checkout.BrandUnknown, "34": checkout.BrandAmex, "37": checkout.BrandAmex, "6011": checkout.BrandDiscover,
		"65": checkout.BrandDiscover, "3528": checkout.BrandJCB, "3589": checkout.BrandJCB, "36": checkout.BrandDiners,
		"305": checkout.BrandDiners, "62": checkout.BrandUnionPay, "9": checkout.BrandUnknown, "": checkout.BrandUnknown,
	} {
		if got := checkout.DetectBrand(in); got != want {
			t.Errorf("DetectBrand(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for in, want := range map[string]bool{
		"4242424242424242": true, "4000000000003220": true, "378282246310005": true, "79927398713": true,
		"4242424242424241": false, "": false, "42a2": false,
	} {
		if got := checkout.Luhn(in); got != want {
			t.Errorf("Luhn(%q) = %v", in, got)
		}
	}
}

// A card can be printed, logged or JSON-encoded by mistake: none of those
// may ever show the number or the security code.
func TestCardInputNeverPrintsSecrets(t *testing.T) {
	card, errs := checkout.ParseCard("4000 0000 0000 3220", "12/30", "987", "Ada Lovelace", today)
	if errs != nil {
		t.Fatal(errs)
	}
	var logged strings.Builder
	// No time: its digits could hold the security code by chance.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	log := slog.New(slog.NewJSONHandler(&logged, noTime))
	log.Info("card", "card", card, "ptr", &card)
	slog.New(slog.NewTextHandler(&logged, noTime)).Info("card", "card", card)
	js, _ := json.Marshal(map[string]any{"card": card, "ptr": &card})
	outputs := []string{
		fmt.Sprint(card), fmt.Sprintf("%v %+v %#v %s %q %x", card, card, card, card, card, card), fmt.Sprintf("%+v", &card),
		card.String(), string(js), logged.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, "4000000000003220") || strings.Contains(out, "987") || strings.Contains(out, "000000") {
			t.Fatalf("card data leaked: %s", out)
		}
		if !strings.Contains(out, "3220") {
			t.Fatalf("masked form missing last 4: %s", out)
		}
	}
}

// A provider call's transport error is described without its URL.
func TestTransportReason(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "no answer in time"},
		{context.Canceled, "canceled"},
		{&url.Error{Op: "Post", URL: "https://api.example/secret-path?k=v", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, "dial: connection refused"},
		{&url.Error{Op: "Post", URL: "https://api.example/x", Err: fmt.Errorf("wrapped: %w", context.DeadlineExceeded)}, "no answer in time"},
	} {
		if got := checkout.TransportReason(tt.err); got != tt.want || strings.Contains(got, "api.example") {
			t.Errorf("%v: %q, want %q", tt.err, got, tt.want)
		}
	}
}
