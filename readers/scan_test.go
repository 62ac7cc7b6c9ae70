package readers

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// writeXLSXParts writes a minimal package around one sheet, for XML that
// excelize would never write itself (rows without r, prefixes, rich text).
func writeXLSXParts(t testing.TB, p, sheetXML, sstXML string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheetXML},
	}
	if sstXML != "" {
		parts = append(parts, struct{ name, body string }{"xl/sharedStrings.xml", sstXML})
	}
	for _, part := range parts {
		w, err := zw.Create(part.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, part.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

const oddSST = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount="9">` +
	`<si><t>编号</t></si><si><t>手机号</t></si><si><t>备注</t></si><si><t>ID-1</t></si>` +
	`<si><t>note&lt;x&gt;</t></si><si><t></t></si><si><t xml:space="preserve"> ID-2 </t></si>` +
	`<si><r><t>139000</t></r><r><rPr><b/></rPr><t>_x0030_0003</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></si>` +
	`<si><t>ID&amp;3</t></si></sst>`

// oddSheet has a prefixed namespace, rows without r, a gap, blank rows
// (self-closing, styled-only, a shared string that is ""), formulas with and
// without a cached value (a formula alone keeps a row from being blank), rich and inline text, E-notation and trailing blanks.
const oddSheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:D15"/><x:sheetData>
<x:row r="2"><x:c r="A2" t="s"><x:v>0</x:v></x:c><x:c r="B2" t="s"><x:v>1</x:v></x:c><x:c r="C2" t="s"><x:v>2</x:v></x:c></x:row>
<x:row><x:c t="inlineStr"><x:is><x:t>A&amp;1</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:r><x:t>139</x:t></x:r><x:r><x:t>00000001</x:t></x:r></x:is></x:c></x:row>
<x:row r="4" spans="1:3"><x:c r="A4" t="s"><x:v>3</x:v></x:c><x:c r="B4"><x:v>13900000002</x:v></x:c><x:c r="C4" t="s"><x:v>4</x:v></x:c></x:row>
<x:row r="5"/>
<x:row r="6"><x:c r="A6" s="1"/><x:c r="C6" t="s"><x:v>5</x:v></x:c></x:row>
<x:row r="8"><x:c r="A8" t="s"><x:v>6</x:v></x:c><x:c r="B8" t="s"><x:v> 7 </x:v></x:c></x:row>
<x:row><x:c r="B9" t="s"><x:f>X1</x:f><x:v>5</x:v></x:c><x:c r="D9"><x:f>1+1</x:f></x:c></x:row>
<x:row r="10"><x:c r="A10" t="s"><x:v>8</x:v></x:c><x:c r="B10"><x:f>A1</x:f><x:v></x:v></x:c></x:row>
<x:row r="11"><x:c r="A11" t="inlineStr"><x:is><x:t>x&#x4E2D;&lt;</x:t></x:is></x:c><x:c r="B11" t="str"><x:f>"1"</x:f><x:v>13900000004</x:v></x:c></x:row>
<x:row r="12"><x:c r="B12"><x:v>1.3900000005E10</x:v></x:c><x:c r="C12"><x:v>  </x:v></x:c></x:row>
<x:row r="13"><x:c r="C13" t="s"><x:v>5</x:v></x:c><x:c r="D13"><x:f>1+1</x:f></x:c></x:row>
<x:row r="14"><x:c r="C14" t="s"><x:v>5</x:v></x:c></x:row>
<x:row r="15"><x:c r="A15" s="1"/></x:row>
<x:row r="16"/>
</x:sheetData><x:rowBreaks count="1"><x:brk id="3"/></x:rowBreaks></x:worksheet>`

// headerlessSheet starts with data on row 3, has gaps before and inside, and
// runs of rows without an r attribute.
const headerlessSheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" s="2"/></row>
<row r="3"><c r="A3"><v>13900000001</v></c><c r="B3" t="inlineStr"><is><t>甲</t></is></c></row>
<row r="4"><c r="A4"><v>13900000002</v></c></row>
<row><c><v>13900000005</v></c></row>
<row><c r="B6" s="1"/></row>
<row><c><v>13900000007</v></c></row>
<row><c><v>13900000008</v></c><c t="inlineStr"><is><t>乙</t></is></c></row>
<row r="10"><c r="A10"><v>13900000003</v></c></row>
<row><c r="B11" s="1"/></row>
</sheetData></worksheet>`

// gappyWorkbook is written by excelize: header on row 2, shared-string phones,
// gaps, a formula without a cache and styled rows after the data.
func gappyWorkbook(t testing.TB, dir string, n int) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const s = "Sheet1"
	must(f.SetSheetRow(s, "A2", &[]any{"客户编号", "联系电话", "城市"}))
	line := 3
	for i := 0; i < n; i++ {
		line += i % 4 // gaps of 0..3 missing rows
		cell := fmt.Sprintf("A%d", line)
		must(f.SetSheetRow(s, cell, &[]any{fmt.Sprintf("C%05d", i), fmt.Sprintf("139%08d", i), "杭州"}))
		if i%17 == 5 {
			must(f.SetCellFormula(s, fmt.Sprintf("B%d", line), `"1"&"2"`))
		}
		line++
	}
	style, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Color: []string{"FFFF00"}, Pattern: 1}})
	must(err)
	must(f.SetCellStyle(s, fmt.Sprintf("A%d", line+2), fmt.Sprintf("C%d", line+40), style))
	p := filepath.Join(dir, "gappy.xlsx")
	must(f.SaveAs(p))
	return p
}

func sameRows(t *testing.T, from int64, got, want []Row, checkOutID bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("from %d: scanner gave %d rows (lines %v), Open gave %d (lines %v)", from, len(got), lines(got), len(want), lines(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.Line != w.Line || g.Sheet != w.Sheet || g.Phone != w.Phone || g.Cells != nil {
			t.Fatalf("from %d row %d: scanner {%d line %d %q %q cells %d}, Open {%d line %d %q %q}",
				from, i, g.Index, g.Line, g.Sheet, g.Phone, len(g.Cells), w.Index, w.Line, w.Sheet, w.Phone)
		}
		if (g.Err == nil) != (w.Err == nil) || g.Err != nil && (g.Err.Error() != w.Err.Error() || !errors.Is(g.Err, errNoCache)) {
			t.Fatalf("from %d line %d: scanner Err %v, Open Err %v", from, w.Line, g.Err, w.Err)
		}
		if checkOutID && g.OutID != w.OutID {
			t.Fatalf("from %d line %d: scanner OutID %q, Open OutID %q", from, w.Line, g.OutID, w.OutID)
		}
	}
}

func scanAll(t *testing.T, l Layout, from int64) []Row {
	t.Helper()
	sc, err := OpenPhoneScanner(l, from)
	if err != nil {
		t.Fatalf("OpenPhoneScanner(from %d): %v", from, err)
	}
	defer func() {
		if err := sc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var rows []Row
	for {
		r, err := sc.Next()
		if err == io.EOF {
			if _, err := sc.Next(); err != io.EOF {
				t.Fatalf("Next after EOF: %v", err)
			}
			return rows
		}
		if err != nil {
			t.Fatalf("from %d: Next: %v", from, err)
		}
		rows = append(rows, r)
	}
}

func TestPhoneScannerMatchesOpen(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd.xlsx")
	writeXLSXParts(t, odd, oddSheet, oddSST)
	headerless := filepath.Join(dir, "headerless.xlsx")
	writeXLSXParts(t, headerless, headerlessSheet, "")
	workbook := makeWorkbook(t, dir)
	gappy := gappyWorkbook(t, dir, 700)
	stream := genXLSXFile(t, 300)

	tests := []struct {
		name       string
		path       string
		opts       Options
		wantLayout Layout // Path is filled in below
		minRows    int
		checkOutID bool
	}{
		{"analyst workbook", workbook, Options{OutIDColumn: "姓名"},
			Layout{Sheet: "客户名单", HeaderRow: 3, FirstLine: 4, PhoneCol: 2, OutIDCol: 0}, 7, true},
		{"analyst workbook, header forced", workbook, Options{HeaderRow: 3, Column: "C"},
			Layout{Sheet: "客户名单", HeaderRow: 3, FirstLine: 4, PhoneCol: 2, OutIDCol: -1}, 7, false},
		{"hand-written XML", odd, Options{OutIDColumn: "编号"},
			Layout{Sheet: "数据", HeaderRow: 2, FirstLine: 3, PhoneCol: 1, OutIDCol: 0}, 10, true},
		{"headerless", headerless, Options{OutIDColumn: "B"},
			Layout{Sheet: "数据", FirstLine: 3, PhoneCol: 0, OutIDCol: 1}, 8, true},
		{"excelize gaps and shared strings", gappy, Options{OutIDColumn: "客户编号"},
			Layout{Sheet: "Sheet1", HeaderRow: 2, FirstLine: 3, PhoneCol: 1, OutIDCol: 0}, 700, true},
		{"stream writer inline strings", stream, Options{OutIDColumn: "姓名"},
			Layout{Sheet: "Sheet1", HeaderRow: 1, FirstLine: 2, PhoneCol: 2, OutIDCol: 1}, 300, true},
	}
	for _, small := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/smallbuf=%v", tt.name, small), func(t *testing.T) {
				if small {
					// Refills land at every offset: tags and matches split across reads.
					old := skipBufSize
					skipBufSize = 200
					t.Cleanup(func() { skipBufSize = old })
				}
				src, err := Open(tt.path, tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				l, ok := LayoutOf(src)
				all := readAll(t, src)
				src.Close()
				if !ok {
					t.Fatal("LayoutOf: not ok")
				}
				want := tt.wantLayout
				want.Path = tt.path
				if l != want {
					t.Fatalf("layout = %+v, want %+v", l, want)
				}
				if len(all) < tt.minRows {
					t.Fatalf("Open gave %d rows, fixture broken", len(all))
				}
				n := int64(len(all))
				froms := []int64{-3, 0, 1, 2, n / 3, n / 2, n - 2, n - 1, n, n + 5, 1 << 40}
				if !small || n <= 20 {
					for i := int64(3); i < n && i < 20; i++ {
						froms = append(froms, i)
					}
				}
				for _, from := range froms {
					start := min(max(from, 0), n)
					sameRows(t, from, scanAll(t, l, from), all[start:], tt.checkOutID)
				}
			})
		}
	}
}

// The hand-written fixture must exercise what it claims, or the comparison
// above proves little.
func TestPhoneScannerOddFixture(t *testing.T) {
	p := filepath.Join(t.TempDir(), "odd.xlsx")
	writeXLSXParts(t, p, oddSheet, oddSST)
	src, err := Open(p, Options{OutIDColumn: "编号"})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := LayoutOf(src)
	src.Close()
	rows := scanAll(t, l, 0)
	want := []struct {
		line         int
		phone, outID string
		err          bool
	}{
		{3, "13900000001", "A&1", false},
		{4, "13900000002", "ID-1", false},
		{5, "", "", false},
		{6, "", "", false}, // only a shared string that is ""
		{7, "", "", false}, // gap
		{8, "13900000003", " ID-2 ", false},
		{9, "", "", false}, // formula whose value is "" but stored: no Err
		{10, "", "ID&3", true},
		{11, "13900000004", "x中<", false},
		{12, "1.3900000005E10", "", false},
		{13, "", "", false}, // only an uncached formula elsewhere: not blank, no Err
	}
	if len(rows) != len(want) {
		t.Fatalf("lines = %v", lines(rows))
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line || r.Index != int64(i) || r.Phone != w.phone || r.OutID != w.outID || (r.Err != nil) != w.err {
			t.Errorf("row %d = {%d line %d %q %q %v}, want line %d %q %q err %v", i, r.Index, r.Line, r.Phone, r.OutID, r.Err, w.line, w.phone, w.outID, w.err)
		}
	}
	if e := rows[7].Err; e == nil || !strings.Contains(e.Error(), "cell B10") {
		t.Errorf("Err = %v, want one naming B10", e)
	}
}

func TestPhoneScannerRefusesCSV(t *testing.T) {
	p := writeFile(t, t.TempDir(), "a.csv", []byte("手机号\n13900000000\n"))
	src, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	l, ok := LayoutOf(src)
	if !ok || l.Sheet != "" || l.HeaderRow != 1 || l.FirstLine != 2 || l.OutIDCol != -1 {
		t.Fatalf("layout = %+v, %v", l, ok)
	}
	if sc, err := OpenPhoneScanner(l, 0); !errors.Is(err, ErrNoScanner) || sc != nil {
		t.Fatalf("OpenPhoneScanner on CSV = %v, %v; want ErrNoScanner", sc, err)
	}
	if _, ok := LayoutOf(nil); ok {
		t.Error("LayoutOf(nil) ok")
	}
}

func TestPhoneScannerBadFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "junk.xlsx", []byte("not a zip"))
	l := Layout{Path: p, Sheet: "Sheet1", HeaderRow: 1, FirstLine: 2}
	var in *InputError
	if _, err := OpenPhoneScanner(l, 0); !errors.As(err, &in) {
		t.Fatalf("err = %v, want *InputError", err)
	}
	l.Path = makeWorkbook(t, dir)
	l.Sheet = "nope"
	if _, err := OpenPhoneScanner(l, 0); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown sheet: err = %v", err)
	}
}

func TestBstrUnmarshal(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "plain",
		"a_x000D_b":      "a\rb",
		"_x005F_x0041_":  "_x0041_",
		"x_x0030__x0031": "x0_x0031",
	} {
		if got := bstrUnmarshal(in); got != want {
			t.Errorf("bstrUnmarshal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTagAttr(t *testing.T) {
	tests := []struct{ attrs, want string }{
		{` r="12" spans="1:5">`, "12"},
		{` spans="1:5" r='7'/>`, "7"},
		{` x14ac:dyDescent="0.25" customr="3">`, ""},
		{` ht = "15"  r = "9" >`, "9"},
		{`>`, ""},
	}
	for _, tt := range tests {
		if got := string(tagAttr([]byte(tt.attrs), "r")); got != tt.want {
			t.Errorf("tagAttr(%q) = %q, want %q", tt.attrs, got, tt.want)
		}
	}
}

// The byte-level shared-strings reader must agree with the decoder-based one
// (which mirrors excelize) item for item.
func TestSharedStringsFastMatchesXML(t *testing.T) {
	sstXML := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="12">` +
		`<si><t>plain</t></si><si/><si><t/></si><si><t></t></si>` +
		`<si><t xml:space="preserve">  spaced  </t></si>` +
		`<si><t>a&amp;b&#x4E2D;</t></si>` +
		`<si><t><![CDATA[<x>]]></t></si>` +
		"<si><t>cr\r\nlf</t></si>" +
		`<si><r><rPr><b/><sz val="11"/></rPr><t>rich</t></r><r><t xml:space="preserve"> run</t></r></si>` +
		`<si><t>139</t><rPh sb="0" eb="1"><t>phonetic</t></rPh><phoneticPr fontId="1"/></si>` +
		`<si><t>_x000D_esc_x005F_x0041_</t></si>` +
		`<si><!-- c --><t>commented</t></si>` +
		`</sst>`
	want := []string{"plain", "", "", "", "  spaced  ", "a&b中", "<x>", "cr\nlf", "rich run", "139", "\resc_x0041_", "commented"}
	for _, bufSize := range []int{4 << 20, 200} {
		old := skipBufSize
		skipBufSize = bufSize
		p := filepath.Join(t.TempDir(), "sst.xlsx")
		writeXLSXParts(t, p, headerlessSheet, sstXML)
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Fatal(err)
		}
		var zf *zip.File
		for _, f := range zr.File {
			if f.Name == "xl/sharedStrings.xml" {
				zf = f
			}
		}
		fast, ok, err := loadSharedStringsFast(zf)
		if err != nil || !ok {
			t.Fatalf("fast path: ok %v err %v", ok, err)
		}
		slow, err := loadSharedStringsXML(zf)
		if err != nil {
			t.Fatal(err)
		}
		zr.Close()
		skipBufSize = old
		for i, w := range want {
			f, _ := fast.get(i)
			s, _ := slow.get(i)
			if f != w || s != w {
				t.Errorf("buf %d item %d: fast %q, decoder %q, want %q", bufSize, i, f, s, w)
			}
		}
		if _, ok := fast.get(len(want)); ok || len(fast.off) != len(slow.off) {
			t.Errorf("buf %d: fast has %d items, decoder %d, want %d", bufSize, len(fast.off)-1, len(slow.off)-1, len(want))
		}
	}
}

