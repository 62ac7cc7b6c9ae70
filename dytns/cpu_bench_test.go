package dytns

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchServerEnv makes the test binary act as the benchmark's HTTP server: running the
// server in a child process keeps its CPU out of the parent's rusage, so
// BenchmarkEncryptCPU reports the client's CPU alone.
const benchServerEnv = "DYTNS_BENCH_SERVER_LATENCY"

// TestBenchServerChild is the child half of BenchmarkEncryptCPU; it does nothing in a
// normal test run.
func TestBenchServerChild(t *testing.T) {
	lat := os.Getenv(benchServerEnv)
	if lat == "" {
		t.Skip("only runs as BenchmarkEncryptCPU's server process")
	}
	d, err := time.ParseDuration(lat)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	go func() {
		// The parent closes our stdin when it is done.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(0)
	}()
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		echoHandler(w, r)
	}))
}

func startBenchServer(b *testing.B, latency time.Duration) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServerChild$", "-test.v")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+latency.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { // drain the rest so the child never blocks on a full pipe
				for sc.Scan() {
				}
			}()
			return addr
		}
	}
	b.Fatalf("benchmark server child printed no address: %v", sc.Err())
	return ""
}

// BenchmarkEncryptCPU: 32 concurrent callers against a server in a separate process
// that answers after 20 ms, like the real service but closer. The
// "client-cpu-µs/call" metric (user+sys of this process only) is the figure to watch.
// The sub-benchmarks compare connTransport with the shared net/http Transport.
//
//	go test -run '^$' -bench EncryptCPU -benchtime 10000x -count 3 ./dytns/
func BenchmarkEncryptCPU(b *testing.B) {
	addr := startBenchServer(b, 20*time.Millisecond)
	for _, own := range []bool{true, false} {
		name := "transport=conn"
		if !own {
			name = "transport=shared"
		}
		b.Run(name, func(b *testing.B) { benchEncryptCPU(b, addr, own) })
	}
}

func benchEncryptCPU(b *testing.B, addr string, ownConns bool) {
	const workers = 32
	c, err := New(Config{Endpoint: addr, AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret, UserAgent: "dytnsbatch/bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.ownConns = ownConns
	// Warm up: one SDK client and one connection per worker.
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: "warm"}); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	start, cpu0 := time.Now(), cpuTime()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				num := fmt.Sprintf("139%08d", i%100000000)
				resp, err := c.Encrypt(context.Background(), Request{Number: num, OutID: "r"})
				if err != nil {
					b.Error(err)
					return
				}
				if resp.EncryptedNumber != fakeEncrypted(num) {
					b.Errorf("call %d: got %q", i, resp.EncryptedNumber)
					return
				}
			}
		}()
	}
	wg.Wait()
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "client-cpu-µs/call")
}
