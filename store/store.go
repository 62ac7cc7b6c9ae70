// Package store is a persistent memory of PhoneNumberEncrypt answers across jobs, so
// that a number is paid for once per validity of its 140 number, not once per run.
//
// Two backends keep the same data: an embedded bbolt file (the default, one per
// account, AuthCode and endpoint) and Redis (shared by several machines). Keys are
// HMAC-SHA256 of the normalised number under a secret of the store's own, kept apart
// from the data (a file beside the bbolt file; a Redis key created with SETNX), so
// neither the data nor its keys hold a phone number, and a copy of the data alone
// cannot be searched by hashing every possible number.
//
// A store is an optimisation, never a dependency: any failure (unreadable, corrupt,
// locked, unreachable, a newer schema) is reported once through Logf and the run goes
// on without it. Only OK answers are stored, with the ExpireTime the service sent.
package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SchemaVersion is the layout of keys and values this build writes. A store written
// by a newer build is refused (ErrNewerSchema) rather than misread.
const SchemaVersion = 1

// ErrNewerSchema: the store was written by a newer dytnsbatch.
var ErrNewerSchema = errors.New("written by a newer dytnsbatch")

// ErrNoStore: Options.MustExist was set and there is no store yet.
var ErrNoStore = errors.New("no result store yet")

// Answer is one stored OK answer.
type Answer struct {
	EncryptedNumber string
	ExpireTime      string    // as the service sent it: yyyy-MM-dd HH:mm:ss, Beijing time
	Expires         time.Time // ExpireTime parsed; set by the store
	RequestID       string
	Fetched         time.Time // when the answer was received
}

// ExpireLayout is the service's ExpireTime format.
const ExpireLayout = "2006-01-02 15:04:05"

var beijing = time.FixedZone("CST", 8*3600)

// ParseExpire reads an ExpireTime as the service sends it (Beijing time, no zone).
func ParseExpire(s string) (time.Time, error) {
	return time.ParseInLocation(ExpireLayout, strings.TrimSpace(s), beijing)
}

// Key is HMAC-SHA256(store secret, normalised number), cut to 128 bits (RFC 2104
// allows half): a million numbers collide with a chance of 2⁻⁸⁸, and short keys keep
// the B-tree small.
type Key [16]byte

// backend is where entries live. Methods may be called concurrently.
type backend interface {
	get(k Key) ([]byte, error) // nil, nil: absent
	// eachKey calls f with every stored key, or returns false when the backend
	// cannot promise that no other process adds keys while this one runs (Redis).
	eachKey(f func(k []byte)) (bool, error)
	put(batch []record) error
	sweep(now time.Time, budget time.Duration) (int, error)
	close() error
	describe() string
}

type record struct {
	key     Key
	value   []byte
	expires time.Time
	// flushed marks a Flush: closed once everything queued before it is written.
	flushed chan struct{}
}

// Options configure Open.
type Options struct {
	// Location: "" = the default directory (os.UserCacheDir()/dytnsbatch); a
	// directory path; or a redis:// or rediss:// URL.
	Location string
	// Identity separates stores: the AccessKeyId, AuthCode and endpoint (hashed, never
	// kept in clear), so a sandbox run never serves a real one and accounts never mix.
	Identity string
	// MinValidity: a stored answer is used only if its 140 number stays valid at
	// least this long after now.
	MinValidity time.Duration
	// Refresh ignores stored answers; fresh ones are still written.
	Refresh bool
	// LockTimeout bounds the wait for an embedded store another process holds; 0 = 2 s.
	LockTimeout time.Duration
	// Sweep removes expired entries in the background for at most this long; 0 = none.
	Sweep time.Duration
	// MustExist opens only an embedded store that is already there (ErrNoStore
	// otherwise): --dry-run looks, it does not create.
	MustExist bool
	Logf      func(format string, args ...any)
	Now       func() time.Time // nil = time.Now
}

