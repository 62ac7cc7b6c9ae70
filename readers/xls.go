package readers

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsSource reads one sheet of a legacy Excel 97-2003 workbook (BIFF8, what
// Excel and WPS write as .xls / .et). The format caps a sheet at 65,536 rows;
// the sheet's cells are decoded into memory at open (a full sheet of a few
// columns takes some tens of MB) and handed out row by row.
type xlsSource struct {
	path      string
	sheetName string
	book      *biffBook
	rows      biffRows
	row       int // next 0-based row
	formats   map[uint16]numFormat
}

func openXLS(p string, opts Options) (Source, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, &InputError{Path: p, Err: err}
	}
	x, err := newXLSSource(p, data, opts.Sheet)
	if err != nil {
		return nil, err
	}
	t, err := newTable(p, x, opts)
	if err != nil {
		x.close()
		return nil, err
	}
	return t, nil
}

// newXLSSource checks data (the whole file) and opens the wanted sheet ("" = the
// first visible worksheet). Every problem comes back as an *InputError.
func newXLSSource(p string, data []byte, want string) (*xlsSource, error) {
	fail := func(err error) error { return &InputError{Path: p, Err: err} }
	stream, err := cfbWorkbook(data)
	if err != nil {
		return nil, fail(err)
	}
	book, err := scanBIFF(stream)
	if err != nil {
		return nil, fail(err)
	}
	var names []string
	var visible []bool
	var index []int
	for i, s := range book.sheets {
		if s.kind != 0 { // charts, macro sheets and VB modules hold no rows
			continue
		}
		names = append(names, s.name)
		visible = append(visible, !s.hidden)
		index = append(index, i)
	}
	k, err := chooseSheet(names, visible, want)
	if err != nil {
		return nil, fail(err)
	}
	bs := book.sheets[index[k]]
	rows, err := readSheet(stream, bs.offset, book)
	if err != nil {
		return nil, &InputError{Path: p, Sheet: bs.name, Err: err}
	}
	return &xlsSource{path: p, sheetName: bs.name, book: book, rows: rows, formats: map[uint16]numFormat{}}, nil
}

func (x *xlsSource) read() (record, error) {
	if x.row >= len(x.rows) {
		return record{}, io.EOF
	}
	r := x.row
	x.row++
	cells := x.rows[r]
	x.rows[r] = nil // handed out: let it go
	// The row is as wide as its last non-empty cell (trailing empty cells are
	// not part of it, as with excelize); cells are stored sparsely.
	width := 0
	for _, v := range cells {
		if v.kind != 0 {
			width = max(width, int(v.col)+1)
		}
	}
	disp, raw := make([]string, width), make([]string, width)
	for _, v := range cells {
		if v.kind != 0 {
			disp[v.col], raw[v.col] = x.text(v)
		}
	}
	return record{line: r + 1, display: disp, raw: raw}, nil
}

// text returns what a user sees in the cell and its raw value (what an XLSX
// file would store: the number, 1/0 for a boolean).
func (x *xlsSource) text(v biffValue) (display, raw string) {
	switch v.kind {
	case 'n':
		nf, ok := x.formats[v.xf]
		if !ok {
			nf = x.formatOf(v.xf)
			x.formats[v.xf] = nf
		}
		return nf.show(v.num, x.book.date1904), rawNumber(v.num)
	case 'b':
		if v.num != 0 {
			return "TRUE", "1"
		}
		return "FALSE", "0"
	}
	return v.str, v.str
}

// formatOf finds the number format of an XF record; an index past the XF
// table (a damaged file) counts as General.
func (x *xlsSource) formatOf(xf uint16) numFormat {
	if int(xf) >= len(x.book.xfFormat) {
		return numFormat{}
	}
	ifmt := int(x.book.xfFormat[xf])
	return parseNumFormat(ifmt, x.book.formats[ifmt])
}

