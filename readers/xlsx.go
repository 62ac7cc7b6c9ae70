package readers

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"
)

// xlsxReader walks a sheet with two excelize row iterators in lockstep: one
// formatted (what the user sees, echoed) and one raw (the phone value, and the
// fallback where formatting lost digits). Both stream; neither holds the sheet.
type xlsxReader struct {
	path      string
	f         *excelize.File
	sheetName string
	fmtRows   *excelize.Rows
	rawRows   *excelize.Rows
	fmtSide   *prefetch
	rawSide   *prefetch
	stop      chan struct{}
	wg        sync.WaitGroup
	rowNum    int
	formulas  *formulaScanner
}

// batchRows amortises channel hand-offs between the prefetching goroutines and
// the consumer.
const batchRows = 256

type rowBatch struct {
	rows [][]string
	err  error // set on the last batch when the iterator failed
}

// prefetch is the consumer's view of one iterator running on its own goroutine.
type prefetch struct {
	ch   chan rowBatch
	cur  [][]string
	err  error
	done bool
}

// next returns the next row's cells; ok is false at the end or on error.
func (p *prefetch) next() (cells []string, ok bool) {
	for len(p.cur) == 0 {
		if p.done {
			return nil, false
		}
		b, open := <-p.ch
		if !open {
			p.done = true
			return nil, false
		}
		p.cur, p.err = b.rows, b.err
		if b.err != nil {
			p.done = true
		}
	}
	cells, p.cur = p.cur[0], p.cur[1:]
	return cells, true
}

// produce runs rows to the end (or until stop closes), sending batches.
func produce(rows *excelize.Rows, opts []excelize.Options, ch chan<- rowBatch, stop <-chan struct{}) {
	defer close(ch)
	batch := make([][]string, 0, batchRows)
	send := func(b rowBatch) bool {
		select {
		case ch <- b:
			return true
		case <-stop:
			return false
		}
	}
	for rows.Next() {
		cells, err := rows.Columns(opts...)
		if err != nil {
			send(rowBatch{rows: batch, err: err})
			return
		}
		batch = append(batch, cells)
		if len(batch) == batchRows {
			if !send(rowBatch{rows: batch}) {
				return
			}
			batch = make([][]string, 0, batchRows)
		}
	}
	send(rowBatch{rows: batch, err: rows.Error()})
}

var rawOpts = excelize.Options{RawCellValue: true}

func openXLSX(p string, opts Options) (Source, error) {
	f, err := excelize.OpenFile(p, excelize.Options{TmpDir: opts.TmpDir})
	if err != nil {
		return nil, &InputError{Path: p, Err: fmt.Errorf("not a readable .xlsx file (damaged, truncated or not a spreadsheet; re-save it as .xlsx): %w", err)}
	}
	sheet, err := pickSheet(f, opts.Sheet)
	if err != nil {
		f.Close()
		return nil, &InputError{Path: p, Err: err}
	}
	x := &xlsxReader{path: p, f: f, sheetName: sheet}
	if x.fmtRows, err = f.Rows(sheet); err == nil {
		x.rawRows, err = f.Rows(sheet)
	}
	if err != nil {
		x.close()
		return nil, &InputError{Path: p, Sheet: sheet, Err: fmt.Errorf("open sheet: %w", err)}
	}
	x.formulas = newFormulaScanner(p, sheet)
	x.start()
	t, err := newTable(p, x, opts)
	if err != nil {
		x.close()
		return nil, err
	}
	return t, nil
}

// pickSheet returns the requested sheet, or the first visible one: a hidden
// first sheet usually holds lookup lists, not the data.
func pickSheet(f *excelize.File, want string) (string, error) {
	list := f.GetSheetList()
	visible := make([]bool, len(list))
	for i, s := range list {
		v, err := f.GetSheetVisible(s)
		visible[i] = err == nil && v
	}
	i, err := chooseSheet(list, visible, want)
	if err != nil {
		return "", err
	}
	return list[i], nil
}

