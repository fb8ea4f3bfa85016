package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// The gateway's wire structs are written here independently of the
// adapter's, so that a field the two spell differently fails the
// conformance suite instead of passing silently.

type envelope struct {
	Service    string `json:"service"`
	MerchantID string `json:"merchantId"`
	BizContent string `json:"bizContent"`
	Sign       string `json:"sign"`
}

// result is the inner JSON of every sealed answer (seed 000 shape).
type result struct {
	Status       int    `json:"status"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	Data         any    `json:"data"`
}

type createPayerRequest struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	AreaCode  *int   `json:"areaCode"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
	City      string `json:"city"`
	Province  string `json:"province"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
}

type createOrderRequest struct {
	OrderSN              string          `json:"order_sn"`
	Currency             string          `json:"currency"`
	Amount               json.RawMessage `json:"amount"` // raw, so that a quoted number is refused
	PayerID              int64           `json:"payerID"`
	PurposeOfTransaction string          `json:"purposeOfTransaction"`
	Description          string          `json:"description"`
	Skip3DS              string          `json:"skip3ds"`
	Domain               string          `json:"domain"`
	Product              string          `json:"product"`
}

type checkoutOrderRequest struct {
	OrderSN        string `json:"order_sn"`
	LinkID         string `json:"linkID"`
	CardHolderName string `json:"cardHolderName"`
	SessionCard    string `json:"sessionCard"`
	SessionCvc     string `json:"sessionCvc"`
	Relationship   string `json:"relationship"`
}

type payOrderRequest struct {
	OrderSN                  string `json:"order_sn"`
	LinkID                   string `json:"linkID"`
	TransactionReference     string `json:"transactionReference"`
	SessionID                string `json:"sessionId"`
	UserAgent                string `json:"userAgent"`
	ReturnURL                string `json:"returnUrl"`
	ChallengeWindowSize      string `json:"challengeWindowSize"`
	ChallengePreference      string `json:"challengePreference"`
	AcceptHeader             string `json:"acceptHeader"`
	BrowserLanguage          string `json:"browserLanguage"`
	IPAddress                string `json:"ipAddress"`
	BrowserScreenWidth       int    `json:"browserScreenWidth"`
	BrowserScreenHeight      int    `json:"browserScreenHeight"`
	BrowserColorDepth        int    `json:"browserColorDepth"`
	BrowserTimeZone          int    `json:"browserTimeZone"`
	BrowserJavaEnabled       bool   `json:"browserJavaEnabled"`
	BrowserJavascriptEnabled bool   `json:"browserJavascriptEnabled"`
}

type verifyOrderRequest struct {
	OrderSN              string `json:"order_sn"`
	LinkID               string `json:"linkID"`
	TransactionReference string `json:"transactionReference"`
	ChallengeReference   string `json:"challengeReference"`
}

type queryOrderRequest struct {
	OrderSN string `json:"order_sn"`
	LinkID  string `json:"linkID"`
}

// Closed lists the gateway checks.
var (
	relationships = map[string]bool{
		"BUSINESS_OWNER_SHAREHOLDER": true, "DIRECTOR_SENIOR_MANAGEMENT": true, "EMPLOYEE": true,
		"RELATIVE": true, "CUSTOMER": true, "FRIEND": true,
	}
	preferences = map[string]bool{"": true, preferenceNone: true, preferenceChallenge: true, preferenceNoChallenge: true}
	// purposes is an upper-case enum whose full list is unpublished.
	purposes = regexp.MustCompile(`^[A-Z][A-Z_]{1,63}$`)
	amounts  = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$`)
)

// Challenge preferences, Worldpay's words.
const (
	preferenceNone        = "noPreference"
	preferenceChallenge   = "challengeRequested"
	preferenceNoChallenge = "noChallengeRequested"
)

// currencies the real gateway takes: USD only.
var currencies = map[string]bool{"USD": true}

// checkoutSessionTTL is how long a Checkout session can be used.
const checkoutSessionTTL = 10 * time.Minute

// failure is a status -1 answer.
type failure struct {
	code    string
	message string
}

// reply is what a service decided; serveAPI writes it once the lock is released.
type reply struct {
	data        any
	fail        *failure
	serverError bool // answer HTTP 500 in plain text instead
	hang        bool // after charging, answer nothing until the client gives up
	// fault is how the answer is delivered (package sandboxfault): an
	// injected fault or a magic cardholder name.
	fault *sandboxfault.Fault
}

