package pacer

import (
	"context"
	"testing"
	"time"
)

// scripted is a Calculator that answers every report with the next decision
// of its script (the last one repeated), to test the waiting alone.
type scripted struct {
	script []Decision
	got    []Report
	rate   float64
}

func (s *scripted) Calculate(r Report) Decision {
	s.got = append(s.got, r)
	d := s.script[min(len(s.got), len(s.script))-1]
	s.rate = d.Rate
	return d
}
func (s *scripted) SetRate(r float64, _ time.Duration) float64 { s.rate = r; return r }
func (s *scripted) Rate() float64                              { return s.rate }

// TestWaitCarriesOutDecisions: the first start after each decision comes when
// the decision says, on the fake clock.
func TestWaitCarriesOutDecisions(t *testing.T) {
	tests := []struct {
		name      string
		decision  Decision
		nextStart time.Duration // after the report at 0
		state     State         // after the next start
		rate      float64
	}{
		{"rate only", Decision{Rate: 5}, 0, Running, 5},
		{"hold", Decision{Rate: 5, Hold: 700 * time.Millisecond}, 700 * time.Millisecond, Running, 5},
		{"pause then probe", Decision{Rate: 5, Pause: 3 * time.Second}, 3 * time.Second, Probing, 5},
		{"rate clamped to the quota", Decision{Rate: 50}, 0, Running, 10},
		{"rate clamped to the floor", Decision{Rate: 0.01}, 0, Running, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewFakeClock(epoch0)
			calc := &scripted{script: []Decision{tc.decision}, rate: 10}
			p := New(Config{QPS: 10, Calculator: calc, Clock: clk})
			p.Throttled(0)
			clk.SetParticipants(1)
			defer clk.SetParticipants(0)
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := clk.Now().Sub(epoch0); got != tc.nextStart {
				t.Errorf("next start at %v, want %v", got, tc.nextStart)
			}
			if s := p.Stats(); s.State != tc.state || s.Rate != tc.rate {
				t.Errorf("state %v rate %.2f, want %v %.2f", s.State, s.Rate, tc.state, tc.rate)
			}
			if len(calc.got) != 1 || !calc.got[0].Throttled || calc.got[0].Probe {
				t.Errorf("calculator saw %+v, want one throttle, not a probe", calc.got)
			}
		})
	}
}

// TestReportsWhilePausedAreNotPassedOn: a call started before a pause brings
// no news; the probe's report is marked as one.
func TestReportsWhilePausedAreNotPassedOn(t *testing.T) {
	clk := NewFakeClock(epoch0)
	calc := &scripted{script: []Decision{{Rate: 10, Pause: time.Second}, {Rate: 10}}, rate: 10}
	p := New(Config{QPS: 10, Calculator: calc, Clock: clk})
	p.Throttled(0)
	p.Succeeded() // stale: paused
	clk.Advance(time.Second)
	if err := p.Wait(context.Background()); err != nil { // the probe
		t.Fatal(err)
	}
	p.Succeeded()
	if len(calc.got) != 2 || !calc.got[1].Probe || calc.got[1].Throttled || calc.got[1].At != time.Second {
		t.Fatalf("calculator saw %+v, want the first throttle and the probe's success at 1s", calc.got)
	}
	if s := p.State(); s != Running {
		t.Errorf("state %v after the probe succeeded, want running", s)
	}
}
