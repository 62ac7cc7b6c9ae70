package pacer

import (
	"testing"
	"time"
)

// step is one report to an Adaptive calculator: n reports spaced every apart,
// the first at the previous step's last time + every.
type step struct {
	n         int
	every     time.Duration
	throttled bool
	probe     bool
	retry     time.Duration
}

// run feeds steps to a fresh Adaptive for a 1000/s quota and returns the last
// decision and the calculator.
func run(steps []step) (Decision, *Adaptive) {
	a := NewAdaptive(1000, 0)
	var at time.Duration
	var d Decision
	for _, s := range steps {
		for range s.n {
			at += s.every
			d = a.Calculate(Report{At: at, Throttled: s.throttled, Probe: s.probe, RetryAfter: s.retry})
		}
	}
	return d, a
}

func TestAdaptiveDecisions(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		steps []step
		want  Decision
	}{
		{"accepted at the quota stays", []step{{n: 100, every: ms}}, Decision{Rate: 1000}},
		{"three throttles are jitter", []step{{n: 100, every: ms}, {n: 3, every: ms, throttled: true}}, Decision{Rate: 1000}},
		{"excess cuts by 10%", []step{{n: 1000, every: ms}, {n: 10, every: ms, throttled: true}}, Decision{Rate: 900}},
		{"one cut a second at most", []step{{n: 1000, every: ms}, {n: 10, every: 10 * ms, throttled: true}, {n: 1, every: ms}, {n: 10, every: 10 * ms, throttled: true}}, Decision{Rate: 900}},
		// 20 throttles in a row within 2 s: a wall. The 10th cut to 900; the
		// 20th runs at the 600 accepted in the last second less 2%, and holds
		// until the first of them (at 1 ms, slot 0) leaves the window at 1 s.
		{"wall holds at the share owned", []step{{n: 600, every: ms}, {n: 20, every: ms, throttled: true}}, Decision{Rate: 588, Hold: 380 * ms}},
		// Nothing accepted: the hold's cut stops at half the rate.
		{"wall cut floor", []step{{n: 20, every: ms, throttled: true}}, Decision{Rate: 450, Hold: 980 * ms}},
		// A streak of 5 throttles over 2 s without a success: the quota is gone
		// (two a second are no excess to cut for).
		{"streak pauses", []step{{n: 5, every: 500 * ms, throttled: true}}, Decision{Rate: 1000, Pause: time.Second}},
		{"retry-after floors the pause", []step{{n: 5, every: 500 * ms, throttled: true, retry: 7 * time.Second}}, Decision{Rate: 1000, Pause: 7 * time.Second}},
		{"failed probe doubles the pause", []step{{n: 5, every: 500 * ms, throttled: true}, {n: 2, every: time.Second, throttled: true, probe: true}}, Decision{Rate: 1000, Pause: 4 * time.Second}},
		{"pause is capped", []step{{n: 5, every: 500 * ms, throttled: true}, {n: 9, every: time.Second, throttled: true, probe: true}}, Decision{Rate: 1000, Pause: 30 * time.Second}},
		{"probe success resumes", []step{{n: 5, every: 500 * ms, throttled: true}, {n: 1, every: time.Second, probe: true}}, Decision{Rate: 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := run(tc.steps); got != tc.want {
				t.Errorf("decision %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAdaptiveGrowth(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration // of acceptances after a cut to 900
		want  float64
	}{
		// No growth for a second after a throttle (stragglers), then 1% of
		// the quota a second.
		{"within the straggler second", 900 * time.Millisecond, 900},
		{"two seconds", 2 * time.Second, 910},
		{"eleven seconds", 11 * time.Second, 1000},
		{"capped at the quota", 60 * time.Second, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := time.Millisecond
			_, a := run([]step{{n: 1000, every: ms}, {n: 10, every: ms, throttled: true}, {n: int(tc.after / (10 * ms)), every: 10 * ms}})
			if got := a.Rate(); got < tc.want-1e-6 || got > tc.want+1e-6 {
				t.Errorf("rate %.6f, want %.0f", got, tc.want)
			}
		})
	}
}

func TestAdaptiveSetRate(t *testing.T) {
	tests := []struct {
		qps     int
		minRate float64
		set     float64
		want    float64
	}{
		{1000, 0, 500, 500},
		{1000, 0, 5, 20}, // default floor: qps/50
		{1000, 0, 5000, 1000},
		{10, 0, 0.1, 1}, // default floor at least 1
		{1000, 100, 50, 100},
		{10, 50, 1, 10}, // a floor above the quota is the quota
	}
	for _, tc := range tests {
		a := NewAdaptive(tc.qps, tc.minRate)
		if got := a.SetRate(tc.set, time.Second); got != tc.want || a.Rate() != tc.want {
			t.Errorf("qps %d min %.0f: SetRate(%.1f) = %.1f (Rate %.1f), want %.1f", tc.qps, tc.minRate, tc.set, got, a.Rate(), tc.want)
		}
	}
}