// chooseSheet picks among a workbook's sheet names: want by exact name, then
// case-insensitively and trimmed; "" picks the first visible sheet.
func chooseSheet(list []string, visible []bool, want string) (int, error) {
	if len(list) == 0 {
		return 0, errors.New("the workbook has no worksheets")
	}
	if want != "" {
		for i, s := range list {
			if s == want {
				return i, nil
			}
		}
		for i, s := range list {
			if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(want)) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("no sheet %q; the workbook has: %s", want, strings.Join(list, ", "))
	}
	for i := range list {
		if visible[i] {
			return i, nil
		}
	}
	return 0, fmt.Errorf("every sheet is hidden; pass --sheet (sheets: %s)", strings.Join(list, ", "))
}

// start runs the two iterators on their own goroutines: XML decoding is the
// cost of reading a sheet, and the two passes are independent. excelize loads
// some parts lazily without a lock, so those are loaded here first; with a
// shared-strings table spilled to a temp file (whose index is also built lazily
// without a lock) both passes run on a single goroutine instead.
func (x *xlsxReader) start() {
	x.stop = make(chan struct{})
	x.fmtSide = &prefetch{ch: make(chan rowBatch, 2)}
	x.rawSide = &prefetch{ch: make(chan rowBatch, 2)}
	_, _ = x.f.GetStyle(0)
	if x.sstSpilled() {
		x.wg.Add(1)
		go func() {
			defer x.wg.Done()
			produceLockstep(x.fmtRows, x.rawRows, x.fmtSide.ch, x.rawSide.ch, x.stop)
		}()
		return
	}
	x.wg.Add(2)
	go func() { defer x.wg.Done(); produce(x.fmtRows, nil, x.fmtSide.ch, x.stop) }()
	go func() { defer x.wg.Done(); produce(x.rawRows, []excelize.Options{rawOpts}, x.rawSide.ch, x.stop) }()
}

// sstSpilled reports whether excelize keeps the shared strings in a temp file:
// the part is in the package but not in memory.
func (x *xlsxReader) sstSpilled() bool {
	const sst = "xl/sharedStrings.xml"
	if _, inMem := x.f.Pkg.Load(sst); inMem {
		return false
	}
	zr, err := zip.OpenReader(x.path)
	if err != nil {
		return true
	}
	defer zr.Close()
	return zipPart(&zr.Reader, sst) != nil
}

// produceLockstep is produce for both iterators on one goroutine.
func produceLockstep(fmtRows, rawRows *excelize.Rows, fmtCh, rawCh chan<- rowBatch, stop <-chan struct{}) {
	defer close(fmtCh)
	defer close(rawCh)
	var fb, rb [][]string
	send := func(ferr, rerr error) bool {
		for _, s := range []struct {
			ch chan<- rowBatch
			b  rowBatch
		}{{fmtCh, rowBatch{fb, ferr}}, {rawCh, rowBatch{rb, rerr}}} {
			select {
			case s.ch <- s.b:
			case <-stop:
				return false
			}
		}
		fb, rb = nil, nil
		return true
	}
	for fmtRows.Next() && rawRows.Next() {
		fc, ferr := fmtRows.Columns()
		rc, rerr := rawRows.Columns(rawOpts)
		if ferr != nil || rerr != nil {
			send(ferr, rerr)
			return
		}
		fb, rb = append(fb, fc), append(rb, rc)
		if len(fb) == batchRows && !send(nil, nil) {
			return
		}
	}
	send(fmtRows.Error(), rawRows.Error())
}

func (x *xlsxReader) read() (record, error) {
	disp, okF := x.fmtSide.next()
	raw, okR := x.rawSide.next()
	if !okF || !okR {
		for _, err := range []error{x.fmtSide.err, x.rawSide.err} {
			if err != nil {
				return record{}, &InputError{Path: x.path, Sheet: x.sheetName, Row: x.rowNum + 1, Err: fmt.Errorf("read row: %w", err)}
			}
		}
		return record{}, io.EOF
	}
	// Next also yields the gap rows between stored rows, so counting rows gives
	// the true Excel row number.
	x.rowNum++
	if len(disp) < len(raw) {
		disp = append(disp, make([]string, len(raw)-len(disp))...)
	}
	for i := range raw {
		if disp[i] != raw[i] && raw[i] != "" && losesDigits(raw[i], disp[i]) {
			disp[i] = plainNumber(raw[i])
		}
	}
	rec := record{line: x.rowNum, display: disp, raw: raw}
	// excelize keeps a formula cell in the slice even when its value is empty,
	// so only an empty string inside the slice can be a formula without cache.
	for _, v := range raw {
		if v == "" {
			row := x.rowNum
			rec.cellErr = func(col int) error { return x.cellErr(row, col, raw) }
			break
		}
	}
	return rec, nil
}

