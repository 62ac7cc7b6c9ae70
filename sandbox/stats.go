package sandbox

import (
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of the sandbox counters.
type Stats struct {
	// Requests counts every API call that reached the handler (the
	// /_sandbox/ control paths excluded), whatever happened to it.
	Requests uint64 `json:"requests"`
	// RejectedBeforeAuth counts calls refused before the caller was
	// authenticated: malformed, unsigned, badly signed, replayed, stale.
	RejectedBeforeAuth uint64 `json:"rejected_before_auth"`
	// Throttled counts calls refused by the QPS limit.
	Throttled uint64 `json:"throttled"`
	// Billed counts successful encryptions actually answered.
	Billed uint64 `json:"billed"`
	// Canceled counts admitted calls whose client went away (or the server
	// shut down) before an answer was written.
	Canceled uint64 `json:"canceled"`
	// Slow counts calls picked for the slow-response fault.
	Slow uint64 `json:"slow"`
	// Failures counts non-OK answers by error code; injected connection
	// resets are counted as "ConnectionReset".
	Failures map[string]uint64 `json:"failures"`
}

type counters struct {
	requests, rejected, throttled, billed, canceled, slow atomic.Uint64

	// known codes get a counter up front so the hot path is a read-only map
	// lookup plus an atomic add; anything else falls back to a locked map.
	known   map[string]*atomic.Uint64
	otherMu sync.Mutex
	other   map[string]uint64
}

func newCounters(codes []string) *counters {
	c := &counters{known: make(map[string]*atomic.Uint64, len(codes)), other: map[string]uint64{}}
	for _, code := range codes {
		c.known[code] = new(atomic.Uint64)
	}
	return c
}

func (c *counters) fail(code string) {
	if n, ok := c.known[code]; ok {
		n.Add(1)
		return
	}
	c.otherMu.Lock()
	c.other[code]++
	c.otherMu.Unlock()
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Requests:           c.requests.Load(),
		RejectedBeforeAuth: c.rejected.Load(),
		Throttled:          c.throttled.Load(),
		Billed:             c.billed.Load(),
		Canceled:           c.canceled.Load(),
		Slow:               c.slow.Load(),
		Failures:           map[string]uint64{},
	}
	for code, n := range c.known {
		if v := n.Load(); v > 0 {
			s.Failures[code] = v
		}
	}
	c.otherMu.Lock()
	for code, v := range c.other {
		s.Failures[code] += v
	}
	c.otherMu.Unlock()
	return s
}

func (c *counters) reset() {
	for _, a := range []*atomic.Uint64{&c.requests, &c.rejected, &c.throttled, &c.billed, &c.canceled, &c.slow} {
		a.Store(0)
	}
	for _, n := range c.known {
		n.Store(0)
	}
	c.otherMu.Lock()
	clear(c.other)
	c.otherMu.Unlock()
}
