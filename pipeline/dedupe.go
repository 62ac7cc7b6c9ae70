package pipeline

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"strconv"
	"time"

	"dytnsbatch/checkpoint"
)

// numberKeyer makes the dedupe key of a normalised number: a keyed hash, so that the
// checkpoint can hold it (to dedupe across resumed runs) without holding the number.
// 64 bits give a collision chance of about n²/2⁶⁵: 3·10⁻⁸ for a million numbers.
// Only the reader goroutine uses it, so one HMAC is reset and reused for every row.
type numberKeyer struct {
	mac hash.Hash
	sum [sha256.Size]byte
	buf []byte // the number as bytes: Write through the interface would copy it each time
}

func newNumberKeyer(salt []byte) *numberKeyer {
	return &numberKeyer{mac: hmac.New(sha256.New, salt)}
}

func (k *numberKeyer) key(number string) uint64 {
	k.mac.Reset()
	k.buf = append(k.buf[:0], number...)
	k.mac.Write(k.buf)
	v := binary.LittleEndian.Uint64(k.mac.Sum(k.sum[:0]))
	if v == 0 { // 0 means "no key" in checkpoint.Result
		v = 1
	}
	return v
}

// dedupeTable remembers, per distinct number, the answer of its first call so that
// later rows with the same number are answered without paying again.
//
// Memory matters (a million distinct numbers is normal): the common answer — an
// all-digit 140 number and an ExpireTime in the service's format — is packed into
// 16 bytes; anything else falls back to a full copy. Rows waiting for a call that is
// still in flight are parked in pending, which the pipeline window keeps small.
type dedupeTable struct {
	done     map[uint64]packedAnswer
	odd      map[uint64]checkpoint.Result
	inflight map[uint64][]*item
}

type packedAnswer struct {
	encrypted uint64 // the 140 number's digits
	expire    uint32 // ExpireTime as seconds since expireEpoch (good until 2156)
	firstLine uint32 // the physical row of the call that produced it, for the Message; 0 = unknown
}

// expireEpoch keeps packed expiry times in 32 bits.
var expireEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

var beijing = time.FixedZone("CST", 8*3600)

const expireLayout = "2006-01-02 15:04:05"

func newDedupeTable() *dedupeTable {
	return &dedupeTable{
		done:     make(map[uint64]packedAnswer),
		odd:      make(map[uint64]checkpoint.Result),
		inflight: make(map[uint64][]*item),
	}
}

// remember stores an OK answer. Only OK answers are shared with later rows: a
// number whose call failed is tried again when it shows up again.
func (d *dedupeTable) remember(key uint64, line int64, r checkpoint.Result) {
	if key == 0 || r.Code != CodeOK {
		return
	}
	if p, ok := pack(line, r); ok {
		d.done[key] = p
		return
	}
	d.odd[key] = r
}

// lookup returns the shared answer for key, with the copy's own fields left to the caller.
func (d *dedupeTable) lookup(key uint64) (checkpoint.Result, int64, bool) {
	if p, ok := d.done[key]; ok {
		return p.unpack(), int64(p.firstLine), true
	}
	if r, ok := d.odd[key]; ok {
		return r, 0, true
	}
	return checkpoint.Result{}, 0, false
}

// unpack is the OK answer p holds.
func (p packedAnswer) unpack() checkpoint.Result {
	return checkpoint.Result{
		EncryptedNumber: strconv.FormatUint(p.encrypted, 10),
		ExpireTime:      time.Unix(expireEpoch+int64(p.expire), 0).In(beijing).Format(expireLayout),
		Code:            CodeOK,
		Message:         CodeOK,
	}
}

func pack(line int64, r checkpoint.Result) (packedAnswer, bool) {
	enc := r.EncryptedNumber
	if len(enc) == 0 || len(enc) > 19 || enc[0] == '0' {
		return packedAnswer{}, false
	}
	n, err := strconv.ParseUint(enc, 10, 64)
	if err != nil {
		return packedAnswer{}, false
	}
	t, err := time.ParseInLocation(expireLayout, r.ExpireTime, beijing)
	if err != nil || t.Format(expireLayout) != r.ExpireTime {
		return packedAnswer{}, false
	}
	since := t.Unix() - expireEpoch
	if since < 0 || since > math.MaxUint32 {
		return packedAnswer{}, false
	}
	if line < 0 || line > math.MaxUint32 {
		line = 0
	}
	return packedAnswer{encrypted: n, expire: uint32(since), firstLine: uint32(line)}, true
}