func (x *xlsxReader) cellErr(row, col int, raw []string) error {
	if col >= len(raw) || raw[col] != "" || x.formulas == nil {
		return nil
	}
	noCache, err := x.formulas.noCachedValue(row, col)
	if err != nil {
		// The check is a courtesy; a damaged part shows up in the main iterator.
		x.formulas.close()
		x.formulas = nil
		return nil
	}
	if noCache {
		cell, _ := excelize.CoordinatesToCellName(col+1, row)
		return fmt.Errorf("sheet %s cell %s: %w", x.sheetName, cell, errNoCache)
	}
	return nil
}

// losesDigits reports whether the formatted text of a number dropped digits
// of its raw value (E+ notation, rounding). Dates and times are exempt: their
// text is meant to differ.
func losesDigits(raw, formatted string) bool {
	rawDigits, ok := significantDigits(raw)
	if !ok {
		return false
	}
	if formatted == "" {
		return false
	}
	mant := formatted
	if i := strings.IndexAny(formatted, "eE"); i > 0 && i+1 < len(formatted) && strings.ContainsRune("+-0123456789", rune(formatted[i+1])) {
		mant = formatted[:i]
	} else if strings.ContainsAny(formatted, "/:年月日") || strings.LastIndex(formatted, "-") > 0 {
		return false
	}
	var b strings.Builder
	for i := 0; i < len(mant); i++ {
		if mant[i] >= '0' && mant[i] <= '9' {
			b.WriteByte(mant[i])
		}
	}
	if b.Len() == 0 { // TRUE/FALSE, hidden ;;; formats, text formats
		return false
	}
	f := strings.TrimRight(strings.TrimLeft(b.String(), "0"), "0")
	return f != rawDigits
}

// significantDigits returns the digits of a plain or E-notation number without
// leading and trailing zeros; ok is false for anything that is not a number.
func significantDigits(s string) (string, bool) {
	s = strings.TrimPrefix(s, "-")
	mant := s
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if _, err := strconv.Atoi(s[i+1:]); err != nil {
			return "", false
		}
		mant = s[:i]
	}
	ip, fp, _ := strings.Cut(mant, ".")
	if ip == "" && fp == "" || !allDigits(ip) || !allDigits(fp) {
		return "", false
	}
	return strings.TrimRight(strings.TrimLeft(ip+fp, "0"), "0"), true
}

// plainNumber writes an E-notation raw value out in full when that is exact
// ("1.3912345678E10" → "13912345678"); other values are returned unchanged.
func plainNumber(raw string) string {
	i := strings.IndexAny(raw, "eE")
	if i < 0 {
		return raw
	}
	neg := strings.HasPrefix(raw, "-")
	mant, exp, ok := splitENotation(strings.TrimPrefix(raw, "-"))
	if !ok || exp < 0 || exp > 30 {
		return raw
	}
	d := strings.TrimLeft(mant+strings.Repeat("0", exp), "0")
	if d == "" {
		d = "0"
	}
	if neg {
		d = "-" + d
	}
	return d
}

func (x *xlsxReader) close() error {
	var errs []error
	if x.stop != nil {
		close(x.stop)
		x.stop = nil
		x.wg.Wait() // the iterators must be idle before they are closed
	}
	if x.fmtRows != nil {
		errs = append(errs, x.fmtRows.Close())
	}
	if x.rawRows != nil {
		errs = append(errs, x.rawRows.Close())
	}
	if x.formulas != nil {
		x.formulas.close()
	}
	// Close removes excelize's temp files.
	errs = append(errs, x.f.Close())
	return errors.Join(errs...)
}