func (x *xlsSource) close() error  { x.rows = nil; return nil }
func (x *xlsSource) sheet() string { return x.sheetName }
func (x *xlsSource) where() string { return fmt.Sprintf("%s, sheet %s", x.path, x.sheetName) }

// numFormat is what matters of a number format for showing a value as text.
type numFormat struct {
	kind     byte // 0 general, 'f' fixed decimals, 'p' percent, 'd' date, 't' time, 'D' date and time, 'h' elapsed time
	decimals int
	grouped  bool // thousands separators: #,##0
}

// parseNumFormat classifies a format code; with no code it goes by the
// built-in format index (Excel does not store built-in formats in the file).
func parseNumFormat(ifmt int, code string) numFormat {
	if code == "" {
		return builtinNumFormat(ifmt)
	}
	f, elapsed := formatSkeleton(code)
	return classifyFormat(f, elapsed)
}

// builtinNumFormat is the format of a built-in format index, the ones Excel
// and WPS write without a FORMAT record; an unknown index counts as General.
func builtinNumFormat(ifmt int) numFormat {
	switch {
	case ifmt == 1:
		return numFormat{kind: 'f'}
	case ifmt == 2:
		return numFormat{kind: 'f', decimals: 2}
	case ifmt == 3 || ifmt == 37 || ifmt == 38: // #,##0
		return numFormat{kind: 'f', grouped: true}
	case ifmt == 4 || ifmt == 39 || ifmt == 40: // #,##0.00
		return numFormat{kind: 'f', decimals: 2, grouped: true}
	case ifmt == 9:
		return numFormat{kind: 'p'}
	case ifmt == 10:
		return numFormat{kind: 'p', decimals: 2}
	case ifmt >= 14 && ifmt <= 17, ifmt >= 27 && ifmt <= 31, ifmt == 36, ifmt >= 50 && ifmt <= 54, ifmt == 57, ifmt == 58:
		return numFormat{kind: 'd'} // 27-31, 36, 50-58: the zh-CN 年月日 formats
	case ifmt >= 18 && ifmt <= 21, ifmt >= 32 && ifmt <= 35, ifmt >= 45 && ifmt <= 47, ifmt == 55, ifmt == 56:
		return numFormat{kind: 't'}
	case ifmt == 22:
		return numFormat{kind: 'D'}
	}
	return numFormat{}
}

// formatSkeleton keeps of a format code's first section (the one for positive
// numbers, and for all when alone) only what says its kind, lower-cased:
// literal text, escapes, padding, colours and locale tags say nothing about
// it, so they are dropped. An elapsed-time tag ([h], [mm], [ss]) is kept
// without its brackets and reported as elapsed.
func formatSkeleton(code string) (f string, elapsed bool) {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			i = len(code)
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				i = len(code)
			} else {
				i += j + 1
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				i = len(code)
				break
			}
			tag := strings.ToLower(code[i+1 : i+1+j])
			if tag != "" && strings.Trim(tag, "hms") == "" {
				elapsed = true // [h]:mm:ss
				b.WriteString(tag)
			}
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return strings.ToLower(b.String()), elapsed
}

