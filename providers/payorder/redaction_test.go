package payorder

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// TestNoSecretsInErrorsOrOutcomes drives the adapter into every kind of
// failure against a gateway that echoes the card number and CVC back in its
// error messages, then scans every error string and every outcome (as the
// Service would log, store and send them) for the card number, the CVC and
// the keys. The adapter itself never logs, so this is everything it emits.
func TestNoSecretsInErrorsOrOutcomes(t *testing.T) {
	k := keysOnce()
	req := testPayRequest()
	echo := "card " + req.Card.Number + " cvc " + req.Card.CVC + " rejected"
	secrets := map[string]string{
		"card number": req.Card.Number,
		"CVC":         req.Card.CVC,
		"AES key":     k.aesB64,
		"raw AES key": string(k.aes),
	}
	for _, pemKey := range []string{k.merchantPEM, k.merchantB64PK, k.platformPubB64} {
		// Any line of a key's base64 is enough to recognise it.
		for i, line := range strings.Split(strings.TrimSpace(pemKey), "\n") {
			if len(line) > 20 && !strings.HasPrefix(line, "-----") {
				secrets[fmt.Sprintf("key line %d", i)] = line[:20]
			}
		}
	}

	var emitted []string
	scan := func(what string, out checkout.Outcome, err error) {
		if err != nil {
			emitted = append(emitted, what+": "+err.Error())
		}
		b, _ := json.Marshal(out)
		emitted = append(emitted, what+": "+string(b), fmt.Sprintf("%s: %+v %#v", what, out, out))
	}

	scenarios := map[string]func(g *fakeGateway){
		"plaintext failure echoing the card": func(g *fakeGateway) {
			g.set(ServiceCreatePayer, raw(http.StatusOK, map[string]any{"status": -1, "errorCode": "INVALID_PARAM", "errorMessage": echo}))
		},
		"sealed failure echoing the card": func(g *fakeGateway) {
			g.set(ServiceCheckoutOrder, g.sealed(map[string]any{"status": -1, "errorCode": "CARD_" + req.Card.Number, "errorMessage": echo}))
		},
		"sealed INVALID_PARAM echoing the card": func(g *fakeGateway) {
			g.set(ServiceCreateOrder, g.sealed(map[string]any{"status": -1, "errorCode": "INVALID_PARAM", "errorMessage": echo}))
		},
		"session 400 echoing the card": func(g *fakeGateway) {
			g.set("/sessions/card", raw(http.StatusBadRequest, map[string]any{"message": echo}))
		},
		"session 500 echoing the card": func(g *fakeGateway) {
			g.set("/sessions/payments/cvc", raw(http.StatusInternalServerError, map[string]any{"message": echo}))
		},
		"data of the wrong type holding the card": func(g *fakeGateway) {
			g.set(ServiceCreatePayer, g.ok(map[string]any{"payerID": req.Card.Number + "x"}))
		},
		"numeric data holding the card": func(g *fakeGateway) {
			g.set(ServiceCreateOrder, g.ok(map[string]any{"linkID": json.Number(req.Card.Number)}))
		},
		"unsigned success": func(g *fakeGateway) {
			g.set(ServiceCreatePayer, raw(http.StatusOK, map[string]any{"status": 0, "errorMessage": echo}))
		},
		"INVALID_PARAM at checkoutOrder echoing the card": func(g *fakeGateway) {
			g.set(ServiceCheckoutOrder, g.sealed(map[string]any{"status": -1, "errorCode": "INVALID_PARAM", "errorMessage": echo}))
		},
		"unknown outcome word echoing the card": func(g *fakeGateway) {
			g.set(ServiceCheckoutOrder, g.ok(map[string]any{"outcome": echo}))
		},
	}
	for name, setup := range scenarios {
		g, c := newFakeGateway(t)
		setup(g)
		out, err := c.Pay(t.Context(), req)
		scan(name, out, err)
		for i := range emitted {
			emitted[i] = strings.ReplaceAll(emitted[i], g.url, "https://gateway.test")
		}
	}

	// Later steps, with an answer echoing the card.
	g, c := newFakeGateway(t)
	g.set(ServicePayOrder, g.sealed(map[string]any{"status": -1, "errorCode": "DECLINED", "errorMessage": echo}))
	g.set(ServiceQueryOrder, raw(http.StatusBadGateway, map[string]any{"message": echo}))
	out, err := c.Continue(t.Context(), checkedOut(), checkout.Continuation{Kind: checkout.ContinueDeviceData, Values: url.Values{"SessionId": {req.Card.Number}}})
	scan("payOrder", out, err)
	g.set(ServicePayOrder, g.ok(map[string]any{"outcome": "refused", "refusalCode": req.Card.Number}))
	out, err = c.Continue(t.Context(), checkedOut(), checkout.Continuation{Kind: checkout.ContinueDeviceData})
	scan("refused", out, err)
	out, err = c.Inquire(t.Context(), checkedOut())
	scan("queryOrder", out, err)

	// An unreachable gateway.
	cfg := Config{BaseURL: "http://127.0.0.1:1", SessionsURL: "http://127.0.0.1:1", MerchantID: "M", CheckoutID: "C",
		AESKey: k.aesB64, MerchantPrivateKey: k.merchantPEM, PlatformPublicKey: k.platformPubPEM}
	down, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err = down.Pay(t.Context(), req)
	scan("transport", out, err)

	// Configuration mistakes must not quote the keys.
	for name, change := range map[string]func(*Config){
		"truncated private key": func(c *Config) { c.MerchantPrivateKey = k.merchantPEM[:len(k.merchantPEM)/2] },
		"private key as public": func(c *Config) { c.PlatformPublicKey = k.merchantPEM },
		"key with a typo":       func(c *Config) { c.MerchantPrivateKey = strings.Replace(k.merchantB64PK, "A", "!", 1) },
		"AES key too long":      func(c *Config) { c.AESKey = k.aesB64 + k.aesB64 },
	} {
		bad := cfg
		change(&bad)
		_, err := New(bad)
		if err == nil {
			t.Errorf("%s: New accepted it", name)
			continue
		}
		emitted = append(emitted, name+": "+err.Error())
	}

	for _, text := range emitted {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("the %s leaks into %q", what, text)
			}
		}
	}
	if len(emitted) < 20 {
		t.Fatalf("only %d texts scanned", len(emitted))
	}
}
