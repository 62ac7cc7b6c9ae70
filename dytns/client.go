package dytns

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/dytnsapi"
)

// Defaults for Config's zero values.
const (
	DefaultEndpoint       = "dytnsapi.aliyuncs.com"
	DefaultRegion         = "cn-hangzhou"
	DefaultTimeout        = 10 * time.Second
	DefaultConnectTimeout = 3 * time.Second
	DefaultMaxConns       = 512
	maxOutIDRunes         = 64
)

// Config configures New.
type Config struct {
	Endpoint string // host[:port], no scheme; "" = DefaultEndpoint
	Region   string // "" = DefaultRegion
	AuthCode string // required

	// AccessKeyID and AccessKeySecret (plus SecurityToken for STS) select explicit
	// credentials; all empty = the chain Alibaba's own tools use (see credentials.go):
	// ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/ALIBABA_CLOUD_SECURITY_TOKEN, OIDC, the
	// aliyun CLI's config.json, ~/.alibabacloud/credentials, the ECS instance role,
	// ALIBABA_CLOUD_CREDENTIALS_URI.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Profile names the aliyun CLI profile (or credentials-file section) to use,
	// and only it; "" = ALIBABA_CLOUD_PROFILE, else the CLI's current profile.
	// Ignored with explicit credentials.
	Profile string

	Timeout        time.Duration // whole call, including reading the body; 0 = 10s
	ConnectTimeout time.Duration // TCP connect; 0 = 3s
	MaxConns       int           // idle connections kept per host; 0 = 512
	UserAgent      string        // appended to the SDK's User-Agent, e.g. "dytnsbatch/dev"
}

// Client calls PhoneNumberEncrypt through the V1 SDK. It is safe for concurrent use.
//
// The SDK client is not (DoAction rewrites its own timeout and transport settings on
// every call), so Client keeps a free list of SDK clients: each call checks one out,
// so an SDK client is only ever used by one goroutine at a time. Each SDK client owns
// one keep-alive connection through a connTransport (see conn.go for why), or, when
// the environment routes the endpoint through a proxy, all share one *http.Transport.
// Either way the SDK sees a RoundTripper that is not an *http.Transport, so its type
// assertions fail and it never mutates transport settings.
type Client struct {
	endpoint       string
	host           string // endpoint without the port
	region         string
	scheme         string
	authCode       string
	timeout        time.Duration
	connectTimeout time.Duration
	uaKey, uaValue string
	uaExtra        string
	creds          credentials.CredentialsProvider
	transport      *http.Transport
	// ownConns: each SDK client talks through its own connTransport (no proxy is
	// configured for the endpoint); otherwise all share transport.
	ownConns bool

	// account names whose quota and answers these are (see AccountID).
	account string

	free    chan *sdkClient
	newMu   sync.Mutex // SDK client construction touches package globals (dytnsapi.EndpointMap)
	created atomic.Int64
}

// sdkClient is one SDK client plus the RoundTripper that records its last response.
type sdkClient struct {
	api  *dytnsapi.Client
	rec  *recorder
	conn *connTransport // nil when calls go through the shared transport
}

// closeConn closes the SDK client's own connection, if it has one; only while no call
// is using sc.
func (sc *sdkClient) closeConn() {
	if sc.conn != nil {
		sc.conn.CloseIdleConnections()
	}
}

// recorder remembers the last response's status and headers so that Encrypt can read
// x-acs-retry-after even when the SDK panics or hides the response. Unsynchronised on
// purpose: its sdkClient is used by one goroutine at a time.
type recorder struct {
	rt     http.RoundTripper
	status int
	header http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err == nil {
		r.status, r.header = resp.StatusCode, resp.Header
	}
	return resp, err
}

func (r *recorder) reset() { r.status, r.header = 0, nil }

