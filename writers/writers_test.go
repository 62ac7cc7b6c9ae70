package writers

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Columns: 0 name (free text), 1 phone (text), 2 amount (free), 3 note (free),
// 4 140 number (text), 5 code (text).
var (
	testHeader = []string{"姓名", "手机号", "金额", "备注", "140号码", "Code"}
	testText   = []int{1, 4, 5}
	testRows   = [][]string{
		{"张三", "13912345678", "-12.5", "=HYPERLINK(\"http://x\")", "14000000001", "OK"},
		{"李四", "+8613912345678", "+8613912345678", "@SUM(A1)", "14000000002", "OK"},
		{"-王五", "=13900000000", "0012", "\tTAB", "", "isv.MOBILE_NUMBER_ILLEGAL"},
		{"a,b \"q\"", "13700000000", "1.50", "-Inf", "14000000003", "-1"},
		{"多行\n文本", "13600000000", "1234567890", "\rCR", "14000000004", "OK"},
	}
)

func writeAll(t *testing.T, path string, opts Options, sum *Summary) {
	t.Helper()
	s, err := Create(path, testHeader, opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for _, r := range testRows {
		if err := s.WriteRow(r); err != nil {
			t.Fatalf("WriteRow: %v", err)
		}
	}
	if err := s.Close(sum); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestNeutralise(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+2", "'=1+2"},
		{"+cmd", "'+cmd"},
		{"-cmd", "'-cmd"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"-12.5", "-12.5"},
		{"+8613912345678", "+8613912345678"},
		{"-1e5", "-1e5"},
		{"-Inf", "'-Inf"},
		{"-NaN", "'-NaN"},
		{"+0x1p3", "'+0x1p3"},
		{"-", "'-"},
		{"a=b", "a=b"},
	}
	for _, c := range cases {
		if got := neutralise(c.in); got != c.want {
			t.Errorf("neutralise(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSafeNumber(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"0", int64(0)},
		{"42", int64(42)},
		{"-42", int64(-42)},
		{"1234567890", int64(1234567890)},
		{"12345678901", nil}, // 11 digits: a phone number
		{"13912345678", nil},
		{"0012", nil},
		{"-0", nil},
		{"-12.5", -12.5},
		{"0.25", 0.25},
		{"1.50", nil},
		{"1.", nil},
		{".5", nil},
		{"+5", nil},
		{"1e5", nil},
		{"1234567890.12345", 1234567890.12345}, // 15 significant digits
		{"1234567890.123456", nil},             // 16: Excel would round it
		{"0.1234567890123456789", nil},         // does not print back
		{"", nil},
		{"12a", nil},
		{"-", nil},
	}
	for _, c := range cases {
		if got := safeNumber(c.in); got != c.want {
			t.Errorf("safeNumber(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := columnName(i); got != want {
			t.Errorf("columnName(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestResolveFormat(t *testing.T) {
	cases := []struct{ path, format, want string }{
		{"out.csv", "", "csv"},
		{"out.TSV", "", "csv"},
		{"out.txt", "", "csv"},
		{"out.xlsx", "", "xlsx"},
		{"out.jsonl", "", "jsonl"},
		{"out.dat", "xlsx", "xlsx"},
		{"out.xlsx", "CSV", "csv"},
		{"out.dat", "", ""},
		{"out.csv", "xls", ""},
	}
	for _, c := range cases {
		got, err := resolveFormat(c.path, c.format)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("resolveFormat(%q, %q) = %q, %v; want %q", c.path, c.format, got, err, c.want)
		}
	}
}

// neutralisedRows is what a CSV reader must see: free-text columns defused,
// text columns verbatim.
func neutralisedRows() [][]string {
	text := map[int]bool{}
	for _, c := range testText {
		text[c] = true
	}
	out := [][]string{testHeader}
	for _, r := range testRows {
		o := make([]string, len(r))
		for i, c := range r {
			o[i] = c
			if !text[i] {
				o[i] = neutralise(c)
			}
		}
		out = append(out, o)
	}
	return out
}

func TestCSVRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		file  string
		opts  Options
		bom   bool
		delim rune
	}{
		{"utf8 bom", "out.csv", Options{BOM: true, TextColumns: testText}, true, ','},
		{"utf8 no bom", "out.csv", Options{TextColumns: testText}, false, ','},
		{"tsv", "out.tsv", Options{BOM: true, TextColumns: testText}, true, '\t'},
		{"semicolon", "out.txt", Options{BOM: true, Delimiter: ';', TextColumns: testText}, true, ';'},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			writeAll(t, path, c.opts, nil)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.HasPrefix(raw, []byte("\ufeff")); got != c.bom {
				t.Fatalf("BOM present = %v, want %v", got, c.bom)
			}
			r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
			r.Comma = c.delim
			got, err := r.ReadAll()
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			want := neutralisedRows()
			if len(got) != len(want) {
				t.Fatalf("got %d records, want %d", len(got), len(want))
			}
			for i := range want {
				if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
					t.Errorf("record %d = %q, want %q", i, got[i], want[i])
				}
			}
			// Spot checks that the rule is applied, not just mirrored.
			if got[1][3] != "'=HYPERLINK(\"http://x\")" || got[3][1] != "=13900000000" || got[1][2] != "-12.5" || got[4][5] != "-1" {
				t.Errorf("neutralisation wrong: %q %q %q %q", got[1][3], got[3][1], got[1][2], got[4][5])
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}

func TestCSVGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small.csv")
	writeAll(t, path, Options{BOM: true, TextColumns: testText}, nil)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "small.csv")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n got: %q\nwant: %q", golden, got, want)
	}
}

func TestCSVGB18030(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	header := []string{"手机号", "备注"}
	rows := [][]string{{"13912345678", "中文𠀀😀€"}, {"13800000000", "繁體 ㈠"}}
	s, err := Create(path, header, Options{BOM: true, Encoding: "GB18030", TextColumns: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := s.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(raw, []byte("\ufeff")) {
		t.Error("gb18030 output carries a UTF-8 BOM")
	}
	if bytes.Contains(raw, []byte("中文")) {
		t.Error("output is UTF-8, not GB18030")
	}
	dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(bytes.NewReader(dec)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]string{header}, rows...)
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		path string
		opts Options
	}{
		{"unknown ext", "out.dat", Options{}},
		{"bad encoding", "out.csv", Options{Encoding: "latin1"}},
		{"bad delimiter", "out.csv", Options{Delimiter: '"'}},
		{"bad sheet name", "out.xlsx", Options{SheetName: "a/b"}},
		{"negative column", "out.csv", Options{TextColumns: []int{-1}}},
		{"missing dir", "nope/out.csv", Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Create(filepath.Join(dir, c.path), []string{"a"}, c.opts); err == nil {
				t.Fatal("Create succeeded, want error")
			}
			if left := listDir(t, dir); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestAtomic(t *testing.T) {
	for _, format := range []string{"csv", "xlsx", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "out."+format)

			// Abort on a fresh target: nothing appears, no temp file stays.
			s, err := Create(target, testHeader, Options{TextColumns: testText, TmpDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteRow(testRows[0]); err != nil {
				t.Fatal(err)
			}
			left := listDir(t, dir)
			if len(left) != 1 || !strings.HasPrefix(left[0], ".out."+format+".tmp-") {
				t.Fatalf("while writing, dir = %v; want one .out.%s.tmp-* file", left, format)
			}
			if fi, err := os.Stat(filepath.Join(dir, left[0])); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("temp file mode: %v %v", fi.Mode(), err)
			}
			if err := s.Abort(); err != nil {
				t.Fatal(err)
			}
			if left := listDir(t, dir); len(left) != 0 {
				t.Fatalf("after Abort dir = %v, want empty", left)
			}
			if err := s.WriteRow(testRows[0]); err == nil {
				t.Error("WriteRow after Abort succeeded")
			}

			// Abort with an existing target: the target is untouched.
			old := []byte("previous results\n")
			if err := os.WriteFile(target, old, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err = Create(target, testHeader, Options{TextColumns: testText, TmpDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			_ = s.WriteRow(testRows[1])
			if err := s.Abort(); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(target); !bytes.Equal(got, old) {
				t.Fatalf("target changed by Abort: %q", got)
			}

			// Close replaces the existing target only at the end.
			s, err = Create(target, testHeader, Options{TextColumns: testText, TmpDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range testRows {
				if err := s.WriteRow(r); err != nil {
					t.Fatal(err)
				}
			}
			if got, _ := os.ReadFile(target); !bytes.Equal(got, old) {
				t.Fatal("target replaced before Close")
			}
			if err := s.Close(&Summary{Title: "t"}); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(target); bytes.Equal(got, old) {
				t.Fatal("target not replaced by Close")
			}
			if left := listDir(t, dir); len(left) != 1 || left[0] != "out."+format {
				t.Fatalf("after Close dir = %v", left)
			}
			fi, err := os.Stat(target)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("target mode %v, %v; want 0600", fi.Mode(), err)
			}
			// Abort after Close must not remove the result (defer-friendly).
			if err := s.Abort(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(target); err != nil {
				t.Fatalf("Abort after Close removed the target: %v", err)
			}
			if err := s.Close(nil); err == nil {
				t.Error("second Close succeeded")
			}
		})
	}
}

func TestJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	header := []string{"z", "a", "", "a", "a_2", "m\"q"}
	s, err := Create(path, header, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{
		{"1", "=2", "", "x\ny", "<&>", "\u2028"},
		{"only"},
		{"1", "2", "3", "4", "5", "6", "extra"},
		{"bad\xffutf8", "\x01"},
	}
	for _, r := range rows {
		if err := s.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(rows), raw)
	}
	wantKeys := `"z","a","column_C","a_3","a_2","m\"q"`
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d is not valid JSON: %s", i, line)
		}
		var keys []string
		dec := json.NewDecoder(strings.NewReader(line))
		dec.Token() // {
		for dec.More() {
			k, _ := dec.Token()
			b, _ := json.Marshal(k)
			keys = append(keys, string(b))
			var v string
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("line %d value: %v", i, err)
			}
		}
		got := strings.Join(keys, ",")
		want := wantKeys
		if i == 2 { // only the row that has the extra cell carries its key
			want += `,"column_G"`
		}
		if got != want {
			t.Errorf("line %d keys = %s, want %s", i, got, want)
		}
	}
	var first map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["a"] != "=2" || first["a_3"] != "x\ny" || first["a_2"] != "<&>" || first["m\"q"] != "\u2028" {
		t.Errorf("values wrong (no neutralisation expected): %v", first)
	}
	if strings.Contains(lines[0], "\u2028") {
		t.Error("U+2028 not escaped")
	}
	var last map[string]string
	if err := json.Unmarshal([]byte(lines[3]), &last); err != nil {
		t.Fatal(err)
	}
	if last["z"] != "bad\ufffdutf8" || last["a"] != "\x01" || last["a_2"] != "" {
		t.Errorf("last row = %q", last)
	}
}

// zipEntries reads all entries of an xlsx as text.
func zipEntries(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open zip: %v", err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		out[f.Name] = string(b)
	}
	return out
}

var dimRe = regexp.MustCompile(`<dimension ref="([^"]*)"`)

func TestXLSX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	sum := &Summary{
		Title: "dytnsbatch summary — SANDBOX numbers, not real",
		Items: []KV{{"Input", "in.xlsx"}, {"Rows", "5"}, {"Mode", "sandbox"}},
		Codes: []CodeCount{{"OK", 3}, {"isv.MOBILE_NUMBER_ILLEGAL", 1}, {"-1", 1}},
	}
	writeAll(t, path, Options{TextColumns: testText}, sum)

	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Results,Summary" {
		t.Fatalf("sheets = %s", got)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet = %d, want 0", f.GetActiveSheetIndex())
	}
	rows, err := f.GetRows("Results", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]string{testHeader}, testRows...)
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		w := want[i]
		// GetRows drops trailing empty cells.
		for len(w) > 0 && w[len(w)-1] == "" {
			w = w[:len(w)-1]
		}
		if strings.Join(rows[i], "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %q, want %q (XLSX must not neutralise)", i+1, rows[i], w)
		}
	}
	types := []struct {
		cell   string
		number bool
	}{
		{"B2", false}, {"B3", false}, {"E2", false}, // phone / 140 columns: text
		{"F5", false},              // "-1" in a text column stays text
		{"C2", true}, {"C6", true}, // -12.5, 1234567890
		{"C3", false}, {"C4", false}, // +86…, 0012
		{"C5", false}, // 1.50
		{"A2", false}, // 张三
	}
	for _, c := range types {
		ct, err := f.GetCellType("Results", c.cell)
		if err != nil {
			t.Fatal(err)
		}
		isNum := ct == excelize.CellTypeUnset || ct == excelize.CellTypeNumber
		isStr := ct == excelize.CellTypeInlineString || ct == excelize.CellTypeSharedString
		if c.number && !isNum || !c.number && !isStr {
			t.Errorf("%s type = %v, want number=%v", c.cell, ct, c.number)
		}
	}
	if style, _ := f.GetCellStyle("Results", "A1"); style == 0 {
		t.Error("header not styled")
	} else if st, _ := f.GetStyle(style); st == nil || st.Font == nil || !st.Font.Bold {
		t.Error("header not bold")
	}
	if panes, err := f.GetPanes("Results"); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want frozen top row", panes, err)
	}
	if w, _ := f.GetColWidth("Results", "B"); w < 14 {
		t.Errorf("phone column width %v too narrow", w)
	}

	// Summary sheet content.
	if v, _ := f.GetCellValue("Summary", "A1"); v != sum.Title {
		t.Errorf("summary A1 = %q", v)
	}
	for i, kv := range sum.Items {
		r := i + 3
		k, _ := f.GetCellValue("Summary", "A"+itoa(r))
		v, _ := f.GetCellValue("Summary", "B"+itoa(r))
		if k != kv.Key || v != kv.Value {
			t.Errorf("summary row %d = %q/%q, want %q/%q", r, k, v, kv.Key, kv.Value)
		}
	}
	head := 3 + len(sum.Items) + 1
	if v, _ := f.GetCellValue("Summary", "A"+itoa(head)); v != "Code" {
		t.Errorf("code table header at row %d = %q", head, v)
	}
	for i, c := range sum.Codes {
		k, _ := f.GetCellValue("Summary", "A"+itoa(head+1+i))
		v, _ := f.GetCellValue("Summary", "B"+itoa(head+1+i))
		if k != c.Code || v != itoa(int(c.Rows)) {
			t.Errorf("code row %d = %q/%q", i, k, v)
		}
	}

	ents := zipEntries(t, path)
	chart, ok := ents["xl/charts/chart1.xml"]
	if !ok {
		t.Fatal("no chart in the workbook")
	}
	if !strings.Contains(strings.ReplaceAll(chart, "&#39;", "'"), "'Summary'!$B$"+itoa(head+1)+":$B$"+itoa(head+len(sum.Codes))) {
		t.Errorf("chart does not reference the code table: %.300s", chart)
	}
	// Excel rejects <col> elements out of order.
	cols := regexp.MustCompile(`<col min="(\d+)"`).FindAllStringSubmatch(ents["xl/worksheets/sheet1.xml"], -1)
	if len(cols) != len(testHeader) {
		t.Errorf("got %d <col> elements, want %d", len(cols), len(testHeader))
	}
	for i, m := range cols {
		if m[1] != itoa(i+1) {
			t.Errorf("<col> %d has min=%s: not ascending", i, m[1])
		}
	}
	checkDims(t, ents, map[string]string{
		"xl/worksheets/sheet1.xml": "A1:F6",
		"xl/worksheets/sheet2.xml": "A1:B" + itoa(head+len(sum.Codes)),
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func checkDims(t *testing.T, ents map[string]string, want map[string]string) {
	t.Helper()
	for name, ref := range want {
		xml, ok := ents[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		m := dimRe.FindAllStringSubmatch(xml, -1)
		if len(m) != 1 || m[0][1] != ref {
			t.Errorf("%s dimension = %v, want exactly one %q", name, m, ref)
		}
	}
}

func TestXLSXNoSummaryNoRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	s, err := Create(path, []string{"手机号", "Code"}, Options{SheetName: "号码", TextColumns: []int{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(nil); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "号码" {
		t.Fatalf("sheets = %s, want only the data sheet", got)
	}
	checkDims(t, zipEntries(t, path), map[string]string{"xl/worksheets/sheet1.xml": "A1:B1"})
}

func TestXLSXRollover(t *testing.T) {
	old := maxSheetRows
	maxSheetRows = 4 // header + 3 data rows per sheet
	defer func() { maxSheetRows = old }()

	path := filepath.Join(t.TempDir(), "out.xlsx")
	header := []string{"n", "phone"}
	s, err := Create(path, header, Options{TextColumns: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	const total = 8
	for i := 1; i <= total; i++ {
		row := []string{itoa(i), "1390000000" + itoa(i%10)}
		if i == total {
			row = append(row, "wide") // the last sheet is one column wider
		}
		if err := s.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(&Summary{Title: "x", Codes: []CodeCount{{"OK", total}}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Results,Results (2),Results (3),Summary" {
		t.Fatalf("sheets = %s", got)
	}
	n := 0
	for _, sheet := range []string{"Results", "Results (2)", "Results (3)"} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 4 || strings.Join(rows[0], ",") != "n,phone" {
			t.Fatalf("%s: %d rows, header %q", sheet, len(rows), rows[0])
		}
		for _, r := range rows[1:] {
			n++
			if r[0] != itoa(n) {
				t.Fatalf("%s: row %q, want n=%d (order lost)", sheet, r, n)
			}
		}
		if panes, _ := f.GetPanes(sheet); !panes.Freeze {
			t.Errorf("%s: header not frozen", sheet)
		}
	}
	if n != total {
		t.Fatalf("read back %d data rows, want %d", n, total)
	}
	checkDims(t, zipEntries(t, path), map[string]string{
		"xl/worksheets/sheet1.xml": "A1:B4",
		"xl/worksheets/sheet2.xml": "A1:B4",
		"xl/worksheets/sheet3.xml": "A1:C3",
	})
}

// TestXLSXSpillCleanup writes more than excelize's 16 MB in-memory chunk so
// the stream spills to TmpDir, and checks nothing stays there.
func TestXLSXSpillCleanup(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~20 MB")
	}
	big := strings.Repeat("0123456789abcdef", 192) // 3 KiB
	for _, abort := range []bool{false, true} {
		dir, tmp := t.TempDir(), t.TempDir()
		s, err := Create(filepath.Join(dir, "big.xlsx"), []string{"a", "b"}, Options{TmpDir: tmp})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5700; i++ {
			if err := s.WriteRow([]string{big, "x"}); err != nil {
				t.Fatal(err)
			}
		}
		if len(listDir(t, tmp)) == 0 {
			t.Fatal("stream did not spill to TmpDir; test does not test anything")
		}
		if abort {
			err = s.Abort()
		} else {
			err = s.Close(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if left := listDir(t, tmp); len(left) != 0 {
			t.Errorf("abort=%v: spill files left: %v", abort, left)
		}
		wantDir := 1
		if abort {
			wantDir = 0
		}
		if left := listDir(t, dir); len(left) != wantDir {
			t.Errorf("abort=%v: output dir = %v", abort, left)
		}
	}
}

// TestXLSXWellFormed parses every XML part, so a dimension patch that cut an
// element in half would be caught even where excelize's reader is lenient.
func TestXLSXWellFormed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, Options{TextColumns: testText}, &Summary{Title: "t", Codes: []CodeCount{{"OK", 5}}})
	if dst := os.Getenv("WRITERS_KEEP_XLSX"); dst != "" {
		b, _ := os.ReadFile(path)
		_ = os.WriteFile(dst, b, 0o600)
	}
	for name, body := range zipEntries(t, path) {
		if !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels") {
			continue
		}
		d := xml.NewDecoder(strings.NewReader(body))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
}
