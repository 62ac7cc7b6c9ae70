package dytns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testAuthCode = "AC-secret-authcode-42"
	testSecret   = "testsecret-xyz"
	testNumber   = "13812345678"
)

// fakeEncrypted derives a deterministic 140 number so a test can check that every
// response belongs to its own request.
func fakeEncrypted(n string) string { return "140" + n[3:] }

// echoHandler answers like the real service, echoing OutId.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n := q.Get("InputNumber")
	if len(n) != 11 {
		http.Error(w, `{"Code":"InvalidParameter","Message":"bad number"}`, 400)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"RequestId":"RID-%s","Code":"OK","Message":"OK","Data":[{"OriginalNumber":"%s","EncryptedNumber":"%s","ExpireTime":"2030-05-27 16:05:23","OutId":%q}]}`,
		n[7:], MaskNumber(n), fakeEncrypted(n), q.Get("OutId"))
}

func newTestClient(t testing.TB, h http.Handler, mod func(*Config)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{
		Endpoint:        strings.TrimPrefix(srv.URL, "http://"),
		AuthCode:        testAuthCode,
		AccessKeyID:     "testid",
		AccessKeySecret: testSecret,
		Timeout:         5 * time.Second,
		ConnectTimeout:  2 * time.Second,
		UserAgent:       "dytnsbatch/test",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c, srv
}

// assertClean fails if s carries a secret or a full phone number.
func assertClean(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{testAuthCode, testSecret, testNumber, "Signature="} {
		if strings.Contains(s, bad) {
			t.Errorf("%s leaks %q: %s", what, bad, s)
		}
	}
}

func TestEncryptSuccessSendsParamsAndRoundTripsOutID(t *testing.T) {
	var got struct {
		sync.Mutex
		method, ua string
		q          map[string][]string
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		got.Lock()
		got.method, got.ua, got.q = r.Method, r.UserAgent(), r.Form
		got.Unlock()
		echoHandler(w, r)
	})
	c, _ := newTestClient(t, h, nil)
	if c.scheme != "http" {
		t.Fatalf("scheme %q for loopback, want http", c.scheme)
	}
	const outID = "out id*~+/中文"
	resp, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: outID})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	want := Response{
		EncryptedNumber: fakeEncrypted(testNumber), ExpireTime: "2030-05-27 16:05:23", OutID: outID,
		Code: "OK", Message: "OK", RequestID: "RID-5678",
	}
	if resp != want {
		t.Errorf("response = %+v\nwant %+v", resp, want)
	}
	got.Lock()
	defer got.Unlock()
	if got.method != http.MethodPost {
		t.Errorf("method = %s, want POST", got.method)
	}
	if !strings.Contains(got.ua, "dytnsbatch/test") {
		t.Errorf("User-Agent %q lacks dytnsbatch/test", got.ua)
	}
	for k, v := range map[string]string{
		"Action": "PhoneNumberEncrypt", "Version": "2020-02-17", "AuthCode": testAuthCode,
		"InputNumber": testNumber, "Mask": "NORMAL", "OutId": outID, "RegionId": "cn-hangzhou",
		"AccessKeyId": "testid", "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
	} {
		if g := got.q[k]; len(g) != 1 || g[0] != v {
			t.Errorf("param %s = %q, want %q", k, g, v)
		}
	}
	if len(got.q["Signature"]) != 1 || got.q["Signature"][0] == "" {
		t.Errorf("no Signature sent")
	}
	if _, ok := got.q["SecurityToken"]; ok {
		t.Errorf("SecurityToken sent without STS credentials")
	}
}

func TestEncryptWithoutOutIDOmitsIt(t *testing.T) {
	var sawOutID atomic.Bool
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["OutId"]; ok {
			sawOutID.Store(true)
		}
		echoHandler(w, r)
	}), nil)
	resp, err := c.Encrypt(context.Background(), Request{Number: testNumber})
	if err != nil {
		t.Fatal(err)
	}
	if sawOutID.Load() || resp.OutID != "" {
		t.Errorf("OutId sent or echoed for an empty OutID: sent=%v echoed=%q", sawOutID.Load(), resp.OutID)
	}
}

func TestEncryptSTSSendsSecurityToken(t *testing.T) {
	var tok atomic.Value
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok.Store(r.URL.Query().Get("SecurityToken"))
		echoHandler(w, r)
	}), func(cfg *Config) { cfg.SecurityToken = "sts-token" })
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatal(err)
	}
	if tok.Load() != "sts-token" {
		t.Errorf("SecurityToken = %v, want sts-token", tok.Load())
	}
}

type canned struct {
	status int
	header map[string]string
	body   string
}

func (cn canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range cn.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(cn.status)
	io := strings.NewReader(cn.body)
	_, _ = io.WriteTo(w)
}

func TestEncryptErrorAnswers(t *testing.T) {
	tests := []struct {
		name       string
		answer     canned
		code       string
		class      Class
		status     int
		requestID  string
		retryAfter time.Duration
		throttle   bool
	}{
		{"200 business code", canned{200, nil, `{"RequestId":"r1","Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"bad number 13812345678"}`},
			"isv.MOBILE_NUMBER_ILLEGAL", Permanent, 200, "r1", 0, false},
		{"200 AuthCodeIllegal", canned{200, nil, `{"RequestId":"r2","Code":"AuthCodeIllegal","Message":"auth code illegal"}`},
			"AuthCodeIllegal", Fatal, 200, "r2", 0, false},
		{"200 LimitControl", canned{200, map[string]string{"x-acs-retry-after": "250"}, `{"RequestId":"r3","Code":"System.LimitControl","Message":"flow"}`},
			"System.LimitControl", Retryable, 200, "r3", 250 * time.Millisecond, true},
		{"400 Throttling.User with retry-after", canned{400, map[string]string{"x-acs-retry-after": "1500"}, `{"RequestId":"r4","HostId":"h","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`},
			"Throttling.User", Retryable, 400, "r4", 1500 * time.Millisecond, true},
		{"400 Throttling retry-after capped", canned{400, map[string]string{"x-acs-retry-after": "99999999"}, `{"Code":"Throttling","Message":"x"}`},
			"Throttling", Retryable, 400, "", 60 * time.Second, true},
		{"400 InvalidParameter", canned{400, nil, `{"RequestId":"r5","Code":"InvalidParameter","Message":"InputNumber is invalid"}`},
			"InvalidParameter", Permanent, 400, "r5", 0, false},
		{"400 MissingInputNumber", canned{400, nil, `{"Code":"MissingInputNumber","Message":"InputNumber is mandatory"}`},
			"MissingInputNumber", Permanent, 400, "", 0, false},
		{"400 MissingAuthCode", canned{400, nil, `{"Code":"MissingAuthCode","Message":"AuthCode is mandatory"}`},
			"MissingAuthCode", Fatal, 400, "", 0, false},
		{"400 SignatureDoesNotMatch quoting toSign", canned{400, nil, `{"RequestId":"r6","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dtestid%26AuthCode%3D` + testAuthCode + `%26InputNumber%3D` + testNumber + `"}`},
			"SignatureDoesNotMatch", Fatal, 400, "r6", 0, false},
		{"400 InvalidTimeStamp.Expired", canned{400, nil, `{"Code":"InvalidTimeStamp.Expired","Message":"clock"}`},
			"InvalidTimeStamp.Expired", Fatal, 400, "", 0, false},
		{"400 SignatureNonceUsed", canned{400, nil, `{"Code":"SignatureNonceUsed","Message":"nonce"}`},
			"SignatureNonceUsed", Retryable, 400, "", 0, false},
		{"403 Permission.NotAuthorized", canned{403, nil, `{"Code":"Permission.NotAuthorized","Message":"no"}`},
			"Permission.NotAuthorized", Fatal, 403, "", 0, false},
		{"404 InvalidAccessKeyId.NotFound", canned{404, nil, `{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`},
			"InvalidAccessKeyId.NotFound", Fatal, 404, "", 0, false},
		{"500 InternalError", canned{500, nil, `{"RequestId":"r7","Code":"InternalError","Message":"oops"}`},
			"InternalError", Retryable, 500, "r7", 0, false},
		{"503 HTML", canned{503, map[string]string{"Content-Type": "text/html"}, `<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>`},
			CodeGarbled, Retryable, 503, "", 0, false},
		{"403 HTML from a WAF", canned{403, map[string]string{"Content-Type": "text/html"}, `<html>blocked</html>`},
			CodeGarbled, Fatal, 403, "", 0, false},
		{"429 empty body", canned{429, map[string]string{"Retry-After": "2"}, ``},
			CodeGarbled, Retryable, 429, "", 2 * time.Second, true},
		{"200 garbled", canned{200, nil, `{"RequestId":"r8","Code":"OK","Data":[{"Encrypted`},
			CodeGarbled, Retryable, 200, "", 0, false},
		{"200 empty body", canned{200, nil, ``},
			CodeGarbled, Retryable, 200, "", 0, false},
		{"200 no Code", canned{200, nil, `{"RequestId":"r9"}`},
			CodeGarbled, Retryable, 200, "r9", 0, false},
		{"200 OK empty Data", canned{200, nil, `{"RequestId":"r10","Code":"OK","Message":"OK","Data":[]}`},
			CodeEmpty, Retryable, 200, "r10", 0, false},
		{"200 OK blank EncryptedNumber", canned{200, nil, `{"RequestId":"r11","Code":"OK","Data":[{"EncryptedNumber":""}]}`},
			CodeEmpty, Retryable, 200, "r11", 0, false},
		{"200 numeric Code", canned{200, nil, `{"RequestId":"r12","Code":1001,"Message":"odd"}`},
			"1001", Permanent, 200, "r12", 0, false},
		{"400 numeric Code panics the SDK", canned{400, map[string]string{"x-acs-retry-after": "300"}, `{"RequestId":"r13","Code":400,"Message":"odd"}`},
			CodePanic, Retryable, 400, "", 300 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, tt.answer, nil)
			resp, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: "o1"})
			if err == nil {
				t.Fatalf("no error, response %+v", resp)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if e.Code != tt.code || e.Class != tt.class || e.HTTPStatus != tt.status || e.RequestID != tt.requestID || e.RetryAfter != tt.retryAfter {
				t.Errorf("got code=%q class=%v status=%d rid=%q retryAfter=%v\nwant code=%q class=%v status=%d rid=%q retryAfter=%v",
					e.Code, e.Class, e.HTTPStatus, e.RequestID, e.RetryAfter, tt.code, tt.class, tt.status, tt.requestID, tt.retryAfter)
			}
			if Classify(err) != tt.class {
				t.Errorf("Classify = %v, want %v", Classify(err), tt.class)
			}
			if IsThrottle(err) != tt.throttle {
				t.Errorf("IsThrottle = %v, want %v", IsThrottle(err), tt.throttle)
			}
			if resp != (Response{}) {
				t.Errorf("non-zero response with error: %+v", resp)
			}
			assertClean(t, "Error()", err.Error())
			assertClean(t, "Message", e.Message)
		})
	}
}

