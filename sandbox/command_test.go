package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what Command writes from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCommandServesUntilCancelled(t *testing.T) {
	clearProxy(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- Command(ctx, []string{"--listen", "127.0.0.1:0", "--qps", "5", "--window", "sliding", "--auth-code", "a1,a2", "--auth-code", "a3"}, &stdout, &stderr)
	}()
	re := regexp.MustCompile(`encrypt --endpoint (127\.0\.0\.1:\d+) FILE`)
	var addr string
	waitFor(t, func() bool {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
			return true
		}
		select {
		case err := <-errc:
			t.Fatalf("Command returned early: %v\n%s", err, stderr.String())
		default:
		}
		return false
	})
	out := stdout.String()
	for _, want := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + DefaultAccessKeySecret, "DYTNS_AUTH_CODE=a1"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The announced endpoint works with the announced credentials, and the
	// flags took effect (a3 accepted).
	p := params(DefaultAccessKeyID, time.Now())
	p.Set("AuthCode", "a3")
	checkOK(t, doReq(t, nil, newRequest(t, "http://"+addr, viaForm, sign(http.MethodPost, p, DefaultAccessKeySecret))), "13800138000", "")

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Command: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Command did not stop after cancel")
	}
	if _, err := http.Get("http://" + addr + StatsPath); err == nil {
		t.Error("still serving after Command returned")
	}
}

func TestCommandUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		usage   bool   // want a UsageError
		inError string // substring of the error
	}{
		{"help", []string{"--help"}, false, ""},
		{"wildcard listen", []string{"--listen", "0.0.0.0:0"}, true, "loopback"},
		{"empty host listen", []string{"--listen", ":0"}, true, "loopback"},
		{"unknown flag", []string{"--nope"}, true, "nope"},
		{"bad window", []string{"--window", "rolling"}, true, "window"},
		{"bad error mode", []string{"--error-mode", "xml"}, true, "error mode"},
		{"bad throttle code", []string{"--throttle-code", "Busy"}, true, "throttle-code"},
		{"fault over 1", []string{"--fault-internal", "0.7", "--fault-reset", "0.5"}, true, "sum"},
		{"negative qps", []string{"--qps", "-1"}, true, "qps"},
		{"bad duration", []string{"--latency", "fast"}, true, "latency"},
		{"stray argument", []string{"extra"}, true, "extra"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a Command that wrongly starts returns at once
			var stdout, stderr bytes.Buffer
			err := Command(ctx, tc.args, &stdout, &stderr)
			if !tc.usage {
				if err != nil || !strings.Contains(stdout.String(), "-listen") || strings.Contains(stdout.String(), "listening") {
					t.Fatalf("err %v, usage %q", err, stdout.String())
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) || ue.ExitCode() != 2 || !strings.Contains(err.Error(), tc.inError) {
				t.Fatalf("err %v, want a UsageError mentioning %q", err, tc.inError)
			}
			if strings.Contains(stdout.String(), "listening") {
				t.Errorf("started despite usage error: %s", stdout.String())
			}
		})
	}
}

// --allow-remote skips the loopback check; an invalid port proves it
// without ever binding a non-loopback address in a test.
func TestCommandRemoteAllowed(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := Command(context.Background(), []string{"--listen", "0.0.0.0:99999", "--allow-remote"}, &stdout, &stderr)
	var ue *UsageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("err %v, want a listen error", err)
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:18080", true}, {"[::1]:0", true}, {"localhost:1", true}, {"127.8.9.1:0", true},
		{"0.0.0.0:0", false}, {":18080", false}, {"[::]:0", false}, {"192.168.1.5:80", false}, {"example.com:80", false}, {"nonsense", false},
	}
	for _, tc := range tests {
		if err := checkLoopback(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

func TestServerShutdownAbortsSlowCalls(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FaultSlow = 1
	cfg.SlowDelay = time.Hour
	srv, err := Start("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(newRequest(t, srv.URL(), viaQueryGET, sign(http.MethodGet, params(DefaultAccessKeyID, time.Now()), DefaultAccessKeySecret)))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, func() bool { return srv.Sandbox().Stats().Slow == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-errc; err == nil {
		t.Error("slow call answered instead of being aborted")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
}
