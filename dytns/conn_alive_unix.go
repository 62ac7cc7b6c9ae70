//go:build unix

package dytns

import (
	"errors"
	"net"
	"syscall"
)

// connAlive peeks at an idle connection without blocking: end-of-file, an error or
// unrequested bytes all mean it must not carry another request. It costs one system
// call per reuse.
func connAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	alive := true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Only "nothing to read yet" means alive; EOF (0 bytes), unrequested data and
		// socket errors all mean dead.
		alive = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK) || errors.Is(rerr, syscall.EINTR)
		return true
	})
	return alive && err == nil
}
