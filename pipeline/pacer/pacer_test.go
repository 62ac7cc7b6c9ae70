package pacer

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

func TestCapAndThroughput(t *testing.T) {
	tests := []struct {
		name    string
		qps     int
		workers int
		margin  time.Duration
	}{
		{"q1000-w64", 1000, 64, 0},
		{"q1000-w3", 1000, 3, 0},
		{"q50-w8", 50, 8, 0},
		{"q5000-w32", 5000, 32, 0},
		{"q1000-nomargin", 1000, 16, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewFakeClock(epoch0)
			p := New(Config{QPS: tc.qps, Clock: clk, Margin: tc.margin})
			const secs = 10
			ts := runFake(t, p, clk, tc.workers, secs*time.Second)

			if got := maxInSpan(ts, time.Second); got > tc.qps {
				t.Errorf("sliding 1 s span holds %d starts, quota %d", got, tc.qps)
			}
			for _, off := range []time.Duration{0, 1, 123 * time.Millisecond, 500 * time.Millisecond, 999*time.Millisecond + 999} {
				if got := maxInFixed(ts, off); got > tc.qps {
					t.Errorf("fixed window at offset %v holds %d starts, quota %d", off, got, tc.qps)
				}
			}
			if min := 0.98 * float64(tc.qps*secs); float64(len(ts)) < min {
				t.Errorf("achieved %d starts in %d s, want >= %.0f (98%% of quota)", len(ts), secs, min)
			}
			// Smoothing: a 100 ms span holds about a tenth of the quota, not
			// a burst; allow the catch-up slack plus rounding.
			if got, limit := maxInSpan(ts, 100*time.Millisecond), tc.qps/10+3; got > limit {
				t.Errorf("100 ms span holds %d starts, want <= %d (smooth pacing)", got, limit)
			}
			if s := p.Stats(); s.Starts < uint64(len(ts)) || s.State != Running {
				t.Errorf("Stats = %+v, want >= %d starts, running", s, len(ts))
			}
		})
	}
}

func TestHardCapDespiteLateWakers(t *testing.T) {
	// A stall (GC, descheduled process) wakes every sleeper due in a 300 ms
	// stretch at its end, far later than the margin: the schedule no longer
	// protects the cap, the re-check on actual admissions must.
	tests := []struct {
		name        string
		from, until time.Duration
	}{
		{"stall-300ms", 2 * time.Second, 2300 * time.Millisecond},
		{"stall-40ms", 3 * time.Second, 3040 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewFakeClock(epoch0)
			stall := &stallClock{FakeClock: clk, from: epoch0.Add(tc.from), until: epoch0.Add(tc.until)}
			p := New(Config{QPS: 200, Clock: stall})
			ts := runFake(t, p, clk, 16, 6*time.Second)
			if got := maxInSpan(ts, time.Second); got > 200 {
				t.Errorf("sliding 1 s span holds %d starts, quota 200", got)
			}
			if len(ts) < 1100 {
				t.Errorf("only %d starts in 6 s", len(ts))
			}
		})
	}
}

// stallClock wakes every sleep due in [from, until) at until.
type stallClock struct {
	*FakeClock
	from, until time.Time
}

func (c *stallClock) Sleep(ctx context.Context, d time.Duration) error {
	now := c.Now()
	if at := now.Add(d); !at.Before(c.from) && at.Before(c.until) {
		d = c.until.Sub(now)
	}
	return c.FakeClock.Sleep(ctx, d)
}

func TestDecreaseAtMostOncePerSecond(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	// Between the throttles the calls succeed (ok): the share of throttles
	// falls after each cut, so the cut's judgement keeps it.
	steps := []struct {
		advance   time.Duration
		throttles int
		ok        int
		want      float64
	}{
		{0, 50, 0, 900},                        // a burst counts once
		{500 * time.Millisecond, 10, 400, 900}, // still inside the second
		{499 * time.Millisecond, 1, 0, 900},    // 999 ms after the decrease
		{1 * time.Millisecond, 9, 0, 810},      // a full second later
		{10 * time.Second, 8, 0, 810},          // a few throttles are jitter at the window's edge
		{time.Second, 9, 0, 729},               // 1% of calls in a second: overload; no pile-up of missed decreases
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		for range s.throttles {
			p.Throttled(0)
			p.Succeeded() // keep the streak short: this test is not about pausing
		}
		for range s.ok {
			p.Succeeded()
		}
		if got := p.Rate(); math.Abs(got-s.want) > 1e-6 {
			t.Fatalf("step %d: rate %.3f, want %.3f", i, got, s.want)
		}
	}
	// The floor: QPS/50 by default.
	for range 100 {
		clk.Advance(time.Second)
		for range 10 {
			p.Throttled(0)
		}
		p.Succeeded()
	}
	if got := p.Rate(); got != 20 {
		t.Errorf("rate after many decreases = %v, want floor 20", got)
	}
}

