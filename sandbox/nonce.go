package sandbox

import (
	"hash/maphash"
	"sync"
	"time"
)

const nonceShards = 16

// nonceStore remembers (AccessKeyId, SignatureNonce) pairs long enough to
// refuse every replay the timestamp check would still let through: a
// request stamped up to 15 min in the future stays acceptable for 30 min, so
// a nonce must be kept at least 2×window. Pairs live in generations of one
// window each; three generations are kept, so each pair is remembered for
// between 2 and 3 windows and memory stays bounded by the call rate.
// Only 64-bit hashes are stored (a false "used" needs a 2^-64 collision).
type nonceStore struct {
	seed   maphash.Seed
	window int64 // nanoseconds per generation
	shards [nonceShards]nonceShard
}

type nonceShard struct {
	mu   sync.Mutex
	gen  int64
	gens [3]map[uint64]struct{} // gens[0] is the current generation
	_    [40]byte               // keep shards on separate cache lines
}

func newNonceStore(window time.Duration) *nonceStore {
	s := &nonceStore{seed: maphash.MakeSeed(), window: int64(window)}
	if s.window <= 0 {
		s.window = int64(15 * time.Minute)
	}
	for i := range s.shards {
		s.shards[i].gen = -1 << 62
	}
	return s
}

// use reports whether the pair is fresh, remembering it if so.
func (s *nonceStore) use(keyID, nonce string, now time.Time) bool {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(keyID)
	h.WriteByte(0)
	h.WriteString(nonce)
	sum := h.Sum64()
	sh := &s.shards[sum%nonceShards]
	gen := floorDiv(now.UnixNano(), s.window)

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if gen > sh.gen {
		// A clock that goes backwards (only tests do that) rotates nothing,
		// so no nonce is forgotten early.
		switch shift := gen - sh.gen; {
		case shift >= 3:
			sh.gens = [3]map[uint64]struct{}{}
		case shift == 2:
			sh.gens = [3]map[uint64]struct{}{nil, nil, sh.gens[0]}
		default:
			sh.gens = [3]map[uint64]struct{}{nil, sh.gens[0], sh.gens[1]}
		}
		sh.gen = gen
	}
	for _, m := range sh.gens {
		if _, seen := m[sum]; seen {
			return false
		}
	}
	if sh.gens[0] == nil {
		sh.gens[0] = make(map[uint64]struct{}, 64)
	}
	sh.gens[0][sum] = struct{}{}
	return true
}
