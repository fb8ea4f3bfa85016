package sandboxkit

import (
	"bytes"
	"regexp"
	"sync"
	"testing"
	"time"
)

func TestRandom(t *testing.T) {
	r := NewRandom(bytes.NewReader(bytes.Repeat([]byte{0x07, 0xff}, 64)), "test")
	if got := r.Digits(4); got != "7575" {
		t.Errorf("Digits = %q", got)
	}
	if got := r.Hex(2); got != "07ff" {
		t.Errorf("Hex = %q", got)
	}
	if u := NewRandom(nil, "test").UUID(); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) {
		t.Errorf("UUID = %q", u)
	}
	defer func() {
		if recover() == nil {
			t.Error("an exhausted source did not panic")
		}
	}()
	NewRandom(bytes.NewReader(nil), "test").Bytes(1)
}

func TestCountersAndHold(t *testing.T) {
	var c Counters
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Add("pay") }()
	}
	wg.Wait()
	if got := c.Snapshot()["pay"]; got != 50 {
		t.Fatalf("pay = %d", got)
	}

	var h Hold
	if h.Take() != nil {
		t.Fatal("a hold nobody armed")
	}
	(*Held)(nil).Wait() // returns at once
	entered, release := h.Next()
	done := make(chan struct{})
	go func() { h.Take().Wait(); close(done) }()
	<-entered
	select {
	case <-done:
		t.Fatal("the held request went on before the release")
	case <-time.After(20 * time.Millisecond):
	}
	release()
	release()
	<-done
	if h.Take() != nil {
		t.Fatal("the hold stayed armed")
	}
}
