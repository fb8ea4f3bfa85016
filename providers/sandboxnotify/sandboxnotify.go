// Package sandboxnotify is the delivery machinery the provider sandboxes
// share to send their signed notifications (webhooks) to the app, with
// retries, the way the real providers do. Like package sandboxfault it is
// test-only infrastructure: the app mounts the sandboxes only in sandbox
// mode.
//
// An Outbox keeps the count of deliveries not finished yet (for a sandbox's
// WaitNotifications), the goroutines that run them, and their cancellation
// (for its Close). What a delivery is, how it is signed and posted, what
// counts as an acknowledgement and what tests see of it stay in each
// sandbox. A sandbox emits a notification so, with its own lock held:
//
//	if !s.outbox.Begin() { // closed
//		return
//	}
//	d := ... // the signed delivery, kept for the sandbox's Deliveries (on failure: s.outbox.End())
//	s.outbox.Go(func(ctx context.Context) {
//		sandboxnotify.Retry(ctx, 0, delays, func() bool { return s.try(ctx, d) }) // post, record the answer
//		... mark d done, under the sandbox's lock ...
//		s.outbox.End()
//	})
//
// A delivery may also make its first try on the caller's goroutine, with
// Context, and hand the retries to Go only when that try fails.
//
// An Outbox calls no sandbox code while it holds its own lock and never
// takes a sandbox's, so Begin, Go and End may be called with the sandbox's
// mutex held. Wait and Close may not: they wait for deliveries that take it.
package sandboxnotify

import (
	"context"
	"sync"
	"time"
)

// Outbox tracks the deliveries of one sandbox. Create it with New.
type Outbox struct {
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // goroutines started by Go

	mu      sync.Mutex
	pending int           // deliveries begun and not ended
	idle    chan struct{} // closed when pending drops to zero
	closed  bool
}

// New returns an open Outbox with nothing pending.
func New() *Outbox {
	o := &Outbox{}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o
}

// Context is cancelled by Close. A delivery tried on the caller's
// goroutine (not through Go) sends its requests with it.
func (o *Outbox) Context() context.Context { return o.ctx }

// Begin counts one delivery as pending. It returns false, counting
// nothing, once Close has been called. Every true must be matched by one
// End, soon: Close waits for it.
func (o *Outbox) Begin() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	if o.pending == 0 {
		o.idle = make(chan struct{})
	}
	o.pending++
	return true
}

// End marks one delivery counted by Begin as finished (acknowledged, given
// up or abandoned).
func (o *Outbox) End() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == 0 {
		panic("sandboxnotify: End without Begin")
	}
	o.pending--
	if o.pending == 0 {
		close(o.idle)
	}
}

// Go runs run on its own goroutine with the Outbox's context; Close waits
// for it to return. Call it only for a delivery counted by Begin and not
// ended yet (run ends it): that is what lets Close know no Go comes after
// it returns. Go works after Close too, with the context already
// cancelled, for a delivery begun before.
func (o *Outbox) Go(run func(ctx context.Context)) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		run(o.ctx)
	}()
}

// Retry calls try after first (at once when first is zero), then again
// after each of delays, until try returns true, the delays run out or ctx
// ends; it reports whether try returned true. The first try is made even
// when ctx has ended already (it should fail fast then); no later one is.
func Retry(ctx context.Context, first time.Duration, delays []time.Duration, try func() bool) bool {
	if first > 0 && !sleep(ctx, first) {
		return false
	}
	if try() {
		return true
	}
	for _, d := range delays {
		if !sleep(ctx, d) {
			return false
		}
		if try() {
			return true
		}
	}
	return false
}

// sleep waits d and reports true, or false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Wait waits until no delivery is pending, or ctx ends.
func (o *Outbox) Wait(ctx context.Context) error {
	for {
		o.mu.Lock()
		if o.pending == 0 {
			o.mu.Unlock()
			return nil
		}
		idle := o.idle
		o.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close refuses new deliveries (Begin returns false), cancels the context
// (so that waits between tries and requests under way stop), then waits
// for the pending deliveries to end and for the goroutines of Go to
// return. It may be called more than once.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.cancel()
	_ = o.Wait(context.Background())
	o.wg.Wait()
}

// Tries is what a sandbox keeps of one notification's delivery, for its
// tests: the HTTP status of each try (0 without an answer), whether one
// was the acknowledgement, and whether the delivery is over.
type Tries struct {
	Attempts     []int
	Acknowledged bool
	Done         bool
}

// Deliver tries post at once and then after each of delays until it
// acknowledges or the Outbox closes, recording each try in t under mu (the
// sandbox's lock, which its Deliveries reads under); then it marks t done
// and ends the delivery Begin counted. Run it on the Outbox's goroutine
// (Go).
func (o *Outbox) Deliver(ctx context.Context, mu sync.Locker, t *Tries, delays []time.Duration, post func(ctx context.Context) (status int, acked bool)) {
	Retry(ctx, 0, delays, func() bool {
		status, acked := post(ctx)
		mu.Lock()
		t.Attempts = append(t.Attempts, status)
		t.Acknowledged = acked
		mu.Unlock()
		return acked
	})
	mu.Lock()
	t.Done = true
	mu.Unlock()
	o.End()
}
