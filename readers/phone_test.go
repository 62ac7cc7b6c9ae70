package readers

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"13912345678", "13912345678", ""},
		{"  13912345678\t", "13912345678", ""},
		{"139 1234 5678", "13912345678", ""},
		{"139-1234-5678", "13912345678", ""},
		{"139.1234.5678", "13912345678", ""},
		{"(139)1234/5678", "13912345678", ""},
		{"139\u00a01234\u30005678", "13912345678", ""},
		{"１３９１２３４５６７８", "13912345678", ""},
		{"＋８６ １３９１２３４５６７８", "13912345678", ""},
		{"+86 139 1234 5678", "13912345678", ""},
		{"+86-13912345678", "13912345678", ""},
		{"(+86)13912345678", "13912345678", ""},
		{"（+86）13912345678", "13912345678", ""},
		{"008613912345678", "13912345678", ""},
		{"8613912345678", "13912345678", ""},
		{"13912345678.0", "13912345678", ""},
		{"13912345678.00", "13912345678", ""},
		{"1.3912345678E+10", "13912345678", ""},
		{"1.3912345678E10", "13912345678", ""},
		{"1.3912345678e+10", "13912345678", ""},
		{"13912345678E0", "13912345678", ""},
		{`="13912345678"`, "13912345678", ""},
		{"'13912345678", "13912345678", ""},
		{"", "", CodeEmpty},
		{"   ", "", CodeEmpty},
		{"\u3000", "", CodeEmpty},
		{"1.39E+10", "", CodePrecisionLost},
		{"8.61391E+12", "", CodePrecisionLost},
		{"1.39123E+10", "", CodePrecisionLost},
		{"8613912345678123.0", "", CodePrecisionLost},
		{"12345678901234567.5", "", CodePrecisionLost},
		{"1.23456789012345678E+17", "", CodePrecisionLost},
		{"139123456789", "", CodeInvalidNumber},
		{"1391234567", "", CodeInvalidNumber},
		{"23912345678", "", CodeInvalidNumber},
		{"+1 4155550123", "", CodeInvalidNumber},
		{"+8623912345678", "", CodeInvalidNumber},
		{"86139123456", "", CodeInvalidNumber},
		{"0086", "", CodeInvalidNumber},
		{"010-12345678", "", CodeInvalidNumber},
		{"139abc45678", "", CodeInvalidNumber},
		{"13912345678.5", "", CodeInvalidNumber},
		{"1391+2345678", "", CodeInvalidNumber},
		{"++8613912345678", "", CodeInvalidNumber},
		{"1E+99999999999", "", CodeInvalidNumber},
		{"1E-5", "", CodeInvalidNumber},
		{"0E+10", "", CodeInvalidNumber},
		{"---", "", CodeInvalidNumber},
		{"#N/A", "", CodeInvalidNumber},
		{"\xff\xfe", "", CodeInvalidNumber},
	}
	for _, tt := range tests {
		got, code, reason := NormalizePhone(tt.in)
		if got != tt.want || code != tt.code {
			t.Errorf("NormalizePhone(%q) = %q, %q (%s); want %q, %q", tt.in, got, code, reason, tt.want, tt.code)
		}
		if code != "" && reason == "" {
			t.Errorf("NormalizePhone(%q): code %s without a reason", tt.in, code)
		}
		if code == "" && reason != "" {
			t.Errorf("NormalizePhone(%q): success with reason %q", tt.in, reason)
		}
	}
}

func TestNormalizePhoneReasonSaysDigitCount(t *testing.T) {
	_, _, reason := NormalizePhone("139-1234-56789")
	if !strings.Contains(reason, "12 digits") {
		t.Fatalf("reason %q does not give the digit count", reason)
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13912345678", "+86 139-1234-5678", "1.3912345678E+10", "1.39E+10",
		"008613912345678", "１３９１２３４５６７８", "13912345678.0", `="13912345678"`, "", "E", "1e", ".", "+", "1.e5", "9E-9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, code, reason := NormalizePhone(in)
		if code != "" {
			if got != "" || reason == "" {
				t.Fatalf("NormalizePhone(%q) = %q, %q, %q: failure must have no number and a reason", in, got, code, reason)
			}
			return
		}
		if !isMobile(got) {
			t.Fatalf("NormalizePhone(%q) = %q: not 11 ASCII digits starting with 1", in, got)
		}
		again, code2, _ := NormalizePhone(got)
		if again != got || code2 != "" {
			t.Fatalf("not idempotent: %q -> %q -> %q (%s)", in, got, again, code2)
		}
	})
}
