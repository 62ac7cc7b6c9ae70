package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dytnsbatch/checkpoint"
	"dytnsbatch/dytns"
	"dytnsbatch/pipeline/pacer"
	"dytnsbatch/readers"
)

// sliceSource hands out rows made from phone strings; column 0 is a name, column 1 the phone.
type sliceSource struct {
	rows []readers.Row
	next int
}

func newSliceSource(phones []string) *sliceSource {
	s := &sliceSource{}
	for i, p := range phones {
		s.rows = append(s.rows, readers.Row{
			Index: int64(i), Line: i + 2, Cells: []string{"name" + strconv.Itoa(i), p}, Phone: p,
		})
	}
	return s
}

func (s *sliceSource) Next() (readers.Row, error) {
	if s.next >= len(s.rows) {
		return readers.Row{}, io.EOF
	}
	s.next++
	return s.rows[s.next-1], nil
}

// fakeAPI answers like the service: a deterministic 140 number per input number.
// Numbers listed in failures answer with those errors, in order, before succeeding.
type fakeAPI struct {
	mu       sync.Mutex
	calls    map[string]int
	failures map[string][]error
	delay    time.Duration
	total    atomic.Int64
	onCall   func(n int64) // called with the running call count
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{calls: map[string]int{}, failures: map[string][]error{}}
}

func (f *fakeAPI) Encrypt(ctx context.Context, req dytns.Request) (dytns.Response, error) {
	n := f.total.Add(1)
	if f.onCall != nil {
		f.onCall(n)
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	f.calls[req.Number]++
	var err error
	if q := f.failures[req.Number]; len(q) > 0 {
		err, f.failures[req.Number] = q[0], q[1:]
	}
	f.mu.Unlock()
	if err != nil {
		return dytns.Response{}, err
	}
	return dytns.Response{
		EncryptedNumber: "140" + req.Number[3:],
		ExpireTime:      "2026-11-30 12:00:00",
		OutID:           req.OutID,
		Code:            "OK",
		Message:         "OK",
		RequestID:       "req-" + req.Number,
	}, nil
}

func (f *fakeAPI) callsFor(n string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[n]
}

// memSink collects output rows and checks they arrive with a consistent width.
type memSink struct {
	mu   sync.Mutex
	rows [][]string
}

func (m *memSink) WriteRow(cells []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, slices.Clone(cells))
	return nil
}

// memRecorder is an in-memory checkpoint.
type memRecorder struct {
	mu      sync.Mutex
	journal map[int64]checkpoint.Result
	spool   []checkpoint.Result
}

func newMemRecorder() *memRecorder { return &memRecorder{journal: map[int64]checkpoint.Result{}} }

func (m *memRecorder) Journal(r checkpoint.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.journal[r.Index] = r
	return nil
}

func (m *memRecorder) Spool(r checkpoint.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int64(len(m.spool)) != r.Index {
		return fmt.Errorf("spool out of order: got %d, want %d", r.Index, len(m.spool))
	}
	m.spool = append(m.spool, r)
	return nil
}

func (m *memRecorder) Flush() error { return nil }

// resume builds what a rerun would get from this checkpoint.
func (m *memRecorder) resume(phones []string) *Resume {
	m.mu.Lock()
	defer m.mu.Unlock()
	spooled := int64(len(m.spool))
	pending := map[int64]checkpoint.Result{}
	for i, r := range m.journal {
		if i >= spooled {
			pending[i] = r
		}
	}
	prefix := slices.Clone(m.spool)
	known := append(slices.Clone(m.spool), mapValues(pending)...)
	return &Resume{
		Spooled: spooled,
		Replay:  newSliceSource(phones),
		Prefix:  &sliceIter{rs: prefix},
		Pending: pending,
		Known: func(yield func(checkpoint.Result) bool) error {
			for _, r := range known {
				if !yield(r) {
					break
				}
			}
			return nil
		},
	}
}

func mapValues(m map[int64]checkpoint.Result) []checkpoint.Result {
	var out []checkpoint.Result
	for _, r := range m {
		out = append(out, r)
	}
	return out
}

type sliceIter struct {
	rs []checkpoint.Result
	i  int
}

func (s *sliceIter) Next() (checkpoint.Result, error) {
	if s.i >= len(s.rs) {
		return checkpoint.Result{}, io.EOF
	}
	s.i++
	return s.rs[s.i-1], nil
}

func phonesN(n int, distinct int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("139%08d", i%distinct)
	}
	return out
}

func baseConfig(src RowSource, out RowWriter, api dytns.Encrypter) Config {
	return Config{
		Source:    src,
		Width:     2,
		Out:       out,
		Encrypter: api,
		Pacer:     pacer.New(pacer.Config{QPS: 0, Clock: instantClock{}}),
		Salt:      []byte("test-salt"),
		Workers:   8,
		Window:    64,
		Retries:   3,
		Dedupe:    true,
		Rand:      func() float64 { return 0 },
		Stats:     NewStats(),
	}
}

