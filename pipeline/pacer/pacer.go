// Package pacer paces calls to an API with a hard per-second quota that the
// server enforces on arrival, in fixed wall-clock windows or a sliding window.
//
// A Pacer combines three things on one mutex:
//
//   - a strict sliding-window-log limiter: a start is admitted only when the
//     n-th most recent start (n = current rate) is more than one second ago,
//     so no 1-second span ever holds more than n starts, whatever the
//     alignment of the server's windows. Token buckets (x/time/rate) cannot
//     promise that: their burst refills while the previous second's starts
//     are still inside the server's window.
//   - smoothing: starts are scheduled Window/R apart, Window being one second
//     plus a safety margin that absorbs scheduling and network jitter
//     between our start and the server's arrival. A caller arriving a little
//     late keeps its slot (bounded catch-up) instead of shifting the schedule.
//   - AIMD feedback (as in rclone's lib/pacer): Throttled lowers the rate
//     multiplicatively at most once per second, Succeeded lets it recover
//     additively, and persistent throttling pauses all starts and lets single
//     probe calls through until one succeeds.
//   - judging each cut by its effect: throttling caused by our rate answers a
//     cut (the throttles absorb the calls we dropped, or their share falls);
//     throttling that a proxy or server injects at a constant share of calls
//     does not. A cut that changed nothing is undone and the share it left
//     becomes the background: only throttles above it count from then on.
//     Without this, a 5% random throttle cuts the rate every second and the
//     rate sinks to the floor. See judgeLocked.
//
// A typical worker:
//
//	for attempt := 1; ; attempt++ {
//		if err := p.Wait(ctx); err != nil {
//			return err
//		}
//		err := call()
//		if !isThrottle(err) {
//			p.Succeeded()
//			return err
//		}
//		p.Throttled(retryAfter(err))
//		if err := p.Sleep(ctx, pacer.Backoff(attempt, retryAfter(err), nil)); err != nil {
//			return err
//		}
//	}
package pacer

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultMargin       = 15 * time.Millisecond
	DefaultCatchUp      = 2 * time.Millisecond
	DefaultProbeTimeout = 10 * time.Second
)

const (
	second = int64(time.Second)

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
	// wallStreak throttles in a row with no acceptance between is a full
	// window (holdLocked); cutMargin is the headroom left below the share we
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

	// Reports are counted in slots of slotDur; nSlots covers the second
	// before a cut and the second after it, with room for a late judgement.
	slotDur        = int64(50 * time.Millisecond)
	slotsPerSecond = second / slotDur
	nSlots         = 64

	// A cut is judged judgeAfter later on the reports that arrived from
	// judgeSkip after it: calls in flight at the cut were started at the old
	// rate. Until then no further cut: its effect would mix with this one's.
	judgeAfter = second
	judgeSkip  = int64(200 * time.Millisecond)
	// Fewer reports than judgeMin on either side is no evidence: keep the
	// cut, as before judging existed.
	judgeMin = 20
	// The cut is ineffective when the share of throttles after it is not
	// clearly below the share before it: the fall is less than judgeFell
	// standard deviations of the difference of the two shares. A small
	// overload under a larger background (3% over 5%, ~600 calls a second)
	// moves the share by little more than one deviation, so the test leans
	// towards keeping the cut: a cut kept wrongly costs ~1 s at 90% and is
	// undone by the next judgement, an overload taken for background keeps
	// throttling until the background expires. A share clearly higher after
	// the cut (judgeRose deviations) means something else changed (a
	// competitor arrived, the quota ran out): the cut stays too.
	judgeFell = 1.0
	judgeRose = 2.0
	// ... and when our report rate did fall (by at least judgeBit of the
	// cut; otherwise the rate limit was not what bounded our calls and the
	// cut has not bitten yet) but throttles fell by less than judgeAbsorb of
	// that fall. Throttling caused by our rate loses (almost) exactly the
	// calls we dropped: the quota's acceptances stay the same.
	judgeBit    = 1.0 / 3
	judgeAbsorb = 0.5
	// Above a learned background share, a cut takes an excess of
	// noiseSigmas standard deviations of the binomial noise of that share
	// (3 let a false cut through every minute or so: a spike picked for being
	// high falls back afterwards and looks like a cut that worked),
	// so that random throttles rarely look like overload.
	noiseSigmas = 4.0
	// The background is reviewed every backgroundTTL against the share seen
	// since it was learned: kept (never raised) while it persists, forgotten
	// once it is gone, so that a background that went away does not hide a
	// later overload for long. Re-learning it instead, by an ineffective cut,
	// costs a second at 90% and, one time in six, a cut kept by chance.
	backgroundTTL = 30 * second
	minBackground = 0.02
	// reviewMin reports since the last review are needed to renew the
	// background; with fewer the share is too noisy to tell.
	reviewMin = 1000
	// Cuts that follow each other within episodeGap (the previous one having
	// been kept) form an episode: one cut kept by chance under a constant
	// share is followed by another, and when that one is found ineffective
	// the share before the first tells whether that one helped either.
	episodeGap = judgeAfter + 2*second
	// A review renews the background when the share since matches it within
	// reviewSigmas deviations, and at most until backgroundMaxAge after a cut
	// learned it; then an ineffective cut learns it afresh.
	reviewSigmas     = 2.0
	backgroundMaxAge = 120 * second
)

