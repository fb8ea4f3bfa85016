package sandboxfault

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSwitchTakesInOrder(t *testing.T) {
	s := NewSwitch("pay", "capture")
	if _, ok := s.Take("pay"); ok {
		t.Fatal("a fault from an empty switch")
	}
	for _, f := range []Fault{
		{Kind: ServerError, Operation: "capture"},
		{Kind: Slow, Count: 2, Delay: time.Millisecond},
		{Kind: Reset, Operation: "pay"},
	} {
		if err := s.Inject(f); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, op := range []string{"pay", "pay", "capture", "pay", "capture", "pay"} {
		f, ok := s.Take(op)
		if !ok {
			got = append(got, op+":none")
			continue
		}
		if f.Count != 1 {
			t.Errorf("taken fault has count %d", f.Count)
		}
		got = append(got, op+":"+string(f.Kind))
	}
	want := "pay:slow pay:slow capture:5xx pay:reset capture:none pay:none"
	if strings.Join(got, " ") != want {
		t.Fatalf("took %v, want %s", got, want)
	}
	if err := s.Inject(Fault{Kind: Timeout, Count: 3}); err != nil {
		t.Fatal(err)
	}
	s.Take("pay")
	if a := s.Armed(); len(a) != 1 || a[0].Count != 2 {
		t.Fatalf("armed %+v, want one timeout with 2 left", a)
	}
	s.Clear()
	if a := s.Armed(); len(a) != 0 {
		t.Fatalf("armed after Clear: %+v", a)
	}
}

func TestSwitchRefusesBadFaults(t *testing.T) {
	s := NewSwitch("pay")
	for _, f := range []Fault{
		{Kind: "flaky"},
		{},
		{Kind: Reset, Count: -1},
		{Kind: Reset, Count: MaxCount + 1},
		{Kind: Reset, Operation: "refund"},
		{Kind: Reset, Delay: time.Second},
		{Kind: Slow, Delay: -time.Second},
		{Kind: Timeout, Delay: MaxDelay + time.Millisecond},
	} {
		if err := s.Inject(f); err == nil {
			t.Errorf("%+v was accepted", f)
		}
	}
	if len(s.Armed()) != 0 {
		t.Fatal("a refused fault was armed")
	}
}

func TestControlEndpoint(t *testing.T) {
	s := NewSwitch("pay", "refund")
	srv := httptest.NewServer(s)
	defer srv.Close()
	send := func(method, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	if code, _ := send(http.MethodPost, `{"fault":"slow","count":2,"operation":"refund","delay_ms":250}`); code != http.StatusNoContent {
		t.Fatalf("POST: %d", code)
	}
	if code, _ := send(http.MethodPost, `{"fault":"5xx"}`); code != http.StatusNoContent {
		t.Fatalf("POST: %d", code)
	}
	code, m := send(http.MethodGet, "")
	b, _ := json.Marshal(m)
	if code != http.StatusOK || string(b) != `{"armed":[{"count":2,"delay_ms":250,"fault":"slow","operation":"refund"},{"count":1,"fault":"5xx"}],"operations":["pay","refund"]}` {
		t.Fatalf("GET: %d %s", code, b)
	}
	if f, _ := s.Take("refund"); f.Kind != Slow || f.Delay != 250*time.Millisecond {
		t.Fatalf("took %+v", f)
	}
	for _, bad := range []string{
		`{"fault":"flaky"}`, `{"fault":"slow","operation":"inquiry"}`, `{"fault":"slow","delay_ms":-1}`,
		`{"fault":"slow","delay_ms":120001}`, `{"fault":"reset","delay_ms":5}`, `{"fault":"reset","count":1001}`,
		`{"fault":"reset","extra":1}`, `[]`, `{`, ``,
	} {
		if code, m := send(http.MethodPost, bad); code != http.StatusBadRequest || m["error"] == "" {
			t.Errorf("POST %s: %d %v", bad, code, m)
		}
	}
	if code, _ := send(http.MethodDelete, ""); code != http.StatusNoContent || len(s.Armed()) != 0 {
		t.Fatalf("DELETE: %d, armed %v", code, s.Armed())
	}
	if code, _ := send(http.MethodPatch, ""); code != http.StatusMethodNotAllowed {
		t.Fatalf("PATCH: %d", code)
	}
}

func TestMagicValues(t *testing.T) {
	for name, want := range map[string]Kind{
		"FAULT TIMEOUT": Timeout, " fault  server error ": ServerError, "Fault Malformed": Malformed,
		"FAULT RESET": Reset, "fault slow": Slow,
	} {
		if f, ok := FromHolder(name); !ok || f.Kind != want || f.Count != 1 {
			t.Errorf("FromHolder(%q) = %+v %v", name, f, ok)
		}
	}
	for _, name := range []string{"", "Jane Doe", "REFUSED", "FAULT", "FAULT 5XX", "FAULTY SLOW"} {
		if f, ok := FromHolder(name); ok {
			t.Errorf("FromHolder(%q) = %+v", name, f)
		}
	}
	for amount, want := range map[int64]Kind{502: ServerError, 10503: Malformed, 990504: Timeout, 20505: Reset, 30506: Slow} {
		if f, ok := FromAmount(amount); !ok || f.Kind != want {
			t.Errorf("FromAmount(%d) = %+v %v", amount, f, ok)
		}
	}
	for _, amount := range []int64{0, -502, 2500, 999999, 10551, 10507, 10501, 5020} {
		if f, ok := FromAmount(amount); ok {
			t.Errorf("FromAmount(%d) = %+v", amount, f)
		}
	}
}

func TestMalform(t *testing.T) {
	for _, body := range []string{`{"a":1}`, `{}`, `[1,2,3]`, `12`, `1`, ``, `{"result":{"resultStatus":"S"}}`} {
		cut := Malform([]byte(body))
		if len(cut) == 0 || json.Valid(cut) {
			t.Errorf("Malform(%q) = %q, which parses", body, cut)
		}
	}
}

// serve runs one request through Deliver with fault f and reports what the
// client got and whether the operation (the write) happened.
func serve(t *testing.T, f Fault, clientTimeout time.Duration) (status int, body string, err error, wrote *atomic.Bool, took time.Duration) {
	t.Helper()
	wrote = &atomic.Bool{}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		Deliver(w, r, f, func(w http.ResponseWriter) {
			wrote.Store(true)
			b := []byte(`{"ok":true}`)
			if f.Kind == Malformed {
				b = Malform(b)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(b)
		})
	}))
	defer srv.Close()
	c := &http.Client{Timeout: clientTimeout}
	began := time.Now()
	resp, err := c.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	took = time.Since(began)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status, body = resp.StatusCode, string(b)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler is still holding after the client left")
	}
	return status, body, err, wrote, took
}

