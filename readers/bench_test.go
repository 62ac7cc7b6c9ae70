package readers

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

const benchRows = 100_000

func genCSV(b *testing.B, n int) string {
	p := filepath.Join(b.TempDir(), "big.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "\ufeff序号,姓名,手机号,备注\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "%d,客户%d,139%08d,\"备注, 第%d行\"\r\n", i+1, i, i, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

func genXLSX(b *testing.B, n int) string { return genXLSXFile(b, n) }

func genXLSXFile(b testing.TB, n int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "big.xlsx")
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"序号", "姓名", "手机号", "备注"}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		// Phone as a number, the way Excel stores a typed-in mobile.
		if err := sw.SetRow(cell, []any{i + 1, fmt.Sprintf("客户%d", i), 13900000000 + i, "备注"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		b.Fatal(err)
	}
	return p
}

func benchRead(b *testing.B, p string) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := Open(p, Options{TmpDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			r, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if r.Phone == "" {
				b.Fatalf("line %d: empty phone", r.Line)
			}
			n++
		}
		src.Close()
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVRead(b *testing.B)  { benchRead(b, genCSV(b, benchRows)) }
func BenchmarkXLSXRead(b *testing.B) { benchRead(b, genXLSX(b, benchRows)) }
