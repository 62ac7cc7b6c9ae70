package readers

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Table tests for the steps of parseCells, and a fuzz target for the whole.

func TestStartCell(t *testing.T) {
	tests := []struct {
		tag     string
		prev    int
		want    scanCell
		wantErr bool
	}{
		{`<c r="C7" t="s" s="3">`, -1, scanCell{col: 2, typ: "s", style: "3"}, false},
		{`<c>`, -1, scanCell{col: 0}, false},
		{`<c t="n">`, 4, scanCell{col: 5, typ: "n"}, false},
		{`<c r="A1">`, 9, scanCell{col: 0}, false}, // r wins over the previous column
		{`<c r="7">`, 0, scanCell{}, true},
	}
	for _, tc := range tests {
		got, err := startCell(startTag(t, tc.tag), tc.prev)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("startCell(%s, %d) = %+v, %v; want %+v, error %v", tc.tag, tc.prev, got, err, tc.want, tc.wantErr)
		}
	}
}

func startTag(t *testing.T, s string) xml.StartElement {
	t.Helper()
	tok, err := xml.NewDecoder(strings.NewReader(s)).RawToken()
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return tok.(xml.StartElement)
}

func TestTextTarget(t *testing.T) {
	tests := []struct {
		stack string
		want  int
	}{
		{"", textNone},
		{"c", textNone},
		{"c f", textNone},
		{"x v", textNone},
		{"c v", textV},
		{"c v x", textMarkup},
		{"c is", textMarkup},
		{"c is t", textIS},
		{"c is r t", textIS},
		{"c is r rPr", textMarkup},
		{"c is rPh t", textMarkup}, // phonetic runs are not the text
	}
	for _, tc := range tests {
		if got := textTarget(strings.Fields(tc.stack)); got != tc.want {
			t.Errorf("textTarget(%q) = %d, want %d", tc.stack, got, tc.want)
		}
	}
}

