package alipayplus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Operation names, as errors name them.
const (
	opPay     = "pay"
	opInquiry = "inquiry"
)

// Field limits [S where the seed gives them, else I].
const (
	maxRequestID   = 64 // paymentRequestId [S]
	maxNotifyURL   = 1024
	maxRedirectURL = 1024 // [I] the same as paymentNotifyUrl
	maxOrderID     = 64
	maxDescription = 256
	maxGoodsName   = 256
	maxBuyerID     = 64
	maxUserAgent   = 1024
)

// msgNotSupported is the answer to a payment this adapter cannot take (not
// a wallet payment, or a currency the wallet does not take).
const msgNotSupported = "This wallet cannot be used for this payment. Choose another way to pay."

// Pay creates the wallet order. The wallet accepting it (S) sends the
// shopper to its cashier; F is final (nothing was created); U is unknown
// and the Service inquires.
func (c *Client) Pay(ctx context.Context, req checkout.PayRequest) (checkout.Outcome, error) {
	if req.Method != checkout.MethodWallet || req.Card != nil || !c.Capabilities().SupportsCurrency(req.Amount.Currency) {
		return checkout.Outcome{Status: checkout.OutcomeFailed,
			Decline: &checkout.Decline{Code: checkout.DeclineNotSupported, Message: msgNotSupported}}, nil
	}
	body, err := c.payBody(req)
	if err != nil {
		return checkout.Outcome{}, err
	}
	raw, err := c.call(ctx, opPay, PathPay, body)
	if err != nil {
		return checkout.Outcome{}, err
	}
	var resp payResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return checkout.Outcome{}, errors.New("alipayplus: pay: unreadable answer")
	}
	st, code, err := resultState(opPay, resp.Result)
	if err != nil {
		return checkout.Outcome{}, err
	}
	if err := checkPaymentID(opPay, resp.PaymentID); err != nil {
		return checkout.Outcome{}, err
	}
	r := report{state: st, code: code, paymentID: resp.PaymentID}
	if st == stateSucceeded {
		// For a cashier payment, S means the order was accepted; the
		// shopper has not paid yet [S].
		r.state, r.form = stateAccepted, resp.RedirectActionForm
	}
	return mapReport(r)
}

// payBody builds the pay request.
func (c *Client) payBody(req checkout.PayRequest) (payRequest, error) {
	key := req.IdempotencyKey
	if key == "" {
		key = req.PaymentID
	}
	if key == "" || len(key) > maxRequestID || !printable(key) {
		return payRequest{}, errors.New("alipayplus: pay: the payment id is not a valid paymentRequestId")
	}
	if req.Amount.Amount <= 0 || !checkout.ValidCurrency(req.Amount.Currency) {
		return payRequest{}, errors.New("alipayplus: pay: the amount must be positive, in an ISO 4217 currency")
	}
	if len(req.NotifyURL) > maxNotifyURL || len(req.ReturnURL) > maxRedirectURL {
		return payRequest{}, errors.New("alipayplus: pay: the notify or return URL is too long")
	}
	now := c.now()
	amount := amountOf(req.Amount.Amount, req.Amount.Currency)
	reference := req.MerchantReference
	if reference == "" || len(reference) > maxOrderID || !printable(reference) {
		reference = key
	}
	description := clip(req.Description, maxDescription)
	if description == "" {
		description = clip(req.MerchantReference, maxDescription)
	}
	if description == "" {
		description = clip("Payment to "+c.merchantName, maxDescription)
	}
	o := order{
		ReferenceOrderID: reference,
		OrderDescription: description,
		OrderAmount:      amount,
		OrderCreateTime:  now.Format(bodyTimeFormat),
		Merchant: merchant{
			ReferenceMerchantID: c.merchantID,
			MerchantMCC:         c.merchantMCC,
			MerchantName:        c.merchantName,
			MerchantDisplayName: c.merchantName,
		},
		Env: env{
			TerminalType:   "WEB",
			OSType:         osType(req.Browser.UserAgent),
			ClientIP:       clip(req.Browser.IP, 64),
			UserAgent:      clip(req.Browser.UserAgent, maxUserAgent),
			DeviceLanguage: clip(checkout.BrowserLanguage(req.Browser.Language, req.Locale), 35), // the cashier speaks our page's language,
		},
	}
	if c.region != "" || c.city != "" {
		o.Merchant.MerchantAddress = &merchantAddress{Region: c.region, City: c.city}
	}
	for i, li := range req.LineItems {
		g := goods{ReferenceGoodsID: strconv.Itoa(i + 1), GoodsName: clip(li.Name, maxGoodsName)}
		if li.Quantity > 0 {
			g.GoodsQuantity = strconv.FormatInt(li.Quantity, 10)
		}
		if li.UnitAmount > 0 {
			g.GoodsUnitAmount = new(amountOf(li.UnitAmount, req.Amount.Currency))
		}
		o.Goods = append(o.Goods, g)
	}
	if ref := req.Customer.Reference; ref != "" && len(ref) <= maxBuyerID && printable(ref) {
		o.Buyer = &buyer{ReferenceBuyerID: ref}
	}
	return payRequest{
		ProductCode:        c.productCode,
		PaymentRequestID:   key,
		PaymentAmount:      amount,
		Order:              o,
		PaymentExpiryTime:  now.Add(c.expiry).Format(bodyTimeFormat),
		PaymentNotifyURL:   req.NotifyURL,
		PaymentRedirectURL: req.ReturnURL,
	}, nil
}

