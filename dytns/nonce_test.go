package dytns

import (
	"context"
	"encoding/hex"
	"net/http"
	"regexp"
	"sync"
	"testing"
)

// TestNonceHookIsInstalled: the SDK must sign with our nonce generator (the linkname
// hook), and every nonce must be fresh and shaped like the SDK's own.
func TestNonceHookIsInstalled(t *testing.T) {
	var mu sync.Mutex
	var nonces []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		nonces = append(nonces, r.URL.Query().Get("SignatureNonce"))
		mu.Unlock()
		echoHandler(w, r)
	}), nil)
	const calls = 20
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	shape := regexp.MustCompile(`^[0-9a-f]{32}$`)
	prefix := hex.EncodeToString(noncePrefix[:])
	seen := map[string]bool{}
	for _, n := range nonces {
		if !shape.MatchString(n) {
			t.Errorf("nonce %q is not 32 lower-case hex digits", n)
		}
		if n[:16] != prefix {
			t.Errorf("nonce %q does not come from newNonce (prefix %s): the SDK hook is not installed", n, prefix)
		}
		if seen[n] {
			t.Errorf("nonce %q used twice", n)
		}
		seen[n] = true
	}
	if len(nonces) != calls {
		t.Errorf("server saw %d calls, want %d", len(nonces), calls)
	}
}

func BenchmarkNonce(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = sdkHookGetNonce(nil)
	}
}