func TestCellStored(t *testing.T) {
	tests := []struct {
		name   string
		c      scanCell
		v, is  string
		wanted bool
		want   storedCell
	}{
		{"number wanted", scanCell{}, "123", "", true, storedCell{val: "123", stored: true}},
		{"number not wanted: not copied", scanCell{typ: "n"}, "123", "", false, storedCell{stored: true}},
		{"empty", scanCell{}, "", "", true, storedCell{}},
		{"shared string", scanCell{typ: "s"}, " 4 ", "", true, storedCell{shared: true, sst: 4}},
		{"shared string without a value", scanCell{typ: "s"}, "", "", true, storedCell{}},
		{"inline string", scanCell{typ: "inlineStr", hasIS: true}, "", "a_x0041_", false, storedCell{val: "aA", stored: true}},
		{"empty inline string", scanCell{typ: "inlineStr", hasIS: true}, "", "", true, storedCell{}},
		{"inlineStr with only <v>", scanCell{typ: "inlineStr"}, "7", "", true, storedCell{val: "7", stored: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cellStored(tc.c, []byte(tc.v), []byte(tc.is), tc.wanted); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSetPhone(t *testing.T) {
	tests := []struct {
		name    string
		c       scanCell
		val     string
		wantErr bool
	}{
		{"value", scanCell{}, "13800138000", false},
		{"formula with a cached value", scanCell{hasF: true}, "13800138000", false},
		{"formula with blank text cached", scanCell{hasF: true, valueText: true}, "", false},
		{"formula without a cache", scanCell{col: 1, hasF: true}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row := Row{Sheet: "S", Line: 9, Err: errors.New("stale")}
			setPhone(&row, tc.c, tc.val)
			if row.Phone != tc.val || (row.Err != nil) != tc.wantErr {
				t.Fatalf("phone %q err %v, want %q, error %v", row.Phone, row.Err, tc.val, tc.wantErr)
			}
			if tc.wantErr && (!errors.Is(row.Err, errNoCache) || !strings.Contains(row.Err.Error(), "cell B9")) {
				t.Errorf("error %v, want errNoCache naming cell B9", row.Err)
			}
		})
	}
}

// cellTestZip is a workbook's shared strings (0 "", 1 "139", 2 "x") and styles
// (0 General, 1 a date format, 2 "@").
func cellTestZip(t testing.TB) *zip.Reader {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"xl/sharedStrings.xml": `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t></t></si><si><t>139</t></si><si><t>x</t></si></sst>`,
		"xl/styles.xml":        `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="49"/></cellXfs></styleSheet>`,
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// parseBody parses the cells of <row>body</row> on a scanner whose phone is
// column A and OutId column B.
func parseBody(s *phoneScanner, body string) (Row, bool, error) {
	s.dec = xml.NewDecoder(strings.NewReader(body + "</row>"))
	return s.parseCells(5)
}

func newCellScanner(zr *zip.Reader) *phoneScanner {
	return &phoneScanner{l: Layout{Sheet: "S", PhoneCol: 0, OutIDCol: 1}, zr: zr}
}

func TestParseCells(t *testing.T) {
	zr := cellTestZip(t)
	tests := []struct {
		name      string
		body      string
		phone     string
		outID     string
		formatted bool
		blank     bool
		wantErr   bool
	}{
		{"numbers", `<c r="A5"><v>13800138000</v></c><c r="B5"><v>42</v></c>`, "13800138000", "42", false, false, false},
		{"shared strings", `<c r="A5" t="s"><v>1</v></c><c r="B5" t="s" s="2"><v>2</v></c>`, "139", "x", false, false, false},
		{"inline string in runs", `<c r="A5" t="inlineStr"><is><r><t>13</t></r><r><rPr/><t>9</t></r></is></c>`, "139", "", false, false, false},
		{"cells without r follow on", `<c><v>1</v></c><c><v>2</v></c>`, "1", "2", false, false, false},
		{"OutId with a date format", `<c r="B5" s="1"><v>45000</v></c>`, "", "45000", true, false, false},
		{"only an empty shared string elsewhere: blank", `<c r="D5" t="s"><v>0</v></c>`, "", "", false, true, false},
		{"a non-empty shared string elsewhere", `<c r="D5" t="s"><v>2</v></c>`, "", "", false, false, false},
		{"empty cells: blank", `<c r="A5"/><c r="C5" s="1"/>`, "", "", false, true, false},
		{"formula without a value is not blank", `<c r="D5"><f>1+1</f></c>`, "", "", false, false, false},
		{"bad reference", `<c r="5A"><v>1</v></c>`, "", "", false, false, true},
		{"unclosed cell", `<c r="A5"><v>1</v>`, "", "", false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row, blank, err := parseBody(newCellScanner(zr), tc.body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if row.Phone != tc.phone || row.OutID != tc.outID || row.outIDFormatted != tc.formatted || blank != tc.blank || row.Line != 5 || row.Sheet != "S" {
				t.Errorf("row %+v blank %v; want phone %q OutId %q formatted %v blank %v", row, blank, tc.phone, tc.outID, tc.formatted, tc.blank)
			}
		})
	}
}

// FuzzParseCells feeds arbitrary row bodies to the cell parser: it must not
// panic, must say where the row is, and must give the same answer for a row
// however it is reached (state from the row before must not leak into it).
func FuzzParseCells(f *testing.F) {
	for _, seed := range []string{
		`<c r="A5"><v>13800138000</v></c><c r="B5"><v>42</v></c>`,
		`<c r="A5" t="s"><v>1</v></c><c r="B5" t="s" s="2"><v>2</v></c>`,
		`<c r="A5" t="inlineStr"><is><r><t>13</t></r><r><rPr/><t>9</t></r></is></c>`,
		`<c r="A5" t="str"><f>A1</f><v></v></c>`,
		`<c r="D5" t="s"><v>0</v></c>`,
		`<c><v>1</v></c><c s="1"><v>2</v></c>`,
		`<c r="B5" t="inlineStr"><is><t>a_x0041_</t></is></c>`,
		`<c r="XFD5" t="s"><v>-3</v></c>`,
	} {
		f.Add(seed)
	}
	zr := cellTestZip(f)
	f.Fuzz(func(t *testing.T, body string) {
		fresh := newCellScanner(zr)
		row, blank, err := parseBody(fresh, body)
		if err == nil && (row.Line != 5 || row.Sheet != "S") {
			t.Fatalf("row %+v: line and sheet not the row's", row)
		}
		// The same body after another row, on the same scanner.
		used := newCellScanner(zr)
		if _, _, err := parseBody(used, `<c r="A4" t="inlineStr"><is><t>stale</t></is></c><c r="B4"><f>x</f><v>9</v></c>`); err != nil {
			t.Fatal(err)
		}
		row2, blank2, err2 := parseBody(used, body)
		if (err == nil) != (err2 == nil) || blank != blank2 || !reflect.DeepEqual(row, row2) {
			t.Fatalf("after another row: %+v %v %v; fresh: %+v %v %v", row2, blank2, err2, row, blank, err)
		}
	})
}
