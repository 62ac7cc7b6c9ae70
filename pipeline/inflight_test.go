package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestVegasLimit(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name        string
		start, max  int
		least, avg  time.Duration
		samples     int
		ticks, want int
	}{
		// No queue: the server is the bottleneck, grow (by log10 of the limit).
		{"idle grows", 8, 64, 2 * ms, 2 * ms, 100, 1, 9},
		{"idle grows to the max", 8, 64, 2 * ms, 2 * ms, 100, 200, 64},
		// Answers wait in the client ten times as long as the server took.
		{"queue shrinks", 64, 64, 2 * ms, 20 * ms, 100, 1, 63},
		// ... until the queue it can hold (6 × 0.9) is no longer above beta.
		{"queue shrinks to beta", 64, 64, 2 * ms, 20 * ms, 100, 200, 6},
		// limit × (1 − 2/2.5) = 4 for 20: between alpha and beta, hold.
		{"in the band holds", 20, 64, 2 * ms, 2500 * time.Microsecond, 100, 50, 20},
		{"too few samples holds", 20, 64, 2 * ms, 20 * ms, vegasMinSamples - 1, 10, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := vegas{limit: tc.start, max: tc.max}
			var got int
			for range tc.ticks {
				got = v.next(tc.least, tc.avg, tc.samples)
			}
			if got != tc.want {
				t.Errorf("limit after %d ticks = %d, want %d", tc.ticks, got, tc.want)
			}
		})
	}
}

// The base latency is a recent minimum: a server that became slower for good is
// followed once the old minimum has left the window, instead of reading its new
// latency as a queue for ever.
func TestVegasBaseFollowsTheServer(t *testing.T) {
	v := vegas{limit: 20, max: 64}
	v.next(2*time.Millisecond, 2*time.Millisecond, 100)
	for range minLatTicks {
		v.next(10*time.Millisecond, 11*time.Millisecond, 100)
	}
	before := v.limit
	v.next(10*time.Millisecond, 10*time.Millisecond, 100)
	if v.limit <= before {
		t.Errorf("limit %d → %d: a server answering in its own new time is no queue", before, v.limit)
	}
}

// Calls in flight never exceed the tokens there are, and a lowered limit is
// reached by retiring tokens as calls hand them back.
func TestInflightGateHoldsTheLimit(t *testing.T) {
	g := newInflightGate(32, 64)
	run := func(adjust bool) int64 {
		var inFlight, peak atomic.Int64
		var done atomic.Bool
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				for range 100 {
					if err := g.acquire(context.Background()); err != nil {
						t.Error(err)
						return
					}
					n := inFlight.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					time.Sleep(20 * time.Microsecond)
					inFlight.Add(-1)
					// Latencies spread 1–10 ms: a queue, so each tick lowers the limit.
					g.release(time.Duration(1+n%10) * time.Millisecond)
				}
			})
		}
		if adjust {
			go func() {
				for !done.Load() && g.limit() > vegasMin+4 {
					time.Sleep(200 * time.Microsecond)
					g.adjust()
				}
			}()
		}
		wg.Wait()
		done.Store(true)
		return peak.Load()
	}
	if p := run(true); p > 32 {
		t.Errorf("peak in flight %d over the starting limit 32", p)
	}
	limit, pending := g.limit(), int(g.retire.Load())
	if limit >= 32 {
		t.Fatalf("limit %d: a long queue did not lower it", limit)
	}
	if free := len(g.tokens) - pending; free != limit {
		t.Fatalf("%d tokens free, %d to retire, for a limit of %d", len(g.tokens), pending, limit)
	}
	if p := run(false); p > int64(limit+pending) {
		t.Errorf("peak in flight %d with a limit of %d (%d still to retire)", p, limit, pending)
	}
	if len(g.tokens) != limit || g.retire.Load() != 0 {
		t.Errorf("after the run %d tokens free, %d to retire; limit %d", len(g.tokens), g.retire.Load(), limit)
	}
}

// Fewer workers than vegas's floor: the gate must start (it used to block filling
// more tokens than its capacity) and never let more than that many calls in.
func TestInflightGateBelowVegasFloor(t *testing.T) {
	for _, n := range []int{1, 2, vegasMin - 1} {
		g := newInflightGate(n, n)
		if got := g.limit(); got != n {
			t.Fatalf("workers %d: limit %d", n, got)
		}
		if got := g.v.next(time.Millisecond, 100*time.Millisecond, vegasMinSamples); got != n {
			t.Fatalf("workers %d: after a slow tick the limit is %d", n, got)
		}
	}
}
