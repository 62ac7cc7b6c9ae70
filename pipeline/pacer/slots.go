package pacer

import "time"

// Reports are counted in slots of slotDur; nSlots covers the second before a
// cut and the second after it, with room for a late judgement.
const (
	slotDur        = int64(50 * time.Millisecond)
	slotsPerSecond = second / slotDur
	nSlots         = 64
)

// slots counts throttles and reports per slotDur, for the last nSlots slots.
type slots struct {
	idx  [nSlots]int64
	t, n [nSlots]int
}

func slotOf(at int64) int64 {
	i := at / slotDur
	if at < 0 && at%slotDur != 0 {
		i--
	}
	return i
}

func slotStart(i int64) int64 { return i * slotDur }

func slotPos(i int64) int {
	return int(((i % nSlots) + nSlots) % nSlots)
}

func (s *slots) add(at int64, throttled bool) {
	i := slotOf(at)
	k := slotPos(i)
	if s.idx[k] != i || s.n[k] == 0 {
		s.idx[k], s.t[k], s.n[k] = i, 0, 0
	}
	s.n[k]++
	if throttled {
		s.t[k]++
	}
}

// sum returns the counts of slots from..to, inclusive; slots that are no
// longer held count as empty.
func (s *slots) sum(from, to int64) (t, n int) {
	from = max(from, to-nSlots+1)
	for i := from; i <= to; i++ {
		if k := slotPos(i); s.idx[k] == i {
			t += s.t[k]
			n += s.n[k]
		}
	}
	return t, n
}

// lastSecondAccepted returns the reports accepted (not throttled) in the
// second up to now, and the first slot of that second holding an acceptance
// (the current slot when none does).
func (s *slots) lastSecondAccepted(now int64) (accepted int, first int64) {
	cur := slotOf(now)
	from := cur - slotsPerSecond + 1
	t, n := s.sum(from, cur)
	first = from
	for ; first < cur; first++ {
		if t, n := s.sum(first, first); n > t {
			break
		}
	}
	return n - t, first
}
