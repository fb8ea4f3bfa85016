package ratelimit

import "time"

// APILimits slow the merchant API: requests per merchant in a second
// (PerSecond), and failed authentications per client IP in a minute
// (FailedAuthPerMinute): past that, the IP's further bad keys are refused
// (a valid key still works). Zero limits are off, and so is a nil
// *APILimits. It only counts: the handlers turn a refusal into the 429
// answer with Retry-After.
type APILimits struct {
	PerSecond, FailedAuthPerMinute int
	// Shared, when set, counts for every instance (else this process's
	// own Limiter).
	Shared  Counter
	limiter Limiter
}

func (a *APILimits) counter() Counter {
	if a.Shared != nil {
		return a.Shared
	}
	return &a.limiter
}

// Request records a request of merchantID at now and refuses it over the
// limit, saying how long until the next one may go.
func (a *APILimits) Request(merchantID string, now time.Time) (bool, time.Duration) {
	if a == nil {
		return true, 0
	}
	return a.counter().Allow("api:"+merchantID, a.PerSecond, time.Second, now)
}

// AuthBlocked reports whether a client IP failed to authenticate too often
// in the last minute, and how long until it may try again.
func (a *APILimits) AuthBlocked(ip string, now time.Time) (bool, time.Duration) {
	if a == nil {
		return false, 0
	}
	return a.counter().Blocked("auth:"+ip, a.FailedAuthPerMinute, time.Minute, now)
}

// AuthFailed records a failed authentication from ip.
func (a *APILimits) AuthFailed(ip string, now time.Time) {
	if a != nil {
		a.counter().Allow("auth:"+ip, a.FailedAuthPerMinute, time.Minute, now)
	}
}

// Sweep drops the idle keys of the API limits.
func (a *APILimits) Sweep(now time.Time) {
	if a != nil {
		a.counter().Sweep(now)
	}
}