func TestPanicDiscardsSDKClientAndClientKeepsWorking(t *testing.T) {
	var numeric atomic.Bool
	numeric.Store(true)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if numeric.Load() {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"Code":123,"Message":"numeric"}`)
			return
		}
		echoHandler(w, r)
	}), nil)
	for i := 0; i < 3; i++ {
		_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodePanic {
			t.Fatalf("call %d: err = %v, want %s", i, err, CodePanic)
		}
	}
	if got := c.created.Load(); got != 3 {
		t.Errorf("created %d SDK clients for 3 panicking calls, want 3 (a panicked client must be discarded)", got)
	}
	if n := len(c.free); n != 0 {
		t.Errorf("free list holds %d clients after only panics, want 0", n)
	}
	numeric.Store(false)
	for i := 0; i < 3; i++ {
		if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
			t.Fatalf("after panics: %v", err)
		}
	}
	if got := c.created.Load(); got != 4 {
		t.Errorf("created = %d after 3 sequential good calls, want 4 (one reused client)", got)
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("reset", func(t *testing.T) {
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST instead of FIN
			}
			conn.Close()
		}), nil)
		_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
		checkTransport(t, err, CodeReset)
	})
	t.Run("timeout while waiting for headers", func(t *testing.T) {
		release := make(chan struct{})
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			stall(r, release)
		}), func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
		defer close(release)
		start := time.Now()
		_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
		checkTransport(t, err, CodeTimeout)
		if el := time.Since(start); el > 4*time.Second {
			t.Errorf("call took %v with a 150ms timeout", el)
		}
	})
	t.Run("timeout while reading the body", func(t *testing.T) {
		release := make(chan struct{})
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			fmt.Fprint(w, `{"Code":"OK",`)
			w.(http.Flusher).Flush()
			stall(r, release)
		}), func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
		defer close(release)
		_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
		checkTransport(t, err, CodeTimeout)
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, err := New(Config{Endpoint: addr, AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Encrypt(context.Background(), Request{Number: testNumber})
		checkTransport(t, err, CodeRefused)
	})
}

func checkTransport(t *testing.T, err error, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	if e.Code != code || e.Class != Retryable || e.HTTPStatus != 0 {
		t.Errorf("got code=%s class=%v status=%d (%v), want %s Retryable 0", e.Code, e.Class, e.HTTPStatus, err, code)
	}
	if e.Err == nil {
		t.Errorf("transport error without a cause")
	}
	assertClean(t, "Error()", err.Error())
	if e.Err != nil {
		assertClean(t, "cause", e.Err.Error())
	}
}

func TestEncryptRejectsLocally(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		echoHandler(w, r)
	}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		req   Request
		class Class
	}{
		{"cancelled", ctx, Request{Number: testNumber}, Fatal},
		{"empty number", context.Background(), Request{}, Permanent},
		{"OutId too long", context.Background(), Request{Number: testNumber, OutID: strings.Repeat("中", 65)}, Permanent},
	}
	for _, tt := range tests {
		_, err := c.Encrypt(tt.ctx, tt.req)
		if err == nil || Classify(err) != tt.class {
			t.Errorf("%s: err = %v class %v, want class %v", tt.name, err, Classify(err), tt.class)
		}
	}
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: strings.Repeat("中", 64)}); err != nil {
		t.Errorf("64-character OutId refused: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("server saw %d calls, want 1 (only the valid request)", n)
	}
}

func TestConcurrentEncryptReusesConnections(t *testing.T) {
	const workers, calls = 64, 2000
	srv, newConns, _ := countingServer(t, http.HandlerFunc(echoHandler))
	c, err := New(Config{Endpoint: srv.Listener.Addr().String(), AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= calls {
					return
				}
				num := fmt.Sprintf("139%08d", i)
				out := fmt.Sprintf("row-%d", i)
				resp, err := c.Encrypt(context.Background(), Request{Number: num, OutID: out})
				if err != nil {
					errs <- fmt.Errorf("call %d: %w", i, err)
					return
				}
				if resp.EncryptedNumber != fakeEncrypted(num) || resp.OutID != out {
					errs <- fmt.Errorf("call %d got someone else's answer: %+v", i, resp)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Go's transport may dial a spare while an idle conn frees up, hence the slack;
	// without a sized idle pool this would be hundreds.
	if n := newConns.Load(); n < 1 || n > 2*workers {
		t.Errorf("%d new connections for %d calls by %d workers, want 1..%d", n, calls, workers, 2*workers)
	}
	if n := c.created.Load(); n > workers {
		t.Errorf("created %d SDK clients for %d workers", n, workers)
	}
	t.Logf("%d calls, %d connections, %d SDK clients", calls, newConns.Load(), c.created.Load())
}

func TestLoopbackIgnoresProxyEnv(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(k, "http://127.0.0.1:1")
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	c, _ := newTestClient(t, http.HandlerFunc(echoHandler), nil)
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatalf("loopback call with a bogus HTTP_PROXY: %v", err)
	}
	if c.transport.Proxy != nil {
		t.Errorf("loopback transport has a proxy func")
	}
	real, err := New(Config{AuthCode: testAuthCode, AccessKeyID: "id", AccessKeySecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if real.transport.Proxy == nil {
		t.Errorf("real endpoint transport ignores proxy settings")
	}
}

func TestSchemeAndEndpoint(t *testing.T) {
	tests := []struct {
		endpoint, scheme string
		bad              bool
	}{
		{"", "https", false},
		{"dytnsapi.aliyuncs.com", "https", false},
		{"dytnsapi.aliyuncs.com:443", "https", false},
		{"127.0.0.1:8080", "http", false},
		{"127.9.9.9:8080", "http", false},
		{"localhost:8080", "http", false},
		{"LOCALHOST", "http", false},
		{"[::1]:8080", "http", false},
		{"10.0.0.1:80", "https", false},
		{"http://127.0.0.1:8080", "", true},
		{"https://dytnsapi.aliyuncs.com", "", true},
		{"127.0.0.1:8080/path", "", true},
		{"::1", "", true},
		{"host:0", "", true},
		{"host:http", "", true},
		{":8080", "", true},
	}
	for _, tt := range tests {
		c, err := New(Config{Endpoint: tt.endpoint, AuthCode: "a", AccessKeyID: "id", AccessKeySecret: "s"})
		if tt.bad {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("endpoint %q: err = %v, want *ConfigError", tt.endpoint, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("endpoint %q: %v", tt.endpoint, err)
			continue
		}
		if c.scheme != tt.scheme {
			t.Errorf("endpoint %q: scheme %q, want %q", tt.endpoint, c.scheme, tt.scheme)
		}
	}
}

// isolateCredentialEnv makes the credential chain (credentials.go) see nothing from
// this machine.
func isolateCredentialEnv(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
		"ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ECS_METADATA", "DEBUG"} {
		t.Setenv(k, "")
	}
}

func TestNewConfigErrors(t *testing.T) {
	isolateCredentialEnv(t)
	tests := []struct {
		name    string
		env     map[string]string
		cfg     Config
		mention []string
	}{
		{"no AuthCode", nil, Config{AccessKeyID: "id", AccessKeySecret: "secret-value"}, []string{"--auth-code", "DYTNS_AUTH_CODE"}},
		{"blank AuthCode", nil, Config{AuthCode: "  ", AccessKeyID: "id", AccessKeySecret: "secret-value"}, []string{"--auth-code"}},
		{"id without secret", nil, Config{AuthCode: "a", AccessKeyID: "id"}, []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET"}},
		{"token only", nil, Config{AuthCode: "a", SecurityToken: "t"}, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		{"secret without id", nil, Config{AuthCode: "a", AccessKeySecret: "secret-value"}, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		{"no credentials anywhere", nil, Config{AuthCode: "a"}, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"}},
		{"bad region", nil, Config{AuthCode: "a", Region: "cn hangzhou", AccessKeyID: "id", AccessKeySecret: "secret-value"}, []string{"region"}},
		{"DEBUG=sdk", map[string]string{"DEBUG": "tea,sdk"}, Config{AuthCode: "a", AccessKeyID: "id", AccessKeySecret: "secret-value"}, []string{"DEBUG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := New(tt.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			if ce.ExitCode() != 2 {
				t.Errorf("ExitCode = %d", ce.ExitCode())
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestDefaultCredentialChainFromEnv(t *testing.T) {
	isolateCredentialEnv(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-value")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
	var got atomic.Value
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		got.Store(q.Get("AccessKeyId") + "|" + q.Get("SecurityToken"))
		echoHandler(w, r)
	}), func(cfg *Config) { cfg.AccessKeyID, cfg.AccessKeySecret = "", "" })
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatal(err)
	}
	if got.Load() != "env-id|env-token" {
		t.Errorf("credentials sent = %v, want env-id|env-token", got.Load())
	}
}

func TestResponseDataAsObject(t *testing.T) {
	c, _ := newTestClient(t, canned{200, nil, `{"RequestId":"r","Code":"OK","Message":"OK","Data":{"EncryptedNumber":"14000000001","ExpireTime":"2030-01-01 00:00:00","OutId":"x"}}`}, nil)
	resp, err := c.Encrypt(context.Background(), Request{Number: testNumber, OutID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.EncryptedNumber != "14000000001" || resp.OutID != "x" {
		t.Errorf("resp = %+v", resp)
	}
}

// Guard against the JSON helper silently accepting nested values as strings.
func TestFlexStringRejectsObjects(t *testing.T) {
	var f flexString
	if err := json.Unmarshal([]byte(`{"a":1}`), &f); err == nil {
		t.Errorf("object accepted as string: %q", f)
	}
	if err := json.Unmarshal([]byte(`12.5`), &f); err != nil || f != "12.5" {
		t.Errorf("number: %q %v", f, err)
	}
}

// TestNoProxyListCostsNothingPerCall: the SDK would compile each NO_PROXY entry
// as a regexp on every call; a long list must not add per-call work.
func TestNoProxyListCostsNothingPerCall(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(echoHandler), nil)
	call := func() {
		if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
			t.Fatal(err)
		}
	}
	call()
	t.Setenv("no_proxy", "")
	t.Setenv("NO_PROXY", "")
	base := testing.AllocsPerRun(100, call)
	var hosts []string
	for i := range 20 {
		hosts = append(hosts, fmt.Sprintf("*.corp%d.example", i))
	}
	t.Setenv("NO_PROXY", strings.Join(hosts, ","))
	long := testing.AllocsPerRun(100, call)
	if long-base > 10 {
		t.Errorf("%.0f allocations per call with a 20-entry NO_PROXY, %.0f without", long, base)
	}
}
