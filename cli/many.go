package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"dytnsbatch/internal/buildinfo"
	"dytnsbatch/pipeline"
)

// fileStatus is how one file of a run of many ended.
const (
	fileDone           = "done"
	fileDoneNotOK      = "done (rows not OK)"
	fileFinishedBefore = "finished earlier"
	fileFailed         = "failed"
	fileStopped        = "stopped"
	fileNotStarted     = "not started"
)

// fileReport is one file's line in the run's summary and --report.
type fileReport struct {
	Input    string  `json:"input"`
	Output   string  `json:"output"`
	Status   string  `json:"status"`
	ExitCode int     `json:"exit_code"`
	Error    string  `json:"error,omitempty"`
	Report   *report `json:"report,omitempty"` // nil when the file stopped before any call or was not started
}

// manyReport is the summary of a run of many files.
type manyReport struct {
	Mode       string           `json:"mode"`
	Outcome    string           `json:"outcome"`
	ExitCode   int              `json:"exit_code"`
	Files      []fileReport     `json:"files"`
	Rows       int64            `json:"rows"`
	RowsOK     int64            `json:"rows_ok"`
	RowsFailed int64            `json:"rows_not_ok"`
	Codes      map[string]int64 `json:"codes"`
	Duplicates int64            `json:"rows_deduplicated"`
	FromStore  int64            `json:"rows_from_store"`
	Calls      int64            `json:"calls"`
	Billed     int64            `json:"billed_calls"`
	ElapsedSec float64          `json:"elapsed_seconds"`
	Finished   time.Time        `json:"finished_at"`
	Version    buildinfo.Info   `json:"version"`
}

// encryptMany runs the files of o.files one after another through one client,
// pacer, result store and table of answers. A file that fails (unreadable, not a
// table, a local error) is reported and the next one runs; what stops the run is
// what would stop every file: an interrupt, --max-duration, a fatal API answer or
// --max-errors. The exit code is the worst of the files'.
func encryptMany(ctx context.Context, o *encryptOptions, stdout, stderr io.Writer) error {
	logf := logTo(stderr)
	sh, err := openShared(o, logf)
	if err != nil {
		return err
	}
	defer sh.close()
	sh.many = true
	if !o.noDedupe {
		sh.answers = pipeline.NewRunAnswers()
	}
	start := time.Now()
	rep := &manyReport{Mode: "real", Codes: map[string]int64{}, Version: buildinfo.Read()}
	if sh.ep.sandbox != nil {
		rep.Mode = "sandbox"
	}
	stopped, stopCode, stopWhy := false, exitOK, ""
	for i, f := range o.files {
		fr := fileReport{Input: f.input, Output: f.output, Status: fileNotStarted, ExitCode: stopCode, Error: stopWhy}
		if !stopped {
			logf("file %d of %d: %s → %s", i+1, len(o.files), f.input, f.output)
			fr, stopped = runOneOfMany(ctx, o, f, sh, start, stdout, stderr)
			if stopped {
				stopCode, stopWhy = notStartedCode(fr.ExitCode), "the run stopped before this file"
			}
		}
		rep.add(fr)
	}
	rep.ElapsedSec = time.Since(start).Seconds()
	rep.Finished = time.Now().UTC()
	rep.print(stderr)
	if o.report != "" {
		if werr := rep.writeJSON(o.report); werr != nil {
			logf("could not write the report: %v", werr)
		}
	}
	if rep.ExitCode != exitOK {
		return &exitError{code: rep.ExitCode}
	}
	return nil
}

