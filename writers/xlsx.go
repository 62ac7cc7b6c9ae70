package writers

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// xlsxCompression trades a slightly larger file for a much faster save:
// deflating the sheet XML was a third of the XLSX writing time.
var xlsxCompression = flate.BestSpeed

// maxSheetRows is Excel's row limit per sheet, header included. Tests lower it
// to exercise the rollover to "Results (2)".
var maxSheetRows = 1048576

const (
	defaultSheetName = "Results"
	summarySheetName = "Summary"
	maxSheetNameLen  = 31
	// widthColumns is how many leading columns get a computed width; the
	// rest keep Excel's default rather than bloating every sheet header.
	widthColumns = 64
)

type xlsxSink struct {
	af        *atomicFile
	f         *excelize.File
	header    []any
	text      textColumns
	baseName  string
	maxRows   int
	boldStyle int
	widths    []float64

	sheets  []*dataSheet
	cur     *dataSheet
	sw      *excelize.StreamWriter
	row     int64 // data rows written
	vals    []any
	closed  bool
	cellBuf []byte
}

type dataSheet struct {
	name    string
	rows    int // rows on the sheet, header included
	maxCols int
}

func newXLSX(path string, header []string, opts Options, text textColumns) (*xlsxSink, error) {
	name := opts.SheetName
	if name == "" {
		name = defaultSheetName
	}
	if utf8.RuneCountInString(name) > maxSheetNameLen-4 {
		// Leave room for the " (2)" suffix of rollover sheets.
		name = string([]rune(name)[:maxSheetNameLen-4])
	}
	af, err := newAtomicFile(path)
	if err != nil {
		return nil, err
	}
	s := &xlsxSink{
		af:       af,
		f:        excelize.NewFile(excelize.Options{TmpDir: opts.TmpDir}),
		text:     text,
		baseName: name,
		maxRows:  maxSheetRows,
	}
	if s.maxRows < 2 {
		s.maxRows = 2
	}
	fail := func(err error) (*xlsxSink, error) {
		s.Abort()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	// Rename the default sheet instead of deleting it: the data sheet stays
	// first and active, and no empty "Sheet1" is left behind.
	if err := s.f.SetSheetName("Sheet1", name); err != nil {
		return fail(fmt.Errorf("sheet name %q: %w", name, err))
	}
	s.boldStyle, err = s.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	s.header = make([]any, len(header))
	for i, h := range header {
		s.header[i] = h
	}
	s.widths = columnWidths(header, text)
	if err := s.startSheet(name); err != nil {
		return fail(err)
	}
	return s, nil
}

// columnWidths sizes the leading columns from the header text, with room for
// an 11-digit phone number or a 140 number in the text columns.
func columnWidths(header []string, text textColumns) []float64 {
	n := min(len(header), widthColumns)
	w := make([]float64, n)
	for i := range n {
		width := 10.0
		if text.has(i) {
			width = 16
		}
		// CJK characters are about two Latin characters wide.
		var hw float64
		for _, r := range header[i] {
			if r >= 0x2E80 {
				hw += 2.1
			} else {
				hw++
			}
		}
		w[i] = min(max(width, hw+2), 50)
	}
	return w
}

func (s *xlsxSink) startSheet(name string) error {
	if len(s.sheets) > 0 {
		if _, err := s.f.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %q: %w", name, err)
		}
	}
	// A placeholder dimension guarantees the element exists; patchZip
	// replaces it with the real range while the file is saved.
	if err := s.f.SetSheetDimension(name, "A1"); err != nil {
		return fmt.Errorf("sheet %q dimension: %w", name, err)
	}
	sw, err := s.f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("stream sheet %q: %w", name, err)
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("freeze header of sheet %q: %w", name, err)
	}
	// excelize prepends each new <col> and the stream writer does not sort
	// them; Excel wants them ascending, so set them from the right.
	for i := len(s.widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, s.widths[i]); err != nil {
			return fmt.Errorf("column width on sheet %q: %w", name, err)
		}
	}
	if err := sw.SetRow("A1", s.header, excelize.RowOpts{StyleID: s.boldStyle}); err != nil {
		return fmt.Errorf("header of sheet %q: %w", name, err)
	}
	s.sw = sw
	s.cur = &dataSheet{name: name, rows: 1, maxCols: len(s.header)}
	s.sheets = append(s.sheets, s.cur)
	return nil
}

// rolloverName gives "Results (2)", "Results (3)"…
func (s *xlsxSink) rolloverName(n int) string {
	suffix := " (" + strconv.Itoa(n) + ")"
	base := []rune(s.baseName)
	if len(base)+len(suffix) > maxSheetNameLen {
		base = base[:maxSheetNameLen-len(suffix)]
	}
	return string(base) + suffix
}

