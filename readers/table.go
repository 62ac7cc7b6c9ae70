package readers

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// record is one physical row from a format-specific reader.
type record struct {
	line    int
	display []string // what the user sees; echoed
	raw     []string // unformatted values (XLSX); nil means same as display
	cellErr func(col int) error
}

func (r *record) rawAt(col int) string {
	src := r.raw
	if src == nil {
		src = r.display
	}
	if col < 0 || col >= len(src) {
		return ""
	}
	return src[col]
}

func (r *record) blank() bool {
	for _, c := range r.display {
		if c != "" {
			return false
		}
	}
	for _, c := range r.raw {
		if c != "" {
			return false
		}
	}
	return true
}

// recordReader is the format-specific half of a Source.
type recordReader interface {
	// read returns io.EOF at the end; any other error is fatal.
	read() (record, error)
	close() error
	// where is the first part of Describe: "a.csv (UTF-8, comma)", "a.xlsx, sheet S".
	where() string
	sheet() string
}

const (
	headerScanRows = 30
	sampleRows     = 200
	minPhoneRatio  = 0.8
)

// phoneHeaderNames are header texts that mark a phone column, compared after
// normalizeHeader.
var phoneHeaderNames = func() []string {
	names := []string{"手机号", "手机号码", "手机", "移动电话", "电话", "电话号码", "联系电话", "联系方式", "号码",
		"mobile", "mobile phone", "phone", "phone number", "cellphone", "cell", "tel", "InputNumber", "msisdn"}
	for i, n := range names {
		names[i] = normalizeHeader(n)
	}
	return names
}()

// normalizeHeader folds the differences people make when typing a header:
// case, spaces of every width, BOM, separators, "*" required-field marks.
func normalizeHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsSpace(r), r == '\ufeff', r == '\u200b', r == '_', r == '-', r == '.', r == '*', r == ':', r == '：':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// headerScore is 2 for an exact known name, 1 when the header contains one, else 0.
func headerScore(h string) int {
	n := normalizeHeader(h)
	if n == "" {
		return 0
	}
	best := 0
	for _, name := range phoneHeaderNames {
		if n == name {
			return 2
		}
		if strings.Contains(n, name) {
			best = 1
		}
	}
	return best
}

// table turns records into Rows: it finds the header and the phone column using
// a buffered look-ahead, then replays the buffer and streams the rest.
type table struct {
	path      string
	rr        recordReader
	header    []string
	headerRow int // 0 when the file has no header row
	firstLine int // line of the data row with Index 0; 0 when there is none
	phoneCol  int
	outIDCol  int // -1 when none
	buf       []record
	index     int64
	eof       bool
	// Blank rows are held back, as runs of line numbers, until a non-blank row
	// proves they are not trailing.
	blanks     []lineRun
	pendingRow *record
}

type lineRun struct{ start, n int }

func newTable(path string, rr recordReader, opts Options) (*table, error) {
	t := &table{path: path, rr: rr, outIDCol: -1}
	if err := t.detect(opts); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *table) inputErr(row int, format string, args ...any) error {
	return &InputError{Path: t.path, Sheet: t.rr.sheet(), Row: row, Err: fmt.Errorf(format, args...)}
}

// fill reads until the buffer holds n records or the input ends.
func (t *table) fill(n int) error {
	for len(t.buf) < n && !t.eof {
		rec, err := t.rr.read()
		if err == io.EOF {
			t.eof = true
			break
		}
		if err != nil {
			return err
		}
		t.buf = append(t.buf, rec)
	}
	return nil
}

