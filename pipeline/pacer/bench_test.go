package pacer

import (
	"context"
	"testing"
	"time"
)

func BenchmarkWaitUnlimited(b *testing.B) {
	p := New(Config{})
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := p.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWaitReal runs 64 goroutines on the real clock at 50000/s and
// reports the achieved admissions per second (ns/op is then 1/rate).
func BenchmarkWaitReal(b *testing.B) {
	p := New(Config{QPS: 50000})
	ctx := context.Background()
	b.SetParallelism(32) // × GOMAXPROCS goroutines
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := p.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "starts/s")
}

func BenchmarkReport(b *testing.B) {
	clk := NewFakeClock(epoch0)
	p := New(Config{QPS: 1000, Clock: clk})
	for b.Loop() {
		p.Succeeded()
	}
}

// stepClock moves 25 µs per reading, slower than 50000/s, so Wait never
// sleeps: BenchmarkWaitNoSleep is the limiter's bookkeeping alone.
type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { c.t = c.t.Add(25 * time.Microsecond); return c.t }
func (c *stepClock) Sleep(context.Context, time.Duration) error {
	panic("stepClock slept")
}

func BenchmarkWaitNoSleep(b *testing.B) {
	p := New(Config{QPS: 50000, Clock: &stepClock{t: epoch0}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
