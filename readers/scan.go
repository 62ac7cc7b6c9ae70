package readers

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// ErrNoScanner is returned by OpenPhoneScanner for formats it does not speed up
// (CSV/TSV/TXT, XLS): skipping there is fast already, so use Open.
var ErrNoScanner = errors.New("no fast phone scanner for this format; read it with Open")

// PhoneScanner yields, in file order, the data rows of an XLSX sheet from a
// given Index on, with Index, Sheet, Line, Phone, OutID and Err set and Cells
// nil. Next returns io.EOF after the last row.
type PhoneScanner interface {
	Next() (Row, error)
	Close() error
}

// OpenPhoneScanner opens the sheet described by l (from LayoutOf on a Source
// returned by Open) and positions it on the data row with Index from, so that a
// resumed job reaches row 900,000 of a 1,000,000-row sheet in about a second
// instead of walking every row through excelize.
//
// It yields exactly the rows, Index and Line that Open's Source yields from
// that Index on: gap and blank rows in place, blank rows after the last
// non-blank row dropped. Phone is the raw cell value, as Row.Phone from Open;
// Err is set for a phone formula without a cached value, as from Open. OutID
// is the same as Open's: the scanner reads a cell's stored value, which is the
// text Open shows for text cells and integers of up to 15 digits in the General
// format; at the first OutId cell of any other kind (a date, a number with
// another format or more digits, a boolean, text under a format that adds to
// it) Next returns that row's Index and Line with an error wrapping
// ErrOutIDFormatted, and the caller must read from that row on through Open.
//
// For CSV/TSV/TXT and XLS layouts it returns ErrNoScanner.
func OpenPhoneScanner(l Layout, from int64) (PhoneScanner, error) {
	if l.Sheet == "" || l.XLS {
		return nil, ErrNoScanner
	}
	if l.FirstLine < 1 {
		return nil, fmt.Errorf("phone scanner for %s: layout has no first data row", l.Path)
	}
	from = max(from, 0)
	s := &phoneScanner{l: l}
	if from > int64(excelize.TotalRows) {
		s.done = true
		s.nextLine = math.MaxInt
		return s, nil
	}
	target := l.FirstLine + int(from)
	s.nextLine = target
	if err := s.open(target); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

type phoneScanner struct {
	l      Layout
	f      *os.File
	zr     *zip.Reader
	rc     io.ReadCloser
	dec    *xml.Decoder
	sst    *sharedStrings // loaded on the first shared-string cell that matters
	styles *cellStyles    // loaded on the first OutId cell
	// nextLine is the Excel row of the next row to hand out; curRow is the
	// number of the last <row> parsed (rows without an r attribute follow it).
	nextLine int
	curRow   int
	pending  *Row // a non-blank row waiting for the blank rows before it
	done     bool
	err      error
	stack    []string
	vbuf     []byte
	isbuf    []byte
}

func (s *phoneScanner) wrap(row int, err error) error {
	return &InputError{Path: s.l.Path, Sheet: s.l.Sheet, Row: row, Err: err}
}

func (s *phoneScanner) open(target int) error {
	f, err := os.Open(s.l.Path)
	if err != nil {
		return s.wrap(0, err)
	}
	s.f = f
	st, err := f.Stat()
	if err != nil {
		return s.wrap(0, err)
	}
	if s.zr, err = zip.NewReader(f, st.Size()); err != nil {
		return s.wrap(0, fmt.Errorf("not a readable .xlsx file: %w", err))
	}
	if s.rc, err = openSheetPart(s.zr, s.l.Sheet); err != nil {
		return s.wrap(0, err)
	}
	sk := &skipper{r: s.rc, buf: make([]byte, 0, skipBufSize)}
	rest, prev, found, err := sk.skipTo(target)
	if err != nil {
		return s.wrap(0, fmt.Errorf("skip to row %d: %w", target, err))
	}
	if !found {
		s.done = true
		return nil
	}
	s.curRow = prev
	s.dec = xml.NewDecoder(io.MultiReader(bytes.NewReader(rest), s.rc))
	return nil
}

func (s *phoneScanner) Close() error {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}

func (s *phoneScanner) Next() (Row, error) {
	for {
		if s.pending != nil {
			if s.nextLine < s.pending.Line {
				r := Row{Index: int64(s.nextLine - s.l.FirstLine), Sheet: s.l.Sheet, Line: s.nextLine}
				s.nextLine++
				return r, nil
			}
			r := *s.pending
			s.pending = nil
			s.nextLine = r.Line + 1
			if r.outIDFormatted {
				r.outIDFormatted = false
				return r, s.wrap(r.Line, ErrOutIDFormatted)
			}
			return r, nil
		}
		if s.err != nil {
			return Row{}, s.err
		}
		if s.done {
			// Blank rows not followed by a non-blank row are trailing: dropped.
			return Row{}, io.EOF
		}
		row, blank, err := s.parseRow()
		if err == io.EOF {
			s.done = true
			continue
		}
		if err != nil {
			s.err = s.wrap(s.curRow, fmt.Errorf("read row: %w", err))
			return Row{}, s.err
		}
		if blank || row.Line < s.nextLine {
			continue
		}
		row.Index = int64(row.Line - s.l.FirstLine)
		s.pending = &row
	}
}

// ErrOutIDFormatted is returned (wrapped) by a PhoneScanner for a row whose OutId
// cell Open would show differently from the value the cell stores: excelize
// applies the cell's number format (dates, leading zeros, "TRUE" for 1, E+
// notation past 15 digits), and the scanner does not. Sending the stored value
// would give the rows called after a resume other OutIds than an uninterrupted
// run gives them.
var ErrOutIDFormatted = errors.New("the OutId cell has a number format that changes what it shows (a date, leading zeros, a boolean, more than 15 digits, text with a prefix): read on through excelize")

// shownAsStored reports whether excelize shows cell c, whose stored value is
// val, as val itself: text cells styled General or "@" (or not at all), and
// unstyled or General numbers that are integers of at most 15 digits without
// leading zeros (excelize rounds longer ones to 15 significant digits and
// writes them with E+). A formula's text result is never formatted. Anything
// else is taken as formatted, even where excelize might show it as stored:
// that costs a slower resume, never a wrong OutId.
func shownAsStored(c scanCell, kind numFmtKind, val string) bool {
	switch c.typ {
	case "str":
		return true
	case "s", "inlineStr":
		return kind == fmtGeneral || kind == fmtText
	case "", "n":
	default: // b, d, e
		return false
	}
	if kind != fmtGeneral {
		return false
	}
	digits := strings.TrimPrefix(val, "-")
	return len(digits) <= 15 && !(len(digits) > 1 && digits[0] == '0') && allDigits(digits)
}

// numFmtKind is what a cell style's number format does to a value.
type numFmtKind uint8

const (
	fmtOther   numFmtKind = iota // dates, decimals, custom codes: excelize reformats
	fmtGeneral                   // General
	fmtText                      // "@": text as it is
)

// cellStyles holds the number format kind of each cell style (cellXfs entry)
// of a workbook, from xl/styles.xml.
type cellStyles struct {
	kinds []numFmtKind
}

// kind returns the kind of the style in a cell's s attribute ("" is style 0).
// A style the workbook does not define counts as fmtOther.
func (cs *cellStyles) kind(attr string) numFmtKind {
	i := 0
	if attr != "" {
		n, err := strconv.Atoi(attr)
		if err != nil || n < 0 {
			return fmtOther
		}
		i = n
	}
	if i >= len(cs.kinds) {
		if i == 0 {
			return fmtGeneral // no styles at all: everything is General
		}
		return fmtOther
	}
	return cs.kinds[i]
}

func loadCellStyles(zr *zip.Reader) (*cellStyles, error) {
	const name = "xl/styles.xml"
	if zipPart(zr, name) == nil {
		return &cellStyles{}, nil
	}
	var doc struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		CellXfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := readZipXML(zr, name, &doc); err != nil {
		return nil, err
	}
	custom := make(map[int]string, len(doc.NumFmts))
	for _, nf := range doc.NumFmts {
		custom[nf.ID] = nf.Code
	}
	cs := &cellStyles{kinds: make([]numFmtKind, len(doc.CellXfs))}
	for i, xf := range doc.CellXfs {
		code, isCustom := custom[xf.NumFmtID]
		switch {
		case isCustom && strings.EqualFold(code, "General"), !isCustom && xf.NumFmtID == 0:
			cs.kinds[i] = fmtGeneral
		case isCustom && code == "@", !isCustom && xf.NumFmtID == 49:
			cs.kinds[i] = fmtText
		}
	}
	return cs, nil
}

func (s *phoneScanner) cellStyles() (*cellStyles, error) {
	if s.styles == nil {
		cs, err := loadCellStyles(s.zr)
		if err != nil {
			return nil, fmt.Errorf("read cell styles: %w", err)
		}
		s.styles = cs
	}
	return s.styles, nil
}

// scanCell is what one <c> held, as far as the scanner cares.
type scanCell struct {
	col       int
	typ       string
	style     string
	hasF      bool
	hasIS     bool
	valueText bool // non-space character data inside <v> or <is>
}

// parseRow reads the next <row> element. blank means no cell in it has a
// value or a formula: the test excelize's iterator applies when it builds the
// row's slice, which is what table.go's blankness rests on.
func (s *phoneScanner) parseRow() (row Row, blank bool, err error) {
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return Row{}, false, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "row" {
				num := s.curRow + 1
				if n, err := strconv.Atoi(attr(el, "r")); err == nil && n != 0 {
					num = n
				}
				s.curRow = num
				return s.parseCells(num)
			}
		case xml.EndElement:
			if el.Name.Local == "sheetData" {
				return Row{}, false, io.EOF
			}
		}
	}
}

