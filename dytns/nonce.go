package dytns

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync/atomic"
	_ "unsafe" // for go:linkname

	_ "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth" // owns the hook below; imported so it is initialised first
)

// The SDK signs every RPC request with utils.GetNonce, which finds the goroutine id by
// formatting a stack trace (runtime.Stack) and then MD5-hashes a fmt.Sprintf of it:
// about 40 µs of CPU per call, the largest single cost of a call. The SDK routes the
// call through an unexported hook variable (meant for its own tests); we point it at a
// cheaper generator. The -checklinkname restriction in Go ≥ 1.23 only covers the
// standard library, so pulling a third-party symbol this way is allowed; go.mod pins
// the SDK version, and TestNonceHookIsInstalled fails loudly if the symbol ever
// disappears or stops being used.
//
//go:linkname sdkHookGetNonce github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth.hookGetNonce
var sdkHookGetNonce func(fn func() string) string

// The server only needs SignatureNonce to be unique per AccessKey within its replay
// window (the signature already authenticates it), so a per-process random 64-bit
// prefix plus a counter starting at a random offset is enough: unique within the
// process by construction, and across processes unless two draw the same 64-bit
// prefix. Same shape as the SDK's nonce: 32 lower-case hex digits.
var (
	noncePrefix  [8]byte
	nonceCounter atomic.Uint64
)

func init() {
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // never fails since Go 1.24 (it crashes instead)
	copy(noncePrefix[:], seed[:8])
	nonceCounter.Store(binary.BigEndian.Uint64(seed[8:]))
	sdkHookGetNonce = func(func() string) string { return newNonce() }
}

func newNonce() string {
	var raw [16]byte
	copy(raw[:8], noncePrefix[:])
	binary.BigEndian.PutUint64(raw[8:], nonceCounter.Add(1))
	var out [32]byte
	hex.Encode(out[:], raw[:])
	return string(out[:])
}
