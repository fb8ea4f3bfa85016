package bbmsl

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// addCardReason is add-token's reason, shown on the hosted page [I].
const addCardReason = "Save a card for faster checkout"

// AddCard asks add-token for BBMSL's hosted add-card page, where the
// shopper types the card (and passes 3-D Secure); it returns that page's
// URL, for a top-level redirect. BBMSL sends the browser to ReturnURL once
// the card is saved, to CancelURL when the shopper gives up or the card is
// refused (both callbackUrl.fail and callbackUrl.cancel).
func (c *Client) AddCard(ctx context.Context, r checkout.AddCardRequest) (string, error) {
	if !validUser(r.Customer) {
		return "", errors.New("bbmsl: add-token: the customer key must be 1 to 64 printable characters")
	}
	if !absoluteHTTP(r.ReturnURL) || !absoluteHTTP(r.CancelURL) || (r.NotifyURL != "" && !absoluteHTTP(r.NotifyURL)) {
		return "", errors.New("bbmsl: add-token: the return, cancel and notify URLs must be absolute http(s) URLs")
	}
	body := addTokenRequest{
		MerchantID:  c.merchantID,
		UserID:      r.Customer,
		Reason:      addCardReason,
		CallbackURL: &callbackURL{Success: r.ReturnURL, Fail: r.CancelURL, Cancel: r.CancelURL, Notify: r.NotifyURL},
		Lang:        lang(r.Locale),
	}
	var resp addTokenResponse
	if err := c.call(ctx, opAddToken, pathAddToken, body, &resp); err != nil {
		return "", err
	}
	if meaningOf(resp.code()).kind != kindSuccess {
		return "", codeError(opAddToken, resp.code())
	}
	page := strings.TrimSpace(resp.Data)
	if !absoluteHTTP(page) || len(page) > 2048 {
		return "", errors.New("bbmsl: add-token: the answer's data is not an absolute http(s) URL")
	}
	if cardLike(page) {
		// Nothing of ours carries a card number: a URL that does is not
		// BBMSL's page, and it would be logged and stored as it is.
		return "", errors.New("bbmsl: add-token: the answer's URL carries a card number")
	}
	return page, nil
}

// SavedCards lists the customer's active tokens (query-token). Each card
// is what the masked number, the card brand and the expiry say: brand,
// BIN, last four and expiry, never more.
func (c *Client) SavedCards(ctx context.Context, customer string) ([]checkout.SavedCard, error) {
	if !validUser(customer) {
		return nil, errors.New("bbmsl: query-token: the customer key must be 1 to 64 printable characters")
	}
	var resp queryTokenResponse
	if err := c.call(ctx, opQueryToken, pathQueryToken, userRequest{MerchantID: c.merchantID, UserID: customer}, &resp); err != nil {
		return nil, err
	}
	switch meaningOf(resp.code()).kind {
	case kindSuccess:
	case kindTokenNotFound:
		return []checkout.SavedCard{}, nil
	default:
		return nil, codeError(opQueryToken, resp.code())
	}
	cards := []checkout.SavedCard{}
	for _, t := range resp.List {
		// userId is case-insensitive at BBMSL [V]: a token of anyone else
		// is never listed.
		if t.UserID != "" && !strings.EqualFold(t.UserID, customer) {
			continue
		}
		if card, ok := savedCardOf(t); ok {
			cards = append(cards, card)
		}
	}
	return cards, nil
}

// DeleteSavedCard removes a token (delete-token); a token that is already
// gone is not an error.
func (c *Client) DeleteSavedCard(ctx context.Context, customer, cardID string) error {
	if !validUser(customer) {
		return errors.New("bbmsl: delete-token: the customer key must be 1 to 64 printable characters")
	}
	if cleanID(cardID) != cardID {
		return errors.New("bbmsl: delete-token: the card id is not a token id")
	}
	var resp answer
	body := deleteTokenRequest{MerchantID: c.merchantID, UserID: customer, TokenID: json.Number(cardID)}
	if err := c.call(ctx, opDeleteToken, pathDeleteToken, body, &resp); err != nil {
		return err
	}
	switch meaningOf(resp.code()).kind {
	case kindSuccess, kindTokenNotFound:
		return nil
	}
	return codeError(opDeleteToken, resp.code())
}

// lang is the hosted page's language: zh-HK for any Chinese locale, en
// otherwise (the two PayAPI offers) [V].
func lang(locale string) string {
	if l := strings.ToLower(strings.TrimSpace(locale)); l == "zh" || strings.HasPrefix(l, "zh-") || strings.HasPrefix(l, "zh_") {
		return "zh-HK"
	}
	return "en"
}

func absoluteHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}
