// Package pipeline wires the stages of a job together:
//
//	read → normalise/dedupe → bounded window → worker pool (pacer, retries) → reorder → write
//
// Memory is bounded by the window: a row holds a slot from the moment it is read until
// it is written, so the reader can never run further ahead of the writer than Window
// rows, however large the file. A row's API error never stops the pool; only a fatal
// error (or the caller's cancellation, or a configured limit) does, and then calls in
// flight are allowed to finish and be recorded before Run returns.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"dytnsbatch/checkpoint"
	"dytnsbatch/dytns"
	"dytnsbatch/pipeline/pacer"
	"dytnsbatch/readers"
	"dytnsbatch/store"
)

// RowSource is the narrow view of readers.Source the pipeline needs.
type RowSource interface {
	Next() (readers.Row, error)
}

// RowWriter receives output rows strictly in input order. writers.Sink satisfies it.
// The cells slice is reused for the next row: WriteRow must not keep it.
type RowWriter interface {
	WriteRow(cells []string) error
}

// Recorder makes results durable. *checkpoint.Checkpoint satisfies it.
//
// Journal is called by workers as soon as a row's call has its final answer, in any
// order, and must have handed the record to the operating system when it returns (a
// SIGKILL right after must not lose it). Spool is called by the writer, in row order,
// and may buffer. Flush is called at the end of a run.
type Recorder interface {
	Journal(r checkpoint.Result) error
	Spool(r checkpoint.Result) error
	Flush() error
}

// ResultIterator yields recorded results in row order; io.EOF ends it.
type ResultIterator interface {
	Next() (checkpoint.Result, error)
}

// Resume describes what an earlier run of the same job already finished.
type Resume struct {
	// Spooled rows 0..Spooled-1 are finished and recorded in order.
	Spooled int64
	// Replay reads the input from its first row. With Prefix, the recorded results,
	// it regenerates the output's first Spooled rows while new calls start; after
	// them it gives every output row its cells, so Config.Source need only find the
	// rows to call (it may start at row Spooled and leave Cells empty).
	Replay RowSource
	Prefix ResultIterator
	// Pending are finished rows beyond Spooled (answers received, not yet in order).
	Pending map[int64]checkpoint.Result
	// Known are recorded answers (from the prefix and Pending) to seed dedupe with, so
	// a number answered in an earlier run is not paid for again. Called once, before
	// the first new call.
	Known func(yield func(checkpoint.Result) bool) error
}

// Config is one job.
type Config struct {
	Source    RowSource
	Width     int // input columns; every output row is padded to it before the results
	Out       RowWriter
	Encrypter dytns.Encrypter
	Pacer     *pacer.Pacer
	Recorder  Recorder // nil: no checkpoint
	Resume    *Resume  // nil: a fresh job
	// Prefill, when set, holds an earlier finished run's result for every row, read in
	// step with Source: rows whose result is not Retryable keep it, the others are
	// called again (--retry-failed).
	Prefill ResultIterator
	Salt    []byte // keys the dedupe hashes stored in the checkpoint
	// Store, when set, answers numbers from earlier jobs (Source "cache") and keeps
	// every OK answer of this one. nil: none.
	Store ResultStore
	// Shared, when set (and Dedupe is on), answers numbers that an earlier job of the
	// same run got, and is given this job's OK answers; Name is how its Messages
	// name this job's file. nil: a job on its own.
	Shared *RunAnswers
	Name   string

	// Workers is a fixed worker count; 0 grows the pool to what the observed latency
	// needs to reach the pacer's rate (Little's law), up to MaxWorkers.
	Workers    int
	MaxWorkers int
	Window     int // rows between reader and writer; 0 = default
	Retries    int // attempts after the first for a retryable failure
	Dedupe     bool
	// OutIDFromColumn: use Row.OutID when it is not empty. Otherwise OutId is
	// "r" + the row's physical line or Excel row number.
	OutIDFromColumn bool
	// Note is appended to the Message of every row that got a 140 number, in the
	// output only (e.g. that the numbers come from the sandbox and are not real).
	Note string

	MaxErrors     int64   // abort once more rows than this ended not OK; 0 = no limit
	MaxErrorRatio float64 // abort once this share of rows (after 100) ended not OK; 0 = off
	MaxDuration   time.Duration

	Stats *Stats
	Logf  func(format string, args ...any)
	Rand  func() float64 // jitter source; nil = math/rand/v2
}

