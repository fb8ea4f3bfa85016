package antom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Operation names, as errors name them.
const (
	opPay           = "pay"
	opInquiry       = "inquiry payment"
	opCapture       = "capture"
	opCancel        = "cancel"
	opRefund        = "refund"
	opInquiryRefund = "inquiry refund"
)

// captureKeySuffix makes the captureRequestId from our payment id: one
// full capture per payment, so a retry reuses it.
const captureKeySuffix = "-capture"

// Field limits [I, from the Antom API reference as remembered: ids and
// references 64 characters, descriptions and names 256].
const (
	maxID          = 64
	maxDescription = 256
	maxGoodsName   = 256
	maxEmail       = 64
	maxName        = 128
	maxGoods       = 100
)

// Pay sends the card to pay with 3-D Secure and the shopper's browser data.
// An S answer is final (authorized with manual capture); F is a decline;
// U PAYMENT_IN_PROCESS with a normalUrl sends the browser to Antom's 3DS
// page; any other U is pending and is resolved by inquiry.
func (c *Client) Pay(ctx context.Context, req checkout.PayRequest) (checkout.Outcome, error) {
	if req.Method != checkout.MethodCard || req.Card == nil || !c.Capabilities().SupportsCurrency(req.Amount.Currency) {
		return checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(checkout.DeclineNotSupported, "")}, nil
	}
	id := req.IdempotencyKey
	if id == "" {
		id = req.PaymentID
	}
	if id == "" || len(id) > maxID {
		return checkout.Outcome{}, errors.New("antom: pay: the payment id must be 1 to 64 characters")
	}
	var r payResponse
	if err := c.call(ctx, opPay, pathPay, c.payBody(req, id), &r); err != nil {
		return checkout.Outcome{}, err
	}
	if r.PaymentRequestID != "" && r.PaymentRequestID != id {
		return checkout.Outcome{}, fmt.Errorf("antom: %s: answer about another paymentRequestId", opPay)
	}
	if err := checkAmount(opPay, r.PaymentAmount, req.Amount); err != nil {
		return checkout.Outcome{}, err
	}
	code := r.Result.ResultCode
	switch r.Result.ResultStatus {
	case ResultSuccess:
		if cleanRef(r.PaymentID) == "" {
			return checkout.Outcome{}, fmt.Errorf("antom: %s: S answer without a well-formed paymentId", opPay)
		}
	case ResultFailure:
		if requestRefused[code] {
			return checkout.Outcome{}, resultError(opPay, r.Result)
		}
	case ResultUnknown:
	default:
		return checkout.Outcome{}, resultError(opPay, r.Result)
	}
	v := paymentView{status: statusOfResult(r.Result), code: code, paymentID: r.PaymentID, info: r.PaymentResultInfo}
	if r.Result.ResultStatus == ResultUnknown && code == CodePaymentInProcess {
		v.normalURL = r.NormalURL
	}
	out := mapPayment(v, captureMode(req.CaptureMode))
	if carries(out, req.Card.Number) {
		// Antom echoed the card somewhere we would keep it (a URL, an id):
		// nothing of this answer can be stored, so its outcome is unknown.
		return checkout.Outcome{}, fmt.Errorf("antom: %s: the answer carries the card number", opPay)
	}
	return out, nil
}

// carries reports whether an outcome holds the card number anywhere, as
// the Service would store it.
func carries(out checkout.Outcome, number string) bool {
	if len(number) < 12 {
		return false
	}
	b, err := json.Marshal(out)
	return err != nil || strings.Contains(string(b), number)
}