func (s *xlsxSink) WriteRow(cells []string) error {
	if s.closed {
		return ErrClosed
	}
	s.row++
	if s.cur.rows >= s.maxRows {
		if err := s.sw.Flush(); err != nil {
			return fmt.Errorf("finish sheet %q: %w", s.cur.name, err)
		}
		if err := s.startSheet(s.rolloverName(len(s.sheets) + 1)); err != nil {
			return fmt.Errorf("write %s data row %d: %w", s.af.target, s.row, err)
		}
	}
	vals := s.vals[:0]
	for i, c := range cells {
		// excelize skips nil values, so empty cells stay absent instead of
		// becoming empty inline strings.
		switch {
		case c == "":
			vals = append(vals, nil)
		case s.text.has(i):
			vals = append(vals, c)
		default:
			if n := safeNumber(c); n != nil {
				vals = append(vals, n)
			} else {
				vals = append(vals, c)
			}
		}
	}
	s.vals = vals
	s.cur.rows++
	s.cur.maxCols = max(s.cur.maxCols, len(cells))
	s.cellBuf = append(append(s.cellBuf[:0], 'A'), strconv.Itoa(s.cur.rows)...)
	if err := s.sw.SetRow(string(s.cellBuf), vals); err != nil {
		return fmt.Errorf("write %s data row %d: %w", s.af.target, s.row, err)
	}
	return nil
}

func (s *xlsxSink) Close(sum *Summary) error {
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	fail := func(err error) error {
		s.f.Close()
		s.af.abort()
		return fmt.Errorf("save %s: %w", s.af.target, err)
	}
	if err := s.sw.Flush(); err != nil {
		return fail(fmt.Errorf("finish sheet %q: %w", s.cur.name, err))
	}
	dims := make(map[string]string, len(s.sheets))
	ids := make(map[string]int)
	for id, name := range s.f.GetSheetMap() {
		ids[name] = id
	}
	for _, sh := range s.sheets {
		ref := "A1"
		if sh.maxCols > 0 {
			ref = "A1:" + columnName(sh.maxCols-1) + strconv.Itoa(sh.rows)
		}
		// New sheets are stored as xl/worksheets/sheet<ID>.xml, see
		// excelize's NewSheet; this file never deletes sheets, so IDs
		// and paths stay in step.
		dims["xl/worksheets/sheet"+strconv.Itoa(ids[sh.name])+".xml"] = ref
	}
	if sum != nil {
		if err := s.writeSummary(sum); err != nil {
			return fail(fmt.Errorf("summary sheet: %w", err))
		}
	}
	s.f.SetActiveSheet(0)
	var zw *dimZipWriter
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		// excelize would otherwise build the whole archive in a
		// bytes.Buffer before writing it; streaming to the file keeps
		// memory flat, and the hook lets us fix the stream dimensions.
		w := zip.NewWriter(s.af.f)
		w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, xlsxCompression)
		})
		zw = &dimZipWriter{zw: w, dims: dims}
		return zw
	})
	if err := s.f.Write(io.Discard); err != nil {
		return fail(err)
	}
	if zw == nil || zw.patched != len(dims) {
		return fail(fmt.Errorf("sheet dimensions: patched %d of %d sheets", zw.count(), len(dims)))
	}
	if err := s.f.Close(); err != nil {
		s.af.abort()
		return fmt.Errorf("clean up temporary files of %s: %w", s.af.target, err)
	}
	return s.af.commit()
}

func (s *xlsxSink) Abort() error {
	if !s.closed {
		s.closed = true
		s.f.Close() // removes excelize's stream spill files
	}
	return s.af.abort()
}

func (s *xlsxSink) sheetExists(name string) bool {
	idx, _ := s.f.GetSheetIndex(name)
	return idx >= 0
}

