package readers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The .xls fixtures are written by LibreOffice (see testdata/README.md).
const (
	sampleXLS  = "../samples/customers.xls"
	sampleXLSX = "../samples/customers.xlsx"
	sourceXLS  = "testdata/xls_source.xls"
	passXLS    = "testdata/password.xls"
)

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openRows(t testing.TB, p string, opts Options) (Source, []Row) {
	t.Helper()
	src, err := Open(p, opts)
	if err != nil {
		t.Fatalf("Open %s: %v", p, err)
	}
	t.Cleanup(func() { src.Close() })
	return src, readAll(t, src)
}

// The .xls LibreOffice made from the XLSX sample reads exactly like the XLSX:
// same header, phone column, rows, lines, cells and raw phones.
func TestXLSMatchesXLSXSample(t *testing.T) {
	xs, xrows := openRows(t, sampleXLSX, Options{})
	ls, lrows := openRows(t, sampleXLS, Options{})
	if !reflect.DeepEqual(xs.Header(), ls.Header()) || xs.PhoneColumn() != ls.PhoneColumn() {
		t.Fatalf("header %q col %d, want %q col %d", ls.Header(), ls.PhoneColumn(), xs.Header(), xs.PhoneColumn())
	}
	if got, want := strings.TrimPrefix(ls.Describe(), sampleXLS), strings.TrimPrefix(xs.Describe(), sampleXLSX); got != want {
		t.Errorf("Describe %q, want %q", got, want)
	}
	if len(lrows) != len(xrows) || len(xrows) != 12 {
		t.Fatalf("%d rows from .xls, %d from .xlsx, want 12", len(lrows), len(xrows))
	}
	for i := range xrows {
		if !reflect.DeepEqual(lrows[i], xrows[i]) {
			t.Errorf("row %d:\n xls  %+v\n xlsx %+v", i, lrows[i], xrows[i])
		}
	}
	// And the normalised phones, what gets sent, agree.
	for i := range xrows {
		a, ac, _ := NormalizePhone(lrows[i].Phone)
		b, bc, _ := NormalizePhone(xrows[i].Phone)
		if a != b || ac != bc {
			t.Errorf("row %d: xls phone %q/%s, xlsx %q/%s", i, a, ac, b, bc)
		}
	}
	l, ok := LayoutOf(ls)
	if !ok || !l.XLS || l.Sheet != "客户名单" || l.HeaderRow != 2 || l.FirstLine != 3 {
		t.Errorf("layout %+v", l)
	}
	if _, err := OpenPhoneScanner(l, 0); !errors.Is(err, ErrNoScanner) {
		t.Errorf("OpenPhoneScanner on an .xls layout: %v, want ErrNoScanner", err)
	}
}

// Cell values of every kind in testdata/xls_source.xls (made from
// xls_source.xlsx by make_xls_source.go and LibreOffice).
func TestXLSCellValues(t *testing.T) {
	src, rows := openRows(t, sourceXLS, Options{})
	if !strings.Contains(src.Describe(), "sheet 名单, header row 2, phone column C (手机号)") {
		t.Errorf("Describe = %q (the hidden first sheet must be skipped, the title row too)", src.Describe())
	}
	want := [][]string{
		// 序号, 姓名, 手机号, 登记日期, 金额 (0.00), 证件号, 备注
		{"1", "张伟", "13812345678", "2026-11-05", "1234.50", "110101199001011234", "老客户"},
		{"2", "王芳", "13900001111", "2026-11-06 12:00:00", "0.10", "12345678901234568", ""},
		{"3", "李娜", "150-1234-5678", "", "-7.00", "", "文本号码"},
		{"4", "刘洋", "13700001111", "", "", "", "科学计数格式"},
		{"5", "陈静", "13812345678", "", "", "", "公式"},
	}
	wantPhone := []string{"13812345678", "13900001111", "150-1234-5678", "13700001111", "13812345678"}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if !reflect.DeepEqual(r.Cells, want[i]) {
			t.Errorf("row %d cells %q, want %q", i, r.Cells, want[i])
		}
		if r.Phone != wantPhone[i] || r.Line != i+3 || r.Index != int64(i) || r.Sheet != "名单" || r.Err != nil {
			t.Errorf("row %d: %+v", i, r)
		}
	}

	// --sheet, --column by letter, --header-row work as for XLSX.
	src2, rows2 := openRows(t, sourceXLS, Options{Sheet: "第二页", Column: "A", HeaderRow: 1})
	if src2.PhoneColumn() != 0 || len(rows2) != 2 || rows2[1].Cells[0] != "18600002222" || rows2[1].Line != 3 {
		t.Errorf("sheet 第二页: col %d rows %+v", src2.PhoneColumn(), rows2)
	}
	_, rows3 := openRows(t, sourceXLS, Options{Sheet: "说明", Column: "A", HeaderRow: 1})
	if len(rows3) != 0 {
		t.Errorf("hidden sheet by name: %+v", rows3)
	}
	_, rows4 := openRows(t, sourceXLS, Options{Column: "姓名", OutIDColumn: "序号"})
	if rows4[0].Phone != "张伟" || rows4[4].OutID != "5" {
		t.Errorf("--column 姓名 --outid-column 序号: %+v", rows4[0])
	}
	if _, err := Open(sourceXLS, Options{Sheet: "nope"}); err == nil || !strings.Contains(err.Error(), "no sheet \"nope\"; the workbook has: 说明, 名单, 第二页") {
		t.Errorf("unknown sheet: %v", err)
	}
}

