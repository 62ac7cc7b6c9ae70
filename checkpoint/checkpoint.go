// Package checkpoint keeps a job's progress durable so that a killed run can be
// resumed without losing a row, writing a row twice, or calling the API twice for a
// row that already has its answer.
//
// The checkpoint is one append-only file of self-checking records (see record.go):
// a header, Meta records (the last wins), J records (a row's answer, journaled by
// workers the moment it arrives, in any order, one write(2) each so that a SIGKILL
// cannot lose it) and S records (rows in row order, written by the single output
// writer once the row is in the output). On open the file is scanned once: the S
// records give the prefix of rows already in the output, the J records without an
// S record give answers that must not be asked for again.
//
// Damage policy: the first record that is short or fails its CRC ends the trusted
// data. The file is truncated there, even when valid-looking records follow,
// because a corrupt record mid-file means the file is not what this program wrote
// and the rest cannot be trusted. Losing records only costs repeated API calls;
// a resumed run never sees a row twice because S records are contiguous.
package checkpoint

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Result is the recorded outcome of one data row.
type Result struct {
	Index           int64  // the row's readers.Row.Index
	Key             uint64 // keyed hash of the normalised number, for dedupe across runs; 0 = none
	EncryptedNumber string
	ExpireTime      string
	OutID           string
	Code            string // "OK", an API error code, or a local Input.* code
	Message         string
	RequestID       string
	Attempts        int
	Retryable       bool // the final failure was of a retryable kind (for --retry-failed)
	// Source is how the row got its result: "call", "cache" (the result store),
	// "dedupe" or "local" (a local Input.* code); "" in records written before it.
	Source string
}

// Meta describes the job a checkpoint belongs to.
type Meta struct {
	Version     int
	Fingerprint string // hex: input content + result-affecting options (computed by caller)
	Input       string // input path as given
	InputSize   int64
	Output      string
	Options     map[string]string // result-affecting options, human readable, NO secrets
	Salt        string            // hex, random, generated at creation if empty; caller keys dedupe hashes with it
	Created     time.Time
	Updated     time.Time
	Finished    bool
	Rows        int64 // data rows in the input, known once a run finished
	Calls       int64 // API calls made over all runs (caller-maintained)
	Runs        int   // incremented at each Open
}

func (m Meta) clone() Meta {
	m.Options = maps.Clone(m.Options)
	return m
}

// SyncInterval is how often, at most, written records are fsynced. Records reach
// the OS at once (J) or within SpoolFlushInterval (S), so a crash of the process
// loses nothing; this bounds what a power loss can take. Read at Open.
var SyncInterval = time.Second

// SpoolFlushInterval bounds how long an S record may sit in the user-space buffer
// when the caller does not call Flush. Read at Open.
var SpoolFlushInterval = 200 * time.Millisecond

// spoolBufLimit makes Spool push its buffer early during a fast catch-up.
const spoolBufLimit = 256 << 10

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("checkpoint is closed")

// LockedError means another live process has the checkpoint open.
type LockedError struct {
	Path   string
	Holder string // "pid N started T on HOST" as the holder recorded it; may be empty
}

func (e *LockedError) Error() string {
	if e.Holder == "" {
		return fmt.Sprintf("checkpoint %s is in use by another process", e.Path)
	}
	return fmt.Sprintf("checkpoint %s is in use by another process (%s)", e.Path, e.Holder)
}

// MismatchError means the checkpoint was made for a different input or options.
type MismatchError struct {
	Path   string
	Stored Meta
	Want   Meta
	Diffs  []string // human readable, e.g. `option mask: "NORMAL" → "X"`
}

func (e *MismatchError) Error() string {
	what := "the input's content changed"
	if len(e.Diffs) > 0 {
		what = strings.Join(e.Diffs, "; ")
	}
	return fmt.Sprintf("checkpoint %s belongs to a different job (%s); pass --restart to discard it, or use another --checkpoint",
		e.Path, what)
}

