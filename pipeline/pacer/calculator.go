package pacer

import "time"

// Calculator makes the pacer's rate decision, apart from the waiting: after
// each reported call it says what the rate limit is from now on, and whether
// to hold every start back for a while (a wall of throttles) or to pause until
// a probe call gets through (the quota is gone). It is the counterpart of
// rclone's lib/pacer Calculator, which turns a call's outcome into the next
// sleep time; here the outcome turns into a rate, and the Pacer turns the rate
// into start times.
//
// The Pacer calls a Calculator with its mutex held, one call at a time, so an
// implementation needs no locking of its own. Times are since the pacer was
// created, on its clock. The Pacer clamps every rate it is given to
// [Config.MinRate, Config.QPS].
type Calculator interface {
	// Calculate takes one call's report and returns the decision it leads to.
	// Reports of calls the Pacer knows to be stale (started before a pause
	// began) are not passed on.
	Calculate(r Report) Decision
	// SetRate overrides the rate at the caller's wish, at time at, and returns
	// the rate now in force.
	SetRate(rate float64, at time.Duration) float64
	// Rate returns the current rate limit, calls/s.
	Rate() float64
}

// Report is one call's outcome.
type Report struct {
	At         time.Duration // when it was reported, since the pacer was created
	Throttled  bool          // rejected by flow control; otherwise the quota accepted it
	RetryAfter time.Duration // the server's hint on a throttle, 0 if none
	// Probe: the call was the single probe let through after a pause; its
	// outcome decides whether to resume or to pause again.
	Probe bool
}

// Decision is what follows from a Report.
type Decision struct {
	// Rate is the rate limit from now on, calls/s.
	Rate float64
	// Hold > 0 starts nothing for that long (a wall: the server's window is
	// full of calls and nothing we send is accepted until some leave it), then
	// runs at Rate.
	Hold time.Duration
	// Pause > 0 admits nothing for that long, then a single probe call whose
	// report (Probe set) decides what follows.
	Pause time.Duration
}