// Detection goes by content: an .xls under any name is read as .xls, and an
// .xlsx named .xls is read as .xlsx.
func TestXLSDetectedByContent(t *testing.T) {
	dir := t.TempDir()
	_, ref := openRows(t, sampleXLS, Options{})
	for _, name := range []string{"customers.dat", "customers.csv", "customers.xlsx", "customers.et", "customers"} {
		p := writeFile(t, dir, name, mustRead(t, sampleXLS))
		_, rows := openRows(t, p, Options{})
		if !reflect.DeepEqual(rows, ref) {
			t.Errorf("%s: rows differ from the .xls", name)
		}
	}
	_, xref := openRows(t, sampleXLSX, Options{})
	p := writeFile(t, dir, "really-xlsx.xls", mustRead(t, sampleXLSX))
	if _, rows := openRows(t, p, Options{}); !reflect.DeepEqual(rows, xref) {
		t.Errorf("an .xlsx named .xls: rows differ from the .xlsx")
	}
	// Tab-separated text under an .xls name (web "Excel exports") is text.
	p = writeFile(t, dir, "export.xls", []byte("姓名\t手机号\r\n张三\t13912345678\r\n"))
	if _, rows := openRows(t, p, Options{}); len(rows) != 1 || rows[0].Phone != "13912345678" {
		t.Errorf("TSV named .xls: %+v", rows)
	}
	p = writeFile(t, dir, "page.xls", []byte("<html><table><tr><td>手机号</td></tr></table></html>"))
	if _, err := Open(p, Options{}); err == nil || !strings.Contains(err.Error(), "web page (HTML)") {
		t.Errorf("HTML named .xls: %v", err)
	}
}

