package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var fixedTime = time.Date(2026, 11, 27, 5, 31, 12, 0, time.UTC)

func fixedConfig(c *clock) Config {
	cfg := DefaultConfig()
	cfg.Now = c.Now
	return cfg
}

func dataItemOf(t *testing.T, r reply) map[string]any {
	t.Helper()
	data, ok := r.body["Data"].([]any)
	if !ok || len(data) != 1 {
		t.Fatalf("Data = %v in %s", r.body["Data"], r.raw)
	}
	return data[0].(map[string]any)
}

func checkOK(t *testing.T, r reply, number, outID string) map[string]any {
	t.Helper()
	if r.status != 200 || r.code() != "OK" || r.body["Message"] != "OK" {
		t.Fatalf("status %d body %s", r.status, r.raw)
	}
	if id, _ := r.body["RequestId"].(string); len(id) != 36 || r.header.Get("x-acs-request-id") != id {
		t.Errorf("RequestId %q header %q", id, r.header.Get("x-acs-request-id"))
	}
	d := dataItemOf(t, r)
	if got, want := d["OriginalNumber"], number[:7]+"****"; got != want {
		t.Errorf("OriginalNumber %v, want %v", got, want)
	}
	enc, _ := d["EncryptedNumber"].(string)
	if len(enc) != 11 || !strings.HasPrefix(enc, "140") || !validDigits(enc) {
		t.Errorf("EncryptedNumber %q", enc)
	}
	if _, err := time.Parse(expireLayout, d["ExpireTime"].(string)); err != nil {
		t.Errorf("ExpireTime: %v", err)
	}
	if outID != "" && d["OutId"] != outID {
		t.Errorf("OutId %v, want %q", d["OutId"], outID)
	}
	return d
}

func validDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The doc's two vectors, replayed as real requests against a server whose
// clock is set to their timestamps.
func TestVectorsAccepted(t *testing.T) {
	c := newClock(fixedTime)
	cfg := fixedConfig(c)
	cfg.AccessKeys = []AccessKey{{ID: "testid", Secret: "testsecret"}}
	cfg.AuthCodes = []string{"abc", "a b*c~d'("}
	sb, ts := serve(t, cfg)

	qa := "AccessKeyId=testid&Action=PhoneNumberEncrypt&AuthCode=abc&Format=JSON&InputNumber=13800000000&Mask=NORMAL&OutId=out%20id%2A~%2B&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=d7f0778e63730dcc26cf3439bc78daa7&SignatureType=&SignatureVersion=1.0&Timestamp=2026-11-27T05%3A31%3A12Z&Version=2020-02-17&Signature=RAMCRhBy8KpoUD6uHkePYgxCuRE%3D"
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/?"+qa, nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	checkOK(t, doReq(t, nil, req), "13800000000", "out id*~+")

	c.Set(time.Date(2026, 11, 27, 5, 33, 47, 0, time.UTC))
	body := "AccessKeyId=testid&Action=PhoneNumberEncrypt&AuthCode=a%20b%2Ac~d%27%28&Format=JSON&InputNumber=13800000000&Mask=NORMAL&OutId=o-1&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=d022c055c767c664a75f1ad41e6ebeee&SignatureVersion=1.0&Timestamp=2026-11-27T05%3A33%3A47Z&Version=2020-02-17&Signature=UZbk2ANiTpILhfucWDa9NgfeAf0%3D"
	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	checkOK(t, doReq(t, nil, req), "13800000000", "o-1")

	if st := sb.Stats(); st.Requests != 2 || st.Billed != 2 || len(st.Failures) != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWireForms(t *testing.T) {
	c := newClock(fixedTime)
	sb, ts := serve(t, fixedConfig(c))
	tests := []struct {
		name   string
		how    wire
		mutate func(url.Values)
	}{
		{"GET query", viaQueryGET, nil},
		{"POST query empty body", viaQueryPOST, nil},
		{"POST form body with Signature", viaForm, nil},
		{"POST chunked form body", viaChunked, nil},
		{"lower-case json and hmac-sha1", viaQueryGET, func(p url.Values) { p.Set("Format", "json"); p.Set("SignatureMethod", "hmac-sha1") }},
		{"OutId with spaces and unicode", viaForm, func(p url.Values) { p.Set("OutId", "批次 1+2*3~") }},
		{"OutId of 64 runes", viaForm, func(p url.Values) { p.Set("OutId", strings.Repeat("号", 64)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := params(DefaultAccessKeyID, c.Now())
			if tc.mutate != nil {
				tc.mutate(p)
			}
			method := http.MethodPost
			if tc.how == viaQueryGET {
				method = http.MethodGet
			}
			req := newRequest(t, ts.URL, tc.how, sign(method, p, DefaultAccessKeySecret))
			if tc.how == viaChunked {
				if req.ContentLength != -1 && req.ContentLength != 0 {
					t.Fatalf("request would not be chunked: ContentLength %d", req.ContentLength)
				}
			}
			checkOK(t, doReq(t, nil, req), p.Get("InputNumber"), p.Get("OutId"))
		})
	}
	if st := sb.Stats(); st.Billed != uint64(len(tests)) || st.RejectedBeforeAuth != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestGatewayErrors(t *testing.T) {
	c := newClock(fixedTime)
	sb, ts := serve(t, fixedConfig(c))
	set := func(k, v string) func(url.Values) { return func(p url.Values) { p.Set(k, v) } }
	del := func(k string) func(url.Values) { return func(p url.Values) { p.Del(k) } }
	tests := []struct {
		name     string
		method   string
		path     string
		mutate   func(url.Values) // before signing
		secret   string
		postSign func(url.Values) // after signing
		status   int
		code     string
		preAuth  bool
	}{
		{name: "stale timestamp", mutate: set("Timestamp", fixedTime.Add(-16*time.Minute).Format(timestampLayout)), status: 400, code: codeTSExpired, preAuth: true},
		{name: "future timestamp", mutate: set("Timestamp", fixedTime.Add(16*time.Minute).Format(timestampLayout)), status: 400, code: codeTSExpired, preAuth: true},
		{name: "timestamp at the edge", mutate: set("Timestamp", fixedTime.Add(-15*time.Minute).Format(timestampLayout)), status: 200, code: "OK"},
		{name: "timestamp with space", mutate: set("Timestamp", "2026-11-27 05:31:12"), status: 400, code: codeTSFormat, preAuth: true},
		{name: "timestamp with offset", mutate: set("Timestamp", "2026-11-27T13:31:12+08:00"), status: 400, code: codeTSFormat, preAuth: true},
		{name: "unknown key", mutate: set("AccessKeyId", "nobody"), status: 404, code: codeKeyNotFound, preAuth: true},
		{name: "wrong secret", secret: "wrong", status: 400, code: codeSignature, preAuth: true},
		{name: "tampered after signing", postSign: set("InputNumber", "13900139000"), status: 400, code: codeSignature, preAuth: true},
		{name: "missing timestamp", mutate: del("Timestamp"), status: 400, code: "MissingTimestamp", preAuth: true},
		{name: "missing nonce", mutate: del("SignatureNonce"), status: 400, code: "MissingSignatureNonce", preAuth: true},
		{name: "missing signature", postSign: del("Signature"), status: 400, code: "MissingSignature", preAuth: true},
		{name: "missing AuthCode", mutate: del("AuthCode"), status: 400, code: "MissingAuthCode"},
		{name: "missing InputNumber", mutate: del("InputNumber"), status: 400, code: "MissingInputNumber"},
		{name: "missing Mask", mutate: del("Mask"), status: 400, code: "MissingMask"},
		{name: "unknown action", mutate: set("Action", "SendSms"), status: 404, code: codeActionNotFound, preAuth: true},
		{name: "wrong version", mutate: set("Version", "2017-05-25"), status: 400, code: codeVersion, preAuth: true},
		{name: "sha256 method", mutate: set("SignatureMethod", "HMAC-SHA256"), status: 400, code: codeSigMethod, preAuth: true},
		{name: "signature version 2", mutate: set("SignatureVersion", "2.0"), status: 400, code: codeSigVersion, preAuth: true},
		{name: "XML format", mutate: set("Format", "XML"), status: 400, code: codeFormat, preAuth: true},
		{name: "PUT", method: http.MethodPut, status: 405, code: codeMethod, preAuth: true},
		{name: "wrong path", path: "/v1/encrypt", status: 404, code: codePath, preAuth: true},
	}
	preAuth := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := params(DefaultAccessKeyID, c.Now())
			if tc.mutate != nil {
				tc.mutate(p)
			}
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			secret := tc.secret
			if secret == "" {
				secret = DefaultAccessKeySecret
			}
			sign(method, p, secret)
			if tc.postSign != nil {
				tc.postSign(p)
			}
			path := tc.path
			if path == "" {
				path = "/"
			}
			req, _ := http.NewRequest(method, ts.URL+path+"?"+p.Encode(), nil)
			r := doReq(t, nil, req)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("got %d %q, want %d %q: %s", r.status, r.code(), tc.status, tc.code, r.raw)
			}
			if tc.status == 200 {
				return
			}
			for _, f := range []string{"RequestId", "HostId", "Message", "Recommend"} {
				if s, _ := r.body[f].(string); s == "" {
					t.Errorf("field %s empty in %s", f, r.raw)
				}
			}
			if tc.code == codeSignature {
				msg := r.body["Message"].(string)
				p.Del("Signature")
				if want := "server string to sign is:" + StringToSign(method, p); !strings.HasSuffix(msg, want) && tc.postSign == nil {
					t.Errorf("message %q does not end with %q", msg, want)
				}
				if !strings.Contains(msg, "server string to sign is:GET&%2F&AccessKeyId%3D") {
					t.Errorf("message %q", msg)
				}
			}
		})
		if tc.preAuth {
			preAuth++
		}
	}
	if st := sb.Stats(); st.RejectedBeforeAuth != uint64(preAuth) || st.Requests != uint64(len(tests)) || st.Billed != 1 {
		t.Errorf("stats %+v, want %d rejected before auth", st, preAuth)
	}
}

