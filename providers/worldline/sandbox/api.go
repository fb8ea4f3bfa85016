package sandbox

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
)

// maxClockSkew is how far the Date header may be from the sandbox's clock [I].
const maxClockSkew = 15 * time.Minute

// Header names of the platform.
const (
	headerIdempotenceKey       = "X-GCS-Idempotence-Key"
	headerIdempotenceTimestamp = "X-GCS-Idempotence-Request-Timestamp"
)

// answer is an API answer, built under the lock and written after it, and
// kept as is for idempotent replays.
type answer struct {
	status int
	header http.Header // besides Content-Type
	body   []byte
	abort  bool // drop the connection instead of answering
	// fault is how a magic cardholder name wants the answer delivered; an
	// idempotent replay never carries it.
	fault *sandboxfault.Fault
}

// Operations a fault can be limited to: the calls that move money.
const (
	OperationCreate  = "create"  // POST …/payments: authorises (and, for a challenge card, starts 3DS)
	OperationApprove = "approve" // POST …/payments/{id}/approve: captures
	OperationCancel  = "cancel"  // POST …/payments/{id}/cancel: voids the authorisation
	OperationRefund  = "refund"  // POST …/payments/{id}/refund
)

// OperationInquireRefund names the refund inquiries (GET …/refunds/{id} and
// GET …/refunds?merchantReference=…) for faults. They move no money, so
// only a fault armed for this operation by name reaches them.
const OperationInquireRefund = "inquire-refund"

// faultOperation is the fault operation of a request, "" for the calls
// that move no money (GET, find), except the refund inquiries, which
// may be faulted by name.
func faultOperation(method, rest string) string {
	seg := strings.Split(rest, "/")
	if method != http.MethodPost {
		if method == http.MethodGet && len(seg) <= 2 && seg[0] == "refunds" {
			return OperationInquireRefund
		}
		return ""
	}
	switch {
	case len(seg) == 1 && seg[0] == "payments":
		return OperationCreate
	case len(seg) == 3 && seg[0] == "payments" && seg[1] != "" &&
		(seg[2] == OperationApprove || seg[2] == OperationCancel || seg[2] == OperationRefund):
		return seg[2]
	}
	return ""
}

// idemRecord is what the sandbox remembers of an idempotence key.
type idemRecord struct {
	inFlight  bool
	timestamp time.Time // of the first request
	answer    answer
}

// serveAPI authenticates an API request, applies idempotence and routes it.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	merchantID, rest := splitAPIPath(r.URL.Path)
	if reason := s.authenticateRequest(r, merchantID); reason != "" {
		s.count("unauthorised")
		s.write(w, s.errorAnswer(http.StatusForbidden, apiError{
			Code: "9002", ID: "MISSING_OR_INVALID_AUTHORIZATION", Category: "CONNECT_PLATFORM_ERROR",
			Message: "MISSING_OR_INVALID_AUTHORIZATION: " + reason, HTTPStatusCode: http.StatusForbidden,
		}))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		s.count("invalid")
		s.write(w, s.validationAnswer("", "the request body is unreadable or larger than 1 MiB"))
		return
	}

	var injected *sandboxfault.Fault
	if op := faultOperation(r.Method, rest); op != "" {
		take := s.faults.Take
		if op == OperationInquireRefund {
			take = s.faults.TakeNamed
		}
		if f, ok := take(op); ok {
			if f.Kind == sandboxfault.ServerError {
				// Nothing done, nothing remembered under the key.
				sandboxfault.WriteServerError(w)
				return
			}
			injected = &f
		}
	}

	key := ""
	if r.Method == http.MethodPost {
		key = strings.TrimSpace(r.Header.Get(headerIdempotenceKey))
	}
	if key == "" {
		s.answerWith(w, r, injected, s.handle(r, rest, body))
		return
	}

	storeKey := merchantID + "\x00" + key
	s.mu.Lock()
	if rec, ok := s.idempotence[storeKey]; ok {
		var a answer
		if rec.inFlight {
			s.requests.Add("in-progress")
			a = s.errorAnswer(http.StatusConflict, apiError{
				Code: "1409", ID: "DUPLICATE_REQUEST_IN_PROGRESS", Category: "CONNECT_PLATFORM_ERROR",
				Message: "DUPLICATE_REQUEST_IN_PROGRESS", HTTPStatusCode: http.StatusConflict,
			})
		} else {
			s.requests.Add("replayed")
			a = rec.answer
			a.abort = false // the replay is the answer the first request never got
			a.fault = nil
		}
		a.header = a.header.Clone()
		if a.header == nil {
			a.header = http.Header{}
		}
		a.header.Set(headerIdempotenceTimestamp, unixMillis(rec.timestamp))
		s.mu.Unlock()
		s.answerWith(w, r, injected, a)
		return
	}
	rec := &idemRecord{inFlight: true, timestamp: s.now()}
	s.idempotence[storeKey] = rec
	h := s.hold.Take()
	s.mu.Unlock()

	finished := false
	defer func() {
		if !finished { // a panic other than the deliberate abort: forget the key
			s.mu.Lock()
			delete(s.idempotence, storeKey)
			s.mu.Unlock()
		}
	}()
	h.Wait()
	a := s.handle(r, rest, body)
	s.mu.Lock()
	rec.inFlight, rec.answer = false, a
	s.mu.Unlock()
	finished = true
	s.answerWith(w, r, injected, a)
}

