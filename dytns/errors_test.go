package dytns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestClassifyCode(t *testing.T) {
	tests := []struct {
		code   string
		status int
		want   Class
	}{
		{"System.LimitControl", 400, Retryable},
		{"Throttling", 400, Retryable},
		{"Throttling.User", 400, Retryable},
		{"Throttling.Api", 400, Retryable},
		{"InternalError", 500, Retryable},
		{"InternalError", 200, Retryable},
		{"RequestTimeout", 500, Retryable},
		{"RequestSupplierError", 500, Retryable},
		{"ServiceUnavailable", 503, Retryable},
		{"SignatureNonceUsed", 400, Retryable},
		{"SomethingNew", 502, Retryable},
		{"SomethingNew", 429, Retryable},
		{"InvalidParameter", 400, Permanent},
		{"isv.MOBILE_NUMBER_ILLEGAL", 200, Permanent},
		{"MissingParameter", 400, Permanent},
		{"MissingInputNumber", 400, Permanent},
		{"SomethingNew", 400, Permanent},
		{"AuthCodeIllegal", 400, Fatal},
		{"Ram.PermissionDeny", 400, Fatal},
		{"Permission.NotAuthorized", 403, Fatal},
		{"Product.Unsubscript", 400, Fatal},
		{"Unknown.ResourceOwnerId", 400, Fatal},
		{"SignatureDoesNotMatch", 400, Fatal},
		{"IncompleteSignature", 400, Fatal},
		{"InvalidAccessKeyId.NotFound", 404, Fatal},
		{"InvalidAccessKeyId.Inactive", 400, Fatal},
		{"InvalidSecurityToken.Expired", 400, Fatal},
		{"InvalidSecurityToken.Malformed", 400, Fatal},
		{"InvalidTimeStamp.Expired", 400, Fatal},
		{"InvalidTimeStamp.Format", 400, Fatal},
		{"InvalidAction.NotFound", 404, Fatal},
		{"InvalidVersion", 400, Fatal},
		{"Forbidden.RAM", 403, Fatal},
		{"Forbidden.AccessKeyDisabled", 403, Fatal},
		{"MissingAuthCode", 400, Fatal},
		{"MissingSignature", 400, Fatal},
		{CodeGarbled, 503, Retryable},
		{CodeGarbled, 200, Retryable},
		{CodeGarbled, 0, Retryable},
		{CodeGarbled, 404, Fatal},
		{CodeTimeout, 0, Retryable},
		{CodeReset, 0, Retryable},
		{CodeRefused, 0, Retryable},
		{CodeTransport, 0, Retryable},
		{CodePanic, 400, Retryable},
		{CodeEmpty, 200, Retryable},
		{CodeTLS, 0, Fatal},
	}
	for _, tt := range tests {
		if got := classifyCode(tt.code, tt.status); got != tt.want {
			t.Errorf("classifyCode(%q, %d) = %v, want %v", tt.code, tt.status, got, tt.want)
		}
	}
}

func TestClassifyAndIsThrottle(t *testing.T) {
	throttle := &Error{Code: "Throttling.User", Class: Retryable}
	tests := []struct {
		name     string
		err      error
		class    Class
		throttle bool
	}{
		{"nil", nil, Retryable, false},
		{"fatal", &Error{Code: "AuthCodeIllegal", Class: Fatal}, Fatal, false},
		{"permanent", &Error{Code: "InvalidParameter", Class: Permanent}, Permanent, false},
		{"wrapped throttle", fmt.Errorf("row 7: %w", throttle), Retryable, true},
		{"LimitControl", &Error{Code: "System.LimitControl"}, Retryable, true},
		{"429 without code", &Error{Code: CodeGarbled, HTTPStatus: 429}, Retryable, true},
		{"plain error", errors.New("boom"), Retryable, false},
		{"EOF", io.EOF, Retryable, false},
		{"canceled", context.Canceled, Fatal, false},
		{"wrapped canceled", fmt.Errorf("x: %w", context.Canceled), Fatal, false},
		{"deadline", context.DeadlineExceeded, Retryable, false},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.class {
			t.Errorf("%s: Classify = %v, want %v", tt.name, got, tt.class)
		}
		if got := IsThrottle(tt.err); got != tt.throttle {
			t.Errorf("%s: IsThrottle = %v, want %v", tt.name, got, tt.throttle)
		}
	}
}

