package readers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// This file holds what the .xls reader checks and extracts itself, before and
// beside github.com/shakinm/xlsReader: that library trusts its input (a loop in
// the container's sector chain makes it loop forever, a record running past the
// stream makes it panic), ignores FILEPASS (an encrypted workbook comes out as
// garbage), ignores FORMULA records (their cells would read as empty), decodes
// negative RK integers as huge positive ones, and does not expose sheet
// visibility, sheet type or the 1904 date system. So the container is read with
// mscfb (which guards against cycles), the BIFF8 record stream is walked and
// bounds-checked here, and xlsReader gets a freshly built, well-formed container
// holding only the checked Workbook stream.

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
	xfCount  int
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

// scanBIFF checks the globals substream and every sheet substream of a BIFF8
// Workbook stream, and returns the globals' facts.
func scanBIFF(stream []byte) (*biffBook, error) {
	if len(stream) < 8 || binary.LittleEndian.Uint16(stream) != biffBOF {
		return nil, fmt.Errorf("%w (no BOF record at the start of the workbook stream)", errXLSDamaged)
	}
	if v := binary.LittleEndian.Uint16(stream[4:]); v != biff8Version {
		return nil, fmt.Errorf("this is not an Excel 97-2003 (BIFF8) workbook (BIFF version %#04x); open it in Excel/WPS and save it as .xlsx", v)
	}
	b := &biffBook{}
	var encrypted, short bool
	err := biffRecords(stream, 0, func(typ int, data []byte) bool {
		switch typ {
		case biffFilePass:
			encrypted = true
			return false
		case biffXF:
			b.xfCount++
		case biffDateMode:
			if len(data) < 2 {
				short = true
				return false
			}
			b.date1904 = binary.LittleEndian.Uint16(data) == 1
		case biffBoundSheet:
			if len(data) < 8 {
				short = true
				return false
			}
			s := biffSheet{
				offset: int(binary.LittleEndian.Uint32(data)),
				hidden: data[4]&0x03 != 0,
				kind:   data[5],
			}
			var ok bool
			if s.name, ok = shortXLString(data[6:]); !ok {
				short = true
				return false
			}
			b.sheets = append(b.sheets, s)
		}
		return true
	})
	switch {
	case encrypted:
		return nil, errXLSEncrypted
	case err != nil:
		return nil, err
	case short:
		return nil, fmt.Errorf("%w (a workbook record is too short)", errXLSDamaged)
	case len(b.sheets) == 0:
		return nil, errors.New("the workbook has no worksheets")
	}
	for _, s := range b.sheets {
		if s.offset+4 > len(stream) || binary.LittleEndian.Uint16(stream[s.offset:]) != biffBOF {
			return nil, fmt.Errorf("%w (sheet %s does not start where the workbook says)", errXLSDamaged, s.name)
		}
		if err := biffRecords(stream, s.offset, func(int, []byte) bool { return true }); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", s.name, err)
		}
	}
	return b, nil
}

// shortXLString decodes a ShortXLUnicodeString: a 1-byte length, a flags byte
// (bit 0: two bytes per character) and the characters.
func shortXLString(b []byte) (string, bool) {
	if len(b) < 2 {
		return "", false
	}
	return xlChars(b[2:], int(b[0]), b[1]&1 != 0)
}

func xlChars(b []byte, n int, wide bool) (string, bool) {
	if !wide {
		if n > len(b) {
			return "", false
		}
		r := make([]rune, n)
		for i := range n {
			r[i] = rune(b[i]) // compressed: Latin-1, the high byte dropped
		}
		return string(r), true
	}
	if 2*n > len(b) {
		return "", false
	}
	u := make([]uint16, n)
	for i := range n {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), true
}

// sheetValues holds cells by 0-based row, then column.
type sheetValues map[int]map[int]biffValue

func (m sheetValues) set(row, col int, v biffValue) {
	r := m[row]
	if r == nil {
		r = map[int]biffValue{}
		m[row] = r
	}
	r[col] = v
}

// biffValue is a cell value this file decodes itself: the cached result of a
// formula, or an RK number xlsReader gets wrong.
type biffValue struct {
	kind byte // 'n' number, 's' string, 'b' boolean, 'e' error
	num  float64
	str  string
	xf   int
}

