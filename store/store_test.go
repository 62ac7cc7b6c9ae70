package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"dytnsbatch/internal/redistest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backends runs a test against a bbolt store in a temporary directory and against
// a real redis-server.
func backends(t *testing.T, f func(t *testing.T, loc string)) {
	t.Run("bbolt", func(t *testing.T) { f(t, t.TempDir()) })
	t.Run("redis", func(t *testing.T) { f(t, redistest.Start(t).URL) })
}

// at is a Beijing-time ExpireTime d after c's now.
func at(c *clock, d time.Duration) string { return c.now().Add(d).In(beijing).Format(ExpireLayout) }

func open(t *testing.T, loc string, c *clock, mut func(*Options)) (*Store, *[]string) {
	t.Helper()
	var logs []string
	var mu sync.Mutex
	o := Options{Location: loc, Identity: "AK\x00code\x00endpoint", MinValidity: 24 * time.Hour, Now: c.now,
		Logf: func(f string, a ...any) { mu.Lock(); logs = append(logs, f); mu.Unlock() }}
	if mut != nil {
		mut(&o)
	}
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

func TestSaveLookupMinValidity(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		c := &clock{t: time.Now().Truncate(time.Second)}
		s, _ := open(t, loc, c, nil)
		s.Save("13900000001", Answer{EncryptedNumber: "14000000001", ExpireTime: at(c, 48*time.Hour), RequestID: "R1"})
		s.Save("13900000002", Answer{EncryptedNumber: "14000000002", ExpireTime: at(c, 10*time.Hour), RequestID: "R2"})
		s.Save("13900000003", Answer{EncryptedNumber: "14000000003", ExpireTime: "garbled"})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := s.Counts(); got.Saved != 2 || got.Dropped != 1 {
			t.Errorf("counts %+v, want 2 saved and the unparseable one dropped", got)
		}
		s, _ = open(t, loc, c, nil)
		defer s.Close()
		a, ok := s.Lookup("13900000001")
		if !ok || a.EncryptedNumber != "14000000001" || a.RequestID != "R1" || a.ExpireTime != at(c, 48*time.Hour) {
			t.Fatalf("lookup = %+v %v", a, ok)
		}
		if !a.Expires.Equal(c.now().Add(48 * time.Hour)) {
			t.Errorf("Expires %v, want %v", a.Expires, c.now().Add(48*time.Hour))
		}
		if _, ok := s.Lookup("13900000002"); ok {
			t.Error("an answer valid 10 h more was used with min validity 24 h")
		}
		if _, ok := s.Lookup("13900000009"); ok {
			t.Error("a number never stored was found")
		}
		c.add(25 * time.Hour) // 23 h left now
		if _, ok := s.Lookup("13900000001"); ok {
			t.Error("an answer valid 23 h more was used with min validity 24 h")
		}
		if got := s.Counts(); got.Hits != 1 || got.Stale != 2 || got.Misses != 1 {
			t.Errorf("counts %+v", got)
		}
	})
}

func TestRefreshAndIdentity(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		c := &clock{t: time.Now()}
		s, _ := open(t, loc, c, nil)
		s.Save("13900000001", Answer{EncryptedNumber: "14000000001", ExpireTime: at(c, 48*time.Hour)})
		s.Close()
		r, _ := open(t, loc, c, func(o *Options) { o.Refresh = true })
		if _, ok := r.Lookup("13900000001"); ok {
			t.Error("--cache-refresh used a stored answer")
		}
		r.Save("13900000001", Answer{EncryptedNumber: "14000000099", ExpireTime: at(c, 60*time.Hour)})
		r.Close()
		s, _ = open(t, loc, c, nil)
		if a, ok := s.Lookup("13900000001"); !ok || a.EncryptedNumber != "14000000099" {
			t.Errorf("after a refresh: %+v %v", a, ok)
		}
		s.Close()
		other, _ := open(t, loc, c, func(o *Options) { o.Identity = "AK2\x00code\x00endpoint" })
		defer other.Close()
		if _, ok := other.Lookup("13900000001"); ok {
			t.Error("another account's store answered")
		}
	})
}

func TestBackfillKeepsTheLongerAnswer(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		c := &clock{t: time.Now()}
		s, _ := open(t, loc, c, nil)
		s.Save("13900000001", Answer{EncryptedNumber: "new", ExpireTime: at(c, 60*time.Hour)})
		s.Close()
		s, _ = open(t, loc, c, nil)
		s.Backfill("13900000001", Answer{EncryptedNumber: "old", ExpireTime: at(c, 30*time.Hour)})
		s.Backfill("13900000002", Answer{EncryptedNumber: "missing", ExpireTime: at(c, 30*time.Hour)})
		s.Close()
		s, _ = open(t, loc, c, nil)
		defer s.Close()
		if a, _ := s.Lookup("13900000001"); a.EncryptedNumber != "new" {
			t.Errorf("backfill replaced a longer-lived answer: %+v", a)
		}
		if a, ok := s.Lookup("13900000002"); !ok || a.EncryptedNumber != "missing" {
			t.Errorf("backfill did not store a missing answer: %+v", a)
		}
	})
}

