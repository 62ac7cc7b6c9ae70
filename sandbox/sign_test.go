package sandbox

import (
	"net/url"
	"testing"
)

func TestPct(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"*", "%2A"},
		{"+", "%2B"},
		{"/", "%2F"},
		{"é", "%C3%A9"},
		{"a=b&c", "a%3Db%26c"},
	}
	for _, tc := range tests {
		if got := Pct(tc.in); got != tc.want {
			t.Errorf("Pct(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSignatureVectors(t *testing.T) {
	a := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"PhoneNumberEncrypt"}, "AuthCode": {"abc"}, "Format": {"JSON"},
		"InputNumber": {"13800000000"}, "Mask": {"NORMAL"}, "OutId": {"out id*~+"}, "RegionId": {"cn-hangzhou"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"d7f0778e63730dcc26cf3439bc78daa7"}, "SignatureType": {""},
		"SignatureVersion": {"1.0"}, "Timestamp": {"2026-11-27T05:31:12Z"}, "Version": {"2020-02-17"},
	}
	const aToSign = "POST&%2F&AccessKeyId%3Dtestid%26Action%3DPhoneNumberEncrypt%26AuthCode%3Dabc%26Format%3DJSON%26InputNumber%3D13800000000%26Mask%3DNORMAL%26OutId%3Dout%2520id%252A~%252B%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dd7f0778e63730dcc26cf3439bc78daa7%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2026-11-27T05%253A31%253A12Z%26Version%3D2020-02-17"
	b, err := url.ParseQuery("AccessKeyId=testid&Action=PhoneNumberEncrypt&AuthCode=a%20b%2Ac~d%27%28&Format=JSON&InputNumber=13800000000&Mask=NORMAL&OutId=o-1&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=d022c055c767c664a75f1ad41e6ebeee&SignatureVersion=1.0&Timestamp=2026-11-27T05%3A33%3A47Z&Version=2020-02-17&Signature=UZbk2ANiTpILhfucWDa9NgfeAf0%3D")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		params     url.Values
		wantToSign string // empty: not published
		wantSig    string
	}{
		{"A go-sdk query", a, aToSign, "RAMCRhBy8KpoUD6uHkePYgxCuRE="},
		{"B pop-core body", b, "", "UZbk2ANiTpILhfucWDa9NgfeAf0="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toSign := StringToSign("POST", tc.params)
			if tc.wantToSign != "" && toSign != tc.wantToSign {
				t.Errorf("toSign\n got %s\nwant %s", toSign, tc.wantToSign)
			}
			if got := Sign(toSign, "testsecret"); got != tc.wantSig {
				t.Errorf("signature %s, want %s", got, tc.wantSig)
			}
			if got := Sign(toSign, "wrongsecret"); got == tc.wantSig {
				t.Errorf("wrong secret gave the same signature")
			}
		})
	}
}

func BenchmarkStringToSign(b *testing.B) {
	p := params("k", fixedTime)
	for b.Loop() {
		Sign(StringToSign("POST", p), "secret")
	}
}
