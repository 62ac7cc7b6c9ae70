// Package sandbox is a strict, fast, local emulator of the Alibaba Cloud
// Dytnsapi PhoneNumberEncrypt API (version 2020-02-17). It speaks the real
// RPC wire protocol (signature version 1), so official clients work against
// it unchanged, and it can throttle, add latency and inject faults.
//
// Encrypted numbers: the 140 number for (AccessKeyId, number) is
// "140" + 8 digits taken from HMAC-SHA256(Config.Secret, key, number, epoch),
// where epoch = floor(now / Validity). Within one epoch the same number always
// gets the same 140 number, and ExpireTime is the end of that epoch (Beijing
// time), so a number asked for again before its ExpireTime gets the same
// answer with the same ExpireTime, and a fresh one afterwards. A call near the
// end of an epoch therefore gets a short remaining validity, as a real
// binding issued earlier would. Different numbers may collide on the same
// 140 number (8 digits of space); treat it as opaque.
//
// Billing: only answers carrying Code "OK" that were actually written are
// billed. Throttled, rejected, faulted and reset calls are not; a slow call
// that finally answers OK is billed, one whose client left first is not.
package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Wire constants of the emulated API.
const (
	Action  = "PhoneNumberEncrypt"
	Version = "2020-02-17"

	// StatsPath serves Stats as JSON (GET, no signature needed).
	StatsPath = "/_sandbox/stats"
	// ResetPath resets the counters (POST, no signature needed).
	ResetPath = "/_sandbox/reset"
)

// Window kinds for Config.Window.
const (
	WindowFixed   = "fixed"
	WindowSliding = "sliding"
)

// Error modes for Config.ErrorMode.
const (
	ErrorModeStatus = "status"
	ErrorModeBody   = "body"
)

const (
	timestampLayout = "2006-01-02T15:04:05Z"
	expireLayout    = "2006-01-02 15:04:05"
	timestampWindow = 15 * time.Minute
	maxBodyBytes    = 64 << 10
)

var beijing = time.FixedZone("CST", 8*3600)

// AccessKey is one credential the sandbox accepts. A non-empty
// SecurityToken makes it an STS credential: calls must carry that token.
type AccessKey struct {
	ID            string
	Secret        string
	SecurityToken string
}

// Config tunes the sandbox. Start from DefaultConfig; zero values of
// strings and durations fall back to the defaults, except QPS where 0 means
// unlimited and the fault rates where 0 means never.
type Config struct {
	AccessKeys []AccessKey
	AuthCodes  []string

	// Secret keys the derivation of 140 numbers; without it they cannot be
	// mapped back to the original numbers.
	Secret string
	// Validity is how long a 140 number lives (default 72h).
	Validity time.Duration

	QPS          int    // per AccessKeyId; 0 = unlimited
	Window       string // WindowFixed (default) or WindowSliding
	ThrottleCode string // default "System.LimitControl"

	Latency time.Duration // base service time of an admitted call
	Jitter  time.Duration // uniform in [-Jitter, +Jitter], total clamped ≥ 0

	ErrorMode string // ErrorModeStatus (default) or ErrorModeBody

	// Fault probabilities per admitted call; their sum must be ≤ 1.
	FaultInternal    float64 // 500 InternalError
	FaultTimeout     float64 // 500 RequestTimeout
	FaultUnavailable float64 // 503 ServiceUnavailable with an HTML body
	FaultReset       float64 // TCP reset, no answer
	FaultSlow        float64 // answer only after SlowDelay
	SlowDelay        time.Duration
	Seed             int64

	// Now is the server clock (default time.Now). Latency and slow delays
	// always use real time.
	Now func() time.Time
}

// Default sandbox credentials: printed by the sandbox command and used by
// the embedded sandbox of `encrypt --sandbox`. They protect nothing.
const (
	DefaultAccessKeyID     = "sandbox-key-id"
	DefaultAccessKeySecret = "sandbox-key-secret"
	DefaultAuthCode        = "sandbox-auth-code"
	DefaultSecret          = "dytnsbatch-sandbox-derivation-secret"
	DefaultQPS             = 1000
	DefaultValidity        = 72 * time.Hour
	DefaultSlowDelay       = 30 * time.Second
	DefaultThrottleCode    = "System.LimitControl"
)

