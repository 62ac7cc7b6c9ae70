package redistest

import "testing"

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	if !ping(s.Addr) {
		t.Fatal("server does not answer after Start")
	}
	s.Stop()
	if ping(s.Addr) {
		t.Fatal("server still answers after Stop")
	}
	s.Restart(t)
	if !ping(s.Addr) {
		t.Fatal("server does not answer after Restart")
	}
}
