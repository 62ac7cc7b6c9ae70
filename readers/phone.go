package readers

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Local result codes of NormalizePhone. They share the "Input." prefix so that the
// output can tell them apart from the API's own codes.
const (
	CodeEmpty         = "Input.Empty"
	CodePrecisionLost = "Input.PrecisionLost"
	CodeInvalidNumber = "Input.InvalidNumber"
)

// maxFloatDigits is the number of significant decimal digits a float64 keeps
// reliably; Excel shares the limit.
const maxFloatDigits = 15

// NormalizePhone turns what a user typed (or what a spreadsheet stored) into the
// 11-digit mainland mobile number the API accepts. On success code is "". Otherwise
// code is CodeEmpty, CodePrecisionLost (the digits were already destroyed, for
// example by Excel's E+ display) or CodeInvalidNumber, and reason is a short
// English explanation for the output's Message column. It never panics.
func NormalizePhone(raw string) (number, code, reason string) {
	s := foldPhoneRunes(raw)
	s = strings.TrimSpace(s)
	// Exports that force text in Excel write ="139..." or a leading apostrophe.
	if len(s) >= 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		s = strings.TrimSpace(s[2 : len(s)-1])
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "'"))
	if s == "" {
		return "", CodeEmpty, "empty phone cell"
	}

	if mant, exp, ok := splitENotation(s); ok {
		return normalizeENotation(mant, exp)
	}
	if intPart, frac, ok := splitDecimal(s); ok {
		// A float keeps 15 significant digits; past that the tail is noise.
		if sig := len(strings.TrimLeft(intPart, "0")); sig > maxFloatDigits {
			return "", CodePrecisionLost, fmt.Sprintf("number with %d digits stored as a float: digits were lost", sig)
		}
		if strings.Trim(frac, "0") != "" {
			return "", CodeInvalidNumber, "a decimal number, not a phone number"
		}
		s = intPart // "13912345678.0" from a float export
	}

	var b strings.Builder
	b.Grow(len(s))
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+':
			if b.Len() > 0 || plus {
				return "", CodeInvalidNumber, "'+' in the middle of the number"
			}
			plus = true
		case isPhoneSeparator(r):
		default:
			return "", CodeInvalidNumber, "contains letters or other characters that are not part of a phone number"
		}
	}
	d := b.String()
	if d == "" {
		return "", CodeInvalidNumber, "no digits"
	}
	switch {
	case plus:
		if !strings.HasPrefix(d, "86") {
			return "", CodeInvalidNumber, "not a mainland China number (country code is not +86)"
		}
		d = d[2:]
	case strings.HasPrefix(d, "0086") && isMobile(d[4:]):
		d = d[4:]
	case strings.HasPrefix(d, "86") && isMobile(d[2:]):
		d = d[2:]
	}
	if isMobile(d) {
		return d, "", ""
	}
	if len(d) != 11 {
		return "", CodeInvalidNumber, fmt.Sprintf("%d digits after removing separators (a mobile number has 11)", len(d))
	}
	return "", CodeInvalidNumber, "not a mainland mobile number (must be 11 digits starting with 1)"
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && allDigits(d)
}

func isPhoneSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\u00a0', '\u3000', '\u2007', '\u202f', '\u200b', '\ufeff',
		'-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212',
		'.', '(', ')', '[', ']', '/', '\\', '_':
		return true
	}
	return false
}

// foldPhoneRunes maps full-width digits and punctuation (typed with a Chinese IME)
// to ASCII so the rest of the parser only deals with one alphabet.
func foldPhoneRunes(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '＋':
			return '+'
		case r == '－' || r == '—' || r == '–':
			return '-'
		case r == '（':
			return '('
		case r == '）':
			return ')'
		case r == '．' || r == '。':
			return '.'
		case r == 'Ｅ':
			return 'E'
		case r == 'ｅ':
			return 'e'
		case r == '\u3000' || r == '\u00a0':
			return ' '
		}
		return r
	}, s)
}

// splitENotation recognises [+]digits[.digits]E[+-]digits and returns the
// mantissa digits without the point plus the decimal exponent that applies to
// them as an integer.
func splitENotation(s string) (mant string, exp int, ok bool) {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i == len(s)-1 {
		return "", 0, false
	}
	m, e := strings.TrimPrefix(s[:i], "+"), s[i+1:]
	intPart, frac, hasDot := strings.Cut(m, ".")
	if !allDigits(intPart) || intPart == "" || (hasDot && !allDigits(frac)) {
		return "", 0, false
	}
	es := strings.TrimPrefix(strings.TrimPrefix(e, "+"), "-")
	if es == "" || !allDigits(es) {
		return "", 0, false
	}
	if len(es) > 4 {
		es = "9999" // absurd exponent: keep it absurd without overflowing
	}
	n, _ := strconv.Atoi(es)
	if strings.HasPrefix(e, "-") {
		n = -n
	}
	return intPart + frac, n - len(frac), true
}

func normalizeENotation(mant string, exp int) (string, string, string) {
	sig := strings.TrimLeft(mant, "0")
	if sig == "" {
		return "", CodeInvalidNumber, "zero is not a phone number"
	}
	intDigits := len(sig) + exp
	if intDigits > 30 || intDigits < 1 {
		return "", CodeInvalidNumber, "number in E+ notation is far from a phone number"
	}
	// Digits missing from the mantissa were replaced by zeros when the cell was
	// displayed, so the true number can no longer be known.
	if kept := len(strings.TrimRight(sig, "0")); exp > 0 && kept < intDigits && intDigits >= 11 {
		return "", CodePrecisionLost, fmt.Sprintf("E+ notation keeps only %d of %d digits: the number was damaged by a spreadsheet", kept, intDigits)
	}
	var d string
	if exp >= 0 {
		d = sig + strings.Repeat("0", exp)
	} else {
		cut := len(sig) + exp
		if strings.Trim(sig[cut:], "0") != "" {
			return "", CodeInvalidNumber, "a decimal number, not a phone number"
		}
		d = sig[:cut]
	}
	if len(d) > maxFloatDigits && len(strings.TrimRight(sig, "0")) > maxFloatDigits {
		return "", CodePrecisionLost, fmt.Sprintf("number with %d digits stored as a float: digits were lost", len(d))
	}
	n, code, reason := NormalizePhone(d)
	return n, code, reason
}

// splitDecimal recognises [+]digits.digits (a single point), the way a float
// column is written by databases and scripts.
func splitDecimal(s string) (intPart, frac string, ok bool) {
	s = strings.TrimPrefix(s, "+")
	intPart, frac, ok = strings.Cut(s, ".")
	if !ok || intPart == "" || frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", "", false
	}
	return intPart, frac, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