// TestSecretRace: processes opening a new store at once agree on one secret.
func TestSecretRace(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "store-x.key")
		agreeOnSecret(t, 16, func() ([]byte, error) { return loadOrCreateSecret(path) })
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v %v", err, st.Mode())
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".store-key-*")); len(left) != 0 {
			t.Errorf("temporary key files left: %v", left)
		}
	})
	t.Run("redis", func(t *testing.T) {
		rs := redistest.Start(t)
		agreeOnSecret(t, 8, func() ([]byte, error) {
			b, s, err := openRedis(rs.URL, "race")
			if err != nil {
				return nil, err
			}
			b.close()
			return s, nil
		})
	})
}

// agreeOnSecret runs n openers released at once and checks they got one 32-byte
// secret.
func agreeOnSecret(t *testing.T, n int, open func() ([]byte, error)) {
	t.Helper()
	got := make([][]byte, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := open()
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = s
		})
	}
	close(start)
	wg.Wait()
	for i := range got {
		if string(got[i]) != string(got[0]) || len(got[i]) != 32 {
			t.Fatalf("opener %d got another secret", i)
		}
	}
}

func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	s, _ := open(t, dir, c, nil)
	s.Close()
	dbs, _ := filepath.Glob(filepath.Join(dir, "store-*.db"))
	if err := os.WriteFile(dbs[0], []byte(strings.Repeat("garbage!", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Location: dir, Identity: "AK\x00code\x00endpoint"})
	if err == nil || !strings.Contains(err.Error(), dbs[0]) {
		t.Fatalf("corrupt store: err %v, want one naming %s", err, dbs[0])
	}
	// A damaged key file is reported, not replaced silently.
	keys, _ := filepath.Glob(filepath.Join(dir, "store-*.key"))
	os.WriteFile(keys[0], []byte("zz"), 0o600)
	if _, err := Open(Options{Location: dir, Identity: "AK\x00code\x00endpoint"}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key: %v", err)
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	s, _ := open(t, dir, &clock{t: time.Now()}, nil)
	s.Close()
	dbs, _ := filepath.Glob(filepath.Join(dir, "store-*.db"))
	os.Chmod(dbs[0], 0)
	if _, err := Open(Options{Location: dir, Identity: "AK\x00code\x00endpoint"}); err == nil {
		t.Fatal("an unreadable store opened")
	}
}

func TestLockedFile(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	s, _ := open(t, dir, c, nil)
	defer s.Close()
	began := time.Now()
	_, err := Open(Options{Location: dir, Identity: "AK\x00code\x00endpoint", LockTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "in use by another dytnsbatch process") {
		t.Fatalf("second opener: %v", err)
	}
	if d := time.Since(began); d < 200*time.Millisecond || d > 5*time.Second { // bbolt stops one 50 ms retry early
		t.Errorf("second opener gave up after %v, want the 300 ms lock timeout", d)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) {
		dir := t.TempDir()
		s, _ := open(t, dir, &clock{t: time.Now()}, nil)
		s.Close()
		dbs, _ := filepath.Glob(filepath.Join(dir, "store-*.db"))
		db, err := bolt.Open(dbs[0], 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaSchema, []byte("99")) })
		db.Close()
		_, err = Open(Options{Location: dir, Identity: "AK\x00code\x00endpoint"})
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "schema version 99") {
			t.Fatalf("newer schema: %v", err)
		}
	})
	t.Run("redis", func(t *testing.T) {
		rs := redistest.Start(t)
		c := redis.NewClient(&redis.Options{Addr: rs.Addr})
		defer c.Close()
		c.HSet(context.Background(), redisRoot+StoreID("AK\x00code\x00endpoint")+":meta", "schema", 99)
		_, err := Open(Options{Location: rs.URL, Identity: "AK\x00code\x00endpoint"})
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("newer schema: %v", err)
		}
	})
}

// TestRedisDiesMidRun: the store turns itself off with one message and answers
// nothing more, without blocking its callers.
func TestRedisDiesMidRun(t *testing.T) {
	rs := redistest.Start(t)
	c := &clock{t: time.Now()}
	s, logs := open(t, rs.URL, c, nil)
	s.Save("13900000001", Answer{EncryptedNumber: "14000000001", ExpireTime: at(c, 48*time.Hour)})
	waitSaved(t, s, 1)
	if _, ok := s.Lookup("13900000001"); !ok {
		t.Fatal("lookup before the outage failed")
	}
	rs.Stop()
	began := time.Now()
	for i := range 100 {
		s.Lookup("13900000001")
		s.Save("1390000010"+string(rune('0'+i%10)), Answer{EncryptedNumber: "140", ExpireTime: at(c, 48*time.Hour)})
	}
	if err := s.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("100 lookups and saves took %v with Redis down", d)
	}
	if s.Usable() {
		t.Error("store still usable with Redis down")
	}
	if len(*logs) != 1 {
		t.Errorf("%d messages, want 1: %q", len(*logs), *logs)
	}
}