func TestRecovery(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	for range 10 {
		p.Throttled(0) // 900 after the tenth (1% of the rate), no growth for 1 s
	}
	steps := []struct {
		advance time.Duration
		want    float64
	}{
		{500 * time.Millisecond, 900}, // hold-off after a throttle
		{500 * time.Millisecond, 900}, // hold-off just over
		{time.Second, 910},            // +1% of quota per throttle-free second
		{5 * time.Second, 960},
		{100 * time.Second, 1000}, // capped at the quota
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		p.Succeeded()
		if got := p.Rate(); math.Abs(got-s.want) > 1e-6 {
			t.Fatalf("step %d: rate %.3f, want %.3f", i, got, s.want)
		}
	}
	if s := p.Stats(); s.Throttles != 10 || s.Successes != 5 {
		t.Errorf("Stats = %+v", s)
	}
}

// enterPause drives p into Paused with a throttle streak lasting 2 s.
func enterPause(t *testing.T, p *Pacer, clk *FakeClock) {
	t.Helper()
	for i := range 5 {
		if i > 0 {
			clk.Advance(500 * time.Millisecond)
		}
		if st := p.State(); st != Running {
			t.Fatalf("state %v after %d throttles, want running", st, i)
		}
		p.Throttled(0)
	}
	if st := p.State(); st != Paused {
		t.Fatalf("state %v after a 2 s streak of 5 throttles, want paused", st)
	}
}

func TestStreakNeedsDurationAndCount(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	for range 500 { // many throttles in a burst: not persistent
		p.Throttled(0)
	}
	clk.Advance(3 * time.Second)
	p.Succeeded()
	p.Throttled(0)
	clk.Advance(3 * time.Second)
	p.Throttled(0) // only 2 in the streak, though 3 s long
	if st := p.State(); st != Running {
		t.Fatalf("state %v, want running", st)
	}
}

func TestProbe(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 100, Clock: clk})
	enterPause(t, p, clk)
	rateAtPause := p.Rate()

	const waiters = 10
	admitted := make(chan int, waiters)
	for i := range waiters {
		go func() {
			if err := p.Wait(context.Background()); err != nil {
				t.Errorf("Wait: %v", err)
			}
			admitted <- i
		}()
	}
	blockUntil(t, clk, waiters)
	clk.Advance(999 * time.Millisecond)
	blockUntil(t, clk, waiters)
	if len(admitted) != 0 {
		t.Fatalf("%d calls started during the 1 s pause", len(admitted))
	}
	clk.Advance(time.Millisecond)
	waitN(t, admitted, 1)
	blockUntil(t, clk, waiters-1) // everybody else is parked again
	if len(admitted) != 0 || p.State() != Probing {
		t.Fatalf("after the pause: %d more started, state %v; want exactly one probe", len(admitted), p.State())
	}

	// The probe is throttled: pause again, twice as long.
	p.Throttled(0)
	if st := p.State(); st != Paused {
		t.Fatalf("state %v after throttled probe, want paused", st)
	}
	blockUntil(t, clk, waiters-1)
	clk.Advance(1999 * time.Millisecond)
	blockUntil(t, clk, waiters-1)
	if len(admitted) != 0 {
		t.Fatalf("%d calls started during the 2 s pause", len(admitted))
	}
	clk.Advance(time.Millisecond)
	waitN(t, admitted, 1)
	blockUntil(t, clk, waiters-2)
	if len(admitted) != 0 {
		t.Fatalf("second probe let %d extra calls through", len(admitted))
	}

	// The probe succeeds: everyone else runs, at the lowered rate.
	p.Succeeded()
	if st := p.State(); st != Running {
		t.Fatalf("state %v after successful probe, want running", st)
	}
	clk.SetParticipants(1) // from now on time jumps whenever someone waits
	waitN(t, admitted, waiters-2)
	clk.SetParticipants(0)
	if got := p.Rate(); got > rateAtPause {
		t.Errorf("rate after probe %v, want <= %v (lowered)", got, rateAtPause)
	}
	if s := p.Stats(); s.Pauses != 2 || s.Starts != waiters {
		t.Errorf("Stats = %+v, want 2 pauses, %d starts", s, waiters)
	}
}

func TestPauseHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		retryAfter time.Duration
		want       time.Duration
	}{
		{0, time.Second},
		{300 * time.Millisecond, time.Second},
		{7 * time.Second, 7 * time.Second},
		{time.Hour, 30 * time.Second},
	}
	for _, tc := range tests {
		clk := NewFakeClock(epoch0)
		p := New(Config{QPS: 100, Clock: clk})
		for i := range 5 {
			if i > 0 {
				clk.Advance(500 * time.Millisecond)
			}
			p.Throttled(tc.retryAfter)
		}
		p.mu.Lock()
		got := time.Duration(p.pauseUntil - p.now())
		p.mu.Unlock()
		if got != tc.want {
			t.Errorf("retryAfter %v: pause %v, want %v", tc.retryAfter, got, tc.want)
		}
	}
}

func TestProbeTimeoutAdmitsAnother(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 100, Clock: clk, ProbeTimeout: 5 * time.Second})
	enterPause(t, p, clk)
	clk.Advance(time.Second)
	if err := p.Wait(context.Background()); err != nil { // the probe, never reported
		t.Fatal(err)
	}
	admitted := make(chan struct{}, 1)
	go func() {
		if err := p.Wait(context.Background()); err == nil {
			admitted <- struct{}{}
		}
	}()
	blockUntil(t, clk, 1)
	clk.Advance(4 * time.Second)
	blockUntil(t, clk, 1)
	if len(admitted) != 0 {
		t.Fatal("second probe before the probe timeout")
	}
	clk.Advance(time.Second)
	waitN(t, admitted, 1)
}

func TestCancelReleasesWaiters(t *testing.T) {
	for _, paused := range []bool{false, true} {
		clk := NewFakeClock(epoch0)
		p := New(Config{QPS: 1, Clock: clk, MinRate: 1})
		if paused {
			enterPause(t, p, clk)
		} else if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 8)
		for range 8 {
			go func() { errs <- p.Wait(ctx) }()
		}
		blockUntil(t, clk, 8)
		cancel()
		for _, err := range waitN(t, errs, 8) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("paused=%v: Wait = %v, want context.Canceled", paused, err)
			}
		}
		if got := clk.Sleepers(); got != 0 {
			t.Errorf("paused=%v: %d sleepers left", paused, got)
		}
	}
	// An already-cancelled ctx neither blocks nor counts a start.
	p := New(Config{QPS: 10, Clock: NewFakeClock(epoch0)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) || p.Stats().Starts != 0 {
		t.Errorf("Wait(cancelled) = %v, starts %d", err, p.Stats().Starts)
	}
}

func TestCancelledSlotIsReused(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 10, Clock: clk, Margin: -1, CatchUp: -1})
	if err := p.Wait(context.Background()); err != nil { // t=0
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Wait(ctx) }() // books t=100ms
	blockUntil(t, clk, 1)
	cancel()
	waitN(t, done, 1)

	got := make(chan time.Time, 1)
	go func() {
		if err := p.Wait(context.Background()); err != nil {
			t.Error(err)
		}
		got <- clk.Now()
	}()
	blockUntil(t, clk, 1)
	clk.AdvanceToNext()
	if at := waitN(t, got, 1)[0].Sub(epoch0); at != 100*time.Millisecond {
		t.Errorf("next start at %v, want 100ms (the cancelled slot)", at)
	}
}