func (x *xlsxReader) sheet() string { return x.sheetName }
func (x *xlsxReader) where() string { return fmt.Sprintf("%s, sheet %s", x.path, x.sheetName) }

// formulaScanner answers "is this cell a formula without a cached value?", which
// excelize's iterator cannot tell apart from an empty cell. It streams the sheet
// XML on its own, moving forward only, and is asked only about empty phone
// cells, in increasing row order.
type formulaScanner struct {
	zr  *zip.ReadCloser
	rc  io.ReadCloser
	dec *xml.Decoder
	// cur is the last row parsed: its number and the columns (0-based) holding
	// a formula with an empty value.
	curRow  int
	curCols map[int]bool
	done    bool
}

func newFormulaScanner(p, sheet string) *formulaScanner {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil
	}
	rc, err := openSheetPart(&zr.Reader, sheet)
	if err != nil {
		zr.Close()
		return nil
	}
	return &formulaScanner{zr: zr, rc: rc, dec: xml.NewDecoder(rc)}
}

// openSheetPart opens the worksheet part of the named sheet.
func openSheetPart(zr *zip.Reader, sheet string) (io.ReadCloser, error) {
	part, err := sheetPart(zr, sheet)
	if err != nil {
		return nil, err
	}
	zf := zipPart(zr, part)
	if zf == nil {
		return nil, fmt.Errorf("sheet part %s missing", part)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", part, err)
	}
	return rc, nil
}

// zipPart finds a package part by name the way excelize does: with the
// backslashes some writers put in names turned into slashes, ignoring case.
func zipPart(zr *zip.Reader, name string) *zip.File {
	for _, zf := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(zf.Name, `\`, "/"), name) {
			return zf
		}
	}
	return nil
}

func readZipXML(zr *zip.Reader, name string, v any) error {
	zf := zipPart(zr, name)
	if zf == nil {
		return fmt.Errorf("%s not found", name)
	}
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// sheetPart maps a sheet name to its part name through workbook.xml and its
// relationships.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readZipXML(zr, "xl/workbook.xml", &wb); err != nil {
		return "", err
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readZipXML(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID == s.RID {
				if strings.HasPrefix(r.Target, "/") {
					return strings.TrimPrefix(r.Target, "/"), nil
				}
				return path.Clean("xl/" + r.Target), nil
			}
		}
	}
	return "", fmt.Errorf("sheet %s not in workbook.xml", sheet)
}

func (s *formulaScanner) noCachedValue(row, col int) (bool, error) {
	for !s.done && s.curRow < row {
		if err := s.nextRow(); err != nil {
			return false, err
		}
	}
	return s.curRow == row && s.curCols[col], nil
}

// nextRow parses the next <row> element into curRow/curCols.
func (s *formulaScanner) nextRow() error {
	for {
		tok, err := s.dec.RawToken()
		if err == io.EOF {
			s.done = true
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		num := s.curRow + 1
		if v := attr(se, "r"); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				num = n
			}
		}
		s.curRow, s.curCols = num, nil
		return s.parseCells()
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (s *formulaScanner) parseCells() error {
	col := -1
	var hasF, hasV bool
	depth := 0 // 0 = inside <row>, 1 = inside <c>, 2+ = inside a child of <c>
	inV := false
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				s.done = true
				return nil
			}
			return err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && el.Name.Local == "c":
				col++
				if ref := attr(el, "r"); ref != "" {
					if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
						col = c - 1
					}
				}
				hasF, hasV = false, false
			case depth == 2 && el.Name.Local == "f":
				hasF = true
			case depth == 2 && (el.Name.Local == "v" || el.Name.Local == "is"):
				inV = true
			}
		case xml.CharData:
			if inV && len(strings.TrimSpace(string(el))) > 0 {
				hasV = true
			}
		case xml.EndElement:
			depth--
			switch {
			case depth < 0: // </row>
				return nil
			case depth == 1:
				inV = false
			case depth == 0 && hasF && !hasV:
				if s.curCols == nil {
					s.curCols = map[int]bool{}
				}
				s.curCols[col] = true
			}
		}
	}
}

func (s *formulaScanner) close() {
	if s.rc != nil {
		s.rc.Close()
	}
	s.zr.Close()
}