// Operations a fault can be limited to: the services that move money.
const (
	OperationPayOrder    = "payOrder"    // authorises and charges after device data collection
	OperationVerifyOrder = "verifyOrder" // authorises and charges after a challenge
)

// faultOperation is the fault operation of a service, "" for the services
// that move no money.
func faultOperation(service string) string {
	switch service {
	case payorder.ServicePayOrder:
		return OperationPayOrder
	case payorder.DefaultVerifyService:
		return OperationVerifyOrder
	}
	return ""
}

// serveAPI is the gateway endpoint: it opens the envelope exactly as the
// real gateway would and dispatches to the service.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writePlainFailure(w, payorder.CodeInvalidParam, "the request body is unreadable or too large")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writePlainFailure(w, payorder.CodeInvalidParam, "Content-Type must be application/json")
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		writePlainFailure(w, payorder.CodeInvalidParam, "the request is not a JSON envelope")
		return
	}
	if env.MerchantID != s.merchantID {
		writePlainFailure(w, payorder.CodeInvalidMerchant, "unknown merchantId")
		return
	}
	service := s.service(env.Service)
	if service == nil {
		writePlainFailure(w, payorder.CodeInvalidService, "unknown service")
		return
	}
	plain, err := payorder.Open(s.aesKey, env.BizContent)
	if err != nil {
		writePlainFailure(w, payorder.CodeDecryptFailed, "bizContent cannot be decrypted")
		return
	}
	header := r.Header.Get("sign")
	if header == "" && env.Sign == "" {
		writePlainFailure(w, payorder.CodeInvalidSign, "sign is missing")
		return
	}
	for _, sign := range []string{header, env.Sign} {
		if sign != "" && payorder.Verify(s.merchantKey, plain, sign) != nil {
			writePlainFailure(w, payorder.CodeInvalidSign, "sign does not verify")
			return
		}
	}

	var injected *sandboxfault.Fault
	if op := faultOperation(env.Service); op != "" {
		if f, ok := s.faults.Take(op); ok {
			injected = &f
		}
	}
	var rep reply
	switch {
	case env.Service == payorder.ServicePayOrder:
		rep = s.pay(plain, injected) // a 5xx there fails the order it was meant to pay
	case injected != nil && injected.Kind == sandboxfault.ServerError:
		sandboxfault.WriteServerError(w) // nothing done
		return
	default:
		rep = service(plain)
		if injected != nil {
			rep.fault = injected
		}
	}
	write := func(w http.ResponseWriter) {
		malformed := rep.fault != nil && rep.fault.Kind == sandboxfault.Malformed
		if rep.fail != nil {
			s.writeSealed(w, result{Status: payorder.StatusFailure, ErrorCode: rep.fail.code, ErrorMessage: rep.fail.message}, malformed)
			return
		}
		s.writeSealed(w, result{Status: payorder.StatusSuccess, Data: rep.data}, malformed)
	}
	switch {
	case rep.serverError:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	case rep.hang:
		// The charge is on the ledger; the answer never comes.
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
		panic(http.ErrAbortHandler)
	case rep.fault != nil:
		sandboxfault.Deliver(w, r, *rep.fault, write)
	default:
		write(w)
	}
}

// service returns the handler of a service name, nil for an unknown one.
func (s *Sandbox) service(name string) func([]byte) reply {
	switch name {
	case payorder.ServiceCreatePayer:
		return s.createPayer
	case payorder.ServiceCreateOrder:
		return s.createOrder
	case payorder.ServiceCheckoutOrder:
		return s.checkoutOrder
	case payorder.ServicePayOrder:
		return s.payOrder
	case payorder.DefaultVerifyService:
		return s.verifyOrder
	case payorder.ServiceQueryOrder:
		return s.queryOrder
	}
	return nil
}

// writePlainFailure answers an envelope error: in plaintext, since the
// gateway may not even know whose key to seal it with.
func writePlainFailure(w http.ResponseWriter, code, message string) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"status": payorder.StatusFailure, "errorCode": code, "errorMessage": message})
}

