package pacer

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	half := func() float64 { return 0.5 }
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		rnd        func() float64
		want       time.Duration
	}{
		{"first", 1, 0, half, 100 * time.Millisecond},
		{"third", 3, 0, half, 400 * time.Millisecond},
		{"attempt 0 is 1", 0, 0, half, 100 * time.Millisecond},
		{"negative attempt", -4, 0, half, 100 * time.Millisecond},
		{"capped", 10, 0, half, 5 * time.Second},
		{"huge attempt no overflow", 1 << 30, 0, half, 5 * time.Second},
		{"zero jitter", 5, 0, func() float64 { return 0 }, 0},
		{"retryAfter floor", 1, 2 * time.Second, half, 2 * time.Second},
		{"retryAfter below jitter", 3, 50 * time.Millisecond, half, 400 * time.Millisecond},
		{"retryAfter capped", 1, time.Hour, half, 30 * time.Second},
		{"NaN rnd", 2, 0, func() float64 { return math.NaN() }, 0},
		{"rnd >= 1 stays below base", 1, 0, func() float64 { return 7 }, 199999800 * time.Nanosecond},
	}
	for _, tc := range tests {
		if got := Backoff(tc.attempt, tc.retryAfter, tc.rnd); got != tc.want {
			t.Errorf("%s: Backoff(%d, %v) = %v, want %v", tc.name, tc.attempt, tc.retryAfter, got, tc.want)
		}
	}
}

func TestBackoffJitterRangeAndDeterminism(t *testing.T) {
	a := rand.New(rand.NewPCG(1, 2))
	b := rand.New(rand.NewPCG(1, 2))
	seen := map[time.Duration]bool{}
	for attempt := 1; attempt <= 8; attempt++ {
		ceiling := min(BackoffBase<<(attempt-1), BackoffCap)
		for range 50 {
			x, y := Backoff(attempt, 0, a.Float64), Backoff(attempt, 0, b.Float64)
			if x != y {
				t.Fatalf("same seed, different backoff: %v vs %v", x, y)
			}
			if x < 0 || x >= ceiling {
				t.Fatalf("attempt %d: %v outside [0, %v)", attempt, x, ceiling)
			}
			seen[x] = true
		}
	}
	if len(seen) < 300 {
		t.Errorf("only %d distinct backoffs in 400: jitter missing", len(seen))
	}
	for range 100 { // nil rnd: global source, same bounds
		if d := Backoff(2, 0, nil); d < 0 || d >= 400*time.Millisecond {
			t.Fatalf("Backoff(2, 0, nil) = %v", d)
		}
	}
}