// New validates cfg, resolves credentials once and prepares the shared transport.
// Configuration problems come back as *ConfigError.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.AuthCode) == "" {
		return nil, configErrorf("no AuthCode: pass --auth-code or set DYTNS_AUTH_CODE (the authorization ID approved in the 号码百科 console)")
	}
	if debugPrintsRequests(os.Getenv("DEBUG")) {
		// The SDK's debug output prints every request URI, AuthCode and phone number
		// included, to stdout; that would leak personal data into terminals and logs.
		return nil, configErrorf("DEBUG=sdk makes the Alibaba Cloud SDK print every request (AuthCode and phone numbers included): unset DEBUG")
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	host, err := checkEndpoint(endpoint)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}
	region := cfg.Region
	if region == "" {
		region = DefaultRegion
	}
	if !validRegion(region) {
		return nil, configErrorf("region %q: only letters, digits, '-' and '_' are allowed", region)
	}
	c := &Client{
		endpoint:       endpoint,
		region:         region,
		scheme:         schemeFor(host),
		authCode:       cfg.AuthCode,
		timeout:        cfg.Timeout,
		connectTimeout: cfg.ConnectTimeout,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.connectTimeout <= 0 {
		c.connectTimeout = DefaultConnectTimeout
	}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	if k, v, ok := strings.Cut(strings.TrimSpace(cfg.UserAgent), "/"); ok && k != "" && v != "" && !strings.ContainsAny(k+v, " \t/") {
		c.uaKey, c.uaValue = k, v
	} else {
		c.uaExtra = strings.TrimSpace(cfg.UserAgent)
	}
	if c.creds, err = resolveCredentials(cfg); err != nil {
		return nil, err
	}
	c.account = cfg.AccessKeyID
	if a, ok := c.creds.(*credsAdapter); ok {
		a.mu.Lock()
		c.account = a.last.AccessKeyId // fetched once by resolveCredentials
		a.mu.Unlock()
		if strings.HasPrefix(c.account, "STS.") {
			// A temporary AccessKeyId changes at every refresh; where it comes from
			// (a role, a profile) is what stays.
			c.account = "sts:" + a.source
		}
	}
	c.transport = newTransport(host, c.connectTimeout, maxConns)
	c.ownConns = c.transport.Proxy == nil || noProxyFor(c.transport, c.scheme, endpoint)
	c.host = host
	c.free = make(chan *sdkClient, maxConns)
	return c, nil
}

func debugPrintsRequests(env string) bool {
	for _, p := range strings.Split(env, ",") {
		if p == "sdk" {
			return true
		}
	}
	return false
}

func validRegion(r string) bool {
	for _, ch := range r {
		if !(ch == '-' || ch == '_' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z') {
			return false
		}
	}
	return true
}

// checkEndpoint accepts host or host:port (IPv6 in brackets) and returns the host. A
// scheme is refused because the SDK would build "http://http://...".
func checkEndpoint(ep string) (string, error) {
	if strings.Contains(ep, "://") {
		return "", fmt.Errorf("endpoint %q: give host[:port] without a scheme (https is used automatically, http only for loopback)", ep)
	}
	if strings.ContainsAny(ep, "/?#@ \t\r\n") {
		return "", fmt.Errorf("endpoint %q: give host[:port] only", ep)
	}
	host := ep
	if strings.HasPrefix(ep, "[") || strings.Count(ep, ":") == 1 {
		h, port, err := net.SplitHostPort(ep)
		if err != nil {
			return "", fmt.Errorf("endpoint %q: %w", ep, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("endpoint %q: bad port %q", ep, port)
		}
		host = h
	} else if strings.Contains(ep, ":") {
		return "", fmt.Errorf("endpoint %q: put an IPv6 address in brackets, e.g. [::1]:8080", ep)
	}
	if host == "" {
		return "", fmt.Errorf("endpoint %q: empty host", ep)
	}
	return host, nil
}

// isLoopback: the sandbox runs on loopback, where plain HTTP is safe and no proxy may
// be used; everything else is the real service over HTTPS.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func schemeFor(host string) string {
	if isLoopback(host) {
		return "http"
	}
	return "https"
}

func newTransport(host string, connectTimeout time.Duration, maxConns int) *http.Transport {
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if isLoopback(host) {
		// A corporate HTTP_PROXY must never see (or break) sandbox traffic.
		t.Proxy = nil
	}
	return t
}

// noProxyFor: the environment's proxy settings do not route the endpoint through a
// proxy, so calls may use connTransport, which never speaks to proxies.
func noProxyFor(t *http.Transport, scheme, endpoint string) bool {
	u, err := t.Proxy(&http.Request{URL: &url.URL{Scheme: scheme, Host: endpoint}})
	return err == nil && u == nil
}