// writeSealed encrypts the answer with the merchant's key and signs its
// plaintext with the platform key. A malformed answer is the envelope's
// JSON cut short.
func (s *Sandbox) writeSealed(w http.ResponseWriter, res result, malformed bool) {
	inner, err := json.Marshal(res)
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	biz, err := payorder.Seal(s.aesKey, inner)
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	sign, err := payorder.Sign(s.platformKey, inner)
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	env, err := json.Marshal(map[string]string{"bizContent": biz, "sign": sign})
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if malformed {
		env = sandboxfault.Malform(env)
	}
	writeBody(w, http.StatusOK, "application/json", env)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, contentType, b)
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decode reads bizContent into v, refusing fields the service does not have
// and values of the wrong type. Its messages name fields, never values.
func decode(biz []byte, v any) *failure {
	dec := json.NewDecoder(bytes.NewReader(biz))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &failure{payorder.CodeInvalidParam, typeErr.Field + " has the wrong type"}
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return &failure{payorder.CodeInvalidParam, "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")}
	}
	return &failure{payorder.CodeInvalidParam, "bizContent is not valid JSON"}
}

// required names the first empty field among name/value pairs.
func required(pairs ...string) *failure {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return &failure{payorder.CodeInvalidParam, pairs[i] + " is required"}
		}
	}
	return nil
}

func invalid(message string) reply {
	return reply{fail: &failure{payorder.CodeInvalidParam, message}}
}

