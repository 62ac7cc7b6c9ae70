package readers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// A BIFF8 decoder for what this tool needs of an .xls: sheet names and
// visibility, the shared strings, number formats, and the cell values of one
// sheet (numbers, RK numbers, strings, booleans, errors, formula results). The
// compound-file container is read with mscfb (Apache-2.0, already here through
// excelize), which checks its directory, DIFAT and mini-stream chains for
// cycles; the Workbook stream's read is bounded by its size. Every record is
// bounds-checked; a password-protected workbook (FILEPASS) is refused rather
// than read as garbage. References: [MS-XLS] 2.4 (records) and 2.5.293
// (XLUnicodeRichExtendedString, split across CONTINUE records).

// Errors the .xls path reports; openXLS wraps them into an *InputError.
var (
	errXLSEncrypted = errors.New("the workbook is password-protected (encrypted); open it in Excel/WPS, remove the password (Excel: File > Info > Protect Workbook > Encrypt with Password; WPS: 文件 > 文档加密 > 密码加密), save it again and rerun")
	errXLSDamaged   = errors.New("damaged or truncated binary Excel/WPS workbook; open it in Excel/WPS and save it again (as .xlsx if possible)")
)

// BIFF record types used here.
const (
	biffFormula    = 0x0006
	biffEOF        = 0x000A
	biffDateMode   = 0x0022
	biffFilePass   = 0x002F
	biffBoundSheet = 0x0085
	biffXF         = 0x00E0
	biffRK         = 0x027E
	biffMulRK      = 0x00BD
	biffString     = 0x0207
	biffArray      = 0x0221
	biffTable      = 0x0236
	biffShrFmla    = 0x04BC
	biffBOF        = 0x0809
	biffSST        = 0x00FC
	biffContinue   = 0x003C
	biffFormat     = 0x041E
	biffNumber     = 0x0203
	biffLabel      = 0x0204
	biffRString    = 0x00D6
	biffLabelSST   = 0x00FD
	biffBoolErr    = 0x0205

	biff8Version = 0x0600
)

// cfbWorkbook returns the Workbook stream of a compound file, or an error
// saying what the file is instead.
func cfbWorkbook(data []byte) (stream []byte, err error) {
	// mscfb sizes its tables from header counts before checking them against
	// the file (found by FuzzOpenXLS: a huge FAT count panics in makeslice, a
	// merely large one would allocate gigabytes), so the counts are checked
	// here first, and a panic left in it is recovered.
	if len(data) < 512 {
		return nil, fmt.Errorf("%w (%d bytes, shorter than a compound file header)", errXLSDamaged, len(data))
	}
	shift := binary.LittleEndian.Uint16(data[30:])
	if shift != 9 && shift != 12 {
		return nil, fmt.Errorf("%w (container: sector shift %d)", errXLSDamaged, shift)
	}
	sectors := uint64(len(data)) >> shift
	for _, at := range []int{44, 64, 72} { // FAT, mini FAT and DIFAT sector counts
		if n := uint64(binary.LittleEndian.Uint32(data[at:])); n > sectors {
			return nil, fmt.Errorf("%w (container: %d sectors claimed in a %d-byte file)", errXLSDamaged, n, len(data))
		}
	}
	defer func() {
		if p := recover(); p != nil {
			stream, err = nil, fmt.Errorf("%w (container: %v)", errXLSDamaged, p)
		}
	}()
	r, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w (container: %v)", errXLSDamaged, err)
	}
	var book, oldBook *mscfb.File
	for _, f := range r.File {
		if len(f.Path) != 0 { // only streams at the top level count
			continue
		}
		switch f.Name {
		case "EncryptionInfo", "EncryptedPackage":
			// An .xlsx with a password is stored as an encrypted package
			// inside a compound file.
			return nil, errXLSEncrypted
		case "Workbook":
			book = f
		case "Book":
			oldBook = f
		}
	}
	if book == nil {
		if oldBook != nil {
			return nil, errors.New("this is an Excel 5.0/95 workbook, which is not supported; open it in Excel/WPS and save it as .xlsx")
		}
		return nil, errors.New("a binary Office file without a workbook in it (a Word or PowerPoint file?); save the spreadsheet as .xlsx or .xls")
	}
	// A stream cannot be larger than the file holding it; a damaged size would
	// otherwise make us read far past the data.
	if book.Size <= 0 || book.Size > int64(len(data)) {
		return nil, fmt.Errorf("%w (workbook stream of %d bytes in a %d-byte file)", errXLSDamaged, book.Size, len(data))
	}
	stream = make([]byte, book.Size)
	if _, err := io.ReadFull(book, stream); err != nil {
		return nil, fmt.Errorf("%w (workbook stream: %v)", errXLSDamaged, err)
	}
	return stream, nil
}

