package pacer

import (
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	ms := int64(time.Millisecond)
	// window 1 s, rate 4: slots 250 ms apart, at most 4 in any second.
	tests := []struct {
		name     string
		catchUp  int64
		arrivals []int64 // reserve calls
		want     []int64 // their slot times
	}{
		{"spaced by the interval", 0, []int64{0, 0, 0, 0}, []int64{0, 250 * ms, 500 * ms, 750 * ms}},
		{"the fifth waits for the first to leave the window", 0, []int64{0, 0, 0, 0, 0}, []int64{0, 250 * ms, 500 * ms, 750 * ms, 1000 * ms}},
		{"a late caller shifts the schedule", 0, []int64{0, 400 * ms, 400 * ms}, []int64{0, 400 * ms, 650 * ms}},
		{"catch-up keeps the schedule within the bound", 200 * ms, []int64{0, 400 * ms, 400 * ms}, []int64{0, 400 * ms, 500 * ms}},
		{"idle time is no credit beyond catch-up", 200 * ms, []int64{0, 5000 * ms, 5000 * ms}, []int64{0, 5000 * ms, 5050 * ms}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedule(4, second, tc.catchUp)
			s.setRate(4)
			for i, at := range tc.arrivals {
				if got, _ := s.reserve(at); got != tc.want[i] {
					t.Errorf("reserve #%d at %d = %d, want %d", i+1, at, got, tc.want[i])
				}
			}
		})
	}
}

func TestScheduleUnreserve(t *testing.T) {
	s := newSchedule(4, second, 0)
	s.setRate(4)
	_, first := s.reserve(0)
	_, second_ := s.reserve(0)
	s.unreserve(first) // not the latest: stays booked
	s.unreserve(second_)
	if got, _ := s.reserve(0); got != 250*int64(time.Millisecond) {
		t.Errorf("after giving the latest slot back the next is %d, want it again (250 ms)", got)
	}
}

func TestScheduleHardNext(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		name   string
		rate   float64
		admits []int64
		hold   int64
		want   int64
	}{
		{"room left", 4, []int64{0, 10 * ms}, 0, 0},
		{"n in the last second", 2, []int64{0, 10 * ms}, 0, second + 1},
		{"the n-th most recent counts", 2, []int64{0, 10 * ms, 20 * ms}, 0, 10*ms + second + 1},
		{"a hold wins", 4, nil, 700 * ms, 700 * ms},
		{"the cap wins over an earlier hold", 1, []int64{500 * ms}, 700 * ms, 500*ms + second + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedule(4, second, 0)
			s.setRate(tc.rate)
			s.holdUntil = tc.hold
			for _, at := range tc.admits {
				s.admit(at)
			}
			if got := s.hardNext(); got != tc.want {
				t.Errorf("hardNext = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRing(t *testing.T) {
	r := newRing(3)
	for _, v := range []int64{1, 2, 3, 4} {
		r.push(v)
	}
	tests := []struct {
		n    int
		want int64
		ok   bool
	}{{1, 4, true}, {3, 2, true}, {4, 0, false}, {0, 0, false}}
	for _, tc := range tests {
		if got, ok := r.nthRecent(tc.n); got != tc.want || ok != tc.ok {
			t.Errorf("nthRecent(%d) = %d, %v; want %d, %v", tc.n, got, ok, tc.want, tc.ok)
		}
	}
	r.pop()
	if got, _ := r.nthRecent(1); got != 3 {
		t.Errorf("after pop the latest is %d, want 3", got)
	}
}
