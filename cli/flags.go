package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseInterspersed parses GNU style: flags may come before or after the positional
// arguments ("encrypt file.csv --sandbox"), and "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		// fs.Parse stopped at a positional argument, or consumed a "--" itself
		// (then rest is everything after it).
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseOne parses args (flags interspersed) for a command that takes exactly one
// positional argument, named by what for the usage error. flag.ErrHelp comes back
// as is: the caller decides what help means for it.
func parseOne(fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return "", err
	}
	if err != nil {
		return "", usageErr("%v", err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", usageErr("%s takes exactly one %s, got %d", fs.Name(), what, len(pos))
	}
	return pos[0], nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// newFlagSet makes a FlagSet whose usage lists flags GNU style (--name).
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: dytnsbatch %s\n\nflags:\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			typ, usage := flag.UnquoteUsage(f)
			if typ != "" {
				typ = " " + typ
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(stderr, "  %s%s%s\n      %s%s\n", dash, f.Name, typ, usage, def)
		})
	}
	return fs
}
