package cli

// End-to-end tests: the built binary, run as a separate process, against the sandbox
// (embedded with --sandbox, or a sandbox server this test process starts on loopback).

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"dytnsbatch/dytns"
	"dytnsbatch/internal/buildinfo"
	"dytnsbatch/pipeline/pacer"
	"dytnsbatch/sandbox"
)

var binPath string

func TestMain(m *testing.M) {
	// The end-to-end tests run the binary as a user does, from the module root: the
	// main package is built from there and samples/ and testdata paths are relative to it.
	if err := os.Chdir(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "dytnsbatch-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "dytnsbatch")
	// Tests run the binary under the race detector; benchmarks measure the binary
	// users get.
	flag.Parse()
	args := []string{"build", "-race", "-o", binPath, "."}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		args = []string{"build", "-o", binPath, "."}
	}
	build := exec.Command("go", args...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binCmd prepares the binary with a clean environment: PATH, a fresh HOME (no
// credentials file), and env.
func binCmd(t testing.TB, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	// A test that fails while the job runs must not leave it running (and
	// skewing every later measurement on the machine).
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return cmd
}

type result struct {
	code   int
	stdout string
	stderr string
}

// runBin runs the binary with a clean environment (no proxies, no credentials
// unless given).
func runBin(t testing.TB, env []string, args ...string) result {
	t.Helper()
	cmd := binCmd(t, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		t.Errorf("%s has no UTF-8 BOM", path)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return rows
}

func checkMode0600(t testing.TB, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
}

// sampleExpect is what each row of samples/customers.* must end with.
var sampleExpect = []struct {
	code, number string // number: the normalised number that must have been encrypted
}{
	{"OK", "13912345678"},
	{"OK", "13800138000"},
	{"OK", "15012345678"},
	{"Input.Empty", ""},
	{"Input.InvalidNumber", ""},
	{"OK", "13912345678"},
	{"OK", "13700001111"},
	{"OK", "13600002222"},
	{"Input.PrecisionLost", ""},
	{"OK", "17700003333"},
	{"Input.InvalidNumber", ""},
	{"OK", "15888889999"},
}

var resultHeader = []string{"EncryptedNumber", "ExpireTime", "OutId", "Code", "Message", "RequestId", "Attempts", "Source"}

// checkSampleRows checks an output made from samples/customers.*: input cells
// unchanged and in order, then the right result for every row.
func checkSampleRows(t *testing.T, rows [][]string, inputWidth int, input [][]string, csvOut bool) {
	t.Helper()
	if len(rows) != len(sampleExpect)+1 {
		t.Fatalf("output has %d rows, want %d + header", len(rows), len(sampleExpect))
	}
	header := rows[0]
	if got := strings.Join(header[inputWidth:inputWidth+len(resultHeader)], ","); got != strings.Join(resultHeader, ",") {
		t.Fatalf("result header = %q", got)
	}
	byNumber := map[string]string{}
	for i, want := range sampleExpect {
		row := rows[i+1]
		for c := 0; c < inputWidth; c++ {
			if input == nil {
				continue
			}
			want := input[i+1][c]
			if csvOut {
				want = csvShown(want)
			}
			if row[c] != want {
				t.Errorf("row %d cell %d = %q, want %q", i+1, c, row[c], want)
			}
		}
		enc, expire, outID, code := row[inputWidth], row[inputWidth+1], row[inputWidth+2], row[inputWidth+3]
		if code != want.code {
			t.Errorf("row %d (%q) Code = %q (%s), want %q", i+1, row[2], code, row[inputWidth+4], want.code)
			continue
		}
		if outID == "" && code == "OK" {
			t.Errorf("row %d has no OutId", i+1)
		}
		if want.code != "OK" {
			if enc != "" {
				t.Errorf("row %d failed but has EncryptedNumber %q", i+1, enc)
			}
			continue
		}
		if !strings.HasPrefix(enc, "140") || len(expire) != len("2006-01-02 15:04:05") {
			t.Errorf("row %d: EncryptedNumber %q ExpireTime %q", i+1, enc, expire)
		}
		if prev, ok := byNumber[want.number]; ok && prev != enc {
			t.Errorf("row %d: same number, different 140 numbers %q and %q", i+1, prev, enc)
		}
		byNumber[want.number] = enc
	}
}

func TestE2ESampleCSVToCSV(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	r := runBin(t, nil, "encrypt", "--sandbox", "samples/customers.csv", "-o", out, "--report", filepath.Join(dir, "report.json"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (some rows not OK)\n%s", r.code, r.stderr)
	}
	checkMode0600(t, out)
	checkMode0600(t, out+".checkpoint")
	in := readCSV(t, "samples/customers.csv")
	rows := readCSV(t, out)
	checkSampleRows(t, rows, 5, in, true)
	if !strings.Contains(r.stderr, "SANDBOX") {
		t.Errorf("summary does not say the numbers are sandbox numbers:\n%s", r.stderr)
	}
	for _, p := range []string{"13912345678", "13800138000", "15888889999"} {
		if strings.Contains(r.stderr, p) {
			t.Errorf("stderr shows a full phone number %s:\n%s", p, r.stderr)
		}
	}
	var rep struct {
		Rows        int64            `json:"rows"`
		Codes       map[string]int64 `json:"codes"`
		BilledCalls int64            `json:"billed_calls"`
		Mode        string           `json:"mode"`
		Version     buildinfo.Info   `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// 8 OK rows, 7 distinct numbers: dedupe saves one call.
	if rep.Rows != 12 || rep.Codes["OK"] != 8 || rep.BilledCalls != 7 || rep.Mode != "sandbox" {
		t.Errorf("report = %+v", rep)
	}
	// The report says which build wrote it.
	if v := rep.Version; v.Module != "dytnsbatch" || v.GoVersion != runtime.Version() || v.Version == "" {
		t.Errorf("report version = %+v", v)
	}

	// Run again: the job is finished, nothing is called, the exit code is the same.
	r2 := runBin(t, nil, "encrypt", "--sandbox", "samples/customers.csv", "-o", out)
	if r2.code != 1 || !strings.Contains(r2.stderr, "already finished") {
		t.Errorf("rerun: exit %d\n%s", r2.code, r2.stderr)
	}
	for _, p := range []string{out + ".checkpoint", out} {
		st := runBin(t, nil, "status", p)
		if st.code != 0 || !strings.Contains(st.stdout, "finished") || !strings.Contains(st.stdout, "12 of 12") {
			t.Errorf("status %s: exit %d\n%s%s", p, st.code, st.stdout, st.stderr)
		}
	}
}

func readXLSX(t *testing.T, path, sheet string) ([][]string, *excelize.File) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows, f
}

func TestE2ESampleXLSXToXLSX(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.xlsx")
	r := runBin(t, nil, "encrypt", "--sandbox", "samples/customers.xlsx", "-o", out)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	checkMode0600(t, out)
	rows, f := readXLSX(t, out, "Results")
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	checkSampleRows(t, padRows(rows, 5+len(resultHeader)), 5, nil, false)
	// The phone column (C) and the 140-number column (F) are text, not numbers.
	for _, cell := range []string{"C2", "F2"} {
		typ, err := f.GetCellType("Results", cell)
		if err != nil {
			t.Fatal(err)
		}
		if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("%s has type %v, want a string", cell, typ)
		}
	}
	if v, _ := f.GetCellValue("Results", "C2"); v != "13912345678" {
		t.Errorf("phone stored as a number came out as %q", v)
	}
	if idx, _ := f.GetSheetIndex("Summary"); idx < 0 {
		t.Errorf("no Summary sheet: %v", f.GetSheetList())
	}
}

// csvShown is how an echoed free-text cell must appear: neutralised when Excel would
// run it as a formula.
func csvShown(s string) string {
	if s == "" || !strings.ContainsAny(s[:1], "=+-@\t\r") {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// padRows pads ragged rows from GetRows (it drops trailing empty cells).
func padRows(rows [][]string, width int) [][]string {
	for i := range rows {
		for len(rows[i]) < width {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

func TestE2ECSVToXLSXAndJSONL(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.xlsx")
	if r := runBin(t, nil, "encrypt", "--sandbox", "samples/customers.csv", "-o", out, "--progress", "none"); r.code != 1 {
		t.Fatalf("xlsx: exit %d\n%s", r.code, r.stderr)
	}
	rows, _ := readXLSX(t, out, "Results")
	checkSampleRows(t, padRows(rows, 5+len(resultHeader)), 5, readCSV(t, "samples/customers.csv"), false)

	jl := filepath.Join(dir, "out.jsonl")
	if r := runBin(t, nil, "encrypt", "--sandbox", "samples/customers.csv", "-o", jl); r.code != 1 {
		t.Fatalf("jsonl: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(jl)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(sampleExpect) {
		t.Fatalf("jsonl has %d lines", len(lines))
	}
	for i, line := range lines {
		var obj map[string]string
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if obj["Code"] != sampleExpect[i].code {
			t.Errorf("jsonl line %d Code %q, want %q", i+1, obj["Code"], sampleExpect[i].code)
		}
	}
}

// writeNumbers writes a CSV of n distinct valid numbers.
func writeNumbers(t testing.TB, path string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,mobile\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,139%08d\n", i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startSandbox runs a sandbox server in this process; the binary reaches it over loopback.
func startSandbox(t testing.TB, mutate func(*sandbox.Config)) (*sandbox.Server, []string) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := sandbox.Start("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	env := []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + sandbox.DefaultAccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + sandbox.DefaultAccessKeySecret,
		"DYTNS_AUTH_CODE=" + sandbox.DefaultAuthCode,
	}
	return srv, env
}

func TestE2EExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	writeNumbers(t, good, 50)
	srv, env := startSandbox(t, nil)

	t.Run("0 all OK", func(t *testing.T) {
		r := runBin(t, env, "encrypt", "--endpoint", srv.Addr(), good, "-o", filepath.Join(dir, "ok.csv"))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if got := srv.Sandbox().Stats().Billed; got != 50 {
			t.Errorf("billed %d, want 50", got)
		}
	})
	t.Run("2 usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"encrypt", "--no-such-flag", good},
			{"encrypt", filepath.Join(dir, "missing.csv")},
			{"encrypt"},
			{"encrypt", "--qps", "-5", good},
			{"nosuchcommand"},
		} {
			if r := runBin(t, env, args...); r.code != 2 {
				t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
			}
		}
		// No AuthCode and no credentials: a configuration error, before any call.
		before := srv.Sandbox().Stats().Requests
		r := runBin(t, nil, "encrypt", "--endpoint", srv.Addr(), good, "-o", filepath.Join(dir, "noauth.csv"))
		if r.code != 2 || !strings.Contains(r.stderr, "DYTNS_AUTH_CODE") {
			t.Errorf("no auth code: exit %d\n%s", r.code, r.stderr)
		}
		if after := srv.Sandbox().Stats().Requests; after != before {
			t.Errorf("%d calls made without credentials", after-before)
		}
	})
	t.Run("3 fatal API error", func(t *testing.T) {
		big := filepath.Join(dir, "big.csv")
		writeNumbers(t, big, 5000)
		before := srv.Sandbox().Stats().Requests
		bad := append(append([]string{}, env[:2]...), "DYTNS_AUTH_CODE=wrong-code")
		r := runBin(t, bad, "encrypt", "--endpoint", srv.Addr(), big, "-o", filepath.Join(dir, "fatal.csv"))
		if r.code != 3 || !strings.Contains(r.stderr, "AuthCodeIllegal") || !strings.Contains(r.stderr, "--auth-code") {
			t.Errorf("wrong auth code: exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "wrong-code") {
			t.Errorf("the AuthCode was printed:\n%s", r.stderr)
		}
		if calls := srv.Sandbox().Stats().Requests - before; calls >= 100 {
			t.Errorf("%d calls before stopping on a wrong AuthCode, want < 100", calls)
		}
		if _, err := os.Stat(filepath.Join(dir, "fatal.csv")); err == nil {
			t.Errorf("an incomplete output was left under the final name")
		}
	})
	t.Run("4 interrupted", func(t *testing.T) {
		slow, senv := startSandbox(t, func(c *sandbox.Config) { c.Latency = 20 * time.Millisecond })
		big := filepath.Join(dir, "int.csv")
		writeNumbers(t, big, 8000)
		cmd := binCmd(t, senv, "encrypt", "--endpoint", slow.Addr(), "--qps", "500", big, "-o", filepath.Join(dir, "int.out.csv"), "--progress", "log", "--progress-interval", "100ms")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return slow.Sandbox().Stats().Billed > 300 })
		_ = cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 4 {
			t.Fatalf("exit %v, want 4\n%s", err, errb.String())
		}
		if !strings.Contains(errb.String(), "rows/s") {
			t.Errorf("no log-style progress lines on a non-terminal stderr:\n%s", errb.String())
		}
		if strings.Contains(errb.String(), "\r") {
			t.Errorf("progress wrote carriage returns into a log")
		}
		// Resume finishes the job without paying for the rows already answered.
		r := runBin(t, senv, "encrypt", "--endpoint", slow.Addr(), "--qps", "1000", big, "-o", filepath.Join(dir, "int.out.csv"))
		if r.code != 0 {
			t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
		}
		if billed := slow.Sandbox().Stats().Billed; billed != 8000 {
			t.Errorf("billed %d calls for 8000 rows over an interrupted and a resumed run", billed)
		}
		rows := readCSV(t, filepath.Join(dir, "int.out.csv"))
		if len(rows) != 8001 {
			t.Fatalf("output has %d rows", len(rows))
		}
		for i, row := range rows[1:] {
			if row[0] != fmt.Sprint(i) || row[5] != "OK" {
				t.Fatalf("row %d = %q", i, row)
			}
		}
	})
}

// copySample copies samples/NAME into dir (0600), so that a run's outputs and
// checkpoint land in the test's directory, not beside the committed sample.
func copySample(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("samples", name))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, name)
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	waitWithin(t, 60*time.Second, cond)
}

func waitWithin(t testing.TB, limit time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("timed out waiting")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkAllOK checks an output of writeNumbers' input: n rows, in order, all OK, and the
// same 140 numbers as a reference output when one is given.
func checkAllOK(t testing.TB, path string, n int, ref [][]string) [][]string {
	t.Helper()
	rows := readCSV(t, path)
	if len(rows) != n+1 {
		t.Fatalf("%s has %d rows, want %d + header", path, len(rows)-1, n)
	}
	for i, row := range rows[1:] {
		if row[0] != strconv.Itoa(i) || row[5] != "OK" || !strings.HasPrefix(row[2], "140") {
			t.Fatalf("row %d = %q", i, row)
		}
		if ref != nil && row[2] != ref[i+1][2] {
			t.Fatalf("row %d: 140 number %q, uninterrupted run gave %q", i, row[2], ref[i+1][2])
		}
	}
	return rows
}

// TestE2EKillAndResume kills the binary with SIGKILL at random moments and resumes
// each time: the final output must equal an uninterrupted run's, and the calls on the
// wire may exceed the rows only by what was in flight at each kill.
//
// E2E_KILL_ROWS and E2E_KILLS scale it up (the acceptance run: 30000 and 10).
func TestE2EKillAndResume(t *testing.T) {
	rows, kills := envInt("E2E_KILL_ROWS", 6000), envInt("E2E_KILLS", 6)
	const workers = 16
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, rows)
	srv, env := startSandbox(t, func(c *sandbox.Config) {
		c.QPS = 0
		c.Latency = 2 * time.Millisecond
		c.Jitter = time.Millisecond
	})
	ref := filepath.Join(dir, "ref.csv")
	if r := runBin(t, env, "encrypt", "--endpoint", srv.Addr(), "--qps", "0", "--no-checkpoint", in, "-o", ref); r.code != 0 {
		t.Fatalf("reference run: exit %d\n%s", r.code, r.stderr)
	}
	refRows := checkAllOK(t, ref, rows, nil)
	srv.Sandbox().ResetStats()

	tmp := t.TempDir()
	env = append(env, "TMPDIR="+tmp)
	out := filepath.Join(dir, "out.csv")
	args := []string{"encrypt", "--endpoint", srv.Addr(), "--qps", "3000", "--workers", strconv.Itoa(workers), "--progress", "none", in, "-o", out}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	killed := 0
	for killed < kills {
		before := srv.Sandbox().Stats().Billed
		if before >= uint64(rows-200) {
			break
		}
		cmd := binCmd(t, env, args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of new answers: sometimes during the replay of
		// earlier rows, sometimes deep into new calls.
		// Capped below the job's last calls, so that the job cannot finish first.
		target := min(before+uint64(rnd.IntN(rows/kills)+1), uint64(rows-100))
		waitFor(t, func() bool { return srv.Sandbox().Stats().Billed >= target })
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		killed++
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("kill %d: an output appeared under the final name before the job finished", killed)
		}
	}
	r := runBin(t, env, args...)
	if r.code != 0 {
		t.Fatalf("final resume: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "resuming") {
		t.Errorf("the final run did not say it resumed:\n%s", r.stderr)
	}
	checkAllOK(t, out, rows, refRows)
	// The killed runs' partial outputs and temporary directories were cleaned up.
	if left, _ := filepath.Glob(filepath.Join(dir, ".out.csv.tmp-*")); len(left) > 0 {
		t.Errorf("partial outputs left behind: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	st := srv.Sandbox().Stats()
	if st.Requests > uint64(rows+killed*workers) {
		t.Errorf("%d calls on the wire for %d rows and %d kills of at most %d calls in flight", st.Requests, rows, killed, workers)
	}
	t.Logf("%d kills: %d calls on the wire, %d billed, for %d rows", killed, st.Requests, st.Billed, rows)

	// The checkpoint refuses another input, and a second process on the same job.
	other := filepath.Join(dir, "other.csv")
	writeNumbers(t, other, 10)
	if r := runBin(t, env, "encrypt", "--endpoint", srv.Addr(), other, "-o", out); r.code != 2 || !strings.Contains(r.stderr, "--restart") {
		t.Errorf("changed input: exit %d\n%s", r.code, r.stderr)
	}
}

// TestE2EResilience runs through the acceptance fault mix — 5% of calls throttled
// at random, 3% InternalError, 2% 503 with an HTML body, 1% connection resets, 1%
// answers slower than the timeout — plus answers that make the SDK panic and, by
// default, a server-side limit below the client's: every row must end OK, exactly
// once. E2E_RESILIENCE_ROWS=20000 is the acceptance run (then at the full quota).
func TestE2EResilience(t *testing.T) {
	rows := envInt("E2E_RESILIENCE_ROWS", 1500)
	serverQPS, clientQPS := 400, 600 // the client must adapt to the server's limit
	if rows > 1500 {
		serverQPS, clientQPS = 1000, 1000
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, rows)
	srv, env := startSandbox(t, func(c *sandbox.Config) {
		c.QPS = serverQPS
		c.FaultInternal = 0.03
		c.FaultUnavailable = 0.02
		c.FaultReset = 0.01
		c.FaultSlow = 0.01
		c.SlowDelay = 3 * time.Second
		c.Seed = 42
	})
	var n, randomThrottles atomic.Int64
	rnd := rand.New(rand.NewPCG(1, 2))
	var rndMu sync.Mutex
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rndMu.Lock()
		throttle := rnd.Float64() < 0.05
		rndMu.Unlock()
		switch {
		case throttle:
			randomThrottles.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"RequestId":"x","HostId":"h","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`)
		case n.Add(1)%50 == 0:
			// A numeric Code makes the SDK panic.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			fmt.Fprint(w, `{"RequestId":"x","Code":500,"Message":"numeric code"}`)
		default:
			srv.Sandbox().ServeHTTP(w, r)
		}
	}))
	defer proxy.Close()
	out := filepath.Join(dir, "out.csv")
	rep := filepath.Join(dir, "rep.json")
	r := runBin(t, env, "encrypt", "--endpoint", strings.TrimPrefix(proxy.URL, "http://"), "--qps", strconv.Itoa(clientQPS), "--timeout", "1s",
		"--retries", "10", "--progress", "none", "--report", rep, in, "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	checkAllOK(t, out, rows, nil)
	st := srv.Sandbox().Stats()
	if st.Failures["InternalError"] == 0 || st.Failures["ServiceUnavailable"] == 0 || randomThrottles.Load() == 0 {
		t.Errorf("the faults did not happen: %+v", st)
	}
	var report struct {
		Calls      int64   `json:"calls"`
		Throttled  int64   `json:"throttled_calls"`
		RowsPerSec float64 `json:"rows_per_second"`
	}
	b, _ := os.ReadFile(rep)
	_ = json.Unmarshal(b, &report)
	t.Logf("%d rows at %.0f rows/s; client calls %d (throttled %d, of which %d by the proxy at random); sandbox %+v",
		rows, report.RowsPerSec, report.Calls, report.Throttled, randomThrottles.Load(), st)
}

// TestE2ERetryFailed: a run that ends with retryable failures, then --retry-failed
// calls exactly those rows again and completes the job.
func TestE2ERetryFailed(t *testing.T) {
	const rows = 300
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, rows)
	srv, env := startSandbox(t, nil)
	var failing atomic.Bool
	var n atomic.Int64
	failing.Store(true)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && n.Add(1)%3 == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			fmt.Fprint(w, `{"RequestId":"x","HostId":"h","Code":"InternalError","Message":"try later"}`)
			return
		}
		srv.Sandbox().ServeHTTP(w, r)
	}))
	defer proxy.Close()
	endpoint := strings.TrimPrefix(proxy.URL, "http://")
	out := filepath.Join(dir, "out.csv")
	args := []string{"encrypt", "--endpoint", endpoint, "--retries", "0", "--progress", "none", in, "-o", out}
	r := runBin(t, env, args...)
	if r.code != 1 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	failed := 0
	for _, row := range readCSV(t, out)[1:] {
		if row[5] == "InternalError" {
			failed++
		}
	}
	if failed < rows/5 {
		t.Fatalf("only %d rows failed; the test needs failures", failed)
	}
	failing.Store(false)
	before := srv.Sandbox().Stats().Requests
	r = runBin(t, env, append(args, "--retry-failed")...)
	if r.code != 0 {
		t.Fatalf("--retry-failed: exit %d\n%s", r.code, r.stderr)
	}
	if calls := srv.Sandbox().Stats().Requests - before; calls != uint64(failed) {
		t.Errorf("--retry-failed made %d calls for %d failed rows", calls, failed)
	}
	checkAllOK(t, out, rows, nil)
	if r := runBin(t, env, args...); r.code != 0 || !strings.Contains(r.stderr, "already finished") {
		t.Errorf("after the retry, a rerun: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(out + ".checkpoint.retry"); err == nil {
		t.Errorf("the retry checkpoint was left behind")
	}
}

