package payorder

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Pay creates the payer and the order, exchanges the card for Checkout
// sessions and checks the order out. Nothing is charged yet: the answer is
// always the device data collection the browser must run before payOrder.
func (c *Client) Pay(ctx context.Context, req checkout.PayRequest) (checkout.Outcome, error) {
	if req.Method != checkout.MethodCard || req.Card == nil || !c.Capabilities().SupportsCurrency(req.Amount.Currency) {
		return failedOutcome(checkout.DeclineNotSupported, ""), nil
	}

	first, last := splitName(req.Card.Holder)
	var payer createPayerData
	err := c.call(ctx, ServiceCreatePayer, createPayerRequest{FirstName: first, LastName: last, Email: req.Customer.Email}, &payer)
	if err != nil {
		return beforeCharge(err)
	}

	var order createOrderData
	err = c.call(ctx, ServiceCreateOrder, createOrderRequest{
		OrderSN:              req.PaymentID,
		Currency:             req.Amount.Currency,
		Amount:               majorUnits(req.Amount),
		PayerID:              payer.PayerID,
		PurposeOfTransaction: purposePayForGoods,
		Description:          req.Description,
		Skip3DS:              skip3DSFalse,
		Domain:               req.OriginURL,
		Product:              product(req),
	}, &order)
	if err != nil {
		return beforeCharge(err)
	}
	if order.LinkID == "" {
		return checkout.Outcome{}, errors.New("payorder: createOrder: answer without linkID")
	}

	cardHref, err := c.cardSession(ctx, req.Card)
	if err != nil {
		return beforeCharge(err)
	}
	cvcHref, err := c.cvcSession(ctx, req.Card.CVC)
	if err != nil {
		return beforeCharge(err)
	}

	var co checkoutOrderData
	err = c.call(ctx, ServiceCheckoutOrder, checkoutOrderRequest{
		OrderSN:        req.PaymentID,
		LinkID:         order.LinkID,
		CardHolderName: req.Card.Holder,
		SessionCard:    cardHref,
		SessionCvc:     cvcHref,
		Relationship:   relationshipCustomer,
	}, &co)
	if err != nil {
		return beforeCharge(err)
	}
	ddc := co.DeviceDataCollection
	if co.Outcome != OutcomeInitialized || co.TransactionReference == "" || ddc == nil || ddc.URL == "" || ddc.JWT == "" {
		return checkout.Outcome{}, errors.New("payorder: checkoutOrder: answer without device data collection")
	}

	window := req.ChallengeWindow
	if window.Code == "" {
		window = checkout.WindowSizeByCode("")
	}
	data := map[string]string{
		keyOrderSN:              req.PaymentID,
		keyLinkID:               order.LinkID,
		keyTransactionReference: co.TransactionReference,
		keyPayerID:              strconv.FormatInt(payer.PayerID, 10),
		keyReturnURL:            req.ReturnURL,
		keyWindowSize:           window.Label(),
		keyWindowWidth:          strconv.Itoa(window.Width),
		keyWindowHeight:         strconv.Itoa(window.Height),
		keyChallengePreference:  preferenceOf(req.ThreeDS),
	}
	if lang := checkout.BrowserLanguage(req.Browser.Language, req.Locale); lang != "" {
		data[keyBrowserLanguage] = lang // for payOrder, after device data collection
	}
	return checkout.Outcome{
		Status:       checkout.OutcomeActionRequired,
		ProviderRef:  order.LinkID,
		ProviderData: data,
		Action:       &checkout.Action{Kind: checkout.ActionDeviceDataCollection, URL: ddc.URL, JWT: ddc.JWT, BIN: ddc.BIN},
	}, nil
}

// majorUnits is the order amount as an exact JSON number in major units
// ("12.34" for 1234 USD), built from the decimal string, never a float.
func majorUnits(m checkout.Money) json.Number { return json.Number(m.Decimal()) }

// splitName turns the cardholder name into createPayer's first and last
// name. A one-word name fills both, since the payer needs a last name.
func splitName(holder string) (first, last string) {
	first, last, ok := strings.Cut(strings.TrimSpace(holder), " ")
	if !ok {
		return first, first
	}
	return first, strings.TrimSpace(last)
}

// product is createOrder's item list: the line item names joined by "||",
// or the description when the session has no line items.
func product(req checkout.PayRequest) string {
	names := make([]string, 0, len(req.LineItems))
	for _, li := range req.LineItems {
		names = append(names, li.Name)
	}
	if len(names) == 0 {
		return req.Description
	}
	return strings.Join(names, "||")
}