// Store is an open store. Its methods are safe for concurrent use; a nil *Store
// answers nothing and stores nothing.
type Store struct {
	b      backend
	secret []byte
	// filter holds every key stored when the store was opened (and those saved
	// since): a number it lacks is a miss without a read. nil: no filter (Redis).
	filter  *bloom
	empty   bool // no entry when opened
	opts    Options
	macs    sync.Pool
	broken  atomic.Bool
	failMsg sync.Once
	puts    chan record
	written chan struct{} // closed when the writer has drained puts
	stopSw  chan struct{}
	swDone  chan struct{}

	hits, stale, misses, saved, dropped, swept atomic.Int64
}

// Open opens (creating when needed) the store for opts.Identity at opts.Location.
func Open(opts Options) (*Store, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	id := StoreID(opts.Identity)
	var (
		b      backend
		secret []byte
		err    error
	)
	if IsRedis(opts.Location) {
		b, secret, err = openRedis(opts.Location, id)
	} else {
		dir := opts.Location
		if dir == "" {
			if dir, err = DefaultDir(); err != nil {
				return nil, err
			}
		}
		if opts.MustExist {
			if db, _ := Files(dir, id); !fileExists(db) {
				return nil, ErrNoStore
			}
		}
		b, secret, err = openBolt(dir, id, opts.LockTimeout)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{b: b, secret: secret, opts: opts, puts: make(chan record, 4096), written: make(chan struct{})}
	if err := s.loadFilter(); err != nil {
		b.close()
		return nil, fmt.Errorf("store %s: %w", b.describe(), err)
	}
	s.macs.New = func() any { return hmac.New(sha256.New, s.secret) }
	go s.writer()
	if opts.Sweep > 0 {
		s.stopSw, s.swDone = make(chan struct{}), make(chan struct{})
		go s.sweeper(opts.Sweep)
	}
	return s, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// StoreID names a store after its identity: 32 hex digits of a SHA-256, so the
// AccessKeyId and AuthCode never show in a file name or a Redis key.
func StoreID(identity string) string {
	h := sha256.Sum256([]byte("dytnsbatch-store\x00" + identity))
	return hex.EncodeToString(h[:16])
}

// IsRedis says whether a location is a Redis URL.
func IsRedis(loc string) bool {
	return strings.HasPrefix(loc, "redis://") || strings.HasPrefix(loc, "rediss://")
}

// Describe is the store's location for messages (no password).
func (s *Store) Describe() string {
	if s == nil {
		return "none"
	}
	return s.b.describe()
}

func (s *Store) key(number string) Key {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(number))
	var sum [sha256.Size]byte
	var k Key
	copy(k[:], m.Sum(sum[:0]))
	s.macs.Put(m)
	return k
}

// fail turns the store off for the rest of the run, saying so once.
func (s *Store) fail(op string, err error) {
	s.broken.Store(true)
	s.failMsg.Do(func() {
		s.opts.Logf("result store %s: %s failed: %v; going on without it (rows are called as usual)", s.b.describe(), op, err)
	})
}

// Usable is false once the store failed.
func (s *Store) Usable() bool { return s != nil && !s.broken.Load() }

// guard runs f, turning a panic (bbolt panics on some corrupt pages) into an error.
func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// Lookup returns the stored answer for a normalised number when its 140 number stays
// valid at least MinValidity from now.
func (s *Store) Lookup(number string) (Answer, bool) {
	if !s.Usable() || s.opts.Refresh {
		return Answer{}, false
	}
	if s.empty {
		// Nothing was stored before this run, and this run's own answers reach its
		// rows through dedupe: a cold store costs no lookup.
		s.misses.Add(1)
		return Answer{}, false
	}
	k := s.key(number)
	if s.filter != nil && !s.filter.has(k) {
		s.misses.Add(1)
		return Answer{}, false
	}
	a, ok := s.get(k)
	if !ok {
		s.misses.Add(1)
		return Answer{}, false
	}
	if a.Expires.Sub(s.opts.Now()) < s.opts.MinValidity {
		s.stale.Add(1)
		return Answer{}, false
	}
	s.hits.Add(1)
	return a, true
}

func (s *Store) get(k Key) (Answer, bool) {
	var v []byte
	err := guard(func() (err error) { v, err = s.b.get(k); return err })
	if err != nil {
		s.fail("read", err)
		return Answer{}, false
	}
	if v == nil {
		return Answer{}, false
	}
	a, err := decode(v)
	if err != nil {
		return Answer{}, false // one bad value is a miss; the call overwrites it
	}
	return a, true
}

// Save stores a fresh OK answer (replacing any older one). It does not wait for the
// write: writes are batched by a background writer and flushed by Close.
func (s *Store) Save(number string, a Answer) {
	if !s.Usable() {
		return
	}
	s.enqueue(s.key(number), a)
}

// Backfill stores an answer recorded elsewhere (a checkpoint) unless the store
// already holds one that lives as long; used on resume, for answers a killed run
// received but may not have written to the store.
func (s *Store) Backfill(number string, a Answer) {
	if !s.Usable() {
		return
	}
	exp, err := ParseExpire(a.ExpireTime)
	if err != nil {
		return
	}
	k := s.key(number)
	if old, ok := s.get(k); ok && !old.Expires.Before(exp) {
		return
	}
	s.enqueue(k, a)
}

func (s *Store) enqueue(k Key, a Answer) {
	exp, err := ParseExpire(a.ExpireTime)
	if err != nil || !exp.After(s.opts.Now()) {
		// Without a readable expiry the answer's validity cannot be judged later.
		s.dropped.Add(1)
		return
	}
	a.Expires = exp
	if s.filter != nil {
		s.filter.add(k)
	}
	if a.Fetched.IsZero() {
		a.Fetched = s.opts.Now()
	}
	s.puts <- record{key: k, value: encode(a), expires: exp}
}

// writer commits queued answers in batches: one transaction (bbolt) or one pipeline
// (Redis) for what queued up in up to 250 ms. Large batches, sorted by key, are what
// keep bbolt cheap: a commit rewrites every B-tree page it touches, and random keys
// touch one page each in a small batch.
func (s *Store) writer() {
	defer close(s.written)
	const maxBatch, linger = 16384, 250 * time.Millisecond
	batch := make([]record, 0, maxBatch)
	var flushes []chan struct{}
	for rec := range s.puts {
		batch, flushes = batch[:0], flushes[:0]
		take := func(r record) bool { // false: a Flush waits, commit now
			if r.flushed != nil {
				flushes = append(flushes, r.flushed)
				return false
			}
			batch = append(batch, r)
			return true
		}
		timer := time.NewTimer(linger)
	more:
		for take(rec) && len(batch) < maxBatch {
			select {
			case r, ok := <-s.puts:
				if !ok {
					break more
				}
				rec = r
			case <-timer.C:
				break more
			}
		}
		timer.Stop()
		s.commit(batch)
		for _, f := range flushes {
			close(f)
		}
	}
}

func (s *Store) commit(batch []record) {
	if len(batch) == 0 || !s.Usable() {
		return // nothing, or drain: the store failed
	}
	slices.SortFunc(batch, func(a, b record) int { return bytes.Compare(a.key[:], b.key[:]) })
	if err := guard(func() error { return s.b.put(batch) }); err != nil {
		s.fail("write", err)
		return
	}
	s.saved.Add(int64(len(batch)))
}

// Flush returns once every answer queued before it is written (or the store has
// failed). A run of many files calls it after each one, so that a kill in a later
// file does not lose the answers of a finished one: a rerun skips that file and
// counts on the store for its numbers. Not after Close.
func (s *Store) Flush() {
	if s == nil {
		return
	}
	done := make(chan struct{})
	s.puts <- record{flushed: done}
	<-done
}

func (s *Store) sweeper(budget time.Duration) {
	defer close(s.swDone)
	// Let the run's first lookups go first.
	select {
	case <-time.After(time.Second):
	case <-s.stopSw:
		return
	}
	err := guard(func() error {
		n, err := s.b.sweep(s.opts.Now(), budget)
		s.swept.Store(int64(n))
		return err
	})
	if err != nil {
		s.fail("sweep", err)
	}
}

// loadFilter reads every stored key once, at open, into a Bloom filter: on a night
// with many new numbers, most lookups end there instead of in a read transaction.
// Ten bits and seven probes a key: 1% false positives, 1.2 MB for a million keys.
func (s *Store) loadFilter() error {
	var keys [][]byte
	var ok bool
	err := guard(func() (err error) {
		ok, err = s.b.eachKey(func(k []byte) { keys = append(keys, k) })
		return err
	})
	if err != nil || !ok {
		return err
	}
	s.empty = len(keys) == 0
	s.filter = newBloom(len(keys))
	for _, k := range keys {
		var kk Key
		copy(kk[:], k)
		s.filter.add(kk)
	}
	return nil
}

// bloom is a Bloom filter over Keys, safe for concurrent add and has. Keys are
// already uniform hashes, so its probes come from their bytes (double hashing).
type bloom struct {
	words []atomic.Uint64
	mask  uint64 // bits - 1; bits is a power of two
}

const bloomProbes = 7

func newBloom(n int) *bloom {
	bits := uint64(1 << 16)
	for bits < uint64(n)*10 {
		bits <<= 1
	}
	return &bloom{words: make([]atomic.Uint64, bits/64), mask: bits - 1}
}

func (b *bloom) probes(k Key) (h1, h2 uint64) {
	return binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:]) | 1
}

