package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"dytnsbatch/checkpoint"
	"dytnsbatch/dytns"
)

// Two jobs of one run share one RunAnswers: a number answered OK in the first file
// costs no call in the second, a number that failed there is called again, and
// the second file's rows say where their answer came from.
func TestRunAnswersShareOKAnswersAcrossJobs(t *testing.T) {
	api := newFakeAPI()
	api.failures["13900000002"] = []error{&dytns.Error{Code: "isv.PHONE_NUMBER_ERROR", Message: "bad", Class: dytns.Permanent}}
	shared := NewRunAnswers()
	run := func(name string, phones []string) *memSink {
		t.Helper()
		out := &memSink{}
		cfg := baseConfig(newSliceSource(phones), out, api)
		cfg.Shared, cfg.Name = shared, name
		if o := Run(context.Background(), cfg); o.Stop != Completed {
			t.Fatalf("%s: stopped %v: %v", name, o.Stop, o.Err)
		}
		return out
	}
	run("a.csv", []string{"13900000001", "13900000002", "13900000003"})
	if got := api.total.Load(); got != 3 {
		t.Fatalf("first file: %d calls, want 3", got)
	}
	if shared.size() != 2 {
		t.Fatalf("shared answers: %d, want 2 (the failed number is not shared)", shared.size())
	}
	out := run("b.xlsx", []string{"13900000003", "13900000004", "13900000002", "13900000003"})
	if got := api.total.Load(); got != 5 {
		t.Fatalf("after the second file: %d calls, want 5 (13900000004 new, 13900000002 failed before)", got)
	}
	if n := api.callsFor("13900000003"); n != 1 {
		t.Fatalf("13900000003 called %d times across the files, want 1", n)
	}
	first := out.rows[0]
	if first[colCode] != CodeOK || first[colEncrypted] != "14000000003" {
		t.Fatalf("shared row: %q", first)
	}
	if want := "same number as row 4 of a.csv"; !strings.Contains(first[colMessage], want) {
		t.Fatalf("shared row message %q, want it to contain %q", first[colMessage], want)
	}
	if src := first[colAttempts+1]; src != SourceDedupe {
		t.Fatalf("shared row source %q, want %q", src, SourceDedupe)
	}
	if last := out.rows[3]; last[colEncrypted] != "14000000003" || last[colAttempts+1] != SourceDedupe {
		t.Fatalf("repeat within the second file: %q", last)
	}
}

// A resumed job shares the answers its checkpoint already holds (rows finished
// before the kill), not only those of its new calls.
func TestRunAnswersShareResumedAnswers(t *testing.T) {
	api := newFakeAPI()
	phones := []string{"13900000001", "13900000002", "13900000003", "13900000004"}
	rec := newMemRecorder()
	cfg := baseConfig(newSliceSource(phones), &memSink{}, api)
	cfg.Recorder = rec
	ctx, cancel := context.WithCancel(context.Background())
	api.onCall = func(n int64) {
		if n == 2 {
			cancel()
		}
	}
	cfg.Workers = 1
	Run(ctx, cfg)
	api.onCall = nil
	done := api.total.Load()
	if done == 0 || done >= int64(len(phones)) {
		t.Fatalf("first attempt made %d calls; the test needs a partial run", done)
	}

	shared := NewRunAnswers()
	cfg = baseConfig(newSliceSource(phones), &memSink{}, api)
	cfg.Recorder, cfg.Resume = rec, rec.resume(phones)
	cfg.Shared, cfg.Name = shared, "a.csv"
	if o := Run(context.Background(), cfg); o.Stop != Completed {
		t.Fatalf("resume stopped %v: %v", o.Stop, o.Err)
	}
	if shared.size() != len(phones) {
		t.Fatalf("after the resume %d numbers are shared, want %d (recorded and new)", shared.size(), len(phones))
	}
	before := api.total.Load()
	cfg = baseConfig(newSliceSource(phones), &memSink{}, api)
	cfg.Shared, cfg.Name = shared, "b.csv"
	if o := Run(context.Background(), cfg); o.Stop != Completed {
		t.Fatalf("second file stopped %v: %v", o.Stop, o.Err)
	}
	if n := api.total.Load() - before; n != 0 {
		t.Fatalf("second file made %d calls, want 0", n)
	}
}

// BenchmarkRunAnswers measures the table's cost per distinct number: the time of a
// remember and a lookup, and the heap it holds (bytes/number), which a run of many
// files keeps until its end.
func BenchmarkRunAnswers(b *testing.B) {
	const n = 1_000_000
	res := checkpoint.Result{Code: CodeOK, EncryptedNumber: "14000000000", ExpireTime: "2026-12-09 08:00:00"}
	nums := make([]string, n)
	for i := range nums {
		nums[i] = fmt.Sprintf("139%08d", i)
	}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		a := NewRunAnswers()
		a.file("a.csv")
		for i, num := range nums {
			a.remember(num, 0, int64(i+2), res)
		}
		for _, num := range nums {
			if _, _, ok := a.lookup(num); !ok {
				b.Fatal("lost an answer")
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/number")
		runtime.KeepAlive(a)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*n), "ns/op-per-number")
}

// A finished job must not stay reachable from the run's context: a run of many
// files keeps one context for all of them, and each job's dedupe table and sink
// would otherwise pile up until the run ends.
func TestReleasedRunnerIsNotHeldByTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := withDefaults(baseConfig(newSliceSource(nil), &memSink{}, newFakeAPI()))
	cfg.MaxDuration = time.Hour
	r, release := newRunner(ctx, cfg)
	held := weak.Make(r)
	release()
	r = nil
	for range 3 {
		runtime.GC()
	}
	if held.Value() != nil {
		t.Fatal("the runner is still reachable after release: the context (or the deadline timer) holds it")
	}
}