// CredentialSource says where the credentials come from (e.g. `aliyun CLI profile
// "batch" (mode CloudSSO) in ~/.aliyun/config.json`), without secrets: a user with
// several accounts should see which one pays.
func (c *Client) CredentialSource() string {
	if a, ok := c.creds.(*credsAdapter); ok {
		return a.source
	}
	return "explicit AccessKey"
}

// AccountID is the AccessKeyId the calls are signed with (for temporary STS
// credentials, their source instead): what keeps one account's stored answers apart
// from another's. Not a secret, but not for logs either.
func (c *Client) AccountID() string { return c.account }

// Close closes idle connections. The Client stays usable; new calls dial again.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
	var idle []*sdkClient
	for len(idle) < cap(c.free) {
		select {
		case sc := <-c.free:
			sc.closeConn()
			idle = append(idle, sc)
			continue
		default:
		}
		break
	}
	for _, sc := range idle {
		c.put(sc)
	}
}

func (c *Client) newSDKClient() (*sdkClient, error) {
	c.newMu.Lock()
	defer c.newMu.Unlock()
	var conn *connTransport
	rec := &recorder{rt: c.transport}
	if c.ownConns {
		conn = newConnTransport(c.scheme, c.endpoint, c.host, c.connectTimeout, c.timeout, c.transport)
		rec.rt = conn
	}
	conf := sdk.NewConfig()
	conf.AutoRetry = false // the caller retries, through its rate limiter
	conf.Scheme = c.scheme
	conf.Transport = rec
	conf.Timeout = c.timeout
	if c.uaExtra != "" {
		conf.UserAgent = c.uaExtra
	}
	api, err := dytnsapi.NewClientWithOptions(c.region, conf, c.creds)
	if err != nil {
		return nil, err
	}
	// The SDK copies the read timeout into http.Client.Timeout on every call, which
	// bounds the whole call including the body; the connect timeout lives on our dialer
	// because the SDK only applies its own to a bare *http.Transport.
	//
	// With a connTransport the timeout is enforced there instead (as a deadline on the
	// connection, body included) and the http.Client gets a negative one, which net/http
	// treats as none: a positive Timeout on a RoundTripper that is not net/http's own
	// makes every call start a timer goroutine and a deadline context, ~10 µs per call.
	api.SetReadTimeout(c.timeout)
	if conn != nil {
		api.SetReadTimeout(-1)
	}
	api.SetConnectTimeout(c.connectTimeout)
	if c.uaKey != "" {
		api.AppendUserAgent(c.uaKey, c.uaValue)
	}
	// DoAction compiles every NO_PROXY entry as a regexp on every call (until
	// one matches the host), only to decide whether to set a proxy on an
	// *http.Transport, which its RoundTripper never is here: proxies are our
	// transport's business (newTransport). A corporate NO_PROXY of 20 entries
	// would cost ~40 µs a call. "*" is one cheap pattern that matches at once.
	api.SetNoProxy("*")
	c.created.Add(1)
	return &sdkClient{api: api, rec: rec, conn: conn}, nil
}

func (c *Client) get() (*sdkClient, error) {
	select {
	case sc := <-c.free:
		return sc, nil
	default:
		return c.newSDKClient()
	}
}

func (c *Client) put(sc *sdkClient) {
	select {
	case c.free <- sc:
	default: // more idle SDK clients than we keep connections for: let it go
		sc.closeConn()
	}
}

