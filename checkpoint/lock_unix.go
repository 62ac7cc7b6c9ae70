//go:build unix

package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an flock(2) on the sibling lock file. The kernel drops it when the
// holder dies, so a lock file left behind by a killed run never blocks.
type fileLock struct {
	f *os.File
}

// acquireLock takes LOCK_EX|LOCK_NB on lockPath. It retries when the file was
// replaced between open and flock (Remove by another process), since a lock on an
// unlinked inode excludes nobody.
func acquireLock(path, lockPath string) (*fileLock, error) {
	for range 10 {
		f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock checkpoint %s: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder := readHolder(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &LockedError{Path: path, Holder: holder}
			}
			return nil, fmt.Errorf("lock checkpoint %s: %w", path, err)
		}
		if sameFile(f, lockPath) {
			return &fileLock{f: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock checkpoint %s: lock file %s keeps being replaced", path, lockPath)
}

func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

func (l *fileLock) file() *os.File { return l.f }

func (l *fileLock) release() error {
	// Closing the descriptor drops the flock; an explicit LOCK_UN first makes the
	// release independent of any descriptor duplicated into a child process.
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}

// probeLock reports whether a live process holds the lock, without keeping it: a
// shared non-blocking flock fails only against an exclusive holder. The probe
// holds LOCK_SH for a moment, so an Open racing with it may see a LockedError.
func probeLock(lockPath string) (locked bool, holder string, err error) {
	f, err := os.Open(lockPath)
	if errors.Is(err, os.ErrNotExist) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return true, readHolder(f), nil
		}
		return false, "", err
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false, "", nil
}
