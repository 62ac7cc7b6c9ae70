package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func testMeta() Meta {
	return Meta{
		Version:     1,
		Fingerprint: "abc123",
		Input:       "in.xlsx",
		InputSize:   1234,
		Output:      "out.xlsx",
		Options:     map[string]string{"mask": "NORMAL", "dedupe": "on"},
	}
}

// realistic returns a Result shaped like a real answer, varied by i.
func realistic(i int64) Result {
	code, msg := "OK", "OK"
	if i%7 == 3 {
		code, msg = "InvalidParameter", "bad number"
	}
	return Result{
		Index:           i,
		Key:             uint64(i)*0x9e3779b97f4a7c15 + 1,
		EncryptedNumber: fmt.Sprintf("140%08d", i%1e8),
		ExpireTime:      "2026-05-27 16:05:23",
		OutID:           fmt.Sprintf("out-%016d", i),
		Code:            code,
		Message:         msg,
		RequestID:       fmt.Sprintf("CC3BB6D2-2FDF-4321-9DCE-%012d", i),
		Attempts:        1 + int(i%3),
		Retryable:       i%11 == 5,
	}
}

func mustOpen(t testing.TB, path string, m Meta, restart bool) *Checkpoint {
	t.Helper()
	c, err := Open(path, m, restart)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return c
}

func mustClose(t testing.TB, c *Checkpoint) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func readPrefix(t testing.TB, c *Checkpoint) []Result {
	t.Helper()
	it, err := c.Prefix()
	if err != nil {
		t.Fatalf("Prefix: %v", err)
	}
	defer it.Close()
	var out []Result
	for {
		r, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Prefix.Next after %d: %v", len(out), err)
		}
		out = append(out, r)
	}
}

func TestResultRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		r    Result
	}{
		{"zero", Result{}},
		{"realistic", realistic(42)},
		{"retryable failure", Result{Index: 7, Code: "System.LimitControl", Message: "flow control", Attempts: 5, Retryable: true}},
		{"from the store", Result{Index: 8, Code: "OK", EncryptedNumber: "14000000001", Source: "cache"}},
		{"retryable call", Result{Index: 9, Code: "InternalError", Attempts: 9, Retryable: true, Source: "call"}},
		{"local", Result{Index: 10, Code: "Input.Empty", Source: "local"}},
		{"dedupe", Result{Index: 11, Code: "OK", Source: "dedupe"}},
		{"extremes", Result{Index: math.MaxInt64, Key: math.MaxUint64, Attempts: math.MinInt}},
		{"negative attempts", Result{Index: 1, Attempts: -3}},
		{"unicode and long", Result{Index: 300, Message: strings.Repeat("号码百科", 500), OutID: "\x00\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, typ := range []byte{recJournal, recSpool} {
				rec := appendResultRecord([]byte("prefix"), typ, &tt.r)
				gotTyp, payload, total, err := decodeRecord(rec[len("prefix"):])
				if err != nil {
					t.Fatalf("decodeRecord: %v", err)
				}
				if gotTyp != typ || total != len(rec)-len("prefix") {
					t.Fatalf("type %q total %d, want %q %d", gotTyp, total, typ, len(rec)-len("prefix"))
				}
				if len(payload) != resultSize(&tt.r) {
					t.Fatalf("payload %d bytes, resultSize says %d", len(payload), resultSize(&tt.r))
				}
				got, err := decodeResult(payload)
				if err != nil {
					t.Fatalf("decodeResult: %v", err)
				}
				if !reflect.DeepEqual(got, tt.r) {
					t.Fatalf("round trip:\n got %+v\nwant %+v", got, tt.r)
				}
				idx, code, err := decodeIndexCode(payload)
				if err != nil || idx != tt.r.Index || string(code) != tt.r.Code {
					t.Fatalf("decodeIndexCode = %d %q %v", idx, code, err)
				}
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	r := realistic(3)
	f.Add(appendResultRecord(nil, recJournal, &r))
	f.Add(appendFrame(nil, recHeader, headerPayload()))
	f.Add(appendFrame(nil, recMeta, []byte(`{"Runs":1}`)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, payload, total, err := decodeRecord(data)
		if err == nil {
			if total > len(data) || total < 6 {
				t.Fatalf("total %d out of range for %d bytes", total, len(data))
			}
			crc := crc32Of(data[:total-4])
			if crc != le32(data[total-4:total]) {
				t.Fatalf("accepted a record whose CRC does not match")
			}
			if data[total-5-len(payload)] != typ {
				t.Fatalf("type byte not where expected")
			}
			if res, err := decodeResult(payload); err == nil {
				again := appendResult(nil, &res)
				res2, err := decodeResult(again)
				if err != nil || !reflect.DeepEqual(res, res2) {
					t.Fatalf("re-encode round trip: %+v vs %+v (%v)", res, res2, err)
				}
			}
			decodeIndexCode(payload)
		}
		// The streaming reader must agree with decodeRecord on the first record.
		rr := newRecordReader(bytes.NewReader(data))
		typ2, payload2, _, err2 := rr.next()
		switch {
		case err == nil && (err2 != nil || typ2 != typ || !bytes.Equal(payload, payload2)):
			t.Fatalf("reader disagrees: %v", err2)
		case err != nil && err2 == nil:
			t.Fatalf("reader accepted what decodeRecord rejected")
		}
	})
}

// buildFile writes a checkpoint with J+S records for rows 0..n-1 plus J for n..n+extra-1,
// closes it and returns its bytes and the offsets where each record starts.
func buildFile(t *testing.T, path string, n, extra int64) ([]byte, []int64) {
	t.Helper()
	c := mustOpen(t, path, testMeta(), false)
	for i := int64(0); i < n+extra; i++ {
		if err := c.Journal(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(0); i < n; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, c)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var starts []int64
	rr := newRecordReader(bytes.NewReader(data))
	for {
		_, _, start, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("rebuild offsets: %v", err)
		}
		starts = append(starts, start)
	}
	return data, starts
}

func TestTornTailEveryOffset(t *testing.T) {
	dir := t.TempDir()
	data, starts := buildFile(t, filepath.Join(dir, "orig.ckpt"), 5, 2)
	last := starts[len(starts)-1] // the last S record (row 4)
	for l := last; l < int64(len(data)); l++ {
		path := filepath.Join(dir, fmt.Sprintf("torn-%d.ckpt", l))
		if err := os.WriteFile(path, data[:l], 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustOpen(t, path, testMeta(), false)
		if got, want := c.TornBytes(), l-last; got != want {
			t.Errorf("len %d: TornBytes = %d, want %d", l, got, want)
		}
		if got := c.Spooled(); got != 4 {
			t.Errorf("len %d: Spooled = %d, want 4", l, got)
		}
		p := c.Pending()
		if len(p) != 3 || !reflect.DeepEqual(p[4], realistic(4)) || !reflect.DeepEqual(p[6], realistic(6)) {
			t.Errorf("len %d: Pending = %v, want rows 4,5,6", l, p)
		}
		if got := readPrefix(t, c); len(got) != 4 || !reflect.DeepEqual(got[3], realistic(3)) {
			t.Errorf("len %d: Prefix = %d rows", l, len(got))
		}
		// The torn row can be spooled again and survives a reopen.
		if err := c.Spool(realistic(4)); err != nil {
			t.Fatal(err)
		}
		mustClose(t, c)
		c = mustOpen(t, path, testMeta(), false)
		if c.TornBytes() != 0 || c.Spooled() != 5 {
			t.Errorf("len %d: after repair TornBytes %d Spooled %d", l, c.TornBytes(), c.Spooled())
		}
		mustClose(t, c)
		os.Remove(path)
	}
}

// After a power loss a filesystem may show the file's new length with the new
// blocks still zero; such a tail must read as torn, not as records.
func TestZeroFilledTail(t *testing.T) {
	dir := t.TempDir()
	data, _ := buildFile(t, filepath.Join(dir, "orig.ckpt"), 3, 1)
	for _, zeros := range []int{1, 5, 4096} {
		path := filepath.Join(dir, fmt.Sprintf("z%d", zeros))
		if err := os.WriteFile(path, append(bytes.Clone(data), make([]byte, zeros)...), 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustOpen(t, path, testMeta(), false)
		if c.TornBytes() != int64(zeros) || c.Spooled() != 3 || len(c.Pending()) != 1 {
			t.Errorf("%d zeros: TornBytes %d Spooled %d Pending %d", zeros, c.TornBytes(), c.Spooled(), len(c.Pending()))
		}
		mustClose(t, c)
	}
}

func TestBitFlipDropsRest(t *testing.T) {
	dir := t.TempDir()
	// records: H, M, J0..J9, S0..S7
	data, starts := buildFile(t, filepath.Join(dir, "orig.ckpt"), 8, 2)
	tests := []struct {
		name        string
		rec         int // record whose middle byte is flipped
		wantSpooled int64
		wantPending int
	}{
		{"journal record", 2 + 4, 0, 4}, // J4: J0..J3 survive
		{"spool record", 12 + 3, 3, 7},  // S3: S0..S2 survive, J3..J9 pending
		{"meta record", 1, -1, 0},       // M: nothing after the header is left
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			pos := starts[tt.rec] + (starts[tt.rec+1]-starts[tt.rec])/2
			bad[pos] ^= 0x10
			path := filepath.Join(dir, tt.name+".ckpt")
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			c := mustOpen(t, path, testMeta(), false)
			defer mustClose(t, c)
			if tt.wantSpooled < 0 {
				// Without a meta record the file is re-created from scratch.
				if c.Resumed() || c.Spooled() != 0 || c.Meta().Runs != 1 {
					t.Fatalf("want fresh checkpoint, got resumed=%v spooled=%d runs=%d", c.Resumed(), c.Spooled(), c.Meta().Runs)
				}
				return
			}
			if got, want := c.TornBytes(), int64(len(data))-starts[tt.rec]; got != want {
				t.Errorf("TornBytes = %d, want %d", got, want)
			}
			if c.Spooled() != tt.wantSpooled || len(c.Pending()) != tt.wantPending {
				t.Errorf("Spooled %d Pending %d, want %d %d", c.Spooled(), len(c.Pending()), tt.wantSpooled, tt.wantPending)
			}
		})
	}
}

func TestNotACheckpointIsNeverTouched(t *testing.T) {
	dir := t.TempDir()
	data, _ := buildFile(t, filepath.Join(dir, "orig.ckpt"), 2, 0)
	headerFlip := bytes.Clone(data)
	headerFlip[5] ^= 1
	tests := []struct {
		name    string
		content []byte
		restart bool
	}{
		{"csv", []byte("phone\n13900000000\n"), false},
		{"csv with restart", []byte("phone\n13900000000\n"), true},
		{"damaged header", headerFlip, false},
		{"damaged header with restart", headerFlip, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("f%d", i))
			if err := os.WriteFile(path, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, testMeta(), tt.restart)
			if !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open = %v, want ErrNotCheckpoint naming the path", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tt.content) {
				t.Fatalf("file was modified")
			}
		})
	}
}

