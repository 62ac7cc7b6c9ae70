package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListedInput(t *testing.T) {
	for name, want := range map[string]bool{
		"a.csv": true, "B.XLSX": true, "c.xls": true, "d.et": true, "e.tsv": true, "f.txt": true, "g.xlsm": true,
		"~$a.xlsx": false, ".hidden.csv": false, "a.encrypted.csv": false, "a.Encrypted.xlsx": false,
		"a.csv.checkpoint": false, "notes.md": false, "a.jsonl": false,
	} {
		if got := listedInput(name); got != want {
			t.Errorf("listedInput(%q) = %v, want %v", name, got, want)
		}
	}
}

// planInputs: arguments in order, a folder's files sorted, outputs beside the
// inputs or under -o keeping subpaths, and the plans that cannot work refused.
func TestPlanInputs(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"in/b.csv", "in/a.xlsx", "in/sub/c.csv", "in/.git/x.csv", "clash/a.xls", "clash/a.xlsx", "solo.csv", "empty/notes.md", "empty/~$x.xlsx"} {
		p = filepath.Join(dir, p)
		_ = os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j := func(p string) string { return filepath.Join(dir, p) }
	if err := os.Symlink(j("in"), j("latest")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"night2/a.csv", "night2/a.encrypted.csv", "night2/out/x.csv"} {
		_ = os.MkdirAll(filepath.Dir(j(p)), 0o700)
		if err := os.WriteFile(j(p), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name      string
		args      []string
		recursive bool
		outDir    string
		want      []string // input=output
		err       string
	}{
		{"folder beside", []string{j("in")}, false, "", []string{"in/a.xlsx=in/a.encrypted.xlsx", "in/b.csv=in/b.encrypted.csv"}, ""},
		{"folder recursive into -o", []string{j("in"), j("solo.csv")}, true, j("out"),
			[]string{"in/a.xlsx=out/a.encrypted.xlsx", "in/b.csv=out/b.encrypted.csv", "in/sub/c.csv=out/sub/c.encrypted.csv", "solo.csv=out/solo.encrypted.csv"}, ""},
		{"missing file kept for its own error", []string{j("solo.csv"), j("gone.csv")}, false, "", []string{"solo.csv=solo.encrypted.csv", "gone.csv=gone.encrypted.csv"}, ""},
		{"folder through a symlink", []string{j("latest")}, false, "", []string{"latest/a.xlsx=latest/a.encrypted.xlsx", "latest/b.csv=latest/b.encrypted.csv"}, ""},
		{"inputs inside the -o folder are inputs", []string{j("night2")}, true, j("night2/out"),
			[]string{"night2/a.csv=night2/out/a.encrypted.csv", "night2/out/x.csv=night2/out/out/x.encrypted.csv"}, ""},
		{"an output named as an input", []string{j("night2/a.csv"), j("night2/a.encrypted.csv")}, false, "", nil, "is both an INPUT and the output of"},
		{"two inputs one output", []string{j("clash")}, false, "", nil, "would both write"},
		{"named twice", []string{j("solo.csv"), j("solo.csv")}, false, "", nil, "named twice"},
		{"folder with no input", []string{j("empty")}, false, "", nil, "holds no input file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jobs, err := planInputs(c.args, c.recursive, c.outDir)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, jb := range jobs {
				in, _ := filepath.Rel(dir, jb.input)
				out, _ := filepath.Rel(dir, jb.output)
				got = append(got, in+"="+out)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

// The flags that name one job's files are refused with many inputs, as usage errors.
func TestManyInputsFlagErrors(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{a, "-"}, "- (stdin) must be the only INPUT"},
		{[]string{a, b, "-o", "-"}, "-o - (stdout) takes one INPUT"},
		{[]string{a, b, "--checkpoint", "x.ckpt"}, "each output keeps its own OUTPUT.checkpoint"},
		{[]string{a, b, "-o", a}, "-o " + a + " is a file"},
		{[]string{dir, "--format", "csv"}, "--format applies to -o -"},
		{[]string{a, b, "--qps", "-1"}, "--qps must be positive"},
	} {
		_, err := parseEncryptFlags(c.args, io.Discard)
		var ec exitCoder
		if !errors.As(err, &ec) || ec.ExitCode() != exitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseEncryptFlags(%q) = %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
}

// The files a run stopped before make its exit code at least "interrupted", even
// when the file that saw the stop had finished; a fatal API answer stays 3.
func TestNotStartedCode(t *testing.T) {
	for code, want := range map[int]int{exitOK: exitInterrupted, exitRowsFailed: exitInterrupted, exitUsage: exitInterrupted, exitFatalAPI: exitFatalAPI, exitInterrupted: exitInterrupted} {
		if got := notStartedCode(code); got != want {
			t.Errorf("notStartedCode(%d) = %d, want %d", code, got, want)
		}
		m := &manyReport{Codes: map[string]int64{}}
		m.add(fileReport{Status: fileDone, ExitCode: code})
		m.add(fileReport{Status: fileNotStarted, ExitCode: notStartedCode(code)})
		if m.ExitCode != want || m.Outcome != "incomplete" {
			t.Errorf("after a file ending %d and one not started: exit %d, outcome %q", code, m.ExitCode, m.Outcome)
		}
	}
}
