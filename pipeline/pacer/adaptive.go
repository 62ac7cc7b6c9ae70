package pacer

import (
	"math"
	"time"
)

const (
	// decreaseFactor is applied on throttling, at most once per second so
	// that the throttles of calls already in flight count as one signal.
	decreaseFactor = 0.9
	// recoverShare of the quota is added back per throttle-free second.
	recoverShare = 0.01
	// noGrowthAfterThrottle: stragglers of an over-rate burst keep arriving
	// for about one latency after a decrease; do not grow before they are
	// through.
	noGrowthAfterThrottle = second
	// Lowering the rate takes decreaseAfter throttles, and at least 1% of the
	// rate, within one second: a few throttles are scheduling jitter at the
	// edge of the window (their retries absorb them), and a 10% cut for them
	// costs ~0.8% of a minute's quota. Running over the quota throttles many
	// calls a second.
	decreaseAfter = 4
	// Above a learned background share, a cut takes an excess of
	// noiseSigmas standard deviations of the binomial noise of that share
	// (3 let a false cut through every minute or so: a spike picked for being
	// high falls back afterwards and looks like a cut that worked),
	// so that random throttles rarely look like overload.
	noiseSigmas = 4.0
	// wallStreak throttles in a row with no acceptance between is a full
	// window (hold); cutMargin is the headroom left below the share we
	// held of it, and no cut goes below minCutFactor of the rate.
	wallStreak   = 20
	cutMargin    = 0.02
	minCutFactor = 0.5

	// A throttle streak of at least probeStreak calls lasting probeAfter with
	// no success in between means the quota is gone (per-minute quota,
	// another client, revoked grant), not merely exceeded: pause.
	probeStreak = 5
	probeAfter  = 2 * second

	pauseFirst = time.Second
	pauseMax   = 30 * time.Second
)

// Adaptive is the default Calculator: AIMD feedback as in rclone's lib/pacer,
// with each cut judged by its effect (see judgement).
//
//   - A throttle lowers the rate by decreaseFactor, at most once per second
//     and only for throttles above a learned background share; each
//     throttle-free second adds recoverShare of the quota back.
//   - wallStreak throttles in a row within probeAfter are a wall: hold all
//     starts until our calls of the last second leave the server's window,
//     and run at the share of it that was ours.
//   - A streak of probeStreak throttles lasting probeAfter means the quota
//     is gone: pause (1 s, doubling for each failed probe, up to 30 s, never
//     shorter than the server's Retry-After).
type Adaptive struct {
	q       int
	minRate float64
	rate    float64

	lastDecrease int64
	growFrom     int64 // growth is reckoned from here
	streak       int   // throttles in a row, no acceptance between
	streakStart  int64
	pauseLevel   int // failed probes since the streak that paused

	j judgement
}

// NewAdaptive returns the default Calculator for a quota of qps calls per
// second, starting at the full quota. minRate is the floor of the rate; 0
// means max(1, qps/50). qps must be positive.
func NewAdaptive(qps int, minRate float64) *Adaptive {
	a := &Adaptive{q: qps, minRate: resolveMinRate(qps, minRate)}
	a.lastDecrease = math.MinInt64 / 2
	a.j.firstReport = math.MinInt64 / 2
	a.setRate(float64(qps))
	return a
}

func resolveMinRate(qps int, minRate float64) float64 {
	if minRate <= 0 {
		minRate = max(1, float64(qps)/50)
	}
	return min(minRate, float64(qps))
}

// Rate returns the current rate limit, calls/s.
func (a *Adaptive) Rate() float64 { return a.rate }

// SetRate sets the rate, clamped to [minRate, qps]. The caller's rate wins
// over undoing a cut, and growth starts from at.
func (a *Adaptive) SetRate(rate float64, at time.Duration) float64 {
	a.setRate(rate)
	a.growFrom = max(a.growFrom, int64(at))
	a.j.forget()
	return a.rate
}

// Calculate implements Calculator.
func (a *Adaptive) Calculate(r Report) Decision {
	now := int64(r.At)
	switch {
	case r.Probe && r.Throttled:
		a.pauseLevel++
		return a.pause(now, r.RetryAfter)
	case r.Probe:
		// Resume at the lowered rate; growth starts from here.
		a.pauseLevel = 0
		a.streak = 0
		a.growFrom = now
		return Decision{Rate: a.rate}
	case r.Throttled:
		return a.throttled(now, r.RetryAfter)
	}
	a.accepted(now)
	return Decision{Rate: a.rate}
}

