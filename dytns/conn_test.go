package dytns

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stall holds a handler until release is closed or the client goes away.
func stall(r *http.Request, release <-chan struct{}) {
	select {
	case <-release:
	case <-r.Context().Done():
	}
}

// countingServer counts new connections and requests.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64, *atomic.Int64) {
	t.Helper()
	var conns, reqs atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		h.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns, &reqs
}

func TestConnTransportKeepAlive(t *testing.T) {
	const calls = 4
	for _, tt := range []struct {
		name      string
		h         http.HandlerFunc
		between   func(t *testing.T, srv *httptest.Server, c *Client) // runs after every call
		wantConns int64
	}{
		{name: "content-length keeps one connection", h: echoHandler, wantConns: 1},
		{name: "chunked keeps one connection", h: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			w.(http.Flusher).Flush() // forces chunked encoding
			echoHandler(w, r)
		}, wantConns: 1},
		{name: "1xx before the answer is skipped", h: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</x>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			echoHandler(w, r)
		}, wantConns: 1},
		{name: "Connection: close reconnects", h: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			echoHandler(w, r)
		}, wantConns: calls},
		{name: "server closing idle connections reconnects", h: echoHandler, between: func(t *testing.T, srv *httptest.Server, c *Client) {
			srv.CloseClientConnections()
			waitIdleConnClosed(t, c)
		}, wantConns: calls},
		{name: "body delimited by close reconnects", h: func(w http.ResponseWriter, r *http.Request) {
			conn, bw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			n := r.URL.Query().Get("InputNumber")
			fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"+
				`{"RequestId":"R","Code":"OK","Message":"OK","Data":[{"EncryptedNumber":"%s","OutId":"%s"}]}`,
				fakeEncrypted(n), r.URL.Query().Get("OutId"))
			bw.Flush()
		}, wantConns: calls},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, conns, reqs := countingServer(t, tt.h)
			c, err := New(Config{Endpoint: srv.Listener.Addr().String(), AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if !c.ownConns {
				t.Fatal("loopback endpoint does not use connTransport")
			}
			for i := 0; i < calls; i++ {
				num := fmt.Sprintf("1390000%04d", i)
				out := fmt.Sprint("row-", i)
				resp, err := c.Encrypt(context.Background(), Request{Number: num, OutID: out})
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if resp.EncryptedNumber != fakeEncrypted(num) || resp.OutID != out {
					t.Fatalf("call %d: got %+v", i, resp)
				}
				if tt.between != nil {
					tt.between(t, srv, c)
				}
			}
			if got := conns.Load(); got != tt.wantConns {
				t.Errorf("%d connections for %d sequential calls, want %d", got, calls, tt.wantConns)
			}
			if got := reqs.Load(); got != calls {
				t.Errorf("server saw %d requests for %d calls (a request was sent twice)", got, calls)
			}
		})
	}
}

// waitIdleConnClosed waits until the idle SDK client's connection has seen the
// server's FIN, so the next call deterministically finds a closed idle connection.
func waitIdleConnClosed(t *testing.T, c *Client) {
	t.Helper()
	sc := <-c.free
	defer c.put(sc)
	for deadline := time.Now().Add(5 * time.Second); connAlive(sc.conn.raw); {
		if time.Now().After(deadline) {
			t.Fatal("the client never saw the server close its connection")
		}
		time.Sleep(time.Millisecond)
	}
}

// rawServer accepts connections and hands each to serve.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestConnTransportDoesNotResendAfterSending(t *testing.T) {
	// Every connection answers its first request and then swallows the second one
	// without answering: the second call must fail, not be sent again.
	var reqs atomic.Int64
	addr := rawServer(t, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		for i := 0; ; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			reqs.Add(1)
			if i > 0 {
				return
			}
			body := `{"Code":"OK","Data":[{"EncryptedNumber":"14000000000"}]}`
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
	})
	c, err := New(Config{Endpoint: addr, AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err = c.Encrypt(context.Background(), Request{Number: testNumber})
	checkTransport(t, err, CodeReset)
	if n := reqs.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2 (no resend of a request that was sent)", n)
	}
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatalf("call after the failure: %v", err)
	}
}