// State is the pacer's mode.
type State int32

const (
	// Running admits calls at the current rate.
	Running State = iota
	// Paused admits nothing until the pause ends.
	Paused
	// Probing has admitted one call after a pause and waits for its result.
	Probing
)

func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Paused:
		return "paused"
	case Probing:
		return "probing"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Config configures a Pacer. Only QPS is required.
type Config struct {
	// QPS is the hard quota: at most QPS starts in any 1-second span. Zero or
	// negative means unlimited: Wait never blocks (for measuring local
	// overhead against a sandbox).
	QPS int
	// Margin is added to the 1-second window used for scheduling, trading
	// Margin/1s of throughput for immunity to that much jitter between our
	// start and the server's arrival. 0 means DefaultMargin; negative means
	// none.
	Margin time.Duration
	// MinRate is the floor of the adaptive rate; 0 means max(1, QPS/50).
	MinRate float64
	// CatchUp is how far behind the schedule a caller may start without the
	// schedule sliding later; 0 means DefaultCatchUp, negative none. The
	// sliding cap holds regardless.
	CatchUp time.Duration
	// ProbeTimeout bounds the wait for a probe call's report: a probe that
	// never reports Succeeded/Throttled is replaced by another after this.
	// 0 means DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// Clock defaults to System.
	Clock Clock
}

// Stats is a snapshot for a status line.
type Stats struct {
	Starts    uint64  // calls admitted by Wait
	Throttles uint64  // Throttled reports
	Successes uint64  // Succeeded reports
	Pauses    uint64  // times the pacer entered Paused
	Holds     uint64  // times a wall of throttles held all starts back (see holdLocked)
	Rate      float64 // current rate limit, calls/s (+Inf when unlimited)
	State     State
}

// Pacer is a strict rate limiter with adaptive rate. All methods are safe for
// concurrent use.
type Pacer struct {
	clock     Clock
	base      time.Time // times below are int64 ns since base
	unlimited bool

	q            int
	window       int64 // 1 s + margin, for scheduling
	catchUp      int64
	minRate      float64
	probeTimeout int64

	starts, throttles, successes, pauses, holds atomic.Uint64

	mu       sync.Mutex
	rate     float64
	n        int   // floor(rate): starts allowed per second
	interval int64 // window / rate
	tat      int64 // theoretical time of the next slot
	res      ring  // scheduled start times, including pending ones
	act      ring  // actual admission times
	resSeq   uint64
	undo     undoInfo
	epoch    uint64 // bumped on every pause: voids pending slots

	state         State
	pauseUntil    int64
	holdUntil     int64 // no start before: a wall of throttles (holdLocked)
	pauseLevel    int
	probeDeadline int64
	wake          context.Context // cancelled on state changes, for paused waiters
	wakeCancel    context.CancelFunc

	lastDecrease int64
	growFrom     int64
	streak       int
	streakStart  int64

	reports     slots // throttles and reports while running
	firstReport int64
	background  float64 // share of reports throttled whatever our rate
	bgReports   int     // reports the background was estimated from
	bgUntil     int64
	bgT, bgN    int   // reports since the background was learned or renewed
	bgLearned   int64 // when a judged cut last learned it
	judge       judgeInfo
	episode     episodeInfo

	onStart func(t int64) // test hook, called with mu held
}