// TestE2ESecondProcessIsRefused: while a job runs, the same job started again stops
// with a clear error and makes no call.
func TestE2ESecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, 3000)
	srv, env := startSandbox(t, func(c *sandbox.Config) { c.Latency = 20 * time.Millisecond })
	out := filepath.Join(dir, "out.csv")
	args := []string{"encrypt", "--endpoint", srv.Addr(), "--qps", "200", "--progress", "none", in, "-o", out}
	first := binCmd(t, env, args...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = first.Process.Kill(); _ = first.Wait() }()
	waitFor(t, func() bool { return srv.Sandbox().Stats().Billed > 50 })
	r := runBin(t, env, args...)
	if r.code != 2 || !strings.Contains(r.stderr, "pid") {
		t.Errorf("second process: exit %d, want 2 naming the holder\n%s", r.code, r.stderr)
	}
	st := runBin(t, nil, "status", out)
	if st.code != 0 || !strings.Contains(st.stdout, "running now") {
		t.Errorf("status of a running job: exit %d\n%s%s", st.code, st.stdout, st.stderr)
	}
}

func TestE2EDryRunCallsNothing(t *testing.T) {
	srv, env := startSandbox(t, nil)
	dir := t.TempDir()
	rep := filepath.Join(dir, "dry.json")
	in := copySample(t, dir, "customers.xlsx")
	r := runBin(t, env, "encrypt", "--endpoint", srv.Addr(), "--dry-run", "--report", rep, in)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := srv.Sandbox().Stats().Requests; n != 0 {
		t.Errorf("--dry-run made %d calls", n)
	}
	var got struct {
		Rows          int64            `json:"rows"`
		Sendable      int64            `json:"rows_sendable"`
		BillableCalls int64            `json:"billable_calls"`
		Rejected      map[string]int64 `json:"rejected"`
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows != 12 || got.Sendable != 8 || got.BillableCalls != 7 ||
		got.Rejected["Input.InvalidNumber"] != 2 || got.Rejected["Input.Empty"] != 1 || got.Rejected["Input.PrecisionLost"] != 1 {
		t.Errorf("dry run report = %+v", got)
	}
	if strings.Contains(r.stderr, "13912345678") {
		t.Errorf("dry run printed a full number:\n%s", r.stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // the input and the report
		t.Errorf("--dry-run left files behind: %v", entries)
	}
}

// TestE2EGBKInGB18030Out: a CSV saved by Excel on zh-CN Windows (GBK, CRLF, numbers as
// text) in, a GB18030 CSV without BOM out for an old consumer.
func TestE2EGBKInGB18030Out(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "excel-gbk.csv")
	text := "姓名,联系电话,备注\r\n张三,139 1234 5678,老客户\r\n李四,+86-138-0000-1111,\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	r := runBin(t, nil, "encrypt", "--sandbox", "--output-encoding", "gb18030", in, "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		t.Errorf("GB18030 output starts with a UTF-8 BOM")
	}
	utf, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(utf)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "姓名" || rows[1][0] != "张三" || rows[1][6] != "OK" || rows[2][6] != "OK" {
		t.Errorf("output = %q", rows)
	}
}