// A password-protected or damaged file gives one *InputError naming the file
// and saying what to do, never a panic.
func TestXLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := mustRead(t, sampleXLS)
	stream, err := cfbWorkbook(good)
	if err != nil {
		t.Fatal(err)
	}
	noBook := wrapCFB(stream)
	dirAt := 512 * (1 + int(binary.LittleEndian.Uint32(noBook[48:])))
	if name := noBook[dirAt+128 : dirAt+128+16]; !bytes.Equal(name, []byte("W\x00o\x00r\x00k\x00b\x00o\x00o\x00k\x00")) {
		t.Fatalf("second directory entry is %q, want Workbook", name)
	}
	noBook[dirAt+128+14] = 'x' // "Workboox"
	// A password-protected .xlsx is a compound file with an EncryptedPackage
	// stream (LibreOffice would not write one, so the name is patched in).
	lockedXLSX := wrapCFB(stream)
	copy(lockedXLSX[dirAt+128:dirAt+128+64], append(wideChars("EncryptedPackage"), 0, 0))
	binary.LittleEndian.PutUint16(lockedXLSX[dirAt+128+64:], 34)
	biff5 := bytes.Clone(stream)
	biff5[4], biff5[5] = 0x00, 0x05
	noEOF := bytes.Clone(stream)
	for i := 0; i+4 <= len(noEOF); i += 2 { // turn every EOF record into an unknown one
		if noEOF[i] == 0x0A && noEOF[i+1] == 0 && noEOF[i+2] == 0 && noEOF[i+3] == 0 {
			noEOF[i] = 0x0B
		}
	}
	tests := []struct {
		name     string
		data     []byte
		contains string
	}{
		{"password.xls", mustRead(t, passXLS), "password-protected"},
		{"password-renamed.xlsx", mustRead(t, passXLS), "remove the password"},
		{"locked.xlsx", lockedXLSX, "password-protected"},
		{"half.xls", good[:len(good)/2], "damaged or truncated"},
		{"header-only.xls", good[:512], "damaged or truncated"},
		{"magic-only.xls", append(bytes.Clone(magicOLE2), make([]byte, 600)...), "damaged or truncated"},
		{"no-workbook.xls", noBook, "without a workbook"},
		{"biff5.xls", wrapCFB(biff5), "not an Excel 97-2003 (BIFF8) workbook"},
		{"no-eof.xls", wrapCFB(noEOF), "damaged or truncated"},
		{"cut-stream.xls", wrapCFB(stream[:len(stream)/3]), "damaged or truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.name, tt.data)
			src, err := Open(p, Options{})
			if err == nil {
				src.Close()
				t.Fatal("Open succeeded")
			}
			var in *InputError
			if !errors.As(err, &in) || in.Path != p || !strings.HasPrefix(err.Error(), p+": ") {
				t.Fatalf("err %T %v: want an *InputError naming %s", err, err, p)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err %q does not contain %q", err, tt.contains)
			}
		})
	}
}

// A Workbook stream over about 7 MB (a container with DIFAT sectors) reads
// the same, and bytes after the last EOF record are ignored.
func TestXLSBigStream(t *testing.T) {
	stream, err := cfbWorkbook(mustRead(t, sampleXLS))
	if err != nil {
		t.Fatal(err)
	}
	for _, pad := range []int{0, 9 << 20} {
		padded := append(bytes.Clone(stream), make([]byte, pad)...)
		x, err := newXLSSource("big.xls", wrapCFB(padded), "")
		if err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		tb, err := newTable("big.xls", x, Options{})
		if err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		if rows := readAll(t, tb); len(rows) != 12 || rows[11].Phone != "15888889999" {
			t.Fatalf("pad %d: %d rows", pad, len(rows))
		}
	}
}

