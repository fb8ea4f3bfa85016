package sandbox

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Closed lists the platform checks.
var (
	challengeIndicators = map[string]bool{"": true, "no-preference": true, "no-challenge-requested": true,
		"challenge-requested": true, "challenge-required": true}
	canvasSizes = map[string]bool{"": true, "250x400": true, "390x400": true, "500x600": true, "600x400": true, "full-screen": true}
)

// Lengths the platform enforces [I].
const (
	maxMerchantReference = 50
	maxDescriptor        = 256
	maxCardholderName    = 51
	maxAmount            = 999_999_999_999
)

// validCreate is a create request that passed validation. It holds the
// card number only for the life of the request.
type validCreate struct {
	number, expiry, holder string
	productID              int
	requiresApproval       bool
	skipAuthentication     bool
	challengeIndicator     string
	canvasSize             string
	returnURL              string
	amount                 int64
	currency               string
	merchantReference      string
	merchantOrderID        *int64
	descriptor             string
	locale                 string
}

// validateCreate checks a create request in the platform's order and
// names the first property at fault.
func (s *Sandbox) validateCreate(req *createPaymentRequest) (validCreate, *answer) {
	fail := func(property, message string) (validCreate, *answer) {
		a := s.validationAnswer(property, message)
		return validCreate{}, &a
	}
	var v validCreate
	const card = "cardPaymentMethodSpecificInput"
	in := req.CardPaymentMethodSpecificInput
	if in == nil {
		return fail(card, card+" is required")
	}
	if in.PaymentProductID == nil {
		return fail(card+".paymentProductId", card+".paymentProductId is required")
	}
	v.productID = *in.PaymentProductID
	brands, known := productBrands[v.productID]
	if !known {
		return fail(card+".paymentProductId", card+".paymentProductId is not a card product of this merchant")
	}
	c := in.Card
	if c == nil {
		return fail(card+".card", card+".card is required")
	}
	if !checkout.LooksLikeCardNumber(c.CardNumber) {
		return fail(card+".card.cardNumber", card+".card.cardNumber is missing or invalid")
	}
	v.number = c.CardNumber
	if !slices.Contains(brands, checkout.DetectBrand(v.number)) {
		return fail(card+".paymentProductId", card+".paymentProductId does not match the card number")
	}
	if !s.validExpiry(c.ExpiryDate) {
		return fail(card+".card.expiryDate", card+".card.expiryDate is missing, not MMYY or in the past")
	}
	v.expiry = c.ExpiryDate
	cvvLength := 3
	if v.productID == productAmex {
		cvvLength = 4
	}
	if !allDigits(c.CVV) || len(c.CVV) != cvvLength {
		return fail(card+".card.cvv", fmt.Sprintf("%s.card.cvv must be %d digits", card, cvvLength))
	}
	if strings.TrimSpace(c.CardholderName) == "" || len([]rune(c.CardholderName)) > maxCardholderName {
		return fail(card+".card.cardholderName", fmt.Sprintf("%s.card.cardholderName is required, at most %d characters", card, maxCardholderName))
	}
	v.holder = c.CardholderName
	v.requiresApproval = in.RequiresApproval == nil || *in.RequiresApproval
	v.skipAuthentication = in.SkipAuthentication != nil && *in.SkipAuthentication

	const tds = card + ".threeDSecure"
	t := in.ThreeDSecure
	if t == nil {
		return fail(tds, tds+" is required")
	}
	if t.SkipAuthentication != nil && *t.SkipAuthentication {
		v.skipAuthentication = true
	}
	if t.AuthenticationFlow != "browser" {
		return fail(tds+".authenticationFlow", tds+`.authenticationFlow must be "browser"`)
	}
	if !challengeIndicators[t.ChallengeIndicator] {
		return fail(tds+".challengeIndicator", tds+".challengeIndicator is not a known value")
	}
	if !canvasSizes[t.ChallengeCanvasSize] {
		return fail(tds+".challengeCanvasSize", tds+".challengeCanvasSize is not a known value")
	}
	v.challengeIndicator, v.canvasSize = t.ChallengeIndicator, t.ChallengeCanvasSize
	if t.RedirectionData == nil || !absoluteHTTP(t.RedirectionData.ReturnURL) {
		return fail(tds+".redirectionData.returnUrl", tds+".redirectionData.returnUrl must be an absolute http(s) URL")
	}
	v.returnURL = t.RedirectionData.ReturnURL

	o := req.Order
	if o == nil {
		return fail("order", "order is required")
	}
	if o.AmountOfMoney == nil {
		return fail("order.amountOfMoney", "order.amountOfMoney is required")
	}
	if a := o.AmountOfMoney.Amount; a == nil || *a <= 0 || *a > maxAmount {
		return fail("order.amountOfMoney.amount", "order.amountOfMoney.amount must be a positive whole number of minor units")
	}
	if !checkout.ValidCurrency(o.AmountOfMoney.CurrencyCode) {
		return fail("order.amountOfMoney.currencyCode", "order.amountOfMoney.currencyCode must be an ISO 4217 code")
	}
	v.amount, v.currency = *o.AmountOfMoney.Amount, o.AmountOfMoney.CurrencyCode
	if o.References == nil || strings.TrimSpace(o.References.MerchantReference) == "" {
		return fail("order.references.merchantReference", "order.references.merchantReference is required")
	}
	if len(o.References.MerchantReference) > maxMerchantReference {
		return fail("order.references.merchantReference", fmt.Sprintf("order.references.merchantReference has at most %d characters", maxMerchantReference))
	}
	if len(o.References.Descriptor) > maxDescriptor {
		return fail("order.references.descriptor", fmt.Sprintf("order.references.descriptor has at most %d characters", maxDescriptor))
	}
	v.merchantReference, v.merchantOrderID, v.descriptor = o.References.MerchantReference, o.References.MerchantOrderID, o.References.Descriptor

	const dev = "order.customer.device"
	if o.Customer == nil || o.Customer.Device == nil {
		return fail(dev, dev+" is required for the browser flow")
	}
	d := o.Customer.Device
	required := []struct{ name, value string }{
		{"acceptHeader", d.AcceptHeader}, {"userAgent", d.UserAgent}, {"ipAddress", d.IPAddress},
		{"locale", d.Locale}, {"timezoneOffsetUtcMinutes", d.TimezoneOffsetUtcMinutes},
	}
	for _, f := range required {
		if strings.TrimSpace(f.value) == "" {
			return fail(dev+"."+f.name, dev+"."+f.name+" is required for the browser flow")
		}
	}
	if net.ParseIP(d.IPAddress) == nil {
		return fail(dev+".ipAddress", dev+".ipAddress is not an IP address")
	}
	if len(d.Locale) > 8 {
		return fail(dev+".locale", dev+".locale has at most 8 characters")
	}
	if tz, err := strconv.Atoi(d.TimezoneOffsetUtcMinutes); err != nil || tz < -900 || tz > 900 {
		return fail(dev+".timezoneOffsetUtcMinutes", dev+".timezoneOffsetUtcMinutes must be a number of minutes")
	}
	const bd = dev + ".browserData"
	b := d.BrowserData
	if b == nil {
		return fail(bd, bd+" is required for the browser flow")
	}
	// EMV 3DS 2.2 needs the values only a script can read (colour depth,
	// screen size, Java) only from a browser that runs scripts.
	scripted := b.JavaScriptEnabled == nil || *b.JavaScriptEnabled
	if b.ColorDepth != nil && *b.ColorDepth == 0 && !scripted {
		b.ColorDepth = nil
	}
	if (b.ColorDepth == nil && scripted) || (b.ColorDepth != nil && (*b.ColorDepth < 1 || *b.ColorDepth > 99)) {
		return fail(bd+".colorDepth", bd+".colorDepth is required, in bits, when javaScriptEnabled is true")
	}
	for _, f := range []struct {
		name, value string
		required    bool
	}{{"screenHeight", b.ScreenHeight, scripted}, {"screenWidth", b.ScreenWidth, scripted}, {"innerHeight", b.InnerHeight, false}, {"innerWidth", b.InnerWidth, false}} {
		if (f.value != "" || f.required) && (!allDigits(f.value) || len(f.value) > 6) {
			return fail(bd+"."+f.name, bd+"."+f.name+" must be a number of pixels")
		}
	}
	v.locale = o.Customer.Locale
	if v.locale == "" {
		v.locale = strings.ReplaceAll(d.Locale, "-", "_")
	}
	return v, nil
}

