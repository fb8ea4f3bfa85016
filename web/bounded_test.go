package web_test

import (
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// countingWriter counts what the app logs.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// Issue 12, defect 6: one unauthenticated client sending long URLs and
// long headers cannot grow the server's memory or its log. A 900 KB id or
// a 1 MB header is refused by the server (431) before any handler; an id
// under the header limit is refused as malformed (404) before any limiter
// or lookup; every log line stays short; malformed ids leave no limiter
// key behind.
func TestLongURLsAndHeadersKeepMemoryBounded(t *testing.T) {
	var logged countingWriter
	app := MustApp(t, &logged, func(c *web.Config) { c.SessionRequestsPerMinute = 1000 })
	before := heapInUse()
	logBefore := logged.n.Load()

	const n = 100
	huge := checkout.PrefixSession + strings.Repeat("a", 900<<10)
	long := checkout.PrefixSession + strings.Repeat("b", 12<<10)
	for i := range n {
		if res := do(t, http.MethodGet, app.URL+"/c/"+huge, nil); res.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("GET of a 900 KB id %d: %d", i, res.Status)
		}
		if res := do(t, http.MethodGet, app.URL+"/c/"+long+"/status", nil); res.Status != http.StatusNotFound {
			t.Fatalf("GET of a 12 KB id %d: %d", i, res.Status)
		}
		if res := do(t, http.MethodGet, app.URL+"/healthz", nil, "X-Junk", strings.Repeat("h", 1<<20)); res.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("a 1 MB header %d: %d", i, res.Status)
		}
		if res := do(t, http.MethodPost, app.URL+"/c/"+long+"/pay", []byte("form_token=x"), "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusNotFound {
			t.Fatalf("POST to a 12 KB id %d: %d", i, res.Status)
		}
	}
	grew := int64(heapInUse()) - int64(before)
	logGrew := logged.n.Load() - logBefore
	t.Logf("after %d long URLs and headers: heap in use %+d KiB, log %d KiB", 4*n, grew>>10, logGrew>>10)
	// 400 requests carry about 190 MB; what stays must be a small fraction.
	if grew > 16<<20 {
		t.Errorf("the heap grew by %d MiB", grew>>20)
	}
	if perLine := logGrew / (4 * n); perLine > 2<<10 {
		t.Errorf("the log grew by %d KiB, %d bytes a request", logGrew>>10, perLine)
	}
}
