package dytns

import (
	"encoding/json"
	"reflect"
	"testing"
)

var parseSeeds = []string{
	`{"RequestId":"R","Code":"OK","Message":"OK","Data":[{"OriginalNumber":"138****5678","EncryptedNumber":"14012345678","ExpireTime":"2030-05-27 16:05:23","OutId":"o"}]}`,
	` { "RequestId" : "R" , "Code" : "OK" , "Data" : [ ] } `,
	`{"Code":"OK","Data":{"EncryptedNumber":"140","OutId":null}}`,
	`{"Code":"OK","Data":[null,{"EncryptedNumber":"140"}]}`,
	`{"Code":"OK","Data":null}`,
	`{"Code":"OK","Data":[{"EncryptedNumber":14012345678,"ExpireTime":true}]}`,
	`{"Code":123,"Message":"numeric"}`,
	`{"Code":-1.5e3,"Message":null}`,
	`{"Code":"OK","Code":"Throttling","Message":"dup"}`,
	`{"Code":"OK","Extra":{"a":[1,{"b":"}"}],"c":"\"]"},"More":[1,2,[3]],"S":"x\"y","N":null,"T":false,"Data":[]}`,
	`{"code":"OK"}`,
	`{"CODE":"OK"}`,
	`{"Code":"OK","Data":[{"encryptednumber":"1"}]}`,
	`{"Code":"OK","Data":[{"Outİd":"1"}]}`,
	`{"Code":"O\u004b"}`,
	`{"Co\u0064e":"OK"}`,
	"{\"Code\":\"\xff\"}",
	`{"Code":"成功","Message":"中文"}`,
	`{"Code":{"x":1}}`,
	`{"Code":["x"]}`,
	`{"Code":"OK","Data":"x"}`,
	`{"Code":"OK","Data":[1]}`,
	`{"Code":"OK","Data":[[]]}`,
	`{"Code":"OK","Data":[{"EncryptedNumber":{}}]}`,
	`{"Code":"OK","Data":[{"EncryptedNumber":"1"}],"Data":[]}`,
	`{}`,
	`[]`,
	`null`,
	`"x"`,
	`{"Code":"OK"`,
	`{"Code":"OK"} x`,
	``,
	`<html>`,
	"{\"Code\":\"OK\",\"Data\":[{\"ExpireTime\":\"2030\t\"}]}",
	`{"\u212Aey":"v","ſ":1}`,
}

// FuzzParseFast: whenever the fast path accepts a body, it must agree with
// encoding/json exactly.
func FuzzParseFast(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var fast wireBody
		if !parseFast(body, []byte(body), &fast) {
			return
		}
		var slow wireBody
		if err := json.Unmarshal([]byte(body), &slow); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json fails: %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %#v\nslow %#v", body, fast, slow)
		}
	})
}

func TestParseFastCoversServiceShapes(t *testing.T) {
	for _, tt := range []struct {
		body string
		fast bool
	}{
		{parseSeeds[0], true},
		{`{"RequestId":"R","Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"号码格式错误"}`, true},
		{`{"RequestId":"R","Code":"OK","Message":"OK","Data":{"EncryptedNumber":"140","ExpireTime":"t"}}`, true},
		{`{"Code":404,"Message":"x"}`, true},
		{`{"code":"OK"}`, false},            // case-insensitive match: encoding/json decides
		{`{"Code":"O\u004b"}`, false},       // escapes
		{`{"Code":"OK"} trailing`, false},   // invalid JSON
		{`{"Code":"OK","Data":"x"}`, false}, // error path
		{`{"Code":{"nested":true}}`, false}, // error path
		{"{\"Code\":\"\xff\"}", false},      // invalid UTF-8 is replaced by encoding/json
		{`{"\u212Aey":"v"}`, false},         // escaped key
		{"{\"\u212Aey\":\"v\"}", false},     // Kelvin sign folds to 'k'
		{`{"Extra":[{"a":"]"}],"Code":"OK"}`, true},
	} {
		var w wireBody
		if got := parseFast(tt.body, []byte(tt.body), &w); got != tt.fast {
			t.Errorf("parseFast(%q) = %v, want %v", tt.body, got, tt.fast)
		}
	}
}

func BenchmarkParseBody(b *testing.B) {
	body := parseSeeds[0]
	raw := []byte(body)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseBody(body, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w wireBody
			if err := json.Unmarshal(raw, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
}