// runOneOfMany runs one file and says how it ended, and whether the run must stop.
func runOneOfMany(ctx context.Context, o *encryptOptions, f fileJob, sh *shared, start time.Time, stdout, stderr io.Writer) (fileReport, bool) {
	fr := fileReport{Input: f.input, Output: f.output}
	fo := o.forFile(f)
	if o.maxDuration > 0 {
		fo.maxDurationLeft = o.maxDuration - time.Since(start)
		if fo.maxDurationLeft <= 0 {
			fr.Status, fr.ExitCode = fileNotStarted, exitInterrupted
			fr.Error = fmt.Sprintf("--max-duration %s reached before this file", o.maxDuration)
			return fr, true
		}
	}
	var rep *report
	err := ensureOutputDir(f.output)
	if err == nil {
		rep, err = encryptFile(ctx, fo, sh, stdout, stderr)
	}
	fr.Report = rep
	fr.ExitCode = ExitCodeOf(err)
	if err != nil && err.Error() != "" {
		fr.Error = err.Error()
		logTo(stderr)("%s: %v", f.input, err)
	}
	switch {
	case rep != nil && rep.skipped:
		fr.Status = fileFinishedBefore
	case rep != nil && rep.Outcome == pipeline.Failed.String():
		fr.Status = fileFailed // a local error (input damaged part way, checkpoint not writable): a rerun would fail the same way
	case rep != nil && rep.Outcome != pipeline.Completed.String():
		fr.Status = fileStopped
	case fr.ExitCode == exitOK:
		fr.Status = fileDone
	case fr.ExitCode == exitRowsFailed && rep != nil:
		fr.Status = fileDoneNotOK
	default:
		fr.Status = fileFailed
	}
	// An interrupt, the deadline, the API refusing the account or AuthCode, or
	// --max-errors would stop the next file too.
	stop := ctx.Err() != nil || fr.ExitCode == exitInterrupted || fr.ExitCode == exitFatalAPI
	return fr, stop
}

// notStartedCode is the exit code of the files a run stopped before, after the
// file that stopped it ended with code. They are not done, so the run's code must
// say so even when that file had finished (an interrupt during its last rows):
// a cron job must not take the night as done. A fatal API answer keeps its 3.
func notStartedCode(code int) int {
	if code == exitFatalAPI {
		return code
	}
	return exitInterrupted
}

func (m *manyReport) add(fr fileReport) {
	m.Files = append(m.Files, fr)
	m.ExitCode = max(m.ExitCode, fr.ExitCode)
	if r := fr.Report; r != nil {
		m.Rows += r.Rows
		m.RowsOK += r.RowsOK
		m.RowsFailed += r.RowsFailed
		m.Duplicates += r.Duplicates
		m.FromStore += r.FromStore
		m.Calls += r.Calls
		m.Billed += r.Billed
		for c, n := range r.Codes {
			m.Codes[c] += n
		}
	}
	switch {
	case m.ExitCode == exitOK:
		m.Outcome = "completed"
	case m.ExitCode == exitRowsFailed:
		m.Outcome = "completed, some rows not OK"
	default:
		m.Outcome = "incomplete"
	}
}

func (m *manyReport) print(w io.Writer) {
	counts := map[string]int{}
	for _, f := range m.Files {
		counts[f.Status]++
	}
	fmt.Fprintf(w, "\ndytnsbatch: %d files in %s:", len(m.Files), time.Duration(m.ElapsedSec*float64(time.Second)).Round(100*time.Millisecond))
	sep := " "
	for _, s := range []string{fileDone, fileDoneNotOK, fileFinishedBefore, fileStopped, fileFailed, fileNotStarted} {
		if counts[s] > 0 {
			fmt.Fprintf(w, "%s%d %s", sep, counts[s], s)
			sep = ", "
		}
	}
	fmt.Fprintln(w)
	if m.Mode == "sandbox" {
		fmt.Fprintln(w, "  NOTE      SANDBOX run: the 140 numbers are from the local sandbox, NOT real numbers")
	}
	for _, f := range m.Files {
		fmt.Fprintf(w, "  %-24s %s", f.Status, f.Input)
		switch r := f.Report; {
		case r != nil && f.Status == fileFinishedBefore:
			fmt.Fprintf(w, " → %s (%d rows, %d not OK; no calls)", f.Output, r.Rows, r.RowsFailed)
		case r != nil && (f.Status == fileDone || f.Status == fileDoneNotOK):
			fmt.Fprintf(w, " → %s (%d rows, %d not OK, %d calls)", f.Output, r.Rows, r.RowsFailed, r.Calls)
		case r != nil && f.Status == fileStopped:
			fmt.Fprintf(w, " (%d rows done, %d unfinished, %d calls; run again to continue)", r.Rows, r.Undone, r.Calls)
		case f.Error != "": // failed, or not started
			first, _, _ := strings.Cut(f.Error, "\n")
			fmt.Fprintf(w, ": %s", first)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  rows      %d (OK %d, not OK %d; answered by dedupe %d, from the store %d)\n", m.Rows, m.RowsOK, m.RowsFailed, m.Duplicates, m.FromStore)
	fmt.Fprintf(w, "  calls     %d (billed %d)\n", m.Calls, m.Billed)
}

func (m *manyReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
