// Package readers streams data rows out of CSV/TSV/TXT and XLSX files.
//
// A Source never loads a whole file into memory. It finds the header row and the
// phone column, and hands out rows one at a time in file order. A row it cannot read
// properly is still handed out (with Row.Err set) so that the caller can report it and
// keep the output complete; only an error that makes the rest of the file unreadable
// is returned from Next.
package readers

import "io"

// Row is one data row (every row after the header, blank rows included).
type Row struct {
	// Index is the 0-based position of the row among the data rows, in file order.
	// It is stable across runs over the same input, so checkpoints key on it.
	Index int64
	// Sheet is the XLSX sheet name; empty for CSV.
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

var _ = io.EOF