// DefaultConfig returns the configuration of a plain sandbox: default
// credentials and auth code, 1000 QPS fixed windows, no latency, no faults.
func DefaultConfig() Config {
	return Config{
		AccessKeys:   []AccessKey{{ID: DefaultAccessKeyID, Secret: DefaultAccessKeySecret}},
		AuthCodes:    []string{DefaultAuthCode},
		Secret:       DefaultSecret,
		Validity:     DefaultValidity,
		QPS:          DefaultQPS,
		Window:       WindowFixed,
		ThrottleCode: DefaultThrottleCode,
		ErrorMode:    ErrorModeStatus,
		SlowDelay:    DefaultSlowDelay,
		Seed:         1,
		Now:          time.Now,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if len(c.AccessKeys) == 0 {
		return errors.New("no access key configured")
	}
	for i, k := range c.AccessKeys {
		if k.ID == "" || k.Secret == "" {
			return fmt.Errorf("access key %d: empty id or secret", i)
		}
	}
	if len(c.AuthCodes) == 0 {
		return errors.New("no auth code configured")
	}
	switch c.Window {
	case "", WindowFixed, WindowSliding:
	default:
		return fmt.Errorf("window %q: want %q or %q", c.Window, WindowFixed, WindowSliding)
	}
	switch c.ErrorMode {
	case "", ErrorModeStatus, ErrorModeBody:
	default:
		return fmt.Errorf("error mode %q: want %q or %q", c.ErrorMode, ErrorModeStatus, ErrorModeBody)
	}
	if c.QPS < 0 {
		return fmt.Errorf("qps %d: must be ≥ 0", c.QPS)
	}
	if c.Latency < 0 || c.Jitter < 0 || c.SlowDelay < 0 || c.Validity < 0 {
		return errors.New("latency, jitter, slow delay and validity must be ≥ 0")
	}
	sum := 0.0
	for _, r := range []struct {
		name string
		v    float64
	}{{"internal", c.FaultInternal}, {"timeout", c.FaultTimeout}, {"unavailable", c.FaultUnavailable}, {"reset", c.FaultReset}, {"slow", c.FaultSlow}} {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("fault rate %s %v: want a probability in [0,1]", r.name, r.v)
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("fault rates sum to %v: must be ≤ 1", sum)
	}
	return nil
}

// Sandbox is the emulator; it is an http.Handler safe for concurrent use.
type Sandbox struct {
	cfg       Config
	keys      map[string]AccessKey
	authCodes map[string]struct{}
	limiters  map[string]*limiter // read-only after New
	nonces    *nonceStore
	stats     *counters
	now       func() time.Time

	// fault thresholds on one uniform draw, cumulative.
	tReset, tUnavail, tInternal, tTimeout, tSlow float64

	rngBase uint64
	rngCtr  atomic.Uint64
	idBase  uint64
	idCtr   atomic.Uint64
}

// New builds a sandbox. It panics if cfg does not Validate: configurations
// come from code or from flags that Command validates first.
func New(cfg Config) *Sandbox {
	if err := cfg.Validate(); err != nil {
		panic("sandbox: invalid config: " + err.Error())
	}
	if cfg.Window == "" {
		cfg.Window = WindowFixed
	}
	if cfg.ErrorMode == "" {
		cfg.ErrorMode = ErrorModeStatus
	}
	if cfg.ThrottleCode == "" {
		cfg.ThrottleCode = DefaultThrottleCode
	}
	if cfg.Validity == 0 {
		cfg.Validity = DefaultValidity
	}
	if cfg.SlowDelay == 0 {
		cfg.SlowDelay = DefaultSlowDelay
	}
	if cfg.Secret == "" {
		cfg.Secret = DefaultSecret
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sandbox{
		cfg:       cfg,
		keys:      make(map[string]AccessKey, len(cfg.AccessKeys)),
		authCodes: make(map[string]struct{}, len(cfg.AuthCodes)),
		limiters:  make(map[string]*limiter, len(cfg.AccessKeys)),
		nonces:    newNonceStore(timestampWindow),
		now:       cfg.Now,
		rngBase:   uint64(cfg.Seed) * 0x9E3779B97F4A7C15,
	}
	for _, k := range cfg.AccessKeys {
		s.keys[k.ID] = k
		s.limiters[k.ID] = newLimiter(cfg.QPS, cfg.Window == WindowSliding)
	}
	for _, c := range cfg.AuthCodes {
		s.authCodes[c] = struct{}{}
	}
	s.tReset = cfg.FaultReset
	s.tUnavail = s.tReset + cfg.FaultUnavailable
	s.tInternal = s.tUnavail + cfg.FaultInternal
	s.tTimeout = s.tInternal + cfg.FaultTimeout
	s.tSlow = s.tTimeout + cfg.FaultSlow

	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms
	s.idBase = binary.LittleEndian.Uint64(b[:])
	s.stats = newCounters(append(knownCodes(), cfg.ThrottleCode))
	return s
}

// Config returns the effective configuration (defaults filled in).
func (s *Sandbox) Config() Config { return s.cfg }

// Stats returns a snapshot of the counters.
func (s *Sandbox) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counters (not the throttle windows or nonces).
func (s *Sandbox) ResetStats() { s.stats.reset() }

// apiError is one refusal: gateway errors always travel with their HTTP
// status; business errors follow Config.ErrorMode.
type apiError struct {
	status   int
	code     string
	msg      string
	business bool
}

const (
	codeSignature      = "SignatureDoesNotMatch"
	codeKeyNotFound    = "InvalidAccessKeyId.NotFound"
	codeTSExpired      = "InvalidTimeStamp.Expired"
	codeTSFormat       = "InvalidTimeStamp.Format"
	codeNonceUsed      = "SignatureNonceUsed"
	codeActionNotFound = "InvalidAction.NotFound"
	codeVersion        = "InvalidVersion"
	codeTokenMissing   = "InvalidSecurityToken.Missing"
	codeTokenMismatch  = "InvalidSecurityToken.MismatchWithAccessKey"
	codeSigMethod      = "InvalidSignatureMethod"
	codeSigVersion     = "InvalidSignatureVersion"
	codeFormat         = "InvalidParameter.Format"
	codeInvalidParam   = "InvalidParameter"
	codeAuthCode       = "AuthCodeIllegal"
	codeInternal       = "InternalError"
	codeTimeout        = "RequestTimeout"
	codeUnavailable    = "ServiceUnavailable"
	codeReset          = "ConnectionReset"
	codeMethod         = "UnsupportedHTTPMethod"
	codePath           = "InvalidPath.NotFound"
)

// requiredCommon lists the common parameters every call must carry, in the
// order their absence is reported.
var requiredCommon = []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Format"}

// requiredAPI lists PhoneNumberEncrypt's required parameters.
var requiredAPI = []string{"AuthCode", "InputNumber", "Mask"}

func knownCodes() []string {
	codes := []string{codeSignature, codeKeyNotFound, codeTSExpired, codeTSFormat, codeNonceUsed,
		codeActionNotFound, codeVersion, codeTokenMissing, codeTokenMismatch, codeSigMethod,
		codeSigVersion, codeFormat, codeInvalidParam, codeAuthCode, codeInternal, codeTimeout,
		codeUnavailable, codeReset, codeMethod, codePath}
	for _, p := range append(append([]string{}, requiredCommon...), requiredAPI...) {
		codes = append(codes, "Missing"+p)
	}
	return codes
}

func missing(name string) *apiError {
	return &apiError{status: 400, code: "Missing" + name,
		msg: fmt.Sprintf("The input parameter %q that is mandatory for processing this request is not supplied.", name)}
}

// ServeHTTP answers one call: authenticate, throttle, wait, maybe fault,
// validate, encrypt.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveAdmin(w, r) {
		return
	}
	s.stats.requests.Add(1)
	reqID := s.newRequestID()
	now := s.now()

	params, key, aerr := s.authenticate(r, now)
	if aerr != nil {
		s.stats.rejected.Add(1)
		s.writeError(w, r, reqID, aerr)
		return
	}
	// The gateway checks the API's required parameters before flow
	// control, so a call missing one costs no quota.
	if aerr := missingAPIParam(params); aerr != nil {
		s.writeError(w, r, reqID, aerr)
		return
	}
	if !s.admit(w, r, reqID, key.ID, now) {
		return
	}

	ctx := r.Context()
	if d := s.latency(); d > 0 && !sleepCtx(ctx, d) {
		s.abort()
	}
	now, answered := s.injectFault(ctx, w, r, reqID, now)
	if answered {
		return
	}

	if berr := s.checkBusiness(params); berr != nil {
		s.writeError(w, r, reqID, berr)
		return
	}
	if ctx.Err() != nil {
		s.abort()
	}
	s.writeSuccess(w, reqID, key.ID, params, now)
}

