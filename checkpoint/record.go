package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
)

// On-disk framing. Every record is
//
//	[uvarint L][1 byte type][L bytes payload][CRC32C, little endian]
//
// where the CRC covers the length bytes, the type and the payload. Covering the
// length too means a flipped bit there is caught by the CRC rather than only by
// the luck of landing on a short read.
const (
	recHeader  byte = 'H' // file identification; always the first record
	recMeta    byte = 'M' // JSON Meta; the last valid one wins
	recJournal byte = 'J' // a completed row, any order, written straight to the OS
	recSpool   byte = 'S' // a row in row order, buffered

	fileMagic   = "dytnsbatch-checkpoint"
	fileVersion = 1

	// maxPayload bounds a record so a corrupted length field cannot make the
	// scanner try to allocate gigabytes. Real records are ~100 bytes; Meta a few KB.
	maxPayload = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadRecord marks a record that is short, oversized or fails its CRC. The
// scanner treats the first one as the end of the trustworthy data.
var errBadRecord = errors.New("bad or incomplete record")

// appendFrame appends a framed record holding payload.
func appendFrame(dst []byte, typ byte, payload []byte) []byte {
	start := len(dst)
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	dst = append(dst, typ)
	dst = append(dst, payload...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// appendResultRecord frames r without an intermediate payload buffer: the size is
// computed first so the length prefix can be written before the payload.
func appendResultRecord(dst []byte, typ byte, r *Result) []byte {
	start := len(dst)
	dst = binary.AppendUvarint(dst, uint64(resultSize(r)))
	dst = append(dst, typ)
	dst = appendResult(dst, r)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

const flagRetryable = 1

// The flags' bits 1-3 hold the row's Source (0 in records older than the Source
// column: the reader derives it then). Strings keep the in-memory Result readable.
const (
	sourceShift = 1
	sourceMask  = 7 << sourceShift
)

var sourceNames = []string{"", "call", "cache", "dedupe", "local"}

func sourceBits(s string) byte {
	for i, n := range sourceNames {
		if n == s {
			return byte(i) << sourceShift
		}
	}
	return 0
}

// Result payload layout. Index and Code come first so the scanner can count an S
// record without decoding (and allocating) the other strings.
//
//	uvarint Index, string Code, byte flags, varint Attempts, uvarint Key,
//	string EncryptedNumber, ExpireTime, OutID, Message, RequestID
//
// where string = uvarint length + bytes.
func appendResult(dst []byte, r *Result) []byte {
	dst = binary.AppendUvarint(dst, uint64(r.Index))
	dst = appendString(dst, r.Code)
	var flags byte
	if r.Retryable {
		flags |= flagRetryable
	}
	flags |= sourceBits(r.Source)
	dst = append(dst, flags)
	dst = binary.AppendVarint(dst, int64(r.Attempts))
	dst = binary.AppendUvarint(dst, r.Key)
	dst = appendString(dst, r.EncryptedNumber)
	dst = appendString(dst, r.ExpireTime)
	dst = appendString(dst, r.OutID)
	dst = appendString(dst, r.Message)
	return appendString(dst, r.RequestID)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func stringSize(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func resultSize(r *Result) int {
	a := uint64(r.Attempts) << 1 // zigzag, as binary.AppendVarint does
	if r.Attempts < 0 {
		a = ^a
	}
	return uvarintLen(uint64(r.Index)) + stringSize(r.Code) + 1 + uvarintLen(a) +
		uvarintLen(r.Key) + stringSize(r.EncryptedNumber) + stringSize(r.ExpireTime) +
		stringSize(r.OutID) + stringSize(r.Message) + stringSize(r.RequestID)
}

// payloadReader decodes a Result payload; the first error sticks.
type payloadReader struct {
	b   []byte
	bad bool
}

func (p *payloadReader) uvarint() uint64 {
	if p.bad {
		return 0
	}
	v, n := binary.Uvarint(p.b)
	if n <= 0 {
		p.bad = true
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *payloadReader) varint() int64 {
	if p.bad {
		return 0
	}
	v, n := binary.Varint(p.b)
	if n <= 0 {
		p.bad = true
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *payloadReader) bytes() []byte {
	l := p.uvarint()
	if p.bad || l > uint64(len(p.b)) {
		p.bad = true
		return nil
	}
	s := p.b[:l]
	p.b = p.b[l:]
	return s
}

func (p *payloadReader) byte1() byte {
	if p.bad || len(p.b) == 0 {
		p.bad = true
		return 0
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c
}

var errBadPayload = errors.New("malformed result payload")

// decodeIndexCode reads only what the scanner needs from an S or J payload.
// code aliases b.
func decodeIndexCode(b []byte) (index int64, code []byte, err error) {
	p := payloadReader{b: b}
	idx := p.uvarint()
	code = p.bytes()
	if p.bad || idx > math.MaxInt64 {
		return 0, nil, errBadPayload
	}
	return int64(idx), code, nil
}

func decodeResult(b []byte) (Result, error) {
	p := payloadReader{b: b}
	idx := p.uvarint()
	code := p.bytes()
	flags := p.byte1()
	att := p.varint()
	key := p.uvarint()
	enc := p.bytes()
	exp := p.bytes()
	out := p.bytes()
	msg := p.bytes()
	req := p.bytes()
	if p.bad || len(p.b) != 0 || idx > math.MaxInt64 || flags&^(flagRetryable|sourceMask) != 0 ||
		int(flags&sourceMask>>sourceShift) >= len(sourceNames) ||
		att < math.MinInt || att > math.MaxInt {
		return Result{}, errBadPayload
	}
	return Result{
		Index:           int64(idx),
		Key:             key,
		EncryptedNumber: string(enc),
		ExpireTime:      string(exp),
		OutID:           string(out),
		Code:            string(code),
		Message:         string(msg),
		RequestID:       string(req),
		Attempts:        int(att),
		Retryable:       flags&flagRetryable != 0,
		Source:          sourceNames[flags&sourceMask>>sourceShift],
	}, nil
}

// decodeRecord parses one framed record at the start of b. total is the record's
// length in bytes. Any short, oversized or CRC-failing input gives errBadRecord;
// payload aliases b.
func decodeRecord(b []byte) (typ byte, payload []byte, total int, err error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > maxPayload {
		return 0, nil, 0, errBadRecord
	}
	total = n + 1 + int(l) + 4
	if len(b) < total {
		return 0, nil, 0, errBadRecord
	}
	body := b[:total-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[total-4:total]) {
		return 0, nil, 0, errBadRecord
	}
	return b[n], body[n+1:], total, nil
}

// recordReader reads framed records sequentially. Payloads alias its buffer and
// are valid until the next call, so scanning allocates nothing per record.
type recordReader struct {
	br      *bufio.Reader
	scratch []byte // for records larger than br's buffer
	skip    int    // bytes of the previous record still to discard
	off     int64  // offset of the next record
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next record and the offset it started at. io.EOF means a clean
// end exactly at a record boundary; errBadRecord means the data from start on is
// not a valid record; anything else is an I/O error.
func (rr *recordReader) next() (typ byte, payload []byte, start int64, err error) {
	if rr.skip > 0 {
		if _, err := rr.br.Discard(rr.skip); err != nil {
			return 0, nil, rr.off, err
		}
		rr.skip = 0
	}
	start = rr.off
	head, err := rr.br.Peek(binary.MaxVarintLen64)
	if len(head) == 0 {
		if err == io.EOF {
			return 0, nil, start, io.EOF
		}
		return 0, nil, start, err
	}
	if err != nil && err != io.EOF {
		return 0, nil, start, err
	}
	l, n := binary.Uvarint(head)
	if n <= 0 || l > maxPayload {
		return 0, nil, start, errBadRecord
	}
	total := n + 1 + int(l) + 4
	var rec []byte
	if total <= rr.br.Size() {
		rec, err = rr.br.Peek(total)
		if len(rec) < total {
			if err == io.EOF {
				return 0, nil, start, errBadRecord
			}
			return 0, nil, start, err
		}
	} else {
		if cap(rr.scratch) < total {
			rr.scratch = make([]byte, total)
		}
		rec = rr.scratch[:total]
		if _, err := io.ReadFull(rr.br, rec); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return 0, nil, start, errBadRecord
			}
			return 0, nil, start, err
		}
	}
	typ, payload, _, err = decodeRecord(rec)
	if err != nil {
		return 0, nil, start, err
	}
	if total <= rr.br.Size() {
		rr.skip = total
	}
	rr.off += int64(total)
	return typ, payload, start, nil
}