// instantClock makes retry back-off free in tests.
type instantClock struct{}

func (instantClock) Now() time.Time { return time.Now() }
func (instantClock) Sleep(ctx context.Context, d time.Duration) error {
	return ctx.Err()
}

const (
	colEncrypted = 2 + iota
	colExpire
	colOutID
	colCode
	colMessage
	colRequestID
	colAttempts
)

func TestRunWritesEveryRowInOrderAndDedupes(t *testing.T) {
	phones := phonesN(500, 200) // every number three times or so
	phones[10] = ""
	phones[11] = "12345"
	phones[12] = "+86 139-0000-0001" // same number as row 1 once normalised
	api := newFakeAPI()
	api.delay = 200 * time.Microsecond
	out := &memSink{}
	rec := newMemRecorder()
	cfg := baseConfig(newSliceSource(phones), out, api)
	cfg.Recorder = rec
	res := Run(context.Background(), cfg)
	if res.Stop != Completed || res.Rows != 500 || res.Undone != 0 {
		t.Fatalf("outcome = %+v", res)
	}
	if len(out.rows) != 500 {
		t.Fatalf("wrote %d rows, want 500", len(out.rows))
	}
	for i, row := range out.rows {
		if row[0] != "name"+strconv.Itoa(i) {
			t.Fatalf("row %d out of order: %q", i, row[0])
		}
		if len(row) != 2+len(ResultColumns) {
			t.Fatalf("row %d has %d cells", i, len(row))
		}
		if want := "r" + strconv.Itoa(i+2); row[colOutID] != want {
			t.Errorf("row %d OutId = %q, want %q", i, row[colOutID], want)
		}
	}
	if got := out.rows[10][colCode]; got != CodeEmpty {
		t.Errorf("blank phone: Code %q", got)
	}
	if got := out.rows[11][colCode]; got != CodeInvalidNumber {
		t.Errorf("short phone: Code %q", got)
	}
	if got := out.rows[12]; got[colCode] != CodeOK || got[colEncrypted] != "14000000001" || got[colAttempts] != "0" {
		t.Errorf("normalised duplicate row = %q", got)
	}
	if !strings.Contains(out.rows[12][colMessage], "not called again") {
		t.Errorf("duplicate row message = %q", out.rows[12][colMessage])
	}
	// One call per distinct number.
	if n := api.total.Load(); n != 200 {
		t.Errorf("API calls = %d, want 200 (one per distinct number)", n)
	}
	for i := range 200 {
		if c := api.callsFor(fmt.Sprintf("139%08d", i)); c != 1 {
			t.Fatalf("number %d called %d times", i, c)
		}
	}
	snap := cfg.Stats.Snapshot()
	if snap.RowsDone != 500 || snap.Duplicates != 500-2-200 || snap.Calls != 200 || snap.Billed != 200 {
		t.Errorf("stats = %+v", snap)
	}
	if len(rec.spool) != 500 {
		t.Errorf("spooled %d rows, want 500", len(rec.spool))
	}
	if len(rec.journal) != 200 {
		t.Errorf("journaled %d answers, want 200 (one per call)", len(rec.journal))
	}
}

func TestRunNoDedupeCallsEveryRow(t *testing.T) {
	phones := phonesN(100, 10)
	api := newFakeAPI()
	cfg := baseConfig(newSliceSource(phones), &memSink{}, api)
	cfg.Dedupe = false
	if res := Run(context.Background(), cfg); res.Stop != Completed {
		t.Fatalf("outcome %+v", res)
	}
	if n := api.total.Load(); n != 100 {
		t.Errorf("calls = %d, want 100", n)
	}
}

func TestRunRetriesAndClassifies(t *testing.T) {
	phones := phonesN(20, 20)
	api := newFakeAPI()
	throttle := &dytns.Error{Code: "System.LimitControl", HTTPStatus: 400, Class: dytns.Retryable}
	internal := &dytns.Error{Code: "InternalError", HTTPStatus: 500, Class: dytns.Retryable}
	invalid := &dytns.Error{Code: "InvalidParameter", Message: "bad", HTTPStatus: 400, Class: dytns.Permanent}
	api.failures[phones[3]] = []error{throttle, internal}                               // succeeds at attempt 3
	api.failures[phones[4]] = []error{invalid}                                          // fails for good at once
	api.failures[phones[5]] = []error{internal, internal, internal, internal, internal} // exhausts 1+3 attempts
	out := &memSink{}
	cfg := baseConfig(newSliceSource(phones), out, api)
	res := Run(context.Background(), cfg)
	if res.Stop != Completed {
		t.Fatalf("outcome %+v", res)
	}
	tests := []struct {
		row      int
		code     string
		attempts string
	}{
		{3, CodeOK, "3"},
		{4, "InvalidParameter", "1"},
		{5, "InternalError", "4"},
		{6, CodeOK, "1"},
	}
	for _, tc := range tests {
		got := out.rows[tc.row]
		if got[colCode] != tc.code || got[colAttempts] != tc.attempts {
			t.Errorf("row %d: Code %q Attempts %q, want %q %q", tc.row, got[colCode], got[colAttempts], tc.code, tc.attempts)
		}
	}
	snap := cfg.Stats.Snapshot()
	if snap.Throttled != 1 {
		t.Errorf("throttled = %d, want 1", snap.Throttled)
	}
	if snap.Retries != 2+3 {
		t.Errorf("retries = %d, want 5", snap.Retries)
	}
}

