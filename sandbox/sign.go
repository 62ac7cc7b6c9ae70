package sandbox

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// Pct percent-encodes s the way Alibaba Cloud signature version 1 requires:
// RFC 3986 unreserved bytes stay, everything else becomes %XX in upper case.
// url.QueryEscape is not usable here: it turns space into '+' and escapes '~'.
func Pct(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// StringToSign builds the RPC signature-v1 string to sign from decoded
// parameters. The "Signature" parameter is skipped; empty values are kept
// because the Go SDK signs SignatureType="" and the server must too.
// Only the first value of a repeated key is used.
func StringToSign(method string, params map[string][]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k == "Signature" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var c strings.Builder
	c.Grow(512)
	for i, k := range keys {
		if i > 0 {
			c.WriteByte('&')
		}
		v := ""
		if vs := params[k]; len(vs) > 0 {
			v = vs[0]
		}
		c.WriteString(Pct(k))
		c.WriteByte('=')
		c.WriteString(Pct(v))
	}
	return strings.ToUpper(method) + "&%2F&" + Pct(c.String())
}

// Sign returns base64(HMAC-SHA1(secret+"&", toSign)).
func Sign(toSign, accessKeySecret string) string {
	m := hmac.New(sha1.New, []byte(accessKeySecret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
