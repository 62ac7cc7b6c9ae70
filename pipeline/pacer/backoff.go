package pacer

import (
	"math/rand/v2"
	"time"
)

// Retry backoff bounds.
const (
	BackoffBase   = 200 * time.Millisecond // first retry's jitter ceiling
	BackoffCap    = 10 * time.Second       // ceiling of the exponential part
	RetryAfterCap = 30 * time.Second       // a server's Retry-After is trusted up to this
)

// Backoff returns how long to wait before retry number attempt (1-based) of
// one call. It uses "full jitter" (uniform in [0, base)) with base =
// BackoffBase·2^(attempt-1) capped at BackoffCap, so that workers throttled
// together do not retry together. A server hint retryAfter > 0, capped at
// RetryAfterCap, is a floor. rnd returns values in [0,1); nil means
// math/rand/v2, a seeded source makes the result deterministic.
func Backoff(attempt int, retryAfter time.Duration, rnd func() float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	base := BackoffBase
	for i := 1; i < attempt && base < BackoffCap; i++ {
		base *= 2
	}
	base = min(base, BackoffCap)
	if rnd == nil {
		rnd = rand.Float64
	}
	f := rnd()
	if !(f >= 0) { // also catches NaN
		f = 0
	}
	if f >= 1 {
		f = 0.999999
	}
	d := time.Duration(f * float64(base))
	if retryAfter > 0 {
		d = max(d, min(retryAfter, RetryAfterCap))
	}
	return d
}
