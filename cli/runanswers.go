package cli

import (
	"sync"

	"dytnsbatch/store"
)

// runAnswers is the dedupe across the files of one run: an OK answer got for a
// number in one file answers it in the next without a call. The persistent store
// cannot do that by itself (it writes in the background and a cold store is not
// even looked up), and it may be off. It holds one answer per distinct OK number
// of the run, in memory.
type runAnswers struct {
	mu      sync.Mutex
	answers map[string]store.Answer
	next    *store.Store // may be nil: its methods are nil-safe
}

func newRunAnswers(next *store.Store) *runAnswers {
	return &runAnswers{answers: map[string]store.Answer{}, next: next}
}

func (r *runAnswers) Lookup(number string) (store.Answer, bool) {
	r.mu.Lock()
	a, ok := r.answers[number]
	r.mu.Unlock()
	if ok {
		return a, true
	}
	return r.next.Lookup(number)
}

func (r *runAnswers) Save(number string, a store.Answer) {
	r.keep(number, a)
	r.next.Save(number, a)
}

func (r *runAnswers) Backfill(number string, a store.Answer) {
	r.keep(number, a)
	r.next.Backfill(number, a)
}

func (r *runAnswers) keep(number string, a store.Answer) {
	r.mu.Lock()
	r.answers[number] = a
	r.mu.Unlock()
}