// rowParse is the state of one <row> while its cells are parsed.
type rowParse struct {
	row      Row
	nonBlank bool
	deferred []int // shared-string indexes whose emptiness decides blankness
	c        scanCell
	col      int // of the last <c>, for cells without an r attribute
}

// parseCells reads the cells of the <row> just opened, up to its end tag, in
// four steps per token: a <c> opens a cell (startCell), a child of it opens a
// buffer (openCellChild), text goes to the buffer it belongs in (cellText),
// and </c> gives the row the cell's value (closeCell). At </row> the row's
// blankness is settled (endRow).
func (s *phoneScanner) parseCells(line int) (Row, bool, error) {
	rp := rowParse{row: Row{Sheet: s.l.Sheet, Line: line}, col: -1}
	s.stack = s.stack[:0]
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Row{}, false, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if err := s.openElement(&rp, el); err != nil {
				return Row{}, false, err
			}
		case xml.CharData:
			s.cellText(&rp.c, el)
		case xml.EndElement:
			if len(s.stack) == 0 { // </row>
				blank, err := s.endRow(&rp)
				if err != nil {
					return Row{}, false, err
				}
				return rp.row, blank, nil
			}
			name := s.stack[len(s.stack)-1]
			s.stack = s.stack[:len(s.stack)-1]
			// Only a cell's end gives the row a value: another element directly
			// in the row (an extension, or damage) must not hand it the
			// previous cell's buffers.
			if len(s.stack) == 0 && name == "c" { // </c>
				if err := s.closeCell(&rp); err != nil {
					return Row{}, false, err
				}
			}
		}
	}
}