// Encrypt calls PhoneNumberEncrypt once. See Encrypter for the contract; failures are
// *Error (or ctx.Err() when ctx is already done).
func (c *Client) Encrypt(ctx context.Context, req Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	if req.Number == "" {
		return Response{}, &Error{Code: CodeBadRequest, Message: "empty phone number", Class: Permanent}
	}
	if n := utf8.RuneCountInString(req.OutID); n > maxOutIDRunes {
		return Response{}, &Error{Code: CodeBadRequest, Message: fmt.Sprintf("OutId has %d characters, the API accepts at most %d", n, maxOutIDRunes), Class: Permanent}
	}
	sc, err := c.get()
	if err != nil {
		return Response{}, &Error{Code: CodeSDK, Message: "create SDK client: " + sanitize(err.Error(), c.authCode, req.Number), Class: Fatal}
	}
	r := dytnsapi.CreatePhoneNumberEncryptRequest()
	r.Scheme = c.scheme
	r.Domain = c.endpoint
	r.RegionId = c.region
	r.AuthCode = c.authCode
	r.InputNumber = req.Number
	r.Mask = "NORMAL"
	if req.OutID != "" {
		r.QueryParams["OutId"] = req.OutID // no OutId field in the SDK request; query params are signed
	}
	sc.rec.reset()
	resp, err, panicVal := call(sc.api, r)
	if panicVal != nil {
		// The SDK client may be half-way through mutating itself: drop it.
		sc.closeConn()
		return Response{}, &Error{
			Code:       CodePanic,
			Message:    sanitize(fmt.Sprintf("SDK panicked on the response: %v", panicVal), c.authCode, req.Number),
			HTTPStatus: sc.rec.status,
			RetryAfter: retryAfter(sc.rec.header),
			Class:      Retryable,
			Err:        fmt.Errorf("sdk panic: %v", panicVal),
		}
	}
	status, header := sc.rec.status, sc.rec.header
	c.put(sc)
	return c.result(req, resp, err, status, header)
}

// call sends r through the SDK's DoAction, which is what api.PhoneNumberEncrypt does,
// but with a CommonResponse: the SDK then skips its reflective decode into the typed
// response, which we never read (decode parses the body more forgivingly).
func call(api *dytnsapi.Client, r *dytnsapi.PhoneNumberEncryptRequest) (resp *responses.CommonResponse, err error, panicVal any) {
	defer func() {
		if p := recover(); p != nil {
			panicVal = p
		}
	}()
	resp = responses.NewCommonResponse()
	err = api.DoAction(r, resp)
	return resp, err, nil
}

func (c *Client) result(req Request, resp *responses.CommonResponse, err error, status int, header http.Header) (Response, error) {
	if err != nil {
		var se *sdkerrors.ServerError
		var ce *sdkerrors.ClientError
		var credErr *credentialError
		switch {
		case errors.As(err, &se):
			// Err stays nil: ServerError.Error() quotes the raw body and headers.
			code := se.ErrorCode()
			msg := se.Message()
			if code == "" {
				code = CodeGarbled
				msg = "non-JSON error body: " + msg
			}
			return Response{}, &Error{
				Code:       code,
				Message:    sanitize(msg, c.authCode, req.Number),
				RequestID:  se.RequestId(),
				HTTPStatus: se.HttpStatus(),
				RetryAfter: retryAfter(header),
				Class:      classifyCode(code, se.HttpStatus()),
			}
		case errors.As(err, &credErr):
			// Signing failed before anything was sent: every row would fail alike.
			return Response{}, &Error{Code: CodeCredentials, Message: sanitize(credErr.Error(), c.authCode, req.Number), Class: Fatal, Err: credErr}
		case errors.As(err, &ce) && ce.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode && resp != nil && resp.GetHttpStatus()/100 == 2:
			// The SDK's typed decode failed; ours is more forgiving and reports better.
		case errors.As(err, &ce) && ce.OriginError() != nil:
			return Response{}, c.transportError(req, ce.OriginError())
		case errors.As(err, &ce):
			return Response{}, &Error{Code: CodeSDK, Message: sanitize(ce.Message(), c.authCode, req.Number), Class: Fatal}
		default:
			return Response{}, c.transportError(req, err)
		}
	}
	if resp == nil {
		return Response{}, &Error{Code: CodeEmpty, Message: "the SDK returned no response", HTTPStatus: status, Class: Retryable}
	}
	return c.decode(req, resp.GetHttpContentString(), resp.GetHttpContentBytes(), resp.GetHttpStatus(), header)
}

// flexString accepts a JSON string, number, bool or null: the gateway has been seen
// to send Code as a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return fmt.Errorf("expected a scalar, got %.20s", b)
	default:
		*f = flexString(b)
	}
	return nil
}

type wireItem struct {
	EncryptedNumber flexString `json:"EncryptedNumber"`
	ExpireTime      flexString `json:"ExpireTime"`
	OutID           flexString `json:"OutId"`
}

// wireData accepts Data as a list (documented) or a single object.
type wireData []wireItem

