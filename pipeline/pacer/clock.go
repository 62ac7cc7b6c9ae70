package pacer

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Clock is the pacer's source of time. It is injected, as in x/time/rate's
// reservation API, so tests can check caps and spacing on virtual time
// without really sleeping.
type Clock interface {
	// Now returns the current time. Real implementations must return a
	// monotonic reading (time.Now does).
	Now() time.Time
	// Sleep blocks for d or until ctx is done, whichever comes first. It
	// returns ctx.Err() when ctx ended the sleep and nil otherwise; d <= 0
	// returns at once.
	Sleep(ctx context.Context, d time.Duration) error
}

// System is the real wall clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FakeClock is a virtual clock for tests. Time moves only when the test says
// so: explicitly with Advance/AdvanceToNext, or automatically once a known
// number of participant goroutines are all asleep in Sleep (see
// SetParticipants). The automatic mode lets a simulation of many workers run
// at CPU speed while keeping the causal order a real clock would give.
type FakeClock struct {
	mu           sync.Mutex
	now          time.Time
	sleepers     sleeperHeap
	seq          uint64
	participants int
	changed      chan struct{} // closed on every sleeper-count change; nil when nobody watches
}

// NewFakeClock returns a fake clock reading start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start}
}

// Now returns the virtual time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep blocks until virtual time reaches now+d or ctx is done.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	c.seq++
	s := &sleeper{at: c.now.Add(d), seq: c.seq, ch: make(chan struct{})}
	heap.Push(&c.sleepers, s)
	c.notifyLocked()
	c.autoLocked()
	c.mu.Unlock()

	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		woken := s.idx < 0
		if !woken {
			heap.Remove(&c.sleepers, s.idx)
			c.notifyLocked()
		}
		c.mu.Unlock()
		if woken {
			// The deadline passed before we noticed ctx: the sleep did
			// complete, exactly as a real timer racing a cancel can.
			return nil
		}
		return ctx.Err()
	}
}

// Advance moves virtual time forward by d and wakes every sleeper due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.wakeDueLocked()
}

// AdvanceToNext jumps to the earliest sleeper's deadline (if it is in the
// future) and wakes every sleeper due. It reports false when nobody sleeps.
func (c *FakeClock) AdvanceToNext() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.advanceToNextLocked()
}

// Sleepers reports how many goroutines are blocked in Sleep.
func (c *FakeClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// BlockUntil waits (in real time) until at least n goroutines are blocked in
// Sleep, or ctx is done.
func (c *FakeClock) BlockUntil(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.sleepers) >= n {
			c.mu.Unlock()
			return nil
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SetParticipants switches on automatic advance: whenever n goroutines are
// asleep, time jumps to the earliest deadline. n <= 0 switches it off. Every
// participant must spend all its blocking time in Sleep, and must call
// AddParticipants(-1) when it leaves, or the others never wake.
func (c *FakeClock) SetParticipants(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.participants = n
	c.autoLocked()
}

// AddParticipants adjusts the automatic-advance count by delta.
func (c *FakeClock) AddParticipants(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.participants += delta
	c.autoLocked()
}

func (c *FakeClock) autoLocked() {
	if c.participants > 0 && len(c.sleepers) >= c.participants {
		c.advanceToNextLocked()
	}
}

func (c *FakeClock) advanceToNextLocked() bool {
	if len(c.sleepers) == 0 {
		return false
	}
	if at := c.sleepers[0].at; at.After(c.now) {
		c.now = at
	}
	c.wakeDueLocked()
	return true
}

func (c *FakeClock) wakeDueLocked() {
	woke := false
	for len(c.sleepers) > 0 && !c.sleepers[0].at.After(c.now) {
		s := heap.Pop(&c.sleepers).(*sleeper)
		close(s.ch)
		woke = true
	}
	if woke {
		c.notifyLocked()
	}
}

func (c *FakeClock) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

type sleeper struct {
	at  time.Time
	seq uint64 // FIFO among equal deadlines
	ch  chan struct{}
	idx int // position in the heap; -1 once woken
}

type sleeperHeap []*sleeper

func (h sleeperHeap) Len() int { return len(h) }
func (h sleeperHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h sleeperHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *sleeperHeap) Push(x any) {
	s := x.(*sleeper)
	s.idx = len(*h)
	*h = append(*h, s)
}
func (h *sleeperHeap) Pop() any {
	old := *h
	n := len(old)
	s := old[n-1]
	old[n-1] = nil
	s.idx = -1
	*h = old[:n-1]
	return s
}
