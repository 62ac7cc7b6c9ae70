package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestE2EManyFilesOneRun: a folder with the CSV, XLSX and XLS samples (the same
// numbers in three formats), a damaged workbook, and what real folders also hold
// (an Excel lock file, last night's output, a text note) is one run: the repeated
// numbers are called once across the files, each output has every row with the
// codes the CSV's has, the damaged file is reported without stopping the others
// (exit 2, the worst), and a rerun calls nothing.
func TestE2EManyFilesOneRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "tonight")
	if err := os.Mkdir(in, 0o700); err != nil {
		t.Fatal(err)
	}
	copySample(t, in, "customers.csv")
	copySample(t, in, "customers.xlsx")
	if err := os.Rename(copySample(t, in, "customers.xls"), filepath.Join(in, "legacy.xls")); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"broken.xlsx":       "PK\x03\x04 not really a workbook",
		"~$customers.xlsx":  "lock",
		"old.encrypted.csv": "id,phone\n1,13900000000\n",
		"notes.md":          "not an input",
		"sub/deeper.csv":    "id,phone\n1,13900000000\n", // only with --recursive
	} {
		p := filepath.Join(in, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	log, addr, env := startWireLog(t)
	outDir, report := filepath.Join(dir, "out"), filepath.Join(dir, "report.json")
	args := []string{"encrypt", "--endpoint", addr, "--qps", "0", "--progress", "none", "--no-cache", in, "-o", outDir, "--report", report}

	// A dry run counts a number billable in the first file that has it only.
	dry := filepath.Join(dir, "dry.json")
	r := runBin(t, env, "encrypt", "--dry-run", "--no-cache", in, "--report", dry)
	var dryReps []dryRunReport
	if b, err := os.ReadFile(dry); err != nil || json.Unmarshal(b, &dryReps) != nil || len(dryReps) != 4 {
		t.Fatalf("dry run: exit %d, report %v\n%s", r.code, err, r.stderr)
	}
	billable := []int64{}
	for _, d := range dryReps {
		billable = append(billable, d.BillableCalls)
	}
	if dryReps[0].Error == "" || billable[1] == 0 || billable[2] != 0 || billable[3] != 0 {
		t.Errorf("dry run per file (broken, csv, xlsx, xls): billable %v, first error %q", billable, dryReps[0].Error)
	}

	r = runBin(t, env, args...)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d (the damaged file)\n%s", r.code, exitUsage, r.stderr)
	}
	if !strings.Contains(r.stderr, "broken.xlsx") || !strings.Contains(r.stderr, "4 files") {
		t.Errorf("the summary does not name the damaged file or count 4 files:\n%s", r.stderr)
	}

	// Called once per distinct number, across the three files.
	calls := log.snapshot()
	if int64(len(calls)) != billable[1] {
		t.Errorf("%d calls; the dry run said %d", len(calls), billable[1])
	}
	perNumber := map[string]int{}
	for _, c := range calls {
		perNumber[c.number]++
	}
	for n, k := range perNumber {
		if k > 1 {
			t.Errorf("number %s…: %d calls across the files, want 1", n[:3], k)
		}
	}
	csvRows := readCSV(t, filepath.Join(outDir, "customers.encrypted.csv"))
	const code, enc, source = 5 + 3, 5, 5 + 7 // the sample has 5 columns
	if len(csvRows) != 13 {
		t.Fatalf("CSV output has %d rows, want 12 + header", len(csvRows)-1)
	}
	for _, name := range []string{"customers.encrypted.xlsx", "legacy.encrypted.xlsx"} {
		rows, f := readXLSX(t, filepath.Join(outDir, name), "Results")
		f.Close()
		if len(rows) != len(csvRows) {
			t.Fatalf("%s has %d rows, the CSV's output %d", name, len(rows), len(csvRows))
		}
		namesCSV := 0
		for i := 1; i < len(rows); i++ {
			if rows[i][code] != csvRows[i][code] || rows[i][enc] != csvRows[i][enc] {
				t.Errorf("%s row %d: code %q, 140 number %q; the CSV's: %q, %q", name, i, rows[i][code], rows[i][enc], csvRows[i][code], csvRows[i][enc])
			}
			if rows[i][code] == "OK" && rows[i][source] != "dedupe" {
				t.Errorf("%s row %d: source %q, want dedupe", name, i, rows[i][source])
			}
			if strings.Contains(rows[i][code+1], "of "+filepath.Join(in, "customers.csv")+";") {
				namesCSV++
			}
		}
		if namesCSV == 0 {
			t.Errorf("no row of %s says which row of the CSV answered it", name)
		}
	}
	for _, skipped := range []string{"old.encrypted.encrypted.csv", "~$customers.encrypted.xlsx", "notes.encrypted.csv", "sub"} {
		if _, err := os.Stat(filepath.Join(outDir, skipped)); err == nil {
			t.Errorf("%s was written: that file is not an input", skipped)
		}
	}
	var rep manyReport
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, f := range rep.Files {
		statuses = append(statuses, filepath.Base(f.Input)+":"+f.Status)
	}
	want := "broken.xlsx:failed customers.csv:done (rows not OK) customers.xlsx:done (rows not OK) legacy.xls:done (rows not OK)"
	if got := strings.Join(statuses, " "); got != want {
		t.Errorf("report files: %s\nwant %s", got, want)
	}
	if rep.Calls != int64(len(calls)) || rep.ExitCode != exitUsage || rep.Rows != 36 {
		t.Errorf("report: %d calls (wire %d), exit %d, %d rows", rep.Calls, len(calls), rep.ExitCode, rep.Rows)
	}

	// Again: the three finished files are skipped, nothing is called.
	before, _ := os.ReadFile(filepath.Join(outDir, "customers.encrypted.csv"))
	r = runBin(t, env, args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "3 finished earlier") {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	if n := len(log.snapshot()) - len(calls); n != 0 {
		t.Errorf("rerun made %d calls", n)
	}
	if after, _ := os.ReadFile(filepath.Join(outDir, "customers.encrypted.csv")); !bytes.Equal(before, after) {
		t.Errorf("rerun rewrote a finished output")
	}
	// --recursive takes the subfolder's file too, into the same subpath under -o.
	r = runBin(t, env, append(args, "--recursive")...)
	if _, err := os.Stat(filepath.Join(outDir, "sub", "deeper.encrypted.csv")); err != nil || !strings.Contains(r.stderr, "5 files") {
		t.Errorf("--recursive: %v\n%s", err, r.stderr)
	}
}

// TestE2EManyFilesKilledInTheSecond: three files with overlapping numbers, the run
// SIGKILLed while in the second; run again, the first file is skipped, the second
// resumes, the third runs; the third's numbers that only the first file had come
// from the result store (none of the first file's numbers is called again), every
// output has every row once and in order, and only numbers in flight at the kill
// may be paid twice.
func TestE2EManyFilesKilledInTheSecond(t *testing.T) {
	const n, workers = 3000, 16
	dir := t.TempDir()
	// f1: 0..2999, f2: 1500..4499 (XLSX), f3: 750..3749.
	files := []struct {
		name string
		from int
	}{{"f1.csv", 0}, {"f2.xlsx", n / 2}, {"f3.csv", n / 4}}
	var inputs []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		writeRange(t, p, f.from, n)
		inputs = append(inputs, p)
	}
	log, addr, env := startWireLog(t)
	args := append([]string{"encrypt", "--endpoint", addr, "--qps", "4000", "--workers", fmt.Sprint(workers), "--progress", "none",
		"--cache", filepath.Join(dir, "cache"), "--min-validity", reuseValidity()}, inputs...)
	cmd := binCmd(t, env, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// f1 costs n calls, f2 n/2 new ones: kill a third of the way into f2's.
	waitWithin(t, 2*time.Minute, func() bool { return log.billed.Load() >= n+n/6 })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	first := log.snapshot()
	if len(first) >= n+n/2 {
		t.Fatalf("%d calls before the kill: it was not killed inside the second file", len(first))
	}
	out1 := filepath.Join(dir, "f1.encrypted.csv")
	f1Before, err := os.ReadFile(out1)
	if err != nil {
		t.Fatalf("the first file's output is missing after the kill: %v", err)
	}

	r := runBin(t, env, args...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "finished earlier") {
		t.Errorf("rerun does not say the first file finished earlier:\n%s", r.stderr)
	}
	again := log.snapshot()[len(first):]
	for _, c := range again {
		var i int
		fmt.Sscanf(c.number, "139%08d", &i)
		if i < n/2 {
			t.Fatalf("rerun called %s…, a number only the finished first file holds", c.number[:3])
		}
	}
	total := len(first) + len(again)
	if distinct := n + n/2; total > distinct+workers { // f1 ∪ f2 ∪ f3 = 0..4499
		t.Errorf("%d calls over both runs for %d distinct numbers and one kill of at most %d in flight", total, distinct, workers)
	}
	if f1After, _ := os.ReadFile(out1); !bytes.Equal(f1Before, f1After) {
		t.Errorf("the finished first file's output was written again")
	}
	checkRange(t, out1, 0, n)
	checkRange(t, filepath.Join(dir, "f2.encrypted.xlsx"), n/2, n)
	checkRange(t, filepath.Join(dir, "f3.encrypted.csv"), n/4, n)
	if !strings.Contains(r.stderr, "from the store 750") {
		t.Errorf("the third file's 750 numbers shared only with the first did not come from the store:\n%s", r.stderr)
	}
	t.Logf("killed at %d calls, %d calls on the rerun, %d over both for %d distinct numbers", len(first), len(again), total, n+n/2)
}

// writeRange writes rows id,mobile for the numbers 139 from..from+count-1, as CSV
// or (by extension) XLSX.
func writeRange(t *testing.T, path string, from, count int) {
	t.Helper()
	if filepath.Ext(path) == ".csv" {
		var b strings.Builder
		b.WriteString("id,mobile\n")
		for i := from; i < from+count; i++ {
			fmt.Fprintf(&b, "%d,139%08d\n", i, i)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	writeRangeXLSX(t, path, from, count)
}

// checkRange checks an output of writeRange's input: every row once, in order, OK.
func checkRange(t *testing.T, path string, from, count int) {
	t.Helper()
	var rows [][]string
	if filepath.Ext(path) == ".csv" {
		rows = readCSV(t, path)
	} else {
		var f *excelize.File
		rows, f = readXLSX(t, path, "Results")
		f.Close()
	}
	if len(rows) != count+1 {
		t.Fatalf("%s has %d rows, want %d + header", path, len(rows)-1, count)
	}
	for i, row := range rows[1:] {
		if row[0] != fmt.Sprint(from+i) || row[5] != "OK" || !strings.HasPrefix(row[2], "140") {
			t.Fatalf("%s row %d = %q", path, i+1, row)
		}
	}
}

// TestE2EManyFilesInterrupted: SIGINT in the second file stops the run there (exit
// 4): the first is done, the second stopped with its progress saved, the third not
// started and not written; run again, the run finishes the second and the third.
func TestE2EManyFilesInterrupted(t *testing.T) {
	const n = 1500
	dir := t.TempDir()
	var inputs []string
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("f%d.csv", i+1))
		writeRange(t, p, i*n, n)
		inputs = append(inputs, p)
	}
	log, addr, env := startWireLog(t)
	args := append([]string{"encrypt", "--endpoint", addr, "--qps", "1000", "--progress", "none", "--no-cache"}, inputs...)
	cmd := binCmd(t, env, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, time.Minute, func() bool { return log.billed.Load() >= n+n/3 })
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want %d\n%s", code, err, exitInterrupted, errb.String())
	}
	if s := errb.String(); !strings.Contains(s, "1 done, 1 stopped, 1 not started") || !strings.Contains(s, "run again to continue") {
		t.Errorf("summary:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "f3.encrypted.csv")); err == nil {
		t.Errorf("the third file's output was written, but it was not started")
	}
	// status over the folder: a line per job, the first finished, the second not.
	st := runBin(t, nil, "status", dir)
	lines := strings.Split(strings.TrimSpace(st.stdout), "\n")
	if st.code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "finished") || !strings.Contains(lines[0], "f1.csv: 1500 rows done") ||
		!strings.HasPrefix(lines[1], "unfinished") || !strings.Contains(lines[1], "f2.csv") {
		t.Errorf("status %s: exit %d\n%s%s", dir, st.code, st.stdout, st.stderr)
	}
	r := runBin(t, env, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "2 done, 1 finished earlier") || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	for i := range 3 {
		checkRange(t, filepath.Join(dir, fmt.Sprintf("f%d.encrypted.csv", i+1)), i*n, n)
	}
}
