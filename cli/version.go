package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"dytnsbatch/internal/buildinfo"
)

// VersionCommand prints which build this is: one line for a cron log, or JSON (the same
// object --report writes under "version") for a bug report.
func VersionCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version [--json]", stderr)
	asJSON := fs.Bool("json", false, "print the build information as JSON")
	rest, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return usageErr("%v", err)
	}
	if len(rest) > 0 {
		return usageErr("version takes no arguments, got %d", len(rest))
	}
	info := buildinfo.Read()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	_, err = fmt.Fprintln(stdout, info.String())
	return err
}
