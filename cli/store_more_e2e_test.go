package cli

// End-to-end tests of the result store with more than one process: two jobs on one
// embedded store, and a job killed and resumed with the store on.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dytnsbatch/sandbox"
)

// writeNumbersPrefix writes a CSV of n distinct valid numbers prefix + 8 digits, so
// that two jobs' calls can be told apart on the wire.
func writeNumbersPrefix(t testing.TB, path, prefix string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,mobile\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%s%08d\n", i, prefix, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestE2ETwoProcessesOneStore: two jobs started together on one embedded store both
// finish with every row OK. One holds the store; the other waits on its lock for a
// bounded time (store.Options.LockTimeout, 2 s), says so once on stderr and runs
// without it, calling every number, and it does not wait for the first job to end.
func TestE2ETwoProcessesOneStore(t *testing.T) {
	// 10,000 rows at 1000/s: each job holds the store ~10 s, far longer than the lock
	// wait, so "did not wait for the other's end" is not a matter of timing luck.
	const rows = 10000
	log, addr, env := startWireLog(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	type job struct {
		prefix, in, out string
		cmd             *exec.Cmd
		stderr          bytes.Buffer
		start, end      time.Time
		err             error
	}
	jobs := []*job{{prefix: "139"}, {prefix: "138"}}
	for i, j := range jobs {
		j.in, j.out = filepath.Join(dir, fmt.Sprintf("in%d.csv", i)), filepath.Join(dir, fmt.Sprintf("out%d.csv", i))
		writeNumbersPrefix(t, j.in, j.prefix, rows)
		j.cmd = binCmd(t, env, "encrypt", j.in, "-o", j.out, "--endpoint", addr, "--qps", "1000", "--progress", "none",
			"--cache", cache, "--min-validity", reuseValidity())
		j.cmd.Stderr = &j.stderr
	}
	done := make(chan *job)
	for _, j := range jobs {
		j.start = time.Now()
		if err := j.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { j.err = j.cmd.Wait(); j.end = time.Now(); done <- j }()
	}
	<-done
	<-done
	var holder, waiter *job
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("job %s: %v\n%s", j.prefix, j.err, j.stderr.String())
		}
		checkAllOK(t, j.out, rows, nil)
		switch n := strings.Count(j.stderr.String(), "in use by another dytnsbatch process"); n {
		case 0:
			holder = j
		case 1:
			waiter = j
		default:
			t.Fatalf("job %s warned %d times about the lock:\n%s", j.prefix, n, j.stderr.String())
		}
	}
	if holder == nil || waiter == nil {
		t.Fatalf("want one job with the store and one warned about its lock:\n%s\n---\n%s", jobs[0].stderr.String(), jobs[1].stderr.String())
	}
	if n := strings.Count(waiter.stderr.String(), "result store"); n != 1 {
		t.Errorf("the job without the store mentions it %d times, want once:\n%s", n, waiter.stderr.String())
	}
	// On the wire: the waiter's first call came after it had waited on the lock (a
	// bounded wait, not none) and before the holder's last call (so not for the
	// holder's whole run, which would free the lock).
	var waiterFirst, holderLast time.Time
	answered := map[string]map[string]bool{holder.prefix: {}, waiter.prefix: {}}
	for _, c := range log.snapshot() {
		p := c.number[:3]
		if c.billed {
			answered[p][c.number] = true
		}
		if p == waiter.prefix && (waiterFirst.IsZero() || c.arrived.Before(waiterFirst)) {
			waiterFirst = c.arrived
		}
		if p == holder.prefix && c.arrived.After(holderLast) {
			holderLast = c.arrived
		}
	}
	if waited := waiterFirst.Sub(waiter.start); waited < time.Second {
		t.Errorf("the job without the store called %v after its start: it cannot have waited on the lock", waited)
	}
	if !waiterFirst.Before(holderLast) {
		t.Errorf("the job without the store made its first call at %v, after the holder's last at %v: it waited for the holder's end",
			waiterFirst.Format(time.StampMilli), holderLast.Format(time.StampMilli))
	}
	// A loaded machine may time a call out and repeat it: count numbers, not calls.
	if len(answered[holder.prefix]) != rows || len(answered[waiter.prefix]) != rows {
		t.Errorf("numbers answered on the wire: %d for the holder, %d for the waiter; want %d each",
			len(answered[holder.prefix]), len(answered[waiter.prefix]), rows)
	}
	t.Logf("holder %s: %v; waiter %s: %v, first call %v after its start",
		holder.prefix, holder.end.Sub(holder.start).Round(time.Millisecond), waiter.prefix,
		waiter.end.Sub(waiter.start).Round(time.Millisecond), waiterFirst.Sub(waiter.start).Round(time.Millisecond))

	// The store is intact and holds the holder's answers only: run again, the
	// holder's job makes no call, the waiter's calls every number.
	for _, j := range []*job{holder, waiter} {
		before := len(log.snapshot())
		r := runBin(t, env, "encrypt", j.in, "-o", j.out+".again.csv", "--endpoint", addr, "--qps", "0", "--progress", "none",
			"--cache", cache, "--min-validity", reuseValidity())
		if r.code != 0 {
			t.Fatalf("rerun of %s: exit %d\n%s", j.prefix, r.code, r.stderr)
		}
		checkAllOK(t, j.out+".again.csv", rows, nil)
		want := 0
		if j == waiter {
			want = rows
		}
		if got := len(log.snapshot()) - before; got != want {
			t.Errorf("rerun of job %s made %d calls, want %d", j.prefix, got, want)
		}
	}
}

