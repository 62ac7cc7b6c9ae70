package readers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"
)

// cellHead is the row, column and XF index that start a cell record.
func cellHead(row, col, xf int) []byte {
	return bytes.Join([][]byte{u16(row), u16(col), u16(xf)}, nil)
}

func f64(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

func TestPlainCellValue(t *testing.T) {
	sst := []string{"甲", "b"}
	tests := []struct {
		name string
		typ  int
		data []byte
		want biffValue
		bad  bool // a damaged-file error
	}{
		{"number", biffNumber, append(cellHead(0, 0, 3), f64(13812345678)...), biffValue{kind: 'n', xf: 3, num: 13812345678}, false},
		{"rk integer", biffRK, append(cellHead(0, 0, 4), u32(42<<2|2)...), biffValue{kind: 'n', xf: 4, num: 42}, false},
		{"rk hundredths", biffRK, append(cellHead(0, 0, 4), u32(1234<<2|3)...), biffValue{kind: 'n', xf: 4, num: 12.34}, false},
		{"shared string", biffLabelSST, append(cellHead(0, 0, 15), u32(0)...), biffValue{kind: 's', xf: 15, str: "甲"}, false},
		{"shared string past the table", biffLabelSST, append(cellHead(0, 0, 15), u32(2)...), biffValue{}, true},
		{"label", biffLabel, bytes.Join([][]byte{cellHead(0, 0, 1), u16(2), {0}, []byte("hi")}, nil), biffValue{kind: 's', xf: 1, str: "hi"}, false},
		{"rstring wide", biffRString, bytes.Join([][]byte{cellHead(0, 0, 1), u16(1), {1}, wideChars("号")}, nil), biffValue{kind: 's', xf: 1, str: "号"}, false},
		{"label cut short", biffLabel, bytes.Join([][]byte{cellHead(0, 0, 1), u16(5), {0}, []byte("hi")}, nil), biffValue{}, true},
		{"boolean", biffBoolErr, append(cellHead(0, 0, 2), 1, 0), biffValue{kind: 'b', xf: 2, num: 1}, false},
		{"error", biffBoolErr, append(cellHead(0, 0, 2), 0x07, 1), biffValue{kind: 'e', xf: 2, str: "#DIV/0!"}, false},
	}
	for _, tt := range tests {
		if len(tt.data) < plainCellSize(tt.typ) {
			t.Fatalf("%s: test data of %d bytes is shorter than the record's %d", tt.name, len(tt.data), plainCellSize(tt.typ))
		}
		got, err := plainCellValue(tt.typ, binary.LittleEndian.Uint16(tt.data[4:]), tt.data, sst)
		if tt.bad {
			if !errors.Is(err, errXLSDamaged) {
				t.Errorf("%s: error %v, want a damaged-file error", tt.name, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestFormulaResult(t *testing.T) {
	special := func(typ, val byte) []byte { return []byte{typ, 0, val, 0, 0, 0, 0xFF, 0xFF} }
	tests := []struct {
		name string
		res  []byte
		want biffValue
		ok   bool
	}{
		{"number", f64(-2.5), biffValue{kind: 'n', num: -2.5}, true},
		{"string waits for STRING", special(0, 0), biffValue{kind: 's'}, true},
		{"true", special(1, 1), biffValue{kind: 'b', num: 1}, true},
		{"false", special(1, 0), biffValue{kind: 'b'}, true},
		{"error", special(2, 0x2A), biffValue{kind: 'e', str: "#N/A"}, true},
		{"empty string", special(3, 0), biffValue{}, true},
		{"unknown type", special(9, 0), biffValue{}, false},
		{"FF in one byte only is a number", []byte{0, 0, 0, 0, 0, 0, 0xFF, 0x3F}, biffValue{kind: 'n', num: math.Float64frombits(0x3FFF000000000000)}, true},
	}
	for _, tt := range tests {
		got, ok := formulaResult(tt.res)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStringRecordText(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
		ok   bool
	}{
		{"narrow", bytes.Join([][]byte{u16(3), {0}, []byte("abc")}, nil), "abc", true},
		{"wide", bytes.Join([][]byte{u16(2), {1}, wideChars("张三")}, nil), "张三", true},
		{"narrow, continued", bytes.Join([][]byte{u16(6), {0}, []byte("abc")}, nil), "abc", true},
		{"wide, continued, odd byte dropped", bytes.Join([][]byte{u16(5), {1}, wideChars("张三"), {0x41}}, nil), "张三", true},
		{"empty", bytes.Join([][]byte{u16(0), {0}}, nil), "", true},
		{"too short", []byte{1, 0}, "", false},
	}
	for _, tt := range tests {
		got, ok := stringRecordText(tt.data)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSheetReaderRecord checks the record dispatch across records: a string
// formula takes its text from the STRING record after it, past SHRFMLA,
// ARRAY, TABLE and CONTINUE records but not past another cell.
func TestSheetReaderRecord(t *testing.T) {
	strFormula := func(row, col int) []byte {
		return bytes.Join([][]byte{cellHead(row, col, 0), {0, 0, 0, 0, 0, 0, 0xFF, 0xFF}}, nil)
	}
	str := func(s string) []byte { return bytes.Join([][]byte{u16(len(s)), {0}, []byte(s)}, nil) }
	recs := []struct {
		typ  int
		data []byte
	}{
		{biffFormula, strFormula(0, 0)},
		{biffShrFmla, nil},
		{biffArray, nil},
		{biffTable, nil},
		{biffContinue, nil},
		{biffString, str("kept")},
		{biffString, str("no formula waits")}, // a second STRING: nothing waits
		{biffFormula, strFormula(1, 0)},
		{biffNumber, append(cellHead(1, 1, 0), f64(7)...)},
		{biffString, str("too late")}, // another cell came between
		{biffMulRK, bytes.Join([][]byte{u16(2), u16(1), u16(5), u32(1<<2 | 2), u16(6), u32(2<<2 | 2), u16(2)}, nil)},
	}
	sr := sheetReader{}
	for i, r := range recs {
		if !sr.record(r.typ, r.data) {
			t.Fatalf("record %d (%#04x) stopped the walk: %v", i, r.typ, sr.bad)
		}
	}
	want := biffRows{
		{{kind: 's', str: "kept"}},
		{{kind: 's'}, {kind: 'n', col: 1, num: 7}},
		{{kind: 'n', col: 1, xf: 5, num: 1}, {kind: 'n', col: 2, xf: 6, num: 2}},
	}
	if !reflect.DeepEqual(sr.rows, want) {
		t.Errorf("rows %+v, want %+v", sr.rows, want)
	}

	for _, tt := range []struct {
		name string
		typ  int
		data []byte
	}{
		{"short number", biffNumber, cellHead(0, 0, 0)},
		{"column past IV", biffRK, append(cellHead(0, biffMaxCols, 0), u32(2)...)},
		{"short formula", biffFormula, cellHead(0, 0, 0)},
		{"short MULRK", biffMulRK, u16(0)},
		{"shared string missing", biffLabelSST, append(cellHead(0, 0, 0), u32(0)...)},
	} {
		sr := sheetReader{}
		if sr.record(tt.typ, tt.data) || !errors.Is(sr.bad, errXLSDamaged) {
			t.Errorf("%s: walk went on or error %v; want it stopped with a damaged-file error", tt.name, sr.bad)
		}
	}
}

func TestGlobalsReaderRecord(t *testing.T) {
	recs := []struct {
		typ  int
		data []byte
	}{
		{biffXF, bytes.Join([][]byte{u16(0), u16(164)}, nil)},
		{biffFormat, bytes.Join([][]byte{u16(164), u16(4), {0}, []byte("0.00")}, nil)},
		{biffDateMode, u16(1)},
		{biffSST, make([]byte, 8)},
		{biffContinue, []byte("c1")},
		{biffContinue, []byte("c2")},
		{biffBoundSheet, bytes.Join([][]byte{u32(1000), {1, 0, 2, 1}, wideChars("客户")}, nil)},
		{biffContinue, []byte("not SST")}, // after another record: not the SST's
		{biffBoundSheet, bytes.Join([][]byte{u32(2000), {0, 2, 1, 0}, []byte("S")}, nil)},
		{0x0031, nil}, // FONT: ignored
	}
	g := globalsReader{b: &biffBook{formats: map[int]string{}}}
	for i, r := range recs {
		if !g.record(r.typ, r.data) {
			t.Fatalf("record %d (%#04x) stopped the walk: bad %q", i, r.typ, g.bad)
		}
	}
	want := &biffBook{
		sheets: []biffSheet{
			{offset: 1000, hidden: true, kind: 0, name: "客户"},
			{offset: 2000, hidden: false, kind: 2, name: "S"},
		},
		date1904: true,
		xfFormat: []uint16{164},
		formats:  map[int]string{164: "0.00"},
	}
	if !reflect.DeepEqual(g.b, want) {
		t.Errorf("book %+v, want %+v", g.b, want)
	}
	if wantSST := [][]byte{make([]byte, 8), []byte("c1"), []byte("c2")}; !reflect.DeepEqual(g.sst, wantSST) {
		t.Errorf("SST fragments %q, want %q", g.sst, wantSST)
	}

	for _, tt := range []struct {
		typ       int
		data      []byte
		bad       string
		encrypted bool
	}{
		{biffFilePass, nil, "", true},
		{biffXF, u16(0), "XF", false},
		{biffFormat, u16(164), "FORMAT", false},
		{biffFormat, bytes.Join([][]byte{u16(164), u16(9), {0}, []byte("0.0")}, nil), "FORMAT", false}, // cut short
		{biffDateMode, []byte{1}, "DATEMODE", false},
		{biffBoundSheet, u32(0), "BOUNDSHEET", false},
		{biffBoundSheet, bytes.Join([][]byte{u32(0), {0, 0, 5, 0}, []byte("S")}, nil), "BOUNDSHEET", false}, // name cut short
		{biffSST, make([]byte, 7), "SST", false},
	} {
		g := globalsReader{b: &biffBook{formats: map[int]string{}}}
		if g.record(tt.typ, tt.data) || g.bad != tt.bad || g.encrypted != tt.encrypted {
			t.Errorf("%#04x % x: walk went on, or bad %q encrypted %v; want it stopped with bad %q encrypted %v", tt.typ, tt.data, g.bad, g.encrypted, tt.bad, tt.encrypted)
		}
	}
	g = globalsReader{b: &biffBook{formats: map[int]string{}}}
	if !g.record(biffSST, make([]byte, 8)) || g.record(biffSST, make([]byte, 8)) || g.bad != "SST" {
		t.Errorf("a second SST record: bad %q, want it refused as SST", g.bad)
	}
}