func (b *bloom) add(k Key) {
	h1, h2 := b.probes(k)
	for i := range uint64(bloomProbes) {
		bit := (h1 + i*h2) & b.mask
		b.words[bit/64].Or(1 << (bit % 64))
	}
}

func (b *bloom) has(k Key) bool {
	h1, h2 := b.probes(k)
	for i := range uint64(bloomProbes) {
		bit := (h1 + i*h2) & b.mask
		if b.words[bit/64].Load()&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// Counts is what a run did with the store.
type Counts struct {
	Hits    int64 // lookups answered
	Stale   int64 // stored answers too close to their expiry, called again
	Misses  int64
	Saved   int64 // answers written
	Dropped int64 // answers not stored (no readable ExpireTime, already expired)
	Swept   int64 // expired entries removed in the background
}

// Counts returns the counters so far.
func (s *Store) Counts() Counts {
	if s == nil {
		return Counts{}
	}
	return Counts{Hits: s.hits.Load(), Stale: s.stale.Load(), Misses: s.misses.Load(), Saved: s.saved.Load(), Dropped: s.dropped.Load(), Swept: s.swept.Load()}
}

// Close writes what is queued and closes the store.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	if s.stopSw != nil {
		close(s.stopSw)
		<-s.swDone
	}
	close(s.puts)
	<-s.written
	return s.b.close()
}

