package pacer

import (
	"context"
	"time"
)

// Wait blocks until a call may start and counts the start. Callers are
// served roughly in arrival order. It returns ctx.Err() if ctx ends first;
// the call must then not be made.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.unlimited {
		p.starts.Add(1)
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		now := p.now()
		var admitted bool
		var err error
		if p.state == Running {
			admitted, err = p.waitSlotLocked(ctx, now)
		} else {
			admitted, err = p.waitPauseLocked(ctx, now)
		}
		if err != nil || admitted {
			return err
		}
	}
}

// waitPauseLocked waits out a pause, then admits the single probe call; while
// the probe is out it admits another only when the probe never reported
// within probeTimeout (its caller gave up). It reports false when the caller
// must look at the state again.
func (p *Pacer) waitPauseLocked(ctx context.Context, now int64) (admitted bool, err error) {
	switch p.state {
	case Paused:
		if now < p.pauseUntil {
			return false, p.sleepStateLocked(ctx, p.pauseUntil-now)
		}
		if h := p.sched.hardNext(); now < h {
			return false, p.sleepStateLocked(ctx, h-now)
		}
		p.state = Probing
		p.probeDeadline = now + p.probeTimeout
		p.signalLocked()
	case Probing:
		if now < p.probeDeadline {
			return false, p.sleepStateLocked(ctx, p.probeDeadline-now)
		}
		// The probe never reported (its caller gave up): send another.
		p.probeDeadline = now + p.probeTimeout
	}
	p.admitLocked(now)
	return true, nil
}

// waitSlotLocked books a slot and sleeps until it comes. It reports false
// when a hold or a pause voided the slot while it slept: the caller must
// look at the state again.
func (p *Pacer) waitSlotLocked(ctx context.Context, now int64) (admitted bool, err error) {
	t, seq := p.sched.reserve(now)
	epoch := p.epoch
	for {
		if h := p.sched.hardNext(); h > t {
			t = h
		}
		if t <= now {
			break
		}
		p.mu.Unlock()
		sleepErr := p.clock.Sleep(ctx, time.Duration(t-now))
		p.mu.Lock()
		if sleepErr != nil {
			p.sched.unreserve(seq)
			return false, sleepErr
		}
		now = p.now()
		if p.epoch != epoch {
			return false, nil
		}
	}
	p.admitLocked(now)
	return true, nil
}

func (p *Pacer) admitLocked(now int64) {
	p.sched.admit(now)
	p.starts.Add(1)
	if p.onStart != nil {
		p.onStart(now)
	}
}

// sleepStateLocked sleeps up to d, waking early when the state changes.
// It returns with p.mu held.
func (p *Pacer) sleepStateLocked(ctx context.Context, d int64) error {
	if p.wake == nil {
		p.wake, p.wakeCancel = context.WithCancel(context.Background())
	}
	wake := p.wake
	p.mu.Unlock()
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(wake, cancel)
	err := p.clock.Sleep(sctx, time.Duration(d))
	stop()
	cancel()
	p.mu.Lock()
	if err != nil {
		return ctx.Err() // nil when only the state changed
	}
	return nil
}

// signalLocked wakes the waiters sleeping in sleepStateLocked.
func (p *Pacer) signalLocked() {
	if p.wakeCancel != nil {
		p.wakeCancel()
		p.wake, p.wakeCancel = nil, nil
	}
}