// writeRecords writes a raw checkpoint file from frames.
func writeRecords(t *testing.T, path string, frames ...[]byte) {
	t.Helper()
	mj := []byte(`{"Version":1,"Fingerprint":"abc123","Runs":1}`)
	data := appendFrame(nil, recHeader, headerPayload())
	data = appendFrame(data, recMeta, mj)
	for _, f := range frames {
		data = append(data, f...)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func rec(typ byte, i int64) []byte {
	r := realistic(i)
	return appendResultRecord(nil, typ, &r)
}

func TestJournalSpoolInterplay(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name        string
		frames      [][]byte
		wantErr     error
		wantSpooled int64
		wantPending []int64
	}{
		{"journal only", [][]byte{rec('J', 1), rec('J', 0)}, nil, 0, []int64{0, 1}},
		{"spool after journal clears it", [][]byte{rec('J', 1), rec('J', 0), rec('S', 0)}, nil, 1, []int64{1}},
		{"journal after spool ignored", [][]byte{rec('S', 0), rec('J', 0)}, nil, 1, nil},
		{"spool without journal", [][]byte{rec('S', 0), rec('S', 1), rec('J', 5)}, nil, 2, []int64{5}},
		{"gap in spool", [][]byte{rec('S', 0), rec('S', 2)}, ErrCorrupt, 0, nil},
		{"spool not from zero", [][]byte{rec('S', 1)}, ErrCorrupt, 0, nil},
		{"duplicate spool", [][]byte{rec('S', 0), rec('S', 0)}, ErrCorrupt, 0, nil},
		{"unknown type", [][]byte{appendFrame(nil, 'Z', []byte("x"))}, ErrCorrupt, 0, nil},
		{"garbage payload", [][]byte{appendFrame(nil, 'S', []byte{0xff})}, ErrCorrupt, 0, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("c%d", i))
			writeRecords(t, path, tt.frames...)
			c, err := Open(path, testMeta(), false)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open = %v, want %v", err, tt.wantErr)
				}
				// Corruption that is not a torn tail is reported, not repaired...
				if st, err := os.Stat(path); err != nil || st.Size() == 0 {
					t.Fatalf("file changed: %v", err)
				}
				// ...and the lock is released so that --restart can proceed.
				c, err := Open(path, testMeta(), true)
				if err != nil {
					t.Fatalf("Open with restart after corruption: %v", err)
				}
				mustClose(t, c)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, c)
			if c.Spooled() != tt.wantSpooled {
				t.Errorf("Spooled = %d, want %d", c.Spooled(), tt.wantSpooled)
			}
			p := c.Pending()
			if len(p) != len(tt.wantPending) {
				t.Errorf("Pending = %v, want rows %v", p, tt.wantPending)
			}
			for _, idx := range tt.wantPending {
				if !reflect.DeepEqual(p[idx], realistic(idx)) {
					t.Errorf("Pending[%d] = %+v", idx, p[idx])
				}
			}
		})
	}
}

