// Package sandboxfault is the fault switch every provider sandbox shares,
// so that tests (and QA by hand) can make a provider misbehave the way real
// providers do (SECURITY.md R27, R28, R39) and check that every payment
// still ends in the right final state, with the sandbox's ledger telling
// the truth about what was charged.
//
// # Faults
//
// A fault applies to one money-moving API call (each sandbox documents
// which of its calls count and under which operation names):
//
//	timeout    the operation is done as usual (the payment is created, the
//	           card charged), then the answer is held until the client gives
//	           up (its request context ends) or Delay passes (2 minutes by
//	           default), and written then: normal, but too late.
//	5xx        HTTP 502 with an HTML gateway page, and nothing done: no
//	           payment, no charge, nothing remembered under an idempotency key.
//	           (A magic value may answer the provider's own 500 instead, as its
//	           4000000000000119 card does; each sandbox says.)
//	malformed  the operation is done, then the normal status and headers come
//	           with a body cut short, which does not parse. A sandbox that
//	           signs its answers signs the cut body, so that the signature
//	           verifies and the parse is what fails.
//	reset      the operation is done, then the connection is dropped without
//	           an answer (panic(http.ErrAbortHandler)).
//	slow       the operation is done and answered correctly after Delay
//	           (500 ms by default), meant to stay under the client's timeout.
//
// Faults are armed in order and each is used up by the next Count calls
// it matches (any money-moving call, or only those of one operation),
// whether the call does the operation or replays an idempotent answer. A
// sandbox may also name operations that move no money (a refund inquiry):
// those take only faults armed for them by name (TakeNamed). A
// retry that no armed fault matches is answered as the provider would: an
// operation done under a fault replays its real answer.
//
// # The control endpoint
//
// A Switch is an http.Handler that each sandbox serves at /_faults under
// its mount point (so /sandbox/<provider>/_faults in the app):
//
//	POST   /_faults  {"fault":"timeout|5xx|malformed|reset|slow","count":1,"operation":"pay","delay_ms":500}
//	                 arms a fault: 204. count defaults to 1 (at most 1000);
//	                 operation, when given, must be one of the sandbox's
//	                 operations; delay_ms (0 to 120000) is only for slow and
//	                 timeout. Anything else is 400 with {"error": "..."}.
//	DELETE /_faults  disarms every fault: 204.
//	GET    /_faults  {"operations":[...],"armed":[{...,"count":<left>}]}: 200.
//
// The endpoint has no authentication, like the rest of a sandbox: the app
// mounts the sandboxes (and with them this endpoint) only in sandbox mode,
// where no real money or card data exists. It never exists in live mode.
//
// # Magic values
//
// Faults can also be asked for with test values, so that a QA script can
// trigger them through the hosted page alone: FromHolder reads a cardholder
// name ("FAULT TIMEOUT", ...), FromAmount an amount in minor units (one
// ending in 0502 to 0506). Each sandbox documents which values it honours.
// A magic value applies to the call that first performs the operation;
// idempotent replays of it answer normally.
package sandboxfault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind is a kind of provider misbehaviour.
type Kind string

// The kinds of fault.
const (
	Timeout     Kind = "timeout"
	ServerError Kind = "5xx"
	Malformed   Kind = "malformed"
	Reset       Kind = "reset"
	Slow        Kind = "slow"
)

// Kinds lists every kind, in the order the package comment gives them.
func Kinds() []Kind { return []Kind{Timeout, ServerError, Malformed, Reset, Slow} }

func (k Kind) valid() bool { return slices.Contains(Kinds(), k) }

// Defaults and limits.
const (
	// DefaultTimeoutHold is the longest a timeout holds its answer when
	// Delay is zero: longer than any client waits (R28 asks for 30 to 40 s).
	DefaultTimeoutHold = 2 * time.Minute
	// DefaultSlowDelay is how long slow waits when Delay is zero.
	DefaultSlowDelay = 500 * time.Millisecond
	// MaxDelay bounds Delay.
	MaxDelay = 2 * time.Minute
	// MaxCount bounds Count.
	MaxCount = 1000
	// Path is where a sandbox serves its Switch, under its mount point.
	Path = "/_faults"
)