// openElement handles a start tag inside the row: a cell, or a child of one.
func (s *phoneScanner) openElement(rp *rowParse, el xml.StartElement) error {
	name := el.Name.Local
	if len(s.stack) == 0 && name == "c" {
		c, err := startCell(el, rp.col)
		if err != nil {
			return err
		}
		rp.c, rp.col = c, c.col
		s.vbuf, s.isbuf = s.vbuf[:0], s.isbuf[:0]
	}
	if len(s.stack) == 1 && s.stack[0] == "c" {
		s.openCellChild(&rp.c, name)
	}
	s.stack = append(s.stack, name)
	return nil
}

// startCell reads a <c> tag: its column is its r attribute's, or the one after
// the previous cell's (prevCol) when it has none.
func startCell(el xml.StartElement, prevCol int) (scanCell, error) {
	col := prevCol + 1
	if ref := attr(el, "r"); ref != "" {
		cn, _, err := excelize.CellNameToCoordinates(ref)
		if err != nil {
			return scanCell{}, err
		}
		col = cn - 1
	}
	return scanCell{col: col, typ: attr(el, "t"), style: attr(el, "s")}, nil
}

// openCellChild notes a direct child of the cell: a formula, or the start of
// a value (<v>) or an inline string (<is>), whose buffer starts afresh.
func (s *phoneScanner) openCellChild(c *scanCell, name string) {
	switch name {
	case "f":
		c.hasF = true
	case "v":
		s.vbuf = s.vbuf[:0]
	case "is":
		c.hasIS = true
		s.isbuf = s.isbuf[:0]
	}
}