// biffSheet is one BOUNDSHEET record.
type biffSheet struct {
	name   string
	offset int  // of the sheet's BOF in the Workbook stream
	hidden bool // hidden or very hidden
	kind   byte // 0 worksheet, 1 macro sheet, 2 chart, 6 VB module
}

// biffBook is what the globals substream says about the workbook.
type biffBook struct {
	sheets   []biffSheet
	date1904 bool
	xfFormat []uint16       // XF index → number format index (ifmt)
	formats  map[int]string // ifmt → format code, for the formats the file defines
	sst      []string       // the shared strings
}

// biffRecords walks the records of stream from off: it calls fn with each
// record's type and data until fn returns false or the substream ends (the EOF
// matching the first BOF). Every record must lie inside the stream.
func biffRecords(stream []byte, off int, fn func(typ int, data []byte) bool) error {
	depth := 0
	for {
		if off < 0 || off+4 > len(stream) {
			return fmt.Errorf("%w (record stream ends at byte %d without an EOF record)", errXLSDamaged, off)
		}
		typ := int(binary.LittleEndian.Uint16(stream[off:]))
		n := int(binary.LittleEndian.Uint16(stream[off+2:]))
		if off+4+n > len(stream) {
			return fmt.Errorf("%w (record %#04x at byte %d runs past the end)", errXLSDamaged, typ, off)
		}
		data := stream[off+4 : off+4+n]
		off += 4 + n
		switch typ {
		case biffBOF:
			depth++
		case biffEOF:
			depth--
		}
		if !fn(typ, data) || depth <= 0 {
			return nil
		}
	}
}

// scanBIFF reads the globals substream of a BIFF8 Workbook stream and checks
// that every sheet substream is whole.
func scanBIFF(stream []byte) (*biffBook, error) {
	if err := checkBIFF8(stream); err != nil {
		return nil, err
	}
	g := globalsReader{b: &biffBook{formats: map[int]string{}}}
	err := biffRecords(stream, 0, g.record)
	switch {
	case g.encrypted:
		return nil, errXLSEncrypted
	case err != nil:
		return nil, err
	case g.bad != "":
		return nil, fmt.Errorf("%w (a %s record is too short)", errXLSDamaged, g.bad)
	case len(g.b.sheets) == 0:
		return nil, errors.New("the workbook has no worksheets")
	}
	if g.sst != nil {
		if g.b.sst, err = readSST(g.sst); err != nil {
			return nil, err
		}
	}
	if err := checkSheets(stream, g.b.sheets); err != nil {
		return nil, err
	}
	return g.b, nil
}

// checkBIFF8 checks that the stream starts with a BIFF8 BOF record; an older
// BIFF version gets its own message rather than being called damaged.
func checkBIFF8(stream []byte) error {
	if len(stream) < 8 || binary.LittleEndian.Uint16(stream) != biffBOF {
		return fmt.Errorf("%w (no BOF record at the start of the workbook stream)", errXLSDamaged)
	}
	if v := binary.LittleEndian.Uint16(stream[4:]); v != biff8Version {
		return fmt.Errorf("this is not an Excel 97-2003 (BIFF8) workbook (BIFF version %#04x); open it in Excel/WPS and save it as .xlsx", v)
	}
	return nil
}