// sheetExtras walks one sheet substream for formula results and negative RK
// integers.
func sheetExtras(stream []byte, off int) (sheetValues, error) {
	out := sheetValues{}
	pending := false // a string formula at (prow, pcol) waits for its STRING record
	var prow, pcol int
	err := biffRecords(stream, off, func(typ int, data []byte) bool {
		switch typ {
		case biffFormula:
			pending = false
			if len(data) < 14 {
				return true
			}
			row, col := int(binary.LittleEndian.Uint16(data)), int(binary.LittleEndian.Uint16(data[2:]))
			v := biffValue{xf: int(binary.LittleEndian.Uint16(data[4:]))}
			res := data[6:14]
			if res[6] == 0xFF && res[7] == 0xFF {
				switch res[0] {
				case 0: // a string, in the STRING record that follows
					v.kind = 's'
					pending, prow, pcol = true, row, col
				case 1:
					v.kind, v.num = 'b', float64(res[2])
				case 2:
					v.kind, v.str = 'e', biffErrorText(res[2])
				case 3: // the empty string
					v.kind = 's'
				default:
					return true
				}
			} else {
				v.kind, v.num = 'n', math.Float64frombits(binary.LittleEndian.Uint64(res))
			}
			out.set(row, col, v)
		case biffString:
			if pending && len(data) >= 3 {
				n := int(binary.LittleEndian.Uint16(data))
				wide := data[2]&1 != 0
				s, ok := xlChars(data[3:], n, wide)
				if !ok { // continued in a CONTINUE record: keep what is here
					if wide {
						n = (len(data) - 3) / 2
					} else {
						n = len(data) - 3
					}
					s, _ = xlChars(data[3:], n, wide)
				}
				v := out[prow][pcol]
				v.str = s
				out[prow][pcol] = v
			}
			pending = false
		case biffShrFmla, biffArray, biffTable:
			// may sit between a FORMULA and its STRING
		case biffRK:
			pending = false
			if len(data) >= 10 {
				rkExtra(out, data[:6], data[6:10])
			}
		case biffMulRK:
			pending = false
			if len(data) >= 6 {
				row := binary.LittleEndian.Uint16(data)
				col := int(binary.LittleEndian.Uint16(data[2:]))
				for p := 4; p+6 <= len(data)-2; p += 6 {
					var hdr [6]byte
					binary.LittleEndian.PutUint16(hdr[:], row)
					binary.LittleEndian.PutUint16(hdr[2:], uint16(col))
					copy(hdr[4:], data[p:p+2])
					rkExtra(out, hdr[:], data[p+2:p+6])
					col++
				}
			}
		default:
			pending = false
		}
		return true
	})
	return out, err
}

