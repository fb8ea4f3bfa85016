package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// responseTimeFormat is the Response-Time (and notification Request-Time)
// format: ISO 8601 with milliseconds and offset [I].
const responseTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// answer is an API answer, built under the lock and written (and signed)
// after it.
type answer struct {
	status   int
	body     []byte
	unsigned bool // the 500 test card: a gateway error, not an Antom answer
	abort    bool // drop the connection instead of answering
	// fault is how a magic cardholder name wants the answer delivered.
	fault *sandboxfault.Fault
}

// Operations a fault can be limited to: the endpoints that move money.
const (
	OperationPay     = "pay"
	OperationCapture = "capture"
	OperationCancel  = "cancel"
	OperationRefund  = "refund"
)

// OperationInquiryRefund names inquiryRefund for faults. It moves no
// money, so only a fault armed for this operation by name reaches it.
const OperationInquiryRefund = "inquiryRefund"

// endpoints are the API endpoints after /v1/payments/.
var endpoints = map[string]bool{"pay": true, "inquiryPayment": true, "capture": true, "cancel": true, "refund": true, "inquiryRefund": true}

// serveAPI authenticates an API request, then routes it.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	clientID := r.Header.Get(alipaysign.HeaderClientID)
	signedPath := r.URL.EscapedPath()
	if r.Method != http.MethodPost {
		s.write(w, clientID, signedPath, s.failure(codeMethodNotSupported))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.count("invalid")
		s.write(w, clientID, signedPath, s.failure(codeParamIllegal))
		return
	}
	path, code := s.authenticate(r, body)
	if code != "" {
		s.count("unauthorised")
		s.write(w, clientID, signedPath, s.failure(code))
		return
	}
	signedPath = path

	root, endpoint, ok := splitAPIPath(r.URL.Path)
	switch {
	case !ok || !endpoints[endpoint]:
		s.write(w, clientID, signedPath, s.failure(codeNoInterface))
		return
	case root != s.root:
		// The production gateway does not know SANDBOX_ clients, and the
		// sandbox gateway knows no others.
		s.count("unauthorised")
		s.write(w, clientID, signedPath, s.failure(codeInvalidClient))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.write(w, clientID, signedPath, s.failure(codeMediaType))
		return
	}

	var injected *sandboxfault.Fault
	take := s.faults.Take
	if endpoint == OperationInquiryRefund {
		take = s.faults.TakeNamed
	}
	if endpoint != "inquiryPayment" {
		if f, ok := take(endpoint); ok {
			if f.Kind == sandboxfault.ServerError {
				sandboxfault.WriteServerError(w) // nothing done
				return
			}
			injected = &f
		}
	}

	var a answer
	switch endpoint {
	case "pay":
		a = s.pay(body)
	case "inquiryPayment":
		a = s.inquiry(body)
	case "capture":
		a = s.capture(body)
	case "cancel":
		a = s.cancelPayment(body)
	case "refund":
		a = s.refund(body)
	case "inquiryRefund":
		a = s.inquiryRefund(body)
	}
	f := injected
	if f == nil {
		f = a.fault
	}
	if f == nil || a.abort {
		s.write(w, clientID, signedPath, a)
		return
	}
	sandboxfault.Deliver(w, r, *f, func(w http.ResponseWriter) {
		if f.Kind == sandboxfault.Malformed {
			a.body = sandboxfault.Malform(a.body) // signed as it goes: the signature verifies, the body does not parse
		}
		s.write(w, clientID, signedPath, a)
	})
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	return buf.Bytes(), err
}

// splitAPIPath splits <root>/v1/payments/<endpoint>.
func splitAPIPath(path string) (root, endpoint string, ok bool) {
	for _, root := range []string{sandboxRoot, productionRoot} {
		if rest, found := strings.CutPrefix(path, root+"/v1/payments/"); found {
			return root, rest, !strings.Contains(rest, "/")
		}
	}
	return "", "", false
}

