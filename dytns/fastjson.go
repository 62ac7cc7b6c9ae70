package dytns

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// parseFast decodes the shape the service actually sends (an object of scalars plus a
// Data list of flat objects, no escapes) without reflection, returning fields that
// share the body's memory. Anything else, including every invalid or merely unusual
// body, returns false and goes to encoding/json, which stays the authority: on the
// inputs parseFast accepts, it must produce exactly what json.Unmarshal into wireBody
// does (FuzzParseFast checks this).
func parseFast(body string, raw []byte, w *wireBody) bool {
	if !json.Valid(raw) { // after this the scanner below need not check syntax
		return false
	}
	p := fastParser{s: body}
	return p.object(func(key string) bool {
		switch key {
		case "RequestId":
			return p.flex(&w.RequestID)
		case "Code":
			return p.flex(&w.Code)
		case "Message":
			return p.flex(&w.Message)
		case "Data":
			return p.data(&w.Data)
		}
		return p.skipOther(key, "RequestId", "Code", "Message", "Data")
	})
}

// object walks an object's members, handing each key to member, which parses the
// value. false from member or an unexpected shape gives the body to encoding/json.
func (p *fastParser) object(member func(key string) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.key()
		if !ok || !member(key) {
			return false
		}
		if p.consume('}') {
			return true
		}
		p.consume(',')
	}
}

// skipOther skips the value of a key that is none of names. encoding/json also
// matches field names case-insensitively (with Unicode folding): a key that could
// match one that way is left to it.
func (p *fastParser) skipOther(key string, names ...string) bool {
	if !plainKey(key, names...) {
		return false
	}
	p.skipValue()
	return true
}

// plainKey reports whether key cannot match any of names under encoding/json's
// case-insensitive fallback.
func plainKey(key string, names ...string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false // 'K' (Kelvin) and 'ſ' fold to ASCII letters
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return false
		}
	}
	return true
}

type fastParser struct {
	s string
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// consume skips white space and then c if it is next.
func (p *fastParser) consume(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes; ok=false for anything needing decoding.
func (p *fastParser) str() (string, bool) {
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	end := strings.IndexByte(p.s[start:], '"')
	if end < 0 {
		return "", false
	}
	v := p.s[start : start+end]
	if strings.IndexByte(v, '\\') >= 0 || !utf8.ValidString(v) {
		return "", false // escapes, or invalid UTF-8 that encoding/json would replace
	}
	p.i = start + end + 1
	return v, true
}

func (p *fastParser) key() (string, bool) {
	k, ok := p.str()
	if !ok || !p.consume(':') {
		return "", false
	}
	return k, true
}

// flex reads a value the way flexString.UnmarshalJSON does: a string, null as "", any
// other scalar as its literal text; objects and arrays are left to the slow path.
func (p *fastParser) flex(f *flexString) bool {
	p.ws()
	if p.i >= len(p.s) {
		return false
	}
	switch p.s[p.i] {
	case '"':
		v, ok := p.str()
		*f = flexString(v)
		return ok
	case '{', '[':
		return false
	}
	start := p.i
	p.skipLiteral()
	if lit := p.s[start:p.i]; lit == "null" {
		*f = ""
	} else {
		*f = flexString(lit)
	}
	return true
}

// data reads Data as wireData.UnmarshalJSON does: a list of objects (null elements
// are zero items), a single object, or null.
func (p *fastParser) data(d *wireData) bool {
	p.ws()
	if p.i >= len(p.s) {
		return false
	}
	switch p.s[p.i] {
	case '{':
		var it wireItem
		if !p.item(&it) {
			return false
		}
		*d = wireData{it}
		return true
	case 'n':
		p.i += len("null")
		*d = nil
		return true
	case '[':
		p.i++
	default:
		return false
	}
	items := wireData{}
	if p.consume(']') {
		*d = items
		return true
	}
	for {
		var it wireItem
		p.ws()
		if strings.HasPrefix(p.s[p.i:], "null") {
			p.i += len("null")
		} else if !p.item(&it) {
			return false
		}
		items = append(items, it)
		if p.consume(']') {
			*d = items
			return true
		}
		p.consume(',')
	}
}

func (p *fastParser) item(it *wireItem) bool {
	return p.object(func(key string) bool {
		switch key {
		case "EncryptedNumber":
			return p.flex(&it.EncryptedNumber)
		case "ExpireTime":
			return p.flex(&it.ExpireTime)
		case "OutId":
			return p.flex(&it.OutID)
		}
		return p.skipOther(key, "EncryptedNumber", "ExpireTime", "OutId")
	})
}

// skipValue skips one value of a document already known to be valid JSON.
func (p *fastParser) skipValue() {
	p.ws()
	if p.i >= len(p.s) {
		return
	}
	switch p.s[p.i] {
	case '"':
		p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.s) {
			switch p.s[p.i] {
			case '"':
				p.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					p.i++
					return
				}
			}
			p.i++
		}
	default:
		p.skipLiteral()
	}
}

// skipString skips the string starting at p.i.
func (p *fastParser) skipString() {
	for p.i++; p.i < len(p.s); {
		switch p.s[p.i] {
		case '\\':
			p.i += 2
		case '"':
			p.i++
			return
		default:
			p.i++
		}
	}
}

// skipLiteral skips a number, true, false or null.
func (p *fastParser) skipLiteral() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return
		}
		p.i++
	}
}