// judgeInfo describes a cut awaiting judgement: the rate before it and the
// reports in the second before it.
type judgeInfo struct {
	pending bool
	at      int64
	rate    float64
	t0, n0  int // the second before the cut
	rt0     int // throttles and reports over d0, for rates
	rn0     int
	d0      int64
}

// episodeInfo describes the first cut of a run of consecutive cuts: the rate
// before it and the reports in the second before it.
type episodeInfo struct {
	valid   bool
	rate    float64
	t0, n0  int
	lastCut int64
}

// undoInfo lets the most recent reservation (number resSeq) be given back.
type undoInfo struct {
	tat int64
	ok  bool
}

// New returns a Pacer running at the full quota.
func New(cfg Config) *Pacer {
	clk := cfg.Clock
	if clk == nil {
		clk = System
	}
	p := &Pacer{clock: clk, base: clk.Now()}
	if cfg.QPS <= 0 {
		p.unlimited = true
		return p
	}
	p.q = cfg.QPS
	margin := cfg.Margin
	switch {
	case margin == 0:
		margin = DefaultMargin
	case margin < 0:
		margin = 0
	}
	p.window = second + int64(margin)
	switch {
	case cfg.CatchUp == 0:
		p.catchUp = int64(DefaultCatchUp)
	case cfg.CatchUp > 0:
		p.catchUp = int64(cfg.CatchUp)
	}
	p.minRate = cfg.MinRate
	if p.minRate <= 0 {
		p.minRate = max(1, float64(cfg.QPS)/50)
	}
	p.minRate = min(p.minRate, float64(cfg.QPS))
	p.probeTimeout = int64(cfg.ProbeTimeout)
	if p.probeTimeout <= 0 {
		p.probeTimeout = int64(DefaultProbeTimeout)
	}
	p.res = newRing(cfg.QPS)
	p.act = newRing(cfg.QPS)
	p.lastDecrease = math.MinInt64 / 2
	p.firstReport = math.MinInt64 / 2
	p.setRateLocked(float64(cfg.QPS))
	return p
}

// Sleep sleeps on the pacer's clock; use it with Backoff between retries.
func (p *Pacer) Sleep(ctx context.Context, d time.Duration) error {
	return p.clock.Sleep(ctx, d)
}

func (p *Pacer) now() int64 { return int64(p.clock.Now().Sub(p.base)) }

// Wait blocks until a call may start and counts the start. Callers are
// served roughly in arrival order. It returns ctx.Err() if ctx ends first;
// the call must then not be made.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.unlimited {
		p.starts.Add(1)
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
outer:
	for {
		now := p.now()
		switch p.state {
		case Paused:
			if now < p.pauseUntil {
				if err := p.sleepStateLocked(ctx, p.pauseUntil-now); err != nil {
					return err
				}
				continue
			}
			if h := p.hardNextLocked(); now < h {
				if err := p.sleepStateLocked(ctx, h-now); err != nil {
					return err
				}
				continue
			}
			p.state = Probing
			p.probeDeadline = now + p.probeTimeout
			p.signalLocked()
			p.admitLocked(now)
			return nil
		case Probing:
			if now < p.probeDeadline {
				if err := p.sleepStateLocked(ctx, p.probeDeadline-now); err != nil {
					return err
				}
				continue
			}
			// The probe never reported (its caller gave up): send another.
			p.probeDeadline = now + p.probeTimeout
			p.admitLocked(now)
			return nil
		}

		t, seq := p.reserveLocked(now)
		epoch := p.epoch
		for {
			// Scheduling alone keeps the cap with Margin to spare; this
			// re-check on the actual admission times makes it hold even for a
			// waiter woken later than the margin.
			if h := p.hardNextLocked(); h > t {
				t = h
			}
			if t <= now {
				break
			}
			p.mu.Unlock()
			err := p.clock.Sleep(ctx, time.Duration(t-now))
			p.mu.Lock()
			if err != nil {
				p.unreserveLocked(seq)
				return err
			}
			now = p.now()
			if p.epoch != epoch {
				continue outer
			}
		}
		p.admitLocked(now)
		return nil
	}
}

