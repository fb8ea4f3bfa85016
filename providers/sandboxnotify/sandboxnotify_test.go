package sandboxnotify

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitUntilNothingPending(t *testing.T) {
	o := New()
	defer o.Close()
	if err := o.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with nothing pending: %v", err)
	}
	if !o.Begin() || !o.Begin() {
		t.Fatal("Begin refused on an open Outbox")
	}
	short := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		return o.Wait(ctx)
	}
	if err := short(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with two pending = %v, want DeadlineExceeded", err)
	}
	o.End()
	if err := short(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with one pending = %v, want DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- o.Wait(context.Background()) }()
	o.End()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait after the last End: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the last End")
	}
	// Pending again after idle: a fresh wait blocks again.
	if !o.Begin() {
		t.Fatal("Begin refused")
	}
	if err := short(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait after a new Begin = %v, want DeadlineExceeded", err)
	}
	o.End()
	if err := o.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEndWithoutBeginPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("End without Begin did not panic")
		}
	}()
	New().End()
}

func TestRetryStopsOnSuccess(t *testing.T) {
	var tries int
	ok := Retry(context.Background(), 0, []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}, func() bool {
		tries++
		return tries == 2
	})
	if !ok || tries != 2 {
		t.Fatalf("Retry = %v after %d tries, want true after 2", ok, tries)
	}
}

func TestRetryStopsAfterTheDelays(t *testing.T) {
	delays := []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}
	var tries int
	start := time.Now()
	ok := Retry(context.Background(), 0, delays, func() bool { tries++; return false })
	if ok || tries != 1+len(delays) {
		t.Fatalf("Retry = %v after %d tries, want false after %d", ok, tries, 1+len(delays))
	}
	if el := time.Since(start); el < 6*time.Millisecond {
		t.Fatalf("Retry took %v, less than the delays", el)
	}
	tries = 0
	if ok := Retry(context.Background(), 0, nil, func() bool { tries++; return false }); ok || tries != 1 {
		t.Fatalf("Retry without delays = %v after %d tries, want false after 1", ok, tries)
	}
}

func TestRetryFirstDelay(t *testing.T) {
	start := time.Now()
	var at time.Duration
	Retry(context.Background(), 20*time.Millisecond, nil, func() bool { at = time.Since(start); return true })
	if at < 20*time.Millisecond {
		t.Fatalf("the first try came after %v, want at least 20ms", at)
	}
	// An ended context: no try after a first delay, but a try at once
	// without one (it fails fast on its own), and no retries.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var tries int
	if Retry(ctx, time.Hour, nil, func() bool { tries++; return true }) || tries != 0 {
		t.Fatalf("Retry with an ended context and a first delay tried %d times", tries)
	}
	if Retry(ctx, 0, []time.Duration{time.Hour, time.Hour}, func() bool { tries++; return false }) || tries != 1 {
		t.Fatalf("Retry with an ended context and no first delay tried %d times, want 1", tries)
	}
}

func TestCloseCancelsAWaitingRetryAndRefusesNewDeliveries(t *testing.T) {
	o := New()
	var tries atomic.Int32
	tried := make(chan struct{})
	var ended atomic.Bool
	if !o.Begin() {
		t.Fatal("Begin refused")
	}
	o.Go(func(ctx context.Context) {
		Retry(ctx, 0, []time.Duration{time.Hour}, func() bool {
			if tries.Add(1) == 1 {
				close(tried)
			}
			return false
		})
		ended.Store(true)
		o.End()
	})
	<-tried
	closed := make(chan struct{})
	go func() { o.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a retry waiting an hour")
	}
	if !ended.Load() || tries.Load() != 1 {
		t.Fatalf("after Close: ended %v, %d tries; want ended after 1", ended.Load(), tries.Load())
	}
	if o.Context().Err() == nil {
		t.Fatal("the context is not cancelled after Close")
	}
	if o.Begin() {
		t.Fatal("Begin accepted a delivery after Close")
	}
	if err := o.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.Close() // a second Close is harmless
}

// A delivery begun before Close and handed to Go only after it (as a
// sandbox that registers a delivery under its lock and starts it later
// may do) runs with the context cancelled, and Close waits for it.
func TestCloseWaitsForBegunDeliveries(t *testing.T) {
	o := New()
	if !o.Begin() {
		t.Fatal("Begin refused")
	}
	closed := make(chan struct{})
	go func() { o.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned with a delivery pending")
	case <-time.After(20 * time.Millisecond):
	}
	var sawCancelled atomic.Bool
	o.Go(func(ctx context.Context) {
		sawCancelled.Store(ctx.Err() != nil)
		o.End()
	})
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the delivery ended")
	}
	if !sawCancelled.Load() {
		t.Fatal("a delivery started after Close ran with a live context")
	}
}

// Deliveries begun and ended from many goroutines while Close runs: for
// the race detector, and so that Close returns with every goroutine done.
func TestConcurrentDeliveriesAndClose(t *testing.T) {
	o := New()
	var mu sync.Mutex // stands for a sandbox's lock, held around Begin and Go
	var running atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if !o.Begin() {
				return
			}
			running.Add(1)
			o.Go(func(ctx context.Context) {
				Retry(ctx, 0, []time.Duration{time.Millisecond, time.Hour}, func() bool { return false })
				mu.Lock()
				running.Add(-1)
				mu.Unlock()
				o.End()
			})
		}()
	}
	time.Sleep(5 * time.Millisecond)
	o.Close()
	if n := running.Load(); n != 0 {
		t.Fatalf("%d deliveries still running after Close", n)
	}
	wg.Wait()
	if n := running.Load(); n != 0 {
		t.Fatalf("%d deliveries still running after Close", n)
	}
}
