package pacer

import (
	"testing"
	"time"
)

func TestSlotOf(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		at   int64
		want int64
	}{{0, 0}, {49 * ms, 0}, {50 * ms, 1}, {-1, -1}, {-50 * ms, -1}, {-50*ms - 1, -2}}
	for _, tc := range tests {
		if got := slotOf(tc.at); got != tc.want {
			t.Errorf("slotOf(%d) = %d, want %d", tc.at, got, tc.want)
		}
	}
}

func TestSlots(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		name     string
		reports  []int64 // times; odd positions throttled
		from, to int64
		wantT    int
		wantN    int
	}{
		{"one slot", []int64{0, 10 * ms, 20 * ms}, 0, 0, 1, 3},
		{"range", []int64{0, 60 * ms, 120 * ms, 500 * ms}, 1, 2, 1, 2},
		{"old slots dropped", []int64{0, 10 * ms, nSlots * 50 * ms}, 0, nSlots, 0, 1},
		{"a reused position starts afresh", []int64{0, nSlots * 50 * ms}, nSlots, nSlots, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s slots
			for i, at := range tc.reports {
				s.add(at, i%2 == 1)
			}
			if gotT, gotN := s.sum(tc.from, tc.to); gotT != tc.wantT || gotN != tc.wantN {
				t.Errorf("sum(%d, %d) = %d/%d, want %d/%d", tc.from, tc.to, gotT, gotN, tc.wantT, tc.wantN)
			}
		})
	}
}

func TestLastSecondAccepted(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		name      string
		accepted  []int64
		throttled []int64
		now       int64
		wantN     int
		wantFirst int64
	}{
		{"none", nil, []int64{900 * ms}, 900 * ms, 0, slotOf(900 * ms)},
		{"first acceptance's slot", []int64{120 * ms, 700 * ms}, []int64{800 * ms}, 900 * ms, 2, 2},
		{"older than a second not counted", []int64{100 * ms, 1500 * ms}, nil, 1900 * ms, 1, 30},
		{"a slot of throttles only is skipped", []int64{300 * ms}, []int64{0, 10 * ms}, 900 * ms, 1, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s slots
			for _, at := range tc.accepted {
				s.add(at, false)
			}
			for _, at := range tc.throttled {
				s.add(at, true)
			}
			if n, first := s.lastSecondAccepted(tc.now); n != tc.wantN || first != tc.wantFirst {
				t.Errorf("got %d accepted from slot %d, want %d from %d", n, first, tc.wantN, tc.wantFirst)
			}
		})
	}
}