func (t *table) detect(opts Options) error {
	colIsName := opts.Column != "" && !isColumnRef(opts.Column)
	hdr := -1 // index into buf of the header record
	headerless := false
	switch {
	case opts.HeaderRow > 0:
		for {
			t.buf = t.buf[:0] // rows above the header are not data
			if err := t.fill(1); err != nil {
				return err
			}
			if len(t.buf) == 0 {
				return t.inputErr(opts.HeaderRow, "header row %d is past the end of the data", opts.HeaderRow)
			}
			if t.buf[0].line >= opts.HeaderRow {
				hdr = 0
				break
			}
		}
	default:
		if err := t.fill(headerScanRows); err != nil {
			return err
		}
		hdr, headerless = t.findHeader(opts.Column, colIsName)
		if hdr < 0 {
			return t.inputErr(0, "no data: the file has no non-empty row")
		}
	}

	if headerless {
		t.buf = t.buf[hdr:]
		width := 0
		for _, r := range t.buf {
			width = max(width, len(r.display))
		}
		t.header = make([]string, width)
		for i := range t.header {
			t.header[i] = colName(i)
		}
	} else {
		h := t.buf[hdr]
		t.headerRow = h.line
		t.header = make([]string, len(h.display))
		for i, c := range h.display {
			t.header[i] = strings.TrimPrefix(c, "\ufeff")
		}
		t.buf = t.buf[hdr+1:]
	}
	if err := t.fill(sampleRows); err != nil {
		return err
	}
	if len(t.buf) > 0 {
		t.firstLine = t.buf[0].line
	}

	var err error
	if opts.Column != "" {
		t.phoneCol, err = t.resolveColumn(opts.Column)
	} else {
		t.phoneCol, err = t.detectPhoneColumn(headerless)
	}
	if err != nil {
		return err
	}
	if opts.OutIDColumn != "" {
		if t.outIDCol, err = t.resolveColumn(opts.OutIDColumn); err != nil {
			return err
		}
	}
	for len(t.header) <= max(t.phoneCol, t.outIDCol) {
		t.header = append(t.header, "")
	}
	return nil
}

// findHeader picks the header among the buffered rows; headerless reports that
// the first non-empty row is already data.
func (t *table) findHeader(column string, colIsName bool) (hdr int, headerless bool) {
	if colIsName {
		want := normalizeHeader(column)
		for i, r := range t.buf {
			for _, c := range r.display {
				if normalizeHeader(c) == want {
					return i, false
				}
			}
		}
	}
	for i, r := range t.buf {
		best, nonEmpty, phoneLike := 0, 0, false
		for _, c := range r.display {
			if strings.TrimSpace(c) != "" {
				nonEmpty++
			}
			best = max(best, headerScore(c))
			if _, code, _ := NormalizePhone(c); code == "" {
				phoneLike = true
			}
		}
		// A title row ("2024年客户联系电话") contains a name but stands alone.
		if !phoneLike && (best == 2 || best == 1 && nonEmpty >= 2) {
			return i, false
		}
	}
	for i, r := range t.buf {
		if r.blank() {
			continue
		}
		for c := range r.display {
			if _, code, _ := NormalizePhone(r.rawAt(c)); code == "" {
				return i, true
			}
		}
		return i, false
	}
	return -1, false
}

// isColumnRef reports whether s is a column letter or a 1-based number.
func isColumnRef(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if allDigits(s) {
		return true
	}
	if len(s) > 3 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

func colName(i int) string {
	n, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return "#" + strconv.Itoa(i+1)
	}
	return n
}

func (t *table) describeCol(i int) string {
	if t.headerRow == 0 || i >= len(t.header) || t.header[i] == "" {
		return colName(i)
	}
	return fmt.Sprintf("%s (%s)", colName(i), t.header[i])
}

// resolveColumn maps a --column style reference onto a 0-based index. A header
// text wins over a letter so that a column called "Tel" is found by its name.
func (t *table) resolveColumn(ref string) (int, error) {
	ref = strings.TrimSpace(ref)
	if allDigits(ref) {
		n, err := strconv.Atoi(ref)
		if err != nil || n < 1 || n > excelize.MaxColumns {
			return 0, t.inputErr(0, "column number %q is out of range 1..%d", ref, excelize.MaxColumns)
		}
		return n - 1, nil
	}
	if t.headerRow != 0 {
		for i, h := range t.header {
			if strings.EqualFold(strings.TrimSpace(h), ref) {
				return i, nil
			}
		}
		want := normalizeHeader(ref)
		for i, h := range t.header {
			if normalizeHeader(h) == want {
				return i, nil
			}
		}
	}
	if isColumnRef(ref) {
		if n, err := excelize.ColumnNameToNumber(strings.ToUpper(ref)); err == nil {
			return n - 1, nil
		}
	}
	var have []string
	for i := range t.header {
		have = append(have, t.describeCol(i))
	}
	return 0, t.inputErr(t.headerRow, "column %q not found; the header has: %s", ref, strings.Join(have, ", "))
}

// phoneRatios returns, per column, the share of non-empty sampled values that
// normalise to a valid mobile (-1 when the column has no values).
func (t *table) phoneRatios(cols []int) []float64 {
	out := make([]float64, len(cols))
	for k, c := range cols {
		valid, nonEmpty := 0, 0
		for i := range t.buf {
			v := t.buf[i].rawAt(c)
			if strings.TrimSpace(v) == "" {
				continue
			}
			nonEmpty++
			if _, code, _ := NormalizePhone(v); code == "" {
				valid++
			}
		}
		out[k] = -1
		if nonEmpty > 0 {
			out[k] = float64(valid) / float64(nonEmpty)
		}
	}
	return out
}

