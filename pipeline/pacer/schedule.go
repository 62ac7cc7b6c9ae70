package pacer

// schedule times the starts, on plain times (ns since the pacer's base) so
// that it can be tested without a clock. It combines:
//
//   - a strict sliding-window-log limiter: a start is admitted only when the
//     n-th most recent start (n = current rate) is more than one second ago,
//     so no 1-second span ever holds more than n starts, whatever the
//     alignment of the server's windows. Token buckets (x/time/rate) cannot
//     promise that: their burst refills while the previous second's starts
//     are still inside the server's window.
//   - smoothing: starts are scheduled window/rate apart, window being one
//     second plus a safety margin that absorbs scheduling and network jitter
//     between our start and the server's arrival. A caller arriving a little
//     late keeps its slot (bounded catch-up) instead of shifting the schedule.
//   - a hold: no start before holdUntil (a wall of throttles, see
//     Adaptive.hold).
type schedule struct {
	window    int64 // 1 s + margin, for scheduling
	catchUp   int64
	n         int   // floor(rate): starts allowed per second
	interval  int64 // window / rate
	tat       int64 // theoretical time of the next slot
	res       ring  // scheduled start times, including pending ones
	act       ring  // actual admission times
	resSeq    uint64
	undo      undoInfo
	holdUntil int64 // no start before
}

// undoInfo lets the most recent reservation (number resSeq) be given back.
type undoInfo struct {
	tat int64
	ok  bool
}

// newSchedule returns a schedule for at most qps starts a second (the rings
// hold that many), to be given its rate by setRate.
func newSchedule(qps int, window, catchUp int64) schedule {
	return schedule{window: window, catchUp: catchUp, res: newRing(qps), act: newRing(qps)}
}

// setRate spaces starts for rate calls/s. rate must be positive (the Pacer
// keeps it in [MinRate, QPS]); n never drops below 1.
func (s *schedule) setRate(rate float64) {
	s.n = max(1, int(rate))
	s.interval = int64(float64(s.window) / rate)
}

// reserve books the next slot for a caller arriving at now and returns its
// time and the reservation's number (for unreserve).
func (s *schedule) reserve(now int64) (int64, uint64) {
	prevTat := s.tat
	slot := max(s.tat, now-s.catchUp)
	if old, ok := s.res.nthRecent(s.n); ok {
		slot = max(slot, old+s.window)
	}
	s.tat = slot + s.interval
	t := max(slot, now)
	s.res.push(t)
	s.resSeq++
	s.undo = undoInfo{tat: prevTat, ok: true}
	return t, s.resSeq
}

// unreserve gives a cancelled waiter's slot back when it is the most recent
// one; an older slot stays booked, which only costs throughput.
func (s *schedule) unreserve(seq uint64) {
	if s.undo.ok && s.resSeq == seq {
		s.res.pop()
		s.tat = s.undo.tat
		s.undo.ok = false
	}
}

// hardNext returns the earliest time at which an admission keeps every
// 1-second span at n starts or fewer, and respects the hold. Scheduling alone
// keeps the cap with the margin to spare; this re-check on the actual
// admission times makes it hold even for a waiter woken later than the
// margin.
func (s *schedule) hardNext() int64 {
	if old, ok := s.act.nthRecent(s.n); ok {
		return max(old+second+1, s.holdUntil)
	}
	return s.holdUntil
}

// admit records an actual start at now.
func (s *schedule) admit(now int64) { s.act.push(now) }

// ring holds the last len(buf) times in push order.
type ring struct {
	buf   []int64
	head  int // next write position
	count int
}

func newRing(n int) ring { return ring{buf: make([]int64, n)} }

func (r *ring) push(t int64) {
	r.buf[r.head] = t
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	if r.count < len(r.buf) {
		r.count++
	}
}

func (r *ring) pop() {
	if r.count == 0 {
		return
	}
	r.head--
	if r.head < 0 {
		r.head = len(r.buf) - 1
	}
	r.count--
}

// nthRecent returns the n-th most recent time (1 = latest).
func (r *ring) nthRecent(n int) (int64, bool) {
	if n < 1 || n > r.count {
		return 0, false
	}
	i := r.head - n
	if i < 0 {
		i += len(r.buf)
	}
	return r.buf[i], true
}