// TestE2EKillResumeWithStore: a job with the store on, SIGKILLed part way and
// resumed with the same --cache, ends with every row once and in order; its answers
// all reach the store, those the killed run had checkpointed included: a third run
// over the same file makes no call (counted by the sandbox). In "store lost", the
// store's files are removed after the kill, so only the resume's backfill from the
// checkpoint can put the killed run's answers there.
func TestE2EKillResumeWithStore(t *testing.T) {
	const rows, workers = 6000, 16
	for _, lose := range []bool{false, true} {
		name := "same store"
		if lose {
			name = "store lost"
		}
		t.Run(name, func(t *testing.T) {
			srv, env := startSandbox(t, func(c *sandbox.Config) {
				c.QPS = 0
				c.Latency = 2 * time.Millisecond
				c.Jitter = time.Millisecond
				c.Validity = 72 * time.Hour
			})
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
			writeNumbers(t, in, rows)
			cache := filepath.Join(dir, "cache")
			args := []string{"encrypt", "--endpoint", srv.Addr(), "--qps", "3000", "--workers", fmt.Sprint(workers), "--progress", "none",
				"--cache", cache, "--min-validity", reuseValidity(), in, "-o", out}
			killAtBilled(t, srv, env, args, rows/2)
			killedAt := srv.Sandbox().Stats().Requests
			if killedAt >= rows {
				t.Fatalf("the job made %d calls before the kill: it was not killed part way", killedAt)
			}
			if lose {
				if err := os.RemoveAll(cache); err != nil {
					t.Fatal(err)
				}
			}
			r := runBin(t, env, args...)
			if r.code != 0 || !strings.Contains(r.stderr, "resuming") {
				t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
			}
			resumed := checkAllOK(t, out, rows, nil)
			st := srv.Sandbox().Stats()
			if st.Requests > rows+workers {
				t.Errorf("%d calls on the wire for %d rows and one kill of at most %d in flight", st.Requests, rows, workers)
			}

			third := filepath.Join(dir, "third.csv")
			r = runBin(t, env, "encrypt", "--endpoint", srv.Addr(), "--qps", "0", "--progress", "none", "--no-checkpoint",
				"--cache", cache, "--min-validity", reuseValidity(), in, "-o", third)
			if r.code != 0 {
				t.Fatalf("third run: exit %d\n%s", r.code, r.stderr)
			}
			if calls := srv.Sandbox().Stats().Requests - st.Requests; calls != 0 {
				t.Errorf("third run made %d calls: the store lacks answers the first two runs received", calls)
			}
			// The store's answers are the resumed output's: same 140 number and expiry.
			rows3 := checkAllOK(t, third, rows, resumed)
			for i := 1; i <= rows; i++ {
				if rows3[i][colSource] != "cache" || rows3[i][colExpire] != resumed[i][colExpire] {
					t.Fatalf("third run row %d = %q; resumed run gave %q", i, rows3[i], resumed[i])
				}
			}
			t.Logf("killed at %d calls; %d calls over both runs for %d rows; third run 0 calls", killedAt, st.Requests, rows)
		})
	}
}