// serveAdmin answers the sandbox's own paths (stats and their reset), which
// are not API calls and count in no statistic; it reports whether r was one.
func (s *Sandbox) serveAdmin(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case StatsPath:
		s.serveStats(w, r)
		return true
	case ResetPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return true
		}
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// missingAPIParam reports the first of PhoneNumberEncrypt's required
// parameters that params lacks, or nil.
func missingAPIParam(params url.Values) *apiError {
	for _, p := range requiredAPI {
		if params.Get(p) == "" {
			return missing(p)
		}
	}
	return nil
}

// admit applies the key's flow control; a call over the limit is answered
// with the throttle error and the retry hints clients read
// (x-acs-retry-after, x-ratelimit-user-api), and admit returns false.
func (s *Sandbox) admit(w http.ResponseWriter, r *http.Request, reqID, keyID string, now time.Time) bool {
	ok, retry := s.limiters[keyID].admit(now)
	if ok {
		return true
	}
	s.stats.throttled.Add(1)
	ms := (retry + time.Millisecond - 1) / time.Millisecond
	if ms < 1 {
		ms = 1
	}
	msStr := strconv.FormatInt(int64(ms), 10)
	w.Header().Set("x-acs-retry-after", msStr)
	w.Header().Set("x-ratelimit-user-api", "Limit:"+strconv.Itoa(s.cfg.QPS)+",Remain:0,TimeLeft:"+msStr)
	s.writeError(w, r, reqID, &apiError{status: 400, code: s.cfg.ThrottleCode,
		msg: "Request was denied due to user flow control."})
	return false
}

