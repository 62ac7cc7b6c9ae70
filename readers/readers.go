// Package readers streams data rows out of CSV/TSV/TXT, XLSX and legacy XLS files.
//
// A Source never loads a whole file into memory. It finds the header row and the
// phone column, and hands out rows one at a time in file order. A row it cannot read
// properly is still handed out (with Row.Err set) so that the caller can report it and
// keep the output complete; only an error that makes the rest of the file unreadable
// is returned from Next.
//
// What counts as a row:
//   - Blank rows between data rows are returned (Phone ""), so Row.Index stays
//     aligned with the file; blank rows after the last non-blank row are dropped,
//     because sheets often carry formatting far below the data. Rows above the
//     header are not data.
//   - In CSV, a line with no characters at all is skipped by encoding/csv and is
//     not a row; a line of separators (",,,", what Excel writes) is a blank row.
//   - In XLSX, a merged range has its value in the top-left cell only; the other
//     cells of the range read as "".
//   - XLSX cells are echoed as formatted, except numbers whose formatting drops
//     digits (E+ notation, rounding), which are echoed in full. Row.Phone is
//     always the raw value.
package readers

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Row is one data row (every row after the header, blank rows included).
type Row struct {
	// Index is the 0-based position of the row among the data rows, in file order.
	// It is stable across runs over the same input, so checkpoints key on it.
	Index int64
	// Sheet is the XLSX or XLS sheet name; empty for CSV.
	Sheet string
	// Line is the 1-based physical position: the Excel row number, or the CSV line
	// on which the record starts. Used in messages only.
	Line int
	// Cells holds every input cell as the text a user sees, for echoing into the
	// output. Long numbers are never turned into E+ notation or floats.
	Cells []string
	// Phone is the phone column's raw value (for XLSX the raw cell value, not the
	// formatted one), not normalised. Normalise with NormalizePhone.
	Phone string
	// OutID is the --outid-column cell, or "" when no such column was chosen.
	OutID string
	// Err is set when the row's phone cell could not be read (for example a formula
	// with no cached value). The row still counts and is still written.
	Err error

	// outIDFormatted: the scanner read an OutId cell whose shown text may differ
	// from the value it stores (see ErrOutIDFormatted).
	outIDFormatted bool
}

// Source is a stream of rows. Next returns io.EOF after the last row. Any other
// error from Next means the file cannot be read further; the error names the file
// and the position.
type Source interface {
	// Header returns the header cells, BOM stripped, in column order.
	Header() []string
	// PhoneColumn is the 0-based index of the phone column in Header and Row.Cells.
	PhoneColumn() int
	// Describe says in one line what is being read, for the summary:
	// "samples/客户.xlsx, sheet 客户名单, header row 3, phone column C (手机号)".
	Describe() string
	Next() (Row, error)
	Close() error
}

// Options say how to read a file. The zero value detects everything.
type Options struct {
	// Column and OutIDColumn name a column by header text (exact, case-insensitive,
	// trimmed), by letter ("C", "AB") or by 1-based number. Column "" detects the
	// phone column; OutIDColumn "" means no OutId column.
	Column, OutIDColumn string
	// Sheet is the XLSX or XLS sheet name; "" picks the first visible sheet.
	Sheet string
	// HeaderRow is the 1-based row (Excel row, or CSV line) holding the header;
	// 0 detects it.
	HeaderRow int
	// Encoding forces a CSV encoding: utf-8, gb18030, gbk, utf-16le or utf-16be.
	// "" detects it from the bytes.
	Encoding string
	// Delimiter forces the CSV field separator; 0 detects it.
	Delimiter rune
	// TmpDir is where excelize spills large XML parts; "" is the system default.
	TmpDir string
}

// InputError says the input file itself is unusable (wrong format, damaged,
// unknown sheet or column). Callers map it to a usage exit code.
type InputError struct {
	Path  string
	Sheet string // "" when not known or not relevant
	Row   int    // 1-based row or line; 0 when not known
	Err   error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Sheet != "" {
		fmt.Fprintf(&b, ", sheet %s", e.Sheet)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// AmbiguousColumnError says several columns could be the phone column and the
// user has to choose one with --column.
type AmbiguousColumnError struct {
	Path string
	// Candidates are "C (手机号)"-style descriptions, in column order.
	Candidates []string
}

func (e *AmbiguousColumnError) Error() string {
	return fmt.Sprintf("%s: several columns could hold the phone number: %s; pass --column to choose one",
		e.Path, strings.Join(e.Candidates, ", "))
}

var (
	magicZip  = []byte("PK\x03\x04")
	magicOLE2 = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Open opens path as CSV/TSV/TXT, XLSX or legacy XLS, chosen by the file's
// first bytes (a zip package is XLSX, a compound file is XLS; an encrypted XLSX
// is a compound file too and is refused as such), then finds the header row and
// the phone column. The extension only decides what else a file can be. The
// returned Source must be closed. Problems with the file itself come back as
// *InputError or *AmbiguousColumnError.
func Open(path string, opts Options) (Source, error) {
	head, err := readHead(path, 512)
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(head, magicZip):
		return openXLSX(path, opts)
	case bytes.HasPrefix(head, magicOLE2):
		return openXLS(path, opts)
	}
	switch ext {
	case ".xlsx", ".xlsm":
		if len(head) == 0 {
			return nil, &InputError{Path: path, Err: fmt.Errorf("file is empty")}
		}
		return openXLSX(path, opts) // reports what it is not
	case ".xls", ".et":
		if len(head) == 0 {
			return nil, &InputError{Path: path, Err: fmt.Errorf("file is empty")}
		}
		// Web systems often "export to Excel" as an HTML table or as
		// tab-separated text under an .xls name.
		if t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n"); len(t) > 0 && t[0] == '<' {
			return nil, &InputError{Path: path, Err: fmt.Errorf("%s is a web page (HTML) saved under an Excel name, not a workbook; open it in Excel/WPS and save it as .xlsx", filepath.Base(path))}
		}
	}
	return openCSV(path, opts)
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:k], err
}
