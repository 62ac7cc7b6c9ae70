// Package buildinfo says which build of dytnsbatch is running, for bug reports, cron
// logs and the --report JSON. It reads what the Go toolchain stamps into the binary
// (runtime/debug), so there is no version string to forget to bump.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is one binary's identity. Fields the build did not record are empty.
type Info struct {
	Module    string `json:"module"`             // module path, e.g. dytnsbatch
	Version   string `json:"version"`            // module version: a tag when installed with go install, "(devel)" from a checkout
	Revision  string `json:"revision,omitempty"` // VCS commit the binary was built from
	Time      string `json:"time,omitempty"`     // commit time, RFC 3339
	Modified  bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	GoVersion string `json:"go"`
	Platform  string `json:"platform"` // GOOS/GOARCH
}

// Read returns the running binary's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	info.Platform = goos + "/" + goarch
	return info
}

// String is the one line `dytnsbatch --version` prints, e.g.
// "dytnsbatch (devel) rev 70bac6bff066 (2026-12-07T07:00:00Z, modified) go1.24.1 linux/amd64".
func (i Info) String() string {
	var b strings.Builder
	name := i.Module
	if name == "" {
		name = "dytnsbatch"
	}
	fmt.Fprintf(&b, "%s %s", name, i.Version)
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		fmt.Fprintf(&b, " rev %s", rev)
		var notes []string
		if i.Time != "" {
			notes = append(notes, i.Time)
		}
		if i.Modified {
			notes = append(notes, "modified")
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
	}
	fmt.Fprintf(&b, " %s %s", i.GoVersion, i.Platform)
	return b.String()
}