func TestDeliver(t *testing.T) {
	t.Run("timeout holds until the client gives up, then answers", func(t *testing.T) {
		_, _, err, wrote, took := serve(t, Fault{Kind: Timeout}, 200*time.Millisecond)
		var ne interface{ Timeout() bool }
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("client error %v, want a timeout", err)
		}
		if !wrote.Load() || took < 200*time.Millisecond {
			t.Fatalf("wrote %v after %v", wrote.Load(), took)
		}
	})
	t.Run("timeout with a hold shorter than the client's patience", func(t *testing.T) {
		status, body, err, _, took := serve(t, Fault{Kind: Timeout, Delay: 100 * time.Millisecond}, 5*time.Second)
		if err != nil || status != http.StatusCreated || body != `{"ok":true}` || took < 100*time.Millisecond {
			t.Fatalf("%d %q %v after %v", status, body, err, took)
		}
	})
	t.Run("slow", func(t *testing.T) {
		status, body, err, _, took := serve(t, Fault{Kind: Slow}, 5*time.Second)
		if err != nil || status != http.StatusCreated || body != `{"ok":true}` || took < DefaultSlowDelay {
			t.Fatalf("%d %q %v after %v", status, body, err, took)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		status, body, err, wrote, _ := serve(t, Fault{Kind: Malformed}, 5*time.Second)
		if err != nil || status != http.StatusCreated || json.Valid([]byte(body)) || !wrote.Load() {
			t.Fatalf("%d %q %v", status, body, err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		_, _, err, _, _ := serve(t, Fault{Kind: Reset}, 5*time.Second)
		if err == nil {
			t.Fatal("the connection was not dropped")
		}
	})
	t.Run("5xx", func(t *testing.T) {
		status, body, err, wrote, _ := serve(t, Fault{Kind: ServerError}, 5*time.Second)
		if err != nil || status != http.StatusBadGateway || wrote.Load() || !strings.Contains(body, "502") {
			t.Fatalf("%d %q %v wrote %v", status, body, err, wrote.Load())
		}
	})
}

func TestDeliverHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	w := httptest.NewRecorder()
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	began := time.Now()
	Deliver(w, r, Fault{Kind: Timeout}, func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	if time.Since(began) > 2*time.Second || w.Code != http.StatusOK {
		t.Fatalf("held %v, wrote %d", time.Since(began), w.Code)
	}
}

func TestTakeNamedIgnoresUnscopedFaults(t *testing.T) {
	s := NewSwitch("refund", "inquire-refund")
	if err := s.Inject(Fault{Kind: Timeout}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.TakeNamed("inquire-refund"); ok {
		t.Fatal("an inquiry took a fault armed for any money-moving call")
	}
	if err := s.Inject(Fault{Kind: ServerError, Operation: "inquire-refund", Count: 2}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if f, ok := s.TakeNamed("inquire-refund"); !ok || f.Kind != ServerError || f.Count != 1 {
			t.Fatalf("inquiry %d took %+v, %v", i, f, ok)
		}
	}
	if _, ok := s.TakeNamed("inquire-refund"); ok {
		t.Fatal("a fault used up twice")
	}
	if f, ok := s.Take("refund"); !ok || f.Kind != Timeout {
		t.Fatalf("the refund took %+v, %v; want the unscoped timeout", f, ok)
	}
}