func metaDiffs(old, want Meta) []string {
	var d []string
	if old.Input != want.Input {
		d = append(d, fmt.Sprintf("input %q → %q", old.Input, want.Input))
	}
	if old.InputSize != want.InputSize {
		d = append(d, fmt.Sprintf("input size %d → %d", old.InputSize, want.InputSize))
	}
	if old.Version != want.Version {
		d = append(d, fmt.Sprintf("version %d → %d", old.Version, want.Version))
	}
	keys := make([]string, 0, len(old.Options)+len(want.Options))
	for k := range old.Options {
		keys = append(keys, k)
	}
	for k := range want.Options {
		if _, ok := old.Options[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, inOld := old.Options[k]
		b, inWant := want.Options[k]
		switch {
		case !inOld:
			d = append(d, fmt.Sprintf("option %s: (unset) → %q", k, b))
		case !inWant:
			d = append(d, fmt.Sprintf("option %s: %q → (unset)", k, a))
		case a != b:
			d = append(d, fmt.Sprintf("option %s: %q → %q", k, a, b))
		}
	}
	return d
}

// fileLike is the part of *os.File the writer uses; tests substitute a failing
// one to exercise ENOSPC handling.
type fileLike interface {
	io.Writer
	io.ReaderAt
	Sync() error
	Truncate(size int64) error
	Close() error
}

// Checkpoint is an open, locked checkpoint file.
type Checkpoint struct {
	path    string
	lock    *fileLock
	resumed bool
	torn    int64
	pending map[int64]Result

	mu      sync.Mutex
	f       fileLike
	meta    Meta
	size    int64 // bytes known to be fully written
	next    int64 // next index Spool accepts
	counts  map[string]int64
	sbuf    []byte
	err     error // sticky: after a failed write the file end is uncertain, so stop
	dirty   bool
	lastSyn time.Time
	closed  bool

	syncEvery time.Duration
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens or creates the checkpoint at path and takes an exclusive lock on
// path+".lock". See the package comment for what is recovered. restart discards
// an existing checkpoint (never a file that is not a checkpoint).
func Open(path string, want Meta, restart bool) (*Checkpoint, error) {
	lock, err := acquireLock(path, path+".lock")
	if err != nil {
		return nil, err
	}
	c, err := openLocked(path, want, restart, lock)
	if err != nil {
		lock.release()
		return nil, err
	}
	return c, nil
}

func openLocked(path string, want Meta, restart bool, lock *fileLock) (*Checkpoint, error) {
	writeHolder(lock.file())
	removeStaleTemps(path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return create(path, want, lock)
	case err != nil:
		return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	res, err := scanFile(f, path)
	if err != nil {
		f.Close()
		if restart && (errors.Is(err, ErrCorrupt) || errors.Is(err, ErrVersion)) {
			return create(path, want, lock)
		}
		return nil, err
	}
	if !res.hasMeta || restart {
		// Only a header (a creation cut short before rename is impossible, but a
		// truncated-by-hand file is not) or an explicit restart: start over.
		// scanFile has already rejected files that are not checkpoints.
		f.Close()
		return create(path, want, lock)
	}
	if res.meta.Fingerprint != want.Fingerprint {
		f.Close()
		return nil, &MismatchError{Path: path, Stored: res.meta, Want: want, Diffs: metaDiffs(res.meta, want)}
	}
	torn := res.size - res.end
	if torn > 0 {
		if err := f.Truncate(res.end); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate torn tail of checkpoint %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync checkpoint %s: %w", path, err)
		}
	}
	if _, err := f.Seek(res.end, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("seek checkpoint %s: %w", path, err)
	}
	pending, err := loadPending(f, path, res.pendingAt)
	if err != nil {
		f.Close()
		return nil, err
	}
	c := newCheckpoint(path, lock, f, res.meta)
	c.resumed = res.records > 0
	c.torn = torn
	c.pending = pending
	c.size = res.end
	c.next = res.spooled
	c.counts = res.counts()
	c.meta.Runs++
	c.meta.Updated = time.Now().UTC()
	if err := c.appendMeta(); err != nil {
		f.Close()
		return nil, err
	}
	c.start()
	return c, nil
}

// create writes a new checkpoint to a temporary file and renames it into place,
// so that path never holds a half-made file.
func create(path string, want Meta, lock *fileLock) (*Checkpoint, error) {
	m := want.clone()
	now := time.Now().UTC()
	if m.Salt == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("create checkpoint %s: salt: %w", path, err)
		}
		m.Salt = hex.EncodeToString(b[:])
	}
	m.Created, m.Updated = now, now
	m.Runs = 1
	m.Finished = false
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("create checkpoint %s: %w", path, err)
	}
	data := appendFrame(nil, recHeader, headerPayload())
	data = appendFrame(data, recMeta, mj)

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("create checkpoint %s: %w", path, err)
	}
	tmpName := tmp.Name()
	fail := func(err error) (*Checkpoint, error) {
		tmp.Close()
		os.Remove(tmpName)
		return nil, fmt.Errorf("create checkpoint %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fail(err)
	}
	syncDir(dir)
	// Keep using the same descriptor: it now names path.
	c := newCheckpoint(path, lock, tmp, m)
	c.size = int64(len(data))
	c.counts = make(map[string]int64)
	c.pending = make(map[int64]Result)
	c.start()
	return c, nil
}

