package checkout_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func paramOf(err error) string {
	var e *checkout.Error
	if errors.As(err, &e) {
		return e.Param
	}
	return ""
}

// The settings' checks: support email and URL, origins, the key overlap.
func TestMerchantSettingsChecks(t *testing.T) {
	for in, want := range map[string]string{"": "", "  ": "", " help@shop.example ": "help@shop.example", "a.b+c@mail.shop.example": "a.b+c@mail.shop.example"} {
		if got, err := checkout.ParseSupportEmail(in); err != nil || got != want {
			t.Errorf("ParseSupportEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"help", "help@", "@shop.example", "help@shop", "Help <help@shop.example>", `"a b"@shop.example`,
		"help@shop.example?subject=x", "a#b@shop.example", "help@.shop.example", "help@shop.example.", "a@b@shop.example",
		strings.Repeat("a", 250) + "@shop.example", "hel\u202ep@shop.example"} {
		if _, err := checkout.ParseSupportEmail(bad); paramOf(err) != "support_email" {
			t.Errorf("ParseSupportEmail(%q): %v, want a refusal naming support_email", bad, err)
		}
	}
	for _, c := range []struct {
		in    string
		local bool
		ok    bool
	}{
		{"", false, true}, {"https://shop.example/help", false, true}, {"https://shop.example", false, true},
		{"http://localhost:3000/help", true, true}, {"http://127.0.0.1/help", true, true},
		{"http://localhost:3000/help", false, false}, {"http://shop.example/help", true, false},
		{"ftp://shop.example", true, false}, {"javascript:alert(1)", true, false}, {"//shop.example", true, false},
		{"https://a@shop.example", true, false}, {`https://shop.example/a"b`, true, false}, {"https://shop.example/<script>", true, false},
		{"https://shop.example/it's", true, false}, {"https://shop.example/" + strings.Repeat("a", checkout.MaxURLLength), true, false},
	} {
		_, err := checkout.ParseSupportURL(c.in, c.local)
		if (err == nil) != c.ok || (err != nil && paramOf(err) != "support_url") {
			t.Errorf("ParseSupportURL(%q, local %v): %v", c.in, c.local, err)
		}
	}
	if got, err := checkout.ParseOrigins("embed_origins", []string{"https://A.example/", "http://localhost:8080"}, false); err != nil ||
		!slices.Equal(got, []string{"https://a.example", "http://localhost:8080"}) {
		t.Errorf("ParseOrigins: %v %v", got, err)
	}
	if _, err := checkout.ParseOrigins("embed_origins", []string{"https://a.example", "http://localhost:8080"}, true); paramOf(err) != "embed_origins[1]" {
		t.Errorf("http://localhost on a live merchant: %v", err)
	}
	for s, ok := range map[int64]bool{-1: false, 0: true, 1: true, 604800: true, 604801: false, 1 << 62: false} {
		d, err := checkout.KeyOverlap(&s)
		if (err == nil) != ok || (ok && d != time.Duration(s)*time.Second) || (!ok && paramOf(err) != "expire_previous_in") {
			t.Errorf("KeyOverlap(%d) = %v, %v", s, d, err)
		}
	}
	if d, err := checkout.KeyOverlap(nil); err != nil || d != 24*time.Hour {
		t.Errorf("KeyOverlap(nil) = %v, %v; want the 24 h default", d, err)
	}
}

// UpdateMerchant names the changed fields in its one event, writes nothing
// for a change to the same values, refuses http origins and support URLs
// for a live merchant, and answers a stale merchant with EConflict.
func TestUpdateMerchant(t *testing.T) {
	svc, m, _ := MustService(t, &fakeProvider{})
	ctx := context.Background()
	loaded, err := svc.Merchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	name, email := "Corner Café", "help@shop.example"
	next, changed, err := svc.UpdateMerchant(ctx, loaded, checkout.MerchantChanges{DisplayName: &name, SupportEmail: &email})
	if err != nil || !slices.Equal(changed, []string{"display_name", "support_email"}) || next.DisplayName != name || next.SupportEmail != email {
		t.Fatalf("update: %v %v %+v", changed, err, next)
	}
	same, changed, err := svc.UpdateMerchant(ctx, next, checkout.MerchantChanges{DisplayName: &name})
	if err != nil || changed != nil || same.Version != next.Version {
		t.Fatalf("the same values again: %v %v, version %d → %d", changed, err, next.Version, same.Version)
	}
	// loaded is stale now.
	other := "Other"
	if _, _, err := svc.UpdateMerchant(ctx, loaded, checkout.MerchantChanges{DisplayName: &other}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("a stale merchant: %v, want EConflict", err)
	}
	live := *next
	live.Live = true
	origins, page := []string{"http://localhost:3000"}, "http://localhost:3000/help"
	if _, _, err := svc.UpdateMerchant(ctx, &live, checkout.MerchantChanges{EmbedOrigins: &origins}); paramOf(err) != "embed_origins[0]" {
		t.Errorf("a live merchant's http origin: %v", err)
	}
	if _, _, err := svc.UpdateMerchant(ctx, &live, checkout.MerchantChanges{SupportURL: &page}); paramOf(err) != "support_url" {
		t.Errorf("a live merchant's http support URL: %v", err)
	}
	provider := "acme"
	if _, _, err := svc.UpdateMerchant(ctx, next, checkout.MerchantChanges{DefaultProvider: &provider}); paramOf(err) != "default_provider" ||
		!strings.Contains(err.Error(), "it runs fake") {
		t.Errorf("an unconfigured provider: %v", err)
	}
}
