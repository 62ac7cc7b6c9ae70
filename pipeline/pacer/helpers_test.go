package pacer

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

var epoch0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// maxInSpan returns the most starts inside any half-open span [t, t+span),
// checked at every start (the worst span always begins at a start).
func maxInSpan(ts []time.Duration, span time.Duration) int {
	ts = slices.Clone(ts)
	slices.Sort(ts)
	best, i := 0, 0
	for j := range ts {
		for ts[j]-ts[i] >= span {
			i++
		}
		best = max(best, j-i+1)
	}
	return best
}

// maxInFixed returns the most starts in any fixed 1 s window whose
// boundaries sit at offset (mod 1 s) relative to the recorded times.
func maxInFixed(ts []time.Duration, offset time.Duration) int {
	counts := map[int64]int{}
	best := 0
	for _, t := range ts {
		w := int64((t - offset + 1000*time.Second) / time.Second)
		counts[w]++
		best = max(best, counts[w])
	}
	return best
}

// runFake drives workers goroutines that call Wait until virtual time end,
// on an auto-advancing fake clock, and returns the admission times relative
// to the clock's start.
func runFake(t *testing.T, p *Pacer, clk *FakeClock, workers int, end time.Duration) []time.Duration {
	t.Helper()
	var (
		mu  sync.Mutex
		ts  []time.Duration
		wg  sync.WaitGroup
		ctx = context.Background()
	)
	start := clk.Now()
	clk.SetParticipants(workers)
	for range workers {
		wg.Go(func() {
			defer clk.AddParticipants(-1)
			for {
				if err := p.Wait(ctx); err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
				at := clk.Now().Sub(start)
				if at >= end {
					return
				}
				mu.Lock()
				ts = append(ts, at)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	clk.SetParticipants(0)
	return ts
}

// waitN receives n values from ch or fails after a real-time bound that
// only a deadlock can hit.
func waitN[T any](t *testing.T, ch <-chan T, n int) []T {
	t.Helper()
	var out []T
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case v := <-ch:
			out = append(out, v)
		case <-timeout:
			t.Fatalf("got %d of %d values before timeout", len(out), n)
		}
	}
	return out
}

func blockUntil(t *testing.T, clk *FakeClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clk.BlockUntil(ctx, n); err != nil {
		t.Fatalf("waiting for %d sleepers (have %d): %v", n, clk.Sleepers(), err)
	}
}

// backgroundOf returns the background share the default calculator learned.
func backgroundOf(p *Pacer) float64 { return p.calc.(*Adaptive).j.background }