// removeStaleTemps deletes temporaries of a create that was killed before its
// rename. Safe because the caller holds the lock, so nobody else is creating.
func removeStaleTemps(path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), base+".new-") && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncDir makes a rename durable. Best effort: some filesystems refuse to fsync a
// directory, and the data file itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func newCheckpoint(path string, lock *fileLock, f fileLike, m Meta) *Checkpoint {
	return &Checkpoint{
		path:      path,
		lock:      lock,
		f:         f,
		meta:      m,
		syncEvery: SyncInterval,
		lastSyn:   time.Now(),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

func (c *Checkpoint) start() {
	tick := SpoolFlushInterval
	if c.syncEvery < tick {
		tick = c.syncEvery
	}
	if tick <= 0 {
		tick = 200 * time.Millisecond
	}
	go c.background(tick)
}

// background pushes the spool buffer to the OS every tick and fsyncs at most once
// per SyncInterval when something was written. The fsync runs outside the mutex
// so that workers keep journaling while the disk catches up.
func (c *Checkpoint) background(tick time.Duration) {
	defer close(c.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.mu.Lock()
		if c.err == nil && !c.closed {
			c.flushLocked()
		}
		doSync := false
		if now := time.Now(); c.dirty && now.Sub(c.lastSyn) >= c.syncEvery {
			c.dirty, c.lastSyn, doSync = false, now, true
		}
		c.mu.Unlock()
		if doSync {
			if err := c.f.Sync(); err != nil {
				c.mu.Lock()
				if c.err == nil {
					c.err = fmt.Errorf("sync checkpoint %s: %w", c.path, err)
				}
				c.mu.Unlock()
			}
		}
	}
}

// Meta returns the stored meta: Created and Salt are those of the first run.
func (c *Checkpoint) Meta() Meta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.meta.clone()
}

// Resumed reports whether the file existed and held row records.
func (c *Checkpoint) Resumed() bool { return c.resumed }

// Spooled returns the number of rows in the spooled prefix, including rows spooled
// by this run; it is also the Index the next Spool must carry.
func (c *Checkpoint) Spooled() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next
}

// Pending returns a copy of the completed rows beyond the spooled prefix, as found
// at Open. Rows journaled by this run are not added.
func (c *Checkpoint) Pending() map[int64]Result { return maps.Clone(c.pending) }

// Counts returns rows per Code over the spooled prefix, including this run's.
func (c *Checkpoint) Counts() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// TornBytes returns how many bytes of a damaged tail Open dropped.
func (c *Checkpoint) TornBytes() int64 { return c.torn }

// usableLocked returns why c takes no more operations: closed, or a write that
// failed earlier (sticky). op names the operation for the message.
func (c *Checkpoint) usableLocked(op string) error {
	if c.closed {
		return fmt.Errorf("%s checkpoint %s: %w", op, c.path, ErrClosed)
	}
	return c.err
}

// write hands b to the OS in one call. On failure (ENOSPC, EIO) the file is cut
// back to the last whole record so that a resumed run does not treat the
// partial record as a torn tail hiding later records, and all later writes fail:
// the caller is expected to stop.
func (c *Checkpoint) writeLocked(b []byte) error {
	if err := c.usableLocked("write"); err != nil {
		return err
	}
	n, err := c.f.Write(b)
	if err != nil {
		if n > 0 {
			if terr := c.f.Truncate(c.size); terr != nil {
				err = errors.Join(err, fmt.Errorf("cut back partial record: %w", terr))
			}
		}
		c.err = fmt.Errorf("write checkpoint %s: %w", c.path, err)
		return c.err
	}
	c.size += int64(n)
	c.dirty = true
	return nil
}

func (c *Checkpoint) flushLocked() error {
	if len(c.sbuf) == 0 {
		return nil
	}
	err := c.writeLocked(c.sbuf)
	c.sbuf = c.sbuf[:0]
	return err
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Journal records a completed row. It is safe for concurrent use, and the record
// has reached the OS (survives the process being killed) when Journal returns.
func (c *Checkpoint) Journal(r Result) error {
	if r.Index < 0 {
		return fmt.Errorf("journal to checkpoint %s: negative row index %d", c.path, r.Index)
	}
	bp := bufPool.Get().(*[]byte)
	b := appendResultRecord((*bp)[:0], recJournal, &r)
	c.mu.Lock()
	err := c.writeLocked(b)
	c.mu.Unlock()
	*bp = b
	bufPool.Put(bp)
	return err
}

// Spool records that row r.Index is in the output. Rows must come in order
// starting at Spooled(); call from one goroutine. The record is buffered: Flush,
// the background flusher (SpoolFlushInterval) or Close pushes it to the OS.
func (c *Checkpoint) Spool(r Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked("spool to"); err != nil {
		return err
	}
	if r.Index != c.next {
		return fmt.Errorf("spool to checkpoint %s: row %d out of order, expected row %d", c.path, r.Index, c.next)
	}
	c.sbuf = appendResultRecord(c.sbuf, recSpool, &r)
	c.next++
	c.counts[r.Code]++
	if len(c.sbuf) >= spoolBufLimit {
		return c.flushLocked()
	}
	return nil
}

// Flush pushes buffered S records to the OS.
func (c *Checkpoint) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked("flush"); err != nil {
		return err
	}
	return c.flushLocked()
}

