package dytns

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// connTransport is an HTTP/1.1 RoundTripper that owns at most one keep-alive connection
// and does all its I/O on the calling goroutine. net/http's Transport runs a reader and
// a writer goroutine per connection and hands every request and response between
// them and the caller; at a thousand calls a second those hand-offs (scheduler wake-ups,
// channel operations, timers) cost more CPU than the HTTP work itself. Each SDK client
// is used by one goroutine at a time, so its connTransport needs no locking: RoundTrip,
// the body reads and Close all happen on the goroutine that holds the SDK client.
//
// It is only used without a proxy; New falls back to the shared *http.Transport when
// the environment routes the endpoint through one.
type connTransport struct {
	scheme, urlHost string            // requests for other URLs (redirects) go to fallback
	fallback        http.RoundTripper // the shared transport
	addr            string            // host:port to dial
	tlsConf         *tls.Config       // nil for plain HTTP
	connectTimeout  time.Duration
	timeout         time.Duration // whole call, body included; 0 = only the context's deadline

	conn net.Conn // nil when not connected
	raw  net.Conn // the TCP connection under conn (the same unless TLS)
	br   *bufio.Reader
	bw   *bufio.Writer
}

const tlsHandshakeTimeout = 10 * time.Second

func newConnTransport(scheme, endpoint, host string, connectTimeout, timeout time.Duration, fallback http.RoundTripper) *connTransport {
	t := &connTransport{
		scheme: scheme, urlHost: endpoint, fallback: fallback,
		addr: endpoint, connectTimeout: connectTimeout, timeout: timeout,
	}
	if _, _, err := net.SplitHostPort(endpoint); err != nil {
		port := "80"
		if scheme == "https" {
			port = "443"
		}
		t.addr = net.JoinHostPort(host, port)
	}
	if scheme == "https" {
		t.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host, NextProtos: []string{"http/1.1"}}
	}
	return t
}

func (t *connTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// One deadline for the whole call, dial and body included, like http.Client's
	// Timeout (which New turns off for SDK clients using a connTransport).
	deadline, hasDeadline := req.Context().Deadline()
	if t.timeout > 0 {
		if d := time.Now().Add(t.timeout); !hasDeadline || d.Before(deadline) {
			deadline = d
		}
	}
	if req.URL.Scheme != t.scheme || req.URL.Host != t.urlHost {
		return t.roundTripElsewhere(req, deadline)
	}
	if t.conn != nil && !connAlive(t.raw) {
		// The server closed the idle connection (or sent something unasked): find out
		// now rather than by losing a request on it. net/http learns the same from its
		// per-connection reader goroutine.
		t.closeConn()
	}
	for attempt := 0; ; attempt++ {
		reused := t.conn != nil
		resp, err, sent := t.try(req, deadline)
		if err == nil {
			return resp, nil
		}
		t.closeConn()
		// Like net/http for a POST: resend only when the request cannot have reached
		// the server whole (writing it failed) on a connection that had been idle, and
		// only if the body can be replayed. A failure after the request went out is
		// the caller's to retry.
		if !reused || sent || attempt > 0 || req.Context().Err() != nil {
			closeBody(req)
			return nil, err
		}
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, err
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// roundTripElsewhere sends a request for another URL (a redirect the http.Client
// follows) through the shared transport, as before connTransport existed, under the
// same whole-call deadline.
func (t *connTransport) roundTripElsewhere(req *http.Request, deadline time.Time) (*http.Response, error) {
	if t.fallback == nil {
		closeBody(req)
		return nil, fmt.Errorf("no transport for %s://%s", req.URL.Scheme, req.URL.Host)
	}
	cancel := func() {}
	if !deadline.IsZero() {
		var ctx context.Context
		ctx, cancel = context.WithDeadline(req.Context(), deadline)
		req = req.WithContext(ctx)
	}
	resp, err := t.fallback.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody releases the deadline's context once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// try sends req once; sent reports that the whole request had been written. The
// connection's deadline bounds every read and write, the body's included.
func (t *connTransport) try(req *http.Request, deadline time.Time) (resp *http.Response, err error, sent bool) {
	ctx := req.Context()
	if t.conn == nil {
		if err := t.dial(ctx, deadline); err != nil {
			return nil, err, false
		}
	}
	if err := t.conn.SetDeadline(deadline); err != nil {
		return nil, err, false
	}
	if ctx.Done() != nil {
		// A cancellable context must interrupt blocked I/O. The SDK's requests carry
		// none, so its calls pay nothing for this.
		conn := t.conn
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	if err := req.Write(t.bw); err != nil {
		return nil, err, false
	}
	if err := t.bw.Flush(); err != nil {
		return nil, err, false
	}
	for {
		resp, err = http.ReadResponse(t.br, req)
		if err != nil {
			return nil, err, true
		}
		// Skip informational answers (100 Continue, 103 Early Hints) like net/http.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		break
	}
	keep := !resp.Close && !req.Close && (resp.ContentLength >= 0 || isChunked(resp))
	resp.Body = &connBody{rc: resp.Body, t: t, conn: t.conn, keep: keep}
	return resp, nil, true
}

func isChunked(resp *http.Response) bool {
	return len(resp.TransferEncoding) > 0 && strings.EqualFold(resp.TransferEncoding[0], "chunked")
}

func (t *connTransport) dial(ctx context.Context, deadline time.Time) error {
	d := net.Dialer{Timeout: t.connectTimeout, Deadline: deadline, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return err
	}
	t.raw = conn
	if t.tlsConf != nil {
		hd := time.Now().Add(tlsHandshakeTimeout)
		if !deadline.IsZero() && deadline.Before(hd) {
			hd = deadline
		}
		hctx, cancel := context.WithDeadline(ctx, hd)
		defer cancel()
		tc := tls.Client(conn, t.tlsConf)
		if err := tc.HandshakeContext(hctx); err != nil {
			_ = conn.Close()
			return err
		}
		conn = tc
	}
	t.conn = conn
	if t.br == nil {
		t.br = bufio.NewReaderSize(conn, 4096)
		t.bw = bufio.NewWriterSize(conn, 4096)
	} else {
		t.br.Reset(conn)
		t.bw.Reset(conn)
	}
	return nil
}

func (t *connTransport) closeConn() {
	if t.conn != nil {
		_ = t.conn.Close()
		t.conn, t.raw = nil, nil
	}
}

// CloseIdleConnections closes the connection; only call it while no call is using t.
func (t *connTransport) CloseIdleConnections() { t.closeConn() }

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// connBody keeps the connection for the next call only when the body was read to its
// end and both sides allow keep-alive; a body closed early or cut short drops it.
type connBody struct {
	rc   io.ReadCloser
	t    *connTransport
	conn net.Conn // the connection this body belongs to
	keep bool
	eof  bool
	done bool
}

func (b *connBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, errors.New("read on closed response body")
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	} else if err != nil {
		b.keep = false
	}
	return n, err
}

func (b *connBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	if !b.eof || !b.keep || b.t.br.Buffered() > 0 {
		// Unread bytes (or bytes the server sent beyond the body) leave the stream out
		// of step: never reuse it. Closing the connection first also stops the body's
		// Close from draining the rest off the network.
		if b.t.conn == b.conn {
			b.t.closeConn()
		}
	}
	_ = b.rc.Close()
	return nil
}
