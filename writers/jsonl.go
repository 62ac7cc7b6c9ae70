package writers

import (
	"bufio"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// jsonlSink writes one JSON object per row. The object text is built by hand
// because encoding/json sorts map keys and the header order matters to users.
type jsonlSink struct {
	af   *atomicFile
	buf  *bufio.Writer
	keys [][]byte // `"name":` per column, already escaped
	nHdr int      // len(header): every row carries at least these keys
	used map[string]bool
	line []byte
	row  int64
}

func newJSONL(path string, header []string) (*jsonlSink, error) {
	af, err := newAtomicFile(path)
	if err != nil {
		return nil, err
	}
	s := &jsonlSink{af: af, buf: bufio.NewWriterSize(af.f, csvBufSize), nHdr: len(header)}
	s.used = make(map[string]bool, len(header))
	for _, name := range header {
		if name != "" {
			s.used[name] = false // present; not yet claimed
		}
	}
	for i, name := range header {
		s.addKey(i, name)
	}
	return s, nil
}

// addKey claims a unique key for column i: empty names become column_C,
// repeated names get _2, _3… without colliding with any other header.
func (s *jsonlSink) addKey(i int, name string) {
	if name == "" {
		name = "column_" + columnName(i)
	}
	key := name
	for n := 2; ; n++ {
		if claimed, seen := s.used[key]; !claimed && (!seen || key == name) {
			break
		}
		key = name + "_" + strconv.Itoa(n)
	}
	s.used[key] = true
	k := appendJSONString(nil, key)
	s.keys = append(s.keys, append(k, ':'))
}

func (s *jsonlSink) WriteRow(cells []string) error {
	if s.af.done {
		return ErrClosed
	}
	s.row++
	for len(s.keys) < len(cells) {
		s.addKey(len(s.keys), "")
	}
	b := append(s.line[:0], '{')
	// Short rows still carry every header key, so consumers see one schema;
	// cells beyond the header get column_X keys on their own row only.
	for i, k := range s.keys[:max(s.nHdr, len(cells))] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k...)
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		b = appendJSONString(b, v)
	}
	b = append(b, '}', '\n')
	s.line = b
	if _, err := s.buf.Write(b); err != nil {
		return fmt.Errorf("write %s data row %d: %w", s.af.target, s.row, err)
	}
	return nil
}

func (s *jsonlSink) Close(*Summary) error {
	if s.af.done {
		return ErrClosed
	}
	if err := s.buf.Flush(); err != nil {
		s.af.abort()
		return fmt.Errorf("write %s: %w", s.af.target, err)
	}
	return s.af.commit()
}

func (s *jsonlSink) Abort() error { return s.af.abort() }

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s like encoding/json without HTML escaping;
// invalid UTF-8 becomes U+FFFD so every line is valid JSON.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028/2029 break JavaScript parsers that read JSONL line by line.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