func TestRunStopsOnFatalAndResumesWithoutPayingTwice(t *testing.T) {
	phones := phonesN(3000, 3000)
	api := newFakeAPI()
	api.delay = 100 * time.Microsecond
	fatal := &dytns.Error{Code: "AuthCodeIllegal", HTTPStatus: 400, Class: dytns.Fatal}
	api.failures[phones[1500]] = []error{fatal}
	out := &memSink{}
	rec := newMemRecorder()
	cfg := baseConfig(newSliceSource(phones), out, api)
	cfg.Recorder = rec
	res := Run(context.Background(), cfg)
	if res.Stop != Fatal || res.Fatal == nil || res.Fatal.Code != "AuthCodeIllegal" {
		t.Fatalf("outcome %+v", res)
	}
	if res.Rows >= 3000 || res.Rows > 1500 {
		t.Fatalf("wrote %d rows past the fatal row", res.Rows)
	}
	firstCalls := api.total.Load()
	if firstCalls > 1500+int64(cfg.Window)+int64(cfg.Workers) {
		t.Errorf("%d calls after a fatal error at row 1500: it did not stop promptly", firstCalls)
	}

	// Second run: the rows recorded are not called again.
	out2 := &memSink{}
	cfg2 := baseConfig(newSliceSource(phones), out2, api)
	cfg2.Recorder = rec
	cfg2.Resume = rec.resume(phones)
	res2 := Run(context.Background(), cfg2)
	if res2.Stop != Completed || res2.Rows != 3000 {
		t.Fatalf("resumed outcome %+v", res2)
	}
	for i, row := range out2.rows {
		if row[0] != "name"+strconv.Itoa(i) || row[colCode] != CodeOK {
			t.Fatalf("resumed output row %d = %q", i, row)
		}
		if row[colEncrypted] != "140"+phones[i][3:] {
			t.Fatalf("resumed output row %d encrypted %q", i, row[colEncrypted])
		}
	}
	// Every number paid for exactly once; the fatal answer was not an encryption.
	for i, p := range phones {
		want := 1
		if i == 1500 {
			want = 2
		}
		if c := api.callsFor(p); c != want {
			t.Fatalf("row %d called %d times, want %d", i, c, want)
		}
	}
	// Resumed rows: the first run's written prefix plus the answers it had parked.
	if got := cfg2.Stats.Snapshot().Resumed; got < res.Rows || got > firstCalls {
		t.Errorf("resumed %d rows; first run wrote %d and made %d calls", got, res.Rows, firstCalls)
	}
}

func TestRunInterruptAndResumeMatchesUninterrupted(t *testing.T) {
	phones := phonesN(4000, 2500)
	ref := &memSink{}
	Run(context.Background(), baseConfig(newSliceSource(phones), ref, newFakeAPI()))

	api := newFakeAPI()
	rec := newMemRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	api.onCall = func(n int64) {
		if n == 1200 {
			cancel()
		}
	}
	cfg := baseConfig(newSliceSource(phones), &memSink{}, api)
	cfg.Recorder = rec
	res := Run(ctx, cfg)
	// Undone may be 0: every in-flight row can finish before the reader sees the
	// cancellation. What makes the resume meaningful is that rows were left.
	if res.Stop != Interrupted || res.Rows >= int64(len(phones)) {
		t.Fatalf("outcome %+v", res)
	}
	api.onCall = nil
	out := &memSink{}
	cfg2 := baseConfig(newSliceSource(phones), out, api)
	cfg2.Recorder = rec
	cfg2.Resume = rec.resume(phones)
	if res := Run(context.Background(), cfg2); res.Stop != Completed {
		t.Fatalf("resumed outcome %+v", res)
	}
	if len(out.rows) != len(ref.rows) {
		t.Fatalf("resumed output has %d rows, want %d", len(out.rows), len(ref.rows))
	}
	for i := range ref.rows {
		a, b := ref.rows[i], out.rows[i]
		// RequestId and Message of duplicates legitimately differ between runs.
		if a[0] != b[0] || a[colEncrypted] != b[colEncrypted] || a[colCode] != b[colCode] || a[colOutID] != b[colOutID] {
			t.Fatalf("row %d: resumed %q, uninterrupted %q", i, b, a)
		}
	}
	if n := api.total.Load(); n != 2500 {
		t.Errorf("calls over both runs = %d, want 2500 (one per distinct number)", n)
	}
}

