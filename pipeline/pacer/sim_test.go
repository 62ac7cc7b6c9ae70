package pacer

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fakeServer counts arrivals against a quota the way the gateway does:
// sliding 1 s window, or fixed 1 s windows whose boundaries sit at offset.
// A competing client of the same account arrives every compEvery.
// Rejected arrivals do not spend quota.
type fakeServer struct {
	mu     sync.Mutex
	quota  int
	fixed  bool
	offset time.Duration

	log      ring // accepted arrivals, sliding mode
	window   int64
	inWindow int

	compEvery, compNext       time.Duration
	outFrom, outTo            time.Duration // our calls all rejected: quota gone
	outThrottled              int
	compAccepted, compTurned  int
	ourAccepted, ourThrottled int

	// A fault-injecting proxy in front of the server answers a random
	// randomShare of our calls with a throttle, whatever the rate; those
	// calls never reach the server and spend no quota.
	randomShare float64
	rnd         *rand.Rand
	ourRandom   int
}

func newFakeServer(quota int, fixed bool, offset, compEvery time.Duration) *fakeServer {
	return &fakeServer{quota: quota, fixed: fixed, offset: offset, log: newRing(quota), window: -1, compEvery: compEvery,
		rnd: rand.New(rand.NewPCG(7, 11))}
}

func (s *fakeServer) admitLocked(at time.Duration) bool {
	if s.fixed {
		w := int64((at - s.offset + time.Hour) / time.Second)
		if w != s.window {
			s.window, s.inWindow = w, 0
		}
		if s.inWindow >= s.quota {
			return false
		}
		s.inWindow++
		return true
	}
	// Window (at-1s, at]: full when the quota-th most recent is inside.
	if old, ok := s.log.nthRecent(s.quota); ok && at-time.Duration(old) < time.Second {
		return false
	}
	s.log.push(int64(at))
	return true
}

// call reports whether our arrival at virtual time at is accepted.
func (s *fakeServer) call(at time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.compEvery > 0 && s.compNext <= at {
		if s.admitLocked(s.compNext) {
			s.compAccepted++
		} else {
			s.compTurned++
		}
		s.compNext += s.compEvery
	}
	if s.randomShare > 0 && s.rnd.Float64() < s.randomShare {
		s.ourRandom++
		return false
	}
	if at >= s.outFrom && at < s.outTo {
		s.ourThrottled++
		s.outThrottled++
		return false
	}
	ok := s.admitLocked(at)
	if ok {
		s.ourAccepted++
	} else {
		s.ourThrottled++
	}
	return ok
}

// simulate runs workers against srv for dur of virtual time with one-way
// latency uniform in [5 ms, 15 ms): the 10 ms spread is jitter between our
// start and the server's arrival that the margin must absorb.
func simulate(t *testing.T, p *Pacer, clk *FakeClock, srv *fakeServer, workers int, dur time.Duration) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	clk.SetParticipants(workers)
	for w := range workers {
		rnd := rand.New(rand.NewPCG(uint64(w), 42))
		oneWay := func() time.Duration {
			return 5*time.Millisecond + time.Duration(rnd.Int64N(int64(10*time.Millisecond)))
		}
		wg.Go(func() {
			defer clk.AddParticipants(-1)
			for {
				if err := p.Wait(ctx); err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
				if clk.Now().Sub(epoch0) >= dur {
					return
				}
				if err := clk.Sleep(ctx, oneWay()); err != nil {
					t.Error(err)
					return
				}
				ok := srv.call(clk.Now().Sub(epoch0))
				if err := clk.Sleep(ctx, oneWay()); err != nil {
					t.Error(err)
					return
				}
				if ok {
					p.Succeeded()
				} else {
					p.Throttled(0)
				}
			}
		})
	}
	wg.Wait()
	clk.SetParticipants(0)
}

