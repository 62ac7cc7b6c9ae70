package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"dytnsbatch/internal/buildinfo"
)

// TestE2EVersion builds the binary with VCS stamping on (whatever GOFLAGS says), as a
// release build from a checkout is made, and checks that --version, `version` and
// `version --json` name the commit it was built from and the Go that built it.
func TestE2EVersion(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD (the tests run from a git checkout): %v", err)
	}
	rev := strings.TrimSpace(string(head))
	// The go command stamps a revision only where .git is a directory: a linked
	// worktree (.git is a file) builds without one, and then none must be shown.
	st, err := os.Stat(".git")
	if err != nil {
		t.Fatal(err)
	}
	stamped := st.IsDir()
	bin := filepath.Join(t.TempDir(), "dytnsbatch")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}

	line, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("--version: %v", err)
	}
	same, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if string(line) != string(same) {
		t.Errorf("--version %q and version %q differ", line, same)
	}
	for _, want := range []string{"dytnsbatch ", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(string(line), want) {
			t.Errorf("--version = %q, lacks %q", line, want)
		}
	}
	if has := strings.Contains(string(line), " rev "+rev[:12]); has != stamped {
		t.Errorf("--version = %q: shows revision %s: %v, want %v (.git is a directory: %v)", line, rev[:12], has, stamped, stamped)
	}

	js, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("version --json: %v", err)
	}
	var info buildinfo.Info
	if err := json.Unmarshal(js, &info); err != nil {
		t.Fatalf("version --json is not JSON: %v\n%s", err, js)
	}
	if info.GoVersion != runtime.Version() || info.Module != "dytnsbatch" {
		t.Errorf("version --json = %+v, want %s, module dytnsbatch", info, runtime.Version())
	}
	if stamped && (info.Revision != rev || info.Time == "") {
		t.Errorf("version --json = %+v, want revision %s and a commit time", info, rev)
	}
	if !stamped && (info.Revision != "" || info.Time != "") {
		t.Errorf("version --json = %+v: a revision from a worktree the go command does not stamp", info)
	}
	if strings.TrimSpace(info.String()) != strings.TrimSpace(string(line)) {
		t.Errorf("JSON renders as %q, --version printed %q", info.String(), line)
	}
}