// Fault is one armed misbehaviour.
type Fault struct {
	Kind Kind
	// Count is how many matching calls it applies to; 1 when zero.
	Count int
	// Operation limits it to one of the sandbox's operations; "" matches
	// every money-moving call.
	Operation string
	// Delay is, for Slow, the wait before answering (DefaultSlowDelay when
	// zero) and, for Timeout, the longest hold (DefaultTimeoutHold when
	// zero). Other kinds have none.
	Delay time.Duration
}

// wait is how long f holds its answer.
func (f Fault) wait() time.Duration {
	switch {
	case f.Delay > 0:
		return f.Delay
	case f.Kind == Slow:
		return DefaultSlowDelay
	case f.Kind == Timeout:
		return DefaultTimeoutHold
	}
	return 0
}

// Switch holds the armed faults of one sandbox. It is safe for concurrent
// use; the zero value knows no operations and takes no operation filter.
type Switch struct {
	ops []string

	mu    sync.Mutex
	armed []Fault
}

// NewSwitch returns a switch for a sandbox whose money-moving calls are
// named by operations.
func NewSwitch(operations ...string) *Switch {
	return &Switch{ops: slices.Clone(operations)}
}

// Operations are the operation names a fault may be limited to.
func (s *Switch) Operations() []string { return slices.Clone(s.ops) }

// Inject arms f after the faults already armed.
func (s *Switch) Inject(f Fault) error {
	if !f.Kind.valid() {
		return fmt.Errorf("sandboxfault: unknown fault %q (want one of timeout, 5xx, malformed, reset, slow)", f.Kind)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Count < 0 || f.Count > MaxCount {
		return fmt.Errorf("sandboxfault: count must be 1 to %d", MaxCount)
	}
	if f.Operation != "" && !slices.Contains(s.ops, f.Operation) {
		return fmt.Errorf("sandboxfault: unknown operation %q (want one of %s)", f.Operation, strings.Join(s.ops, ", "))
	}
	if f.Delay < 0 || f.Delay > MaxDelay {
		return fmt.Errorf("sandboxfault: the delay must be 0 to %d ms", MaxDelay.Milliseconds())
	}
	if f.Delay != 0 && f.Kind != Slow && f.Kind != Timeout {
		return errors.New("sandboxfault: a delay applies only to slow and timeout")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = append(s.armed, f)
	return nil
}

// Clear disarms every fault.
func (s *Switch) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = nil
}

// Armed returns the faults still armed, each with the count it has left.
func (s *Switch) Armed() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.armed)
}

// Take uses up one count of the first armed fault that matches a call of
// operation op, and reports whether there was one.
func (s *Switch) Take(op string) (Fault, bool) {
	return s.take(func(f Fault) bool { return f.Operation == "" || f.Operation == op })
}

// TakeNamed is Take for a call that moves no money, such as a refund
// inquiry: only a fault armed for exactly operation op matches it, so a
// fault armed for "the next money-moving call" (no operation) is never
// used up by an inquiry the merchant's scheduler happens to send first.
func (s *Switch) TakeNamed(op string) (Fault, bool) {
	return s.take(func(f Fault) bool { return f.Operation == op })
}

// take uses up one count of the first armed fault that matches.
func (s *Switch) take(matches func(Fault) bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.armed {
		if !matches(f) {
			continue
		}
		if f.Count--; f.Count == 0 {
			s.armed = slices.Delete(s.armed, i, i+1)
		} else {
			s.armed[i] = f
		}
		f.Count = 1
		return f, true
	}
	return Fault{}, false
}

// Controls are the fault methods every sandbox offers its tests, over the
// sandbox's Switch: a sandbox embeds the Controls of its switch.
type Controls struct{ sw *Switch }

// Controls returns the methods a sandbox embeds to control s.
func (s *Switch) Controls() Controls { return Controls{sw: s} }

// InjectFault arms a provider fault for the next money-moving calls (see
// the sandbox's package comment and package sandboxfault).
func (c Controls) InjectFault(f Fault) error { return c.sw.Inject(f) }

// ClearFaults disarms every injected fault.
func (c Controls) ClearFaults() { c.sw.Clear() }

// ArmedFaults returns the injected faults not used up yet.
func (c Controls) ArmedFaults() []Fault { return c.sw.Armed() }

// wireFault is a fault as the control endpoint reads and writes it.
type wireFault struct {
	Fault     Kind   `json:"fault"`
	Count     int    `json:"count"`
	Operation string `json:"operation,omitempty"`
	DelayMS   int64  `json:"delay_ms,omitempty"`
}