// classifyFormat reads the kind, decimals and grouping from a format's
// skeleton (see formatSkeleton).
func classifyFormat(f string, elapsed bool) numFormat {
	if f == "general" || f == "@" || f == "" {
		return numFormat{}
	}
	hasDate := strings.ContainsAny(f, "yd")
	hasTime := strings.ContainsAny(f, "hs") || elapsed
	if !hasDate && !hasTime && strings.Contains(f, "m") && !strings.ContainsAny(f, "0#?") {
		hasDate = true // "mmm" alone: a month
	}
	switch {
	case elapsed && !hasDate:
		return numFormat{kind: 'h'}
	case hasDate && hasTime:
		return numFormat{kind: 'D'}
	case hasDate:
		return numFormat{kind: 'd'}
	case hasTime:
		return numFormat{kind: 't'}
	case strings.Contains(f, "e+") || strings.Contains(f, "e-"):
		return numFormat{} // scientific: shown in full instead
	}
	nf := numFormat{kind: 'f'}
	if strings.Contains(f, "%") {
		nf.kind = 'p'
	}
	if i := strings.IndexByte(f, '.'); i >= 0 {
		for _, c := range f[i+1:] {
			if c != '0' {
				break
			}
			nf.decimals++
		}
	}
	if !strings.ContainsAny(f, "0#?") {
		return numFormat{}
	}
	// A comma between digit placeholders groups thousands; one after the last
	// placeholder scales by 1,000, which is not shown here (the digits are).
	if i := strings.IndexByte(f, ','); i > 0 && i+1 < len(f) && strings.ContainsRune("0#?", rune(f[i-1])) && strings.ContainsRune("0#?", rune(f[i+1])) {
		nf.grouped = true
	}
	return nf
}

// show renders v the way the format shows it, except that no digit of the
// value is ever dropped: a number its format would round or put in E+
// notation is written out in full, as the XLSX reader does. Dates and times
// come out as ISO-style text.
func (nf numFormat) show(v float64, date1904 bool) string {
	switch nf.kind {
	case 'd', 't', 'D':
		t, err := excelize.ExcelDateToTime(v, date1904)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return plainShown(v)
		}
		// A time of day is stored as a fraction: round to the second, as Excel shows it.
		t = t.Round(time.Second)
		switch nf.kind {
		case 'd':
			return t.Format("2006-01-02")
		case 't':
			return t.Format("15:04:05")
		}
		return t.Format("2006-01-02 15:04:05")
	case 'h':
		if v < 0 || v > 1e7 || math.IsNaN(v) {
			return plainShown(v)
		}
		s := int64(math.Round(v * 86400))
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	case 'p':
		return withDecimals(plainShown(v*100), nf.decimals) + "%"
	case 'f':
		s := withDecimals(plainShown(v), nf.decimals)
		if nf.grouped {
			s = groupThousands(s)
		}
		return s
	}
	return plainShown(v)
}

// groupThousands puts commas into the integer part of a plain decimal, as
// Excel shows #,##0 (and as the XLSX reader echoes it).
func groupThousands(s string) string {
	sign, rest := "", s
	if strings.HasPrefix(rest, "-") {
		sign, rest = "-", rest[1:]
	}
	ip, frac, hasDot := strings.Cut(rest, ".")
	if len(ip) <= 3 || !allDigits(ip) {
		return s
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range ip {
		if i > 0 && (len(ip)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasDot {
		b.WriteString("." + frac)
	}
	return b.String()
}

// withDecimals pads a plain decimal to n decimals; one with more decimals is
// kept as it is rather than rounded.
func withDecimals(s string, n int) string {
	if strings.ContainsAny(s, "eEnN") { // NaN, Inf, E notation: leave alone
		return s
	}
	_, frac, hasDot := strings.Cut(s, ".")
	if len(frac) >= n {
		return s
	}
	if !hasDot {
		s += "."
	}
	return s + strings.Repeat("0", n-len(frac))
}

// plainShown is the number as Excel's General format shows its digits, never
// in E+ notation: integers exactly as stored, other values to 15 significant
// digits (a double holds 0.1+0.2 as 0.30000000000000004; Excel shows 0.3).
func plainShown(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if v != math.Trunc(v) {
		if r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', maxFloatDigits, 64), 64); err == nil {
			v = r
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// rawNumber is the stored value as text, the way an XLSX file stores it: the
// shortest decimal that reads back as the same double, in E notation only for
// magnitudes where plain digits would be absurd.
func rawNumber(v float64) string {
	if a := math.Abs(v); v == math.Trunc(v) && a < 1e21 || a >= 1e-4 && a < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'E', -1, 64)
}
