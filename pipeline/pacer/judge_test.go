package pacer

import (
	"math"
	"testing"
	"time"
)

// judgedCut opens a cut at 1 s after a second of n0 reports a second with
// share s0 throttled, feeds a second of n1 reports a second with share s1,
// and settles the cut at 2 s.
func judgedCut(n0 int, s0 float64, n1 int, s1 float64) (restore float64, undo bool, j *judgement) {
	j = &judgement{firstReport: math.MinInt64 / 2}
	feedShare := func(from, to int64, n int, share float64) {
		var thr float64
		for i := range n {
			at := from + (to-from)*int64(i)/int64(n)
			thr += share
			throttled := thr >= 1
			if throttled {
				thr--
			}
			j.record(at, throttled)
		}
	}
	feedShare(0, second, n0, s0)
	j.open(second, 1000, math.MinInt64/2)
	feedShare(second, 2*second, n1, s1)
	restore, undo = j.settle(2 * second)
	return restore, undo, j
}

func TestJudgement(t *testing.T) {
	tests := []struct {
		name   string
		n0     int
		s0     float64
		n1     int
		s1     float64
		undo   bool
		bgNear float64 // background learned when undone
	}{
		// A constant 5% whatever the rate: the cut (1000 → 900 calls/s) only
		// cost throughput.
		{"constant share", 1000, 0.05, 900, 0.05, true, 0.05},
		// Our overload: the share falls clearly.
		{"share fell", 1000, 0.15, 900, 0.05, false, 0},
		// Far over: the throttles absorb the dropped calls.
		{"throttles absorbed the fall", 1000, 0.5, 900, 0.45, false, 0},
		// Something else changed: the share rose.
		{"share rose", 1000, 0.05, 900, 0.2, false, 0},
		// Our calls did not fall: the cut has not bitten yet.
		{"rate did not fall", 1000, 0.05, 1000, 0.05, false, 0},
		// Too few reports to tell.
		{"too few", 15, 0.2, 15, 0.2, false, 0},
		// Edge-of-quota throttling is not a background.
		{"share too small", 1000, 0.01, 900, 0.01, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			restore, undo, j := judgedCut(tc.n0, tc.s0, tc.n1, tc.s1)
			if undo != tc.undo {
				t.Fatalf("undo %v, want %v", undo, tc.undo)
			}
			if undo && (restore != 1000 || math.Abs(j.background-tc.bgNear) > 0.005) {
				t.Errorf("restore %.0f, background %.4f; want 1000, ~%.2f", restore, j.background, tc.bgNear)
			}
			if !undo && j.background != 0 {
				t.Errorf("background %.4f learned from a cut kept", j.background)
			}
			if j.pending() {
				t.Error("cut still pending after settle")
			}
		})
	}
}

func TestJudgementNotDueYet(t *testing.T) {
	j := &judgement{firstReport: math.MinInt64 / 2}
	j.open(second, 1000, math.MinInt64/2)
	if _, undo := j.settle(second + judgeAfter - 1); undo || !j.pending() {
		t.Errorf("settled %v, pending %v before judgeAfter; want no, yes", undo, j.pending())
	}
	j.forget()
	if j.pending() {
		t.Error("pending after forget")
	}
}

func TestBackgroundReview(t *testing.T) {
	tests := []struct {
		name   string
		n      int     // reports since the background was learned
		share  float64 // their share
		age    time.Duration
		wantBg float64
	}{
		{"still there: renewed", 2000, 0.05, 40 * time.Second, 0.05},
		{"lower: renewed lower", 20000, 0.045, 40 * time.Second, 0.045},
		{"gone: forgotten", 2000, 0, 40 * time.Second, 0},
		{"higher (an overload): forgotten", 2000, 0.10, 40 * time.Second, 0},
		{"too few to tell: forgotten", 500, 0.05, 40 * time.Second, 0},
		{"too old: forgotten", 2000, 0.05, 130 * time.Second, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := &judgement{background: 0.05, bgReports: 2000, bgLearned: 0}
			j.bgN = tc.n
			j.bgT = int(math.Round(tc.share * float64(tc.n)))
			j.review(int64(tc.age))
			if math.Abs(j.background-tc.wantBg) > 1e-9 || j.bgN != 0 || j.bgT != 0 {
				t.Errorf("background %.4f (counts %d/%d), want %.4f and counts reset", j.background, j.bgT, j.bgN, tc.wantBg)
			}
		})
	}
}

func TestExcess(t *testing.T) {
	tests := []struct {
		name       string
		background float64
		t, n       int
		excess     float64
		sigma      float64
	}{
		{"no background", 0, 30, 1000, 30, 0},
		{"under the background", 0.05, 40, 1000, -10, math.Sqrt(0.05 * 0.95 * 1000 * 1.5)},
		{"over it", 0.05, 80, 1000, 30, math.Sqrt(0.05 * 0.95 * 1000 * 1.5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := &judgement{background: tc.background, bgReports: 2000}
			for i := range tc.n {
				j.reports.add(int64(i)*second/int64(tc.n), i < tc.t)
			}
			e, s := j.excess(second - 1)
			if math.Abs(e-tc.excess) > 1e-9 || math.Abs(s-tc.sigma) > 1e-9 {
				t.Errorf("excess %.3f sigma %.3f, want %.3f, %.3f", e, s, tc.excess, tc.sigma)
			}
		})
	}
}