// UpdateMeta appends m as the current meta. Fingerprint, Salt, Created and Runs
// are kept from the stored meta (they identify the job); Updated is set to now.
func (c *Checkpoint) UpdateMeta(m Meta) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setMetaLocked(m)
	return c.appendMeta()
}

func (c *Checkpoint) setMetaLocked(m Meta) {
	m = m.clone()
	m.Fingerprint = c.meta.Fingerprint
	m.Salt = c.meta.Salt
	m.Created = c.meta.Created
	m.Runs = c.meta.Runs
	m.Updated = time.Now().UTC()
	c.meta = m
}

// appendMeta writes c.meta; c.mu must be held (or c not yet shared).
func (c *Checkpoint) appendMeta() error {
	mj, err := json.Marshal(c.meta)
	if err != nil {
		return fmt.Errorf("write checkpoint %s meta: %w", c.path, err)
	}
	return c.writeLocked(appendFrame(nil, recMeta, mj))
}

// Finish marks the job finished (m.Finished is forced true), flushes and fsyncs.
func (c *Checkpoint) Finish(m Meta) error {
	c.mu.Lock()
	m.Finished = true
	c.setMetaLocked(m)
	err := c.flushLocked()
	if err == nil {
		err = c.appendMeta()
	}
	c.dirty = false
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint %s: %w", c.path, err)
	}
	return nil
}

// Close flushes, fsyncs, stops the background goroutine and releases the lock.
// It is idempotent; later calls return the first call's result.
func (c *Checkpoint) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		var errs []error
		if c.err == nil {
			if err := c.flushLocked(); err != nil {
				errs = append(errs, err)
			}
		} else {
			errs = append(errs, c.err)
		}
		c.closed = true
		c.mu.Unlock()
		close(c.stop)
		<-c.done
		if err := c.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("sync checkpoint %s: %w", c.path, err))
		}
		if err := c.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close checkpoint %s: %w", c.path, err))
		}
		if err := c.lock.release(); err != nil {
			errs = append(errs, fmt.Errorf("unlock checkpoint %s: %w", c.path, err))
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// Remove deletes the checkpoint and its lock file. It fails with *LockedError
// while another process has the checkpoint open.
func Remove(path string) error {
	lockPath := path + ".lock"
	lock, err := acquireLock(path, lockPath)
	if err != nil {
		return err
	}
	defer lock.release()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove checkpoint %s: %w", path, err)
	}
	if err := os.Remove(lockPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove checkpoint lock %s: %w", lockPath, err)
	}
	return nil
}

// writeHolder records who holds the lock, for the other side's LockedError.
func writeHolder(f *os.File) {
	host, _ := os.Hostname()
	s := fmt.Sprintf("pid %d started %s on %s\n", os.Getpid(), time.Now().Format(time.RFC3339), host)
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(s), 0)
	}
}

func readHolder(f *os.File) string {
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	return strings.TrimSpace(string(b[:n]))
}

// Status describes a checkpoint without opening it for writing.
type Status struct {
	Meta       Meta
	Spooled    int64
	Pending    int
	Counts     map[string]int64
	Locked     bool
	LockHolder string
	TornBytes  int64
	Size       int64
	ModTime    time.Time
}

// ReadStatus reads the checkpoint without taking the lock and never modifies it.
// While a run is writing, the tail may be mid-write and show up as TornBytes.
func ReadStatus(path string) (Status, error) {
	f, err := os.Open(path)
	if err != nil {
		return Status{}, fmt.Errorf("read checkpoint status %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Status{}, fmt.Errorf("read checkpoint status %s: %w", path, err)
	}
	res, err := scanFile(f, path)
	if err != nil {
		return Status{}, err
	}
	st := Status{
		Meta:      res.meta,
		Spooled:   res.spooled,
		Pending:   len(res.pendingAt),
		Counts:    res.counts(),
		TornBytes: res.size - res.end,
		Size:      fi.Size(),
		ModTime:   fi.ModTime(),
	}
	st.Locked, st.LockHolder, err = probeLock(path + ".lock")
	if err != nil {
		return Status{}, fmt.Errorf("read checkpoint status %s: lock: %w", path, err)
	}
	return st, nil
}
