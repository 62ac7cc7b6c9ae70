package pipeline

import (
	"fmt"
	"hash/maphash"
	"sync"

	"dytnsbatch/checkpoint"
	"dytnsbatch/readers"
)

// RunAnswers shares OK answers between the jobs of one run — the files of
// `encrypt FILE...|DIR`, run one after another — so that a number answered in one
// file is not paid for again in a later one. A job's own dedupe table is keyed with
// its checkpoint's salt (its keys are written to that checkpoint) and dies with the
// job; this one outlives the jobs and never leaves memory, so a per-process maphash
// seed keys it instead. The result store cannot stand in for it: it writes in the
// background and, when it was empty at the start, is not even read.
//
// Only OK answers are shared: a number whose call failed in one file is called
// again in the next. Safe for concurrent use.
type RunAnswers struct {
	seed  maphash.Seed
	mu    sync.Mutex
	files []string
	done  map[uint64]runAnswer
	odd   map[uint64]oddRunAnswer
}

// runAnswer is a packed answer (see dedupeTable) and the file whose row got it.
type runAnswer struct {
	packedAnswer
	file uint32
}

type oddRunAnswer struct {
	res  checkpoint.Result
	line int64
	file uint32
}

// NewRunAnswers returns an empty table for one run.
func NewRunAnswers() *RunAnswers {
	return &RunAnswers{seed: maphash.MakeSeed(), done: map[uint64]runAnswer{}, odd: map[uint64]oddRunAnswer{}}
}

// size is the number of distinct numbers answered so far.
func (a *RunAnswers) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.done) + len(a.odd)
}

// file registers a job's name (how Messages refer to its rows) and returns its index.
func (a *RunAnswers) file(name string) uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files = append(a.files, name)
	return uint32(len(a.files) - 1)
}

// remember keeps an OK answer that a row (line) of file received.
func (a *RunAnswers) remember(number string, file uint32, line int64, r checkpoint.Result) {
	if r.Code != CodeOK || number == "" {
		return
	}
	k := maphash.String(a.seed, number)
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := pack(line, r); ok {
		a.done[k] = runAnswer{packedAnswer: p, file: file}
		delete(a.odd, k)
		return
	}
	a.odd[k] = oddRunAnswer{res: r, line: line, file: file}
}

// lookup returns the answer an earlier row of the run got for number, and where
// that row was ("row 12 of a.csv").
func (a *RunAnswers) lookup(number string) (checkpoint.Result, string, bool) {
	k := maphash.String(a.seed, number)
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.done[k]; ok {
		return p.unpack(), a.where(p.file, int64(p.firstLine)), true
	}
	if o, ok := a.odd[k]; ok {
		return o.res, a.where(o.file, o.line), true
	}
	return checkpoint.Result{}, "", false
}

func (a *RunAnswers) where(file uint32, line int64) string {
	name := a.files[file]
	if line <= 0 {
		return name
	}
	return fmt.Sprintf("row %d of %s", line, name)
}

// fromRun answers a row from an earlier job of the run and remembers the answer in
// this job's own table, so later rows of this file find it there.
func (r *runner) fromRun(it *item) bool {
	if r.cfg.Shared == nil {
		return false
	}
	ans, where, ok := r.cfg.Shared.lookup(it.num)
	if !ok {
		return false
	}
	r.stats.duplicates.Add(1)
	it.res.EncryptedNumber, it.res.ExpireTime = ans.EncryptedNumber, ans.ExpireTime
	it.res.Code, it.res.Attempts, it.res.Retryable, it.res.Source = CodeOK, 0, false, SourceDedupe
	it.res.Message = "OK (same number as " + where + "; not called again)"
	it.done = true
	r.mu.Lock()
	r.dedupe.remember(it.key, int64(it.row.Line), it.res)
	r.mu.Unlock()
	return true
}

// shareAnswer hands an OK answer of this job to the later jobs of the run.
func (r *runner) shareAnswer(number string, line int, res checkpoint.Result) {
	if r.cfg.Shared != nil {
		r.cfg.Shared.remember(number, r.sharedFile, int64(line), res)
	}
}

// shareRecorded shares an OK answer recorded in a resumed job's checkpoint; the
// row gives the number, which the checkpoint does not hold.
func (r *runner) shareRecorded(row readers.Row, res checkpoint.Result) {
	if r.cfg.Shared == nil || res.Code != CodeOK {
		return
	}
	if num, code, _ := readers.NormalizePhone(row.Phone); code == "" {
		r.cfg.Shared.remember(num, r.sharedFile, int64(row.Line), res)
	}
}