// ResultStore is the narrow view of *store.Store the pipeline needs. Lookup is called
// by the reader before a row is queued for a call; Save by workers after an OK
// answer; Backfill for OK answers found in the checkpoint of a resumed run (a killed
// run may have received them without writing them to the store).
type ResultStore interface {
	Lookup(number string) (store.Answer, bool)
	Save(number string, a store.Answer)
	Backfill(number string, a store.Answer)
}

// StopReason says why Run returned.
type StopReason int

const (
	Completed     StopReason = iota // every row written
	Interrupted                     // the caller's context was cancelled
	Deadline                        // --max-duration reached
	Fatal                           // the API said the job cannot succeed (see Outcome.Fatal)
	TooManyErrors                   // --max-errors reached
	Failed                          // a local error: input unreadable, output or checkpoint not writable
)

func (r StopReason) String() string {
	switch r {
	case Completed:
		return "completed"
	case Interrupted:
		return "interrupted"
	case Deadline:
		return "max duration reached"
	case Fatal:
		return "fatal API error"
	case TooManyErrors:
		return "too many failed rows"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Outcome is what Run reports besides Stats.
type Outcome struct {
	Stop   StopReason
	Fatal  *dytns.Error // set when Stop == Fatal
	Err    error        // set when Stop == Failed
	Rows   int64        // rows written
	Undone int64        // rows read but not finished (resumable)
}

const defaultWindow = 8192 // rows between reader and writer

// item is one row on its way through the pipeline.
type item struct {
	row  readers.Row
	key  uint64
	num  string // normalised number; empty when the row needs no call
	res  checkpoint.Result
	done bool // res is final; false: abandoned when the run stopped
}

type runner struct {
	cfg   Config
	stats *Stats
	keyer *numberKeyer

	stopCtx  context.Context // cancelled when no new call may start
	callCtx  context.Context // stopCtx without its cancellation, for calls under way
	cells    []string        // the writer's output row, reused
	stop     context.CancelFunc
	jobs     chan *item
	finished chan *item
	window   chan struct{}
	// reachedResume is closed once the reader has found the first row to call (or
	// ended): the writer holds back the replay of finished rows until then.
	reachedResume chan struct{}

	mu     sync.Mutex // guards dedupe
	dedupe *dedupeTable
	// sharedFile is this job's index in cfg.Shared.
	sharedFile uint32

	stopOnce sync.Once
	reason   StopReason
	fatal    *dytns.Error
	err      error

	atResume func()
	// sourceDone: the reader reached the end of the input. Without it a stop that
	// lands between rows would look like a finished job.
	sourceDone atomic.Bool
	workers    atomic.Int64
	latencyNs  atomic.Int64  // moving average of call latency
	gate       *inflightGate // bounds calls in flight when no rate does; nil otherwise
	rndMu      sync.Mutex
	rnd        func() float64
}

// Run processes every row of cfg.Source and returns when the output has every row,
// or when the run stopped early (then the finished rows are recorded for a resume).
//
// The reader, the workers and grow run on goroutines of their own; the writer runs
// on this one, so Run returns only after the last row it could write is written.
func Run(ctx context.Context, cfg Config) Outcome {
	r, release := newRunner(ctx, withDefaults(cfg))
	defer release()
	// Before any worker starts: a number answered in an earlier run must be known
	// before the first row that has it is queued.
	if err := r.seedDedupe(); err != nil {
		return Outcome{Stop: Failed, Err: err}
	}
	r.startStages()
	written := r.writeAll()
	r.flush()
	return r.outcome(ctx, written)
}

// withDefaults fills in what the caller left zero.
func withDefaults(cfg Config) Config {
	if cfg.Window <= 0 {
		cfg.Window = defaultWindow
	}
	cfg.MaxWorkers = workerCap(cfg.Workers, cfg.MaxWorkers)
	if cfg.Stats == nil {
		cfg.Stats = NewStats()
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if !cfg.Dedupe {
		cfg.Shared = nil // sharing answers across jobs is dedupe across jobs
	}
	return cfg
}

// newRunner builds the run's state and arranges who stops it: the caller's ctx
// (Interrupted) and MaxDuration (Deadline) both halt it, so that the reason is
// recorded before new calls stop. release must be called when Run returns.
func newRunner(ctx context.Context, cfg Config) (r *runner, release func()) {
	r = &runner{
		cfg:           cfg,
		stats:         cfg.Stats,
		keyer:         newNumberKeyer(cfg.Salt),
		jobs:          make(chan *item, 1024),
		finished:      make(chan *item, 1024),
		window:        make(chan struct{}, cfg.Window),
		reachedResume: make(chan struct{}),
		dedupe:        newDedupeTable(),
		rnd:           cfg.Rand,
	}
	r.stopCtx, r.stop = context.WithCancel(ctx)
	// Calls under way finish after a stop: an answer that is paid for is recorded.
	r.callCtx = context.WithoutCancel(r.stopCtx)
	var stopTimer, stopAfter func() bool
	if cfg.MaxDuration > 0 {
		t := time.AfterFunc(cfg.MaxDuration, func() { r.halt(Deadline, nil, nil) })
		stopTimer = t.Stop
	}
	if ctx.Err() == nil {
		// Deregistered by release: the caller's ctx outlives the job (a run of many
		// files), and a live registration would keep this runner, its dedupe table
		// and its sink reachable until the run ends.
		stopAfter = context.AfterFunc(ctx, func() { r.halt(Interrupted, nil, nil) })
	}
	release = func() {
		for _, f := range []func() bool{stopTimer, stopAfter} {
			if f != nil {
				f()
			}
		}
		r.stop()
	}
	if cfg.Shared != nil {
		r.sharedFile = cfg.Shared.file(cfg.Name)
	}
	return r, release
}

// startStages starts the workers (and grow), then the reader, and closes finished
// once all of them are done, so that the writer knows no more results can come.
// The order of that close matters: the reader sends on finished until it returns,
// workers until jobs is closed and drained, and grow may add a worker (errgroup's
// Go) until it returns, which must not race pool.Wait.
func (r *runner) startStages() {
	var pool errgroup.Group // a row's error never cancels the pool: no WithContext
	readDone := make(chan struct{})
	growDone := r.startWorkers(&pool, readDone)
	go r.runReader(readDone)
	go func() {
		<-readDone
		<-growDone
		_ = pool.Wait()
		close(r.finished)
	}()
}

// runReader runs read and then closes jobs, which ends the workers once they have
// taken every queued row. reachedResume is closed however read ends, or the writer
// would wait for it forever; done is closed last.
func (r *runner) runReader(done chan<- struct{}) {
	defer close(done)
	var once sync.Once
	defer once.Do(func() { close(r.reachedResume) })
	r.atResume = func() { once.Do(func() { close(r.reachedResume) }) }
	if err := r.read(); err != nil {
		r.halt(Failed, nil, err)
	}
	close(r.jobs)
}

// writeAll writes rows in order until finished is closed, and returns how many.
// On a write error it halts the run and drains finished, so that the reader and
// workers can finish; their results are already journaled.
func (r *runner) writeAll() int64 {
	written, err := r.write()
	if err != nil {
		r.halt(Failed, nil, err)
		for range r.finished {
		}
	}
	return written
}

// flush makes the spooled results durable; after writeAll, when nothing more can
// be spooled.
func (r *runner) flush() {
	if r.cfg.Recorder == nil {
		return
	}
	if err := r.cfg.Recorder.Flush(); err != nil {
		r.halt(Failed, nil, fmt.Errorf("flush checkpoint: %w", err))
	}
}

// outcome says why the run ended and how much of it is left for a resume.
func (r *runner) outcome(ctx context.Context, written int64) Outcome {
	out := Outcome{Rows: written, Stop: Completed}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reason != Completed {
		out.Stop, out.Fatal, out.Err = r.reason, r.fatal, r.err
	} else if ctx.Err() != nil {
		// The caller's cancellation records its reason from a goroutine that may
		// not have run yet; the context itself is the truth.
		out.Stop = Interrupted
	}
	out.Undone = max(0, r.stats.rowsRead.Load()+r.resumedSpooled()-written)
	if out.Stop != Completed && out.Undone == 0 && r.sourceDone.Load() && out.Err == nil && out.Fatal == nil {
		// Stopped after the last row of the input was already written: nothing is missing.
		out.Stop = Completed
	}
	return out
}

func (r *runner) resumedSpooled() int64 {
	if r.cfg.Resume == nil {
		return 0
	}
	return r.cfg.Resume.Spooled
}

// halt stops new calls. The first reason wins.
func (r *runner) halt(reason StopReason, fatal *dytns.Error, err error) {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		r.reason, r.fatal, r.err = reason, fatal, err
		r.mu.Unlock()
		r.stop()
	})
}

func (r *runner) stopped() bool { return r.stopCtx.Err() != nil }

// seedDedupe loads the answers of earlier runs so they are not paid for again.
func (r *runner) seedDedupe() error {
	if !r.cfg.Dedupe || r.cfg.Resume == nil || r.cfg.Resume.Known == nil {
		return nil
	}
	err := r.cfg.Resume.Known(func(res checkpoint.Result) bool {
		r.dedupe.remember(res.Key, 0, res)
		return true
	})
	if err != nil {
		return fmt.Errorf("read checkpoint for dedupe: %w", err)
	}
	return nil
}

// read takes rows from the source, settles the ones that need no call, and queues
// the rest for the workers.
func (r *runner) read() error {
	skip := r.resumedSpooled()
	for {
		row, err := r.cfg.Source.Next()
		if err == io.EOF {
			r.sourceDone.Store(true)
			return nil
		}
		if err != nil {
			return err
		}
		prev, err := r.prefillFor(row)
		if err != nil {
			return err
		}
		if row.Index < skip {
			continue
		}
		r.atResume()
		// A slot is taken before anything else so that memory stays bounded even when
		// every row is settled locally.
		select {
		case r.window <- struct{}{}:
		case <-r.stopCtx.Done():
			return nil
		}
		r.stats.rowsRead.Add(1)
		it := &item{row: row}
		switch r.route(it, prev) {
		case rowSettled:
			r.finished <- it
		case rowWaiting: // finishCall hands it the answer
		case rowToCall:
			select {
			case r.jobs <- it:
			case <-r.stopCtx.Done():
				r.abandon(it)
				return nil
			}
		}
	}
}

// prefillFor returns the earlier finished run's result for row (--retry-failed),
// or nil without Prefill.
func (r *runner) prefillFor(row readers.Row) (*checkpoint.Result, error) {
	if r.cfg.Prefill == nil {
		return nil, nil
	}
	// The source may start past the first row (a resumed pass): skip to it.
	rec, err := r.cfg.Prefill.Next()
	for err == nil && rec.Index < row.Index {
		rec, err = r.cfg.Prefill.Next()
	}
	if err != nil {
		return nil, fmt.Errorf("read the earlier results for row %d: %w", row.Line, err)
	}
	if rec.Index != row.Index {
		return nil, fmt.Errorf("earlier result %d does not match input row %d: was the input changed?", rec.Index, row.Index)
	}
	return &rec, nil
}

// rowRoute is where route sends a row.
type rowRoute int

const (
	rowSettled rowRoute = iota // its result is final: to the writer
	rowWaiting                 // a call for its number is in flight; it gets that answer
	rowToCall                  // to the workers
)

// route decides a row's way, cheapest answer first: recorded in the checkpoint
// (or kept from the earlier run by --retry-failed), settled locally (Input.*
// codes), an earlier row of this job (dedupe, or waiting for its call), an
// earlier file of the run, the result store; else a call.
func (r *runner) route(it *item, prev *checkpoint.Result) rowRoute {
	if r.cfg.Resume != nil {
		if res, ok := r.cfg.Resume.Pending[it.row.Index]; ok {
			it.res, it.done = res, true
			r.stats.resumed.Add(1)
			r.backfill(it.row, res)
			r.shareRecorded(it.row, res)
			return rowSettled
		}
	}
	if prev != nil && !prev.Retryable {
		it.res, it.done = *prev, true
		r.stats.resumed.Add(1)
		r.shareRecorded(it.row, it.res)
		return rowSettled
	}
	if r.settleLocally(it) {
		return rowSettled
	}
	if r.cfg.Dedupe {
		it.key = r.keyer.key(it.num)
		it.res.Key = it.key
		r.mu.Lock()
		if ans, firstLine, ok := r.dedupe.lookup(it.key); ok {
			r.mu.Unlock()
			r.copyAnswer(it, ans, firstLine)
			return rowSettled
		}
		if waiters, ok := r.dedupe.inflight[it.key]; ok {
			r.dedupe.inflight[it.key] = append(waiters, it)
			r.mu.Unlock()
			return rowWaiting
		}
		r.mu.Unlock()
	}
	if r.fromRun(it) || r.fromStore(it) {
		return rowSettled
	}
	if r.cfg.Dedupe {
		// Only the reader adds to inflight, so nothing came in since the check.
		r.mu.Lock()
		r.dedupe.inflight[it.key] = nil
		r.mu.Unlock()
	}
	return rowToCall
}

// settleLocally gives a row that cannot or need not be sent its final result.
func (r *runner) settleLocally(it *item) bool {
	it.res = checkpoint.Result{Index: it.row.Index, OutID: OutID(it.row, r.cfg.OutIDFromColumn)}
	num, code, reason := Triage(it.row, it.res.OutID)
	if code == "" {
		it.num = num
		return false
	}
	it.res.Code, it.res.Message, it.res.Source = code, reason, SourceLocal
	if code == CodeInvalidOutID {
		it.res.OutID = ""
	}
	it.done = true
	return true
}

// OutID is the OutId a row is sent with: its --outid-column cell when fromColumn and
// not empty, else "r" and the row's line (CSV) or Excel row number.
func OutID(row readers.Row, fromColumn bool) string {
	if fromColumn && row.OutID != "" {
		return row.OutID
	}
	return "r" + strconv.Itoa(row.Line)
}

// Triage decides whether a row can be sent: the normalised number, or the local
// Code and the reason for the Message when it cannot (no call is made for it).
// --dry-run reports with the same decisions the run makes.
func Triage(row readers.Row, outID string) (number, code, reason string) {
	if row.Err != nil {
		return "", CodeUnreadable, row.Err.Error()
	}
	number, code, reason = readers.NormalizePhone(row.Phone)
	if code != "" {
		return "", code, reason
	}
	if len(outID) > maxOutIDLen {
		return "", CodeInvalidOutID, fmt.Sprintf("OutId has %d characters; the API accepts at most %d", len(outID), maxOutIDLen)
	}
	return number, "", ""
}

func (r *runner) copyAnswer(it *item, ans checkpoint.Result, firstLine int64) {
	r.stats.duplicates.Add(1)
	it.res.EncryptedNumber = ans.EncryptedNumber
	it.res.ExpireTime = ans.ExpireTime
	it.res.Code = ans.Code
	it.res.Message = ans.Message
	if ans.Code == CodeOK {
		if firstLine > 0 {
			it.res.Message = fmt.Sprintf("OK (same number as row %d; not called again)", firstLine)
		} else {
			it.res.Message = "OK (same number answered earlier; not called again)"
		}
	}
	it.res.Retryable = ans.Retryable
	it.res.Attempts = 0
	it.res.Source = SourceDedupe
	it.done = true
}

// fromStore answers a row from the result store when it holds a still-valid answer
// for its number. The row keeps its own OutId.
func (r *runner) fromStore(it *item) bool {
	if r.cfg.Store == nil {
		return false
	}
	a, ok := r.cfg.Store.Lookup(it.num)
	if !ok {
		return false
	}
	r.stats.fromStore.Add(1)
	it.res.EncryptedNumber, it.res.ExpireTime, it.res.RequestID = a.EncryptedNumber, a.ExpireTime, a.RequestID
	it.res.Code, it.res.Attempts, it.res.Retryable, it.res.Source = CodeOK, 0, false, SourceCache
	it.res.Message = "OK (from the result store, received " + a.Fetched.In(beijing).Format(expireLayout) + " Beijing time; not called again)"
	it.done = true
	if r.cfg.Dedupe {
		r.mu.Lock()
		r.dedupe.remember(it.key, int64(it.row.Line), it.res)
		r.mu.Unlock()
	}
	return true
}

// backfill hands the store an OK answer of a call recorded in the checkpoint.
func (r *runner) backfill(row readers.Row, res checkpoint.Result) {
	if r.cfg.Store == nil || res.Code != CodeOK || SourceOf(res) != SourceCall {
		return
	}
	if num, code, _ := readers.NormalizePhone(row.Phone); code == "" {
		r.cfg.Store.Backfill(num, store.Answer{EncryptedNumber: res.EncryptedNumber, ExpireTime: res.ExpireTime, RequestID: res.RequestID})
	}
}

// abandon hands a row that will not be finished in this run to the writer, which
// stops writing at the first such row; rows after it that did finish are journaled.
func (r *runner) abandon(it *item) {
	it.done = false
	r.finished <- it
	if r.cfg.Dedupe && it.key != 0 {
		r.mu.Lock()
		waiters := r.dedupe.inflight[it.key]
		delete(r.dedupe.inflight, it.key)
		r.mu.Unlock()
		for _, w := range waiters {
			w.done = false
			r.finished <- w
		}
	}
}

func (r *runner) jitter() float64 {
	r.rndMu.Lock()
	defer r.rndMu.Unlock()
	return r.rnd()
}

// call makes the row's attempts and hands the row on, finished or abandoned.
func (r *runner) call(it *item) {
	req := dytns.Request{Number: it.num, OutID: it.res.OutID}
	var retryAfter time.Duration // the last failed attempt's hint
	for attempt := 1; attempt <= r.cfg.Retries+1; attempt++ {
		if attempt > 1 {
			if err := r.cfg.Pacer.Sleep(r.stopCtx, pacer.Backoff(attempt-1, retryAfter, r.jitter)); err != nil {
				r.finishCall(it, false)
				return
			}
			r.stats.retries.Add(1)
		}
		if err := r.gate.acquire(r.stopCtx); err != nil {
			r.finishCall(it, false)
			return
		}
		if err := r.cfg.Pacer.Wait(r.stopCtx); err != nil {
			r.gate.giveBack()
			r.finishCall(it, false)
			return
		}
		r.stats.calls.Add(1)
		r.stats.inFlight.Add(1)
		began := time.Now()
		// The call itself is not cancelled by a stop: an answer that is paid for is
		// recorded. The client bounds it with its own timeout.
		resp, err := r.cfg.Encrypter.Encrypt(r.callCtx, req)
		took := time.Since(began)
		r.gate.release(took)
		r.observeLatency(took)
		r.stats.inFlight.Add(-1)
		it.res.Attempts = attempt
		if err == nil {
			r.stats.billed.Add(1)
			r.cfg.Pacer.Succeeded()
			it.res.EncryptedNumber = resp.EncryptedNumber
			it.res.ExpireTime = resp.ExpireTime
			if resp.OutID != "" {
				it.res.OutID = resp.OutID
			}
			it.res.Code = CodeOK
			it.res.Message = resp.Message
			if it.res.Message == "" {
				it.res.Message = CodeOK
			}
			it.res.RequestID = resp.RequestID
			it.res.Retryable = false
			r.finishCall(it, true)
			return
		}
		var de *dytns.Error
		if !errors.As(err, &de) {
			de = &dytns.Error{Code: "Client.Error", Message: err.Error(), Class: dytns.Classify(err), Err: err}
		}
		retryAfter = de.RetryAfter
		if dytns.IsThrottle(err) {
			r.stats.throttled.Add(1)
			r.cfg.Pacer.Throttled(de.RetryAfter)
		} else {
			r.cfg.Pacer.Succeeded()
		}
		it.res.Code, it.res.Message, it.res.RequestID = de.Code, de.Message, de.RequestID
		switch de.Class { // what Classify(err) says
		case dytns.Fatal:
			r.halt(Fatal, de, nil)
			r.finishCall(it, false)
			return
		case dytns.Permanent:
			it.res.Retryable = false
			r.finishCall(it, true)
			return
		}
		it.res.Retryable = true
		if r.stopped() {
			r.finishCall(it, false)
			return
		}
	}
	r.finishCall(it, true)
}

// finishCall records a called row and the rows that waited for the same number.
func (r *runner) finishCall(it *item, done bool) {
	if !done {
		r.abandon(it)
		return
	}
	it.done = true
	it.res.Source = SourceCall
	r.shareAnswer(it.num, it.row.Line, it.res)
	if r.cfg.Store != nil && it.res.Code == CodeOK {
		r.cfg.Store.Save(it.num, store.Answer{EncryptedNumber: it.res.EncryptedNumber, ExpireTime: it.res.ExpireTime, RequestID: it.res.RequestID, Fetched: time.Now()})
	}
	if r.cfg.Recorder != nil {
		if err := r.cfg.Recorder.Journal(it.res); err != nil {
			r.halt(Failed, nil, fmt.Errorf("record row %d in the checkpoint: %w", it.row.Line, err))
		}
	}
	var waiters []*item
	if r.cfg.Dedupe && it.key != 0 {
		r.mu.Lock()
		waiters = r.dedupe.inflight[it.key]
		delete(r.dedupe.inflight, it.key)
		r.dedupe.remember(it.key, int64(it.row.Line), it.res)
		r.mu.Unlock()
	}
	r.finished <- it
	for _, w := range waiters {
		// A failure is shared too: the same one would come back, so do not
		// hammer the API with it.
		r.copyAnswer(w, it.res, int64(it.row.Line))
		r.finished <- w
	}
}