func TestMalformedParams(t *testing.T) {
	c := newClock(fixedTime)
	_, ts := serve(t, fixedConfig(c))
	p := sign(http.MethodPost, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)
	tests := []struct {
		name, query, body string
	}{
		{"name in query and body", "Action=" + Action, p.Encode()},
		{"name twice in query", p.Encode() + "&Mask=NORMAL", ""},
		{"bad escape in body", "", p.Encode() + "&x=%zz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/?"+tc.query, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if r := doReq(t, nil, req); r.status != 400 || r.code() != codeInvalidParam {
				t.Errorf("got %d %s", r.status, r.raw)
			}
		})
	}
}

func TestBusinessErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(url.Values)
		code   string
	}{
		{"bad AuthCode", func(p url.Values) { p.Set("AuthCode", "stolen") }, codeAuthCode},
		{"mask lower case", func(p url.Values) { p.Set("Mask", "normal") }, codeInvalidParam},
		{"mask MD5", func(p url.Values) { p.Set("Mask", "MD5") }, codeInvalidParam},
		{"10 digits", func(p url.Values) { p.Set("InputNumber", "1380013800") }, codeInvalidParam},
		{"12 digits", func(p url.Values) { p.Set("InputNumber", "138001380001") }, codeInvalidParam},
		{"starts with 2", func(p url.Values) { p.Set("InputNumber", "23800138000") }, codeInvalidParam},
		{"country code", func(p url.Values) { p.Set("InputNumber", "+8613800138000") }, codeInvalidParam},
		{"letter", func(p url.Values) { p.Set("InputNumber", "1380013800a") }, codeInvalidParam},
		{"full-width digits", func(p url.Values) { p.Set("InputNumber", "１３８００１３８０００") }, codeInvalidParam},
		{"OutId of 65 chars", func(p url.Values) { p.Set("OutId", strings.Repeat("x", 65)) }, codeInvalidParam},
	}
	for _, mode := range []string{ErrorModeStatus, ErrorModeBody} {
		t.Run(mode, func(t *testing.T) {
			c := newClock(fixedTime)
			cfg := fixedConfig(c)
			cfg.ErrorMode = mode
			sb, ts := serve(t, cfg)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					p := params(DefaultAccessKeyID, c.Now())
					tc.mutate(p)
					r := doReq(t, nil, newRequest(t, ts.URL, viaForm, sign(http.MethodPost, p, DefaultAccessKeySecret)))
					if r.code() != tc.code {
						t.Fatalf("code %q, want %q: %s", r.code(), tc.code, r.raw)
					}
					switch mode {
					case ErrorModeStatus:
						if r.status != 400 || r.body["HostId"] == nil {
							t.Errorf("status %d body %s", r.status, r.raw)
						}
					case ErrorModeBody:
						if r.status != 200 || len(r.body) != 3 || r.body["RequestId"] == nil || r.body["Message"] == nil {
							t.Errorf("status %d body %s", r.status, r.raw)
						}
					}
				})
			}
			if st := sb.Stats(); st.Billed != 0 || st.Requests != uint64(len(tests)) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestNonceReplay(t *testing.T) {
	c := newClock(fixedTime)
	sb, ts := serve(t, fixedConfig(c))
	p := sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret)
	checkOK(t, doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, p)), "13800138000", "")
	for _, advance := range []time.Duration{0, time.Minute, 14 * time.Minute} {
		c.Set(fixedTime.Add(advance))
		r := doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, p))
		if r.status != 400 || r.code() != codeNonceUsed {
			t.Errorf("replay after %v: %d %s", advance, r.status, r.raw)
		}
	}
	// A forged call with a fresh nonce must not consume it.
	c.Set(fixedTime)
	q := params(DefaultAccessKeyID, c.Now())
	sign(http.MethodGet, q, "wrong")
	if r := doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, q)); r.code() != codeSignature {
		t.Fatalf("forged: %s", r.raw)
	}
	checkOK(t, doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, q, DefaultAccessKeySecret))), "13800138000", "")
	if st := sb.Stats(); st.Failures[codeNonceUsed] != 3 || st.Billed != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestNonceStoreForgets(t *testing.T) {
	s := newNonceStore(15 * time.Minute)
	if !s.use("k", "n", fixedTime) {
		t.Fatal("fresh nonce refused")
	}
	tests := []struct {
		at   time.Duration
		key  string
		want bool
	}{
		{0, "k", false},
		{0, "other-key", true},
		{30 * time.Minute, "k", false}, // still replayable under a +15 min timestamp
		{61 * time.Minute, "k", true},  // forgotten: memory stays bounded
	}
	for _, tc := range tests {
		if got := s.use(tc.key, "n", fixedTime.Add(tc.at)); got != tc.want {
			t.Errorf("use(%s) at +%v = %v, want %v", tc.key, tc.at, got, tc.want)
		}
	}
}