// Where character data inside a row belongs (textTarget).
const (
	textNone   = iota // outside a value: ignored
	textMarkup        // inside <v> or <is> but not part of its text (rPr and the like)
	textV             // the text of <v>
	textIS            // a <t> of an inline string, plain or in a run
)

// textTarget says where character data belongs, given the elements open
// inside the row (stack[0] being the cell).
func textTarget(stack []string) int {
	if len(stack) < 2 || stack[0] != "c" {
		return textNone
	}
	in := stack[1]
	switch {
	case in != "v" && in != "is":
		return textNone
	case len(stack) == 2 && in == "v":
		return textV
	case in == "is" && (len(stack) == 3 && stack[2] == "t" ||
		len(stack) == 4 && stack[2] == "r" && stack[3] == "t"):
		return textIS
	}
	return textMarkup
}

// cellText adds character data to the buffer it belongs in, and notes any
// non-space text inside <v> or <is> (a formula's cached value).
func (s *phoneScanner) cellText(c *scanCell, el xml.CharData) {
	target := textTarget(s.stack)
	if target == textNone {
		return
	}
	if len(bytes.TrimSpace(el)) > 0 {
		c.valueText = true
	}
	switch target {
	case textV:
		s.vbuf = append(s.vbuf, el...)
	case textIS:
		s.isbuf = append(s.isbuf, el...)
	}
}

// storedCell is what a closed cell stores, before any shared-string lookup.
type storedCell struct {
	val    string // the value, when the cell is wanted or an inline string
	stored bool   // it stores a value other than a shared string: not blank
	shared bool   // a shared string, number sst: its text is only in the table
	sst    int
}

// cellStored reads the value of cell c from its <v> and <is> text. The value
// of an ordinary cell is copied only when wanted: other cells only decide
// blankness.
func cellStored(c scanCell, v, is []byte, wanted bool) storedCell {
	switch {
	case c.typ == "s":
		if len(v) == 0 {
			return storedCell{}
		}
		idx, _ := strconv.Atoi(strings.TrimSpace(string(v)))
		return storedCell{shared: true, sst: idx}
	case c.typ == "inlineStr" && c.hasIS:
		var val string
		if len(is) > 0 {
			val = bstrUnmarshal(string(is))
		}
		return storedCell{val: val, stored: val != ""}
	}
	sc := storedCell{stored: len(v) > 0}
	if wanted {
		sc.val = string(v)
	}
	return sc
}

// closeCell gives the row what the cell just closed holds: blankness, and the
// phone or OutId when it is in one of their columns.
func (s *phoneScanner) closeCell(rp *rowParse) error {
	c := rp.c
	wanted := c.col == s.l.PhoneCol || c.col == s.l.OutIDCol
	sc := cellStored(c, s.vbuf, s.isbuf, wanted)
	val := sc.val
	if sc.shared {
		switch {
		case wanted:
			sst, err := s.sharedStrings()
			if err != nil {
				return err
			}
			val, _ = sst.get(sc.sst)
		case !rp.nonBlank && !c.hasF:
			// Whether the row is blank waits for the table, which a row with
			// a value elsewhere never needs.
			rp.deferred = append(rp.deferred, sc.sst)
		}
	}
	if val != "" || sc.stored || c.hasF {
		rp.nonBlank = true
	}
	if c.col == s.l.PhoneCol {
		setPhone(&rp.row, c, val)
	}
	if c.col == s.l.OutIDCol {
		rp.row.OutID = val
		styles, err := s.cellStyles()
		if err != nil {
			return err
		}
		rp.row.outIDFormatted = !shownAsStored(c, styles.kind(c.style), val)
	}
	return nil
}