func (d *wireData) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var it wireItem
		if err := json.Unmarshal(b, &it); err != nil {
			return err
		}
		*d = wireData{it}
		return nil
	}
	var items []wireItem
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	*d = items
	return nil
}

type wireBody struct {
	RequestID flexString `json:"RequestId"`
	Code      flexString `json:"Code"`
	Message   flexString `json:"Message"`
	Data      wireData   `json:"Data"`
}

// parseBody: the common shape without reflection, anything else through encoding/json.
func parseBody(text string, body []byte) (wireBody, error) {
	var w wireBody
	if parseFast(text, body, &w) {
		return w, nil
	}
	w = wireBody{} // parseFast may have filled some fields before giving up
	err := json.Unmarshal(body, &w)
	return w, err
}

// decode reads the body; text and body hold the same bytes (the SDK keeps both), so
// the fast path can return substrings of text without copying.
func (c *Client) decode(req Request, text string, body []byte, status int, header http.Header) (Response, error) {
	w, err := parseBody(text, body)
	if err != nil { // a blank body fails to parse too
		what := "empty body"
		if len(bytes.TrimSpace(body)) > 0 {
			what = fmt.Sprintf("body is not the expected JSON (%d bytes): %s", len(body), body)
		}
		return Response{}, &Error{
			Code:       CodeGarbled,
			Message:    sanitize(what, c.authCode, req.Number),
			HTTPStatus: status,
			RetryAfter: retryAfter(header),
			Class:      garbledClass(status),
			Err:        err,
		}
	}
	code := string(w.Code)
	if code != "OK" {
		e := &Error{
			Code:       code,
			Message:    sanitize(string(w.Message), c.authCode, req.Number),
			RequestID:  string(w.RequestID),
			HTTPStatus: status,
			RetryAfter: retryAfter(header),
			Class:      classifyCode(code, status),
		}
		if code == "" {
			e.Code, e.Class = CodeGarbled, Retryable
			e.Message = "JSON body without Code"
		}
		return Response{}, e
	}
	if len(w.Data) == 0 || w.Data[0].EncryptedNumber == "" {
		return Response{}, &Error{
			Code:       CodeEmpty,
			Message:    "Code OK but no encrypted number in Data",
			RequestID:  string(w.RequestID),
			HTTPStatus: status,
			RetryAfter: retryAfter(header),
			Class:      Retryable,
		}
	}
	d := w.Data[0]
	return Response{
		EncryptedNumber: string(d.EncryptedNumber),
		ExpireTime:      string(d.ExpireTime),
		OutID:           string(d.OutID),
		Code:            code,
		Message:         string(w.Message),
		RequestID:       string(w.RequestID),
	}, nil
}

// transportError turns a failed round trip into an *Error. The *url.Error the
// http.Client returns quotes the full URL (AuthCode, number, signature), so only its
// inner cause is kept.
func (c *Client) transportError(req Request, err error) *Error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		inner = ue.Err
	}
	e := &Error{Code: CodeTransport, Class: Retryable, Err: inner}
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		e.Code, e.Class = CodeTLS, Fatal
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Code = CodeRefused
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		e.Code = CodeTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.Code = CodeReset
	}
	e.Message = sanitize(inner.Error(), c.authCode, req.Number)
	return e
}

// retryAfter reads the server's back-off hint: x-acs-retry-after (ms, the CLI honours
// it), x-ratelimit-user-api's TimeLeft (ms, V2 SDKs) or a standard Retry-After in
// seconds. Capped so a broken header cannot park the run.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	ms := 0.0
	if v := strings.TrimSpace(h.Get("x-acs-retry-after")); v != "" {
		ms, _ = strconv.ParseFloat(v, 64)
	} else if v := h.Get("x-ratelimit-user-api"); v != "" {
		for _, part := range strings.Split(v, ",") {
			if left, ok := strings.CutPrefix(strings.TrimSpace(part), "TimeLeft:"); ok {
				ms, _ = strconv.ParseFloat(strings.TrimSpace(left), 64)
			}
		}
	} else if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			ms = s * 1000
		}
	}
	switch {
	case !(ms > 0): // also NaN
		return 0
	case ms >= float64(maxRetryAfter/time.Millisecond):
		return maxRetryAfter
	}
	return time.Duration(ms * float64(time.Millisecond))
}