// Value layout: byte version, varint Expires (Unix s), varint Fetched (Unix ms),
// then EncryptedNumber, ExpireTime, RequestID as uvarint length + bytes.
const valueVersion = 1

func encode(a Answer) []byte {
	b := make([]byte, 0, 32+len(a.EncryptedNumber)+len(a.ExpireTime)+len(a.RequestID))
	b = append(b, valueVersion)
	b = binary.AppendVarint(b, a.Expires.Unix())
	b = binary.AppendVarint(b, a.Fetched.UnixMilli())
	for _, s := range []string{a.EncryptedNumber, a.ExpireTime, a.RequestID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

var errBadValue = errors.New("bad stored value")

func decode(b []byte) (Answer, error) {
	if len(b) == 0 || b[0] != valueVersion {
		return Answer{}, errBadValue
	}
	b = b[1:]
	exp, n := binary.Varint(b)
	if n <= 0 {
		return Answer{}, errBadValue
	}
	b = b[n:]
	fetched, n := binary.Varint(b)
	if n <= 0 {
		return Answer{}, errBadValue
	}
	b = b[n:]
	var f [3]string
	for i := range f {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return Answer{}, errBadValue
		}
		f[i] = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return Answer{}, errBadValue
	}
	return Answer{
		EncryptedNumber: f[0], ExpireTime: f[1], RequestID: f[2],
		Expires: time.Unix(exp, 0), Fetched: time.UnixMilli(fetched),
	}, nil
}
