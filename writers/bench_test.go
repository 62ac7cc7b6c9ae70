package writers

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchRow builds a realistic 12-column output row: input cells, the phone
// column, then the result columns.
func benchRow(i int) []string {
	return []string{
		strconv.Itoa(i), "张三丰", "13912345678", "北京市朝阳区某某路 " + strconv.Itoa(i%1000) + " 号",
		"12.5", "0012", "备注 =x", "2024-01-02",
		"14000000001", "OK", "请求成功", "2026-11-27T10:00:00+08:00",
	}
}

var benchHeader = []string{"序号", "姓名", "手机号", "地址", "金额", "编码", "备注", "日期", "140号码", "Code", "Message", "Expires"}

func benchWrite(b *testing.B, name string, rows int) {
	dir := b.TempDir()
	row := benchRow(7)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		s, err := Create(filepath.Join(dir, name), benchHeader, Options{BOM: true, TextColumns: []int{2, 8, 9, 10, 11}, TmpDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < rows; i++ {
			if err := s.WriteRow(row); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(&Summary{Title: "bench", Codes: []CodeCount{{"OK", int64(rows)}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVWrite(b *testing.B)   { benchWrite(b, "bench.csv", 100_000) }
func BenchmarkXLSXWrite(b *testing.B)  { benchWrite(b, "bench.xlsx", 100_000) }
func BenchmarkJSONLWrite(b *testing.B) { benchWrite(b, "bench.jsonl", 100_000) }

// TestXLSXPeakMemory reports the peak heap while writing WRITERS_MEM_ROWS rows
// (e.g. 100000 and 1000000) to show the XLSX writer's memory stays flat.
// Opt-in because a million rows take a while.
func TestXLSXPeakMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WRITERS_MEM_ROWS"))
	if n <= 0 {
		t.Skip("set WRITERS_MEM_ROWS to run")
	}
	dir := t.TempDir()
	var peakHeap, peakSys, earlyHeap atomic.Uint64 // early: before a tenth of the rows
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			if ms.Sys > peakSys.Load() {
				peakSys.Store(ms.Sys)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	s, err := Create(filepath.Join(dir, "mem.xlsx"), benchHeader, Options{TextColumns: []int{2, 8, 9, 10, 11}, TmpDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if i == n/10 {
			earlyHeap.Store(peakHeap.Load())
		}
		if err := s.WriteRow(benchRow(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(&Summary{Title: "mem"}); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	fi, err := os.Stat(filepath.Join(dir, "mem.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows in %v: file %.1f MiB, peak HeapInuse %.1f MiB, peak Sys %.1f MiB",
		n, time.Since(start).Round(time.Millisecond), float64(fi.Size())/(1<<20),
		float64(peakHeap.Load())/(1<<20), float64(peakSys.Load())/(1<<20))
	// Flat: the rows after the first tenth add no more than GC noise.
	if early := earlyHeap.Load(); early > 0 && peakHeap.Load() > 2*early+32<<20 {
		t.Errorf("peak HeapInuse %.1f MiB, %.1f MiB after a tenth of the rows: it grows with the rows",
			float64(peakHeap.Load())/(1<<20), float64(early)/(1<<20))
	}
}