// answerWith writes an answer as a fault wants it: the injected one, else the
// one a magic cardholder name asked for, else normally.
func (s *Sandbox) answerWith(w http.ResponseWriter, r *http.Request, injected *sandboxfault.Fault, a answer) {
	f := injected
	if f == nil {
		f = a.fault
	}
	if f == nil || a.abort {
		s.write(w, a)
		return
	}
	sandboxfault.Deliver(w, r, *f, func(w http.ResponseWriter) {
		if f.Kind == sandboxfault.Malformed {
			a.body = sandboxfault.Malform(a.body)
		}
		s.write(w, a)
	})
}

// splitAPIPath splits /v1/{merchantId}/rest into the merchant id and rest.
func splitAPIPath(path string) (merchantID, rest string) {
	after, _ := strings.CutPrefix(path, "/v1/")
	merchantID, rest, _ = strings.Cut(after, "/")
	return merchantID, rest
}

// handle routes a request and counts the ones refused as invalid.
func (s *Sandbox) handle(r *http.Request, rest string, body []byte) answer {
	a := s.route(r, rest, body)
	if a.status == http.StatusBadRequest {
		s.count("invalid")
	}
	return a
}

// route dispatches an authenticated request by its path after the merchant id.
func (s *Sandbox) route(r *http.Request, rest string, body []byte) answer {
	seg := strings.Split(rest, "/")
	switch {
	case len(seg) == 1 && seg[0] == "payments":
		switch r.Method {
		case http.MethodPost:
			return s.createPayment(r, body)
		case http.MethodGet:
			return s.findPayments(r)
		}
		return s.methodNotAllowed("GET, POST")
	case len(seg) == 2 && seg[0] == "payments" && seg[1] != "":
		if r.Method == http.MethodGet {
			return s.getPayment(seg[1])
		}
		return s.methodNotAllowed("GET")
	case len(seg) == 1 && seg[0] == "refunds":
		if r.Method == http.MethodGet {
			return s.findRefunds(r)
		}
		return s.methodNotAllowed("GET")
	case len(seg) == 2 && seg[0] == "refunds" && seg[1] != "":
		if r.Method == http.MethodGet {
			return s.getRefund(seg[1])
		}
		return s.methodNotAllowed("GET")
	case len(seg) == 3 && seg[0] == "payments" && seg[1] != "" &&
		(seg[2] == "approve" || seg[2] == "cancel" || seg[2] == "refund"):
		if r.Method != http.MethodPost {
			return s.methodNotAllowed("POST")
		}
		switch seg[2] {
		case "approve":
			return s.approvePayment(r, seg[1], body)
		case "cancel":
			return s.cancelPayment(seg[1])
		default:
			return s.refundPayment(r, seg[1], body)
		}
	}
	return s.errorAnswer(http.StatusNotFound, apiError{
		Code: "9404", ID: "RESOURCE_NOT_FOUND", Category: "CONNECT_PLATFORM_ERROR",
		Message: "RESOURCE_NOT_FOUND", HTTPStatusCode: http.StatusNotFound,
	})
}

