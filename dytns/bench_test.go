package dytns

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncrypt measures a full call against a trivial loopback handler. The
// "cpu-µs/call" metric is process CPU (client and in-process server together).
func BenchmarkEncrypt(b *testing.B) {
	body := []byte(`{"RequestId":"R","Code":"OK","Message":"OK","Data":[{"EncryptedNumber":"14005131234","ExpireTime":"2030-05-27 16:05:23","OutId":"o"}]}`)
	trivial := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	for _, mode := range []struct {
		name     string
		parallel bool
	}{{"serial", false}, {"parallel", true}} {
		b.Run(mode.name, func(b *testing.B) {
			c, _ := newTestClient(b, trivial, nil)
			req := Request{Number: testNumber, OutID: "o"}
			if _, err := c.Encrypt(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			if mode.parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := c.Encrypt(context.Background(), req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					if _, err := c.Encrypt(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			}
			el, cpu := time.Since(start), cpuTime()-cpu0
			b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
		})
	}
}