// osType reads the shopper's phone system from the user agent; empty for
// anything else (the field is for apps and mobile web).
func osType(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		return "IOS"
	case strings.Contains(ua, "Android"):
		return "ANDROID"
	}
	return ""
}

// clip removes control characters and cuts s to at most n bytes on a rune
// boundary.
func clip(s string, n int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s))
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Continue runs when the shopper's browser came back from the cashier. The
// return proves nothing: the payment is asked for server to server.
func (c *Client) Continue(ctx context.Context, p checkout.Payment, cont checkout.Continuation) (checkout.Outcome, error) {
	if cont.Kind != checkout.ContinueRedirect {
		return checkout.Outcome{}, errors.New("alipayplus: only redirect returns continue a payment, not " + string(cont.Kind))
	}
	return c.inquire(ctx, p)
}

// Inquire asks the wallet for the payment by our paymentRequestId.
func (c *Client) Inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	return c.inquire(ctx, p)
}

func (c *Client) inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	id := p.IdempotencyKey()
	if id == "" || len(id) > maxRequestID || !printable(id) {
		return checkout.Outcome{}, errors.New("alipayplus: inquiry: the payment id is not a valid paymentRequestId")
	}
	raw, err := c.call(ctx, opInquiry, PathInquiry, inquiryRequest{PaymentRequestID: id})
	if err != nil {
		return checkout.Outcome{}, err
	}
	var resp inquiryResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return checkout.Outcome{}, errors.New("alipayplus: inquiry: unreadable answer")
	}
	st, code, err := resultState(opInquiry, resp.Result)
	if err != nil {
		return checkout.Outcome{}, err
	}
	switch st {
	case stateUnknown:
		return checkout.Outcome{Status: checkout.OutcomePending}, nil
	case stateFailed:
		if code != CodeOrderNotExist {
			return checkout.Outcome{}, fmt.Errorf("alipayplus: inquiry: F %s", code)
		}
		// Right after a pay that got no answer, the wallet may still be
		// creating the order: "no such order" is an answer only once a
		// slow pay would have shown up.
		if c.now().Sub(p.CreatedAt) < c.notFoundAfter {
			return checkout.Outcome{Status: checkout.OutcomePending}, nil
		}
		return mapReport(report{state: stateFailed, code: code})
	}
	r, err := inquiryReport(resp, id, p)
	if err != nil {
		return checkout.Outcome{}, err
	}
	return mapReport(r)
}

// inquiryReport reads the payment an inquiry answered with, refusing one
// about another payment or amount.
func inquiryReport(resp inquiryResponse, id string, p checkout.Payment) (report, error) {
	if err := checkPaymentID(opInquiry, resp.PaymentID); err != nil {
		return report{}, err
	}
	switch {
	case resp.PaymentRequestID != "" && resp.PaymentRequestID != id:
		return report{}, errors.New("alipayplus: inquiry: the answer is about another paymentRequestId")
	case p.ProviderRef != "" && resp.PaymentID != "" && resp.PaymentID != p.ProviderRef:
		return report{}, errors.New("alipayplus: inquiry: the answer is about another paymentId")
	}
	if a := resp.PaymentAmount; a != nil {
		m, err := moneyOf(a)
		if err != nil {
			return report{}, errors.New("alipayplus: inquiry: " + err.Error())
		}
		if m != p.Amount {
			return report{}, fmt.Errorf("alipayplus: inquiry: the wallet's payment is for %d %s, not %d %s",
				m.Amount, m.Currency, p.Amount.Amount, p.Amount.Currency)
		}
	}
	r := report{paymentID: resp.PaymentID}
	paymentCode := ""
	if resp.PaymentResult != nil {
		paymentCode = cleanCode(resp.PaymentResult.ResultCode)
	}
	failCode := cleanCode(string(resp.PaymentFailReason))
	if resp.PaymentResult != nil && resp.PaymentResult.ResultStatus == StatusFail && paymentCode != "" {
		failCode = paymentCode
	}
	switch resp.PaymentStatus {
	case PaymentSuccess:
		r.state, r.code = stateSucceeded, paymentCode
	case PaymentFail:
		r.state, r.code = stateFailed, failCode
	case PaymentCancelled:
		r.state, r.code = stateCancelled, failCode
	case PaymentProcessing:
		r.state = stateUnknown
	case "":
		st, code, err := resultState(opInquiry, resp.PaymentResult)
		if err != nil {
			return report{}, errors.New("alipayplus: inquiry: answer without paymentStatus or paymentResult")
		}
		r.state, r.code = st, code
	default:
		r.state = stateUnknown // a status we do not know: never a success
	}
	return r, nil
}

// moneyOf reads an amount exactly.
func moneyOf(a *Amount) (checkout.Money, error) {
	if !checkout.ValidCurrency(a.Currency) {
		return checkout.Money{}, errors.New("the amount's currency is not an ISO 4217 code")
	}
	v, err := parseValue(a.Value)
	if err != nil {
		return checkout.Money{}, errors.New("the amount's value is not a minor-unit integer")
	}
	return checkout.Money{Amount: v, Currency: a.Currency}, nil
}