// injectFault draws the configured faults: a reset connection, a 503, a 500
// internal error or timeout (each answered here, answered true), or a slow
// answer, after which the call goes on at the later time it returns.
func (s *Sandbox) injectFault(ctx context.Context, w http.ResponseWriter, r *http.Request, reqID string, now time.Time) (later time.Time, answered bool) {
	switch u := s.uniform(); {
	case u < s.tReset:
		s.stats.fail(codeReset)
		resetConn(w)
		return now, true
	case u < s.tUnavail:
		s.stats.fail(codeUnavailable)
		writeUnavailable(w, reqID)
		return now, true
	case u < s.tInternal:
		s.writeError(w, r, reqID, &apiError{status: 500, code: codeInternal,
			msg: "The request processing has failed due to some unknown error, exception or failure."})
		return now, true
	case u < s.tTimeout:
		s.writeError(w, r, reqID, &apiError{status: 500, code: codeTimeout,
			msg: "The request encounters an upstream server timeout."})
		return now, true
	case u < s.tSlow:
		s.stats.slow.Add(1)
		if !sleepCtx(ctx, s.cfg.SlowDelay) {
			s.abort()
		}
		return s.now(), false
	}
	return now, false
}

// abort drops the call without an answer; net/http closes the connection
// and does not log http.ErrAbortHandler.
func (s *Sandbox) abort() {
	s.stats.canceled.Add(1)
	panic(http.ErrAbortHandler)
}

