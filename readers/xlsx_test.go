package readers

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// makeWorkbook writes the kind of workbook analysts send: a hidden lookup sheet
// first, a title row, the header on row 3, phones stored as numbers with an
// E+ format, an E+ text cell, formulas with and without a cached value, merged
// cells, a blank row inside and styled empty rows at the end.
func makeWorkbook(t testing.TB, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "下拉选项"))
	_, err := f.NewSheet("客户名单")
	must(err)
	f.SetActiveSheet(1) // excelize will not hide the active sheet
	must(f.SetSheetVisible("下拉选项", false))
	must(f.SetCellStr("下拉选项", "A1", "13000000000"))
	const s = "客户名单"
	sci := "0.00E+00"
	sciStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &sci})
	must(err)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	intStyle, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	must(err)

	must(f.SetCellStr(s, "A1", "2024年客户联系电话清单"))
	must(f.MergeCell(s, "A1", "E1"))
	must(f.SetSheetRow(s, "A3", &[]any{"姓名", "金额", "手机号", "日期", "备注"}))
	// Row 4: phone stored as a number, displayed as 1.39E+10.
	must(f.SetSheetRow(s, "A4", &[]any{"张三", 1234.5, 13912345678, 45292, "ok"}))
	must(f.SetCellStyle(s, "C4", "C4", sciStyle))
	must(f.SetCellStyle(s, "B4", "B4", intStyle))
	must(f.SetCellStyle(s, "D4", "D4", dateStyle))
	// Row 5: text already mangled by a CSV round trip.
	must(f.SetSheetRow(s, "A5", &[]any{"李四", nil, "1.39E+10"}))
	// Row 6: formula with a cached value.
	must(f.SetCellStr(s, "A6", "王五"))
	must(f.SetCellFormula(s, "C6", `"138"&"00000000"`))
	must(f.SetCellStr(s, "C6", "13800000000"))
	// Row 7: formula never calculated, followed by more cells.
	must(f.SetCellStr(s, "A7", "赵六"))
	must(f.SetCellFormula(s, "C7", `"137"&"00000000"`))
	must(f.SetCellStr(s, "E7", "no cache"))
	// Row 8 is blank. Row 9: merged name across A:B.
	must(f.SetCellStr(s, "A9", "合并"))
	must(f.MergeCell(s, "A9", "B9"))
	must(f.SetCellInt(s, "C9", 13600000000))
	// Row 10: an empty phone cell before other content (not a formula).
	must(f.SetSheetRow(s, "A10", &[]any{"空", nil, nil, nil, "x"}))
	// Rows 11-12: formatting only.
	must(f.SetCellStyle(s, "A11", "E12", intStyle))

	p := filepath.Join(dir, "orders.xlsx")
	must(f.SaveAs(p))
	return p
}