// rkExtra records an RK cell whose value is a negative integer (xlsReader reads
// the 30-bit integer as unsigned). hdr is row, column and XF index.
func rkExtra(out sheetValues, hdr, rk []byte) {
	v := binary.LittleEndian.Uint32(rk)
	if v&0x02 == 0 || v&0x80000000 == 0 {
		return // a float, or a non-negative integer: xlsReader is right
	}
	n := float64(int32(v) >> 2)
	if v&0x01 != 0 {
		n /= 100
	}
	out.set(int(binary.LittleEndian.Uint16(hdr)), int(binary.LittleEndian.Uint16(hdr[2:])),
		biffValue{kind: 'n', num: n, xf: int(binary.LittleEndian.Uint16(hdr[4:]))})
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

// wrapCFB builds a minimal, well-formed compound file (version 3, 512-byte
// sectors) holding stream as its only stream, "Workbook", for xlsReader: the
// container it then parses is one we wrote, whatever the input's was. The
// stream is padded to 4096 bytes so it lives in regular sectors, not the mini
// stream; BIFF readers stop at the EOF record, so the padding is never read.
func wrapCFB(stream []byte) []byte {
	const (
		sectorSize = 512
		perSector  = sectorSize / 4
		endOfChain = 0xFFFFFFFE
		freeSect   = 0xFFFFFFFF
		fatSect    = 0xFFFFFFFD
		difSect    = 0xFFFFFFFC
		headerFAT  = 109
	)
	size := max(len(stream), 4096)
	size = (size + sectorSize - 1) / sectorSize * sectorSize
	nData := size / sectorSize
	// Layout: data sectors, one directory sector, FAT sectors, DIFAT sectors.
	// xlsReader reads every entry of a DIFAT sector as a FAT sector, so a DIFAT
	// sector must be full: past 109, the FAT grows in steps of 127 sectors.
	nFAT, nDIFAT := 1, 0
	for nFAT*perSector < nData+1+nFAT+nDIFAT {
		nFAT++
		if nFAT > headerFAT {
			nDIFAT = (nFAT - headerFAT + perSector - 2) / (perSector - 1)
			nFAT = headerFAT + nDIFAT*(perSector-1)
		}
	}
	dirSector := nData
	firstFAT := dirSector + 1
	firstDIFAT := firstFAT + nFAT
	total := firstDIFAT + nDIFAT
	out := make([]byte, sectorSize*(1+total))
	le := binary.LittleEndian

	h := out[:sectorSize]
	copy(h, magicOLE2)
	le.PutUint16(h[24:], 0x003E) // minor version
	le.PutUint16(h[26:], 3)      // major version
	le.PutUint16(h[28:], 0xFFFE) // byte order
	le.PutUint16(h[30:], 9)      // sector shift
	le.PutUint16(h[32:], 6)      // mini sector shift
	le.PutUint32(h[44:], uint32(nFAT))
	le.PutUint32(h[48:], uint32(dirSector))
	le.PutUint32(h[56:], 4096) // mini stream cutoff
	le.PutUint32(h[60:], endOfChain)
	le.PutUint32(h[64:], 0)
	if nDIFAT > 0 {
		le.PutUint32(h[68:], uint32(firstDIFAT))
	} else {
		le.PutUint32(h[68:], endOfChain)
	}
	le.PutUint32(h[72:], uint32(nDIFAT))
	for i := range headerFAT {
		v := uint32(freeSect)
		if i < nFAT {
			v = uint32(firstFAT + i)
		}
		le.PutUint32(h[76+4*i:], v)
	}
	sector := func(i int) []byte { return out[sectorSize*(1+i) : sectorSize*(2+i)] }

	copy(out[sectorSize:], stream)

	dir := sector(dirSector)
	entry := func(e []byte, name string, typ byte, child, start uint32, size uint32) {
		u := utf16.Encode([]rune(name))
		for i, c := range u {
			le.PutUint16(e[2*i:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66] = typ
		e[67] = 1 // black
		le.PutUint32(e[68:], freeSect)
		le.PutUint32(e[72:], freeSect)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], size)
	}
	entry(dir[0:128], "Root Entry", 5, 1, endOfChain, 0)
	entry(dir[128:256], "Workbook", 2, freeSect, 0, uint32(size))
	for _, e := range [][]byte{dir[256:384], dir[384:512]} {
		le.PutUint32(e[68:], freeSect)
		le.PutUint32(e[72:], freeSect)
		le.PutUint32(e[76:], freeSect)
	}

	fat := func(i int, v uint32) { le.PutUint32(sector(firstFAT + i/perSector)[4*(i%perSector):], v) }
	for i := range nFAT * perSector {
		fat(i, freeSect)
	}
	for i := range nData {
		next := uint32(i + 1)
		if i == nData-1 {
			next = endOfChain
		}
		fat(i, next)
	}
	fat(dirSector, endOfChain)
	for i := range nFAT {
		fat(firstFAT+i, fatSect)
	}
	for i := range nDIFAT {
		fat(firstDIFAT+i, difSect)
		d := sector(firstDIFAT + i)
		for j := range perSector - 1 {
			le.PutUint32(d[4*j:], uint32(firstFAT+headerFAT+i*(perSector-1)+j))
		}
		next := uint32(endOfChain)
		if i+1 < nDIFAT {
			next = uint32(firstDIFAT + i + 1)
		}
		le.PutUint32(d[4*(perSector-1):], next)
	}
	return out
}
