package cli

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EPipeStdinToStdout: `cat in.csv | dytnsbatch encrypt --sandbox - -o -
// --checkpoint c.ckpt > out.csv` gives every row in order, stdout holds only CSV,
// and a rerun with the same stdin makes no call; a different stdin is refused.
func TestE2EPipeStdinToStdout(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "c.ckpt")
	in, err := os.ReadFile("samples/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	pipe := func(stdin []byte, args ...string) result {
		t.Helper()
		cmd := binCmd(t, nil, append([]string{"encrypt", "--sandbox", "-", "-o", "-"}, args...)...)
		cmd.Stdin = bytes.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
	}
	r := pipe(in, "--checkpoint", ckpt, "--progress", "log")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (some sample rows are not OK)\n%s", r.code, r.stderr)
	}
	if strings.HasPrefix(r.stdout, "\ufeff") {
		t.Errorf("stdout starts with a BOM; a pipe should not get one by default")
	}
	cr := csv.NewReader(strings.NewReader(r.stdout))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("stdout is not CSV: %v\n%s", err, r.stdout)
	}
	checkSampleRows(t, rows, 5, readCSV(t, "samples/customers.csv"), true)
	if strings.Contains(r.stdout, "dytnsbatch:") || !strings.Contains(r.stderr, "SANDBOX") {
		t.Errorf("logs on stdout, or no summary on stderr:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	checkMode0600(t, ckpt)

	// The same stdin again: the finished job writes the same rows, no call.
	r2 := pipe(in, "--checkpoint", ckpt)
	if r2.code != 1 || r2.stdout != r.stdout || !strings.Contains(r2.stderr, "no calls") {
		t.Errorf("rerun: exit %d, %d bytes (want %d)\n%s", r2.code, len(r2.stdout), len(r.stdout), r2.stderr)
	}
	// Another stdin under the same checkpoint is another job: refused.
	r3 := pipe(append(append([]byte{}, in...), "Zed,13511112222,x,y,z\n"...), "--checkpoint", ckpt)
	if r3.code != 2 || r3.stdout != "" {
		t.Errorf("changed stdin: exit %d, stdout %q\n%s", r3.code, r3.stdout, r3.stderr)
	}
}

// TestE2EPipeUsageErrors: a pipe without --checkpoint, and XLSX to stdout, are
// refused with exit 2 and a message saying what to do; XLSX on stdin is read.
func TestE2EPipeUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"encrypt", "--sandbox", "-", "-o", "x.csv"}, "add --checkpoint FILE"},
		{[]string{"encrypt", "--sandbox", "samples/customers.csv", "-o", "-"}, "add --checkpoint FILE"},
		{[]string{"encrypt", "--sandbox", "samples/customers.csv", "-o", "-", "--format", "xlsx", "--checkpoint", "c"}, "XLSX cannot be written to stdout"},
		{[]string{"encrypt", "--sandbox", "samples/customers.csv", "--format", "jsonl"}, "--format applies to -o -"},
	} {
		r := runBin(t, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", c.args, r.code, c.want, r.stderr)
		}
	}
	dir := t.TempDir()
	xlsx, err := os.ReadFile("samples/customers.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	cmd := binCmd(t, nil, "encrypt", "--sandbox", "-", "-o", "-", "--format", "jsonl", "--checkpoint", filepath.Join(dir, "x.ckpt"))
	cmd.Stdin = bytes.NewReader(xlsx)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if cmd.ProcessState.ExitCode() != 1 || len(lines) != len(sampleExpect) || !strings.HasPrefix(lines[0], "{") {
		t.Errorf("XLSX on stdin to JSONL: exit %d, %d lines (want %d)\n%s\n%s", cmd.ProcessState.ExitCode(), len(lines), len(sampleExpect), out.String(), errb.String())
	}
}