func (a *Adaptive) setRate(r float64) {
	a.rate = max(min(r, float64(a.q)), a.minRate)
}

// report counts a report, first settling a cut whose judgement is due (on
// the reports before this one): a cut that changed nothing is undone.
func (a *Adaptive) report(now int64, throttled bool) {
	if restore, undo := a.j.settle(now); undo {
		a.setRate(max(a.rate, restore))
		a.growFrom = now
	}
	a.j.record(now, throttled)
}

// accepted grows the rate additively, by recoverShare of the quota per
// second since growth last counted.
func (a *Adaptive) accepted(now int64) {
	a.report(now, false)
	a.streak = 0
	if now > a.growFrom {
		if a.rate < float64(a.q) {
			dt := float64(now-a.growFrom) / float64(second)
			a.setRate(a.rate + dt*recoverShare*float64(a.q))
		}
		a.growFrom = now
	}
}

func (a *Adaptive) throttled(now int64, retryAfter time.Duration) Decision {
	a.report(now, true)
	excess, sigma := a.j.excess(now)
	// Growth pauses while throttles run above the background (by more than
	// half its noise): the rate is at the edge; a whole deviation lets it
	// hover ~1.5% over the quota. With no background that is after
	// any throttle: stragglers of an over-rate burst keep arriving for about
	// one latency after a decrease. Background throttles alone must not stop
	// growth, or the rate never recovers from a cut.
	if excess > sigma/2 {
		a.growFrom = max(a.growFrom, now+noGrowthAfterThrottle)
	}
	if a.streak == 0 {
		a.streakStart = now
	}
	a.streak++
	if a.streak == wallStreak && now-a.streakStart < probeAfter {
		return a.hold(now)
	}
	if !a.j.pending() && now-a.lastDecrease >= second &&
		excess >= max(decreaseAfter, a.rate/100, noiseSigmas*sigma) {
		a.j.open(now, a.rate, a.lastDecrease)
		a.lastDecrease = now
		a.setRate(a.rate * decreaseFactor)
	}
	if a.streak >= probeStreak && now-a.streakStart >= probeAfter {
		a.pauseLevel = 0
		return a.pause(now, retryAfter)
	}
	return Decision{Rate: a.rate}
}

// hold answers a wall: wallStreak throttles in a row, no acceptance between.
// The server's window is full, and nothing we send is accepted until calls leave
// it: in a sliding window ours leave one second after they came, so a job that
// started beside a client already using 40% of the quota fills the window in
// 0.6 s and would be throttled at its full rate for the rest of that second,
// then cut by 10% a second for five more. The share of the window that is ours
// is what we got accepted over the last second: run at that, and start nothing
// until our oldest accepted calls of that second have left the window (in a
// fixed window the boundary comes sooner; holding until then costs less than a
// second once). The cut stays within the bounds of an ordinary one and
// minCutFactor; a quota that is gone keeps throttling after the hold and is
// paused for by the streak rule.
func (a *Adaptive) hold(now int64) Decision {
	owned, first := a.j.reports.lastSecondAccepted(now)
	a.setRate(max(a.rate*minCutFactor, min(a.rate*decreaseFactor, float64(owned)*(1-cutMargin))))
	holdUntil := max(now+slotDur, slotStart(first)+second)
	a.lastDecrease = now
	a.growFrom = max(a.growFrom, holdUntil+noGrowthAfterThrottle)
	// Like a pause, a hold changes what the server sees beyond a cut's effect.
	a.j.forget()
	return Decision{Rate: a.rate, Hold: time.Duration(holdUntil - now)}
}

// pause answers a quota that is gone: pauseFirst, doubled for every failed
// probe up to pauseMax, and at least the server's hint (up to pauseMax).
func (a *Adaptive) pause(now int64, retryAfter time.Duration) Decision {
	d := pauseFirst
	for i := 0; i < a.pauseLevel && d < pauseMax; i++ {
		d *= 2
	}
	d = min(d, pauseMax)
	if retryAfter > 0 {
		d = max(d, min(retryAfter, pauseMax))
	}
	a.streak = 0
	// A pause changes the rate seen by the server beyond any cut's effect.
	a.j.forget()
	return Decision{Rate: a.rate, Pause: d}
}