// authenticate checks Client-Id and the Signature over the request as
// Antom does. It returns the path the signature covers, or the result code
// of the refusal.
func (s *Sandbox) authenticate(r *http.Request, body []byte) (path, code string) {
	clientID := r.Header.Get(alipaysign.HeaderClientID)
	if clientID == "" || !hmac.Equal([]byte(clientID), []byte(s.creds.ClientID)) {
		return "", codeInvalidClient
	}
	header, requestTime := r.Header.Get(alipaysign.HeaderSignature), r.Header.Get(alipaysign.HeaderRequestTime)
	if header == "" || requestTime == "" {
		return "", codeInvalidSignature
	}
	_, keyVersion, _, err := alipaysign.ParseHeader(header)
	if err != nil {
		return "", codeInvalidSignature
	}
	if keyVersion != "" && keyVersion != "1" {
		return "", codeKeyNotFound
	}
	for _, p := range signedPaths(r) {
		if alipaysign.Verify(s.merchantKey, header, r.Method, p, clientID, requestTime, body) == nil {
			return p, ""
		}
	}
	return "", codeInvalidSignature
}

// signedPaths are the paths a client may have signed: the one relative to
// the mount point and the one the request arrived with (they are the same
// on Antom's hosts, which have no prefix).
func signedPaths(r *http.Request) []string {
	out := []string{r.URL.EscapedPath()}
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.EscapedPath() != out[0] {
			out = append(out, u.EscapedPath())
		}
	}
	return out
}

// write sends an answer signed with the Antom key over the path the
// request signed, or drops the connection for the timeout card.
func (s *Sandbox) write(w http.ResponseWriter, clientID, signedPath string, a answer) {
	if a.abort {
		panic(http.ErrAbortHandler)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	if !a.unsigned {
		responseTime := s.now().Format(responseTimeFormat)
		if err := alipaysign.SignMessage(s.antomKey, h, alipaysign.HeaderResponseTime, http.MethodPost, signedPath, clientID, responseTime, a.body); err != nil {
			http.Error(w, "signing failed", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// jsonAnswer marshals v as an HTTP 200 answer.
func jsonAnswer(v any) answer {
	b, err := marshal(v)
	if err != nil {
		b = []byte(`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"An API calling is failed, which is caused by unknown reasons."}}`)
	}
	return answer{status: http.StatusOK, body: b}
}

// marshal encodes v without HTML escaping, as Antom writes URLs.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// resultOf is the result object of a code: S for SUCCESS, U for the codes
// that leave the outcome unknown, F for the rest.
func resultOf(code string) result {
	status := "F"
	switch code {
	case codeSuccess:
		status = "S"
	case codePaymentInProcess, codeUnknownException, codeRefundInProcess:
		status = "U"
	}
	return result{ResultCode: code, ResultStatus: status, ResultMessage: resultMessages[code]}
}

// failure is an answer carrying only a result.
func (s *Sandbox) failure(code string) answer {
	return jsonAnswer(struct {
		Result result `json:"result"`
	}{resultOf(code)})
}

// illegal is PARAM_ILLEGAL naming the field at fault, never its value.
func (s *Sandbox) illegal(field string) answer {
	r := resultOf(codeParamIllegal)
	r.ResultMessage = "Illegal parameters: " + field + "."
	return jsonAnswer(struct {
		Result result `json:"result"`
	}{r})
}

// serverError is the 500 of the test card: a gateway error page in JSON,
// unsigned.
func serverError() answer {
	return answer{status: http.StatusInternalServerError, unsigned: true,
		body: []byte(`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"internal server error"}}`)}
}

// decode reads a JSON body into v. It returns the field at fault, "" when
// the body reads.
func decode(body []byte, v any) (field string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return "", true
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return typeErr.Field, false
	}
	return "body", false
}

// requestFingerprint is an HMAC of the request's canonical JSON (keys
// sorted, spacing dropped), so that idempotency compares content without
// keeping it: a pay body carries the card number.
func (s *Sandbox) requestFingerprint(body []byte) []byte {
	var v any
	canonical := body
	if json.Unmarshal(body, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canonical = b
		}
	}
	m := hmac.New(sha256.New, s.fingerprint)
	m.Write(canonical)
	return m.Sum(nil)
}

// count adds one to a request counter.
func (s *Sandbox) count(kind string) {
	s.mu.Lock()
	s.requests.Add(kind)
	s.mu.Unlock()
}