// globalsReader gathers the workbook globals, record by record.
type globalsReader struct {
	b         *biffBook
	encrypted bool     // a FILEPASS record: the rest is ciphertext
	bad       string   // the name of a record too short to read
	sst       [][]byte // the SST record's data, then its CONTINUE records'
	inSST     bool     // the last record was the SST or one of its CONTINUEs
}

// record takes one globals record; it returns false to stop the walk at a
// FILEPASS or a damaged record.
func (g *globalsReader) record(typ int, data []byte) bool {
	if typ == biffContinue {
		if g.inSST {
			g.sst = append(g.sst, data)
		}
		return true
	}
	g.inSST = false
	switch typ {
	case biffFilePass:
		g.encrypted = true
		return false
	case biffSST:
		if g.sst != nil || len(data) < 8 {
			g.bad = "SST"
			return false
		}
		g.sst, g.inSST = [][]byte{data}, true
	default:
		if bad := g.b.addGlobal(typ, data); bad != "" {
			g.bad = bad
			return false
		}
	}
	return true
}

// addGlobal records an XF, FORMAT, DATEMODE or BOUNDSHEET record in b and
// ignores other records; it returns the record's name when the record is too
// short to read.
func (b *biffBook) addGlobal(typ int, data []byte) (bad string) {
	switch typ {
	case biffXF:
		if len(data) < 4 {
			return "XF"
		}
		b.xfFormat = append(b.xfFormat, binary.LittleEndian.Uint16(data[2:]))
	case biffFormat:
		if len(data) < 5 {
			return "FORMAT"
		}
		code, ok := xlString(data[2:])
		if !ok {
			return "FORMAT"
		}
		b.formats[int(binary.LittleEndian.Uint16(data))] = code
	case biffDateMode:
		if len(data) < 2 {
			return "DATEMODE"
		}
		b.date1904 = binary.LittleEndian.Uint16(data) == 1
	case biffBoundSheet:
		if len(data) < 8 {
			return "BOUNDSHEET"
		}
		s := biffSheet{
			offset: int(binary.LittleEndian.Uint32(data)),
			hidden: data[4]&0x03 != 0,
			kind:   data[5],
		}
		var ok bool
		if s.name, ok = shortXLString(data[6:]); !ok {
			return "BOUNDSHEET"
		}
		b.sheets = append(b.sheets, s)
	}
	return ""
}

// checkSheets checks that every sheet substream is whole: it starts with a
// BOF where the workbook says, and its records run to its EOF inside the
// stream.
func checkSheets(stream []byte, sheets []biffSheet) error {
	for _, s := range sheets {
		if s.offset < 0 || s.offset+4 > len(stream) || binary.LittleEndian.Uint16(stream[s.offset:]) != biffBOF {
			return fmt.Errorf("%w (sheet %s does not start where the workbook says)", errXLSDamaged, s.name)
		}
		if err := biffRecords(stream, s.offset, func(int, []byte) bool { return true }); err != nil {
			return fmt.Errorf("sheet %s: %w", s.name, err)
		}
	}
	return nil
}

// continued reads data that runs on from a record into its CONTINUE records.
type continued struct {
	frags [][]byte
	cur   []byte
}

func (c *continued) next() bool {
	if len(c.frags) == 0 {
		return false
	}
	c.cur, c.frags = c.frags[0], c.frags[1:]
	return true
}

// take returns n bytes of structure data, which may straddle records.
func (c *continued) take(n int) ([]byte, bool) {
	if n <= len(c.cur) {
		b := c.cur[:n]
		c.cur = c.cur[n:]
		return b, true
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		if len(c.cur) == 0 && !c.next() {
			return nil, false
		}
		k := min(n-len(out), len(c.cur))
		out = append(out, c.cur[:k]...)
		c.cur = c.cur[k:]
	}
	return out, true
}

