//go:build !unix

package checkpoint

import (
	"fmt"
	"os"
)

// On platforms without flock(2) the lock file is still written (so the holder is
// visible) but does not exclude a second process.
type fileLock struct {
	f *os.File
}

func acquireLock(path, lockPath string) (*fileLock, error) {
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock checkpoint %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

func (l *fileLock) file() *os.File { return l.f }

func (l *fileLock) release() error { return l.f.Close() }

func probeLock(lockPath string) (bool, string, error) { return false, "", nil }