// payBody builds the pay request of the wire contract.
func (c *Client) payBody(req checkout.PayRequest, id string) payRequest {
	b := req.Browser.Normalize()
	money := wire(req.Amount)
	accept := b.AcceptHeader
	if accept == "" {
		accept = "*/*" // no Accept header means any type (RFC 9110 12.5.1); 3DS needs a value
	}
	// The 3-D Secure page Antom shows speaks the language of ours.
	language := checkout.BrowserLanguage(b.Language, req.Locale)
	reference := strings.TrimSpace(req.MerchantReference)
	if reference == "" || len(reference) > maxID {
		reference = id
	}
	description := strings.TrimSpace(req.Description)
	if description == "" {
		description = strings.TrimSpace(req.MerchantReference)
	}
	if description == "" {
		description = "Payment " + id
	}
	o := order{
		ReferenceOrderID: reference,
		OrderDescription: truncate(description, maxDescription),
		OrderAmount:      money,
	}
	for i, li := range req.LineItems {
		if len(o.Goods) == maxGoods {
			break
		}
		if li.Quantity <= 0 || li.UnitAmount < 0 || strings.TrimSpace(li.Name) == "" {
			continue
		}
		o.Goods = append(o.Goods, goods{
			ReferenceGoodsID: strconv.Itoa(i + 1),
			GoodsName:        truncate(strings.TrimSpace(li.Name), maxGoodsName),
			GoodsUnitAmount:  amount{Currency: req.Amount.Currency, Value: strconv.FormatInt(li.UnitAmount, 10)},
			GoodsQuantity:    strconv.FormatInt(li.Quantity, 10),
		})
	}
	var by buyer
	if ref := strings.TrimSpace(req.Customer.Reference); ref != "" && len(ref) <= maxID {
		by.ReferenceBuyerID = ref
	}
	if email := strings.TrimSpace(req.Customer.Email); email != "" && len(email) <= maxEmail {
		by.BuyerEmail = email
	}
	if by != (buyer{}) {
		o.Buyer = &by
	}

	mode := captureAutomatic
	if captureMode(req.CaptureMode) == checkout.CaptureManual {
		mode = captureManual
	}
	return payRequest{
		ProductCode:      productCashierPayment,
		PaymentRequestID: id,
		PaymentAmount:    money,
		Order:            o,
		Env: env{
			TerminalType:   terminalWeb,
			ClientIP:       b.IP,
			DeviceLanguage: language,
			ColorDepth:     b.ColorDepth,
			ScreenHeight:   b.ScreenHeight,
			ScreenWidth:    b.ScreenWidth,
			TimeZoneOffset: b.TimezoneOffset,
			BrowserInfo: browserInfo{
				AcceptHeader:      accept,
				JavaEnabled:       b.JavaEnabled,
				JavaScriptEnabled: b.JavaScriptEnabled,
				Language:          language,
				UserAgent:         b.UserAgent,
			},
		},
		PaymentMethod: paymentMethod{
			PaymentMethodType: methodCard,
			PaymentMethodMetaData: cardMetaData{
				CardNo:                      req.Card.Number,
				CVV:                         req.Card.CVC,
				ExpiryMonth:                 fmt.Sprintf("%02d", req.Card.ExpMonth),
				ExpiryYear:                  fmt.Sprintf("%02d", req.Card.ExpYear%100),
				CardholderName:              cardholderName(req.Card.Holder),
				Is3DSAuthentication:         req.ThreeDS != checkout.ThreeDSNoChallengeRequested,
				EnableAuthenticationUpgrade: true,
				IsCardOnFile:                false,
			},
		},
		PaymentFactor:      paymentFactor{IsAuthorization: true, CaptureMode: mode},
		PaymentNotifyURL:   req.NotifyURL,
		PaymentRedirectURL: req.ReturnURL,
	}
}

