package sandbox

import (
	"sync"
	"time"
)

// limiter enforces a per-AccessKeyId calls-per-second quota. One mutex per
// key is enough: the critical section is a few comparisons, far below the
// cost of the HTTP exchange around it.
type limiter struct {
	mu      sync.Mutex
	qps     int
	sliding bool

	// fixed window: the wall-clock second being counted and its count.
	sec   int64
	count int

	// sliding window: arrival times (UnixNano) of the last qps admitted
	// calls, as a ring. A call is admitted when fewer than qps calls were
	// admitted in the preceding second, i.e. when the oldest of the last
	// qps admissions is at least 1 s old.
	ring []int64
	head int // index of the oldest entry once the ring is full
	n    int
}

func newLimiter(qps int, sliding bool) *limiter {
	l := &limiter{qps: qps, sliding: sliding, sec: -1 << 62}
	if sliding && qps > 0 {
		l.ring = make([]int64, qps)
	}
	return l
}

// admit records the call if the quota allows and otherwise reports how long
// until a slot frees. Refused calls are not recorded: a real gateway does not
// charge quota for calls it turns away.
func (l *limiter) admit(now time.Time) (ok bool, retryAfter time.Duration) {
	if l == nil || l.qps <= 0 {
		return true, 0
	}
	t := now.UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.sliding {
		sec := floorDiv(t, int64(time.Second))
		if sec != l.sec {
			l.sec, l.count = sec, 0
		}
		if l.count < l.qps {
			l.count++
			return true, 0
		}
		return false, time.Duration((sec+1)*int64(time.Second) - t)
	}
	if l.n < l.qps {
		l.ring[(l.head+l.n)%l.qps] = t
		l.n++
		return true, 0
	}
	oldest := l.ring[l.head]
	if t-oldest >= int64(time.Second) {
		l.ring[l.head] = t
		l.head = (l.head + 1) % l.qps
		return true, 0
	}
	return false, time.Duration(oldest + int64(time.Second) - t)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
