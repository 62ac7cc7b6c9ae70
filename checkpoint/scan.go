package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotCheckpoint is returned (wrapped) when the file at the checkpoint path does
// not start with a checkpoint header. Such a file is never truncated or replaced,
// even with restart, because it is most likely a user's file given by mistake.
var ErrNotCheckpoint = errors.New("not a dytnsbatch checkpoint file")

// ErrCorrupt is returned (wrapped) for damage that a torn tail cannot explain:
// CRC-valid records that contradict each other, such as a gap in the spooled rows.
var ErrCorrupt = errors.New("checkpoint is corrupt")

// ErrVersion is returned (wrapped) for a checkpoint written in another format version.
var ErrVersion = errors.New("unsupported checkpoint format version")

type span struct {
	off int64
	n   int32
}

type codeCount struct {
	code string
	n    int64
}

// scanResult is what one sequential pass over the file learns. Memory is flat in
// the number of records: only the codes seen and the J records not yet matched by
// an S record (bounded by the caller's pipeline window) are kept.
type scanResult struct {
	end       int64 // offset just past the last valid record
	size      int64 // bytes read in total (file size at scan time)
	meta      Meta
	hasMeta   bool
	records   int64 // J and S records
	spooled   int64
	codes     []codeCount
	pendingAt map[int64]span
}

func (s *scanResult) counts() map[string]int64 {
	m := make(map[string]int64, len(s.codes))
	for _, c := range s.codes {
		m[c.code] = c.n
	}
	return m
}

// scanFile reads f from its current offset (which must be 0). A bad or short
// record ends the valid data: everything from it on is reported as torn
// (size-end), because once one record is damaged nothing after it can be trusted
// to be what the program wrote — and losing finished rows only costs API calls,
// while trusting garbage could write wrong numbers.
func scanFile(f *os.File, path string) (*scanResult, error) {
	res := &scanResult{pendingAt: make(map[int64]span)}
	rr := newRecordReader(f)
	empty, err := readHeader(rr, path)
	if err != nil {
		return nil, err
	}
	if empty {
		// Empty file: nothing to lose, the caller may initialise it.
		res.end = rr.off
		return res, nil
	}
	metaRaw, err := res.scanRecords(rr, path)
	if err != nil {
		return nil, err
	}
	if err := res.finish(f, path, metaRaw); err != nil {
		return nil, err
	}
	return res, nil
}

// readHeader reads the first record, which must be a header of this format
// version; empty reports a file with no record at all. A first record that is
// not a valid header means the file is not a checkpoint.
func readHeader(rr *recordReader, path string) (empty bool, err error) {
	typ, payload, start, err := rr.next()
	switch {
	case err == io.EOF:
		return true, nil
	case err == errBadRecord:
		return false, fmt.Errorf("open checkpoint %s: %w", path, ErrNotCheckpoint)
	case err != nil:
		return false, fmt.Errorf("read checkpoint %s at offset %d: %w", path, start, err)
	case typ != recHeader:
		return false, fmt.Errorf("open checkpoint %s: %w", path, ErrNotCheckpoint)
	}
	if err := checkHeader(payload); err != nil {
		return false, fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	return false, nil
}

// scanRecords reads the records after the header up to the end of the valid
// data (see scanFile), setting s.end, and returns the last META record's
// payload (nil if none), which is decoded only once the scan is done.
func (s *scanResult) scanRecords(rr *recordReader, path string) (metaRaw []byte, err error) {
	for {
		typ, payload, start, err := rr.next()
		switch {
		case err == io.EOF:
			s.end = rr.off
			return metaRaw, nil
		case err == errBadRecord:
			s.end = start
			return metaRaw, nil
		case err != nil:
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w", path, start, err)
		case typ == recMeta:
			metaRaw = append(metaRaw[:0], payload...)
		default:
			if err := s.add(typ, payload, start, rr.off); err != nil {
				return nil, fmt.Errorf("read checkpoint %s at offset %d: %w", path, start, err)
			}
		}
	}
}

// add counts one S or J record that lies at [start, end) of the file. Spooled
// rows must come in row order with no gap; a J record stays pending until the
// S record of its row arrives. A second header or an unknown record type is
// corruption, not a torn tail, since its CRC is valid.
func (s *scanResult) add(typ byte, payload []byte, start, end int64) error {
	switch typ {
	case recSpool:
		idx, code, err := decodeIndexCode(payload)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if idx != s.spooled {
			return fmt.Errorf("%w: spooled row %d follows row %d", ErrCorrupt, idx, s.spooled-1)
		}
		s.spooled++
		s.records++
		s.countCode(code)
		delete(s.pendingAt, idx)
	case recJournal:
		idx, _, err := decodeIndexCode(payload)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		s.records++
		if idx >= s.spooled { // a J after its S adds nothing
			s.pendingAt[idx] = span{start, int32(end - start)}
		}
	case recHeader:
		return fmt.Errorf("%w: second header", ErrCorrupt)
	default:
		return fmt.Errorf("%w: unknown record type %q (written by a newer version?)", ErrCorrupt, typ)
	}
	return nil
}

// finish records the file's size, so the bytes past the last valid record are
// counted without reading them into memory, and decodes the last META record.
func (s *scanResult) finish(f *os.File, path string, metaRaw []byte) error {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	s.size = size
	if metaRaw != nil {
		if err := json.Unmarshal(metaRaw, &s.meta); err != nil {
			return fmt.Errorf("read checkpoint %s meta: %w: %w", path, ErrCorrupt, err)
		}
		s.hasMeta = true
	}
	return nil
}

func (s *scanResult) countCode(code []byte) {
	// A linear scan over a handful of codes beats a map here because the
	// []byte→string comparison does not allocate; only a new code does.
	for i := range s.codes {
		if s.codes[i].code == string(code) {
			s.codes[i].n++
			return
		}
	}
	s.codes = append(s.codes, codeCount{string(code), 1})
}

func headerPayload() []byte {
	return binary.AppendUvarint([]byte(fileMagic), fileVersion)
}

func checkHeader(p []byte) error {
	if len(p) <= len(fileMagic) || string(p[:len(fileMagic)]) != fileMagic {
		return ErrNotCheckpoint
	}
	v, n := binary.Uvarint(p[len(fileMagic):])
	if n <= 0 {
		return ErrNotCheckpoint
	}
	if v != fileVersion {
		return fmt.Errorf("%w %d (this build reads %d)", ErrVersion, v, fileVersion)
	}
	return nil
}

// loadPending decodes the J records that the scan left unmatched.
func loadPending(f io.ReaderAt, path string, at map[int64]span) (map[int64]Result, error) {
	out := make(map[int64]Result, len(at))
	var buf []byte
	for idx, sp := range at {
		if cap(buf) < int(sp.n) {
			buf = make([]byte, sp.n)
		}
		b := buf[:sp.n]
		if _, err := f.ReadAt(b, sp.off); err != nil {
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w", path, sp.off, err)
		}
		_, payload, _, err := decodeRecord(b)
		if err != nil {
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: record changed under us", path, sp.off, ErrCorrupt)
		}
		r, err := decodeResult(payload)
		if err != nil {
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: %w", path, sp.off, ErrCorrupt, err)
		}
		out[idx] = r
	}
	return out, nil
}
