package checkpoint

import (
	"bufio"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

func BenchmarkJournal(b *testing.B) {
	c := mustOpen(b, filepath.Join(b.TempDir(), "job.ckpt"), testMeta(), false)
	defer mustClose(b, c)
	var next atomic.Int64
	r := realistic(0)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := r
		for pb.Next() {
			r.Index = next.Add(1)
			if err := c.Journal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkSpool(b *testing.B) {
	c := mustOpen(b, filepath.Join(b.TempDir(), "job.ckpt"), testMeta(), false)
	defer mustClose(b, c)
	r := realistic(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Index = int64(i)
		if err := c.Spool(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkOpenScan1M opens a checkpoint of 1,000,000 rows (a J and an S record
// each, with a window of 100 journaled rows beyond the prefix). Run with
// -benchtime=3x: building the ~230 MB file takes a few seconds per round.
func BenchmarkOpenScan1M(b *testing.B) {
	const rows, window = 1_000_000, 100
	path := filepath.Join(b.TempDir(), "big.ckpt")
	c := mustOpen(b, path, testMeta(), false)
	mustClose(b, c)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for i := int64(0); i < rows+window; i++ {
		r := realistic(i)
		buf = appendResultRecord(buf[:0], recJournal, &r)
		if i >= window {
			r := realistic(i - window)
			buf = appendResultRecord(buf, recSpool, &r)
		}
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c := mustOpen(b, path, testMeta(), false)
		if c.Spooled() != rows || len(c.Pending()) != window || c.TornBytes() != 0 {
			b.Fatalf("Spooled %d Pending %d Torn %d", c.Spooled(), len(c.Pending()), c.TornBytes())
		}
		mustClose(b, c)
	}
}