func (s *xlsxSink) writeSummary(sum *Summary) error {
	name := summarySheetName
	for n := 2; s.sheetExists(name); n++ {
		name = summarySheetName + " (" + strconv.Itoa(n) + ")"
	}
	if _, err := s.f.NewSheet(name); err != nil {
		return err
	}
	set := func(cell string, v any) error { return s.f.SetCellValue(name, cell, v) }
	if err := set("A1", sum.Title); err != nil {
		return err
	}
	if err := s.f.SetCellStyle(name, "A1", "A1", s.boldStyle); err != nil {
		return err
	}
	row := 3
	for _, kv := range sum.Items {
		r := strconv.Itoa(row)
		if err := set("A"+r, kv.Key); err != nil {
			return err
		}
		if err := set("B"+r, kv.Value); err != nil {
			return err
		}
		row++
	}
	lastRow := max(row-1, 1)
	if len(sum.Codes) > 0 {
		row++
		head := row
		hr := strconv.Itoa(head)
		if err := set("A"+hr, "Code"); err != nil {
			return err
		}
		if err := set("B"+hr, "Rows"); err != nil {
			return err
		}
		if err := s.f.SetCellStyle(name, "A"+hr, "B"+hr, s.boldStyle); err != nil {
			return err
		}
		for _, c := range sum.Codes {
			row++
			r := strconv.Itoa(row)
			if err := set("A"+r, c.Code); err != nil {
				return err
			}
			if err := set("B"+r, c.Rows); err != nil {
				return err
			}
		}
		lastRow = row
		ref := "'" + name + "'!"
		first, last := strconv.Itoa(head+1), strconv.Itoa(row)
		if err := s.f.AddChart(name, "D"+hr, &excelize.Chart{
			Type: excelize.Col,
			Series: []excelize.ChartSeries{{
				Name:       ref + "$B$" + hr,
				Categories: ref + "$A$" + first + ":$A$" + last,
				Values:     ref + "$B$" + first + ":$B$" + last,
			}},
			Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Rows per code"}}},
			Legend: excelize.ChartLegend{Position: "none"},
		}); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
	}
	if err := s.f.SetColWidth(name, "A", "A", 24); err != nil {
		return err
	}
	if err := s.f.SetColWidth(name, "B", "B", 40); err != nil {
		return err
	}
	return s.f.SetSheetDimension(name, "A1:B"+strconv.Itoa(lastRow))
}

// dimZipWriter writes the workbook straight to the temporary file and
// rewrites the <dimension> element of each streamed sheet. excelize writes
// that element before the first row, so for stream sheets it can only hold a
// placeholder; readers such as openpyxl's read-only mode trust it and would
// otherwise see just cell A1.
type dimZipWriter struct {
	zw      *zip.Writer
	dims    map[string]string
	pending *dimPatcher
	patched int
}

func (z *dimZipWriter) count() int {
	if z == nil {
		return 0
	}
	return z.patched
}

func (z *dimZipWriter) Create(name string) (io.Writer, error) {
	if err := z.finishPending(); err != nil {
		return nil, err
	}
	w, err := z.zw.Create(name)
	if err != nil {
		return nil, err
	}
	if ref, ok := z.dims[name]; ok {
		z.pending = &dimPatcher{w: w, ref: ref}
		return z.pending, nil
	}
	return w, nil
}

func (z *dimZipWriter) finishPending() error {
	if z.pending == nil {
		return nil
	}
	p := z.pending
	z.pending = nil
	if err := p.flush(); err != nil {
		return err
	}
	if p.done {
		z.patched++
	}
	return nil
}

func (z *dimZipWriter) AddFS(fsys fs.FS) error { return z.zw.AddFS(fsys) }

func (z *dimZipWriter) Close() error {
	if err := z.finishPending(); err != nil {
		return err
	}
	return z.zw.Close()
}

// dimPatchWindow bounds how much of a sheet is held back while looking for
// <dimension>; it sits right after the root element, within a few hundred bytes.
const dimPatchWindow = 64 << 10

type dimPatcher struct {
	w    io.Writer
	ref  string
	buf  []byte
	done bool // dimension replaced: pass everything through
	gave bool // no dimension in the window: pass everything through unchanged
}

func (p *dimPatcher) Write(b []byte) (int, error) {
	if p.done || p.gave {
		return p.w.Write(b)
	}
	p.buf = append(p.buf, b...)
	start := bytes.Index(p.buf, []byte("<dimension"))
	if start >= 0 {
		rest := p.buf[start:]
		end := -1
		if i := bytes.IndexByte(rest, '>'); i >= 0 {
			end = i + 1
			if rest[i-1] != '/' {
				if j := bytes.Index(rest, []byte("</dimension>")); j >= 0 {
					end = j + len("</dimension>")
				} else {
					end = -1
				}
			}
		}
		if end >= 0 {
			out := make([]byte, 0, len(p.buf)+len(p.ref))
			out = append(out, p.buf[:start]...)
			out = append(out, `<dimension ref="`...)
			out = append(out, p.ref...)
			out = append(out, `"/>`...)
			out = append(out, rest[end:]...)
			p.buf = nil
			p.done = true
			if _, err := p.w.Write(out); err != nil {
				return 0, err
			}
			return len(b), nil
		}
	}
	if len(p.buf) > dimPatchWindow || bytes.Contains(p.buf, []byte("<sheetData")) {
		p.gave = true
		if err := p.flush(); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func (p *dimPatcher) flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	_, err := p.w.Write(p.buf)
	p.buf = nil
	return err
}