func waitSaved(t *testing.T, s *Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Counts().Saved < n {
		if time.Now().After(deadline) {
			t.Fatal("answers not written")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRedisTTL(t *testing.T) {
	rs := redistest.Start(t)
	c := &clock{t: time.Now()}
	s, _ := open(t, rs.URL, c, nil)
	s.Save("13900000001", Answer{EncryptedNumber: "14000000001", ExpireTime: at(c, 48*time.Hour)})
	s.Close()
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rc.Close()
	keys, _ := rc.Keys(context.Background(), redisRoot+"*:e:*").Result()
	if len(keys) != 1 {
		t.Fatalf("entry keys %v", keys)
	}
	ttl := rc.TTL(context.Background(), keys[0]).Val()
	if ttl < 47*time.Hour || ttl > 48*time.Hour {
		t.Errorf("TTL %v, want the 48 h to its ExpireTime", ttl)
	}
}

func TestSweepAndAdmin(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		c := &clock{t: time.Now()}
		s, _ := open(t, loc, c, nil)
		s.Save("13900000001", Answer{EncryptedNumber: "1", ExpireTime: at(c, time.Hour)})
		s.Save("13900000002", Answer{EncryptedNumber: "2", ExpireTime: at(c, 3*24*time.Hour)})
		s.Save("13900000003", Answer{EncryptedNumber: "3", ExpireTime: at(c, 30*24*time.Hour)})
		s.Close()
		infos, err := Inspect(loc, c.now())
		if err != nil || len(infos) != 1 {
			t.Fatalf("inspect: %v %+v", err, infos)
		}
		if in := infos[0]; in.Entries != 3 || in.Within24h != 1 || in.Within7d != 2 || in.Expired != 0 || in.Bytes <= 0 {
			t.Errorf("info %+v", in)
		}
		if IsRedis(loc) {
			n, err := Purge(loc, true, c.now())
			if err != nil || n != 3 {
				t.Errorf("purge --all: %d %v", n, err)
			}
			if infos, _ := Inspect(loc, c.now()); len(infos) != 0 {
				t.Errorf("after purge --all: %+v", infos)
			}
			return
		}
		c.add(2 * time.Hour) // one entry expired
		n, err := Purge(loc, false, c.now())
		if err != nil || n != 1 {
			t.Errorf("purge --expired: %d %v", n, err)
		}
		// A run sweeps in the background, within its budget.
		c.add(4 * 24 * time.Hour)
		s, _ = open(t, loc, c, func(o *Options) { o.Sweep = time.Second })
		time.Sleep(1500 * time.Millisecond)
		s.Close()
		if got := s.Counts().Swept; got != 1 {
			t.Errorf("swept %d, want 1", got)
		}
		if n, err := Purge(loc, true, c.now()); err != nil || n != 1 {
			t.Errorf("purge --all: %d %v", n, err)
		}
		if left, _ := filepath.Glob(filepath.Join(loc, "store-*")); len(left) != 0 {
			t.Errorf("purge --all left %v", left)
		}
	})
}

func TestValueRoundTrip(t *testing.T) {
	a := Answer{EncryptedNumber: "14000000001", ExpireTime: "2026-12-09 08:00:00", RequestID: "R", Expires: time.Unix(1800000000, 0), Fetched: time.UnixMilli(1700000000123)}
	got, err := decode(encode(a))
	if err != nil || got.EncryptedNumber != a.EncryptedNumber || got.ExpireTime != a.ExpireTime || got.RequestID != a.RequestID ||
		!got.Expires.Equal(a.Expires) || !got.Fetched.Equal(a.Fetched) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	b := encode(a)
	for i := range b {
		if _, err := decode(b[:i]); err == nil {
			t.Fatalf("a value cut at %d decoded", i)
		}
	}
}

// Flush returns only once what was queued is written (Saved counts a committed
// batch), without waiting for the writer's linger, and with nothing queued at once.
func TestFlushWritesWhatIsQueued(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		c := &clock{t: time.Now().Truncate(time.Second)}
		s, _ := open(t, loc, c, nil)
		defer s.Close()
		s.Flush()
		for i := range 3 {
			s.Save(fmt.Sprintf("1390000000%d", i), Answer{EncryptedNumber: fmt.Sprintf("1400000000%d", i), ExpireTime: at(c, 48*time.Hour)})
		}
		s.Flush()
		if got := s.Counts().Saved; got != 3 {
			t.Fatalf("after Flush %d answers written, want 3", got)
		}
		s.Save("13900000009", Answer{EncryptedNumber: "14000000009", ExpireTime: at(c, 48*time.Hour)})
		s.Flush()
		if got := s.Counts().Saved; got != 4 {
			t.Fatalf("after the second Flush %d answers written, want 4", got)
		}
	})
}