func TestSpoolOrder(t *testing.T) {
	c := mustOpen(t, filepath.Join(t.TempDir(), "c"), testMeta(), false)
	defer mustClose(t, c)
	if err := c.Spool(realistic(1)); err == nil {
		t.Fatal("Spool(1) first: want error")
	}
	if err := c.Spool(realistic(0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Spool(realistic(0)); err == nil {
		t.Fatal("Spool(0) twice: want error")
	}
	if err := c.Journal(Result{Index: -1}); err == nil {
		t.Fatal("Journal(-1): want error")
	}
}

func TestResumeAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	var first Meta
	wantCounts := map[string]int64{}
	// Each run journals a window ahead of what it spools, as the pipeline does,
	// and stops without Finish.
	const perRun, window = 40, 10
	for run := 1; run <= 4; run++ {
		c := mustOpen(t, path, testMeta(), false)
		m := c.Meta()
		if run == 1 {
			first = m
			if c.Resumed() || m.Salt == "" || m.Created.IsZero() {
				t.Fatalf("fresh: resumed=%v salt=%q created=%v", c.Resumed(), m.Salt, m.Created)
			}
		} else {
			if !c.Resumed() || m.Salt != first.Salt || !m.Created.Equal(first.Created) {
				t.Fatalf("run %d: resumed=%v salt %q/%q created %v/%v", run, c.Resumed(), m.Salt, first.Salt, m.Created, first.Created)
			}
			if len(c.Pending()) != window {
				t.Fatalf("run %d: %d pending, want %d", run, len(c.Pending()), window)
			}
		}
		if m.Runs != run {
			t.Fatalf("Runs = %d, want %d", m.Runs, run)
		}
		if m.Calls != int64((run-1)*perRun) {
			t.Fatalf("Calls = %d, want %d", m.Calls, (run-1)*perRun)
		}
		if !reflect.DeepEqual(c.Counts(), wantCounts) && len(wantCounts) > 0 {
			t.Fatalf("run %d: Counts = %v, want %v", run, c.Counts(), wantCounts)
		}
		start := c.Spooled()
		pending := c.Pending()
		for i := start; i < start+perRun+window; i++ {
			if _, ok := pending[i]; ok {
				continue // answer already known: no second call
			}
			if err := c.Journal(realistic(i)); err != nil {
				t.Fatal(err)
			}
		}
		for i := start; i < start+perRun; i++ {
			if err := c.Spool(realistic(i)); err != nil {
				t.Fatal(err)
			}
			wantCounts[realistic(i).Code]++
		}
		m.Calls += perRun
		if err := c.UpdateMeta(m); err != nil {
			t.Fatal(err)
		}
		mustClose(t, c)
	}
	c := mustOpen(t, path, testMeta(), false)
	defer mustClose(t, c)
	got := readPrefix(t, c)
	if len(got) != 4*perRun {
		t.Fatalf("Prefix has %d rows, want %d", len(got), 4*perRun)
	}
	for i, r := range got {
		if !reflect.DeepEqual(r, realistic(int64(i))) {
			t.Fatalf("Prefix[%d] = %+v", i, r)
		}
	}
	if !reflect.DeepEqual(c.Counts(), wantCounts) {
		t.Fatalf("Counts = %v, want %v", c.Counts(), wantCounts)
	}
	// A second iterator over the same prefix works too.
	if again := readPrefix(t, c); len(again) != len(got) {
		t.Fatalf("second Prefix: %d rows", len(again))
	}
}

func TestFinishAndMeta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	c := mustOpen(t, path, testMeta(), false)
	m := c.Meta()
	m.Rows, m.Calls = 10, 12
	m.Salt = "tampered" // identity fields are kept from the stored meta
	for i := int64(0); i < 10; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Finish(m); err != nil {
		t.Fatal(err)
	}
	mustClose(t, c)
	st, err := ReadStatus(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Meta.Finished || st.Meta.Rows != 10 || st.Meta.Calls != 12 || st.Meta.Salt == "tampered" || st.Spooled != 10 {
		t.Fatalf("status after Finish: %+v", st)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := c.Journal(realistic(11)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Journal after Close = %v, want ErrClosed", err)
	}
}

func TestMismatchAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	c := mustOpen(t, path, testMeta(), false)
	if err := c.Spool(realistic(0)); err != nil {
		t.Fatal(err)
	}
	oldSalt := c.Meta().Salt
	mustClose(t, c)

	other := testMeta()
	other.Fingerprint = "different"
	other.Options = map[string]string{"mask": "NORMAL", "dedupe": "off", "new": "x"}
	other.InputSize = 99
	_, err := Open(path, other, false)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("Open = %v, want *MismatchError", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "--restart", "dedupe", "input size 1234 → 99", "new"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "mask") {
		t.Errorf("message %q names an unchanged option", msg)
	}

	// A temporary left by a create that was killed before its rename.
	if err := os.WriteFile(path+".new-123", []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	c = mustOpen(t, path, other, true)
	defer mustClose(t, c)
	if c.Resumed() || c.Spooled() != 0 || c.Meta().Fingerprint != "different" || c.Meta().Salt == oldSalt {
		t.Fatalf("restart did not start fresh: resumed=%v spooled=%d meta=%+v", c.Resumed(), c.Spooled(), c.Meta())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after restart: %v %v", fi.Mode(), err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 2 { // job.ckpt + job.ckpt.lock, no temp leftovers
		t.Fatalf("directory holds %v", ents)
	}
}

func TestLocking(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.ckpt")

	// A stale lock file (left by a dead process: nobody holds the flock).
	if err := os.WriteFile(path+".lock", []byte("pid 1 started long ago\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, path, testMeta(), false)

	_, err := Open(path, testMeta(), false)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Open = %v, want *LockedError", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(le.Holder, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("LockedError %q does not name path and holder", err)
	}
	if err := Remove(path); !errors.As(err, &le) {
		t.Fatalf("Remove while locked = %v, want *LockedError", err)
	}
	st, err := ReadStatus(path)
	if err != nil || !st.Locked || !strings.Contains(st.LockHolder, "pid") {
		t.Fatalf("ReadStatus while open: %+v %v", st, err)
	}
	for _, p := range []string{path, path + ".lock"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v %v", p, fi.Mode(), err)
		}
	}
	mustClose(t, c)

	st, err = ReadStatus(path)
	if err != nil || st.Locked {
		t.Fatalf("ReadStatus after Close: %+v %v", st, err)
	}
	c = mustOpen(t, path, testMeta(), false)
	mustClose(t, c)
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".lock"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still exists: %v", p, err)
		}
	}
}

