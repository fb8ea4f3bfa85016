package checkout

import "time"

// checkSchedule is how long to wait before each inquiry of a payment whose
// outcome is unknown: the first within seconds, then spreading out so that
// the whole schedule covers a little over 24 hours.
// The first minute is dense (every 5 s, as wallet docs suggest after the
// shopper returns), so a shopper waiting on the "confirming" page sees the
// answer as soon as the provider has it.
var checkSchedule = []time.Duration{
	2 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second,
	5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second,
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// NextCheckDelay returns the wait before inquiry number n (0-based) and false
// once the schedule is exhausted and a person has to look.
func NextCheckDelay(n int) (time.Duration, bool) {
	if n < 0 || n >= len(checkSchedule) {
		return 0, false
	}
	return checkSchedule[n], true
}

// StaleActionAfter is how long a payment may wait for the shopper's browser
// (a challenge, a redirect) before the reconciler asks the provider about it.
const StaleActionAfter = 15 * time.Minute

// ProcessingCheckAfter is how long a provider call may run before the
// reconciler treats the payment as unknown (the process may have died).
const ProcessingCheckAfter = 2 * time.Minute
