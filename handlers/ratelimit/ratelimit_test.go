package ratelimit_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers/ratelimit"
)

// The Limiter is what web wires into checkout's card-testing limits.
var _ checkout.Counter = (*ratelimit.Limiter)(nil)

// Issue 12, defect 6: a limiter's keys go once idle for its window (swept
// on its clock at least once a minute, or by Sweep from the workers'
// timer), and a flood of distinct keys never holds more than
// MaxKeys: the stalest half is forgotten, the newest counts kept.
func TestLimiterKeysExpireAndStayBounded(t *testing.T) {
	var l ratelimit.Limiter
	at := time.Unix(1_800_000_000, 0)
	for i := range 1000 {
		l.Allow("k"+strconv.Itoa(i), 5, time.Minute, at)
	}
	if l.Keys() != 1000 {
		t.Fatalf("%d keys", l.Keys())
	}
	l.Allow("late", 5, time.Minute, at.Add(61*time.Second))
	if l.Keys() != 1 {
		t.Fatalf("%d keys a minute on, want only the new one", l.Keys())
	}
	l.Sweep(at.Add(3 * time.Minute))
	if l.Keys() != 0 {
		t.Fatalf("%d keys after the timer's sweep", l.Keys())
	}

	for i := range ratelimit.MaxKeys + 10 {
		if ok, _ := l.Allow("f"+strconv.Itoa(i), 1, time.Hour, at.Add(time.Duration(i)*time.Millisecond)); !ok {
			t.Fatalf("a first event for a new key %d refused", i)
		}
	}
	if l.Keys() > ratelimit.MaxKeys {
		t.Fatalf("%d keys, more than %d", l.Keys(), ratelimit.MaxKeys)
	}
	last := at.Add(time.Duration(ratelimit.MaxKeys+9) * time.Millisecond)
	if ok, _ := l.Allow("f"+strconv.Itoa(ratelimit.MaxKeys+9), 1, time.Hour, last); ok {
		t.Fatal("the newest key's count was forgotten")
	}
}