// Shared strings split across CONTINUE records: the characters of a string
// may continue in the next record with a fresh option byte (and switch
// between one and two bytes a character), a string may start a record, and
// rich-text runs and phonetic data are skipped wherever they fall.
func TestXLSSharedStringsAcrossContinue(t *testing.T) {
	str := func(s string, wide bool) []byte { // header + characters
		if wide {
			return append(append(u16(len([]rune(s))), 1), wideChars(s)...)
		}
		return append(append(u16(len(s)), 0), s...)
	}
	rec0 := append(append(u32(6), u32(6)...), str("手机号", true)...)
	rec0 = append(rec0, str("姓名", true)...)
	rec0 = append(rec0, append(u16(11), 0)...) // "13912345678": 5 chars here ...
	rec0 = append(rec0, "13912"...)
	rec1 := append([]byte{1}, wideChars("345678")...) // ... 6 more, now two bytes each
	rec1 = append(rec1, append(u16(4), 1)...)         // "张三ab": 2 wide chars here ...
	rec1 = append(rec1, wideChars("张三")...)
	rec2 := append([]byte{0}, "ab"...) // ... then compressed
	// A rich string (2 runs) with phonetic data (6 bytes): runs split across records.
	rec2 = append(rec2, append(u16(11), 0x0C)...)
	rec2 = append(rec2, u16(2)...)
	rec2 = append(rec2, u32(6)...)
	rec2 = append(rec2, "13800138000"...)
	rec2 = append(rec2, 1, 0, 0, 0, 2, 0)
	rec3 := []byte{0, 0, 1, 2, 3, 4, 5, 6} // the rest of the second run, then the phonetic bytes
	rec4 := str("李四", true)                // a string starting a CONTINUE record
	stream := buildBIFF([][]byte{rec0, rec1, rec2, rec3, rec4},
		labelSST(0, 0, 0), labelSST(0, 1, 1),
		labelSST(1, 0, 2), labelSST(1, 1, 3),
		labelSST(2, 0, 4), labelSST(2, 1, 5),
	)
	p := writeFile(t, t.TempDir(), "split.xls", wrapCFB(stream))
	src, rows := openRows(t, p, Options{})
	if got := src.Header(); !reflect.DeepEqual(got, []string{"手机号", "姓名"}) {
		t.Fatalf("header %q", got)
	}
	want := [][]string{{"13912345678", "张三ab"}, {"13800138000", "李四"}}
	if len(rows) != 2 || !reflect.DeepEqual(rows[0].Cells, want[0]) || !reflect.DeepEqual(rows[1].Cells, want[1]) {
		t.Fatalf("rows %+v, want %q", rows, want)
	}

	// A cell that points past the table, or a table cut short, is damage.
	for name, stream := range map[string][]byte{
		"index": buildBIFF([][]byte{rec0, rec1, rec2, rec3, rec4}, labelSST(0, 0, 6)),
		"short": buildBIFF([][]byte{rec0, rec1}, labelSST(0, 0, 0)),
	} {
		p := writeFile(t, t.TempDir(), name+".xls", wrapCFB(stream))
		if _, err := Open(p, Options{Column: "A"}); err == nil || !strings.Contains(err.Error(), "damaged") || !strings.HasPrefix(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

var tenth = 0.1 // a variable: 0.1 + 0.2 as constants is exactly 0.3

func TestXLSNumberText(t *testing.T) {
	tests := []struct {
		v        float64
		ifmt     int
		code     string
		shown    string
		raw      string
		date1904 bool
	}{
		{13812345678, 0, "", "13812345678", "13812345678", false},
		{13812345678, 0, "General", "13812345678", "13812345678", false},
		{13812345678, 11, "", "13812345678", "13812345678", false}, // 0.00E+00 would show 1.38E+10
		{13812345678, 170, "0.00E+00", "13812345678", "13812345678", false},
		{13812345678, 1, "", "13812345678", "13812345678", false},
		{12345678901234567, 0, "", "12345678901234568", "12345678901234568", false},
		{tenth + 0.2, 0, "", "0.3", "0.30000000000000004", false},
		{3.5, 2, "", "3.50", "3.5", false},
		{3.14159, 2, "", "3.14159", "3.14159", false}, // rounding would drop digits
		{-7, 170, "0.00;[Red]-0.00", "-7.00", "-7", false},
		{0.07, 10, "", "7.00%", "0.07", false},
		{0.125, 9, "", "12.5%", "0.125", false},
		{46331, 14, "", "2026-11-05", "46331", false},
		{46331, 171, "yyyy\"年\"m\"月\"d\"日\"", "2026-11-05", "46331", false},
		{46331, 31, "", "2026-11-05", "46331", false}, // zh-CN built-in
		{46332.5, 22, "", "2026-11-06 12:00:00", "46332.5", false},
		{46332.5, 172, "[$-804]yyyy/m/d h:mm", "2026-11-06 12:00:00", "46332.5", false},
		{0.75, 20, "", "18:00:00", "0.75", false},
		{1.5, 173, "[h]:mm:ss", "36:00:00", "1.5", false},
		{44927, 14, "", "2027-01-02", "44927", true},
		{1234567, 174, "#,##0", "1,234,567", "1234567", false},
		{-1234.5, 4, "", "-1,234.50", "-1234.5", false}, // built-in #,##0.00
		{13812345678, 176, "#,##0_);(#,##0)", "13,812,345,678", "13812345678", false},
		{123, 3, "", "123", "123", false},
		{1234567, 177, "0,", "1234567", "1234567", false}, // scaling by 1,000: digits kept
		{42, 175, "@", "42", "42", false},
		{1e22, 0, "", "10000000000000000000000", "1E+22", false},
		{0.00001, 0, "", "0.00001", "1E-05", false},
	}
	for _, tt := range tests {
		nf := parseNumFormat(tt.ifmt, tt.code)
		if got := nf.show(tt.v, tt.date1904); got != tt.shown {
			t.Errorf("%v in format %d %q: shown %q, want %q", tt.v, tt.ifmt, tt.code, got, tt.shown)
		}
		if got := rawNumber(tt.v); got != tt.raw {
			t.Errorf("%v: raw %q, want %q", tt.v, got, tt.raw)
		}
	}
}

func TestFormatSkeleton(t *testing.T) {
	tests := []struct {
		code    string
		f       string
		elapsed bool
	}{
		{"General", "general", false},
		{"0.00;[Red]-0.00", "0.00", false},               // only the first section
		{`yyyy"年"m"月"d"日"`, "yyyymd", false},             // literal text dropped
		{`0.0"unclosed`, "0.0", false},                   // an unclosed quote ends the code
		{`#,##0_);(#,##0)`, "#,##0", false},              // _ pads with the next character
		{`\d0`, "0", false},                              // an escaped d is not a day
		{"*-0", "0", false},                              // * fills with the next character
		{"[$-804]yyyy/m/d h:mm", "yyyy/m/d h:mm", false}, // locale tag dropped
		{"[Blue][H]:MM:SS", "h:mm:ss", true},             // colour dropped, elapsed tag kept
		{"[mm]:ss", "mm:ss", true},                       // elapsed minutes
		{"[Red", "", false},                              // an unclosed tag ends the code
		{"[]0", "0", false},                              // an empty tag is not elapsed time
	}
	for _, tt := range tests {
		f, elapsed := formatSkeleton(tt.code)
		if f != tt.f || elapsed != tt.elapsed {
			t.Errorf("formatSkeleton(%q) = %q, %v; want %q, %v", tt.code, f, elapsed, tt.f, tt.elapsed)
		}
	}
}

func TestClassifyFormat(t *testing.T) {
	tests := []struct {
		f       string
		elapsed bool
		want    numFormat
	}{
		{"", false, numFormat{}},
		{"general", false, numFormat{}},
		{"@", false, numFormat{}},
		{"h:mm:ss", true, numFormat{kind: 'h'}},
		{"d h:mm", true, numFormat{kind: 'D'}}, // elapsed with a date is a date and time
		{"yyyy-mm-dd hh:mm", false, numFormat{kind: 'D'}},
		{"yyyy/m/d", false, numFormat{kind: 'd'}},
		{"mmm", false, numFormat{kind: 'd'}}, // a month alone
		{"hh:mm", false, numFormat{kind: 't'}},
		{"0.00e+00", false, numFormat{}},
		{"0.0e-0", false, numFormat{}},
		{"0.000", false, numFormat{kind: 'f', decimals: 3}},
		{"0.0#", false, numFormat{kind: 'f', decimals: 1}},
		{"0%", false, numFormat{kind: 'p'}},
		{"0.00%", false, numFormat{kind: 'p', decimals: 2}},
		{"#,##0.00", false, numFormat{kind: 'f', decimals: 2, grouped: true}},
		{"0,", false, numFormat{kind: 'f'}}, // scaling comma, not grouping
		{",0", false, numFormat{kind: 'f'}}, // nothing before the comma
		{"%", false, numFormat{}},           // no digit placeholder
		{"abc", false, numFormat{}},
	}
	for _, tt := range tests {
		if got := classifyFormat(tt.f, tt.elapsed); got != tt.want {
			t.Errorf("classifyFormat(%q, %v) = %+v, want %+v", tt.f, tt.elapsed, got, tt.want)
		}
	}
}

func TestBuiltinNumFormat(t *testing.T) {
	tests := []struct {
		ifmt int
		want numFormat
	}{
		{0, numFormat{}},
		{1, numFormat{kind: 'f'}},
		{2, numFormat{kind: 'f', decimals: 2}},
		{38, numFormat{kind: 'f', grouped: true}},
		{40, numFormat{kind: 'f', decimals: 2, grouped: true}},
		{9, numFormat{kind: 'p'}},
		{10, numFormat{kind: 'p', decimals: 2}},
		{11, numFormat{}}, // 0.00E+00: shown in full
		{17, numFormat{kind: 'd'}},
		{58, numFormat{kind: 'd'}},
		{21, numFormat{kind: 't'}},
		{47, numFormat{kind: 't'}},
		{22, numFormat{kind: 'D'}},
		{49, numFormat{}}, // @
		{164, numFormat{}},
	}
	for _, tt := range tests {
		if got := builtinNumFormat(tt.ifmt); got != tt.want {
			t.Errorf("builtinNumFormat(%d) = %+v, want %+v", tt.ifmt, got, tt.want)
		}
	}
}

// FuzzOpenXLS feeds damaged workbooks to the whole .xls path (container,
// record walk, shared strings, cells, rows): it must return rows or an
// *InputError, never panic or hang.
//
//	go test ./readers -run '^$' -fuzz FuzzOpenXLS -fuzztime 60s -fuzzminimizetime 1000x
//
// -fuzzminimizetime: the seeds are whole 7 KB workbooks, and by default Go
// minimizes each new interesting input for up to 60 s, reporting no execs
// until it is done, so the run shows "0/sec" throughout and finds little
// (measured on a busy 2-core machine: 6,893 execs in 60 s by default, one
// input minimized the whole time; 836,155 execs and 85 new inputs with
// 1000x). No single exec is slow: the slowest seen took under 50 ms.
func FuzzOpenXLS(f *testing.F) {
	for _, p := range []string{sampleXLS, sourceXLS, passXLS} {
		b := mustRead(f, p)
		f.Add(b)
		f.Add(b[:len(b)*2/3])
		if stream, err := cfbWorkbook(b); err == nil {
			f.Add(wrapCFB(stream)) // a container whose Workbook is in regular sectors
			f.Add(wrapCFB(stream[:len(stream)/2]))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := newXLSSource("fuzz.xls", data, "")
		if err != nil {
			var in *InputError
			if !errors.As(err, &in) {
				t.Fatalf("err %T %v, want *InputError", err, err)
			}
			return
		}
		tb, err := newTable("fuzz.xls", x, Options{Column: "A"})
		if err != nil {
			x.close()
			return
		}
		defer tb.Close()
		for {
			if _, err := tb.Next(); err != nil {
				var in *InputError
				if err != io.EOF && !errors.As(err, &in) {
					t.Fatalf("Next: %T %v", err, err)
				}
				return
			}
		}
	})
}

// TestXLSSparseRows: a crafted sheet with one cell per row in the last column
// (IV) must not be padded out to 256 cells a row at open (65,536 rows of it
// cost 1.2 GB before rows were stored sparsely); the row still comes out 256
// wide when it is handed out.
func TestXLSSparseRows(t *testing.T) {
	var recs [][]byte
	for r := range 2000 {
		recs = append(recs, biffRec(biffNumber, cellHead(r, 255, 15), f64(float64(r))))
	}
	recs = append(recs, biffRec(biffNumber, cellHead(1, 3, 15), f64(-1)))  // out of order
	recs = append(recs, biffRec(biffNumber, cellHead(1, 255, 15), f64(9))) // set twice
	x, err := newXLSSource("wide.xls", wrapCFB(buildBIFF(nil, recs...)), "")
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, r := range x.rows {
		stored += len(r)
	}
	if stored != 2001 {
		t.Errorf("%d cells stored for 2001 set, want no padding", stored)
	}
	for want := range 3 {
		rec, err := x.read()
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.display) != 256 {
			t.Fatalf("row %d is %d wide, want 256", want+1, len(rec.display))
		}
		last := map[int]string{0: "0", 1: "9", 2: "2"}[want]
		if rec.display[255] != last || (want == 1) != (rec.display[3] == "-1") {
			t.Errorf("row %d: IV=%q D=%q", want+1, rec.display[255], rec.display[3])
		}
	}
}