func TestUnlimited(t *testing.T) {
	for _, q := range []int{0, -5} {
		p := New(Config{QPS: q, Clock: panicClock{}})
		for range 10000 {
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		p.Throttled(time.Second)
		p.Succeeded()
		s := p.Stats()
		if s.Starts != 10000 || s.Throttles != 1 || s.Successes != 1 || !math.IsInf(s.Rate, 1) || s.State != Running {
			t.Errorf("QPS %d: Stats = %+v", q, s)
		}
		if !math.IsInf(p.Rate(), 1) {
			t.Errorf("QPS %d: Rate = %v, want +Inf", q, p.Rate())
		}
	}
}

// panicClock proves unlimited mode never sleeps.
type panicClock struct{}

func (panicClock) Now() time.Time { return epoch0 }
func (panicClock) Sleep(context.Context, time.Duration) error {
	panic("unlimited pacer slept")
}

func TestSetRate(t *testing.T) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	tests := []struct{ set, want float64 }{
		{500, 500}, {5000, 1000}, {1, 20}, {-3, 20},
	}
	for _, tc := range tests {
		p.SetRate(tc.set)
		if got := p.Rate(); got != tc.want {
			t.Errorf("SetRate(%v): Rate = %v, want %v", tc.set, got, tc.want)
		}
	}
	p.SetRate(500)
	clk.Advance(time.Second)
	p.Succeeded() // growth counts from SetRate, not from the start
	if got := p.Rate(); got != 510 {
		t.Errorf("1 s after SetRate(500): Rate = %v, want 510", got)
	}
	p.SetRate(300)
	ts := runFake(t, p, clk, 8, 5*time.Second)
	if got := maxInSpan(ts, time.Second); got > 300 {
		t.Errorf("at rate 300 a 1 s span holds %d", got)
	}
	if len(ts) < int(0.98*300*5) {
		t.Errorf("at rate 300 only %d starts in 5 s", len(ts))
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Running: "running", Paused: "paused", Probing: "probing", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int32(s), got, want)
		}
	}
}

func TestRealClock(t *testing.T) {
	const q = 500
	p := New(Config{QPS: q})
	var ts []time.Duration
	p.onStart = func(at int64) { ts = append(ts, time.Duration(at)) } // under p.mu
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for p.Wait(ctx) == nil {
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if got := maxInSpan(ts, time.Second); got > q {
		t.Errorf("real clock: a 1 s span holds %d starts, quota %d", got, q)
	}
	// Loose: only catches a pacer that stalls.
	if len(ts) < q/2 {
		t.Errorf("real clock: only %d starts in 1.2 s", len(ts))
	}
	t.Logf("real clock: %d starts in 1.2 s, busiest second %d", len(ts), maxInSpan(ts, time.Second))
}

// feed reports calls for dur on clk in 10 ms steps, as many as the pacer's
// rate lets start, of which throttled(rate) is the throttled share.
func feed(p *Pacer, clk *FakeClock, dur time.Duration, throttled func(rate float64) float64) {
	feedAt(p, clk, 0, dur, func(r float64, _ time.Duration) float64 { return throttled(r) }, nil)
}

func TestCutJudgedByEffect(t *testing.T) {
	random := func(float64) float64 { return 0.05 }
	overload := func(avail float64) func(float64) float64 {
		return func(r float64) float64 { return 0.05 + 0.95*max(0, 1-avail/r) }
	}
	tests := []struct {
		name     string
		throttle func(rate float64) float64
		dur      time.Duration
		min, max float64 // rate at the end
	}{
		// 5% whatever the rate: cuts are undone, the rate stays at the quota.
		{"constant-share", random, 20 * time.Second, 1000, 1000},
		// Our rate over what is left of the quota, on top of 5% random:
		// cuts work and are kept.
		{"overload-600", overload(600), 20 * time.Second, 450, 640},
		{"overload-300", overload(300), 20 * time.Second, 220, 330},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewFakeClock(epoch0)
			p := New(Config{QPS: 1000, Clock: clk})
			feed(p, clk, tc.dur, tc.throttle)
			if got := p.Rate(); got < tc.min || got > tc.max {
				t.Errorf("rate %.1f after %v, want in [%.0f, %.0f]", got, tc.dur, tc.min, tc.max)
			}
		})
	}

	// A background learned first does not hide an overload arriving later.
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	feed(p, clk, 5*time.Second, random)
	// The cut at the very start is kept (no second before it to judge by),
	// the next one is undone: background learned, rate regrowing.
	if got, bg := p.Rate(), backgroundOf(p); got < 900 || bg < 0.04 || bg > 0.06 {
		t.Fatalf("rate %.1f, background %.3f after 5 s of 5%% random throttles, want >= 900, ~0.05", got, bg)
	}
	feed(p, clk, 10*time.Second, overload(600))
	if got := p.Rate(); got > 640 {
		t.Errorf("rate %.1f 10 s into an overload over a learned background, want <= 640", got)
	}
}