// beforeCharge settles an error from a call that comes before payOrder, the
// only call that charges. A verified INVALID_PARAM or a card session
// rejected as invalid is a definitive failure with nothing charged; anything
// else (a transport error, an unverifiable answer) stays unknown.
func beforeCharge(err error) (checkout.Outcome, error) {
	var f *failure
	if errors.As(err, &f) && f.signed && f.code == CodeInvalidParam {
		return failedOutcome(checkout.DeclineProcessingError, f.code), nil
	}
	var s *sessionRejected
	if errors.As(err, &s) {
		return failedOutcome(checkout.DeclineProcessingError, ""), nil
	}
	return checkout.Outcome{}, err
}

// Continue calls payOrder after device data collection (with or without a
// SessionId) and the verification service after a challenge. The browser's
// values are only a trigger; the answer comes server-to-server.
func (c *Client) Continue(ctx context.Context, p checkout.Payment, cont checkout.Continuation) (checkout.Outcome, error) {
	st := stateOf(p)
	if st.orderSN == "" || st.linkID == "" || st.transactionReference == "" {
		return checkout.Outcome{}, errors.New("payorder: the payment has no checked-out order to continue")
	}
	var d orderData
	switch cont.Kind {
	case checkout.ContinueDeviceData:
		b := p.Browser
		lang := st.browserLanguage // the challenge speaks our page's language
		if lang == "" {
			lang = b.Language // a payment started before the language was kept
		}
		err := c.call(ctx, ServicePayOrder, payOrderRequest{
			OrderSN:                  st.orderSN,
			LinkID:                   st.linkID,
			TransactionReference:     st.transactionReference,
			SessionID:                deviceSessionID(cont.Values.Get("SessionId")),
			UserAgent:                b.UserAgent,
			ReturnURL:                st.returnURL,
			ChallengeWindowSize:      st.windowSize,
			ChallengePreference:      st.preference,
			AcceptHeader:             b.AcceptHeader,
			BrowserLanguage:          lang,
			IPAddress:                b.IP,
			BrowserScreenWidth:       b.ScreenWidth,
			BrowserScreenHeight:      b.ScreenHeight,
			BrowserColorDepth:        b.ColorDepth,
			BrowserTimeZone:          b.TimezoneOffset,
			BrowserJavaEnabled:       b.JavaEnabled,
			BrowserJavascriptEnabled: b.JavaScriptEnabled,
		}, &d)
		if err != nil {
			return checkout.Outcome{}, err
		}
	case checkout.ContinueChallenge:
		if st.challengeReference == "" {
			return checkout.Outcome{}, errors.New("payorder: the payment has no challenge to verify")
		}
		err := c.call(ctx, c.verifyService, verifyOrderRequest{
			OrderSN:              st.orderSN,
			LinkID:               st.linkID,
			TransactionReference: st.transactionReference,
			ChallengeReference:   st.challengeReference,
		}, &d)
		if err != nil {
			return checkout.Outcome{}, err
		}
	default:
		return checkout.Outcome{}, errors.New("payorder: cannot continue after " + string(cont.Kind))
	}
	return mapOutcome(d, st), nil
}

// deviceSessionID keeps the browser's SessionId only when it looks like one
// (Cardinal's are "0_" plus a UUID); anything else is sent as "no device
// data", which 3DS tolerates.
func deviceSessionID(s string) string {
	if len(s) > 100 {
		return ""
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return s
}

// Inquire asks queryOrder for the order's state.
func (c *Client) Inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	st := stateOf(p)
	if st.linkID == "" {
		// Pay never handed back an order, so payOrder, the only call that
		// charges, was never sent for this payment.
		return failedOutcome(checkout.DeclineProcessingError, ""), nil
	}
	var d orderData
	if err := c.call(ctx, ServiceQueryOrder, queryOrderRequest{OrderSN: st.orderSN, LinkID: st.linkID}, &d); err != nil {
		return checkout.Outcome{}, err
	}
	if (d.Outcome == OutcomeCreated || d.Outcome == OutcomeInitialized) && time.Since(p.CreatedAt) >= c.staleAfter {
		// payOrder, the only call that charges, never took effect: its
		// answer was an error, or the shopper left before it was sent.
		return failedOutcome(checkout.DeclineProcessingError, ""), nil
	}
	return mapOutcome(d, st), nil
}