// TestPhoneScannerOutIDAsShown: for every kind of OutId cell the scanner either
// hands out the very text Open shows, or stops at that row with
// ErrOutIDFormatted so that the caller reads on through Open.
func TestPhoneScannerOutIDAsShown(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		value     any
		numFmt    int    // built-in number format; 0 = none
		custom    string // custom number format
		bold      bool   // a style that changes the font only
		formatted bool   // the scanner must stop at this row
	}{
		{"text", "ORD-0001", 0, "", false, false},
		{"digits as text", "000123", 0, "", false, false},
		{"text under @", "abc", 49, "", false, false},
		{"bold text", "abc", 0, "", true, false},
		{"text under a format with a text section", "abc", 0, `"ID-"@`, false, true},
		{"empty cell under a format with a text section", nil, 0, `0;-0;0;"T:"@`, false, true},
		{"hidden by ;;;", "abc", 0, ";;;", false, true},
		{"unstyled integer", 12345678901, 0, "", false, false},
		{"bold integer", 12345678901, 0, "", true, false},
		{"unstyled 15 digits", 123456789012345, 0, "", false, false},
		{"negative integer", -42, 0, "", false, false},
		{"unstyled 16 digits", 1234567890123456, 0, "", false, true},
		{"unstyled decimal", 0.30000000000000004, 0, "", false, true},
		{"leading zeros format", 123, 0, "000000", false, true},
		{"date", 45292, 14, "", false, true},
		{"boolean", true, 0, "", false, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("o%d.xlsx", i))
			f := excelize.NewFile()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(f.SetSheetRow("Sheet1", "A1", &[]any{"编号", "手机号"}))
			must(f.SetSheetRow("Sheet1", "A2", &[]any{"first", "13900000001"}))
			must(f.SetSheetRow("Sheet1", "A3", &[]any{tt.value, "13900000002"}))
			if tt.numFmt != 0 || tt.custom != "" || tt.bold {
				st := &excelize.Style{NumFmt: tt.numFmt}
				if tt.custom != "" {
					st.CustomNumFmt = &tt.custom
				}
				if tt.bold {
					st.Font = &excelize.Font{Bold: true}
				}
				id, err := f.NewStyle(st)
				must(err)
				must(f.SetCellStyle("Sheet1", "A3", "A3", id))
			}
			must(f.SaveAs(p))
			src, err := Open(p, Options{OutIDColumn: "编号"})
			must(err)
			var shown []string
			for {
				r, err := src.Next()
				if err == io.EOF {
					break
				}
				must(err)
				shown = append(shown, r.OutID)
			}
			l, _ := LayoutOf(src)
			src.Close()

			sc, err := OpenPhoneScanner(l, 0)
			must(err)
			defer sc.Close()
			r, err := sc.Next()
			if err != nil || r.OutID != shown[0] {
				t.Fatalf("row 0: %q, %v; want %q", r.OutID, err, shown[0])
			}
			r, err = sc.Next()
			if tt.formatted {
				if !errors.Is(err, ErrOutIDFormatted) || r.Index != 1 || r.Line != 3 {
					t.Fatalf("row 1 (Open shows %q): index %d line %d, %v; want index 1 line 3 and ErrOutIDFormatted", shown[1], r.Index, r.Line, err)
				}
				if !strings.Contains(err.Error(), "row 3") {
					t.Errorf("error %q does not name row 3", err)
				}
				return
			}
			if err != nil || r.OutID != shown[1] {
				t.Fatalf("row 1: scanner %q, %v; Open shows %q", r.OutID, err, shown[1])
			}
		})
	}
}

