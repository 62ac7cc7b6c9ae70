package readers

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestXLSXMemoryFlat is opt-in (READERS_BIG=rows) because it writes and reads a
// large workbook: the peak heap while streaming must not grow with the row count.
func TestXLSXMemoryFlat(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("READERS_BIG"))
	if n == 0 {
		t.Skip("set READERS_BIG=<rows> to run")
	}
	p := genXLSXFile(t, n)
	src, err := Open(p, Options{TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var peak, early uint64 // early: the peak over the first samples
	var ms runtime.MemStats
	rows := 0
	for {
		_, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		if rows%20000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			if rows <= 60000 {
				early = peak
			}
		}
	}
	spilled := src.(*table).rr.(*xlsxReader).sstSpilled()
	t.Logf("%d rows, peak live heap %.1f MiB (%.1f MiB over the first 60,000), shared strings spilled to disk: %v",
		rows, float64(peak)/(1<<20), float64(early)/(1<<20), spilled)
	if rows != n {
		t.Errorf("read %d rows of %d", rows, n)
	}
	if early > 0 && peak > 2*early+32<<20 {
		t.Errorf("peak live heap grew with the rows: %.1f MiB, %.1f MiB over the first 60,000", float64(peak)/(1<<20), float64(early)/(1<<20))
	}
}
