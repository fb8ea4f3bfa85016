package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
)

// Result codes the sandbox answers with.
const (
	codeSuccess           = "SUCCESS"
	codeRepeatRequest     = "REPEAT_REQUEST"
	codeRepeatInconsist   = "REPEAT_REQ_INCONSISTENT"
	codeInvalidClient     = "INVALID_CLIENT"
	codeInvalidSignature  = "INVALID_SIGNATURE"
	codeMsgParseError     = "MSG_PARSE_ERROR"
	codeFunctionNotMatch  = "FUNCTION_NOT_MATCH"
	codeNoInterfaceDef    = "NO_INTERFACE_DEF"
	codeParamIllegal      = "PARAM_ILLEGAL"
	codeAmountExceedLimit = "PAYMENT_AMOUNT_EXCEED_LIMIT"
	codeBalanceNotEnough  = "USER_BALANCE_NOT_ENOUGH"
	codeProcessFail       = "PROCESS_FAIL"
	codeOrderClosed       = "ORDER_IS_CLOSED"
	codeOrderNotExist     = "ORDER_NOT_EXIST"
	codeInProcess         = "PAYMENT_IN_PROCESS"
)

// messages are the resultMessage of each code (the seed's where it gives one).
var messages = map[string]string{
	codeSuccess:           "Success",
	codeRepeatRequest:     "repeat order create request",
	codeRepeatInconsist:   "Repeated request with inconsistent parameters.",
	codeInvalidClient:     "Invalid client.",
	codeInvalidSignature:  "Signature is invalid.",
	codeMsgParseError:     "Message parsed error.",
	codeFunctionNotMatch:  "Function parameter does not match API.",
	codeNoInterfaceDef:    "API is not defined.",
	codeParamIllegal:      "Illegal parameters.",
	codeAmountExceedLimit: "Payment amount exceeds limit.",
	codeBalanceNotEnough:  "User balance is not enough for this payment.",
	codeProcessFail:       "The payment was declined.",
	codeOrderClosed:       "The order is closed.",
	codeOrderNotExist:     "Order not exist.",
	codeInProcess:         "Payment is in process.",
}

func res(status, code string) result {
	return result{ResultCode: code, ResultStatus: status, ResultMessage: messages[code]}
}

// Limits.
const (
	maxBody      = 1 << 20
	maxRequestID = 64
	maxURL       = 1024
	defaultTTL   = 15 * time.Minute
)

// serveAPI authenticates a request, then routes it to pay or inquiry.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ok := readBody(r.Body, maxBody)
	if !ok {
		http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	clientID := r.Header.Get(alipaysign.HeaderClientID)
	path, code := s.authenticate(r, clientID, body)
	if clientID == "" {
		clientID = s.creds.ClientID
	}
	a := answerer{s: s, w: w, r: r, path: path, clientID: clientID}
	if code != "" {
		s.count("unauthorised")
		a.send(payResponse{Result: res("F", code)})
		return
	}
	switch strings.TrimPrefix(r.URL.Path, s.prefix) {
	case "/v1/payments/pay":
		if f, ok := s.faults.Take(OperationPay); ok {
			if f.Kind == sandboxfault.ServerError {
				sandboxfault.WriteServerError(w) // nothing done
				return
			}
			a.fault = &f
		}
		s.pay(a, body)
	case "/v1/payments/inquiryPayment":
		s.inquiry(a, body)
	default:
		s.count("invalid")
		a.send(payResponse{Result: res("F", codeNoInterfaceDef)})
	}
}

// authenticate checks Client-Id and the signature over the path relative
// to the mount point or the full request path. It returns the path that
// verified (the relative one when none did) and the failure code, if any.
func (s *Sandbox) authenticate(r *http.Request, clientID string, body []byte) (string, string) {
	relative := r.URL.EscapedPath()
	if clientID == "" || clientID != s.creds.ClientID {
		return relative, codeInvalidClient
	}
	ts, sig := r.Header.Get(alipaysign.HeaderRequestTime), r.Header.Get(alipaysign.HeaderSignature)
	if ts == "" || sig == "" {
		return relative, codeInvalidSignature
	}
	candidates := []string{relative}
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.EscapedPath() != relative {
		candidates = append(candidates, u.EscapedPath())
	}
	for _, p := range candidates {
		if alipaysign.Verify(s.merchantKey, sig, http.MethodPost, p, clientID, ts, body) == nil {
			return p, ""
		}
	}
	return relative, codeInvalidSignature
}

// OperationPay is the one operation a fault can be limited to: pay, which
// creates the order the shopper then pays at the cashier.
const OperationPay = "pay"

