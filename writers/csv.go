package writers

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

const csvBufSize = 256 << 10

// csvSink writes RFC 4180 CSV with LF line endings: Excel, WPS and
// LibreOffice all read LF files correctly, so CRLF buys nothing.
//
// Formula neutralisation happens here only. In XLSX a string cell is never
// evaluated, so a leading "'" there would just corrupt the value; CSV has no
// cell types and Excel evaluates "=...", hence the prefix.
type csvSink struct {
	af   *atomicFile
	buf  *bufio.Writer
	enc  io.WriteCloser // gb18030 transformer, nil for UTF-8
	w    *csv.Writer
	text textColumns
	row  int64
	tmp  []string
}

func newCSV(path string, header []string, opts Options, text textColumns) (*csvSink, error) {
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
		if strings.EqualFold(filepath.Ext(path), ".tsv") {
			delim = '\t'
		}
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return nil, fmt.Errorf("create %s: invalid CSV delimiter %q", path, delim)
	}
	var gb bool
	switch strings.ToLower(strings.TrimSpace(opts.Encoding)) {
	case "", "utf-8", "utf8":
	case "gb18030":
		gb = true
	default:
		return nil, fmt.Errorf("create %s: unsupported CSV encoding %q (want utf-8 or gb18030)", path, opts.Encoding)
	}
	af, err := newAtomicFile(path)
	if err != nil {
		return nil, err
	}
	s := &csvSink{af: af, text: text}
	var out io.Writer = af.f
	if gb {
		// GB18030 maps all of Unicode, so the encoder never meets an
		// unencodable rune.
		s.enc = transform.NewWriter(af.f, simplifiedchinese.GB18030.NewEncoder())
		out = s.enc
	}
	s.buf = bufio.NewWriterSize(out, csvBufSize)
	// csv.NewWriter reuses a *bufio.Writer that is big enough, so there is a
	// single buffer between the rows and the file.
	s.w = csv.NewWriter(s.buf)
	s.w.Comma = delim
	if opts.BOM && !gb {
		s.buf.WriteString("\ufeff")
	}
	// Header cells are names, never data: all of them are neutralised.
	h := make([]string, len(header))
	for i, c := range header {
		h[i] = neutralise(c)
	}
	if err := s.w.Write(h); err != nil {
		af.abort()
		return nil, fmt.Errorf("write %s header: %w", path, err)
	}
	return s, nil
}

func (s *csvSink) WriteRow(cells []string) error {
	if s.af.done {
		return ErrClosed
	}
	s.row++
	out := s.tmp[:0]
	for i, c := range cells {
		if !s.text.has(i) {
			c = neutralise(c)
		}
		out = append(out, c)
	}
	s.tmp = out
	if err := s.w.Write(out); err != nil {
		return fmt.Errorf("write %s data row %d: %w", s.af.target, s.row, err)
	}
	return nil
}

func (s *csvSink) Close(*Summary) error {
	if s.af.done {
		return ErrClosed
	}
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		s.af.abort()
		return fmt.Errorf("write %s: %w", s.af.target, err)
	}
	if s.enc != nil {
		if err := s.enc.Close(); err != nil {
			s.af.abort()
			return fmt.Errorf("encode %s: %w", s.af.target, err)
		}
	}
	return s.af.commit()
}

func (s *csvSink) Abort() error { return s.af.abort() }
