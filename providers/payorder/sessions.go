package payorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// sessionRejected is a 400 from Access Worldpay Checkout: the card data did
// not pass its validation, so nothing was created and nothing charged.
type sessionRejected struct{ kind string }

func (e *sessionRejected) Error() string {
	return "payorder: the " + e.kind + " session was rejected as invalid"
}

// cardSession exchanges the card for an Access Worldpay Checkout session href,
// which is all checkoutOrder ever sees of the card.
func (c *Client) cardSession(ctx context.Context, card *checkout.CardInput) (string, error) {
	return c.session(ctx, "card", "/sessions/card", cardSessionRequest{
		Identity:       c.checkoutID,
		CardNumber:     card.Number,
		CardExpiryDate: expiryDate{Month: card.ExpMonth, Year: card.ExpYear},
		CVC:            card.CVC,
	})
}

// cvcSession exchanges the CVC alone for a session href.
func (c *Client) cvcSession(ctx context.Context, cvc string) (string, error) {
	return c.session(ctx, "cvc", "/sessions/payments/cvc", cvcSessionRequest{Identity: c.checkoutID, CVC: cvc})
}

func (c *Client) session(ctx context.Context, kind, path string, body any) (string, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return "", errors.New("payorder: encoding the " + kind + " session request failed")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sessionsURL+path, bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("payorder: %s session: %w", kind, err)
	}
	req.Header.Set("Content-Type", sessionsMediaType)
	req.Header.Set("Accept", sessionsMediaType)
	answer, status, err := c.do(req)
	if err != nil {
		return "", fmt.Errorf("payorder: %s session: %w", kind, err)
	}
	switch {
	case status == http.StatusBadRequest:
		return "", &sessionRejected{kind: kind}
	case status != http.StatusCreated:
		return "", fmt.Errorf("payorder: %s session: HTTP %d", kind, status)
	}
	var s sessionResponse
	if err := json.Unmarshal(answer, &s); err != nil || s.Links.Session.Href == "" {
		return "", fmt.Errorf("payorder: %s session: malformed answer", kind)
	}
	return s.Links.Session.Href, nil
}
