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
	var peak uint64
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
		}
	}
	spilled := src.(*table).rr.(*xlsxReader).sstSpilled()
	t.Logf("%d rows, peak live heap %.1f MiB, shared strings spilled to disk: %v", rows, float64(peak)/(1<<20), spilled)
}
