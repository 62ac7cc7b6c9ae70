package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkHandler measures signed PhoneNumberEncrypt calls per second
// through a real loopback server, from concurrent keep-alive clients.
// Client-side signing is included in the cost, as it is for real callers.
func BenchmarkHandler(b *testing.B) {
	cfg := DefaultConfig()
	cfg.QPS = 0
	srv, err := Start("127.0.0.1:0", cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := sign(http.MethodPost, params(DefaultAccessKeyID, time.Now()), DefaultAccessKeySecret)
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(encodeRFC3986(p)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	if st := srv.Sandbox().Stats(); st.Billed != uint64(b.N) {
		b.Errorf("billed %d of %d", st.Billed, b.N)
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkServeHTTP is the server's own CPU cost per call, without
// sockets or client-side signing.
func BenchmarkServeHTTP(b *testing.B) {
	cfg := DefaultConfig()
	cfg.QPS = 0
	sb := New(cfg)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		p := sign(http.MethodGet, params(DefaultAccessKeyID, time.Now()), DefaultAccessKeySecret)
		reqs[i], _ = http.NewRequest(http.MethodGet, "http://127.0.0.1/?"+p.Encode(), nil)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		clear(w.h)
		sb.ServeHTTP(w, reqs[i])
	}
	b.StopTimer()
	if st := sb.Stats(); st.Billed != uint64(b.N) {
		b.Errorf("billed %d of %d", st.Billed, b.N)
	}
}