// TestPhoneScannerOutIDLeadingZeros: a number stored with leading zeros (Excel
// never writes one, other programs do) is shown without them.
func TestPhoneScannerOutIDLeadingZeros(t *testing.T) {
	p := filepath.Join(t.TempDir(), "zeros.xlsx")
	cell := func(ref, v string) string { return `<c r="` + ref + `"><v>` + v + `</v></c>` }
	writeXLSXParts(t, p, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
		`<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c><c r="B1" t="inlineStr"><is><t>手机号</t></is></c></row>`+
		`<row r="2">`+cell("A2", "0")+cell("B2", "13900000001")+`</row>`+
		`<row r="3">`+cell("A3", "007")+cell("B3", "13900000002")+`</row>`+
		`</sheetData></worksheet>`, "")
	src, err := Open(p, Options{OutIDColumn: "编号"})
	if err != nil {
		t.Fatal(err)
	}
	r0, _ := src.Next()
	r1, _ := src.Next()
	l, _ := LayoutOf(src)
	src.Close()
	if r1.OutID != "7" {
		t.Fatalf("Open shows %q for a stored 007; the test assumes excelize drops the zeros", r1.OutID)
	}
	sc, err := OpenPhoneScanner(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if r, err := sc.Next(); err != nil || r.OutID != r0.OutID {
		t.Fatalf("row 0: %q, %v; Open shows %q", r.OutID, err, r0.OutID)
	}
	if r, err := sc.Next(); !errors.Is(err, ErrOutIDFormatted) || r.Index != 1 {
		t.Fatalf("row 1 (stored 007): %q index %d, %v; want ErrOutIDFormatted", r.OutID, r.Index, err)
	}
}
