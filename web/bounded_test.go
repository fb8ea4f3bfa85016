package web_test

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strconv"
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
	// One round of the same requests, short, first: what the process
	// builds once on its first requests (parsed documents, catalogs,
	// pools) is not growth. Run alone, that was most of the 16 MiB.
	for _, path := range []string{"/c/" + checkout.PrefixSession + "1", "/c/" + checkout.PrefixSession + "1/status", "/healthz"} {
		do(t, http.MethodGet, app.URL+path, nil)
	}
	do(t, http.MethodPost, app.URL+"/c/"+checkout.PrefixSession+"1/pay", []byte("form_token=x"), "Content-Type", "application/x-www-form-urlencoded")
	before := heapInUse()
	logBefore := logged.n.Load()

	const n = 100
	// Each request a different id: a limiter keyed on raw ids would keep
	// every one of them.
	huge := func(i int) string { return checkout.PrefixSession + strconv.Itoa(i) + strings.Repeat("a", 900<<10) }
	long := func(i int) string { return checkout.PrefixSession + strconv.Itoa(i) + strings.Repeat("b", 12<<10) }
	// Every answer is checked, but the memory and log bounds below are
	// measured whatever the answers were: they are the point.
	wrong := map[string]int{}
	expect := func(what string, got, want int) {
		if got != want {
			if wrong[what]++; wrong[what] == 1 {
				t.Errorf("%s: %d, want %d", what, got, want)
			}
		}
	}
	for i := range n {
		expect("GET of a 900 KB id", do(t, http.MethodGet, app.URL+"/c/"+huge(i), nil).Status, http.StatusRequestHeaderFieldsTooLarge)
		expect("GET of a 12 KB id", do(t, http.MethodGet, app.URL+"/c/"+long(i)+"/status", nil).Status, http.StatusNotFound)
		expect("a 1 MB header", do(t, http.MethodGet, app.URL+"/healthz", nil, "X-Junk", strings.Repeat("h", 1<<20)).Status, http.StatusRequestHeaderFieldsTooLarge)
		expect("POST to a 12 KB id", do(t, http.MethodPost, app.URL+"/c/"+long(n+i)+"/pay", []byte("form_token=x"), "Content-Type", "application/x-www-form-urlencoded").Status, http.StatusNotFound)
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

// Issue 12, defect 6: the request log line of a long path carries at
// most 256 bytes of it, marked as cut, and a malformed session id is never
// logged as a session_id.
func TestRequestLogClipsPathsAndSkipsMalformedIDs(t *testing.T) {
	var logged lockedBuffer
	app := MustApp(t, &logged)
	long := checkout.PrefixSession + strings.Repeat("b", 8<<10)
	if res := do(t, http.MethodGet, app.URL+"/c/"+long, nil); res.Status != http.StatusNotFound {
		t.Fatalf("GET of an 8 KB id: %d", res.Status)
	}
	var line map[string]any
	for _, l := range strings.Split(logged.tail(1<<20), "\n") {
		if strings.Contains(l, `"msg":"http"`) && strings.Contains(l, `"path":"/c/cs_b`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no request log line for the long path in:\n%s", logged.tail(1<<20))
	}
	path, _ := line["path"].(string)
	if len(path) > 256+len("…[truncated]") || !strings.HasSuffix(path, "…[truncated]") {
		t.Errorf("logged path of %d bytes: %.80s…", len(path), path)
	}
	if id, ok := line["session_id"]; ok {
		t.Errorf("a malformed id logged as session_id (%d bytes)", len(id.(string)))
	}
}