func (s *Sandbox) createPayer(biz []byte) reply {
	var req createPayerRequest
	if f := decode(biz, &req); f != nil {
		return reply{fail: f}
	}
	if f := required("firstName", req.FirstName, "lastName", req.LastName); f != nil {
		return reply{fail: f}
	}
	if len(req.FirstName) > 100 || len(req.LastName) > 100 {
		return invalid("firstName and lastName have at most 100 characters")
	}
	if req.Email != "" && (!strings.Contains(req.Email, "@") || len(req.Email) > 254) {
		return invalid("email is not an email address")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextPayerID++
	s.payers[s.nextPayerID] = true
	return reply{data: map[string]int64{"payerID": s.nextPayerID}}
}

func (s *Sandbox) createOrder(biz []byte) reply {
	var req createOrderRequest
	if f := decode(biz, &req); f != nil {
		return reply{fail: f}
	}
	if f := required("order_sn", req.OrderSN, "currency", req.Currency, "amount", string(req.Amount),
		"purposeOfTransaction", req.PurposeOfTransaction, "skip3ds", req.Skip3DS, "domain", req.Domain, "product", req.Product); f != nil {
		return reply{fail: f}
	}
	if len(req.OrderSN) > 64 {
		return invalid("order_sn has at most 64 characters")
	}
	if !currencies[req.Currency] {
		return invalid("currency must be USD")
	}
	if !amounts.Match(req.Amount) {
		return invalid("amount must be a JSON number with at most two decimals")
	}
	amount, err := checkout.ParseDecimal(string(req.Amount), req.Currency)
	if err != nil || amount.Amount <= 0 {
		return invalid("amount must be a positive number with at most two decimals")
	}
	if !purposes.MatchString(req.PurposeOfTransaction) {
		return invalid("purposeOfTransaction is not a known purpose")
	}
	if req.Skip3DS != "True" && req.Skip3DS != "False" {
		return invalid(`skip3ds must be the string "True" or "False"`)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.payers[req.PayerID] {
		return invalid("payerID is not a known payer")
	}
	o := &order{
		sn:          req.OrderSN,
		payerID:     req.PayerID,
		amount:      amount,
		description: req.Description,
		product:     req.Product,
		domain:      req.Domain,
		skip3DS:     req.Skip3DS == "True",
		status:      payorder.OutcomeCreated,
		// Waiting for checkoutOrder.
		waitingSince: s.now(),
	}
	if prev, ok := s.orders[req.OrderSN]; ok {
		s.expire(prev)
		// order_sn is the idempotency key. The payer is not part of the
		// order's terms: createPayer is not idempotent, so a retry comes
		// with a new payer for the same order.
		if prev.amount != o.amount || prev.description != o.description || prev.product != o.product ||
			prev.domain != o.domain || prev.skip3DS != o.skip3DS {
			return reply{fail: &failure{payorder.CodeDuplicateOrder, "order_sn already used for a different order"}}
		}
		return reply{data: orderCreated(prev)}
	}
	o.linkID = strings.ToUpper(s.rnd.UUID())
	s.orders[o.sn] = o
	return reply{data: orderCreated(o)}
}

func orderCreated(o *order) map[string]any {
	return map[string]any{
		"linkID":   o.linkID,
		"order_sn": o.sn,
		"currency": o.amount.Currency,
		"amount":   json.Number(o.amount.Decimal()),
		"payerID":  o.payerID,
	}
}

// findOrder returns the order named by order_sn and linkID, expired first
// if it waited too long. The caller holds s.mu.
func (s *Sandbox) findOrder(orderSN, linkID string) (*order, *failure) {
	o, ok := s.orders[orderSN]
	if !ok || o.linkID != linkID {
		return nil, &failure{payorder.CodeOrderNotFound, "no order with this order_sn and linkID"}
	}
	s.expire(o)
	return o, nil
}

func (s *Sandbox) checkoutOrder(biz []byte) reply {
	var req checkoutOrderRequest
	if f := decode(biz, &req); f != nil {
		return reply{fail: f}
	}
	if f := required("order_sn", req.OrderSN, "linkID", req.LinkID, "cardHolderName", req.CardHolderName,
		"sessionCard", req.SessionCard, "sessionCvc", req.SessionCvc, "relationship", req.Relationship); f != nil {
		return reply{fail: f}
	}
	if len(req.CardHolderName) > 100 {
		return invalid("cardHolderName has at most 100 characters")
	}
	if !relationships[req.Relationship] {
		return invalid("relationship is not a known relationship")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findOrder(req.OrderSN, req.LinkID)
	if f != nil {
		return reply{fail: f}
	}
	if o.status != payorder.OutcomeCreated && o.status != payorder.OutcomeInitialized {
		return reply{fail: &failure{payorder.CodeInvalidOrderStatus, "the order is " + o.status}}
	}
	card, ok := s.takeSession(req.SessionCard, false)
	if !ok {
		return invalid("sessionCard is not a valid card session")
	}
	if _, ok := s.takeSession(req.SessionCvc, true); !ok {
		return invalid("sessionCvc is not a valid CVC session")
	}

	now := s.now()
	delete(s.byTxRef, o.txRef)
	o.card, o.holder = card.card, req.CardHolderName
	o.txRef = s.rnd.UUID()
	o.ddcSessionID = ""
	o.status = payorder.OutcomeInitialized
	o.waitingSince = now // for device data collection, then payOrder
	s.byTxRef[o.txRef] = o
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, ddcClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        s.rnd.UUID(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(30 * time.Minute)),
			Issuer:    s.apiID,
		},
		OrgUnitID:   s.orgUnitID,
		ReferenceID: o.txRef,
	}).SignedString(s.jwtKey)
	if err != nil {
		return reply{fail: &failure{"SYSTEM_ERROR", "could not initialise device data collection"}}
	}
	return reply{data: map[string]any{
		"outcome":              o.status,
		"transactionReference": o.txRef,
		"deviceDataCollection": map[string]string{"jwt": token, "url": s.publicURL + "/ddc/collect", "bin": o.card.bin},
	}}
}

// takeSession resolves and uses up a Checkout session href. The caller holds s.mu.
func (s *Sandbox) takeSession(href string, cvc bool) (*cardSession, bool) {
	id, ok := strings.CutPrefix(href, s.publicURL+"/sessions/")
	if !ok {
		return nil, false
	}
	cs, ok := s.sessions[id]
	if !ok || cs.cvcOnly != cvc || !s.now().Before(cs.expires) {
		return nil, false
	}
	delete(s.sessions, id)
	return cs, true
}

// payOrder is the payOrder service with no injected fault.
func (s *Sandbox) payOrder(biz []byte) reply { return s.pay(biz, nil) }

