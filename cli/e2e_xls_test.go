package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestE2EXlsSampleMatchesXLSX: samples/customers.xls (LibreOffice's .xls of the XLSX
// sample) run with --sandbox writes an .xlsx beside it by default, and every row ends
// exactly as the XLSX sample's run does: same cells, codes, messages, OutIds, attempts
// and (within one sandbox epoch) the same 140 numbers.
func TestE2EXlsSampleMatchesXLSX(t *testing.T) {
	dir := t.TempDir()
	in := copySample(t, dir, "customers.xls")
	r := runBin(t, nil, "encrypt", "--sandbox", in)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (some rows not OK)\n%s", r.code, r.stderr)
	}
	out := filepath.Join(dir, "customers.encrypted.xlsx")
	checkMode0600(t, out)
	if !strings.Contains(r.stderr, "sheet 客户名单") {
		t.Errorf("summary does not name the sheet:\n%s", r.stderr)
	}
	ref := filepath.Join(dir, "ref.xlsx")
	if r := runBin(t, nil, "encrypt", "--sandbox", "samples/customers.xlsx", "-o", ref); r.code != 1 {
		t.Fatalf("xlsx sample: exit %d\n%s", r.code, r.stderr)
	}

	width := 5 + len(resultHeader)
	got, _ := readXLSX(t, out, "Results")
	want, _ := readXLSX(t, ref, "Results")
	got, want = padRows(got, width), padRows(want, width)
	checkSampleRows(t, got, 5, nil, false)
	if len(got) != len(want) {
		t.Fatalf("%d output rows, the XLSX sample's run has %d", len(got), len(want))
	}
	const expire, requestID = 6, 10
	for i := range want {
		sameEpoch := got[i][expire] == want[i][expire]
		for c := range width {
			if c == requestID || c == expire || !sameEpoch && c == 5 {
				continue
			}
			if got[i][c] != want[i][c] {
				t.Errorf("row %d col %d (%s): %q, the XLSX sample gives %q", i, c, want[0][c], got[i][c], want[i][c])
			}
		}
	}

	// A second run finds the job finished (the resume path without the XLSX scanner).
	if r := runBin(t, nil, "encrypt", "--sandbox", in); r.code != 1 || !strings.Contains(r.stderr, "already finished") {
		t.Errorf("rerun: exit %d\n%s", r.code, r.stderr)
	}
}

func TestDefaultOutputXls(t *testing.T) {
	for in, want := range map[string]string{
		"a/客户.xls":  "a/客户.encrypted.xlsx",
		"b.XLS":     "b.encrypted.xlsx",
		"c.et":      "c.encrypted.xlsx",
		"d.xlsx":    "d.encrypted.xlsx",
		"e.csv":     "e.encrypted.csv",
		"f.tsv":     "f.encrypted.tsv",
		"g.unknown": "g.encrypted.csv",
	} {
		if got := defaultOutput(in); got != want {
			t.Errorf("defaultOutput(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestE2EXlsStopsAndResumes: an .xls job stopped by --max-duration resumes (the
// .xls is read again from the top, its finished rows skipped) and ends with
// every row once, in order, as an uninterrupted run.
func TestE2EXlsStopsAndResumes(t *testing.T) {
	dir := t.TempDir()
	in := copySample(t, dir, "customers.xls")
	args := []string{"encrypt", "--sandbox", "--qps", "3", "--progress", "none", in}
	r := runBin(t, nil, append(args, "--max-duration", "1s")...)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4 (stopped by --max-duration)\n%s", r.code, r.stderr)
	}
	r = runBin(t, nil, args...)
	if r.code != 1 {
		t.Fatalf("resumed run: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if m := regexp.MustCompile(`resumed (\d+)`).FindStringSubmatch(r.stderr); m == nil || m[1] == "0" || m[1] == "12" {
		t.Errorf("the second run should take some rows from the checkpoint, not none or all:\n%s", r.stderr)
	}
	rows, _ := readXLSX(t, filepath.Join(dir, "customers.encrypted.xlsx"), "Results")
	checkSampleRows(t, padRows(rows, 5+len(resultHeader)), 5, nil, false)
}
