package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want Info
		line string
	}{
		{
			name: "checkout with vcs stamp",
			bi: debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Path: "dytnsbatch", Version: "(devel)"},
				Settings: []debug.BuildSetting{
					{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
					{Key: "vcs.revision", Value: "70bac6bff06622f5ad0a1e214ae7c5f195cbb44b"},
					{Key: "vcs.time", Value: "2026-12-07T07:00:00Z"}, {Key: "vcs.modified", Value: "true"},
				}},
			want: Info{Module: "dytnsbatch", Version: "(devel)", Revision: "70bac6bff06622f5ad0a1e214ae7c5f195cbb44b",
				Time: "2026-12-07T07:00:00Z", Modified: true, GoVersion: "go1.24.1", Platform: "linux/arm64"},
			line: "dytnsbatch (devel) rev 70bac6bff066 (2026-12-07T07:00:00Z, modified) go1.24.1 linux/arm64",
		},
		{
			name: "go install of a tag, no vcs",
			bi: debug.BuildInfo{GoVersion: "go1.23.0", Main: debug.Module{Path: "dytnsbatch", Version: "v1.2.0"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "amd64"}}},
			want: Info{Module: "dytnsbatch", Version: "v1.2.0", GoVersion: "go1.23.0", Platform: "darwin/amd64"},
			line: "dytnsbatch v1.2.0 go1.23.0 darwin/amd64",
		},
		{
			name: "clean tree, empty version",
			bi: debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Path: "dytnsbatch"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
					{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}},
			want: Info{Module: "dytnsbatch", Version: "(devel)", Revision: "abc123", GoVersion: "go1.24.1", Platform: "linux/amd64"},
			line: "dytnsbatch (devel) rev abc123 go1.24.1 linux/amd64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bi := tt.bi
			got := fromBuildInfo(&bi)
			if got != tt.want {
				t.Fatalf("fromBuildInfo = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.line {
				t.Fatalf("String() = %q, want %q", s, tt.line)
			}
		})
	}
}

func TestReadInTestBinary(t *testing.T) {
	info := Read()
	if !strings.HasPrefix(info.GoVersion, "go") || !strings.Contains(info.Platform, "/") {
		t.Fatalf("Read() = %+v: no Go version or platform", info)
	}
}