// setPhone sets the row's phone from its cell; a formula with neither a cached
// value nor any text is an error, as from Open.
func setPhone(row *Row, c scanCell, val string) {
	row.Phone, row.Err = val, nil
	if c.hasF && val == "" && !c.valueText {
		cell, _ := excelize.CoordinatesToCellName(c.col+1, row.Line)
		row.Err = fmt.Errorf("sheet %s cell %s: %w", row.Sheet, cell, errNoCache)
	}
}

// endRow settles whether the row is blank: when only shared strings could
// make it non-blank, it is so if any of them is non-empty.
func (s *phoneScanner) endRow(rp *rowParse) (blank bool, err error) {
	if rp.nonBlank || len(rp.deferred) == 0 {
		return !rp.nonBlank, nil
	}
	sst, err := s.sharedStrings()
	if err != nil {
		return false, err
	}
	for _, i := range rp.deferred {
		if v, _ := sst.get(i); v != "" {
			return false, nil
		}
	}
	return true, nil
}

func (s *phoneScanner) sharedStrings() (*sharedStrings, error) {
	if s.sst == nil {
		sst, err := loadSharedStrings(s.zr)
		if err != nil {
			return nil, fmt.Errorf("read shared strings: %w", err)
		}
		s.sst = sst
	}
	return s.sst, nil
}

// skipBufSize is large so that bytes.Index runs over long stretches between
// refills. A variable so that tests can force refills at every position.
var skipBufSize = 4 << 20

const lookBehind = 64

// skipper finds a <row> start tag by plain byte search over the decompressed
// sheet, without tokenising anything.
type skipper struct {
	r   io.Reader
	buf []byte
	pos int
	eof bool
}

// fill moves the unread bytes to the front and reads more; false at EOF with
// nothing new read.
func (k *skipper) fill() (bool, error) {
	if k.eof {
		return false, nil
	}
	// A little is kept before pos so that a caller can look behind a match.
	start := max(0, k.pos-lookBehind)
	n := copy(k.buf[:cap(k.buf)], k.buf[start:])
	k.buf, k.pos = k.buf[:n], k.pos-start
	got := false
	for len(k.buf) < cap(k.buf) {
		m, err := k.r.Read(k.buf[len(k.buf):cap(k.buf)])
		k.buf = k.buf[:len(k.buf)+m]
		got = got || m > 0
		if err == io.EOF {
			k.eof = true
			break
		}
		if err != nil {
			return got, err
		}
		if m > 0 && len(k.buf) > cap(k.buf)/2 {
			break
		}
	}
	return got, nil
}

// find moves pos to the next occurrence of pat; false at EOF.
func (k *skipper) find(pat []byte) (bool, error) {
	for {
		if i := bytes.Index(k.buf[k.pos:], pat); i >= 0 {
			k.pos += i
			return true, nil
		}
		k.pos = max(k.pos, len(k.buf)-len(pat)+1)
		if more, err := k.fill(); err != nil || !more {
			return false, err
		}
	}
}

// tagAt returns the tag starting at pos, up to and including '>'.
func (k *skipper) tagAt() ([]byte, error) {
	for {
		if i := bytes.IndexByte(k.buf[k.pos:], '>'); i >= 0 {
			return k.buf[k.pos : k.pos+i+1], nil
		}
		if more, err := k.fill(); err != nil {
			return nil, err
		} else if !more {
			return nil, io.ErrUnexpectedEOF
		}
	}
}

// skipTo stops at the first <row> numbered target or more, numbering rows the
// way excelize does (r attribute, else previous+1). rest holds the unread
// bytes from that row's '<' on (the remainder follows in k.r); prev is the
// number of the row before it.
func (k *skipper) skipTo(target int) (rest []byte, prev int, found bool, err error) {
	// The start tag of sheetData tells the namespace prefix, if any ("x:").
	if ok, err := k.find([]byte("sheetData")); err != nil || !ok {
		return nil, 0, false, err
	}
	lt := bytes.LastIndexByte(k.buf[:k.pos], '<')
	if lt < 0 {
		return nil, 0, false, errors.New("malformed sheetData tag")
	}
	pat := append([]byte("<"), k.buf[lt+1:k.pos]...)
	pat = append(pat, "row"...)
	cur := 0
	for {
		ok, err := k.find(pat)
		if err != nil || !ok {
			return nil, 0, false, err
		}
		tag, err := k.tagAt()
		if err != nil {
			return nil, 0, false, err
		}
		if len(tag) <= len(pat) || !isTagNameEnd(tag[len(pat)]) {
			k.pos += len(pat) // <rowBreaks> and the like
			continue
		}
		num := cur + 1
		if n, err := strconv.Atoi(string(tagAttr(tag[len(pat):], "r"))); err == nil && n != 0 {
			num = n
		}
		if num >= target {
			return k.buf[k.pos:], cur, true, nil
		}
		cur = num
		k.pos += len(tag)
	}
}

