package readers

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func encodeWith(t testing.TB, e transform.Transformer, s string) []byte {
	t.Helper()
	b, _, err := transform.Bytes(e, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAll(t testing.TB, src Source) []Row {
	t.Helper()
	var rows []Row
	for {
		r, err := src.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, r)
	}
}

func phones(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Phone)
	}
	return out
}

func lines(rows []Row) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.Line)
	}
	return out
}

func TestCSVFixtures(t *testing.T) {
	dir := t.TempDir()
	const zh = "姓名,手机号,备注\r\n张三,13912345678,老客户\r\n李四,+86 138-0000-0000,\r\n"
	utf16 := "\ufeff姓名\t手机号\r\n王五\t13700000000\r\n"
	tests := []struct {
		name, file string
		data       []byte
		opts       Options
		header     []string
		phoneCol   int
		phones     []string
		lines      []int
		describe   string
	}{
		{
			name: "GBK from Excel zh-CN", file: "gbk.csv",
			data:   encodeWith(t, simplifiedchinese.GBK.NewEncoder(), zh),
			header: []string{"姓名", "手机号", "备注"}, phoneCol: 1,
			phones: []string{"13912345678", "+86 138-0000-0000"}, lines: []int{2, 3},
			describe: "(GB18030, comma), header row 1, phone column B (手机号)",
		},
		{
			name: "UTF-8 BOM CRLF", file: "bom.csv",
			data:   append([]byte{0xEF, 0xBB, 0xBF}, zh...),
			header: []string{"姓名", "手机号", "备注"}, phoneCol: 1,
			phones: []string{"13912345678", "+86 138-0000-0000"}, lines: []int{2, 3},
			describe: "(UTF-8, comma)",
		},
		{
			name: "UTF-16LE unicode text", file: "unicode.txt",
			data:   encodeWith(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder(), utf16),
			header: []string{"姓名", "手机号"}, phoneCol: 1,
			phones: []string{"13700000000"}, lines: []int{2},
			describe: "(UTF-16LE, tab)",
		},
		{
			name: "UTF-16BE", file: "be.txt",
			data:   encodeWith(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder(), utf16),
			header: []string{"姓名", "手机号"}, phoneCol: 1,
			phones: []string{"13700000000"}, lines: []int{2},
		},
		{
			name: "semicolon", file: "semi.csv",
			data:   []byte("id;name;mobile\n1;\"a;b\";13912345678\n2;c;13800000000\n"),
			header: []string{"id", "name", "mobile"}, phoneCol: 2,
			phones: []string{"13912345678", "13800000000"}, lines: []int{2, 3},
			describe: "(UTF-8, semicolon)",
		},
		{
			name: "quoted newlines keep start line", file: "nl.csv",
			data:   []byte("备注,电话\n\"line1\nline2\",13912345678\n\"x\r\ny\r\nz\",13800000000\nok,13700000000\n"),
			header: []string{"备注", "电话"}, phoneCol: 1,
			phones: []string{"13912345678", "13800000000", "13700000000"}, lines: []int{2, 4, 7},
		},
		{
			name: "ragged rows", file: "ragged.csv",
			data:   []byte("a,phone,c\n1,13912345678\n2,13800000000,x,extra1,extra2\n"),
			header: []string{"a", "phone", "c"}, phoneCol: 1,
			phones: []string{"13912345678", "13800000000"}, lines: []int{2, 3},
		},
		{
			name: "pipe", file: "pipe.txt",
			data:   []byte("name|tel\nx|13912345678\n"),
			header: []string{"name", "tel"}, phoneCol: 1,
			phones: []string{"13912345678"},
		},
		{
			name: "tsv extension forces tab", file: "a.tsv",
			data:   []byte("name,x\tphone\nx,y\t13912345678\n"),
			header: []string{"name,x", "phone"}, phoneCol: 1,
			phones: []string{"13912345678"},
		},
		{
			name: "headerless detected from values", file: "bare.csv",
			data:   []byte("张三,13912345678\n李四,13800000000\n"),
			header: []string{"A", "B"}, phoneCol: 1,
			phones: []string{"13912345678", "13800000000"}, lines: []int{1, 2},
			describe: "no header row, phone column B",
		},
		{
			name: "title row then header on row 3", file: "title.csv",
			data:   []byte("2024年客户联系电话清单,,\n,,\n序号,客户,联系电话\n1,甲,13912345678\n"),
			header: []string{"序号", "客户", "联系电话"}, phoneCol: 2,
			phones: []string{"13912345678"}, lines: []int{4},
			describe: "header row 3, phone column C (联系电话)",
		},
		{
			name: "no header name: detect by values", file: "vals.csv",
			data:   []byte("id,who,contact\n1,a,13912345678\n2,b,13800000000\n3,c,\n4,d,13700000000\n"),
			header: []string{"id", "who", "contact"}, phoneCol: 2,
			phones: []string{"13912345678", "13800000000", "", "13700000000"},
		},
		{
			name: "exact name beats contains", file: "rank.csv",
			data:   []byte("身份证号码,手机号\n110101199001011234,13912345678\n"),
			header: []string{"身份证号码", "手机号"}, phoneCol: 1,
			phones: []string{"13912345678"},
		},
		{
			name: "tie on contains broken by values", file: "tie.csv",
			data:   []byte("身份证号码,联系人手机\n110101199001011234,13912345678\n"),
			header: []string{"身份证号码", "联系人手机"}, phoneCol: 1,
			phones: []string{"13912345678"},
		},
		{
			name: "blank rows inside kept, trailing dropped", file: "blank.csv",
			data:   []byte("phone\n13912345678\n\"\"\n13800000000\n\"\"\n\"\"\n"),
			header: []string{"phone"}, phoneCol: 0,
			phones: []string{"13912345678", "", "13800000000"}, lines: []int{2, 3, 4},
		},
		{
			name: "column by letter with forced encoding", file: "forced.csv",
			data:   encodeWith(t, simplifiedchinese.GB18030.NewEncoder(), "x,y\n1,13912345678\n"),
			opts:   Options{Column: "b", Encoding: "gb18030"},
			header: []string{"x", "y"}, phoneCol: 1, phones: []string{"13912345678"},
		},
		{
			name: "column by number, header row forced", file: "num.csv",
			data:   []byte("junk\nx;y\n1;13912345678\n"),
			opts:   Options{Column: "2", HeaderRow: 2, Delimiter: ';'},
			header: []string{"x", "y"}, phoneCol: 1, phones: []string{"13912345678"}, lines: []int{3},
		},
		{
			name: "column by header name, case-insensitive", file: "name.csv",
			data:   []byte("ID,Phone,Backup Phone\n1,13912345678,13800000000\n"),
			opts:   Options{Column: " backup phone "},
			header: []string{"ID", "Phone", "Backup Phone"}, phoneCol: 2, phones: []string{"13800000000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.file, tt.data)
			src, err := Open(p, tt.opts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer src.Close()
			if !reflect.DeepEqual(src.Header(), tt.header) {
				t.Errorf("Header = %q, want %q", src.Header(), tt.header)
			}
			if src.PhoneColumn() != tt.phoneCol {
				t.Errorf("PhoneColumn = %d, want %d", src.PhoneColumn(), tt.phoneCol)
			}
			if tt.describe != "" && !strings.Contains(src.Describe(), tt.describe) {
				t.Errorf("Describe = %q, want it to contain %q", src.Describe(), tt.describe)
			}
			rows := readAll(t, src)
			if !reflect.DeepEqual(phones(rows), tt.phones) {
				t.Errorf("phones = %q, want %q", phones(rows), tt.phones)
			}
			if tt.lines != nil && !reflect.DeepEqual(lines(rows), tt.lines) {
				t.Errorf("lines = %v, want %v", lines(rows), tt.lines)
			}
			for i, r := range rows {
				if r.Index != int64(i) {
					t.Errorf("row %d has Index %d", i, r.Index)
				}
				if len(r.Cells) < len(tt.header) {
					t.Errorf("row %d: %d cells, header has %d", i, len(r.Cells), len(tt.header))
				}
				if r.Cells[tt.phoneCol] != r.Phone {
					t.Errorf("row %d: cell %q != phone %q", i, r.Cells[tt.phoneCol], r.Phone)
				}
			}
		})
	}
}

func TestCSVRaggedKeepsExtraCells(t *testing.T) {
	p := writeFile(t, t.TempDir(), "r.csv", []byte("a,phone\n1,13912345678,x,y\n2\n"))
	src, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rows := readAll(t, src)
	want := [][]string{{"1", "13912345678", "x", "y"}, {"2", ""}}
	for i := range want {
		if !reflect.DeepEqual(rows[i].Cells, want[i]) {
			t.Errorf("row %d cells = %q, want %q", i, rows[i].Cells, want[i])
		}
	}
}

func TestCSVOutID(t *testing.T) {
	p := writeFile(t, t.TempDir(), "o.csv", []byte("订单号,手机号\nA-1,13912345678\n"))
	src, err := Open(p, Options{OutIDColumn: "订单号"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rows := readAll(t, src)
	if len(rows) != 1 || rows[0].OutID != "A-1" || rows[0].Phone != "13912345678" {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file string
		data       []byte
		opts       Options
		ambiguous  bool
		contains   string
	}{
		{"two phone headers", "amb.csv", []byte("手机号,联系电话\n13912345678,13800000000\n13912345679,13800000001\n"), Options{}, true, "A (手机号), B (联系电话)"},
		{"two phone-valued columns", "amb2.csv", []byte("x,y\n13912345678,13800000000\n"), Options{}, true, "A (x), B (y)"},
		{"no phone column", "none.csv", []byte("name,city\nzhang,beijing\n"), Options{}, false, "no phone column found; pass --column"},
		{"unknown column", "unk.csv", []byte("name,phone\nzhang,13912345678\n"), Options{Column: "mobile"}, false, `column "mobile" not found; the header has: A (name), B (phone)`},
		{"empty file", "empty.csv", nil, Options{}, false, "no data"},
		{"bad encoding", "enc.csv", []byte("phone\n13912345678\n"), Options{Encoding: "latin1"}, false, "unknown encoding"},
		{"header row past end", "hr.csv", []byte("phone\n13912345678\n"), Options{HeaderRow: 10}, false, "header row 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.file, tt.data)
			src, err := Open(p, tt.opts)
			if err == nil {
				src.Close()
				t.Fatal("Open succeeded")
			}
			var amb *AmbiguousColumnError
			var in *InputError
			if tt.ambiguous && !errors.As(err, &amb) || !tt.ambiguous && !errors.As(err, &in) {
				t.Fatalf("error %T %v: wrong type", err, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestDetectEncoding(t *testing.T) {
	gbk := encodeWith(t, simplifiedchinese.GBK.NewEncoder(), "手机号")
	long := bytes.Repeat([]byte("a"), sniffSize-1)
	cut := append(append([]byte{}, long...), "手"[0]) // multibyte char cut by the window
	tests := []struct {
		name  string
		head  []byte
		atEOF bool
		want  string
		skip  int
	}{
		{"bom", []byte("\xEF\xBB\xBFa,b"), true, "UTF-8", 3},
		{"utf16le", []byte{0xFF, 0xFE, 'a', 0}, true, "UTF-16LE", 2},
		{"utf16be", []byte{0xFE, 0xFF, 0, 'a'}, true, "UTF-16BE", 2},
		{"plain utf8", []byte("手机号,a"), true, "UTF-8", 0},
		{"gbk", gbk, true, "GB18030", 0},
		{"cut at window", cut, false, "UTF-8", 0},
		{"cut at real EOF is invalid", cut, true, "GB18030", 0},
	}
	for _, tt := range tests {
		got := detectEncoding(tt.head, tt.atEOF)
		if got.name != tt.want || got.skipBOM != tt.skip {
			t.Errorf("%s: got %s skip %d, want %s skip %d", tt.name, got.name, got.skipBOM, tt.want, tt.skip)
		}
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		text string
		want rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a;b;c\r\n1;2,5;3\r\n", ';'},
		{"a\tb\n1\t2\n", '\t'},
		{"a|b\n1|2\n", '|'},
		{"\"x,y\";b\n\"1,2\";3\n", ';'},
		{"single\nvalue\n", ','},
		{"", ','},
		{"a,b;c;d\n1,2;3;4\n5;6;7\n", ';'},
	}
	for _, tt := range tests {
		if got := detectDelimiter(tt.text, true); got != tt.want {
			t.Errorf("detectDelimiter(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func FuzzDetectCSV(f *testing.F) {
	f.Add([]byte("手机号,a\r\n13912345678,x\r\n"))
	f.Add([]byte("\xEF\xBB\xBFa;b\n1;2"))
	f.Add([]byte{0xFF, 0xFE, 'a', 0, '\t', 0})
	f.Add([]byte("\"a\nb\"|c\n"))
	f.Add([]byte{0xCA, 0xD6, 0xBB, 0xFA})
	f.Fuzz(func(t *testing.T, data []byte) {
		text, enc, delim, err := newCSVDecoder(bytes.NewReader(data), "f.csv", Options{})
		if err != nil {
			t.Fatalf("decoder: %v", err)
		}
		if delim != ',' && delim != ';' && delim != '\t' && delim != '|' {
			t.Fatalf("delimiter %q", delim)
		}
		out, err := io.ReadAll(text)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		switch {
		case bytes.HasPrefix(data, bomUTF8):
			if enc.name != "UTF-8" || !bytes.Equal(out, data[3:]) {
				t.Fatalf("BOM input: encoding %s, output differs", enc.name)
			}
		case utf8.Valid(data) && !bytes.HasPrefix(data, bomUTF16LE) && !bytes.HasPrefix(data, bomUTF16BE):
			if enc.name != "UTF-8" || !bytes.Equal(out, data) {
				t.Fatalf("valid UTF-8 did not round-trip: encoding %s", enc.name)
			}
		}
		if !utf8.Valid(out) && enc.name != "UTF-8" {
			t.Fatalf("decoder %s produced invalid UTF-8", enc.name)
		}
	})
}