func TestXLSXWorkbook(t *testing.T) {
	p := makeWorkbook(t, t.TempDir())
	src, err := Open(p, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer src.Close()
	wantDesc := p + ", sheet 客户名单, header row 3, phone column C (手机号)"
	if src.Describe() != wantDesc {
		t.Errorf("Describe = %q, want %q", src.Describe(), wantDesc)
	}
	if h := src.Header(); !reflect.DeepEqual(h, []string{"姓名", "金额", "手机号", "日期", "备注"}) {
		t.Errorf("Header = %q", h)
	}
	rows := readAll(t, src)
	if got, want := lines(rows), []int{4, 5, 6, 7, 8, 9, 10}; !reflect.DeepEqual(got, want) {
		t.Fatalf("lines = %v, want %v", got, want)
	}
	if got, want := phones(rows), []string{"13912345678", "1.39E+10", "13800000000", "", "", "13600000000", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("phones = %q, want %q", got, want)
	}
	r4 := rows[0]
	if r4.Cells[2] != "13912345678" {
		t.Errorf("E+ formatted number echoed as %q, want digits", r4.Cells[2])
	}
	if r4.Cells[1] != "1234.5" {
		t.Errorf("rounded #,##0 number echoed as %q, want raw 1234.5", r4.Cells[1])
	}
	if r4.Cells[3] == "45292" || !strings.Contains(r4.Cells[3], "24") {
		t.Errorf("date echoed as %q, want formatted date", r4.Cells[3])
	}
	if r4.Sheet != "客户名单" || r4.Index != 0 {
		t.Errorf("row 4: sheet %q index %d", r4.Sheet, r4.Index)
	}
	for i, r := range rows {
		if i == 3 {
			continue
		}
		if r.Err != nil {
			t.Errorf("line %d: unexpected Err %v", r.Line, r.Err)
		}
	}
	if e := rows[3].Err; e == nil || !strings.Contains(e.Error(), "C7") || !errors.Is(e, errNoCache) {
		t.Errorf("formula without cache: Err = %v, want one naming C7", e)
	}
	if rows[5].Cells[0] != "合并" || rows[5].Cells[1] != "" {
		t.Errorf("merged cells = %q, want value in the top-left only", rows[5].Cells[:2])
	}
	if n, code, _ := NormalizePhone(rows[1].Phone); code != CodePrecisionLost {
		t.Errorf("1.39E+10 text normalised to %q %q, want precision lost", n, code)
	}
}

func TestXLSXOptions(t *testing.T) {
	dir := t.TempDir()
	p := makeWorkbook(t, dir)
	tests := []struct {
		name     string
		opts     Options
		wantErr  string
		phoneCol int
		first    string
	}{
		{"hidden sheet chosen explicitly", Options{Sheet: "下拉选项", Column: "A"}, "", 0, ""},
		{"sheet name case-insensitive", Options{Sheet: "客户名单", HeaderRow: 3, Column: "手机号"}, "", 2, "13912345678"},
		{"unknown sheet lists sheets", Options{Sheet: "Sheet9"}, `no sheet "Sheet9"; the workbook has: 下拉选项, 客户名单`, 0, ""},
		{"column letter", Options{Column: "C"}, "", 2, "13912345678"},
		{"out id column", Options{OutIDColumn: "姓名"}, "", 2, "13912345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Open(p, tt.opts)
			if tt.wantErr != "" {
				var in *InputError
				if err == nil || !errors.As(err, &in) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want InputError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.PhoneColumn() != tt.phoneCol {
				t.Errorf("PhoneColumn = %d, want %d", src.PhoneColumn(), tt.phoneCol)
			}
			rows := readAll(t, src)
			if tt.first != "" && (len(rows) == 0 || rows[0].Phone != tt.first) {
				t.Errorf("first phone = %v, want %q", phones(rows), tt.first)
			}
			if tt.opts.OutIDColumn != "" && rows[0].OutID != "张三" {
				t.Errorf("OutID = %q", rows[0].OutID)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
	good, err := os.ReadFile(makeWorkbook(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file     string
		data     []byte
		contains string
	}{
		// A compound file is read as .xls whatever its name (xls_test.go has
		// real ones); one with nothing valid in it is damaged.
		{"old.xls", ole, "damaged or truncated binary Excel/WPS workbook"},
		{"old.et", []byte("anything"), "no phone column found"}, // text under a workbook name is read as text
		{"locked.xlsx", ole, "damaged or truncated"},
		{"cut.xlsx", good[:len(good)/2], "not a readable .xlsx"},
		{"empty.xlsx", nil, "file is empty"},
		{"junk.xlsx", []byte("this is not a zip"), "not a readable .xlsx"},
		{"noext", ole, "damaged or truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := writeFile(t, dir, tt.file, tt.data)
			src, err := Open(p, Options{})
			if err == nil {
				src.Close()
				t.Fatal("Open succeeded")
			}
			var in *InputError
			if !errors.As(err, &in) || in.Path != p {
				t.Fatalf("err %T %v: want *InputError for %s", err, err, p)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestXLSXRenamedAsCSVAndUnknownExtension(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(makeWorkbook(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"export.csv", "export.dat", "export.xls"} {
		p := writeFile(t, dir, name, good)
		src, err := Open(p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(src.Describe(), "sheet 客户名单") {
			t.Errorf("%s: Describe = %q", name, src.Describe())
		}
		src.Close()
	}
}

func TestLosesDigits(t *testing.T) {
	tests := []struct {
		raw, formatted string
		want           bool
	}{
		{"13912345678", "1.39E+10", true},
		{"13912345678", "13912345678", false},
		{"13912345678", "139-1234-5678", false},
		{"1234.5", "1,235", true},
		{"0.125", "12.50%", false},
		{"45292", "01-01-24", false},
		{"45292.5", "2024/1/1 12:00", false},
		{"1", "TRUE", false},
		{"8613912345678901", "8.61391234567890E+15", true},
		{"-1234", "-1,234", false},
		{"abc", "abc", false},
		{"1.3912345678E10", "1.39E+10", true},
	}
	for _, tt := range tests {
		if got := losesDigits(tt.raw, tt.formatted); got != tt.want {
			t.Errorf("losesDigits(%q, %q) = %v, want %v", tt.raw, tt.formatted, got, tt.want)
		}
	}
	if got := plainNumber("1.3912345678E10"); got != "13912345678" {
		t.Errorf("plainNumber = %q", got)
	}
}

func TestXLSXCloseEarlyAndLockstep(t *testing.T) {
	p := genXLSXFile(t, 3*batchRows+7)
	src, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	// Producers are now blocked on full channels; Close must stop them.
	if err := src.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// The single-goroutine mode (used when excelize spills shared strings) must
	// yield exactly what the two-goroutine mode yields.
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	collect := func(run func(fmtCh, rawCh chan rowBatch, stop chan struct{})) (fmtRows, rawRows [][]string) {
		fmtCh, rawCh, stop := make(chan rowBatch, 2), make(chan rowBatch, 2), make(chan struct{})
		go run(fmtCh, rawCh, stop)
		fp, rp := &prefetch{ch: fmtCh}, &prefetch{ch: rawCh}
		for {
			a, ok1 := fp.next()
			b, ok2 := rp.next()
			if !ok1 || !ok2 {
				if ok1 != ok2 || fp.err != nil || rp.err != nil {
					t.Fatalf("streams ended unevenly: %v %v %v %v", ok1, ok2, fp.err, rp.err)
				}
				return fmtRows, rawRows
			}
			fmtRows, rawRows = append(fmtRows, a), append(rawRows, b)
		}
	}
	iter := func() *excelize.Rows {
		r, err := f.Rows("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	a, b, c, d := iter(), iter(), iter(), iter()
	f1, r1 := collect(func(fc, rc chan rowBatch, stop chan struct{}) {
		go produce(a, nil, fc, stop)
		produce(b, []excelize.Options{rawOpts}, rc, stop)
	})
	f2, r2 := collect(func(fc, rc chan rowBatch, stop chan struct{}) {
		produceLockstep(c, d, fc, rc, stop)
	})
	if len(f1) != 3*batchRows+8 || !reflect.DeepEqual(f1, f2) || !reflect.DeepEqual(r1, r2) {
		t.Fatalf("modes differ: %d/%d formatted rows, %d/%d raw rows", len(f1), len(f2), len(r1), len(r2))
	}
}