// chars reads n characters. Where they are split across records, the next
// record starts with a fresh option byte: the rest may switch between one and
// two bytes a character (what a CJK string with ASCII in it often does).
func (c *continued) chars(n int, wide bool) (string, bool) {
	u := make([]uint16, 0, n)
	for len(u) < n {
		if len(c.cur) == 0 {
			if !c.next() || len(c.cur) == 0 {
				return "", false
			}
			wide = c.cur[0]&1 != 0
			c.cur = c.cur[1:]
			continue
		}
		if wide {
			if len(c.cur) < 2 {
				return "", false
			}
			u = append(u, binary.LittleEndian.Uint16(c.cur))
			c.cur = c.cur[2:]
		} else {
			u = append(u, uint16(c.cur[0]))
			c.cur = c.cur[1:]
		}
	}
	return string(utf16.Decode(u)), true
}

// readSST decodes the shared-string table: cstTotal, cstUnique, then cstUnique
// XLUnicodeRichExtendedStrings (with rich-text runs and phonetic data, skipped).
func readSST(frags [][]byte) ([]string, error) {
	c := &continued{frags: frags}
	c.next()
	hdr, _ := c.take(8)
	n := int(binary.LittleEndian.Uint32(hdr[4:]))
	bad := func(i int) error {
		return fmt.Errorf("%w (shared string %d of %d cannot be read)", errXLSDamaged, i+1, n)
	}
	// Each string takes 3 bytes at least: a count past that is damage, and
	// must not size an allocation.
	total := 0
	for _, f := range frags {
		total += len(f)
	}
	if n > total/3 {
		return nil, bad(0)
	}
	out := make([]string, 0, n)
	for i := range n {
		if len(c.cur) == 0 && !c.next() { // a string may start a CONTINUE record
			return nil, bad(i)
		}
		h, ok := c.take(3)
		if !ok {
			return nil, bad(i)
		}
		cch, flags := int(binary.LittleEndian.Uint16(h)), h[2]
		runs, ext := 0, 0
		if flags&0x08 != 0 {
			b, ok := c.take(2)
			if !ok {
				return nil, bad(i)
			}
			runs = int(binary.LittleEndian.Uint16(b))
		}
		if flags&0x04 != 0 {
			b, ok := c.take(4)
			if !ok {
				return nil, bad(i)
			}
			ext = int(binary.LittleEndian.Uint32(b))
		}
		s, ok := c.chars(cch, flags&0x01 != 0)
		if !ok {
			return nil, bad(i)
		}
		if ext > total || runs > total {
			return nil, bad(i)
		}
		if _, ok := c.take(4*runs + ext); !ok {
			return nil, bad(i)
		}
		out = append(out, s)
	}
	return out, nil
}

// xlString decodes an XLUnicodeString inside one record: a 2-byte length, an
// option byte (bit 0: two bytes a character) and the characters.
func xlString(b []byte) (string, bool) {
	if len(b) < 3 {
		return "", false
	}
	return xlChars(b[3:], int(binary.LittleEndian.Uint16(b)), b[2]&1 != 0)
}

// shortXLString decodes a ShortXLUnicodeString: a 1-byte length, an option
// byte and the characters.
func shortXLString(b []byte) (string, bool) {
	if len(b) < 2 {
		return "", false
	}
	return xlChars(b[2:], int(b[0]), b[1]&1 != 0)
}

func xlChars(b []byte, n int, wide bool) (string, bool) {
	c := &continued{cur: b}
	return c.chars(n, wide)
}

// biffValue is one cell's value.
type biffValue struct {
	kind byte // 0 empty, 'n' number, 's' string, 'b' boolean, 'e' error
	col  uint16
	xf   uint16
	num  float64
	str  string
}

// biffRows holds a sheet's cells by 0-based row; each row keeps only the
// cells its records set (any order, one per column). It is sparse, not padded
// out to the last column, because padding lets a crafted file of one cell per
// row in column IV (1.2 MB) cost 65,536 × 256 cells, about 1.2 GB and seconds
// of work, at open; a row is widened only when it is handed out.
type biffRows [][]biffValue

func (r *biffRows) set(row, col int, v biffValue) {
	for len(*r) <= row {
		*r = append(*r, nil)
	}
	v.col = uint16(col)
	cells := (*r)[row]
	// A row is kept sorted by column. Cells come left to right in a sound
	// file, so this is an append; only a damaged file (a cell out of order or
	// set twice) makes it search, over at most biffMaxCols cells.
	i := len(cells)
	for i > 0 && int(cells[i-1].col) >= col {
		i--
	}
	if i < len(cells) && int(cells[i].col) == col {
		cells[i] = v
		return
	}
	(*r)[row] = slices.Insert(cells, i, v)
}

