// Package sandboxkit is what the provider sandboxes share besides faults
// (sandboxfault), notifications (sandboxnotify) and pages (sandboxpage):
// a random source safe for concurrent use, request counters, and the hold
// that lets a test stop a request while it is in flight.
package sandboxkit

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/opencheckout/hostedcheckout/providers/sandboxnotify"
)

// Random reads a configured random source (crypto/rand when none), which
// may not be safe for concurrent use, under its own lock. A source that
// fails is a broken test setup: Random panics, naming the sandbox.
type Random struct {
	mu   sync.Mutex
	r    io.Reader
	name string
}

// NewRandom reads r (crypto/rand.Reader when nil) for the sandbox name.
func NewRandom(r io.Reader, name string) *Random {
	if r == nil {
		r = rand.Reader
	}
	return &Random{r: r, name: name}
}

// Bytes returns n random bytes.
func (r *Random) Bytes(n int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		panic(r.name + " sandbox: the random source failed: " + err.Error())
	}
	return b
}

// Digits returns n random decimal digits.
func (r *Random) Digits(n int) string { return r.From("0123456789", n) }

// From returns n characters drawn from alphabet (at most 256 of them).
func (r *Random) From(alphabet string, n int) string {
	b := r.Bytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Hex returns n random bytes in lower-case hex.
func (r *Random) Hex(n int) string { return hex.EncodeToString(r.Bytes(n)) }

// Base64 returns n random bytes in standard base64.
func (r *Random) Base64(n int) string { return base64.StdEncoding.EncodeToString(r.Bytes(n)) }

// UUID returns a random (version 4) UUID.
func (r *Random) UUID() string {
	b := r.Bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Counters counts a sandbox's requests by kind, for tests.
type Counters struct {
	mu sync.Mutex
	m  map[string]int
}

// Add counts one request of kind.
func (c *Counters) Add(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[kind]++
}

// Snapshot is a copy of the counts.
func (c *Counters) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// Hold lets a test stop the next request of some kind once the sandbox has
// registered it as in flight, and send a duplicate meanwhile.
type Hold struct {
	mu   sync.Mutex
	next *Held
}

// Held is one armed hold.
type Held struct {
	entered chan struct{}
	release chan struct{}
}

// Next arms the hold for the next request: entered is closed when that
// request starts waiting, release lets it go on (calling it again does
// nothing).
func (h *Hold) Next() (entered <-chan struct{}, release func()) {
	held := &Held{entered: make(chan struct{}), release: make(chan struct{})}
	h.mu.Lock()
	h.next = held
	h.mu.Unlock()
	var once sync.Once
	return held.entered, func() { once.Do(func() { close(held.release) }) }
}

// Take disarms the hold and returns it (nil when none was armed); the
// request calls Wait on it once it is registered, outside its own locks.
func (h *Hold) Take() *Held {
	h.mu.Lock()
	defer h.mu.Unlock()
	held := h.next
	h.next = nil
	return held
}

// Wait signals that the request is waiting and waits for the release; on
// a nil Held it returns at once.
func (held *Held) Wait() {
	if held == nil {
		return
	}
	close(held.entered)
	<-held.release
}

// Server is what every sandbox embeds to serve its routes and send its
// notifications: it gives the Sandbox its ServeHTTP and Close.
type Server struct {
	Mux    *http.ServeMux
	Outbox *sandboxnotify.Outbox // nil for a sandbox that sends no notifications
}

// ServeHTTP serves the routes listed in the sandbox's package comment,
// with paths relative to the mount point (use http.StripPrefix).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Mux.ServeHTTP(w, r) }

// Close stops notification deliveries (pending retries are abandoned) and
// waits for the ones under way to return.
func (s *Server) Close() error {
	if s.Outbox != nil {
		s.Outbox.Close()
	}
	return nil
}