// pay is the payOrder service. The fault, injected or asked for by a magic
// cardholder name, goes with the answer; a 5xx does nothing, except that
// an order waiting to be paid fails without a charge (the gateway's record
// of the failed attempt, as for 4000000000000119), so queryOrder says so.
func (s *Sandbox) pay(biz []byte, injected *sandboxfault.Fault) (rep reply) {
	fault := injected
	defer func() { rep.fault = fault }()
	var req payOrderRequest
	if f := decode(biz, &req); f != nil {
		return reply{fail: f}
	}
	if f := required("order_sn", req.OrderSN, "linkID", req.LinkID, "transactionReference", req.TransactionReference,
		"userAgent", req.UserAgent); f != nil {
		return reply{fail: f}
	}
	if _, ok := windowSizes[req.ChallengeWindowSize]; !ok && req.ChallengeWindowSize != "" {
		return invalid("challengeWindowSize is not a known window size")
	}
	if !preferences[req.ChallengePreference] {
		return invalid("challengePreference is not a known preference")
	}
	if req.ReturnURL != "" {
		if u, err := url.Parse(req.ReturnURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("returnUrl must be an absolute http(s) URL")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findOrder(req.OrderSN, req.LinkID)
	if f != nil {
		return reply{fail: f}
	}
	if o.status == payorder.OutcomeCreated {
		return reply{fail: &failure{payorder.CodeInvalidOrderStatus, "the order has not been checked out"}}
	}
	if req.TransactionReference != o.txRef {
		return invalid("transactionReference does not belong to this order")
	}
	if o.status != payorder.OutcomeInitialized {
		// Decided (or waiting for a challenge) already: the same answer
		// again, never a second charge.
		return reply{data: o.answer}
	}

	o.sentSessionID = req.SessionID
	o.browserLanguage = req.BrowserLanguage
	o.returnURL, o.windowSize, o.preference = req.ReturnURL, req.ChallengeWindowSize, req.ChallengePreference
	if magic, ok := sandboxfault.FromHolder(o.holder); ok && fault == nil {
		fault = &magic
	}
	if fault != nil && fault.Kind == sandboxfault.ServerError {
		o.status = payorder.OutcomeFailed
		o.answer = orderAnswer{Outcome: o.status, TransactionReference: o.txRef}
		return reply{}
	}
	// Any other fault: the operation is done as usual; only its answer misbehaves.
	switch o.card.scenario.Fault {
	case testcards.ServerErrorNoCharge:
		o.status = payorder.OutcomeFailed
		o.answer = orderAnswer{Outcome: o.status, TransactionReference: o.txRef}
		return reply{serverError: true}
	case testcards.TimeoutCharged:
		s.authorise(o, s.authenticationOf(o, testcards.Frictionless))
		return reply{hang: true}
	}
	if f := s.authenticate(o); f != nil {
		return reply{fail: f}
	}
	return reply{data: o.answer}
}

func (s *Sandbox) verifyOrder(biz []byte) reply {
	var req verifyOrderRequest
	if f := decode(biz, &req); f != nil {
		return reply{fail: f}
	}
	if f := required("order_sn", req.OrderSN, "linkID", req.LinkID, "transactionReference", req.TransactionReference,
		"challengeReference", req.ChallengeReference); f != nil {
		return reply{fail: f}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findOrder(req.OrderSN, req.LinkID)
	if f != nil {
		return reply{fail: f}
	}
	if o.challenge == nil {
		return reply{fail: &failure{payorder.CodeInvalidOrderStatus, "the order has no challenge"}}
	}
	if req.TransactionReference != o.txRef || req.ChallengeReference != o.challenge.reference {
		return invalid("transactionReference or challengeReference does not belong to this order")
	}
	if o.status == payorder.OutcomeChallenged && o.challenge.result != "" {
		s.finishChallenge(o)
	}
	// Still waiting for the shopper, or decided: the stored answer.
	return reply{data: o.answer}
}

func (s *Sandbox) queryOrder(biz []byte) reply {
	var req queryOrderRequest
	if f := decode(biz, &req); f != nil {
		return reply{fail: f}
	}
	if f := required("order_sn", req.OrderSN, "linkID", req.LinkID); f != nil {
		return reply{fail: f}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findOrder(req.OrderSN, req.LinkID)
	if f != nil {
		return reply{fail: f}
	}
	a := orderAnswer{Outcome: o.status, TransactionReference: o.txRef}
	switch o.status {
	case payorder.OutcomeAuthorized, payorder.OutcomeRefused, payorder.OutcomeAuthenticationFailed:
		a = o.answer
	}
	return reply{data: a}
}
