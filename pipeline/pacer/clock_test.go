package pacer

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSystemClockSleep(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	if err := System.Sleep(ctx, 2*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 2*time.Millisecond {
		t.Errorf("slept %v, want >= 2ms", el)
	}
	if err := System.Sleep(ctx, -time.Second); err != nil {
		t.Errorf("Sleep(negative) = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := System.Sleep(cctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(cancelled) = %v", err)
	}
	tctx, cancel2 := context.WithTimeout(ctx, time.Millisecond)
	defer cancel2()
	if err := System.Sleep(tctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Sleep past deadline = %v", err)
	}
}

func TestFakeClockAdvance(t *testing.T) {
	clk := NewFakeClock(epoch0)
	woke := make(chan time.Duration, 3)
	for _, d := range []time.Duration{30, 10, 20} {
		go func() {
			if err := clk.Sleep(context.Background(), d*time.Millisecond); err != nil {
				t.Error(err)
			}
			woke <- d
		}()
	}
	blockUntil(t, clk, 3)
	clk.Advance(15 * time.Millisecond)
	if got := waitN(t, woke, 1)[0]; got != 10 {
		t.Errorf("first woken: %d ms sleeper, want 10", got)
	}
	blockUntil(t, clk, 2)
	if !clk.AdvanceToNext() {
		t.Fatal("AdvanceToNext found no sleeper")
	}
	if got := waitN(t, woke, 1)[0]; got != 20 || clk.Now() != epoch0.Add(20*time.Millisecond) {
		t.Errorf("woken %d ms sleeper at %v, want 20 at +20ms", got, clk.Now().Sub(epoch0))
	}
	clk.Advance(time.Hour)
	waitN(t, woke, 1)
	if clk.AdvanceToNext() {
		t.Error("AdvanceToNext with no sleepers reported true")
	}
}

func TestFakeClockCancel(t *testing.T) {
	clk := NewFakeClock(epoch0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- clk.Sleep(ctx, time.Hour) }()
	blockUntil(t, clk, 1)
	cancel()
	if err := waitN(t, done, 1)[0]; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want Canceled", err)
	}
	if n := clk.Sleepers(); n != 0 {
		t.Errorf("%d sleepers after cancel", n)
	}
	if clk.Now() != epoch0 {
		t.Error("cancel moved time")
	}
}

func TestFakeClockAuto(t *testing.T) {
	clk := NewFakeClock(epoch0)
	clk.SetParticipants(2)
	done := make(chan time.Time, 2)
	for _, d := range []time.Duration{time.Second, 3 * time.Second} {
		go func() {
			defer clk.AddParticipants(-1)
			for range 3 {
				if err := clk.Sleep(context.Background(), d); err != nil {
					t.Error(err)
				}
			}
			done <- clk.Now()
		}()
	}
	got := waitN(t, done, 2)
	if got[0] != epoch0.Add(3*time.Second) || got[1] != epoch0.Add(9*time.Second) {
		t.Errorf("finish times %v, %v; want +3s, +9s", got[0].Sub(epoch0), got[1].Sub(epoch0))
	}
}