func TestE2EMaxDurationStopsAndResumes(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, 3000)
	srv, env := startSandbox(t, func(c *sandbox.Config) { c.Latency = 10 * time.Millisecond })
	out := filepath.Join(dir, "out.csv")
	args := []string{"encrypt", "--endpoint", srv.Addr(), "--qps", "500", "--progress", "none", in, "-o", out}
	r := runBin(t, env, append(args, "--max-duration", "1s")...)
	if r.code != 4 || !strings.Contains(r.stderr, "max-duration") {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	first := srv.Sandbox().Stats().Billed
	if first == 0 || first >= 3000 {
		t.Fatalf("billed %d in the first window", first)
	}
	if r := runBin(t, env, args...); r.code != 0 {
		t.Fatalf("next night: exit %d\n%s", r.code, r.stderr)
	}
	checkAllOK(t, out, 3000, nil)
	if billed := srv.Sandbox().Stats().Billed; billed > 3000+64 {
		t.Errorf("billed %d for 3000 rows", billed)
	}
}

// killAtBilled starts the binary with args and SIGKILLs it once the sandbox has
// billed at least n calls.
func killAtBilled(t *testing.T, srv *sandbox.Server, env, args []string, n uint64) {
	t.Helper()
	cmd := binCmd(t, env, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.Sandbox().Stats().Billed >= n })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// sameXLSXResults checks that the Results sheet of out has the reference's rows
