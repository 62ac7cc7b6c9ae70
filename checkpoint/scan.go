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
	var metaRaw []byte
	first := true
	for {
		typ, payload, start, err := rr.next()
		if err == io.EOF {
			res.end = rr.off
			break
		}
		if err == errBadRecord {
			if first {
				return nil, fmt.Errorf("open checkpoint %s: %w", path, ErrNotCheckpoint)
			}
			res.end = start
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w", path, start, err)
		}
		if first {
			if typ != recHeader {
				return nil, fmt.Errorf("open checkpoint %s: %w", path, ErrNotCheckpoint)
			}
			if err := checkHeader(payload); err != nil {
				return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
			}
			first = false
			continue
		}
		switch typ {
		case recMeta:
			metaRaw = append(metaRaw[:0], payload...)
		case recSpool:
			idx, code, err := decodeIndexCode(payload)
			if err != nil {
				return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: %w", path, start, ErrCorrupt, err)
			}
			if idx != res.spooled {
				return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: spooled row %d follows row %d",
					path, start, ErrCorrupt, idx, res.spooled-1)
			}
			res.spooled++
			res.records++
			res.countCode(code)
			delete(res.pendingAt, idx)
		case recJournal:
			idx, _, err := decodeIndexCode(payload)
			if err != nil {
				return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: %w", path, start, ErrCorrupt, err)
			}
			res.records++
			if idx >= res.spooled { // a J after its S adds nothing
				res.pendingAt[idx] = span{start, int32(rr.off - start)}
			}
		case recHeader:
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: second header", path, start, ErrCorrupt)
		default:
			return nil, fmt.Errorf("read checkpoint %s at offset %d: %w: unknown record type %q (written by a newer version?)",
				path, start, ErrCorrupt, typ)
		}
	}
	if first {
		// Empty file: nothing to lose, the caller may initialise it.
		return res, nil
	}
	// Bytes past the last valid record, counted without reading them into memory.
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	res.size = size
	if metaRaw != nil {
		if err := json.Unmarshal(metaRaw, &res.meta); err != nil {
			return nil, fmt.Errorf("read checkpoint %s meta: %w: %w", path, ErrCorrupt, err)
		}
		res.hasMeta = true
	}
	return res, nil
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
