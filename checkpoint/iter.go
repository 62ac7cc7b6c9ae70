package checkpoint

import (
	"fmt"
	"io"
	"os"
)

// Iterator yields the spooled prefix in row order. It reads through its own
// descriptor, so it may run while the checkpoint is being written.
type Iterator struct {
	path  string
	f     *os.File
	rr    *recordReader
	limit int64
	seen  int64
}

// Prefix returns an iterator over the spooled Results 0..Spooled()-1, as of the
// call. Buffered S records are flushed first so that the file holds them all.
func (c *Checkpoint) Prefix() (*Iterator, error) {
	c.mu.Lock()
	err := c.usableLocked("read")
	if err == nil {
		err = c.flushLocked()
	}
	limit := c.next
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(c.path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", c.path, err)
	}
	return &Iterator{path: c.path, f: f, rr: newRecordReader(f), limit: limit}, nil
}

// Next returns the next spooled Result, or io.EOF after the last one.
func (it *Iterator) Next() (Result, error) {
	if it.seen >= it.limit {
		return Result{}, io.EOF
	}
	for {
		typ, payload, start, err := it.rr.next()
		if err != nil {
			if err == io.EOF || err == errBadRecord {
				return Result{}, fmt.Errorf("read checkpoint %s at offset %d: %w: ended after %d of %d spooled rows",
					it.path, start, ErrCorrupt, it.seen, it.limit)
			}
			return Result{}, fmt.Errorf("read checkpoint %s at offset %d: %w", it.path, start, err)
		}
		if typ != recSpool {
			continue
		}
		r, err := decodeResult(payload)
		if err != nil {
			return Result{}, fmt.Errorf("read checkpoint %s at offset %d: %w: %w", it.path, start, ErrCorrupt, err)
		}
		if r.Index != it.seen {
			return Result{}, fmt.Errorf("read checkpoint %s at offset %d: %w: spooled row %d where %d was expected",
				it.path, start, ErrCorrupt, r.Index, it.seen)
		}
		it.seen++
		return r, nil
	}
}

// Close releases the iterator's descriptor.
func (it *Iterator) Close() error { return it.f.Close() }
