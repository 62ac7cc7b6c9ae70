package checkpoint

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestScanResultAdd feeds S and J records to the scan one at a time: spooled
// rows count in order, a J stays pending until its row is spooled, and a
// record that contradicts the others is corruption.
func TestScanResultAdd(t *testing.T) {
	payload := func(idx int64, code string) []byte { return appendResult(nil, &Result{Index: idx, Code: code}) }
	recs := []struct {
		typ        byte
		payload    []byte
		start, end int64
	}{
		{recJournal, payload(2, "OK"), 100, 130},
		{recJournal, payload(0, "OK"), 130, 150},
		{recSpool, payload(0, "OK"), 150, 170},
		{recJournal, payload(0, "OK"), 170, 190}, // a J after its S adds nothing
		{recSpool, payload(1, "isv.MOBILE_NUMBER_ILLEGAL"), 190, 230},
		{recJournal, payload(3, "OK"), 230, 260},
	}
	s := &scanResult{pendingAt: map[int64]span{}}
	for i, r := range recs {
		if err := s.add(r.typ, r.payload, r.start, r.end); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if s.records != 6 || s.spooled != 2 {
		t.Errorf("records %d spooled %d, want 6 and 2", s.records, s.spooled)
	}
	if want := map[int64]span{2: {100, 30}, 3: {230, 30}}; !reflect.DeepEqual(s.pendingAt, want) {
		t.Errorf("pending %v, want %v", s.pendingAt, want)
	}
	if want := map[string]int64{"OK": 1, "isv.MOBILE_NUMBER_ILLEGAL": 1}; !reflect.DeepEqual(s.counts(), want) {
		t.Errorf("codes %v, want %v", s.counts(), want)
	}

	for _, tt := range []struct {
		name    string
		typ     byte
		payload []byte
		want    string // in the message
	}{
		{"gap in the spool", recSpool, payload(1, "OK"), "spooled row 1 follows row -1"},
		{"spool payload cut short", recSpool, payload(0, "OK")[:1], errBadPayload.Error()},
		{"bad journal payload", recJournal, []byte{0x80}, errBadPayload.Error()},
		{"second header", recHeader, headerPayload(), "second header"},
		{"unknown type", 'Z', nil, `unknown record type 'Z'`},
	} {
		s := &scanResult{pendingAt: map[int64]span{}}
		err := s.add(tt.typ, tt.payload, 0, 10)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want ErrCorrupt saying %q", tt.name, err, tt.want)
		}
		if s.records != 0 || len(s.pendingAt) != 0 {
			t.Errorf("%s: counted the bad record (records %d, pending %v)", tt.name, s.records, s.pendingAt)
		}
	}
}