func (t *table) detectPhoneColumn(headerless bool) (int, error) {
	if !headerless {
		var best []int
		bestScore := 0
		for i, h := range t.header {
			switch s := headerScore(h); {
			case s > bestScore:
				best, bestScore = []int{i}, s
			case s == bestScore && s > 0:
				best = append(best, i)
			}
		}
		if len(best) == 1 {
			return best[0], nil
		}
		if len(best) > 1 {
			// Equal names: let the values decide, e.g. 身份证号码 vs 联系人手机号.
			var phoney []int
			for k, r := range t.phoneRatios(best) {
				if r >= minPhoneRatio {
					phoney = append(phoney, best[k])
				}
			}
			if len(phoney) == 1 {
				return phoney[0], nil
			}
			return 0, t.ambiguous(best)
		}
	}
	width := len(t.header)
	for _, r := range t.buf {
		width = max(width, len(r.display), len(r.raw))
	}
	cols := make([]int, width)
	for i := range cols {
		cols[i] = i
	}
	var found []int
	for i, r := range t.phoneRatios(cols) {
		if r >= minPhoneRatio {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return 0, t.inputErr(0, "no phone column found; pass --column")
	}
	return 0, t.ambiguous(found)
}

func (t *table) ambiguous(cols []int) error {
	e := &AmbiguousColumnError{Path: t.path}
	for _, c := range cols {
		e.Candidates = append(e.Candidates, t.describeCol(c))
	}
	return e
}

func (t *table) Header() []string { return t.header }
func (t *table) PhoneColumn() int { return t.phoneCol }

func (t *table) Describe() string {
	hr := "no header row"
	if t.headerRow > 0 {
		hr = fmt.Sprintf("header row %d", t.headerRow)
	}
	return fmt.Sprintf("%s, %s, phone column %s", t.rr.where(), hr, t.describeCol(t.phoneCol))
}

func (t *table) Close() error { return t.rr.close() }

// nextRecord takes from the look-ahead buffer first, then from the reader.
func (t *table) nextRecord() (record, error) {
	if len(t.buf) > 0 {
		r := t.buf[0]
		t.buf[0] = record{}
		t.buf = t.buf[1:]
		return r, nil
	}
	if t.eof {
		return record{}, io.EOF
	}
	r, err := t.rr.read()
	if err == io.EOF {
		t.eof = true
	}
	return r, err
}

// Next returns the next data row. Blank rows are returned in place, but blank
// rows after the last non-blank row are dropped (sheets often carry formatting
// far below the data). They are held back as records without cells, so a long
// blank run costs only a few words each.
func (t *table) Next() (Row, error) {
	for {
		if len(t.blanks) > 0 && t.pendingRow != nil {
			run := &t.blanks[0]
			r := record{line: run.start}
			run.start++
			run.n--
			if run.n == 0 {
				t.blanks = t.blanks[1:]
			}
			return t.makeRow(r), nil
		}
		if t.pendingRow != nil {
			r := *t.pendingRow
			t.pendingRow = nil
			return t.makeRow(r), nil
		}
		rec, err := t.nextRecord()
		if err == io.EOF {
			t.blanks = nil
			return Row{}, io.EOF
		}
		if err != nil {
			return Row{}, err
		}
		if rec.blank() && rec.cellErr == nil {
			if n := len(t.blanks); n > 0 && t.blanks[n-1].start+t.blanks[n-1].n == rec.line {
				t.blanks[n-1].n++
			} else {
				t.blanks = append(t.blanks, lineRun{rec.line, 1})
			}
			continue
		}
		if len(t.blanks) > 0 {
			t.pendingRow = &rec
			continue
		}
		return t.makeRow(rec), nil
	}
}

func (t *table) makeRow(rec record) Row {
	row := Row{Index: t.index, Sheet: t.rr.sheet(), Line: rec.line}
	t.index++
	cells := rec.display
	if len(cells) < len(t.header) {
		padded := make([]string, len(t.header))
		copy(padded, cells)
		cells = padded
	}
	row.Cells = cells
	row.Phone = rec.rawAt(t.phoneCol)
	if t.outIDCol >= 0 && t.outIDCol < len(cells) {
		row.OutID = cells[t.outIDCol]
	}
	if rec.cellErr != nil {
		row.Err = rec.cellErr(t.phoneCol)
	}
	return row
}

var errNoCache = errors.New("formula has no cached value (the file was written by a program that does not calculate formulas; open it in Excel/WPS and save it again)")