// answerer writes signed answers to one request.
type answerer struct {
	s        *Sandbox
	w        http.ResponseWriter
	r        *http.Request
	path     string
	clientID string
	fault    *sandboxfault.Fault // how the answer is delivered, when it misbehaves
}

// send signs v with the wallet's key and writes it with HTTP 200, as the
// answerer's fault wants it (a malformed body is cut short, then signed).
func (a answerer) send(v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(a.w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if a.fault == nil {
		a.write(a.w, body)
		return
	}
	sandboxfault.Deliver(a.w, a.r, *a.fault, func(w http.ResponseWriter) {
		if a.fault.Kind == sandboxfault.Malformed {
			body = sandboxfault.Malform(body)
		}
		a.write(w, body)
	})
}

func (a answerer) write(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if err := alipaysign.SignMessage(a.s.walletKey, h, alipaysign.HeaderResponseTime, http.MethodPost, a.path, a.clientID,
		a.s.now().Format(timeFormat), body); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (s *Sandbox) count(kind string) {
	s.mu.Lock()
	s.requests.Add(kind)
	s.mu.Unlock()
}

// pay creates an order, or replays the one under the same paymentRequestId.
func (s *Sandbox) pay(a answerer, body []byte) {
	var req payRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.count("invalid")
		a.send(payResponse{Result: res("F", codeMsgParseError)})
		return
	}
	if req.ProductCode != "" && req.ProductCode != s.productCode {
		s.count("invalid")
		a.send(payResponse{Result: res("F", codeFunctionNotMatch)})
		return
	}
	v, ok := s.validatePay(req)
	if !ok {
		s.count("invalid")
		a.send(payResponse{Result: res("F", codeParamIllegal)})
		return
	}
	fingerprint := req.ProductCode + "|" + req.PaymentAmount.Currency + "|" + req.PaymentAmount.Value
	money := checkout.Money{Amount: v.amount, Currency: req.PaymentAmount.Currency}

	s.mu.Lock()
	if f, ok := s.refused[req.PaymentRequestID]; ok {
		s.mu.Unlock()
		if f.fingerprint != fingerprint {
			s.count("invalid")
			a.send(payResponse{Result: res("F", codeRepeatInconsist)})
			return
		}
		s.count("refused")
		a.send(payResponse{Result: f.result})
		return
	}
	if o := s.orders[req.PaymentRequestID]; o != nil {
		if o.productCode+"|"+o.currency+"|"+o.value != fingerprint {
			s.mu.Unlock()
			s.count("invalid")
			a.send(payResponse{Result: res("F", codeRepeatInconsist)})
			return
		}
		d := s.expire(o)
		resp := payResponse{Result: res("S", codeRepeatRequest), PaymentID: o.paymentID}
		if o.status == StatusProcessing {
			resp.RedirectActionForm = s.form(o)
		}
		if o.status == StatusSuccess {
			resp.PaymentTime = o.paidAt.Format(timeFormat)
		}
		s.requests.Add("repeat")
		s.mu.Unlock()
		s.dispatch(d, false)
		a.send(resp)
		return
	}
	magic, isMagic := sandboxfault.FromAmount(v.amount)
	if isMagic && magic.Kind == sandboxfault.ServerError {
		s.mu.Unlock()
		sandboxfault.WriteServerError(a.w) // nothing created
		return
	}
	if isMagic && a.fault == nil {
		a.fault = &magic // the order is made as usual; only the answer misbehaves
	}
	if req.PaymentAmount.Value == AmountOverLimit {
		f := refusal{fingerprint: fingerprint, result: res("F", codeAmountExceedLimit), amount: money}
		s.refused[req.PaymentRequestID] = f
		s.requests.Add("refused")
		s.mu.Unlock()
		a.send(payResponse{Result: f.result})
		return
	}
	now := s.now()
	o := &order{
		requestID:   req.PaymentRequestID,
		paymentID:   now.UTC().Format("20060102") + cryptoRand.Digits(20),
		cashierID:   cryptoRand.Hex(16),
		productCode: req.ProductCode,
		currency:    req.PaymentAmount.Currency,
		value:       req.PaymentAmount.Value,
		amount:      v.amount,
		merchant:    v.merchant,
		description: v.description,
		notifyURL:   req.PaymentNotifyURL,
		redirectURL: req.PaymentRedirectURL,
		language:    deviceLanguage(req.Order),
		created:     now,
		expires:     v.expires,
		status:      StatusProcessing,
	}
	if o.expires.IsZero() {
		o.expires = now.Add(defaultTTL)
	}
	if s.actionTimeout > 0 && now.Add(s.actionTimeout).Before(o.expires) {
		o.expires = now.Add(s.actionTimeout)
	}
	s.orders[o.requestID] = o
	s.byID[o.paymentID] = o
	s.byCashier[o.cashierID] = o
	s.requests.Add("pay")
	resp := payResponse{Result: res("S", codeSuccess), PaymentID: o.paymentID, RedirectActionForm: s.form(o)}
	s.mu.Unlock()
	a.send(resp)
}

// form is the cashier's redirectActionForm. The caller holds s.mu.
func (s *Sandbox) form(o *order) *redirectActionForm {
	return &redirectActionForm{Method: s.cashierMethod, RedirectionURL: s.publicURL + "/cashier?orderId=" + o.cashierID}
}

// validPay is what pay needs from a valid request.
type validPay struct {
	amount      int64
	merchant    string
	description string
	expires     time.Time
}

// validatePay checks the fields a wallet needs to create an order.
func (s *Sandbox) validatePay(req payRequest) (validPay, bool) {
	var v validPay
	if req.ProductCode == "" || req.PaymentRequestID == "" || len(req.PaymentRequestID) > maxRequestID || !printable(req.PaymentRequestID) {
		return v, false
	}
	a := req.PaymentAmount
	if a == nil || !checkout.ValidCurrency(a.Currency) {
		return v, false
	}
	n, ok := minorUnits(a.Value)
	if !ok || n <= 0 {
		return v, false
	}
	v.amount = n
	if req.Order == nil {
		return v, false
	}
	for _, u := range []string{req.PaymentNotifyURL, req.PaymentRedirectURL} {
		if u != "" && !absoluteURL(u) {
			return v, false
		}
	}
	if req.PaymentExpiryTime != "" {
		t, err := time.Parse(time.RFC3339Nano, req.PaymentExpiryTime)
		if err != nil {
			return v, false
		}
		v.expires = t
	}
	if g := strings.TrimSpace(string(req.Order.Goods)); g != "" && g != "null" && g[0] != '{' && g[0] != '[' {
		return v, false
	}
	if m := req.Order.Merchant; m != nil {
		v.merchant = firstNonEmpty(m.MerchantDisplayName, m.MerchantName)
	}
	v.description = req.Order.OrderDescription
	return v, true
}

// inquiry answers the state of an order.
func (s *Sandbox) inquiry(a answerer, body []byte) {
	var req inquiryRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.count("invalid")
		a.send(inquiryResponse{Result: res("F", codeMsgParseError)})
		return
	}
	if req.PaymentRequestID == "" && req.PaymentID == "" {
		s.count("invalid")
		a.send(inquiryResponse{Result: res("F", codeParamIllegal)})
		return
	}
	s.mu.Lock()
	s.requests.Add("inquiry")
	o := s.orders[req.PaymentRequestID]
	if req.PaymentRequestID == "" {
		o = s.byID[req.PaymentID]
	}
	if o == nil || (req.PaymentID != "" && o.paymentID != req.PaymentID) {
		s.mu.Unlock()
		a.send(inquiryResponse{Result: res("F", codeOrderNotExist)})
		return
	}
	d := s.expire(o)
	resp := inquiryResponse{
		Result:            result{ResultCode: codeSuccess, ResultStatus: "S", ResultMessage: "success"},
		PaymentID:         o.paymentID,
		PaymentRequestID:  o.requestID,
		PaymentStatus:     o.status,
		PaymentResult:     new(paymentResult(o)),
		PaymentAmount:     &amount{Currency: o.currency, Value: o.value},
		PaymentCreateTime: o.created.Format(timeFormat),
	}
	switch o.status {
	case StatusSuccess:
		resp.PaymentTime = o.paidAt.Format(timeFormat)
	case StatusFail, StatusCancelled:
		resp.PaymentFailReason = o.code
	}
	s.mu.Unlock()
	s.dispatch(d, false)
	a.send(resp)
}

// paymentResult is the result object of an order's payment. The caller
// holds s.mu.
func paymentResult(o *order) result {
	switch o.status {
	case StatusSuccess:
		return result{ResultCode: codeSuccess, ResultStatus: "S", ResultMessage: "success"}
	case StatusFail, StatusCancelled:
		return res("F", o.code)
	}
	return res("U", codeInProcess)
}

// minorUnits reads a minor-unit value: digits only, no leading zero.
func minorUnits(s string) (int64, bool) {
	if s == "" || len(s) > 15 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= maxURL && printable(s)
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