func isTagNameEnd(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '>' || b == '/'
}

// tagAttr returns the raw value of attribute name (no prefix) in the
// attribute text of a start tag; nil when absent.
func tagAttr(attrs []byte, name string) []byte {
	for len(attrs) > 0 {
		i := 0
		for i < len(attrs) && (isTagNameEnd(attrs[i]) && attrs[i] != '>' && attrs[i] != '/') {
			i++
		}
		attrs = attrs[i:]
		eq := bytes.IndexByte(attrs, '=')
		if eq < 0 {
			return nil
		}
		key := bytes.TrimSpace(attrs[:eq])
		attrs = bytes.TrimLeft(attrs[eq+1:], " \t\r\n")
		if len(attrs) == 0 || attrs[0] != '"' && attrs[0] != '\'' {
			return nil
		}
		end := bytes.IndexByte(attrs[1:], attrs[0])
		if end < 0 {
			return nil
		}
		val := attrs[1 : 1+end]
		attrs = attrs[end+2:]
		if string(key) == name {
			return val
		}
	}
	return nil
}

// sharedStrings is the shared-string table in one arena: string i is
// arena[off[i]:off[i+1]]. A million strings cost the text plus 4 bytes each.
type sharedStrings struct {
	arena []byte
	off   []uint32
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i+1 >= len(s.off) {
		return "", false // excelize reads an out-of-range index as ""
	}
	return string(s.arena[s.off[i]:s.off[i+1]]), true
}

// loadSharedStrings reads xl/sharedStrings.xml the way excelize does: each
// <si> is its <t> followed by the <t> of each rich-text run (phonetic runs
// left out), with _xHHHH_ escapes decoded. A missing part is an empty table.
//
// encoding/xml needs about 2.5 s for two million strings, so plain items (no
// entity, CDATA, comment, CR or phonetic run) are cut out by byte search and
// only the rest go through the decoder.
func loadSharedStrings(zr *zip.Reader) (*sharedStrings, error) {
	zf := zipPart(zr, "xl/sharedStrings.xml")
	if zf == nil {
		return &sharedStrings{off: []uint32{0}}, nil
	}
	s, ok, err := loadSharedStringsFast(zf)
	if err != nil || ok {
		return s, err
	}
	return loadSharedStringsXML(zf)
}

// loadSharedStringsFast returns ok false when the part uses a namespace prefix
// or an item does not fit the buffer; the caller then decodes it fully.
func loadSharedStringsFast(zf *zip.File) (*sharedStrings, bool, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	s := &sharedStrings{off: []uint32{0}}
	k := &skipper{r: rc, buf: make([]byte, 0, skipBufSize)}
	if ok, err := k.find([]byte("<sst")); err != nil || !ok || k.pos+4 >= len(k.buf) || !isTagNameEnd(k.buf[k.pos+4]) {
		return nil, false, err
	}
	siEnd := []byte("</si>")
	var item []byte
	for {
		ok, err := k.find([]byte("<si"))
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return s, true, nil
		}
		tag, err := k.tagAt()
		if err != nil {
			return nil, false, err
		}
		if len(tag) <= 3 || !isTagNameEnd(tag[3]) {
			k.pos += 3
			continue
		}
		if bytes.HasSuffix(tag, []byte("/>")) {
			k.pos += len(tag)
			s.off = append(s.off, uint32(len(s.arena)))
			continue
		}
		var body []byte
		for {
			if i := bytes.Index(k.buf[k.pos+len(tag):], siEnd); i >= 0 {
				body = k.buf[k.pos+len(tag) : k.pos+len(tag)+i]
				break
			}
			if more, err := k.fill(); err != nil {
				return nil, false, err
			} else if !more {
				return nil, false, nil // item larger than the buffer, or truncated
			}
			tag = k.buf[k.pos : k.pos+len(tag)] // fill moved the bytes
		}
		item, err = siText(item[:0], tag, body)
		if err != nil {
			return nil, false, err
		}
		k.pos += len(tag) + len(body) + len(siEnd)
		if err := s.add(item); err != nil {
			return nil, false, err
		}
	}
}

