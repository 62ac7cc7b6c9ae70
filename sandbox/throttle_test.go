package sandbox

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestThrottleWindows(t *testing.T) {
	sec := fixedTime.Truncate(time.Second) // a wall-clock second boundary
	type step struct {
		at       time.Duration // offset from sec
		calls    int
		ok       int
		retryMax time.Duration // ≥ x-acs-retry-after of the refused calls (0: none refused)
		retryMin time.Duration
	}
	tests := []struct {
		window string
		code   string
		steps  []step
	}{
		{WindowFixed, DefaultThrottleCode, []step{
			{900 * time.Millisecond, 7, 5, 100 * time.Millisecond, 100 * time.Millisecond},
			// a new wall-clock second admits at once, although the first 5
			// were only 100 ms ago: fixed windows allow 2×QPS across a boundary.
			{1000 * time.Millisecond, 6, 5, time.Second, time.Second},
			{1999 * time.Millisecond, 1, 0, time.Millisecond, time.Millisecond},
			{2000 * time.Millisecond, 5, 5, 0, 0},
		}},
		{WindowSliding, "Throttling.User", []step{
			{900 * time.Millisecond, 7, 5, time.Second, time.Second},
			{1000 * time.Millisecond, 3, 0, 900 * time.Millisecond, 900 * time.Millisecond},
			// refused calls did not enter the window: exactly the 5 admitted
			// at +900 ms expire at +1900 ms.
			{1899 * time.Millisecond, 1, 0, time.Millisecond, time.Millisecond},
			{1900 * time.Millisecond, 6, 5, time.Second, time.Second},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.window, func(t *testing.T) {
			c := newClock(sec)
			cfg := fixedConfig(c)
			cfg.QPS = 5
			cfg.Window = tc.window
			cfg.ThrottleCode = tc.code
			cfg.AccessKeys = append(cfg.AccessKeys, AccessKey{ID: "other", Secret: "other-secret"})
			sb, ts := serve(t, cfg)
			wantThrottled := 0
			for _, st := range tc.steps {
				c.Set(sec.Add(st.at))
				ok := 0
				for range st.calls {
					r := doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)))
					if r.status == 200 {
						ok++
						continue
					}
					wantThrottled++
					if r.status != 400 || r.code() != tc.code {
						t.Fatalf("at +%v: %d %s", st.at, r.status, r.raw)
					}
					ms, err := strconv.Atoi(r.header.Get("x-acs-retry-after"))
					if err != nil || time.Duration(ms)*time.Millisecond < st.retryMin || time.Duration(ms)*time.Millisecond > st.retryMax {
						t.Errorf("at +%v: x-acs-retry-after %q, want %v..%v", st.at, r.header.Get("x-acs-retry-after"), st.retryMin, st.retryMax)
					}
				}
				if ok != st.ok {
					t.Errorf("at +%v: %d of %d admitted, want %d", st.at, ok, st.calls, st.ok)
				}
			}
			// Quotas are per AccessKeyId.
			r := doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params("other", c.Now()), "other-secret")))
			if r.status != 200 {
				t.Errorf("other key throttled: %s", r.raw)
			}
			if s := sb.Stats(); s.Throttled != uint64(wantThrottled) || s.Failures[tc.code] != uint64(wantThrottled) {
				t.Errorf("stats %+v, want %d throttled", s, wantThrottled)
			}
		})
	}
}

func TestLimiterUnlimited(t *testing.T) {
	for _, l := range []*limiter{nil, newLimiter(0, false), newLimiter(0, true)} {
		for range 10000 {
			if ok, _ := l.admit(fixedTime); !ok {
				t.Fatal("unlimited limiter refused")
			}
		}
	}
}

// The sliding window never admits more than QPS in any 1 s span, under a
// random arrival pattern.
func TestSlidingNeverExceeds(t *testing.T) {
	const qps = 10
	l := newLimiter(qps, true)
	var admitted []int64
	now := fixedTime.UnixNano()
	x := uint64(7)
	for range 5000 {
		x = splitmix64(x)
		now += int64(x % uint64(300*time.Millisecond/qps))
		if ok, _ := l.admit(time.Unix(0, now)); ok {
			admitted = append(admitted, now)
		}
	}
	for i := qps; i < len(admitted); i++ {
		if admitted[i]-admitted[i-qps] < int64(time.Second) {
			t.Fatalf("%d calls within %v", qps+1, time.Duration(admitted[i]-admitted[i-qps]))
		}
	}
	if len(admitted) < 100 {
		t.Fatalf("only %d admitted", len(admitted))
	}
}

// TestThrottleBurstAtFullQuota: 2000 concurrent valid requests inside one second at
// QPS 1000 get exactly 1000 answers OK and 1000 System.LimitControl, and the stats
// say so, for both window kinds.
func TestThrottleBurstAtFullQuota(t *testing.T) {
	for _, window := range []string{WindowFixed, WindowSliding} {
		t.Run(window, func(t *testing.T) {
			c := newClock(fixedTime.Truncate(time.Second).Add(300 * time.Millisecond))
			cfg := fixedConfig(c)
			cfg.QPS = 1000
			cfg.Window = window
			sb, ts := serve(t, cfg)
			codes := make(chan string, 2000)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 64)
			for i := range 2000 {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					p := params(DefaultAccessKeyID, c.Now())
					p.Set("InputNumber", "139"+strconv.Itoa(10000000+i))
					r := doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, p, DefaultAccessKeySecret)))
					codes <- r.code()
				}()
			}
			wg.Wait()
			close(codes)
			count := map[string]int{}
			for code := range codes {
				count[code]++
			}
			if count["OK"] != 1000 || count[DefaultThrottleCode] != 1000 {
				t.Errorf("answers = %v, want 1000 OK and 1000 %s", count, DefaultThrottleCode)
			}
			st := sb.Stats()
			if st.Billed != 1000 || st.Throttled != 1000 || st.Requests != 2000 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}