// reserveLocked books the next slot and returns its time.
func (p *Pacer) reserveLocked(now int64) (int64, uint64) {
	prevTat := p.tat
	slot := max(p.tat, now-p.catchUp)
	if old, ok := p.res.nthRecent(p.n); ok {
		slot = max(slot, old+p.window)
	}
	p.tat = slot + p.interval
	t := max(slot, now)
	p.res.push(t)
	p.resSeq++
	p.undo = undoInfo{tat: prevTat, ok: true}
	return t, p.resSeq
}

// unreserveLocked gives a cancelled waiter's slot back when it is the most
// recent one; an older slot stays booked, which only costs throughput.
func (p *Pacer) unreserveLocked(seq uint64) {
	if p.undo.ok && p.resSeq == seq {
		p.res.pop()
		p.tat = p.undo.tat
		p.undo.ok = false
	}
}

// hardNextLocked returns the earliest time at which an admission keeps every
// 1-second span at n starts or fewer.
func (p *Pacer) hardNextLocked() int64 {
	if old, ok := p.act.nthRecent(p.n); ok {
		return max(old+second+1, p.holdUntil)
	}
	return p.holdUntil
}

func (p *Pacer) admitLocked(now int64) {
	p.act.push(now)
	p.starts.Add(1)
	if p.onStart != nil {
		p.onStart(now)
	}
}

// sleepStateLocked sleeps up to d, waking early when the state changes.
// It returns with p.mu held.
func (p *Pacer) sleepStateLocked(ctx context.Context, d int64) error {
	if p.wake == nil {
		p.wake, p.wakeCancel = context.WithCancel(context.Background())
	}
	wake := p.wake
	p.mu.Unlock()
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(wake, cancel)
	err := p.clock.Sleep(sctx, time.Duration(d))
	stop()
	cancel()
	p.mu.Lock()
	if err != nil {
		return ctx.Err() // nil when only the state changed
	}
	return nil
}

func (p *Pacer) signalLocked() {
	if p.wakeCancel != nil {
		p.wakeCancel()
		p.wake, p.wakeCancel = nil, nil
	}
}

