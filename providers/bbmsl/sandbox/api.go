package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// Response messages [V for SUCCESS, invalid signature and no public key;
// I for the rest].
var messages = map[string]string{
	bbmsl.CodeSuccess:            "SUCCESS",
	bbmsl.CodeInvalidSignature:   "invalid signature",
	bbmsl.CodeNoPublicKey:        "no public key",
	bbmsl.CodeInvalidParameter:   "invalid parameter",
	bbmsl.CodeOrderNotFound:      "order not found",
	bbmsl.CodeDuplicateReference: "duplicate merchantReference",
	bbmsl.CodeTokenNotFound:      "token not found",
	bbmsl.CodeInvalidParent:      "invalid parent order",
	bbmsl.CodeInvalidOrderStatus: "invalid order status",
	codeDoNotHonour:              "declined: do not honour",
	codeInsufficientFunds:        "declined: insufficient funds",
	codeExpiredCard:              "declined: expired card",
	codeCVCFailed:                "declined: CVV check failed",
}

// Decline codes the sandbox gives [I]: "50" and the ISO 8583 answer.
const (
	codeDoNotHonour       = "5005"
	codeInsufficientFunds = "5051"
	codeExpiredCard       = "5054"
	codeCVCFailed         = "5082"
)

// operations are the API calls, by path without slashes at the ends.
var operations = map[string]func(*Sandbox, *params, []byte) reply{
	"tokenization/add-token":    (*Sandbox).addToken,
	"tokenization/query-token":  (*Sandbox).queryToken,
	"tokenization/delete-token": (*Sandbox).deleteToken,
	"tokenization/sale":         (*Sandbox).sale,
	"tokenization/recurring":    (*Sandbox).recurring,
	"tokenization/void":         (*Sandbox).void,
	"tokenization/query":        (*Sandbox).query,
	"hosted-checkout/query":     (*Sandbox).query,
}

// Operations a fault can be limited to: the calls that move money.
const (
	OperationSale      = "sale"
	OperationRecurring = "recurring"
	OperationVoid      = "void"
)

// faultOperations are the operations of the API paths that move money.
var faultOperations = map[string]string{
	"tokenization/sale":      OperationSale,
	"tokenization/recurring": OperationRecurring,
	"tokenization/void":      OperationVoid,
}

// reply is an API answer, built under the lock and written after it.
type reply struct {
	status int
	body   []byte
	html   bool // the 500 card: a gateway error page, not a PayAPI answer
	abort  bool // drop the connection instead of answering
	// fault is how a magic cardholder name wants the answer delivered.
	fault *sandboxfault.Fault
}

// serveAPI opens the envelope, checks merchantId and the signature, and
// routes the request.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	op, ok := operations[path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		s.write(w, invalid("request"))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.write(w, invalid("Content-Type"))
		return
	}
	p, request, refusal := s.open(buf.Bytes())
	if refusal != nil {
		s.write(w, *refusal)
		return
	}
	var injected *sandboxfault.Fault
	if name := faultOperations[path]; name != "" {
		if f, ok := s.faults.Take(name); ok {
			if f.Kind == sandboxfault.ServerError {
				sandboxfault.WriteServerError(w) // nothing done
				return
			}
			injected = &f
		}
	}
	a := op(s, p, request)
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

// open reads the envelope the way PayAPI must: it needs merchantId to pick
// the key, then verifies the signature over the exact request string
// before any other field counts.
func (s *Sandbox) open(body []byte) (*params, []byte, *reply) {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil || env == nil {
		a := invalid("request")
		return nil, nil, &a
	}
	var request, signature string
	if json.Unmarshal(env["request"], &request) != nil || request == "" {
		a := invalid("request")
		return nil, nil, &a
	}
	if json.Unmarshal(env["signature"], &signature) != nil || signature == "" {
		a := refuse(bbmsl.CodeInvalidSignature)
		return nil, nil, &a
	}
	p, ok := newParams([]byte(request))
	if !ok {
		a := invalid("request")
		return nil, nil, &a
	}
	merchantID := p.digits("merchantId", true)
	if p.bad != "" {
		a := invalid(p.bad)
		return nil, nil, &a
	}
	if !hmac.Equal([]byte(merchantID), []byte(s.creds.MerchantID)) {
		a := refuse(bbmsl.CodeNoPublicKey)
		return nil, nil, &a
	}
	if bbmsl.Verify(s.merchantKey, []byte(request), signature) != nil {
		a := refuse(bbmsl.CodeInvalidSignature)
		return nil, nil, &a
	}
	return p, []byte(request), nil
}

// write sends an answer, or drops the connection for the timeout card.
func (s *Sandbox) write(w http.ResponseWriter, a reply) {
	if a.abort {
		panic(http.ErrAbortHandler)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if a.html {
		h.Set("Content-Type", "text/html; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// answer is the common part of every answer.
type answer struct {
	ResponseCode string `json:"responseCode"`
	Message      string `json:"message"`
}

func answerOf(code string) answer { return answer{ResponseCode: code, Message: messages[code]} }

// jsonReply marshals v as an HTTP 200 answer.
func jsonReply(v any) reply {
	b, err := marshal(v)
	if err != nil {
		b = []byte(`{"responseCode":"9999","message":"system error"}`)
	}
	return reply{status: http.StatusOK, body: b}
}

// refuse is an answer carrying only a code.
func refuse(code string) reply { return jsonReply(answerOf(code)) }

// invalid is 1003 naming the field at fault, never its value.
func invalid(field string) reply {
	return jsonReply(answer{ResponseCode: bbmsl.CodeInvalidParameter, Message: "invalid parameter: " + field})
}

// serverError is the 500 of the test card: a gateway error page.
func serverError() reply {
	return reply{status: http.StatusInternalServerError, html: true,
		body: []byte("<html><body><h1>500 Internal Server Error</h1></body></html>")}
}

// marshal encodes v without HTML escaping and without a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// requestFingerprint is an HMAC of the request's canonical JSON (keys
// sorted, spacing dropped), so idempotency compares content without
// keeping it.
func (s *Sandbox) requestFingerprint(request []byte) []byte {
	canonical := request
	var v any
	if json.Unmarshal(request, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canonical = b
		}
	}
	m := hmac.New(sha256.New, s.fingerprint)
	m.Write(canonical)
	return m.Sum(nil)
}
