package pipeline

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a run does. Counting is kept apart from rendering (restic style):
// the pipeline only increments; a progress renderer or the summary reads Snapshot.
// All methods are safe for concurrent use.
type Stats struct {
	started time.Time

	rowsRead   atomic.Int64 // rows taken from the input
	rowsOK     atomic.Int64
	rowsFailed atomic.Int64 // rows written with a Code other than OK
	resumed    atomic.Int64 // rows whose result came from the checkpoint
	duplicates atomic.Int64 // rows answered from another row's call (dedupe)
	fromStore  atomic.Int64 // rows answered from the result store (each one a call saved)
	calls      atomic.Int64 // API attempts started
	billed     atomic.Int64 // attempts answered OK
	throttled  atomic.Int64 // attempts answered with a throttling code
	retries    atomic.Int64 // attempts beyond the first for a row
	inFlight   atomic.Int64
	totalRows  atomic.Int64 // estimate of the rows in the input; 0 = unknown

	mu    sync.Mutex
	codes map[string]int64 // rows written per Code
}

// NewStats starts the clock.
func NewStats() *Stats {
	return &Stats{started: time.Now(), codes: make(map[string]int64)}
}

// SetTotal records an estimate of the number of data rows, for the ETA.
func (s *Stats) SetTotal(n int64) { s.totalRows.Store(n) }

func (s *Stats) countCode(code string) {
	s.mu.Lock()
	s.codes[code]++
	s.mu.Unlock()
	if code == CodeOK {
		s.rowsOK.Add(1)
	} else {
		s.rowsFailed.Add(1)
	}
}

// rowsDone is the rows written to the output, in order.
func (s *Stats) rowsDone() int64 { return s.rowsOK.Load() + s.rowsFailed.Load() }

// Snapshot is a consistent-enough copy of the counters for display.
type Snapshot struct {
	Elapsed    time.Duration
	RowsRead   int64
	RowsDone   int64
	RowsOK     int64
	RowsFailed int64
	Resumed    int64
	Duplicates int64
	FromStore  int64
	Calls      int64
	Billed     int64
	Throttled  int64
	Retries    int64
	InFlight   int64
	TotalRows  int64
	Codes      []CodeCount
}

// CodeCount is the number of rows that ended with one Code.
type CodeCount struct {
	Code string
	Rows int64
}

// Snapshot copies the counters. Codes are sorted: OK first, then by count.
func (s *Stats) Snapshot() Snapshot {
	snap := Snapshot{
		Elapsed:    time.Since(s.started),
		RowsRead:   s.rowsRead.Load(),
		RowsDone:   s.rowsDone(),
		RowsOK:     s.rowsOK.Load(),
		RowsFailed: s.rowsFailed.Load(),
		Resumed:    s.resumed.Load(),
		Duplicates: s.duplicates.Load(),
		FromStore:  s.fromStore.Load(),
		Calls:      s.calls.Load(),
		Billed:     s.billed.Load(),
		Throttled:  s.throttled.Load(),
		Retries:    s.retries.Load(),
		InFlight:   s.inFlight.Load(),
		TotalRows:  s.totalRows.Load(),
	}
	s.mu.Lock()
	for c, n := range s.codes {
		snap.Codes = append(snap.Codes, CodeCount{Code: c, Rows: n})
	}
	s.mu.Unlock()
	SortCodes(snap.Codes)
	return snap
}

// CodeCounts lists counts per Code in the order summaries show them: OK first,
// then by count, then by name.
func CodeCounts(counts map[string]int64) []CodeCount {
	cc := make([]CodeCount, 0, len(counts))
	for c, n := range counts {
		cc = append(cc, CodeCount{Code: c, Rows: n})
	}
	SortCodes(cc)
	return cc
}

// SortCodes puts counts per Code in the order summaries show them.
func SortCodes(cc []CodeCount) {
	sort.Slice(cc, func(i, j int) bool {
		a, b := cc[i], cc[j]
		if (a.Code == CodeOK) != (b.Code == CodeOK) {
			return a.Code == CodeOK
		}
		if a.Rows != b.Rows {
			return a.Rows > b.Rows
		}
		return a.Code < b.Code
	})
}

// CallRate is the achieved rate of API attempts per second of the run.
func (s Snapshot) CallRate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Calls) / s.Elapsed.Seconds()
}

// RowRate is the rate of rows written per second of the run, resumed rows excluded.
func (s Snapshot) RowRate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.RowsDone-s.Resumed) / s.Elapsed.Seconds()
}