func TestConnTransportTimeoutDropsConnection(t *testing.T) {
	var slow atomic.Bool
	release := make(chan struct{})
	srv, conns, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			stall(r, release)
			return
		}
		echoHandler(w, r)
	}))
	defer close(release)
	c, err := New(Config{Endpoint: srv.Listener.Addr().String(), AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret, Timeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, want := range []string{"", CodeTimeout, ""} {
		slow.Store(want != "")
		_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
		if want == "" && err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if want != "" {
			checkTransport(t, err, want)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the timed-out one must not be reused)", n)
	}
}

func TestConnTransportBodyNotFullyRead(t *testing.T) {
	srv, conns, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 10000))
	}))
	host, _, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ct := newConnTransport("http", srv.Listener.Addr().String(), host, time.Second, 0, nil)
	hc := &http.Client{Transport: ct, Timeout: 5 * time.Second}
	get := func(readAll bool) {
		t.Helper()
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if readAll {
			b, err := io.ReadAll(resp.Body)
			if err != nil || len(b) != 10000 {
				t.Fatalf("read %d bytes, %v", len(b), err)
			}
		} else if _, err := resp.Body.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get(false)
	if ct.conn != nil {
		t.Error("connection kept after a body was closed half-read")
	}
	get(true)
	get(true)
	if ct.conn == nil {
		t.Error("connection dropped after a fully read body")
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (one for the half-read body, one reused)", n)
	}
	ct.CloseIdleConnections()
	if ct.conn != nil {
		t.Error("CloseIdleConnections left the connection open")
	}
}

func TestConnTransportTLS(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	u := srv.URL + "/?InputNumber=" + testNumber

	untrusted := &http.Client{Transport: newConnTransport("https", addr, "127.0.0.1", time.Second, 0, nil)}
	_, err := untrusted.Get(u)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("self-signed certificate: err = %v, want x509.UnknownAuthorityError", err)
	}

	ct := newConnTransport("https", addr, "127.0.0.1", time.Second, 0, nil)
	ct.tlsConf.RootCAs = x509.NewCertPool()
	ct.tlsConf.RootCAs.AddCert(srv.Certificate())
	hc := &http.Client{Transport: ct}
	for i := 0; i < 3; i++ {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), fakeEncrypted(testNumber)) {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, b)
		}
		if resp.TLS != nil {
			t.Error("resp.TLS set; connTransport does not report it")
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the refused handshake and one reused)", n)
	}
}

func TestConnTransportCancelWithoutDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv, _, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall(r, release)
	}))
	host, _, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ct := newConnTransport("http", srv.Listener.Addr().String(), host, time.Second, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := ct.RoundTrip(req)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("cancelled request succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the context did not interrupt the call")
	}
}

func TestNoProxyFor(t *testing.T) {
	proxy, _ := url.Parse("http://proxy.example:3128")
	for _, tt := range []struct {
		name  string
		proxy func(*http.Request) (*url.URL, error)
		want  bool
	}{
		{"no proxy", func(*http.Request) (*url.URL, error) { return nil, nil }, true},
		{"proxy", http.ProxyURL(proxy), false},
		{"broken proxy setting", func(*http.Request) (*url.URL, error) { return nil, errors.New("bad") }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := noProxyFor(&http.Transport{Proxy: tt.proxy}, "https", DefaultEndpoint); got != tt.want {
				t.Errorf("noProxyFor = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSharedTransportFallback: with a proxy in the way New leaves ownConns off and
// calls go through the shared net/http Transport, bounded by the http.Client timeout.
func TestSharedTransportFallback(t *testing.T) {
	var slow atomic.Bool
	release := make(chan struct{})
	defer close(release)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			stall(r, release)
			return
		}
		echoHandler(w, r)
	}), func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
	c.ownConns = false // as New sets it when a proxy applies
	resp, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: "x"})
	if err != nil || resp.EncryptedNumber != fakeEncrypted(testNumber) || resp.OutID != "x" {
		t.Fatalf("got %+v, %v", resp, err)
	}
	slow.Store(true)
	_, err = c.Encrypt(context.Background(), Request{Number: testNumber})
	checkTransport(t, err, CodeTimeout)
	sc := <-c.free
	if sc.conn != nil {
		t.Error("SDK client uses a connTransport although ownConns is off")
	}
}

// TestConnTransportRedirectElsewhere: a redirect to another host must reach that
// host (through the shared transport), not be sent down the endpoint's connection.
func TestConnTransportRedirectElsewhere(t *testing.T) {
	other, _, otherReqs := countingServer(t, http.HandlerFunc(echoHandler))
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}), nil)
	resp, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: "moved"})
	if err != nil || resp.EncryptedNumber != fakeEncrypted(testNumber) || resp.OutID != "moved" {
		t.Fatalf("got %+v, %v", resp, err)
	}
	if n := otherReqs.Load(); n != 1 {
		t.Errorf("redirect target saw %d requests, want 1", n)
	}
}

// TestConnTransportRedirectElsewhereTimesOut: the redirected call keeps the timeout.
func TestConnTransportRedirectElsewhereTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	other, _, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall(r, release)
	}))
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}), func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
	_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
	checkTransport(t, err, CodeTimeout)
}
