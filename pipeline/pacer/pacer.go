// Package pacer paces calls to an API with a hard per-second quota that the
// server enforces on arrival, in fixed wall-clock windows or a sliding window.
//
// A Pacer joins, on one mutex, ideas that live in files of their own:
//
//   - the waiting (schedule.go, wait.go): a strict sliding-window-log
//     limiter, so that no 1-second span ever holds more starts than the
//     current rate whatever the alignment of the server's windows, with
//     starts smoothed Window/R apart (Window being one second plus a safety
//     margin for jitter between our start and the server's arrival), and the
//     pause and probe modes, all over an injected Clock (clock.go).
//   - the rate decision (calculator.go, adaptive.go), as in rclone's
//     lib/pacer: a Calculator turns each call's outcome into the next rate, a
//     hold of all starts (a wall of throttles) or a pause (the quota is
//     gone). The default, Adaptive, is AIMD: Throttled lowers the rate
//     multiplicatively at most once per second, Succeeded lets it recover
//     additively, and persistent throttling pauses all starts and lets
//     single probe calls through until one succeeds.
//   - judging each cut by its effect (judge.go, slots.go): throttling caused
//     by our rate answers a cut; throttling that a proxy or server injects at
//     a constant share of calls does not, and a cut that changed nothing is
//     undone and the share it left becomes the background. Without this, a
//     5% random throttle cuts the rate every second and the rate sinks to
//     the floor.
//   - the retry backoff (backoff.go).
//
// How many workers to run is not the pacer's business: the pipeline sizes its
// pool from the rate and the observed latency.
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

const second = int64(time.Second)

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
	// Calculator makes the rate decision; nil means NewAdaptive(QPS, MinRate).
	Calculator Calculator
	// Clock defaults to System.
	Clock Clock
}

// Stats is a snapshot for a status line.
type Stats struct {
	Starts    uint64  // calls admitted by Wait
	Throttles uint64  // Throttled reports
	Successes uint64  // Succeeded reports
	Pauses    uint64  // times the pacer entered Paused
	Holds     uint64  // times a wall of throttles held all starts back (see Adaptive.hold)
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
	minRate      float64
	probeTimeout int64

	starts, throttles, successes, pauses, holds atomic.Uint64

	mu    sync.Mutex
	calc  Calculator
	rate  float64
	sched schedule
	epoch uint64 // bumped on every hold and pause: voids pending slots

	state         State
	pauseUntil    int64
	probeDeadline int64
	wake          context.Context // cancelled on state changes, for paused waiters
	wakeCancel    context.CancelFunc

	onStart func(t int64) // test hook, called with mu held
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
	var catchUp int64
	switch {
	case cfg.CatchUp == 0:
		catchUp = int64(DefaultCatchUp)
	case cfg.CatchUp > 0:
		catchUp = int64(cfg.CatchUp)
	}
	p.minRate = resolveMinRate(cfg.QPS, cfg.MinRate)
	p.probeTimeout = int64(cfg.ProbeTimeout)
	if p.probeTimeout <= 0 {
		p.probeTimeout = int64(DefaultProbeTimeout)
	}
	p.sched = newSchedule(cfg.QPS, second+int64(margin), catchUp)
	p.calc = cfg.Calculator
	if p.calc == nil {
		p.calc = NewAdaptive(cfg.QPS, p.minRate)
	}
	p.setRateLocked(p.calc.Rate())
	return p
}

// Sleep sleeps on the pacer's clock; use it with Backoff between retries.
func (p *Pacer) Sleep(ctx context.Context, d time.Duration) error {
	return p.clock.Sleep(ctx, d)
}

func (p *Pacer) now() int64 { return int64(p.clock.Now().Sub(p.base)) }

// Throttled reports that a call was rejected by flow control. retryAfter is
// the server's hint, 0 if none.
func (p *Pacer) Throttled(retryAfter time.Duration) {
	p.throttles.Add(1)
	p.report(true, retryAfter)
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
	p.report(false, 0)
}

// report passes a call's outcome to the calculator and carries out its
// decision.
func (p *Pacer) report(throttled bool, retryAfter time.Duration) {
	if p.unlimited {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == Paused {
		// A call started before the pause: no news.
		return
	}
	now := p.now()
	probe := p.state == Probing
	d := p.calc.Calculate(Report{At: time.Duration(now), Throttled: throttled, RetryAfter: retryAfter, Probe: probe})
	if probe && !throttled {
		p.state = Running
		p.signalLocked()
	}
	p.applyLocked(now, d)
}

// applyLocked carries out a calculator's decision taken at now.
func (p *Pacer) applyLocked(now int64, d Decision) {
	p.setRateLocked(d.Rate)
	if d.Hold > 0 {
		p.sched.holdUntil = now + int64(d.Hold)
		p.epoch++
		p.holds.Add(1)
		p.signalLocked()
	}
	if d.Pause > 0 {
		p.state = Paused
		p.pauseUntil = now + int64(d.Pause)
		p.epoch++
		p.pauses.Add(1)
		p.signalLocked()
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
	p.setRateLocked(p.calc.SetRate(r, time.Duration(p.now())))
}

func (p *Pacer) setRateLocked(r float64) {
	if math.IsNaN(r) { // a broken Calculator: the floor is the safe answer
		r = p.minRate
	}
	r = max(min(r, float64(p.q)), p.minRate)
	p.rate = r
	p.sched.setRate(r)
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