func TestSimulation(t *testing.T) {
	tests := []struct {
		name      string
		fixed     bool
		offset    time.Duration
		compEvery time.Duration // 0: no competitor
		random    float64       // share of our calls throttled by the proxy, whatever the rate
		dur       time.Duration
		minStarts float64 // calls/s of ours that the quota let through (accepted + proxy-throttled)
		minAcc    float64 // calls/s of ours accepted by the server
		maxThrot  float64 // fraction of our calls throttled by the server's window
		steady    bool    // the competitor was running for a second before we start
	}{
		// Alone: ≥ 98% of quota, (almost) never throttled.
		{"alone-sliding", false, 0, 0, 0, 10 * time.Second, 980, 980, 0.001, false},
		{"alone-fixed", true, 370 * time.Millisecond, 0, 0, 10 * time.Second, 980, 980, 0.001, false},
		// A competitor takes 400/s: converge to ≥ 90% of the remaining 600.
		{"competitor-sliding", false, 0, 2500 * time.Microsecond, 0, 120 * time.Second, 540, 540, 0.02, false},
		// A 20 s job beside it (the outside check: 20,000 rows): the first
		// second's overload must be answered at once, not by 10% a second.
		{"competitor-sliding-20s", false, 0, 2500 * time.Microsecond, 0, 20 * time.Second, 540, 540, 0.01, true},
		{"competitor-fixed-20s", true, 730 * time.Millisecond, 2500 * time.Microsecond, 0, 20 * time.Second, 540, 540, 0.01, true},
		{"competitor-fixed", true, 730 * time.Millisecond, 2500 * time.Microsecond, 0, 120 * time.Second, 540, 540, 0.02, false},
		// A proxy throttles 5% of calls whatever the rate: cutting the rate
		// does not help, so it must stay near the quota (measured 982/s in
		// every run: the background is learned once and renewed, not
		// re-learned by a cut every 30 s; that cost 895–946/s).
		{"random5-sliding", false, 0, 0, 0.05, 120 * time.Second, 960, 0.95 * 960, 0.001, false},
		// Both: the competitor's overload must still be handled, the random
		// share must not drag the rate further down. Overload under a 5%
		// background is noticed only once it stands out of the noise (3σ), so
		// more calls reach the window's edge than with the competitor alone:
		// measured 0.6–1.5% over runs under -race; bounded at 3%.
		{"random5-competitor-sliding", false, 0, 2500 * time.Microsecond, 0.05, 120 * time.Second, 510, 510, 0.03, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewFakeClock(epoch0)
			p := New(Config{QPS: 1000, Clock: clk})
			srv := newFakeServer(1000, tc.fixed, tc.offset, tc.compEvery)
			srv.randomShare = tc.random
			if tc.steady {
				srv.compNext = -time.Second
			}
			simulate(t, p, clk, srv, 48, tc.dur)

			calls := srv.ourAccepted + srv.ourThrottled + srv.ourRandom
			acc := float64(srv.ourAccepted) / tc.dur.Seconds()
			starts := float64(srv.ourAccepted+srv.ourRandom) / tc.dur.Seconds()
			throttled := float64(srv.ourThrottled) / float64(calls)
			t.Logf("accepted %.1f/s, starts through the quota %.1f/s, window-throttled %d of %d (%.3f%%), proxy-throttled %d, competitor accepted %d turned %d, final rate %.0f, stats %+v",
				acc, starts, srv.ourThrottled, calls, 100*throttled, srv.ourRandom, srv.compAccepted, srv.compTurned, p.Rate(), p.Stats())
			if starts < tc.minStarts {
				t.Errorf("%.1f calls/s through the quota, want >= %.0f", starts, tc.minStarts)
			}
			if acc < tc.minAcc {
				t.Errorf("accepted %.1f calls/s, want >= %.0f", acc, tc.minAcc)
			}
			if throttled > tc.maxThrot {
				t.Errorf("window-throttled %.3f%% of calls, want < %.3f%%", 100*throttled, 100*tc.maxThrot)
			}
			if s := p.Stats(); s.Pauses != 0 {
				t.Errorf("pacer paused %d times; the quota was never gone", s.Pauses)
			}
		})
	}
}

func TestSimulationQuotaGone(t *testing.T) {
	// From 5 s to 20 s every call of ours is throttled (say a per-minute
	// quota ran out). The pacer must stop hammering: pause, probe with single
	// calls, and resume once a probe gets through.
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	srv := newFakeServer(1000, false, 0, 0)
	srv.outFrom, srv.outTo = 5*time.Second, 20*time.Second
	var before int
	simulate(t, p, clk, srv, 48, 5*time.Second)
	before = srv.ourAccepted
	simulate(t, p, clk, srv, 48, 40*time.Second)
	after := srv.ourAccepted - before
	s := p.Stats()
	t.Logf("outage: %d throttled; after it %d accepted (%.0f/s over 20 s); stats %+v", srv.outThrottled, after, float64(after)/20, s)

	// ~2 s of decreasing rate before the streak counts as persistent, then
	// single probes: 1+2+4+8 s of pauses.
	if srv.outThrottled > 2500 {
		t.Errorf("%d calls throttled during the outage, want < 2500 (pause + probe)", srv.outThrottled)
	}
	if s.Pauses < 3 {
		t.Errorf("%d pauses, want >= 3 (backoff between probes)", s.Pauses)
	}
	if s.State != Running {
		t.Errorf("state %v after the outage, want running", s.State)
	}
	// The last probe lands within 16 s of the outage's end at the latest;
	// afterwards the pacer runs again at a lowered, growing rate.
	if after < 2000 {
		t.Errorf("only %d calls accepted in the 20 s after the outage", after)
	}
}
