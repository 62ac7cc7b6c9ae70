package readers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a file encoding and delimiter detection look at.
const sniffSize = 64 << 10

// textEncoding is a detected or forced CSV encoding.
type textEncoding struct {
	name    string            // for Describe
	enc     encoding.Encoding // nil for UTF-8
	skipBOM int               // bytes to drop before decoding
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// encodingByName resolves --encoding. A BOM of the same family is still skipped.
func encodingByName(name string, head []byte) (textEncoding, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "_", "-")) {
	case "utf-8", "utf8":
		e := textEncoding{name: "UTF-8"}
		if bytes.HasPrefix(head, bomUTF8) {
			e.skipBOM = 3
		}
		return e, nil
	case "gb18030":
		return textEncoding{name: "GB18030", enc: simplifiedchinese.GB18030}, nil
	case "gbk", "gb2312", "cp936":
		return textEncoding{name: "GBK", enc: simplifiedchinese.GBK}, nil
	case "utf-16le", "utf16le":
		return textEncoding{name: "UTF-16LE", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), skipBOM: bomLen(head, bomUTF16LE)}, nil
	case "utf-16be", "utf16be":
		return textEncoding{name: "UTF-16BE", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), skipBOM: bomLen(head, bomUTF16BE)}, nil
	}
	return textEncoding{}, fmt.Errorf("unknown encoding %q (use utf-8, gb18030, gbk, utf-16le or utf-16be)", name)
}

func bomLen(head, bom []byte) int {
	if bytes.HasPrefix(head, bom) {
		return len(bom)
	}
	return 0
}

// detectEncoding guesses the encoding from the first bytes of a file. atEOF says
// head is the whole file, so a multibyte character cut at the end is an error
// rather than an artefact of the sniff window.
func detectEncoding(head []byte, atEOF bool) textEncoding {
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		return textEncoding{name: "UTF-8", skipBOM: 3}
	case bytes.HasPrefix(head, bomUTF16LE):
		return textEncoding{name: "UTF-16LE", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), skipBOM: 2}
	case bytes.HasPrefix(head, bomUTF16BE):
		return textEncoding{name: "UTF-16BE", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), skipBOM: 2}
	}
	if !atEOF {
		head = trimPartialRune(head)
	}
	if utf8.Valid(head) {
		return textEncoding{name: "UTF-8"}
	}
	return textEncoding{name: "GB18030", enc: simplifiedchinese.GB18030}
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b // ASCII: nothing cut
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

var delimiterCandidates = []rune{',', ';', '\t', '|'}

// detectDelimiter counts each candidate outside quotes on the first lines of
// decoded text and keeps the one whose count is the same on most lines.
func detectDelimiter(text string, atEOF bool) rune {
	const maxLines = 50
	var lines [][4]int
	var cur [4]int
	inQuote, nonEmpty := false, false
scan:
	for _, r := range text {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '\n':
			if nonEmpty {
				lines = append(lines, cur)
			}
			cur, nonEmpty = [4]int{}, false
			if len(lines) == maxLines {
				atEOF = false
				break scan
			}
		case r == '\r':
		default:
			nonEmpty = true
			for k, d := range delimiterCandidates {
				if r == d {
					cur[k]++
				}
			}
		}
	}
	// A last line without newline is complete only when the whole file was seen.
	if nonEmpty && atEOF {
		lines = append(lines, cur)
	}
	if len(lines) == 0 {
		return ','
	}
	best, bestScore := ',', -1
	for k, d := range delimiterCandidates {
		first := lines[0][k]
		if first == 0 {
			continue
		}
		consistent := 0
		for _, l := range lines {
			if l[k] == first {
				consistent++
			}
		}
		// Consistency first; among equally consistent, the more columns the better.
		score := consistent*1000 + min(first, 999)
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

type csvReader struct {
	path  string
	f     *os.File
	r     *csv.Reader
	enc   textEncoding
	delim rune
}

func delimName(d rune) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "pipe"
	}
	return fmt.Sprintf("%q", d)
}

// newCSVDecoder wraps r (positioned at the start of the file) so that it yields
// UTF-8 text without BOM, and returns the detected settings.
func newCSVDecoder(r io.Reader, path string, opts Options) (*bufio.Reader, textEncoding, rune, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	atEOF := err != nil
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, textEncoding{}, 0, err
	}
	var enc textEncoding
	if opts.Encoding != "" {
		if enc, err = encodingByName(opts.Encoding, head); err != nil {
			return nil, textEncoding{}, 0, err
		}
	} else {
		enc = detectEncoding(head, atEOF)
	}
	if _, err := br.Discard(enc.skipBOM); err != nil {
		return nil, textEncoding{}, 0, err
	}
	var text io.Reader = br
	if enc.enc != nil {
		text = transform.NewReader(br, enc.enc.NewDecoder())
	}
	tr := bufio.NewReaderSize(text, sniffSize)
	delim := opts.Delimiter
	if delim == 0 {
		if strings.EqualFold(filepath.Ext(path), ".tsv") {
			delim = '\t'
		} else {
			sample, err := tr.Peek(sniffSize)
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				return nil, textEncoding{}, 0, err
			}
			delim = detectDelimiter(string(trimPartialRune(sample)), err != nil)
		}
	}
	return tr, enc, delim, nil
}

func openCSV(path string, opts Options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	text, enc, delim, err := newCSVDecoder(f, path, opts)
	if err != nil {
		f.Close()
		return nil, &InputError{Path: path, Err: err}
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError {
		f.Close()
		return nil, &InputError{Path: path, Err: fmt.Errorf("invalid delimiter %q", delim)}
	}
	cr := csv.NewReader(text)
	cr.Comma = delim
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false // rows travel through a pipeline
	rr := &csvReader{path: path, f: f, r: cr, enc: enc, delim: delim}
	t, err := newTable(path, rr, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

func (c *csvReader) read() (record, error) {
	fields, err := c.r.Read()
	if err == io.EOF {
		return record{}, io.EOF
	}
	if err != nil {
		line := 0
		if pe, ok := err.(*csv.ParseError); ok {
			line = pe.StartLine
		}
		return record{}, &InputError{Path: c.path, Row: line, Err: fmt.Errorf("read CSV: %w", err)}
	}
	line, _ := c.r.FieldPos(0)
	if c.enc.enc == nil { // UTF-8 input: check it, nothing to decode
		// Only the first 64 KiB were checked; keep later stray bytes from
		// reaching the output as invalid UTF-8.
		for i, s := range fields {
			if !utf8.ValidString(s) {
				fields[i] = strings.ToValidUTF8(s, "\uFFFD")
			}
		}
	}
	return record{line: line, display: fields}, nil
}

func (c *csvReader) close() error  { return c.f.Close() }
func (c *csvReader) sheet() string { return "" }
func (c *csvReader) where() string {
	return fmt.Sprintf("%s (%s, %s)", c.path, c.enc.name, delimName(c.delim))
}