func TestHint(t *testing.T) {
	tests := []struct {
		code    string
		mention string // "" = no hint expected
	}{
		{"AuthCodeIllegal", "DYTNS_AUTH_CODE"},
		{"SignatureDoesNotMatch", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		{"InvalidAccessKeyId.NotFound", "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"InvalidAccessKeyId.Inactive", "RAM console"},
		{"InvalidAccessKeyId.Whatever", "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"InvalidSecurityToken.Expired", "ALIBABA_CLOUD_SECURITY_TOKEN"},
		{"InvalidSecurityToken", "ALIBABA_CLOUD_SECURITY_TOKEN"},
		{"InvalidTimeStamp.Expired", "clock"},
		{"InvalidTimeStamp.Format", "clock"},
		{"Ram.PermissionDeny", "dytns:PhoneNumberEncrypt"},
		{"Permission.NotAuthorized", "AuthCode"},
		{"Product.Unsubscript", "activate"},
		{"Unknown.ResourceOwnerId", "AccessKey"},
		{"InvalidAction.NotFound", "--endpoint"},
		{"InvalidVersion", "--endpoint"},
		{"Forbidden.RAM", "RAM"},
		{"MissingAuthCode", "bug"},
		{CodeTLS, "certificate"},
		{CodeGarbled, "--endpoint"},
		{"MissingInputNumber", ""},
		{"InvalidParameter", ""},
		{"Throttling", ""},
		{"", ""},
	}
	for _, tt := range tests {
		h := Hint(tt.code)
		if tt.mention == "" {
			if h != "" {
				t.Errorf("Hint(%q) = %q, want none", tt.code, h)
			}
			continue
		}
		if !strings.Contains(h, tt.mention) {
			t.Errorf("Hint(%q) = %q, want it to mention %q", tt.code, h, tt.mention)
		}
	}
	// Every fatal API code should tell the user what to do.
	for code := range fatalCodes {
		if Hint(code) == "" {
			t.Errorf("fatal code %q has no hint", code)
		}
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{Retryable: "Retryable", Permanent: "Permanent", Fatal: "Fatal", Class(9): "Class(9)"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), want)
		}
	}
}

func TestErrorString(t *testing.T) {
	cause := errors.New("cause")
	e := &Error{Code: "Throttling.User", Message: "slow down", RequestID: "R1", HTTPStatus: 400, RetryAfter: 1500 * time.Millisecond, Err: cause}
	want := "dytns: Throttling.User (HTTP 400, RequestId R1, retry after 1.5s): slow down"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant %q", e.Error(), want)
	}
	if !errors.Is(e, cause) {
		t.Errorf("Unwrap does not reach the cause")
	}
	if got := (&Error{Code: CodeTimeout}).Error(); got != "dytns: Transport.Timeout" {
		t.Errorf("bare Error() = %q", got)
	}
}

func TestMasking(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"number 13812345678 is bad", "number 138****5678 is bad"},
		{"+8613812345678,15900001111", "+861******5678,159****1111"},
		{"2022-05-27 16:05:23", "2022-05-27 16:05:23"},
		{"123456 short", "123456 short"},
		{"1234567", "*******"},
		{"", ""},
		{"中文13812345678中文", "中文138****5678中文"},
	}
	for _, tt := range tests {
		if got := maskDigitRuns(tt.in); got != tt.want {
			t.Errorf("maskDigitRuns(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"8613912345678", "861******5678"},
		{"12345", "*****"},
		{"1234567", "*******"},
		{"", ""},
		{"１３６００００２２２２", "１３６****２２２２"}, // full-width digits from a raw cell
		{"手机号码一二三四", "手机号*一二三四"},
	} {
		if got := MaskNumber(tt.in); got != tt.want {
			t.Errorf("MaskNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}

}

func TestSanitize(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		name, in   string
		mustNot    []string
		mustHave   []string
		maxByteLen int
	}{
		{"toSign cut", "not matched. server string to sign is:POST&%2F&AuthCode%3Dabc", []string{"AuthCode%3D", "POST&"}, []string{"[redacted]"}, 0},
		{"auth code replaced", "AuthCode ZZ-code-1 is illegal", []string{"ZZ-code-1"}, []string{"[AuthCode]"}, 0},
		{"number masked", "number 13812345678", []string{"13812345678"}, []string{"138****5678"}, 0},
		{"whitespace folded", "a\n\n  b\tc", nil, []string{"a b c"}, 0},
		{"truncated on a rune boundary", long, nil, []string{"…"}, maxMessageBytes + len("…")},
	}
	for _, tt := range tests {
		got := sanitize(tt.in, "ZZ-code-1", "13812345678")
		for _, s := range tt.mustNot {
			if strings.Contains(got, s) {
				t.Errorf("%s: %q still contains %q", tt.name, got, s)
			}
		}
		for _, s := range tt.mustHave {
			if !strings.Contains(got, s) {
				t.Errorf("%s: %q lacks %q", tt.name, got, s)
			}
		}
		if tt.maxByteLen > 0 && (len(got) > tt.maxByteLen || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD')) {
			t.Errorf("%s: bad truncation, %d bytes", tt.name, len(got))
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"nil", nil, 0},
		{"acs ms", http.Header{"X-Acs-Retry-After": {"1500"}}, 1500 * time.Millisecond},
		{"acs fractional", http.Header{"X-Acs-Retry-After": {"2.5"}}, 2500 * time.Microsecond},
		{"acs capped", http.Header{"X-Acs-Retry-After": {"600000"}}, 60 * time.Second},
		{"acs huge", http.Header{"X-Acs-Retry-After": {"1e300"}}, 60 * time.Second},
		{"acs garbage", http.Header{"X-Acs-Retry-After": {"soon"}}, 0},
		{"acs negative", http.Header{"X-Acs-Retry-After": {"-5"}}, 0},
		{"acs NaN", http.Header{"X-Acs-Retry-After": {"NaN"}}, 0},
		{"ratelimit TimeLeft", http.Header{"X-Ratelimit-User-Api": {"Limit:1000,Remain:0,TimeLeft:340,Reset:1"}}, 340 * time.Millisecond},
		{"Retry-After seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"acs wins", http.Header{"X-Acs-Retry-After": {"100"}, "Retry-After": {"3"}}, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h); got != tt.want {
			t.Errorf("%s: retryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}