// cardholderName splits the name on the card: the last word is the last
// name, the words before it the first name; a single word is a first name.
func cardholderName(holder string) personName {
	words := strings.Fields(holder)
	full := truncate(strings.Join(words, " "), maxName)
	switch len(words) {
	case 0:
		return personName{}
	case 1:
		return personName{FirstName: truncate(words[0], maxName), FullName: full}
	}
	return personName{
		FirstName: truncate(strings.Join(words[:len(words)-1], " "), maxName),
		LastName:  truncate(words[len(words)-1], maxName),
		FullName:  full,
	}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// captureMode is the payment's capture mode; the Service's default,
// automatic, when unset.
func captureMode(m checkout.CaptureMode) checkout.CaptureMode {
	if m == "" {
		return checkout.CaptureAutomatic
	}
	return m
}

// Continue runs after the shopper's browser came back from Antom's 3DS
// page. Nothing it brings back is read: the return is only the trigger to
// ask Antom (inquiryPayment) where the payment is.
func (c *Client) Continue(ctx context.Context, p checkout.Payment, cont checkout.Continuation) (checkout.Outcome, error) {
	if cont.Kind != checkout.ContinueRedirect {
		return checkout.Outcome{}, errors.New("antom: only redirect returns continue a payment, not " + cleanCode(strings.ToUpper(string(cont.Kind))))
	}
	return c.inquire(ctx, p)
}

// Inquire asks Antom where the payment is (inquiryPayment by our
// paymentRequestId). ORDER_NOT_EXIST means the pay call never created the
// payment, once the payment is older than Config.NotFoundAfter; until then
// it is pending, since a slow pay may still be on its way.
func (c *Client) Inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	return c.inquire(ctx, p)
}

func (c *Client) inquire(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	r, err := c.inquiry(ctx, p)
	if err != nil {
		return checkout.Outcome{}, err
	}
	if r == nil {
		if c.now().Sub(p.CreatedAt) < c.notFoundAfter {
			return checkout.Outcome{Status: checkout.OutcomePending}, nil
		}
		return checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(checkout.DeclineProcessingError, CodeOrderNotExist)}, nil
	}
	return mapPayment(inquiryView(r), captureMode(p.CaptureMode)), nil
}

// inquiry reads a payment. It returns nil (and no error) when Antom does
// not know it (ORDER_NOT_EXIST).
func (c *Client) inquiry(ctx context.Context, p checkout.Payment) (*inquiryResponse, error) {
	id := p.IdempotencyKey()
	if id == "" || len(id) > maxID {
		return nil, errors.New("antom: inquiry payment: the payment id must be 1 to 64 characters")
	}
	var r inquiryResponse
	if err := c.call(ctx, opInquiry, pathInquiry, inquiryRequest{PaymentRequestID: id}, &r); err != nil {
		return nil, err
	}
	switch {
	case r.Result.ResultStatus == ResultFailure && r.Result.ResultCode == CodeOrderNotExist:
		return nil, nil
	case r.Result.ResultStatus != ResultSuccess:
		return nil, resultError(opInquiry, r.Result)
	case r.PaymentRequestID != "" && r.PaymentRequestID != id:
		return nil, fmt.Errorf("antom: %s: answer about another paymentRequestId", opInquiry)
	case p.ProviderRef != "" && r.PaymentID != "" && r.PaymentID != p.ProviderRef:
		return nil, fmt.Errorf("antom: %s: answer about another paymentId", opInquiry)
	case r.PaymentStatus == "":
		return nil, fmt.Errorf("antom: %s: answer without a paymentStatus", opInquiry)
	}
	if err := checkAmount(opInquiry, r.PaymentAmount, p.Amount); err != nil {
		return nil, err
	}
	return &r, nil
}

// inquiryView is the payment an inquiry describes. A successful CAPTURE
// among its transactions marks it captured.
func inquiryView(r *inquiryResponse) paymentView {
	v := paymentView{status: r.PaymentStatus, code: r.PaymentResultCode, paymentID: r.PaymentID, info: r.PaymentResultInfo}
	for _, t := range r.Transactions {
		if t.TransactionType == transactionCapture && t.TransactionStatus == StatusSuccess {
			v.captured = true
		}
	}
	return v
}
