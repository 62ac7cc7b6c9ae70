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
)

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
// keep up with the pacer's rate: in flight = rate × latency (Little's law).
func (r *runner) grow(pool *errgroup.Group, readDone <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(200 * time.Millisecond)
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
		rate := r.cfg.Pacer.Rate()
		if lat <= 0 {
			continue
		}
		var need int64
		if r.gate != nil {
			// No rate to reach: the gate says how many calls the server needs in
			// flight; a worker more than that only waits at the gate.
			need = int64(r.gate.adjust())
		} else {
			need = int64(math.Ceil(rate*lat.Seconds()*1.5)) + 8
		}
		need = min(need, int64(r.cfg.MaxWorkers))
		for r.workers.Load() < need {
			r.addWorker(pool)
		}
	}
}

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
