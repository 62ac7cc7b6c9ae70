package sandbox

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/dytnsapi"
)

func clearProxy(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("NO_PROXY", "*")
}

// The real Go SDK, with real time, against the handler on loopback.
func TestGoSDK(t *testing.T) {
	clearProxy(t)
	tests := []struct {
		name          string
		keyID, secret string
		authCode      string
		mask, number  string
		outID         string
		status        int // for status mode; business errors become 200 in body mode
		code          string
		business      bool
	}{
		{name: "success", status: 200, code: "OK", outID: "row-42 批次"},
		{name: "wrong secret", secret: "not-the-secret", status: 400, code: codeSignature},
		{name: "unknown key", keyID: "LTAI-unknown", status: 404, code: codeKeyNotFound},
		{name: "bad AuthCode", authCode: "nope", status: 400, code: codeAuthCode, business: true},
		{name: "bad Mask", mask: "MD5", status: 400, code: codeInvalidParam, business: true},
		{name: "bad number", number: "0138001380", status: 400, code: codeInvalidParam, business: true},
		{name: "long OutId", outID: strings.Repeat("o", 65), status: 400, code: codeInvalidParam, business: true},
	}
	for _, mode := range []string{ErrorModeStatus, ErrorModeBody} {
		t.Run(mode, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.ErrorMode = mode
			sb, ts := serve(t, cfg)
			host := strings.TrimPrefix(ts.URL, "http://")
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					keyID, secret := or(tc.keyID, DefaultAccessKeyID), or(tc.secret, DefaultAccessKeySecret)
					client, err := dytnsapi.NewClientWithAccessKey("cn-hangzhou", keyID, secret)
					if err != nil {
						t.Fatal(err)
					}
					req := dytnsapi.CreatePhoneNumberEncryptRequest()
					req.Domain = host
					req.AuthCode = or(tc.authCode, DefaultAuthCode)
					req.Mask = or(tc.mask, "NORMAL")
					req.InputNumber = or(tc.number, "13912345678")
					if tc.outID != "" {
						req.QueryParams["OutId"] = tc.outID
					}
					resp, err := client.PhoneNumberEncrypt(req)
					wantStatus := tc.status
					if tc.business && mode == ErrorModeBody {
						wantStatus = 200
					}
					if wantStatus != 200 {
						var se *sdkerrors.ServerError
						if !errors.As(err, &se) {
							t.Fatalf("err %v, want a ServerError", err)
						}
						if se.HttpStatus() != wantStatus || se.ErrorCode() != tc.code || se.RequestId() == "" {
							t.Fatalf("got %d %s, want %d %s", se.HttpStatus(), se.ErrorCode(), wantStatus, tc.code)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if resp.Code != tc.code {
						t.Fatalf("Code %q, want %q", resp.Code, tc.code)
					}
					if tc.code != "OK" {
						if len(resp.Data) != 0 {
							t.Errorf("error answer carries Data %+v", resp.Data)
						}
						return
					}
					d := resp.Data[0]
					if !strings.HasPrefix(d.EncryptedNumber, "140") || d.OriginalNumber != "1391234****" {
						t.Errorf("data %+v", d)
					}
					exp, err := time.ParseInLocation(expireLayout, d.ExpireTime, time.FixedZone("CST", 8*3600))
					if err != nil || !exp.After(time.Now()) {
						t.Errorf("ExpireTime %q: %v", d.ExpireTime, err)
					}
					var raw struct{ Data []struct{ OutId string } }
					if err := json.Unmarshal(resp.GetHttpContentBytes(), &raw); err != nil || len(raw.Data) != 1 || raw.Data[0].OutId != tc.outID {
						t.Errorf("OutId not echoed: %s (%v)", resp.GetHttpContentString(), err)
					}
				})
			}
			if st := sb.Stats(); st.Billed != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestGoSDKSecurityToken(t *testing.T) {
	clearProxy(t)
	cfg := DefaultConfig()
	cfg.AccessKeys = []AccessKey{{ID: "STS.id", Secret: "sts-secret", SecurityToken: "CAIS+token/==" + url.QueryEscape("&x")}}
	_, ts := serve(t, cfg)
	for _, tc := range []struct {
		token string
		code  string
	}{{cfg.AccessKeys[0].SecurityToken, "OK"}, {"stale-token", codeTokenMismatch}} {
		client, err := dytnsapi.NewClientWithStsToken("cn-hangzhou", "STS.id", "sts-secret", tc.token)
		if err != nil {
			t.Fatal(err)
		}
		req := dytnsapi.CreatePhoneNumberEncryptRequest()
		req.Domain = strings.TrimPrefix(ts.URL, "http://")
		req.AuthCode, req.Mask, req.InputNumber = DefaultAuthCode, "NORMAL", "13912345678"
		resp, err := client.PhoneNumberEncrypt(req)
		code := ""
		var se *sdkerrors.ServerError
		switch {
		case err == nil:
			code = resp.Code
		case errors.As(err, &se):
			code = se.ErrorCode()
		default:
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("token %q: code %q, want %q", tc.token, code, tc.code)
		}
	}
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