func TestSecurityToken(t *testing.T) {
	c := newClock(fixedTime)
	cfg := fixedConfig(c)
	cfg.AccessKeys = append(cfg.AccessKeys, AccessKey{ID: "STS.key", Secret: "sts-secret", SecurityToken: "tok-123"})
	_, ts := serve(t, cfg)
	tests := []struct {
		name, key, secret, token string
		withToken                bool
		status                   int
		code                     string
	}{
		{"right token", "STS.key", "sts-secret", "tok-123", true, 200, "OK"},
		{"no token", "STS.key", "sts-secret", "", false, 400, codeTokenMissing},
		{"empty token", "STS.key", "sts-secret", "", true, 400, codeTokenMissing},
		{"wrong token", "STS.key", "sts-secret", "tok-999", true, 400, codeTokenMismatch},
		{"token on a plain key", DefaultAccessKeyID, DefaultAccessKeySecret, "tok-123", true, 400, codeTokenMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := params(tc.key, c.Now())
			if tc.withToken {
				p.Set("SecurityToken", tc.token)
			}
			r := doReq(t, nil, newRequest(t, ts.URL, viaForm, sign(http.MethodPost, p, tc.secret)))
			if r.status != tc.status || r.code() != tc.code {
				t.Errorf("got %d %s", r.status, r.raw)
			}
		})
	}
}

func TestEncryptionDeterministic(t *testing.T) {
	c := newClock(fixedTime)
	cfg := fixedConfig(c)
	cfg.Validity = 72 * time.Hour
	cfg.AccessKeys = append(cfg.AccessKeys, AccessKey{ID: "k2", Secret: "s2"})
	_, ts := serve(t, cfg)
	call := func(key, secret, number string) (string, string) {
		p := params(key, c.Now())
		p.Set("InputNumber", number)
		d := checkOK(t, doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, p, secret))), number, "")
		return d["EncryptedNumber"].(string), d["ExpireTime"].(string)
	}
	e1, x1 := call(DefaultAccessKeyID, DefaultAccessKeySecret, "13800138000")
	epochEnd := time.Unix(0, (fixedTime.UnixNano()/int64(72*time.Hour)+1)*int64(72*time.Hour))
	if want := epochEnd.In(time.FixedZone("", 8*3600)).Format(expireLayout); x1 != want {
		t.Errorf("ExpireTime %s, want %s (epoch end, Beijing)", x1, want)
	}
	c.Set(epochEnd.Add(-time.Second))
	if e, x := call(DefaultAccessKeyID, DefaultAccessKeySecret, "13800138000"); e != e1 || x != x1 {
		t.Errorf("same number within validity: %s %s, want %s %s", e, x, e1, x1)
	}
	if e, _ := call("k2", "s2", "13800138000"); e == e1 {
		t.Errorf("another key got the same 140 number %s", e)
	}
	if e, _ := call(DefaultAccessKeyID, DefaultAccessKeySecret, "13800138001"); e == e1 {
		t.Errorf("another number got the same 140 number %s", e)
	}
	c.Set(epochEnd)
	if e, x := call(DefaultAccessKeyID, DefaultAccessKeySecret, "13800138000"); e == e1 || x == x1 {
		t.Errorf("after expiry: %s %s, still %s %s", e, x, e1, x1)
	}
}

