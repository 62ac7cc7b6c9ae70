package pipeline

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// With no rate limit (--qps 0) nothing but the number of workers bounds the calls
// in flight, and a client that is itself the bottleneck (parsing, signing, reading
// and writing a big XLSX on two cores) then holds most of them as answers that
// have arrived and wait to be read: at 64 in flight and 1,300 calls/s an answer
// waits ~45 ms on average, and one that waits when the job is killed is paid for
// again on resume although the server answered it long before. The gate keeps
// in flight what the server needs and little more, in the manner of TCP Vegas
// (and Netflix's concurrency-limits): the queue we hold is
// limit × (1 − minLatency/latency); below vegasAlpha the limit grows, above
// vegasBeta it shrinks.
const (
	vegasAlpha = 3
	vegasBeta  = 6
	vegasMin   = 4
	// vegasMinSamples calls in a tick are needed to judge it.
	vegasMinSamples = 10
	// The base latency is the least seen over the last minLatTicks ticks, so
	// that a server that became slower for good is followed.
	minLatTicks = 50
)

// vegas is the limit's arithmetic, apart from time and goroutines so that tests
// can feed it observations.
type vegas struct {
	limit, max int
	mins       [minLatTicks]time.Duration
	tick       int
}

// next returns the limit after a tick in which calls took avg on average and at
// least least.
func (v *vegas) next(least, avg time.Duration, samples int) int {
	if samples < vegasMinSamples || avg <= 0 {
		return v.limit
	}
	v.mins[v.tick%minLatTicks] = least
	v.tick++
	base := time.Duration(math.MaxInt64)
	for i := 0; i < min(v.tick, minLatTicks); i++ {
		base = min(base, v.mins[i])
	}
	queue := float64(v.limit) * (1 - float64(base)/float64(avg))
	step := max(1, int(math.Log10(float64(v.limit))))
	switch {
	case queue < vegasAlpha:
		v.limit = min(v.max, v.limit+step)
	case queue > vegasBeta:
		v.limit = max(min(vegasMin, v.max), v.limit-step)
	}
	return v.limit
}

// inflightGate holds calls back beyond the current limit. Tokens are handed back
// on release; a lower limit is reached by retiring tokens as calls release them.
type inflightGate struct {
	tokens chan struct{}
	retire atomic.Int64 // tokens to drop instead of handing back

	mu      sync.Mutex // guards the tick's observations and the limit
	v       vegas
	least   time.Duration
	sum     time.Duration
	samples int
}

func newInflightGate(start, maxLimit int) *inflightGate {
	// The floor is vegasMin, unless --workers allows fewer: a start above the token
	// channel's capacity would block here for ever (--qps 0 --workers 1 did).
	start = max(min(vegasMin, maxLimit), min(start, maxLimit))
	g := &inflightGate{tokens: make(chan struct{}, maxLimit), v: vegas{limit: start, max: maxLimit}}
	for range start {
		g.tokens <- struct{}{}
	}
	return g
}

// acquire, release and giveBack are no-ops on a nil gate (a rate bounds the calls).
func (g *inflightGate) acquire(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case <-g.tokens:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release hands the token of a call that took latency back and counts the call.
func (g *inflightGate) release(latency time.Duration) {
	if g == nil {
		return
	}
	g.mu.Lock()
	if g.samples == 0 || latency < g.least {
		g.least = latency
	}
	g.sum += latency
	g.samples++
	g.mu.Unlock()
	g.giveBack()
}

// giveBack returns a token, or retires it while the limit is coming down.
func (g *inflightGate) giveBack() {
	if g == nil {
		return
	}
	for {
		n := g.retire.Load()
		if n <= 0 {
			break
		}
		if g.retire.CompareAndSwap(n, n-1) {
			return
		}
	}
	g.tokens <- struct{}{}
}

// adjust ends a tick: the limit moves by what its observations say. It returns
// the new limit. Called from one goroutine.
func (g *inflightGate) adjust() int {
	g.mu.Lock()
	old := g.v.limit
	var avg time.Duration
	if g.samples > 0 {
		avg = g.sum / time.Duration(g.samples)
	}
	limit := g.v.next(g.least, avg, g.samples)
	g.least, g.sum, g.samples = 0, 0, 0
	g.mu.Unlock()
	for i := old; i < limit; i++ {
		// Cancel a pending retirement before adding a token.
		if n := g.retire.Load(); n > 0 && g.retire.CompareAndSwap(n, n-1) {
			continue
		}
		g.tokens <- struct{}{}
	}
	if limit < old {
		g.retire.Add(int64(old - limit))
	}
	return limit
}

func (g *inflightGate) limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.v.limit
}
