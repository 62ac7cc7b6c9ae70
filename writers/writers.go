// Package writers holds the result sinks of dytnsbatch: CSV, XLSX and JSONL.
//
// Every sink writes to a temporary file in the target's directory and renames
// it into place only on Close, so a file under the final name is always whole:
// a crash, a Ctrl-C or an Abort leaves the previous target (if any) untouched.
package writers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Options configures Create.
type Options struct {
	Format      string // "csv" | "xlsx" | "jsonl"; "" = from the target's extension (.csv .tsv .txt → csv)
	BOM         bool   // CSV: write a UTF-8 BOM (caller defaults it to true)
	Encoding    string // CSV: "" / "utf-8" (default) or "gb18030" (no BOM then)
	Delimiter   rune   // CSV: 0 = ','  ('\t' for .tsv targets)
	TextColumns []int  // 0-based columns kept verbatim: never neutralised, always XLSX strings
	SheetName   string // XLSX data sheet name ("" = "Results")
	TmpDir      string // XLSX: where excelize spills stream data above 16 MB ("" = os.TempDir())
}

// Sink receives the output rows in order.
type Sink interface {
	WriteRow(cells []string) error // data rows, in order (the header was given to Create)
	Close(s *Summary) error        // complete the file and atomically rename it into place
	Abort() error                  // remove the temporary file; the target is untouched
}

// Summary is rendered generically on the XLSX "Summary" sheet; CSV and JSONL
// ignore it because the caller prints it or writes a JSON report.
type Summary struct {
	Title string      // e.g. "dytnsbatch summary — SANDBOX numbers, not real"
	Items []KV        // ordered label/value pairs
	Codes []CodeCount // rows per Code, in the order to show
}

// KV is one label/value line of a Summary.
type KV struct{ Key, Value string }

// CodeCount is the number of rows that ended with a given Code.
type CodeCount struct {
	Code string
	Rows int64
}

// ErrClosed is returned by WriteRow and Close once the sink was closed or aborted.
var ErrClosed = errors.New("writers: sink already closed")

// Create opens a sink for path. Nothing appears under path before Close.
func Create(path string, header []string, opts Options) (Sink, error) {
	format, err := resolveFormat(path, opts.Format)
	if err != nil {
		return nil, err
	}
	var text textColumns
	for _, c := range opts.TextColumns {
		if c < 0 {
			return nil, fmt.Errorf("create %s: negative text column %d", path, c)
		}
		for len(text) <= c {
			text = append(text, false)
		}
		text[c] = true
	}
	switch format {
	case "csv":
		return newCSV(path, header, opts, text)
	case "xlsx":
		return newXLSX(path, header, opts, text)
	case "jsonl":
		return newJSONL(path, header)
	}
	return nil, fmt.Errorf("create %s: unknown format %q", path, format)
}

func resolveFormat(path, format string) (string, error) {
	f := strings.ToLower(strings.TrimSpace(format))
	switch f {
	case "csv", "xlsx", "jsonl":
		return f, nil
	case "tsv":
		return "csv", nil
	case "ndjson":
		return "jsonl", nil
	case "":
	default:
		return "", fmt.Errorf("create %s: unknown output format %q (want csv, xlsx or jsonl)", path, format)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".tsv", ".txt":
		return "csv", nil
	case ".xlsx":
		return "xlsx", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	default:
		return "", fmt.Errorf("create %s: cannot tell the output format from extension %q (use .csv, .tsv, .txt, .xlsx or .jsonl, or set the format)", path, ext)
	}
}

// atomicFile is a temporary file next to its target. Living in the same
// directory keeps the final rename on one filesystem, hence atomic.
type atomicFile struct {
	target string
	f      *os.File
	done   bool
}

func newAtomicFile(target string) (*atomicFile, error) {
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	// os.CreateTemp creates the file with mode 0600: results hold personal data.
	f, err := os.CreateTemp(dir, tempPattern(base))
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", target, err)
	}
	return &atomicFile{target: target, f: f}, nil
}

func tempPattern(base string) string { return "." + base + ".tmp-*" }

// RemoveStaleTemps removes the temporary files that sinks for path left behind
// when their process was killed before Close or Abort, and returns their names.
// Call it only when no live sink can be writing to path.
func RemoveStaleTemps(path string) []string {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(filepath.Base(path))))
	var removed []string
	for _, m := range matches {
		if os.Remove(m) == nil {
			removed = append(removed, m)
		}
	}
	return removed
}

func (a *atomicFile) name() string { return a.f.Name() }

// commit fsyncs, closes and renames the temporary file into place, then
// fsyncs the directory so the rename itself survives a power cut.
func (a *atomicFile) commit() error {
	if a.done {
		return ErrClosed
	}
	a.done = true
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		os.Remove(a.f.Name())
		return fmt.Errorf("sync %s: %w", a.f.Name(), err)
	}
	if err := a.f.Close(); err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("close %s: %w", a.f.Name(), err)
	}
	if err := os.Rename(a.f.Name(), a.target); err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("rename %s to %s: %w", a.f.Name(), a.target, err)
	}
	if err := syncDir(filepath.Dir(a.target)); err != nil {
		return fmt.Errorf("sync directory of %s: %w", a.target, err)
	}
	return nil
}

// abort removes the temporary file; calling it after commit is a no-op so
// callers can always `defer sink.Abort()`.
func (a *atomicFile) abort() error {
	if a.done {
		return nil
	}
	a.done = true
	a.f.Close()
	if err := os.Remove(a.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", a.f.Name(), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		// Some filesystems (and Windows) cannot fsync a directory; the
		// rename has still happened, so only real I/O errors matter.
		return err
	}
	return nil
}

// textColumns marks the columns written as text whatever they hold; it is read
// for every cell, so a slice rather than a map.
type textColumns []bool

func (t textColumns) has(i int) bool { return i < len(t) && t[i] }