// add appends one item's text, decoding its _xHHHH_ escapes.
func (s *sharedStrings) add(item []byte) error {
	if bytes.Contains(item, []byte("_x")) {
		s.arena = append(s.arena, bstrUnmarshal(string(item))...)
	} else {
		s.arena = append(s.arena, item...)
	}
	if len(s.arena) > math.MaxUint32 {
		return errors.New("shared strings larger than 4 GiB")
	}
	s.off = append(s.off, uint32(len(s.arena)))
	return nil
}

// siText appends the text of one <si> (start tag and body without </si>).
func siText(dst, tag, body []byte) ([]byte, error) {
	if bytes.ContainsAny(body, "&\r") || bytes.Contains(body, []byte("<!")) || bytes.Contains(body, []byte("<rPh")) {
		return siTextXML(dst, tag, body)
	}
	for {
		i := bytes.Index(body, []byte("<t"))
		if i < 0 {
			return dst, nil
		}
		body = body[i+2:]
		gt := bytes.IndexByte(body, '>')
		if gt < 0 || len(body) == 0 || !isTagNameEnd(body[0]) {
			if gt < 0 {
				return siTextXML(dst, tag, body)
			}
			continue // <tx...> or similar: not a text element
		}
		if gt > 0 && body[gt-1] == '/' { // <t/>
			body = body[gt+1:]
			continue
		}
		body = body[gt+1:]
		end := bytes.Index(body, []byte("</t>"))
		if end < 0 {
			return nil, errors.New("unterminated <t> in shared strings")
		}
		dst = append(dst, body[:end]...)
		body = body[end+4:]
	}
}

// siTextXML decodes one <si> with encoding/xml, for items the byte path does
// not handle.
func siTextXML(dst, tag, body []byte) ([]byte, error) {
	dec := xml.NewDecoder(io.MultiReader(bytes.NewReader(tag), bytes.NewReader(body), strings.NewReader("</si>")))
	var path []string
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			path = append(path, el.Name.Local)
		case xml.CharData:
			if len(path) == 2 && path[1] == "t" || len(path) == 3 && path[1] == "r" && path[2] == "t" {
				dst = append(dst, el...)
			}
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		}
	}
}

// loadSharedStringsXML decodes the whole part with encoding/xml.
func loadSharedStringsXML(zf *zip.File) (*sharedStrings, error) {
	s := &sharedStrings{off: []uint32{0}}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	var path []string
	var item []byte
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			path = append(path, el.Name.Local)
			if len(path) == 2 && el.Name.Local == "si" {
				item = item[:0]
			}
		case xml.CharData:
			if len(path) == 3 && path[1] == "si" && path[2] == "t" ||
				len(path) == 4 && path[1] == "si" && path[2] == "r" && path[3] == "t" {
				item = append(item, el...)
			}
		case xml.EndElement:
			if len(path) == 0 {
				continue
			}
			if len(path) == 2 && path[1] == "si" {
				if err := s.add(item); err != nil {
					return nil, err
				}
			}
			path = path[:len(path)-1]
		}
	}
}

var bstrExp = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// bstrUnmarshal decodes the _xHHHH_ escapes of OOXML strings, as excelize's
// unexported function of the same name does.
func bstrUnmarshal(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	cursor := 0
	for _, m := range bstrExp.FindAllStringIndex(s, -1) {
		b.WriteString(s[cursor:m[0]])
		sub := s[m[0]:m[1]]
		cursor = m[1]
		if sub == "_x005F_" {
			b.WriteByte('_')
			continue
		}
		v, _ := strconv.Unquote(`"\u` + s[m[0]+2:m[1]-1] + `"`)
		b.WriteString(v)
	}
	b.WriteString(s[cursor:])
	return b.String()
}
