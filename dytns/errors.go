package dytns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Class says what the caller should do about a failed call.
type Class int

const (
	// Retryable: try the same row again later (throttling, 5xx, transport trouble,
	// garbled or empty answers). The zero value, so that an unclassified failure is
	// retried within the caller's budget rather than dropped or fatal.
	Retryable Class = iota
	// Permanent: this row will never succeed as sent; record the code and move on.
	Permanent
	// Fatal: every row would fail the same way (credentials, AuthCode, permissions,
	// clock, wrong endpoint); stop the run.
	Fatal
)

func (c Class) String() string {
	switch c {
	case Retryable:
		return "Retryable"
	case Permanent:
		return "Permanent"
	case Fatal:
		return "Fatal"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Local codes for failures that carry no API code.
const (
	CodeTimeout     = "Transport.Timeout"
	CodeReset       = "Transport.Reset"
	CodeRefused     = "Transport.Refused"
	CodeTransport   = "Transport.Error"
	CodeTLS         = "Transport.TLS"
	CodeGarbled     = "Response.Garbled"
	CodeEmpty       = "Response.Empty"
	CodePanic       = "SDK.Panic"
	CodeSDK         = "SDK.Error"
	CodeBadRequest  = "Request.Invalid"
	CodeCredentials = "Credentials.Unavailable" // the credential source failed to sign (e.g. an expired CloudSSO login)
	maxRetryAfter   = 60 * time.Second
	maxMessageBytes = 300
)

// Error is a failed PhoneNumberEncrypt call. Every string field is already free of the
// AuthCode, AccessKey secret and full phone numbers, so it can be logged and written
// to result files as is.
type Error struct {
	Code       string        // API code, or one of the local Code* constants
	Message    string        // sanitised and truncated
	RequestID  string        // from the response body, when there was one
	HTTPStatus int           // 0 when no response arrived
	RetryAfter time.Duration // server's hint (x-acs-retry-after and friends), capped at 60s
	Class      Class
	Err        error // underlying cause, may be nil; never an SDK error (they embed secrets)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dytns: ")
	b.WriteString(e.Code)
	var extra []string
	if e.HTTPStatus != 0 {
		extra = append(extra, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.RequestID != "" {
		extra = append(extra, "RequestId "+e.RequestID)
	}
	if e.RetryAfter > 0 {
		extra = append(extra, "retry after "+e.RetryAfter.String())
	}
	if len(extra) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(extra, ", "))
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Classify tells the caller what to do about err. Errors that are not *Error are
// Retryable, except context.Canceled which is Fatal (the user asked to stop).
func Classify(err error) Class {
	if err == nil {
		return Retryable
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	if errors.Is(err, context.Canceled) {
		return Fatal
	}
	return Retryable
}

// IsThrottle reports whether err is flow control (the caller should slow down, not
// just retry).
func IsThrottle(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return isThrottleCode(e.Code) || e.HTTPStatus == 429
}

func isThrottleCode(code string) bool {
	switch {
	case code == "System.LimitControl",
		code == "isv.BUSINESS_LIMIT_CONTROL",
		code == "Throttling", strings.HasPrefix(code, "Throttling."),
		strings.HasSuffix(code, ".LimitControl"),
		strings.HasPrefix(code, "LimitControl"):
		return true
	}
	return false
}

// missingFatal are Missing<Name> parameters this client always sends: their absence
// is a client bug, not a property of the row.
var missingFatal = map[string]bool{
	"AuthCode": true, "AccessKeyId": true, "Signature": true, "SignatureNonce": true,
	"Timestamp": true, "Action": true, "Version": true, "SignatureMethod": true,
	"SignatureVersion": true, "Format": true, "Mask": true, "SecurityToken": true,
}

var fatalCodes = map[string]bool{
	"AuthCodeIllegal":             true,
	"Ram.PermissionDeny":          true,
	"Permission.NotAuthorized":    true,
	"Product.Unsubscript":         true,
	"Unknown.ResourceOwnerId":     true,
	"SignatureDoesNotMatch":       true,
	"IncompleteSignature":         true,
	"InvalidAccessKeyId":          true,
	"InvalidAccessKeySecret":      true,
	"InvalidSecurityToken":        true,
	"InvalidVersion":              true,
	"InvalidAction":               true,
	"InvalidRegionId":             true,
	"Forbidden":                   true,
	"NoPermission":                true,
	"UnsupportedSignatureMethod":  true,
	"UnsupportedSignatureVersion": true,
	CodeTLS:                       true,
	CodeSDK:                       true,
}

var fatalPrefixes = []string{
	"InvalidAccessKeyId.", "InvalidSecurityToken.", "InvalidTimeStamp.", "InvalidAction.",
	"Forbidden.", "InvalidVersion.", "SignatureDoesNotMatch.", "Ram.", "Permission.",
}

var retryableCodes = map[string]bool{
	"InternalError":        true,
	"RequestTimeout":       true,
	"RequestSupplierError": true,
	"ServiceUnavailable":   true,
	"SystemError":          true,
	"System.Busy":          true,
	"UnknownError":         true,
	// A replayed nonce means two requests drew the same random nonce or a proxy
	// replayed one; the next attempt signs with a fresh nonce, so retrying is right.
	"SignatureNonceUsed": true,
	CodeTimeout:          true,
	CodeReset:            true,
	CodeRefused:          true,
	CodeTransport:        true,
	CodePanic:            true,
	CodeEmpty:            true,
}

var retryablePrefixes = []string{"InternalError.", "ServiceUnavailable."}

// classifyCode maps an API (or local) code plus HTTP status to a Class. Codes win over
// statuses because the gateway sends fatal and throttling codes with the same 400.
func classifyCode(code string, status int) Class {
	if isThrottleCode(code) || retryableCodes[code] {
		return Retryable
	}
	if fatalCodes[code] {
		return Fatal
	}
	for _, p := range fatalPrefixes {
		if strings.HasPrefix(code, p) {
			return Fatal
		}
	}
	for _, p := range retryablePrefixes {
		if strings.HasPrefix(code, p) {
			return Retryable
		}
	}
	if name, ok := strings.CutPrefix(code, "Missing"); ok && missingFatal[name] {
		return Fatal
	}
	if code == CodeGarbled {
		return garbledClass(status)
	}
	switch {
	case status >= 500, status == 429, status == 408:
		return Retryable
	}
	return Permanent
}

// garbledClass: a non-JSON answer with a 4xx status does not come from the API gateway
// (which always answers JSON) but from a wrong endpoint, a WAF or a captive proxy; it
// would hit every row, so stop instead of burning the whole input.
func garbledClass(status int) Class {
	switch {
	case status == 0, status >= 500, status == 429, status == 408, status >= 200 && status < 300:
		return Retryable
	case status >= 400:
		return Fatal
	}
	return Retryable
}

var hints = map[string]string{
	"AuthCodeIllegal":             "the AuthCode is wrong: check --auth-code or DYTNS_AUTH_CODE (the ID approved in the 号码百科 console)",
	"Permission.NotAuthorized":    "the AuthCode is not (or no longer) authorised for PhoneNumberEncrypt: check the authorization in the 号码百科 console",
	"Ram.PermissionDeny":          "the RAM user of this AccessKey may not call dytns:PhoneNumberEncrypt: grant it in the RAM console (e.g. AliyunDytnsFullAccess)",
	"Product.Unsubscript":         "号码百科 (Dytns) is not activated for this account: activate the product in the console",
	"Unknown.ResourceOwnerId":     "the account behind the AccessKey is not known to 号码百科: use an AccessKey of the account that owns the AuthCode",
	"SignatureDoesNotMatch":       "the AccessKey secret is wrong: check ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"IncompleteSignature":         "the AccessKey secret is wrong: check ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"InvalidAccessKeySecret":      "the AccessKey secret is wrong: check ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"InvalidAccessKeyId":          "the AccessKey ID is unknown: check ALIBABA_CLOUD_ACCESS_KEY_ID",
	"InvalidAccessKeyId.NotFound": "the AccessKey ID does not exist: check ALIBABA_CLOUD_ACCESS_KEY_ID",
	"InvalidAccessKeyId.Inactive": "the AccessKey is disabled: enable it or create a new one in the RAM console",
	"InvalidVersion":              "the endpoint does not serve Dytnsapi 2020-02-17: check --endpoint",
	"InvalidRegionId":             "the region is not valid: use cn-hangzhou",
	"NoPermission":                "the RAM user of this AccessKey may not call dytns:PhoneNumberEncrypt: grant it in the RAM console",
	"UnsupportedSignatureMethod":  "the endpoint does not accept HMAC-SHA1 signatures: check --endpoint",
	"UnsupportedSignatureVersion": "the endpoint does not accept signature version 1.0: check --endpoint",
	CodeTLS:                       "the endpoint's TLS certificate could not be verified: check --endpoint, HTTPS_PROXY and the system CA certificates",
	CodeGarbled:                   "the endpoint answered with something that is not the Alibaba Cloud API: check --endpoint and any proxy (HTTP_PROXY/HTTPS_PROXY)",
	CodeCredentials:               "the credentials could not be refreshed (an expired aliyun CLI login, a failing External command, an unreachable STS or metadata service): fix the source named in the message, e.g. log in again with `aliyun configure`, then run again to resume",
	CodeSDK:                       "the Alibaba Cloud SDK could not build the request: check --endpoint, --region and NO_PROXY",
}

var prefixHints = []struct{ prefix, hint string }{
	{"InvalidAccessKeyId.", "the AccessKey ID is not usable: check ALIBABA_CLOUD_ACCESS_KEY_ID in the RAM console"},
	{"InvalidSecurityToken", "the STS security token is invalid or expired: refresh ALIBABA_CLOUD_SECURITY_TOKEN (or drop it for a plain AccessKey)"},
	{"InvalidTimeStamp.", "the system clock is more than 15 minutes off: fix the system clock (enable NTP) and run again"},
	{"InvalidAction", "the endpoint does not know PhoneNumberEncrypt: check --endpoint"},
	{"Forbidden", "the RAM policy denies this call: check the RAM user's permissions for dytns:PhoneNumberEncrypt"},
	{"Missing", "a required request parameter was not sent: this is a bug in dytnsbatch, please report it"},
}

// Hint says what the user should do about a Fatal code; "" when there is nothing
// specific to say.
func Hint(code string) string {
	if h, ok := hints[code]; ok {
		return h
	}
	for _, p := range prefixHints {
		if strings.HasPrefix(code, p.prefix) {
			if p.prefix == "Missing" && !missingFatal[code[len("Missing"):]] {
				return ""
			}
			return p.hint
		}
	}
	return ""
}

// ConfigError is New's error for a configuration the user must fix (missing
// credentials or AuthCode, bad endpoint). The CLI maps it to exit status 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "dytns configuration: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// ExitCode is the process exit status for a usage/configuration error.
func (e *ConfigError) ExitCode() int { return 2 }

func configErrorf(format string, a ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, a...)}
}

// MaskNumber keeps the first 3 and last 4 characters of a phone number and stars the
// rest, so that logs and errors never carry a full number; 7 characters or fewer are
// all starred. It counts characters, not bytes: a raw cell may hold full-width digits.
func MaskNumber(n string) string {
	r := []rune(n)
	if len(r) <= 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// maskDigitRuns masks every run of 7 or more ASCII digits: a message echoed by a
// server or a proxy may quote a phone number in any form.
func maskDigitRuns(s string) string {
	var b []byte
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 7 {
			if b == nil {
				b = []byte(s[:start])
			}
			b = append(b, MaskNumber(s[start:i])...)
		} else if b != nil && start >= 0 {
			b = append(b, s[start:i]...)
		}
		if b != nil && i < len(s) {
			b = append(b, s[i])
		}
		start = -1
	}
	if b == nil {
		return s
	}
	return string(b)
}

const toSignMarker = "server string to sign is:"

// sanitize makes server- or transport-supplied text safe to log: the gateway quotes
// the whole string-to-sign (AuthCode and number included) in SignatureDoesNotMatch.
func sanitize(s, authCode, number string) string {
	if i := strings.Index(s, toSignMarker); i >= 0 {
		s = s[:i] + toSignMarker + " [redacted]"
	}
	if authCode != "" {
		s = strings.ReplaceAll(s, authCode, "[AuthCode]")
	}
	if number != "" {
		s = strings.ReplaceAll(s, number, MaskNumber(number))
	}
	s = maskDigitRuns(s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxMessageBytes {
		cut := maxMessageBytes
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