// at returns the cell stored at (row, col), or nil.
func (r biffRows) at(row, col int) *biffValue {
	if row >= len(r) {
		return nil
	}
	for i := range r[row] {
		if int(r[row][i].col) == col {
			return &r[row][i]
		}
	}
	return nil
}

// biffMaxCols is BIFF8's column limit (A..IV). The column field is 16 bits; a
// larger value is damage, and must not widen a row to 65,536 cells.
const biffMaxCols = 256

// readSheet decodes the cells of the sheet substream at off. Rows are 16-bit
// (at most 65,536) and columns are checked against biffMaxCols, so a damaged
// record cannot make the table huge.
func readSheet(stream []byte, off int, b *biffBook) (biffRows, error) {
	sr := sheetReader{sst: b.sst}
	err := biffRecords(stream, off, sr.record)
	if sr.bad != nil {
		return nil, sr.bad
	}
	return sr.rows, err
}

// sheetReader gathers a sheet substream's cells, record by record.
type sheetReader struct {
	sst  []string
	rows biffRows
	// A string formula at (prow, pcol) waits for its STRING record, which
	// follows it (after any SHRFMLA, ARRAY, TABLE or CONTINUE records).
	pending    bool
	prow, pcol int
	bad        error // why the walk stopped, when a record is damaged
}

// plainCellSize is the least length of a record that holds one cell's value
// and nothing else.
func plainCellSize(typ int) int {
	switch typ {
	case biffNumber:
		return 14
	case biffRK, biffLabelSST:
		return 10
	case biffLabel, biffRString:
		return 9
	}
	return 8 // BOOLERR
}

// record takes one record of the sheet; it returns false to stop the walk at
// a damaged record (sr.bad says why).
func (sr *sheetReader) record(typ int, data []byte) bool {
	switch typ {
	case biffString, biffShrFmla, biffArray, biffTable, biffContinue:
	default:
		sr.pending = false
	}
	switch typ {
	case biffNumber, biffRK, biffLabelSST, biffLabel, biffRString, biffBoolErr:
		r, c, xf, ok := sr.cell(data, plainCellSize(typ))
		if !ok {
			return false
		}
		v, err := plainCellValue(typ, xf, data, sr.sst)
		if err != nil {
			sr.bad = err
			return false
		}
		sr.rows.set(r, c, v)
	case biffMulRK:
		r, c, _, ok := sr.cell(data, 6)
		if !ok {
			return false
		}
		for p := 4; p+6 <= len(data)-2 && c < biffMaxCols; p += 6 {
			sr.rows.set(r, c, biffValue{kind: 'n', xf: binary.LittleEndian.Uint16(data[p:]), num: rkNumber(binary.LittleEndian.Uint32(data[p+2:]))})
			c++
		}
	case biffFormula:
		r, c, xf, ok := sr.cell(data, 14)
		if !ok {
			return false
		}
		v, ok := formulaResult(data[6:14])
		if !ok {
			return true // a result type this reader does not know: no value
		}
		v.xf = xf
		if v.kind == 's' {
			sr.pending, sr.prow, sr.pcol = true, r, c
		}
		sr.rows.set(r, c, v)
	case biffString:
		if s, ok := stringRecordText(data); ok && sr.pending {
			if c := sr.rows.at(sr.prow, sr.pcol); c != nil {
				c.str = s
			}
		}
		sr.pending = false
	}
	return true
}