// (header + rows) with the same input cells, 140 number, expiry, OutId and Code
// (RequestId and Attempts differ by nature), and returns the reference's rows.
func sameXLSXResults(t *testing.T, out, ref string, rows int) [][]string {
	t.Helper()
	want, _ := readXLSX(t, ref, "Results")
	got, _ := readXLSX(t, out, "Results")
	if len(got) != rows+1 || len(want) != rows+1 {
		t.Fatalf("rows: got %d, reference %d", len(got), len(want))
	}
	for i := range want {
		for _, c := range []int{0, 1, 2, 3, 4, 5, 6} {
			if got[i][c] != want[i][c] {
				t.Fatalf("row %d col %d: %q, reference %q", i, c, got[i][c], want[i][c])
			}
		}
	}
	return want
}

// TestE2EKillAndResumeXLSX: the resumed run of an XLSX job finds its rows with the
// fast scanner while the output is rebuilt from the workbook; the result must equal an
// uninterrupted run's.
func TestE2EKillAndResumeXLSX(t *testing.T) {
	const rows = 3000
	dir := t.TempDir()
	in := filepath.Join(dir, "in.xlsx")
	writeXLSX(t, in, func(_ *excelize.File, add func(...any)) {
		add("2026 名单")
		add("序号", "姓名", "手机号")
		for i := range rows {
			add(i, fmt.Sprintf("客户%d", i), 13900000000+int64(i))
		}
	})
	srv, env := startSandbox(t, func(c *sandbox.Config) { c.QPS = 0; c.Latency = 2 * time.Millisecond })
	ref := filepath.Join(dir, "ref.xlsx")
	if r := runBin(t, env, "encrypt", "--endpoint", srv.Addr(), "--qps", "0", "--no-checkpoint", in, "-o", ref); r.code != 0 {
		t.Fatalf("reference: exit %d\n%s", r.code, r.stderr)
	}
	srv.Sandbox().ResetStats()
	out := filepath.Join(dir, "out.xlsx")
	args := []string{"encrypt", "--endpoint", srv.Addr(), "--qps", "2000", "--workers", "16", "--progress", "none", in, "-o", out}
	for _, at := range []uint64{900, 2100} {
		killAtBilled(t, srv, env, args, at)
	}
	r := runBin(t, env, args...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	sameXLSXResults(t, out, ref, rows)
	if st := srv.Sandbox().Stats(); st.Requests > rows+2*16 {
		t.Errorf("%d calls for %d rows and 2 kills", st.Requests, rows)
	}
}

// BenchmarkCompetingClient is the acceptance run for sharing the quota: a client on
// the same AccessKey (the official SDK through dytns) takes a fixed 400 of the 1000
// calls/s while the job runs (already running when it starts, 20 ms ± 10 ms); the
// job must settle on what is left with under 1% of its calls throttled over the
// whole run. One run per invocation:
//
//	go test -run X -bench CompetingClient -benchtime 1x .
func BenchmarkCompetingClient(b *testing.B) {
	rows := envInt("E2E_COMPETITOR_ROWS", 20000)
	dir := b.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(b, in, rows)
	srv, env := startSandbox(b, func(c *sandbox.Config) {
		c.QPS = 1000
		c.Window = sandbox.WindowSliding
		c.Latency = 20 * time.Millisecond
		c.Jitter = 10 * time.Millisecond
	})
	other, err := dytns.New(dytns.Config{Endpoint: srv.Addr(), AuthCode: sandbox.DefaultAuthCode,
		AccessKeyID: sandbox.DefaultAccessKeyID, AccessKeySecret: sandbox.DefaultAccessKeySecret})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	competitor := pacer.New(pacer.Config{QPS: 400}) // never told of throttles: a fixed rate
	var wg sync.WaitGroup
	for w := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if competitor.Wait(ctx) != nil {
					return
				}
				_, _ = other.Encrypt(ctx, dytns.Request{Number: fmt.Sprintf("1380%03d%04d", w, i%10000)})
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond) // the competitor fills its share of the window first
	rep := filepath.Join(dir, "rep.json")
	for range b.N {
		r := runBin(b, env, "encrypt", "--endpoint", srv.Addr(), "--qps", "1000", "--progress", "none", "--restart", "--report", rep, in, "-o", filepath.Join(dir, "out.csv"))
		if r.code != 0 {
			b.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	}
	cancel()
	wg.Wait()
	var got struct {
		Calls      int64   `json:"calls"`
		Throttled  int64   `json:"throttled_calls"`
		RowsPerSec float64 `json:"rows_per_second"`
	}
	buf, _ := os.ReadFile(rep)
	if err := json.Unmarshal(buf, &got); err != nil {
		b.Fatal(err)
	}
	share := float64(got.Throttled) / float64(got.Calls)
	b.ReportMetric(got.RowsPerSec, "rows/s")
	b.ReportMetric(100*share, "%throttled")
	if share >= 0.01 {
		b.Errorf("throttled share %.2f%%, want < 1%%", 100*share)
	}
	if got.RowsPerSec < 0.8*600 {
		b.Errorf("the job reached %.0f rows/s of the 600 left", got.RowsPerSec)
	}
}

// TestE2EResumeXLSXFormattedOutID: an OutId column whose later cells are numbers
// shown with leading zeros. The resumed run's scanner reads stored values; at the
// first formatted cell it must hand over to the full reader, so that every row is
// called with (and its output shows) the OutId an uninterrupted run uses.
func TestE2EResumeXLSXFormattedOutID(t *testing.T) {
	const rows = 3000
	dir := t.TempDir()
	in := filepath.Join(dir, "in.xlsx")
	writeXLSX(t, in, func(f *excelize.File, add func(...any)) {
		fmtCode := "000000"
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &fmtCode})
		if err != nil {
			t.Fatal(err)
		}
		add("订单号", "姓名", "手机号")
		for i := range rows {
			var id any = fmt.Sprintf("ORD-%05d", i)
			if i >= rows/2 {
				id = excelize.Cell{StyleID: style, Value: i}
			}
			add(id, fmt.Sprintf("客户%d", i), 13900000000+int64(i))
		}
	})
	srv, env := startSandbox(t, func(c *sandbox.Config) { c.QPS = 0; c.Latency = 2 * time.Millisecond })
	ref := filepath.Join(dir, "ref.xlsx")
	if r := runBin(t, env, "encrypt", "--endpoint", srv.Addr(), "--qps", "0", "--no-checkpoint", "--outid-column", "订单号", in, "-o", ref); r.code != 0 {
		t.Fatalf("reference: exit %d\n%s", r.code, r.stderr)
	}
	srv.Sandbox().ResetStats()
	out := filepath.Join(dir, "out.xlsx")
	args := []string{"encrypt", "--endpoint", srv.Addr(), "--qps", "2000", "--workers", "16", "--progress", "none", "--outid-column", "订单号", in, "-o", out}
	killAtBilled(t, srv, env, args, 600)
	if billed := srv.Sandbox().Stats().Billed; billed >= rows/2 {
		t.Fatalf("killed after %d calls: the resumed run would not reach the formatted cells by the scanner", billed)
	}
	r := runBin(t, env, args...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "OutId cell has a number format") || !strings.Contains(r.stderr, fmt.Sprintf("row %d", rows/2+2)) {
		t.Errorf("the resumed run did not say it switched readers at row %d:\n%s", rows/2+2, r.stderr)
	}
	want := sameXLSXResults(t, out, ref, rows)
	if want[rows][5] != fmt.Sprintf("%06d", rows-1) {
		t.Fatalf("reference OutId of the last row %q, want the shown %06d", want[rows][5], rows-1)
	}
	if st := srv.Sandbox().Stats(); st.Requests > rows+16 {
		t.Errorf("%d calls for %d rows and one kill", st.Requests, rows)
	}
}
