package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// clock is an injectable server clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)  { c.ns.Store(t.UnixNano()) }

var nonceCtr atomic.Uint64

// params returns a complete, unsigned PhoneNumberEncrypt parameter set.
func params(keyID string, now time.Time) url.Values {
	return url.Values{
		"AccessKeyId":      {keyID},
		"Action":           {Action},
		"Version":          {Version},
		"Format":           {"JSON"},
		"RegionId":         {"cn-hangzhou"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"},
		"SignatureNonce":   {fmt.Sprintf("%032x", nonceCtr.Add(1))},
		"SignatureType":    {""},
		"Timestamp":        {now.UTC().Format(timestampLayout)},
		"AuthCode":         {DefaultAuthCode},
		"InputNumber":      {"13800138000"},
		"Mask":             {"NORMAL"},
	}
}

func sign(method string, p url.Values, secret string) url.Values {
	p.Del("Signature")
	p.Set("Signature", Sign(StringToSign(method, p), secret))
	return p
}

// encodeRFC3986 writes the parameters the way pop-core does (%20, not +).
func encodeRFC3986(p url.Values) string {
	var parts []string
	for k, vs := range p {
		parts = append(parts, Pct(k)+"="+Pct(vs[0]))
	}
	return strings.Join(parts, "&")
}

type wire int

const (
	viaQueryGET wire = iota
	viaQueryPOST
	viaForm
	viaChunked
)

func newRequest(t testing.TB, base string, how wire, p url.Values) *http.Request {
	t.Helper()
	var (
		req *http.Request
		err error
	)
	switch how {
	case viaQueryGET:
		req, err = http.NewRequest(http.MethodGet, base+"/?"+encodeRFC3986(p), nil)
	case viaQueryPOST:
		req, err = http.NewRequest(http.MethodPost, base+"/?"+p.Encode(), nil)
	case viaForm:
		req, err = http.NewRequest(http.MethodPost, base+"/", strings.NewReader(encodeRFC3986(p)))
	case viaChunked:
		// A reader of unknown length makes net/http send the body chunked.
		req, err = http.NewRequest(http.MethodPost, base+"/", io.MultiReader(strings.NewReader(encodeRFC3986(p))))
	}
	if err != nil {
		t.Fatal(err)
	}
	if how == viaForm || how == viaChunked {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	}
	return req
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func doReq(t testing.TB, c *http.Client, req *http.Request) reply {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("decode %q: %v", raw, err)
		}
	}
	return r
}

func (r reply) code() string { s, _ := r.body["Code"].(string); return s }

// serve starts cfg on a loopback httptest server.
func serve(t testing.TB, cfg Config) (*Sandbox, *httptest.Server) {
	t.Helper()
	sb := New(cfg)
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	return sb, ts
}
