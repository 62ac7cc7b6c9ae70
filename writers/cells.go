package writers

import "strconv"

// neutralise defuses a CSV cell that Excel would run as a formula. Cells that
// are plain numbers ("-12.5", "+8613912345678") are left alone: Excel shows
// them as numbers, and prefixing them would break negative amounts.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
	default:
		return s
	}
	if isPlainNumber(s) {
		return s
	}
	return "'" + s
}

// isPlainNumber reports whether s is a decimal number Excel would display as
// a number. ParseFloat alone also accepts "Inf", "NaN" and hex floats, which
// Excel would try to evaluate, so the alphabet is restricted first.
func isPlainNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == 'e', c == 'E':
		default:
			return false
		}
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// safeNumber returns the value to store for s as an XLSX number, or nil when
// s must stay a string. Only ^-?(0|[1-9][0-9]{0,9})(\.[0-9]+)?$ qualifies and
// only when the stored value prints back as the same text: 11-digit phone
// numbers, ID numbers, leading zeros, "1.50" and anything past Excel's 15
// significant digits stay text, so nothing turns into E+ or loses a digit.
func safeNumber(s string) any {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	if intDigits == 0 || intDigits > 10 || (intDigits > 1 && s[start] == '0') {
		return nil
	}
	if i == len(s) {
		if s == "-0" {
			return nil // would come back as 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil
		}
		return n
	}
	if s[i] != '.' {
		return nil
	}
	i++
	fracStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i != len(s) || i == fracStart {
		return nil
	}
	// Excel keeps 15 significant digits (and excelize rounds to them).
	sig := 0
	leading := true
	for j := start; j < len(s); j++ {
		c := s[j]
		if c == '.' || (leading && c == '0') {
			continue
		}
		leading = false
		sig++
	}
	if sig > 15 {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strconv.FormatFloat(f, 'f', -1, 64) != s {
		return nil
	}
	return f
}

// columnName converts a 0-based column index to Excel letters (0 → "A").
func columnName(i int) string {
	var b [8]byte
	p := len(b)
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		p--
		b[p] = byte('A' + (n-1)%26)
	}
	return string(b[p:])
}