func TestReadStatusNeverTruncates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.ckpt")
	data, starts := buildFile(t, path, 3, 2)
	cut := data[:len(data)-3]
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := ReadStatus(path)
	if err != nil {
		t.Fatal(err)
	}
	wantTorn := int64(len(cut)) - starts[len(starts)-1]
	if st.TornBytes != wantTorn || st.Spooled != 2 || st.Pending != 3 || st.Size != int64(len(cut)) ||
		st.Counts["OK"] != 2 || st.Locked || st.Meta.Fingerprint != "abc123" {
		t.Fatalf("status %+v (want torn %d)", st, wantTorn)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, cut) {
		t.Fatal("ReadStatus modified the file")
	}
	if _, err := ReadStatus(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestConcurrentJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	c := mustOpen(t, path, testMeta(), false)
	const workers, per = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if err := c.Journal(realistic(int64(i*workers + w))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// The writer spools concurrently with the journaling workers.
	for i := int64(0); i < 100; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	mustClose(t, c)
	c = mustOpen(t, path, testMeta(), false)
	defer mustClose(t, c)
	if got := len(c.Pending()); got != workers*per-100 {
		t.Fatalf("Pending = %d, want %d", got, workers*per-100)
	}
}

func TestBackgroundFlushAndSync(t *testing.T) {
	oldF, oldS := SpoolFlushInterval, SyncInterval
	SpoolFlushInterval, SyncInterval = 10*time.Millisecond, 20*time.Millisecond
	defer func() { SpoolFlushInterval, SyncInterval = oldF, oldS }()
	path := filepath.Join(t.TempDir(), "job.ckpt")
	c := mustOpen(t, path, testMeta(), false)
	defer mustClose(t, c)
	for i := int64(0); i < 3; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	// No Flush: the background flusher must get the rows to the OS. Poll with a
	// generous deadline rather than asserting on a sleep.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := ReadStatus(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Spooled == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spooled rows never reached the file: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		c.mu.Lock()
		dirty := c.dirty
		c.mu.Unlock()
		if !dirty {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("background sync never ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failingFile accepts limit bytes, then writes part of the next buffer and fails
// with ENOSPC, like a filling disk.
type failingFile struct {
	*os.File
	limit int
}

func (f *failingFile) Write(b []byte) (int, error) {
	if len(b) <= f.limit {
		f.limit -= len(b)
		return f.File.Write(b)
	}
	n, _ := f.File.Write(b[:f.limit+(len(b)-f.limit)/2]) // a partial record
	f.limit = 0
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	c := mustOpen(t, path, testMeta(), false)
	for i := int64(0); i < 5; i++ {
		if err := c.Journal(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	c.f = &failingFile{File: c.f.(*os.File), limit: 0}
	c.mu.Unlock()
	err := c.Journal(realistic(5))
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Journal on full disk = %v, want ENOSPC naming the path", err)
	}
	if err := c.Spool(realistic(0)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Spool after failure = %v, want the sticky error", err)
	}
	if err := c.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Close = %v, want ENOSPC reported", err)
	}
	c = mustOpen(t, path, testMeta(), false)
	defer mustClose(t, c)
	if c.TornBytes() != 0 {
		t.Errorf("partial record left behind: TornBytes %d", c.TornBytes())
	}
	if p := c.Pending(); len(p) != 5 || !reflect.DeepEqual(p[4], realistic(4)) {
		t.Errorf("records before the failure: %v", p)
	}
}

func TestDiskFullOnSpoolFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	c := mustOpen(t, path, testMeta(), false)
	for i := int64(0); i < 4; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.f = &failingFile{File: c.f.(*os.File), limit: 0}
	c.mu.Unlock()
	for i := int64(4); i < 8; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Flush = %v, want ENOSPC", err)
	}
	c.Close()
	c = mustOpen(t, path, testMeta(), false)
	defer mustClose(t, c)
	if c.TornBytes() != 0 || c.Spooled() != 4 {
		t.Errorf("TornBytes %d Spooled %d, want 0 4", c.TornBytes(), c.Spooled())
	}
}

const childEnv = "CHECKPOINT_TEST_CHILD"

// TestChildProcess is the body of the re-executed child in TestKilledProcess.
func TestChildProcess(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("helper for TestKilledProcess")
	}
	SpoolFlushInterval = time.Hour // keep unflushed S records unflushed until the kill
	c, err := Open(path, testMeta(), false)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for i := int64(0); i < 100; i++ {
		if err := c.Journal(realistic(i)); err != nil {
			fmt.Println("journal:", err)
			os.Exit(2)
		}
	}
	for i := int64(0); i < 60; i++ {
		if err := c.Spool(realistic(i)); err != nil {
			fmt.Println("spool:", err)
			os.Exit(2)
		}
		if i == 49 {
			if err := c.Flush(); err != nil {
				fmt.Println("flush:", err)
				os.Exit(2)
			}
		}
	}
	fmt.Println("ready")
	select {} // wait for SIGKILL
}

func TestKilledProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("child said %q (%v)", line, err)
	}
	st, err := ReadStatus(path)
	if err != nil || !st.Locked || !strings.Contains(st.LockHolder, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Fatalf("status of child's checkpoint: %+v %v", st, err)
	}
	var le *LockedError
	if _, err := Open(path, testMeta(), false); !errors.As(err, &le) {
		t.Fatalf("Open while child lives = %v, want *LockedError", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	c := mustOpen(t, path, testMeta(), false)
	defer mustClose(t, c)
	if c.TornBytes() != 0 {
		t.Errorf("TornBytes = %d", c.TornBytes())
	}
	// Rows 50..59 were spooled only into the dead child's buffer: they are lost
	// as S records, but their answers survive as journal records.
	if c.Spooled() != 50 {
		t.Errorf("Spooled = %d, want 50", c.Spooled())
	}
	p := c.Pending()
	if len(p) != 50 {
		t.Errorf("Pending = %d rows, want 50", len(p))
	}
	for i := int64(50); i < 100; i++ {
		if !reflect.DeepEqual(p[i], realistic(i)) {
			t.Fatalf("Pending[%d] = %+v", i, p[i])
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	if c.Meta().Runs != 2 {
		t.Errorf("Runs = %d, want 2", c.Meta().Runs)
	}
}

// crc32Of is computed independently of the package's table.
func crc32Of(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