func TestStatsEndpoint(t *testing.T) {
	c := newClock(fixedTime)
	sb, ts := serve(t, fixedConfig(c))
	checkOK(t, doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params(DefaultAccessKeyID, c.Now()), DefaultAccessKeySecret))), "13800138000", "")
	doReq(t, nil, newRequest(t, ts.URL, viaQueryGET, sign(http.MethodGet, params("nobody", c.Now()), "x")))

	resp, err := http.Get(ts.URL + StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	var got Stats
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Requests: 2, RejectedBeforeAuth: 1, Billed: 1, Failures: map[string]uint64{codeKeyNotFound: 1}}
	if got.Requests != want.Requests || got.Billed != want.Billed || got.RejectedBeforeAuth != 1 ||
		len(got.Failures) != 1 || got.Failures[codeKeyNotFound] != 1 {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	resp, err = http.Post(ts.URL+ResetPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if st := sb.Stats(); resp.StatusCode != 204 || st.Requests != 0 || len(st.Failures) != 0 {
		t.Errorf("after reset: %d %+v", resp.StatusCode, st)
	}
}

func TestLatencyBounds(t *testing.T) {
	tests := []struct{ base, jitter, lo, hi time.Duration }{
		{0, 0, 0, 0},
		{100 * time.Millisecond, 0, 100 * time.Millisecond, 100 * time.Millisecond},
		{100 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond, 120 * time.Millisecond},
		{10 * time.Millisecond, 50 * time.Millisecond, 0, 60 * time.Millisecond},
	}
	for _, tc := range tests {
		cfg := DefaultConfig()
		cfg.Latency, cfg.Jitter = tc.base, tc.jitter
		s := New(cfg)
		sawLow, sawHigh := false, false
		for range 2000 {
			d := s.latency()
			if d < tc.lo || d > tc.hi {
				t.Fatalf("%v±%v: latency %v outside [%v,%v]", tc.base, tc.jitter, d, tc.lo, tc.hi)
			}
			sawLow = sawLow || d < tc.base-tc.jitter/2
			sawHigh = sawHigh || d > tc.base+tc.jitter/2
		}
		if tc.jitter > 0 && !(sawHigh && (sawLow || tc.base-tc.jitter/2 <= 0)) {
			t.Errorf("%v±%v: jitter does not spread (low %v high %v)", tc.base, tc.jitter, sawLow, sawHigh)
		}
	}
}

func TestRequestIDsUnique(t *testing.T) {
	s := New(DefaultConfig())
	seen := map[string]bool{}
	for range 10000 {
		id := s.newRequestID()
		if seen[id] || len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestMissingAPIParam(t *testing.T) {
	tests := []struct {
		params url.Values
		want   string // the error code, "" for none
	}{
		{url.Values{}, "MissingAuthCode"},
		{url.Values{"AuthCode": {"A"}}, "MissingInputNumber"},
		{url.Values{"AuthCode": {"A"}, "InputNumber": {"13800000000"}}, "MissingMask"},
		{url.Values{"AuthCode": {"A"}, "InputNumber": {""}, "Mask": {"MD5"}}, "MissingInputNumber"}, // empty counts as missing
		{url.Values{"AuthCode": {"A"}, "InputNumber": {"13800000000"}, "Mask": {"MD5"}}, ""},
	}
	for _, tt := range tests {
		got := ""
		if e := missingAPIParam(tt.params); e != nil {
			got = e.code
			if e.status != 400 {
				t.Errorf("%v: status %d, want 400", tt.params, e.status)
			}
		}
		if got != tt.want {
			t.Errorf("%v: code %q, want %q", tt.params, got, tt.want)
		}
	}
}