func TestBackgroundReviewedNotRelearned(t *testing.T) {
	random := func(float64) float64 { return 0.05 }
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	feed(p, clk, 3*time.Second, random)
	// The cut at the very start is kept for lack of a second to judge it by;
	// the next is found ineffective, and so, measured against the share
	// before the first, is the whole episode: both are undone at once.
	if got, bg := p.Rate(), backgroundOf(p); got != 1000 || bg < 0.04 || bg > 0.06 {
		t.Fatalf("rate %.1f, background %.3f after 3 s of 5%% random throttles, want 1000, ~0.05", got, bg)
	}
	// Three reviews of the background (every 30 s) find it still there and
	// renew it: no cut to learn it again.
	lowest := p.Rate()
	for range 100 {
		feed(p, clk, time.Second, random)
		lowest = min(lowest, p.Rate())
	}
	if lowest != 1000 || backgroundOf(p) < 0.04 || backgroundOf(p) > 0.05 {
		t.Errorf("lowest rate %.1f, background %.3f over 100 s of a steady 5%% background, want 1000 throughout and <= the learned share", lowest, backgroundOf(p))
	}
	// Once it is gone, the next review forgets it.
	feed(p, clk, 35*time.Second, func(float64) float64 { return 0 })
	if backgroundOf(p) != 0 {
		t.Errorf("background %.3f 35 s after the random throttles stopped, want forgotten", backgroundOf(p))
	}
}

// feedAt is feed with the throttled share a function of the time since the
// start too, and a hook after every 10 ms step.
func feedAt(p *Pacer, clk *FakeClock, from, dur time.Duration, throttled func(rate float64, at time.Duration) float64, step func(at time.Duration)) {
	var calls, thr float64
	for i := range dur / (10 * time.Millisecond) {
		at := from + time.Duration(i+1)*10*time.Millisecond
		clk.Advance(10 * time.Millisecond)
		r := p.Rate()
		calls += r / 100
		thr += r / 100 * throttled(r, at)
		for ; calls >= 1; calls-- {
			if thr >= 1 {
				thr--
				p.Throttled(0)
			} else {
				p.Succeeded()
			}
		}
		if step != nil {
			step(at)
		}
	}
}

// TestUndoDoesNotJumpOverAGrowingOverload: what is left of the quota shrinks from
// 1000 to 500 over a few seconds (a competitor ramping up). Each cut only holds
// the share of throttles where it was, so the last one looks ineffective; undoing
// it may give back one cut, never the whole run of them.
func TestUndoDoesNotJumpOverAGrowingOverload(t *testing.T) {
	for _, slope := range []float64{60, 80} {
		for _, bg := range []float64{0, 0.05} {
			clk := NewFakeClock(epoch0)
			p := New(Config{QPS: 1000, Clock: clk})
			avail := func(at time.Duration) float64 {
				return max(500, 1000-slope*max(0, at.Seconds()-10))
			}
			prev := p.Rate()
			feedAt(p, clk, 0, 40*time.Second, func(r float64, at time.Duration) float64 {
				return bg + (1-bg)*max(0, 1-avail(at)/r)
			}, func(at time.Duration) {
				if r := p.Rate(); r > prev*1.12 && r > avail(at) {
					t.Errorf("slope %.0f/s, background %.2f: at %v the rate jumped %.0f → %.0f with %.0f left of the quota", slope, bg, at, prev, r, avail(at))
				}
				prev = p.Rate()
			})
		}
	}
}

// TestBackgroundGoesWhenOverloadReplacesIt: random throttles are learned as the
// background, then stop just as a competitor takes 400 of the 1000 calls/s. The
// background must not go on hiding the throttles of that overload.
func TestBackgroundGoesWhenOverloadReplacesIt(t *testing.T) {
	for _, left := range []float64{600, 950} {
		clk := NewFakeClock(epoch0)
		p := New(Config{QPS: 1000, Clock: clk})
		feed(p, clk, 40*time.Second, func(float64) float64 { return 0.05 })
		if backgroundOf(p) == 0 {
			t.Fatal("no background learned from 40 s of 5% random throttles")
		}
		var calls, throttled float64
		feedAt(p, clk, 40*time.Second, 200*time.Second, func(r float64, at time.Duration) float64 {
			share := max(0, 1-left/r)
			if at >= 100*time.Second {
				calls += r / 100
				throttled += r / 100 * share
			}
			return share
		}, nil)
		// 950 left: the overload's share at the full rate (5%) equals the old
		// background; only the background's age limit ends it.
		if share := throttled / calls; share > 0.02 {
			t.Errorf("%.0f calls/s left: %.1f%% of calls throttled from 60 s after the switch on (background %.3f, rate %.0f), want < 2%%", left, 100*share, backgroundOf(p), p.Rate())
		}
	}
}