func (s *Sandbox) authenticate(r *http.Request, now time.Time) (url.Values, AccessKey, *apiError) {
	var key AccessKey
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, key, &apiError{status: 405, code: codeMethod, msg: "The HTTP method " + r.Method + " is not supported; use GET or POST."}
	}
	if r.URL.Path != "/" {
		return nil, key, &apiError{status: 404, code: codePath, msg: "The specified path is not found; RPC calls go to \"/\"."}
	}
	params, err := readParams(r)
	if err != nil {
		return nil, key, &apiError{status: 400, code: codeInvalidParam, msg: err.Error()}
	}
	for _, p := range requiredCommon {
		if params.Get(p) == "" {
			return nil, key, missing(p)
		}
	}
	if a := params.Get("Action"); a != Action {
		return nil, key, &apiError{status: 404, code: codeActionNotFound, msg: "Specified api is not found, please check your url and method."}
	}
	if params.Get("Version") != Version {
		return nil, key, &apiError{status: 400, code: codeVersion, msg: "Specified parameter Version is not valid."}
	}
	if !strings.EqualFold(params.Get("Format"), "JSON") {
		return nil, key, &apiError{status: 400, code: codeFormat, msg: "Specified parameter Format is not valid; this sandbox answers JSON only."}
	}
	if !strings.EqualFold(params.Get("SignatureMethod"), "HMAC-SHA1") {
		return nil, key, &apiError{status: 400, code: codeSigMethod, msg: "Specified signature method is not supported."}
	}
	if params.Get("SignatureVersion") != "1.0" {
		return nil, key, &apiError{status: 400, code: codeSigVersion, msg: "Specified signature version is not supported."}
	}
	ts, err := time.Parse(timestampLayout, params.Get("Timestamp"))
	if err != nil {
		return nil, key, &apiError{status: 400, code: codeTSFormat, msg: "Specified time stamp or date value is not well formatted."}
	}
	if d := now.Sub(ts); d > timestampWindow || d < -timestampWindow {
		return nil, key, &apiError{status: 400, code: codeTSExpired, msg: "Specified time stamp or date value is expired."}
	}
	key, ok := s.keys[params.Get("AccessKeyId")]
	if !ok {
		return nil, key, &apiError{status: 404, code: codeKeyNotFound, msg: "Specified access key is not found."}
	}
	toSign := StringToSign(r.Method, params)
	if !hmac.Equal([]byte(Sign(toSign, key.Secret)), []byte(params.Get("Signature"))) {
		return nil, key, &apiError{status: 400, code: codeSignature,
			msg: "Specified signature is not matched with our calculation. server string to sign is:" + toSign}
	}
	tok, hasTok := params["SecurityToken"]
	switch {
	case key.SecurityToken != "" && (!hasTok || tok[0] == ""):
		return nil, key, &apiError{status: 400, code: codeTokenMissing, msg: "The SecurityToken of this AccessKeyId is not supplied."}
	case hasTok && !hmac.Equal([]byte(tok[0]), []byte(key.SecurityToken)):
		return nil, key, &apiError{status: 400, code: codeTokenMismatch, msg: "The SecurityToken does not match the AccessKeyId."}
	}
	// The nonce is consumed only by authentic calls, so forged requests
	// cannot burn a legitimate client's nonces.
	if !s.nonces.use(key.ID, params.Get("SignatureNonce"), now) {
		return nil, key, &apiError{status: 400, code: codeNonceUsed, msg: "Specified signature nonce was used already."}
	}
	return params, key, nil
}

// readParams merges the query string and a form body, both decoded. A name
// given twice is refused: the signature would be ambiguous.
func readParams(r *http.Request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("malformed query string: %w", err)
	}
	for k, v := range params {
		if len(v) > 1 {
			return nil, fmt.Errorf("parameter %q given %d times", k, len(v))
		}
	}
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return params, nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return params, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return params, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("body larger than %d bytes", maxBodyBytes)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("malformed form body: %w", err)
	}
	for k, v := range form {
		if len(v) > 1 || params.Has(k) {
			return nil, fmt.Errorf("parameter %q given more than once", k)
		}
		params[k] = v
	}
	return params, nil
}

func (s *Sandbox) checkBusiness(p url.Values) *apiError {
	if _, ok := s.authCodes[p.Get("AuthCode")]; !ok {
		return &apiError{status: 400, code: codeAuthCode, msg: "The AuthCode is illegal.", business: true}
	}
	if p.Get("Mask") != "NORMAL" {
		return &apiError{status: 400, code: codeInvalidParam, msg: "Mask is invalid: only NORMAL is supported.", business: true}
	}
	if !validNumber(p.Get("InputNumber")) {
		return &apiError{status: 400, code: codeInvalidParam, msg: "InputNumber is invalid: want 11 digits starting with 1.", business: true}
	}
	if utf8.RuneCountInString(p.Get("OutId")) > 64 {
		return &apiError{status: 400, code: codeInvalidParam, msg: "OutId is invalid: longer than 64 characters.", business: true}
	}
	return nil
}