// Throttled reports that a call was rejected by flow control. retryAfter is
// the server's hint, 0 if none.
func (p *Pacer) Throttled(retryAfter time.Duration) {
	p.throttles.Add(1)
	if p.unlimited {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	switch p.state {
	case Paused:
		// A call started before the pause: no news.
		return
	case Probing:
		p.pauseLevel++
		p.enterPauseLocked(now, retryAfter)
		return
	}
	p.reportLocked(now, true)
	excess, sigma := p.excessLocked(now)
	// Growth pauses while throttles run above the background (by more than
	// half its noise): the rate is at the edge; a whole deviation lets it
	// hover ~1.5% over the quota. With no background that is after
	// any throttle: stragglers of an over-rate burst keep arriving for about
	// one latency after a decrease. Background throttles alone must not stop
	// growth, or the rate never recovers from a cut.
	if excess > sigma/2 {
		p.growFrom = max(p.growFrom, now+noGrowthAfterThrottle)
	}
	if p.streak == 0 {
		p.streakStart = now
	}
	p.streak++
	if p.streak == wallStreak && now-p.streakStart < probeAfter {
		p.holdLocked(now)
		return
	}
	if !p.judge.pending && now-p.lastDecrease >= second &&
		excess >= max(decreaseAfter, p.rate/100, noiseSigmas*sigma) {
		// Shares are compared over the whole second before the cut (fixed
		// server windows throttle in bursts at their ends, so part of a
		// second is biased). Our call rate is measured only after the
		// previous cut settled: right after a cut the cap holds starts back
		// for a moment, and that dip would pass for this cut's fall.
		cur := slotOf(now)
		t0, n0 := p.reports.sum(cur-slotsPerSecond+1, cur)
		from := max(cur-slotsPerSecond+1, slotOf(p.firstReport), slotOf(p.lastDecrease+judgeSkip)+1)
		rt0, rn0 := p.reports.sum(from, cur)
		if !p.episode.valid || now-p.episode.lastCut > episodeGap {
			p.episode = episodeInfo{valid: true, rate: p.rate, t0: t0, n0: n0}
		}
		p.episode.lastCut = now
		p.lastDecrease = now
		p.judge = judgeInfo{pending: true, at: now, rate: p.rate, t0: t0, n0: n0,
			rt0: rt0, rn0: rn0, d0: now - max(slotStart(from), p.firstReport)}
		p.setRateLocked(p.rate * decreaseFactor)
	}
	if p.streak >= probeStreak && now-p.streakStart >= probeAfter {
		p.pauseLevel = 0
		p.enterPauseLocked(now, retryAfter)
	}
}

// holdLocked answers a wall: wallStreak throttles in a row, no acceptance between.
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
func (p *Pacer) holdLocked(now int64) {
	cur := slotOf(now)
	from := cur - slotsPerSecond + 1
	t, n := p.reports.sum(from, cur)
	owned := float64(n-t) * (1 - cutMargin)
	first := from
	for ; first < cur; first++ {
		if t, n := p.reports.sum(first, first); n > t {
			break
		}
	}
	p.setRateLocked(max(p.rate*minCutFactor, min(p.rate*decreaseFactor, owned)))
	p.holdUntil = max(now+slotDur, slotStart(first)+second)
	p.lastDecrease = now
	p.growFrom = max(p.growFrom, p.holdUntil+noGrowthAfterThrottle)
	// Like a pause, a hold changes what the server sees beyond a cut's effect.
	p.judge.pending = false
	p.episode.valid = false
	p.epoch++
	p.holds.Add(1)
	p.signalLocked()
}

// reportLocked counts a report while running, first settling a cut whose
// judgement is due (on the reports before this one).
func (p *Pacer) reportLocked(now int64, throttled bool) {
	if p.judge.pending && now-p.judge.at >= judgeAfter {
		p.judgeLocked(now)
	}
	if p.background > 0 && now >= p.bgUntil {
		p.reviewBackgroundLocked(now)
	}
	if p.firstReport == math.MinInt64/2 {
		p.firstReport = now
	}
	p.reports.add(now, throttled)
	if p.background > 0 {
		p.bgN++
		if throttled {
			p.bgT++
		}
	}
}

// reviewBackgroundLocked renews the background with the share seen since it
// was learned when that share is still a background, and forgets it when it
// is not. Renewal never raises it: throttles above it (an overload that came
// later) must keep counting as excess, and only a judged cut may raise it.
func (p *Pacer) reviewBackgroundLocked(now int64) {
	share := float64(p.bgT) / float64(max(p.bgN, 1))
	b := p.background
	// The share since the last review must match the background within the
	// noise of both estimates: throttles of an overload that came later (or a
	// background that faded) change it, and then the background must go so
	// that the excess counts again. Even a match is renewed only up to
	// backgroundMaxAge: an overload whose share happens to equal a background
	// that went away is hidden at most that long.
	sd := math.Sqrt(b * (1 - b) * (1/float64(max(p.bgN, 1)) + 1/float64(max(p.bgReports, 1))))
	if p.bgN >= reviewMin && share >= minBackground && math.Abs(share-b) <= reviewSigmas*sd &&
		now-p.bgLearned < backgroundMaxAge {
		p.background = min(p.background, share)
		p.bgReports = p.bgN
		p.bgUntil = now + backgroundTTL
	} else {
		p.background = 0
	}
	p.bgT, p.bgN = 0, 0
}

// excessLocked returns the throttles of the last second above the background
// share and the standard deviation of the background count. The deviation adds the error of the estimated
// share to the binomial noise of this second: an estimate one deviation low
// would otherwise turn ordinary seconds into cuts.
func (p *Pacer) excessLocked(now int64) (excess, sigma float64) {
	cur := slotOf(now)
	t, n := p.reports.sum(cur-slotsPerSecond+1, cur)
	b, fn := p.background, float64(n)
	if b > 0 {
		sigma = math.Sqrt(b * (1 - b) * fn * (1 + fn/float64(p.bgReports)))
	}
	return float64(t) - b*fn, sigma
}

// judgeLocked decides whether the pending cut helped. Throttling driven by
// our rate (alone or with a competitor sharing the quota) answers a cut in
// one of two ways: the share of throttles falls clearly (we were a little
// over), or the throttles fall by about the calls we dropped (we were far
// over and still are; the quota accepts as many as before). Throttling at a
// constant share whatever the rate does neither: the share stays, and
// throttles fall only by that share of the dropped calls. Such a cut only
// cost throughput: restore the rate and take the share now seen as the
// background, so that only throttles above it count. Real overload on top of
// it still shows as excess and is cut and judged as before.
func (p *Pacer) judgeLocked(now int64) {
	j := p.judge
	p.judge.pending = false
	cur := slotOf(now)
	from := max(slotOf(j.at+judgeSkip), cur-nSlots+1)
	t1, n1 := p.reports.sum(from, cur)
	if j.n0 < judgeMin || n1 < judgeMin {
		return
	}
	s0, s1 := float64(j.t0)/float64(j.n0), float64(t1)/float64(n1)
	pooled := float64(j.t0+t1) / float64(j.n0+n1)
	// A share this small is what an edge of the quota throttles (fixed
	// windows throttle in bursts at their ends, noisy from second to
	// second); the rule without a background already tolerates it.
	if pooled < minBackground {
		return
	}
	sd := math.Sqrt(pooled * (1 - pooled) * (1/float64(j.n0) + 1/float64(n1)))
	if s0-s1 >= judgeFell*sd || s1-s0 >= judgeRose*sd {
		return
	}
	// Rates per second. A cut right at the start of a run has too short a
	// second before it to measure one; the share alone cannot tell a large
	// overload (43% falling to 37%) from noise on so few reports: keep it.
	d1 := now - slotStart(from)
	if j.d0 < judgeSkip || d1 <= 0 {
		return
	}
	n0r, t0r := float64(j.rn0)/float64(j.d0), float64(j.rt0)/float64(j.d0)
	n1r, t1r := float64(n1)/float64(d1), float64(t1)/float64(d1)
	fall := n0r - n1r
	if fall < judgeBit*(1-decreaseFactor)*n0r {
		return
	}
	if t0r-t1r >= judgeAbsorb*fall {
		return
	}
	// Both seconds are background: pooling them halves the estimate's
	// variance (the one before is picked for being high; a slightly high
	// background only makes a later overload wait for a little more excess).
	p.background = pooled
	p.bgReports = j.n0 + n1
	p.bgUntil = now + backgroundTTL
	p.bgLearned = now
	p.bgT, p.bgN = 0, 0
	restore := j.rate
	// When the share has neither clearly fallen nor clearly risen since
	// before the episode's first cut either, none of its cuts helped: undo the
	// one before this too. Only that one: a longer run of kept cuts is a
	// rate that kept up with a growing overload, each cut holding the share
	// where it was; undoing them all would jump back far over the quota.
	if e := p.episode; e.valid && e.n0 >= judgeMin && e.rate > restore && e.rate <= restore/decreaseFactor*(1+1e-9) {
		se0 := float64(e.t0) / float64(e.n0)
		pe := float64(e.t0+t1) / float64(e.n0+n1)
		sde := math.Sqrt(pe * (1 - pe) * (1/float64(e.n0) + 1/float64(n1)))
		if se0-s1 < judgeFell*sde && s1-se0 < judgeRose*sde {
			restore = e.rate
		}
	}
	p.episode.valid = false
	p.setRateLocked(max(p.rate, restore))
	p.growFrom = now
}

func (p *Pacer) enterPauseLocked(now int64, retryAfter time.Duration) {
	d := pauseFirst
	for i := 0; i < p.pauseLevel && d < pauseMax; i++ {
		d *= 2
	}
	d = min(d, pauseMax)
	if retryAfter > 0 {
		d = max(d, min(retryAfter, pauseMax))
	}
	p.state = Paused
	p.pauseUntil = now + int64(d)
	p.streak = 0
	// A pause changes the rate seen by the server beyond any cut's effect.
	p.judge.pending = false
	p.episode.valid = false
	p.epoch++
	p.pauses.Add(1)
	p.signalLocked()
}

// Succeeded reports that a call got a non-throttled answer (any answer other
// than flow control, error codes included: the quota accepted it). Each call
// admitted by Wait should be reported once, by Succeeded or Throttled; a call
// that got no answer at all (transport error) may go unreported. While
// Probing, the first report decides: Succeeded resumes at the lowered rate,
// Throttled pauses again for twice as long (a report from a call started
// before the pause cannot be told apart; pauses of at least 1 s make that
// rare).
func (p *Pacer) Succeeded() {
	p.successes.Add(1)
	if p.unlimited {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	switch p.state {
	case Paused:
		return
	case Probing:
		// Resume at the lowered rate; growth starts from here.
		p.state = Running
		p.pauseLevel = 0
		p.streak = 0
		p.growFrom = now
		p.signalLocked()
		return
	}
	p.reportLocked(now, false)
	p.streak = 0
	if now > p.growFrom {
		if p.rate < float64(p.q) {
			dt := float64(now-p.growFrom) / float64(second)
			p.setRateLocked(p.rate + dt*recoverShare*float64(p.q))
		}
		p.growFrom = now
	}
}

// SetRate sets the current rate limit, clamped to [MinRate, QPS]. Feedback
// from Throttled/Succeeded keeps adjusting it.
func (p *Pacer) SetRate(r float64) {
	if p.unlimited {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setRateLocked(r)
	p.growFrom = max(p.growFrom, p.now())
	// The caller's rate wins over undoing a cut.
	p.judge.pending = false
	p.episode.valid = false
}

func (p *Pacer) setRateLocked(r float64) {
	r = max(min(r, float64(p.q)), p.minRate)
	p.rate = r
	p.n = max(1, int(r))
	p.interval = int64(float64(p.window) / r)
}

// Rate returns the current rate limit in calls per second (+Inf when
// unlimited). Admissions run at Rate/(1 s + Margin) per second at most.
func (p *Pacer) Rate() float64 {
	if p.unlimited {
		return math.Inf(1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

// State returns the current mode.
func (p *Pacer) State() State {
	if p.unlimited {
		return Running
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Stats returns counters and mode for a status line.
func (p *Pacer) Stats() Stats {
	s := Stats{
		Starts:    p.starts.Load(),
		Throttles: p.throttles.Load(),
		Successes: p.successes.Load(),
		Pauses:    p.pauses.Load(),
		Holds:     p.holds.Load(),
		Rate:      math.Inf(1),
	}
	if !p.unlimited {
		p.mu.Lock()
		s.Rate, s.State = p.rate, p.state
		p.mu.Unlock()
	}
	return s
}

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

// slots counts throttles and reports per slotDur, for the last nSlots slots.
type slots struct {
	idx  [nSlots]int64
	t, n [nSlots]int
}

func slotOf(at int64) int64 {
	i := at / slotDur
	if at < 0 && at%slotDur != 0 {
		i--
	}
	return i
}

func slotStart(i int64) int64 { return i * slotDur }

func slotPos(i int64) int {
	return int(((i % nSlots) + nSlots) % nSlots)
}

func (s *slots) add(at int64, throttled bool) {
	i := slotOf(at)
	k := slotPos(i)
	if s.idx[k] != i || s.n[k] == 0 {
		s.idx[k], s.t[k], s.n[k] = i, 0, 0
	}
	s.n[k]++
	if throttled {
		s.t[k]++
	}
}

// sum returns the counts of slots from..to, inclusive; slots that are no
// longer held count as empty.
func (s *slots) sum(from, to int64) (t, n int) {
	from = max(from, to-nSlots+1)
	for i := from; i <= to; i++ {
		if k := slotPos(i); s.idx[k] == i {
			t += s.t[k]
			n += s.n[k]
		}
	}
	return t, n
}
