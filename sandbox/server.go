package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// Server is a Sandbox listening on a TCP address.
type Server struct {
	sb      *Sandbox
	ln      net.Listener
	srv     *http.Server
	cancel  context.CancelFunc
	serveCh chan error
}

// Start validates cfg, listens on addr (":0" picks a free port) and serves
// the sandbox in the background until Close or Shutdown.
func Start(addr string, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sandbox config: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listen %s: %w", addr, err)
	}
	// Cancelling the base context on shutdown wakes handlers sleeping in a
	// latency or slow fault, so shutdown never waits out a 30 s delay.
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		sb:     New(cfg),
		ln:     ln,
		cancel: cancel,
		srv: &http.Server{
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			BaseContext:       func(net.Listener) context.Context { return base },
			// Aborted and reset calls are part of the job; no log noise.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		serveCh: make(chan error, 1),
	}
	s.srv.Handler = s.sb
	go func() { s.serveCh <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the host:port actually bound.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is "http://" + Addr().
func (s *Server) URL() string { return "http://" + s.Addr() }

// Sandbox is the handler being served, for Stats and ResetStats.
func (s *Server) Sandbox() *Sandbox { return s.sb }

// Shutdown stops accepting, aborts calls sleeping in latency or slow
// faults, and waits for the rest to finish or ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop(func() error { return s.srv.Shutdown(ctx) })
}

// Close stops the server at once, dropping open connections.
func (s *Server) Close() error { return s.stop(s.srv.Close) }

// stop ends the sandbox's sleeps, runs how (Shutdown or Close) and collects
// Serve's result, leaving one behind so that a second stop returns too.
func (s *Server) stop(how func() error) error {
	s.cancel()
	err := how()
	if serr := <-s.serveCh; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.serveCh <- http.ErrServerClosed
	return err
}
