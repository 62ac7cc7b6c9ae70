package cli

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// Every argument error of `cache` is a usage error (exit 2) saying what is wanted.
func TestCacheOptionsValidation(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the message; "" = valid
	}{
		{[]string{"stats"}, ""},
		{[]string{"path", "--cache", "/tmp/x"}, ""},
		{[]string{"purge", "--expired"}, ""},
		{[]string{"--all", "purge"}, ""},
		{[]string{}, "exactly one action"},
		{[]string{"stats", "path"}, "exactly one action"},
		{[]string{"clean"}, `unknown action "clean"`},
		{[]string{"purge"}, "exactly one of --expired and --all"},
		{[]string{"purge", "--expired", "--all"}, "exactly one of --expired and --all"},
		{[]string{"stats", "--all"}, "go with cache purge only"},
		{[]string{"stats", "--frobnicate"}, "frobnicate"},
	} {
		o, err := parseCacheFlags(c.args, io.Discard)
		if c.want == "" {
			if err != nil || o.action == "" {
				t.Errorf("parseCacheFlags(%q) = %v, %v; want valid", c.args, o, err)
			}
			continue
		}
		var ec exitCoder
		if !errors.As(err, &ec) || ec.ExitCode() != exitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseCacheFlags(%q) = %v; want a usage error containing %q", c.args, err, c.want)
		}
	}
}