// authenticateRequest checks the Date and the GCS v1HMAC Authorization
// header, and that the key belongs to the merchant in the path. It returns
// why it refuses, "" when the request is authentic.
func (s *Sandbox) authenticateRequest(r *http.Request, merchantID string) string {
	date := r.Header.Get("Date")
	t, err := time.Parse(worldline.DateFormat, date)
	if err != nil {
		return "the Date header is missing or not an RFC 1123 date in GMT"
	}
	if skew := s.now().Sub(t); skew > maxClockSkew || skew < -maxClockSkew {
		return "the Date header is more than 15 minutes from the server's clock"
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return "the Authorization header is missing"
	}
	secretFor := func(keyID string) (string, bool) {
		if keyID == s.creds.APIKeyID {
			return s.creds.SecretAPIKey, true
		}
		return "", false
	}
	contentType := r.Header.Get("Content-Type")
	signed := false
	var keyID string
	for _, u := range signedResources(r) {
		var ok bool
		keyID, ok = worldline.VerifyAuthorization(header, secretFor, worldline.StringToSign(r.Method, contentType, date, r.Header, u))
		if ok {
			signed = true
			break
		}
	}
	switch {
	case !signed && !strings.HasPrefix(header, "GCS v1HMAC:"):
		return "the Authorization header is not GCS v1HMAC"
	case !signed && keyID != s.creds.APIKeyID:
		return "the API key id is unknown"
	case !signed:
		return "the signature does not match the request"
	case merchantID != s.creds.MerchantID:
		return "the API key does not belong to the merchant in the path"
	}
	return ""
}

// signedResources are the URLs whose canonical resource a client may have
// signed: the one the request arrived with (r.RequestURI, before any
// http.StripPrefix) and the one relative to the mount point.
func signedResources(r *http.Request) []*url.URL {
	var out []*url.URL
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			out = append(out, u)
		}
	}
	return append(out, r.URL)
}

// originalPath is the escaped path the request arrived with.
func originalPath(r *http.Request) string {
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			return u.EscapedPath()
		}
	}
	return r.URL.EscapedPath()
}

// write sends an answer, or drops the connection for the timeout card.
func (s *Sandbox) write(w http.ResponseWriter, a answer) {
	if a.abort {
		panic(http.ErrAbortHandler)
	}
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// jsonAnswer marshals v as an answer.
func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"errorId":"00000000000000000000000000000000","errors":[{"code":"9999","message":"UNKNOWN_SERVER_ERROR","httpStatusCode":500}]}`)
		status = http.StatusInternalServerError
	}
	return answer{status: status, body: b}
}

// errorAnswer is an error body with a fresh errorId.
func (s *Sandbox) errorAnswer(status int, items ...apiError) answer {
	return jsonAnswer(status, errorResponse{ErrorID: hex.EncodeToString(s.rnd.Bytes(16)), Errors: items})
}

// validationAnswer is a 400 naming the property at fault; message never
// carries the value.
func (s *Sandbox) validationAnswer(property, message string) answer {
	return s.errorAnswer(http.StatusBadRequest, validationError(property, message))
}

func validationError(property, message string) apiError {
	return apiError{Code: "21000020", Message: message, HTTPStatusCode: http.StatusBadRequest, PropertyName: property}
}

func (s *Sandbox) serverError() answer {
	return s.errorAnswer(http.StatusInternalServerError, apiError{
		Code: "9999", Message: "UNKNOWN_SERVER_ERROR", HTTPStatusCode: http.StatusInternalServerError,
	})
}

func (s *Sandbox) methodNotAllowed(allow string) answer {
	a := s.errorAnswer(http.StatusMethodNotAllowed, apiError{
		Code: "9405", ID: "METHOD_NOT_ALLOWED", Category: "CONNECT_PLATFORM_ERROR",
		Message: "METHOD_NOT_ALLOWED", HTTPStatusCode: http.StatusMethodNotAllowed,
	})
	a.header = http.Header{"Allow": {allow}}
	return a
}

func (s *Sandbox) unknownPayment() answer {
	return s.errorAnswer(http.StatusNotFound, apiError{
		Code: "1002", ID: "UNKNOWN_PAYMENT_ID", Category: "CONNECT_PLATFORM_ERROR",
		Message: "UNKNOWN_PAYMENT_ID", HTTPStatusCode: http.StatusNotFound,
	})
}

func (s *Sandbox) wrongStatus(status string) answer {
	return s.errorAnswer(http.StatusConflict, apiError{
		Code: "300450", ID: "ACTION_NOT_ALLOWED_IN_CURRENT_STATUS", Category: "PAYMENT_PLATFORM_ERROR",
		Message: "the payment is " + status, HTTPStatusCode: http.StatusConflict,
	})
}

// decodeBody reads a JSON body into v. An empty body is an empty object.
// Its errors name properties, never values.
func (s *Sandbox) decodeBody(r *http.Request, body []byte, v any) *answer {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		a := s.validationAnswer("", "Content-Type must be application/json")
		return &a
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		a := s.validationAnswer(typeErr.Field, typeErr.Field+" has the wrong type")
		return &a
	}
	a := s.validationAnswer("", "the request body is not valid JSON")
	return &a
}

// count adds one to a request counter.
func (s *Sandbox) count(kind string) {
	s.mu.Lock()
	s.requests.Add(kind)
	s.mu.Unlock()
}