// validExpiry checks MMYY and that the card has not expired by Now.
func (s *Sandbox) validExpiry(mmyy string) bool {
	if len(mmyy) != 4 || !allDigits(mmyy) {
		return false
	}
	month, _ := strconv.Atoi(mmyy[:2])
	year, _ := strconv.Atoi(mmyy[2:])
	if month < 1 || month > 12 {
		return false
	}
	now := s.now().UTC()
	year += now.Year() / 100 * 100
	return year > now.Year() || (year == now.Year() && month >= int(now.Month()))
}

func absoluteHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// createPayment is POST /v1/{merchantId}/payments.
func (s *Sandbox) createPayment(r *http.Request, body []byte) (a answer) {
	s.count("create")
	var req createPaymentRequest
	if a := s.decodeBody(r, body, &req); a != nil {
		return *a
	}
	v, bad := s.validateCreate(&req)
	if bad != nil {
		return *bad
	}
	facts := newCardFacts(v.number, v.expiry, v.holder, v.productID)
	magic, isMagic := sandboxfault.FromHolder(v.holder)
	if facts.scenario.Fault == testcards.ServerErrorNoCharge || (isMagic && magic.Kind == sandboxfault.ServerError) {
		return s.serverError() // nothing is created
	}
	if isMagic {
		// The payment is made as usual; only the answer misbehaves.
		defer func() { a.fault = &magic }()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.nextSeq = (s.nextSeq + 1) % 1e10
	additional := s.token(20)
	p := &payment{
		id:                 fmt.Sprintf("%s%010d0000100001", s.paddedMerchantID(), s.nextSeq),
		merchantReference:  v.merchantReference,
		merchantOrderID:    v.merchantOrderID,
		descriptor:         v.descriptor,
		amount:             v.amount,
		currency:           v.currency,
		card:               facts,
		requiresApproval:   v.requiresApproval,
		returnURL:          v.returnURL,
		challengeIndicator: v.challengeIndicator,
		canvasSize:         v.canvasSize,
		locale:             v.locale,
		additionalRef:      additional,
		externalRef:        additional + s.token(10),
		createdAt:          now,
		status:             statusCreated,
		statusChangedAt:    now,
	}
	s.payments[p.id] = p
	s.created = append(s.created, p)

	if facts.scenario.Fault == testcards.TimeoutCharged {
		// Authorised on the platform; the merchant never hears back.
		s.authorise(p, s.threeDSResultOf(p, testcards.Frictionless, "frictionless"))
		a = s.created201(r, p)
		a.abort = true
		return a
	}
	s.authenticate(p, v.skipAuthentication)
	if p.status == statusRejected {
		return s.declined(p)
	}
	return s.created201(r, p)
}

// paddedMerchantID is the merchant id on 10 digits, the first part of a payment id.
func (s *Sandbox) paddedMerchantID() string {
	return strings.Repeat("0", 10-len(s.creds.MerchantID)) + s.creds.MerchantID
}

// created201 is the 201 answer with the payment's Location. The caller holds s.mu.
func (s *Sandbox) created201(r *http.Request, p *payment) answer {
	a := jsonAnswer(http.StatusCreated, s.createResponse(p))
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	a.header = http.Header{"Location": {scheme + "://" + r.Host + originalPath(r) + "/" + p.id}}
	return a
}

// declined is the 402 answer of a payment rejected at creation. The caller holds s.mu.
func (s *Sandbox) declined(p *payment) answer {
	items := make([]apiError, len(p.errors))
	for i, e := range p.errors {
		e.RequestID = ""
		items[i] = e
	}
	return jsonAnswer(http.StatusPaymentRequired, errorResponse{
		ErrorID:       hex.EncodeToString(s.rnd.Bytes(16)),
		Errors:        items,
		PaymentResult: s.createResponse(p),
	})
}

// getPayment is GET /v1/{merchantId}/payments/{paymentId}.
func (s *Sandbox) getPayment(id string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("get")
	p, ok := s.payments[id]
	if !ok {
		return s.unknownPayment()
	}
	s.refresh(p)
	return jsonAnswer(http.StatusOK, s.response(p))
}

// findPayments is GET /v1/{merchantId}/payments?merchantReference=…&offset=…&limit=….
func (s *Sandbox) findPayments(r *http.Request) answer {
	q := r.URL.Query()
	offset, limit := 0, 10
	if raw := q.Get("offset"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			s.count("find")
			return s.validationAnswer("offset", "offset must be a whole number, 0 or more")
		}
		offset = n
	}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 100 {
			s.count("find")
			return s.validationAnswer("limit", "limit must be a whole number from 1 to 100")
		}
		limit = n
	}
	reference := q.Get("merchantReference")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("find")
	out := findPaymentsResponse{Payments: []paymentResponse{}, Offset: offset, Limit: limit}
	for _, p := range s.created {
		if reference != "" && p.merchantReference != reference {
			continue
		}
		if out.TotalCount >= offset && len(out.Payments) < limit {
			s.refresh(p)
			out.Payments = append(out.Payments, s.response(p))
		}
		out.TotalCount++
	}
	return jsonAnswer(http.StatusOK, out)
}