func validNumber(n string) bool {
	if len(n) != 11 || n[0] != '1' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

type gatewayBody struct {
	RequestId string
	HostId    string
	Code      string
	Message   string
	Recommend string
}

type businessBody struct {
	RequestId string
	Code      string
	Message   string
}

type dataItem struct {
	OriginalNumber  string
	EncryptedNumber string
	ExpireTime      string
	OutId           string `json:",omitempty"`
}

type successBody struct {
	RequestId string
	Code      string
	Message   string
	Data      []dataItem
}

func setJSON(w http.ResponseWriter, reqID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=utf-8")
	h.Set("x-acs-request-id", reqID)
}

func (s *Sandbox) writeError(w http.ResponseWriter, r *http.Request, reqID string, e *apiError) {
	s.stats.fail(e.code)
	setJSON(w, reqID)
	var body []byte
	if e.business && s.cfg.ErrorMode == ErrorModeBody {
		body, _ = json.Marshal(businessBody{RequestId: reqID, Code: e.code, Message: e.msg})
		w.WriteHeader(http.StatusOK)
	} else {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		body, _ = json.Marshal(gatewayBody{RequestId: reqID, HostId: host, Code: e.code, Message: e.msg,
			Recommend: "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=Dytnsapi&requestId=" + reqID})
		w.WriteHeader(e.status)
	}
	_, _ = w.Write(body)
}

const unavailableHTML = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"

func writeUnavailable(w http.ResponseWriter, reqID string) {
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("x-acs-request-id", reqID)
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, unavailableHTML)
}

// resetConn makes the client see a TCP RST: linger 0 then close.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (s *Sandbox) writeSuccess(w http.ResponseWriter, reqID, keyID string, p url.Values, now time.Time) {
	number := p.Get("InputNumber")
	enc, expire := s.encrypt(keyID, number, now)
	body, _ := json.Marshal(successBody{RequestId: reqID, Code: "OK", Message: "OK", Data: []dataItem{{
		OriginalNumber:  number[:7] + "****",
		EncryptedNumber: enc,
		ExpireTime:      expire,
		OutId:           p.Get("OutId"),
	}}})
	setJSON(w, reqID)
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err == nil {
		s.stats.billed.Add(1)
	}
}

// encrypt derives the 140 number and its expiry; see the package comment.
func (s *Sandbox) encrypt(keyID, number string, now time.Time) (enc, expire string) {
	v := int64(s.cfg.Validity)
	epoch := floorDiv(now.UnixNano(), v)
	m := hmac.New(sha256.New, []byte(s.cfg.Secret))
	m.Write([]byte(keyID))
	m.Write([]byte{0})
	m.Write([]byte(number))
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(epoch))
	m.Write(e[:])
	sum := m.Sum(nil)
	n := binary.BigEndian.Uint64(sum[:8]) % 100_000_000
	enc = fmt.Sprintf("140%08d", n)
	expire = time.Unix(0, (epoch+1)*v).In(beijing).Format(expireLayout)
	return enc, expire
}

func (s *Sandbox) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	body, _ := json.Marshal(s.Stats())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// splitmix64 is a bijective mixer: distinct counters give distinct outputs,
// which makes request ids unique and per-call random draws lock-free.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// uniform returns the next draw in [0,1) of the seeded per-call sequence.
// Which call gets which draw depends on arrival order, but the sequence
// (and so the fault rates) is reproducible for a seed.
func (s *Sandbox) uniform() float64 {
	return float64(splitmix64(s.rngBase+s.rngCtr.Add(1)*0x9E3779B97F4A7C15)>>11) / (1 << 53)
}

func (s *Sandbox) latency() time.Duration {
	d := s.cfg.Latency
	if s.cfg.Jitter > 0 {
		d += time.Duration((s.uniform()*2 - 1) * float64(s.cfg.Jitter))
	}
	return max(d, 0)
}

func (s *Sandbox) newRequestID() string {
	n := s.idCtr.Add(1)
	hi := splitmix64(s.idBase ^ n)
	lo := splitmix64(hi ^ n)
	var b [36]byte
	const hx = "0123456789ABCDEF"
	j := 0
	put := func(v uint64, nibbles int) {
		for i := nibbles - 1; i >= 0; i-- {
			b[j] = hx[(v>>(4*uint(i)))&15]
			j++
		}
	}
	put(hi>>32, 8)
	b[j] = '-'
	j++
	put(hi>>16, 4)
	b[j] = '-'
	j++
	put(hi, 4)
	b[j] = '-'
	j++
	put(lo>>48, 4)
	b[j] = '-'
	j++
	put(lo, 12)
	return string(b[:])
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
