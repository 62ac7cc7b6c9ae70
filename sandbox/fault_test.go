package sandbox

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// runDirect sends n signed calls straight into the handler and returns the
// codes answered ("HTML503" for the load-balancer page).
func runDirect(t *testing.T, sb *Sandbox, c *clock, n int) []string {
	t.Helper()
	codes := make([]string, 0, n)
	for range n {
		p := sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)
		req := httptest.NewRequest(http.MethodGet, "/?"+p.Encode(), nil)
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		body := rec.Body.String()
		switch {
		case rec.Code == 503 && strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") && strings.Contains(body, "<html>"):
			codes = append(codes, "HTML503")
		case rec.Code == 500 && strings.Contains(body, `"Code":"InternalError"`):
			codes = append(codes, codeInternal)
		case rec.Code == 500 && strings.Contains(body, `"Code":"RequestTimeout"`):
			codes = append(codes, codeTimeout)
		case rec.Code == 200 && strings.Contains(body, `"Code":"OK"`):
			codes = append(codes, "OK")
		default:
			t.Fatalf("unexpected answer %d %s", rec.Code, body)
		}
	}
	return codes
}

func TestFaultRates(t *testing.T) {
	const n = 2000
	c := newClock(fixedTime)
	cfg := fixedConfig(c)
	cfg.QPS = 0
	cfg.FaultInternal, cfg.FaultTimeout, cfg.FaultUnavailable = 0.10, 0.05, 0.20
	cfg.Seed = 42
	sb := New(cfg)
	codes := runDirect(t, sb, c, n)
	count := map[string]int{}
	for _, code := range codes {
		count[code]++
	}
	// ±6 standard deviations: never flakes, still catches a wrong rate.
	tests := []struct {
		code string
		p    float64
	}{{codeInternal, 0.10}, {codeTimeout, 0.05}, {"HTML503", 0.20}, {"OK", 0.65}}
	for _, tc := range tests {
		mean := tc.p * n
		sd := math.Sqrt(n * tc.p * (1 - tc.p))
		if got := float64(count[tc.code]); got < mean-6*sd || got > mean+6*sd {
			t.Errorf("%s: %v of %d, want %.0f±%.0f", tc.code, got, n, mean, 6*sd)
		}
	}
	st := sb.Stats()
	if st.Billed != uint64(count["OK"]) || st.Failures[codeUnavailable] != uint64(count["HTML503"]) || st.Failures[codeInternal] != uint64(count[codeInternal]) {
		t.Errorf("stats %+v vs %v", st, count)
	}

	// The same seed replays the same sequence.
	again := runDirect(t, New(cfg), c, 300)
	for i := range again {
		if codes[i] != again[i] {
			t.Fatalf("seed 42 not reproducible at call %d: %s vs %s", i, codes[i], again[i])
		}
	}
	cfg.Seed = 43
	other := runDirect(t, New(cfg), c, 300)
	same := 0
	for i := range other {
		if codes[i] == other[i] {
			same++
		}
	}
	if same == len(other) {
		t.Error("seed 43 gave the same sequence as seed 42")
	}
}

func TestFaultReset(t *testing.T) {
	c := newClock(fixedTime)
	cfg := fixedConfig(c)
	cfg.FaultReset = 1
	sb, ts := serve(t, cfg)
	p := sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)
	resp, err := http.Get(ts.URL + "/?" + p.Encode())
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %s, want a transport error", resp.Status)
	}
	if st := sb.Stats(); st.Failures[codeReset] != 1 || st.Billed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultSlow(t *testing.T) {
	t.Run("answers after the delay and is billed", func(t *testing.T) {
		c := newClock(fixedTime)
		cfg := fixedConfig(c)
		cfg.FaultSlow = 1
		cfg.SlowDelay = 50 * time.Millisecond
		sb, ts := serve(t, cfg)
		start := time.Now()
		checkOK(t, doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret))), "13800138000", "")
		if el := time.Since(start); el < cfg.SlowDelay {
			t.Errorf("answered after %v, before the slow delay %v", el, cfg.SlowDelay)
		}
		if st := sb.Stats(); st.Slow != 1 || st.Billed != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("client gone: not billed, handler returns", func(t *testing.T) {
		c := newClock(fixedTime)
		cfg := fixedConfig(c)
		cfg.FaultSlow = 1
		cfg.SlowDelay = time.Hour
		sb, ts := serve(t, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		req := newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)).WithContext(ctx)
		errc := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		waitFor(t, func() bool { return sb.Stats().Slow == 1 })
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("client error %v", err)
		}
		// The handler notices the closed connection and stops waiting; a
		// handler stuck for an hour would fail here (and block ts.Close).
		waitFor(t, func() bool { return sb.Stats().Canceled == 1 })
		if st := sb.Stats(); st.Billed != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestLatencyHonoursCancel(t *testing.T) {
	c := newClock(fixedTime)
	cfg := fixedConfig(c)
	cfg.Latency = time.Hour
	sb, ts := serve(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	req := newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)).WithContext(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			t.Error("answer despite an hour of latency")
		}
	}()
	waitFor(t, func() bool { return sb.Stats().Requests == 1 })
	cancel()
	<-done
	waitFor(t, func() bool { return sb.Stats().Canceled == 1 })
}

// waitFor polls cond; the deadline only bounds a hung test, it asserts no timing.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 20 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