// approvePayment is POST …/payments/{paymentId}/approve.
func (s *Sandbox) approvePayment(r *http.Request, id string, body []byte) answer {
	var req approveRequest
	decodeErr := s.decodeBody(r, body, &req)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("approve")
	p, ok := s.payments[id]
	if !ok {
		return s.unknownPayment()
	}
	if decodeErr != nil {
		return *decodeErr
	}
	s.refresh(p)
	if p.status != statusPendingApproval {
		return s.wrongStatus(p.status)
	}
	amount := p.amount
	if req.Amount != nil {
		if *req.Amount <= 0 || *req.Amount > p.amount {
			return s.validationAnswer("amount", "amount must be positive and at most the authorised amount")
		}
		amount = *req.Amount
	}
	p.captured = amount
	s.setStatus(p, statusCaptureRequested, 800)
	p.settleOnNextCall = true
	return jsonAnswer(http.StatusOK, paymentEnvelope{Payment: s.response(p)})
}

// cancelPayment is POST …/payments/{paymentId}/cancel.
func (s *Sandbox) cancelPayment(id string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add("cancel")
	p, ok := s.payments[id]
	if !ok {
		return s.unknownPayment()
	}
	s.refresh(p)
	if p.status != statusPendingApproval {
		return s.wrongStatus(p.status)
	}
	s.setStatus(p, statusCancelled, 99999)
	return jsonAnswer(http.StatusOK, paymentEnvelope{Payment: s.response(p)})
}