// cell reads the row, column and XF index that start a cell record of at
// least n bytes; a shorter record or a column past biffMaxCols is damage.
func (sr *sheetReader) cell(data []byte, n int) (row, col int, xf uint16, ok bool) {
	if len(data) < n {
		sr.bad = fmt.Errorf("%w (a cell record is too short)", errXLSDamaged)
		return 0, 0, 0, false
	}
	row, col = int(binary.LittleEndian.Uint16(data)), int(binary.LittleEndian.Uint16(data[2:]))
	if col >= biffMaxCols {
		sr.bad = fmt.Errorf("%w (a cell in column %d; the format has %d)", errXLSDamaged, col+1, biffMaxCols)
		return 0, 0, 0, false
	}
	return row, col, binary.LittleEndian.Uint16(data[4:]), true
}

// plainCellValue decodes the value of a one-cell record (NUMBER, RK,
// LABELSST, LABEL, RSTRING, BOOLERR) whose length cell has checked against
// plainCellSize.
func plainCellValue(typ int, xf uint16, data []byte, sst []string) (biffValue, error) {
	switch typ {
	case biffNumber:
		return biffValue{kind: 'n', xf: xf, num: math.Float64frombits(binary.LittleEndian.Uint64(data[6:]))}, nil
	case biffRK:
		return biffValue{kind: 'n', xf: xf, num: rkNumber(binary.LittleEndian.Uint32(data[6:]))}, nil
	case biffLabelSST:
		i := int(binary.LittleEndian.Uint32(data[6:]))
		if i >= len(sst) {
			return biffValue{}, fmt.Errorf("%w (cell refers to shared string %d of %d)", errXLSDamaged, i+1, len(sst))
		}
		return biffValue{kind: 's', xf: xf, str: sst[i]}, nil
	case biffLabel, biffRString:
		s, ok := xlString(data[6:])
		if !ok {
			return biffValue{}, fmt.Errorf("%w (a text cell is cut short)", errXLSDamaged)
		}
		return biffValue{kind: 's', xf: xf, str: s}, nil
	case biffBoolErr:
		if data[7] != 0 {
			return biffValue{kind: 'e', xf: xf, str: biffErrorText(data[6])}, nil
		}
		return biffValue{kind: 'b', xf: xf, num: float64(data[6])}, nil
	}
	return biffValue{}, fmt.Errorf("record %#04x is not a one-cell record", typ)
}

// formulaResult decodes the 8-byte cached result of a FORMULA record: a
// double, or, when its last two bytes are 0xFFFF, a boolean, an error, the
// empty string, or a string (kind 's' with no text yet: the text is in the
// STRING record that follows). ok is false for a result type it does not
// know.
func formulaResult(res []byte) (v biffValue, ok bool) {
	if res[6] != 0xFF || res[7] != 0xFF {
		return biffValue{kind: 'n', num: math.Float64frombits(binary.LittleEndian.Uint64(res))}, true
	}
	switch res[0] {
	case 0:
		return biffValue{kind: 's'}, true
	case 1:
		return biffValue{kind: 'b', num: float64(res[2])}, true
	case 2:
		return biffValue{kind: 'e', str: biffErrorText(res[2])}, true
	case 3: // the empty string
		return biffValue{}, true
	}
	return biffValue{}, false
}

// stringRecordText is the text of a STRING record (a string formula's
// result); ok is false when the record is too short to hold its header. Text
// that runs on into a CONTINUE record is kept as far as this record holds it.
func stringRecordText(data []byte) (s string, ok bool) {
	if len(data) < 3 {
		return "", false
	}
	n := int(binary.LittleEndian.Uint16(data))
	wide := data[2]&1 != 0
	if s, ok := xlChars(data[3:], n, wide); ok {
		return s, true
	}
	if wide {
		n = (len(data) - 3) / 2
	} else {
		n = len(data) - 3
	}
	s, _ = xlChars(data[3:], n, wide)
	return s, true
}

// rkNumber decodes an RK value: a 30-bit signed integer or the top 30 bits of
// a double, either possibly divided by 100.
func rkNumber(v uint32) float64 {
	var n float64
	if v&0x02 != 0 {
		n = float64(int32(v) >> 2)
	} else {
		n = math.Float64frombits(uint64(v&0xFFFFFFFC) << 32)
	}
	if v&0x01 != 0 {
		n /= 100
	}
	return n
}

func biffErrorText(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	}
	return "#ERROR!"
}