// ServeHTTP is the control endpoint described in the package comment.
func (s *Switch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var in wireFault
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be one JSON object with fault, count, operation and delay_ms"})
			return
		}
		if in.DelayMS < 0 || in.DelayMS > MaxDelay.Milliseconds() {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("delay_ms must be 0 to %d", MaxDelay.Milliseconds())})
			return
		}
		f := Fault{Kind: in.Fault, Count: in.Count, Operation: in.Operation, Delay: time.Duration(in.DelayMS) * time.Millisecond}
		if err := s.Inject(f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": strings.TrimPrefix(err.Error(), "sandboxfault: ")})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.Clear()
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet, http.MethodHead:
		armed := []wireFault{}
		for _, f := range s.Armed() {
			armed = append(armed, wireFault{Fault: f.Kind, Count: f.Count, Operation: f.Operation, DelayMS: f.Delay.Milliseconds()})
		}
		ops := s.Operations()
		if ops == nil {
			ops = []string{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"operations": ops, "armed": armed})
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST to arm a fault, DELETE to clear them, GET to list them"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Magic cardholder names, compared without regard to case or surrounding
// space. None has a digit: the hosted page refuses names with digits.
const (
	HolderTimeout     = "FAULT TIMEOUT"
	HolderServerError = "FAULT SERVER ERROR"
	HolderMalformed   = "FAULT MALFORMED"
	HolderReset       = "FAULT RESET"
	HolderSlow        = "FAULT SLOW"
)

var holders = map[string]Kind{
	HolderTimeout: Timeout, HolderServerError: ServerError, HolderMalformed: Malformed, HolderReset: Reset, HolderSlow: Slow,
}

// FromHolder returns the fault a magic cardholder name asks for.
func FromHolder(name string) (Fault, bool) {
	k, ok := holders[strings.ToUpper(strings.Join(strings.Fields(name), " "))]
	if !ok {
		return Fault{}, false
	}
	return Fault{Kind: k, Count: 1}, true
}

// Magic amounts: an amount in minor units whose last four digits are one
// of these (10502 is 105.02 in a two-decimal currency). They collide with
// no other test value: those end in 51 or are 999999.
const (
	AmountServerError = 502 // ...0502: 5xx
	AmountMalformed   = 503 // ...0503: malformed
	AmountTimeout     = 504 // ...0504: timeout
	AmountReset       = 505 // ...0505: reset
	AmountSlow        = 506 // ...0506: slow
)

var amounts = map[int64]Kind{
	AmountServerError: ServerError, AmountMalformed: Malformed, AmountTimeout: Timeout, AmountReset: Reset, AmountSlow: Slow,
}

// FromAmount returns the fault a magic amount (in minor units) asks for.
func FromAmount(minor int64) (Fault, bool) {
	if minor <= 0 {
		return Fault{}, false
	}
	k, ok := amounts[minor%10000]
	if !ok {
		return Fault{}, false
	}
	return Fault{Kind: k, Count: 1}, true
}

// WriteServerError answers a 5xx fault: HTTP 502 with a gateway's HTML page,
// which no provider client reads as an answer.
func WriteServerError(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"))
}

// Malform cuts a body short so that it no longer parses as JSON: the first
// half, never empty, never valid.
func Malform(body []byte) []byte {
	cut := bytes.Clone(body[:len(body)/2])
	if len(cut) == 0 || json.Valid(cut) {
		cut = append(cut, `{"`...)
	}
	return cut
}

// Deliver sends the answer of an operation already done, as f wants it:
// write must write the answer (for Malformed, already cut short with
// Malform, so that a sandbox can sign what it sends). Timeout holds until
// the client gives up or its hold ends, then writes; Slow waits its delay,
// then writes; Reset drops the connection; ServerError writes a 502 (a
// sandbox checks for it before doing the operation, so this is only a
// safety net).
func Deliver(w http.ResponseWriter, r *http.Request, f Fault, write func(http.ResponseWriter)) {
	switch f.Kind {
	case Reset:
		panic(http.ErrAbortHandler)
	case ServerError:
		WriteServerError(w)
		return
	case Timeout, Slow:
		// The server notices a client hanging up only once the request
		// body has been read to its end; sandboxes read it, this makes sure.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		t := time.NewTimer(f.wait())
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		t.Stop()
	}
	write(w)
}
