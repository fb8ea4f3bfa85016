package handlers

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/templates"
)

func TestBrand(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "checkout.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	h := &Handlers{Service: &checkout.Service{Store: db, Now: time.Now}, Log: slog.New(slog.NewTextHandler(&logs, nil))}

	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 300, 90))); err != nil {
		t.Fatal(err)
	}
	logo, err := checkout.ParseLogo(img.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*checkout.Merchant{
		{ID: "mer_branded", Name: "Corner Shop Ltd", APIKeyHash: "a", DisplayName: "Corner Shop", BrandColor: "#3056d3", Logo: logo},
		{ID: "mer_plain", Name: "Plain Shop", APIKeyHash: "b"},
	} {
		if err := db.SaveMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	want := templates.Brand{Name: "Corner Shop", Color: "#3056d3", LogoURL: "/logos/" + logo.SHA256 + ".png", LogoWidth: 300, LogoHeight: 90}
	if got := h.brand(ctx, "mer_branded"); got != want {
		t.Errorf("branded: %+v, want %+v", got, want)
	}
	if got := h.brand(ctx, "mer_plain"); got != (templates.Brand{Name: "Plain Shop"}) {
		t.Errorf("plain: %+v", got)
	}
	if got := h.brand(ctx, "mer_gone"); got != (templates.Brand{}) || !strings.Contains(logs.String(), "merchant_id=mer_gone") {
		t.Errorf("unknown merchant: %+v, log %s", got, logs.String())
	}
}
