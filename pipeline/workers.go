package pipeline

// Worker sizing: how many workers call the API. With a fixed --workers the pool
// never changes; otherwise it starts small and grows to what the observed latency
// needs to keep up with the pacer's rate.

import (
	"math"
	"time"

	"golang.org/x/sync/errgroup"
)

const (
	defaultMaxWorkers = 1024
	initialWorkers    = 32
	unlimitedWorkers  = 64
	growEvery         = 200 * time.Millisecond
)

// workerCap is the most workers a run may have: a fixed count is its own cap.
func workerCap(workers, maxWorkers int) int {
	if workers > 0 {
		return workers
	}
	if maxWorkers <= 0 {
		return defaultMaxWorkers
	}
	return maxWorkers
}

// unlimitedRate: the pacer sets no rate (--qps 0), so nothing but the in-flight
// gate bounds the calls.
func unlimitedRate(rate float64) bool { return rate <= 0 || math.IsInf(rate, 1) }

// startingWorkers is the pool's size before any call has been timed: a fixed count
// as given, else enough for the rate if a call takes 100 ms (at least initialWorkers),
// never more than maxWorkers.
func startingWorkers(workers, maxWorkers int, rate float64) int {
	if workers > 0 {
		return workers
	}
	start := initialWorkers
	if !unlimitedRate(rate) {
		start = max(start, int(rate/10)) // rate × 100 ms
	}
	return min(start, maxWorkers)
}

// workersToAdd is how many workers a tick of grow adds. Calls in flight must be
// rate × latency to keep up with the rate (Little's law); the target is half as
// much again plus a few, for latency that varies. gateLimit > 0 means there is no
// rate and the in-flight gate has this limit: a worker beyond it would only wait
// at the gate. The pool never shrinks, and never passes maxWorkers.
func workersToAdd(latency time.Duration, rate float64, gateLimit, current, maxWorkers int) int {
	if latency <= 0 { // nothing observed yet
		return 0
	}
	need := gateLimit
	if gateLimit <= 0 {
		need = int(math.Ceil(rate*latency.Seconds()*1.5)) + 8
	}
	return max(0, min(need, maxWorkers)-current)
}

// startWorkers starts the first workers and, unless their number is fixed, grow.
// The returned channel is closed once no worker can be added any more: the pool
// may only be waited for after that (errgroup's Go must not race its Wait).
func (r *runner) startWorkers(pool *errgroup.Group, readDone <-chan struct{}) <-chan struct{} {
	rate := r.cfg.Pacer.Rate()
	start := startingWorkers(r.cfg.Workers, r.cfg.MaxWorkers, rate)
	if unlimitedRate(rate) {
		r.gate = newInflightGate(start, min(r.cfg.MaxWorkers, unlimitedWorkers))
	}
	for range start {
		r.addWorker(pool)
	}
	growDone := make(chan struct{})
	if r.cfg.Workers > 0 {
		close(growDone)
	} else {
		go r.grow(pool, readDone, growDone)
	}
	return growDone
}

func (r *runner) addWorker(pool *errgroup.Group) {
	r.workers.Add(1)
	pool.Go(func() error {
		for it := range r.jobs {
			r.call(it)
		}
		return nil
	})
}

// grow adds workers while the observed latency says more calls must be in flight to
// keep up with the pacer's rate (see workersToAdd). It ends when the run stops or
// when every row has been taken by a worker.
func (r *runner) grow(pool *errgroup.Group, readDone <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(growEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-r.stopCtx.Done():
			return
		}
		select {
		case <-readDone:
			if len(r.jobs) == 0 { // every row has a worker: no more are needed
				return
			}
		default:
		}
		lat := time.Duration(r.latencyNs.Load())
		if lat <= 0 {
			continue
		}
		gateLimit := 0
		if r.gate != nil {
			// Once a tick with latency seen: adjust ends the gate's tick.
			gateLimit = r.gate.adjust()
		}
		add := workersToAdd(lat, r.cfg.Pacer.Rate(), gateLimit, int(r.workers.Load()), r.cfg.MaxWorkers)
		for range add {
			r.addWorker(pool)
		}
	}
}

// observeLatency folds a call's latency into the moving average grow reads
// (weight 1/16 for the new sample).
func (r *runner) observeLatency(d time.Duration) {
	for {
		old := r.latencyNs.Load()
		next := int64(d)
		if old > 0 {
			next = old + (int64(d)-old)/16
		}
		if r.latencyNs.CompareAndSwap(old, next) {
			return
		}
	}
}
