package cli

// End-to-end tests of the result store: the second night of a job pays only for
// the new numbers.

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dytnsbatch/internal/redistest"
	"dytnsbatch/sandbox"
)

// Columns of an output of writeNumbers' input.
const (
	colEnc     = 2
	colExpire  = 3
	colOutID   = 4
	colCode    = 5
	colReqID   = 7
	colAttempt = 8
	colSource  = 9
)

// heldNumber finds in b one of the first n numbers writeNumbers makes (139 and
// eight digits): every occurrence is checked, overlapping ones too, because random
// bytes or hex hold 139-and-eight-digits now and then, but hardly ever one of ours.
func heldNumber(b []byte, n int) string {
	for i := 0; i+11 <= len(b); i++ {
		if b[i] != '1' || b[i+1] != '3' || b[i+2] != '9' {
			continue
		}
		v, err := strconv.Atoi(string(b[i+3 : i+11]))
		if err == nil && v < n && !strings.ContainsAny(string(b[i+3:i+11]), "+-") {
			return string(b[i : i+3])
		}
	}
	return ""
}

// storeEnv is a sandbox whose 140 numbers live 72 h, and a user cache directory of
// the test's own (XDG_CACHE_HOME), so the user's is never touched.
func storeEnv(t *testing.T, latency time.Duration) (*sandbox.Server, []string, string) {
	t.Helper()
	srv, env := startSandbox(t, func(c *sandbox.Config) { c.Validity = 72 * time.Hour; c.QPS = 0; c.Latency = latency })
	cache := t.TempDir()
	return srv, append(env, "XDG_CACHE_HOME="+cache), cache
}

// reuseValidity is a --min-validity the first night's answers satisfy: the sandbox's
// numbers expire at the end of a 72 h epoch, which may be less than the default 24 h
// away when the test runs.
func reuseValidity() string {
	v := 72 * time.Hour
	left := v - time.Duration(time.Now().UnixNano()%int64(v))
	if left > 25*time.Hour {
		return "24h"
	}
	return "1m"
}