func TestRunMaxErrors(t *testing.T) {
	phones := phonesN(1000, 1000)
	for i := 0; i < 1000; i += 2 {
		phones[i] = "bad"
	}
	cfg := baseConfig(newSliceSource(phones), &memSink{}, newFakeAPI())
	cfg.MaxErrors = 10
	res := Run(context.Background(), cfg)
	if res.Stop != TooManyErrors {
		t.Fatalf("outcome %+v", res)
	}
	if res.Rows >= 1000 {
		t.Errorf("wrote all rows despite --max-errors")
	}
}

func TestRunRaggedRowsKeepEveryCell(t *testing.T) {
	src := &sliceSource{rows: []readers.Row{
		{Index: 0, Line: 2, Cells: []string{"a"}, Phone: ""},
		{Index: 1, Line: 3, Cells: []string{"b", "13900000000", "extra1", "extra2"}, Phone: "13900000000"},
	}}
	out := &memSink{}
	Run(context.Background(), baseConfig(src, out, newFakeAPI()))
	if len(out.rows) != 2 {
		t.Fatalf("rows: %q", out.rows)
	}
	if got := out.rows[0]; len(got) != 2+len(ResultColumns) || got[1] != "" {
		t.Errorf("short row not padded: %q", got)
	}
	got := out.rows[1]
	if got[colCode] != CodeOK || got[len(got)-2] != "extra1" || got[len(got)-1] != "extra2" {
		t.Errorf("long row = %q", got)
	}
}

func TestRunPrefillRetriesOnlyRetryableRows(t *testing.T) {
	phones := phonesN(50, 50)
	var earlier []checkpoint.Result
	for i, p := range phones {
		r := checkpoint.Result{Index: int64(i), Code: CodeOK, EncryptedNumber: "140" + p[3:], ExpireTime: "2026-11-30 12:00:00", Attempts: 1}
		switch i % 10 {
		case 3:
			r = checkpoint.Result{Index: int64(i), Code: "InternalError", Retryable: true, Attempts: 9}
		case 7:
			r = checkpoint.Result{Index: int64(i), Code: "InvalidParameter", Attempts: 1}
		}
		earlier = append(earlier, r)
	}
	api := newFakeAPI()
	out := &memSink{}
	cfg := baseConfig(newSliceSource(phones), out, api)
	cfg.Prefill = &sliceIter{rs: earlier}
	if res := Run(context.Background(), cfg); res.Stop != Completed || res.Rows != 50 {
		t.Fatalf("outcome %+v", res)
	}
	if n := api.total.Load(); n != 5 {
		t.Errorf("calls = %d, want 5 (only the retryable rows)", n)
	}
	for i, row := range out.rows {
		want := CodeOK
		if i%10 == 7 {
			want = "InvalidParameter"
		}
		if row[colCode] != want {
			t.Errorf("row %d Code %q, want %q", i, row[colCode], want)
		}
		if i%10 == 3 && row[colAttempts] != "1" {
			t.Errorf("retried row %d Attempts %q", i, row[colAttempts])
		}
	}
}

// gatedSource hands out rows until it reaches gateAt, then cancels the run and
// blocks until the run has stopped: the stop lands exactly between rows, when
// every row read so far is already written.
type gatedSource struct {
	*sliceSource
	gateAt  int
	cancel  context.CancelFunc
	stopped <-chan struct{}
	out     *memSink
}

func (g *gatedSource) Next() (readers.Row, error) {
	if g.next == g.gateAt {
		for {
			g.out.mu.Lock()
			n := len(g.out.rows)
			g.out.mu.Unlock()
			if n == g.gateAt {
				break
			}
			time.Sleep(time.Millisecond)
		}
		g.cancel()
		<-g.stopped
	}
	return g.sliceSource.Next()
}

func TestRunStopBetweenRowsIsNotCompleted(t *testing.T) {
	phones := phonesN(100, 100)
	ctx, cancel := context.WithCancel(context.Background())
	out := &memSink{}
	src := &gatedSource{sliceSource: newSliceSource(phones), gateAt: 40, cancel: cancel, stopped: ctx.Done(), out: out}
	res := Run(ctx, baseConfig(src, out, newFakeAPI()))
	if res.Stop != Interrupted {
		t.Fatalf("a run stopped at row 40 of 100 reported %+v", res)
	}
	if len(out.rows) != 40 {
		t.Errorf("wrote %d rows", len(out.rows))
	}
}