// secondNight runs 20,000 rows, then the same rows plus 200 new ones with the same
// store, and checks that only the new ones were called.
func secondNight(t *testing.T, srv *sandbox.Server, env []string, dir string, cacheArgs ...string) (first, second [][]string) {
	t.Helper()
	const rows, added = 20000, 200
	in1, in2 := filepath.Join(dir, "night1.csv"), filepath.Join(dir, "night2.csv")
	writeNumbers(t, in1, rows)
	writeNumbers(t, in2, rows+added)
	out1, out2 := filepath.Join(dir, "night1.out.csv"), filepath.Join(dir, "night2.out.csv")
	args := append([]string{"--endpoint", srv.Addr(), "--qps", "0", "--progress", "none", "--min-validity", reuseValidity()}, cacheArgs...)

	r := runBin(t, env, append([]string{"encrypt", in1, "-o", out1}, args...)...)
	if r.code != 0 {
		t.Fatalf("night 1: exit %d\n%s", r.code, r.stderr)
	}
	first = checkAllOK(t, out1, rows, nil)
	before := srv.Sandbox().Stats().Requests
	r = runBin(t, env, append([]string{"encrypt", in2, "-o", out2, "--report", filepath.Join(dir, "night2.json")}, args...)...)
	if r.code != 0 {
		t.Fatalf("night 2: exit %d\n%s", r.code, r.stderr)
	}
	calls := srv.Sandbox().Stats().Requests - before
	if calls > added {
		t.Errorf("night 2 made %d calls on the wire for %d new numbers", calls, added)
	}
	second = checkAllOK(t, out2, rows+added, nil)
	for i := 1; i <= rows; i++ {
		a, b := first[i], second[i]
		if b[colEnc] != a[colEnc] || b[colExpire] != a[colExpire] || b[colSource] != "cache" || b[colAttempt] != "0" {
			t.Fatalf("night 2 row %d = %q; night 1 gave %q", i, b, a)
		}
		if b[colOutID] != a[colOutID] || b[colReqID] != a[colReqID] {
			t.Fatalf("night 2 row %d: OutId %q RequestId %q, night 1 %q %q", i, b[colOutID], b[colReqID], a[colOutID], a[colReqID])
		}
	}
	for i := rows + 1; i <= rows+added; i++ {
		if second[i][colSource] != "call" || second[i][colAttempt] != "1" {
			t.Fatalf("new row %d = %q", i, second[i])
		}
	}
	rep, err := os.ReadFile(filepath.Join(dir, "night2.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rows_from_store": 20000`, `"calls_saved_by_store": 20000`} {
		if !strings.Contains(string(rep), want) {
			t.Errorf("night 2 report lacks %s:\n%s", want, rep)
		}
	}
	t.Logf("night 2: %d calls on the wire for %d rows (%d new)", calls, rows+added, added)
	return first, second
}

// renewed: a --min-validity longer than what is left calls every number again, and
// the store then holds the new answers (a later run shows their RequestIds).
func renewed(t *testing.T, srv *sandbox.Server, env []string, dir string, cacheArgs ...string) {
	t.Helper()
	const rows = 20000
	in := filepath.Join(dir, "night1.csv")
	base := append([]string{"encrypt", in, "--endpoint", srv.Addr(), "--qps", "0", "--progress", "none"}, cacheArgs...)
	before := srv.Sandbox().Stats().Requests
	out3 := filepath.Join(dir, "long.out.csv")
	if r := runBin(t, env, append(base, "-o", out3, "--min-validity", "73h")...); r.code != 0 {
		t.Fatalf("--min-validity 73h: exit %d\n%s", r.code, r.stderr)
	}
	if calls := srv.Sandbox().Stats().Requests - before; calls != rows {
		t.Errorf("--min-validity 73h made %d calls, want every one of %d", calls, rows)
	}
	third := checkAllOK(t, out3, rows, nil)
	before = srv.Sandbox().Stats().Requests
	out4 := filepath.Join(dir, "again.out.csv")
	if r := runBin(t, env, append(base, "-o", out4, "--min-validity", reuseValidity())...); r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	if calls := srv.Sandbox().Stats().Requests - before; calls != 0 {
		t.Errorf("rerun after the renewal made %d calls", calls)
	}
	fourth := checkAllOK(t, out4, rows, nil)
	for i := 1; i <= rows; i++ {
		if third[i][colSource] != "call" || fourth[i][colSource] != "cache" || fourth[i][colReqID] != third[i][colReqID] {
			t.Fatalf("row %d: renewal %q, then %q: the store does not hold the renewed answer", i, third[i], fourth[i])
		}
	}
}

func TestE2EStoreSecondNight(t *testing.T) {
	srv, env, cache := storeEnv(t, 0)
	dir := t.TempDir()
	secondNight(t, srv, env, dir)
	// The default location: XDG_CACHE_HOME/dytnsbatch, private.
	files, _ := filepath.Glob(filepath.Join(cache, "dytnsbatch", "store-*"))
	if len(files) != 2 {
		t.Fatalf("store files %v, want a .db and a .key", files)
	}
	st, err := os.Stat(filepath.Join(cache, "dytnsbatch"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("store directory: %v, mode %v; want 0700", err, st.Mode().Perm())
	}
	for _, f := range files {
		checkMode0600(t, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := heldNumber(b, 20200); m != "" {
			t.Errorf("%s holds an input phone number (%s…)", f, m)
		}
	}
	renewed(t, srv, env, dir)

	// cache stats sees the store; purge --all removes it.
	r := runBin(t, env, "cache", "stats")
	if r.code != 0 || !strings.Contains(r.stdout, "entries   20200 (0 expired)") {
		t.Errorf("cache stats: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runBin(t, env, "cache", "purge", "--all"); r.code != 0 || !strings.Contains(r.stdout, "removed 20200") {
		t.Errorf("cache purge --all: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "dytnsbatch", "store-*")); len(files) != 0 {
		t.Errorf("purge --all left %v", files)
	}
}

func TestE2EStoreSecondNightRedis(t *testing.T) {
	rs := redistest.Start(t)
	srv, env, cache := storeEnv(t, 0)
	dir := t.TempDir()
	secondNight(t, srv, env, dir, "--cache", rs.URL)
	if files, _ := os.ReadDir(cache); len(files) != 0 {
		t.Errorf("a Redis run wrote to the user cache directory: %v", files)
	}
	// Keys and values hold no input number; every entry has a TTL.
	c := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for _, k := range keys {
		if heldNumber([]byte(k), 20200) != "" {
			t.Fatalf("Redis key %q holds an input number", k)
		}
		dump, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if heldNumber([]byte(dump), 20200) != "" {
			t.Fatalf("Redis value of %q holds an input number", k)
		}
		if strings.Contains(k, ":e:") {
			entries++
			if ttl := c.TTL(ctx, k).Val(); ttl <= 0 || ttl > 72*time.Hour {
				t.Fatalf("entry %q has TTL %v", k, ttl)
			}
		}
	}
	if entries != 20200 {
		t.Errorf("%d entries in Redis, want 20200", entries)
	}
	renewed(t, srv, env, dir, "--cache", rs.URL)
}

// TestE2EStoreRedisDiesMidRun: Redis stopped during a run: one warning, every row OK.
func TestE2EStoreRedisDiesMidRun(t *testing.T) {
	const rows = 20000
	rs := redistest.Start(t)
	srv, env, _ := storeEnv(t, time.Millisecond)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	writeNumbers(t, in, rows)
	cmd := binCmd(t, env, "encrypt", in, "-o", out, "--endpoint", srv.Addr(), "--qps", "0", "--workers", "8", "--progress", "none", "--cache", rs.URL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.Sandbox().Stats().Billed > 2000 })
	rs.Stop()
	err := cmd.Wait()
	if err != nil {
		t.Fatalf("run with Redis stopped: %v\n%s", err, stderr.String())
	}
	checkAllOK(t, out, rows, nil)
	// The warning also proves Redis went away while the run still used it.
	if n := strings.Count(stderr.String(), "going on without it"); n != 1 {
		t.Errorf("%d warnings about the store, want 1:\n%s", n, stderr.String())
	}
}

// TestE2EStoreBadCases: a corrupt, locked or unreachable store never stops a run.
func TestE2EStoreBadCases(t *testing.T) {
	srv, env, _ := storeEnv(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, 50)
	run := func(name string, cacheArgs ...string) result {
		t.Helper()
		args := append([]string{"encrypt", in, "-o", filepath.Join(dir, name+".csv"), "--endpoint", srv.Addr(), "--progress", "none"}, cacheArgs...)
		r := runBin(t, env, args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		checkAllOK(t, filepath.Join(dir, name+".csv"), 50, nil)
		return r
	}
	corrupt := filepath.Join(dir, "corrupt")
	r := run("seed", "--cache", corrupt)
	dbs, _ := filepath.Glob(filepath.Join(corrupt, "store-*.db"))
	if len(dbs) != 1 {
		t.Fatalf("store files %v", dbs)
	}
	if err := os.WriteFile(dbs[0], []byte(strings.Repeat("not a bbolt file ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run("corrupt", "--cache", corrupt)
	if !strings.Contains(r.stderr, "result store not used") || !strings.Contains(r.stderr, dbs[0]) {
		t.Errorf("corrupt store: no warning naming it\n%s", r.stderr)
	}
	r = run("redis-down", "--cache", "redis://127.0.0.1:1/0")
	if !strings.Contains(r.stderr, "result store not used") || !strings.Contains(r.stderr, "redis://127.0.0.1:1/0") {
		t.Errorf("unreachable Redis: no warning naming it\n%s", r.stderr)
	}
	r = run("off", "--no-cache")
	if strings.Contains(r.stderr, "store") && !strings.Contains(r.stderr, "checkpoint") {
		t.Errorf("--no-cache mentions a store\n%s", r.stderr)
	}
}
