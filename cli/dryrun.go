package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"dytnsbatch/dytns"
	"dytnsbatch/pipeline"
	"dytnsbatch/readers"
	"dytnsbatch/sandbox"
	"dytnsbatch/store"
)

// dryRunReport is what --dry-run finds: everything a run would do, short of calling.
type dryRunReport struct {
	Input         string           `json:"input"`
	Error         string           `json:"error,omitempty"` // with many inputs: why this file could not be dry-run
	InputDetail   string           `json:"input_detail"`
	Rows          int64            `json:"rows"`
	Sendable      int64            `json:"rows_sendable"`
	BillableCalls int64            `json:"billable_calls"` // distinct numbers with dedupe on, less what the store answers
	FromStore     int64            `json:"calls_answered_by_store"`
	Store         string           `json:"store"`    // where it looked; "off" or "unavailable"
	Rejected      map[string]int64 `json:"rejected"` // rows per local Code
	Examples      []rejectedRow    `json:"rejected_examples"`
	EstimatedSec  float64          `json:"estimated_seconds"`
	QPS           int              `json:"qps"`
}

type rejectedRow struct {
	Where  string `json:"where"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
	Value  string `json:"value"` // masked
}

const maxDryRunExamples = 20

func runDryRun(o *encryptOptions, stderr io.Writer) error {
	rep, err := dryRunFile(o, map[uint64]struct{}{}, stderr)
	if err != nil {
		return err
	}
	printDryRun(rep, stderr)
	if o.report != "" {
		return writeDryRunJSON(o.report, rep)
	}
	return nil
}

// dryRunMany dry-runs each file of a run of many in turn; a file that cannot be
// read is reported and the others go on. --report gets a JSON list of the files'.
// As in the run, a number is billable only in the first file that has it.
func dryRunMany(o *encryptOptions, stderr io.Writer) error {
	var reps []dryRunReport
	seen := map[uint64]struct{}{}
	worst := exitOK
	for _, f := range o.files {
		rep, err := dryRunFile(o.forFile(f), seen, stderr)
		if err != nil {
			logTo(stderr)("%s: %v", f.input, err)
			worst = max(worst, ExitCodeOf(err))
			reps = append(reps, dryRunReport{Input: f.input, Error: err.Error()})
			continue
		}
		printDryRun(rep, stderr)
		reps = append(reps, rep)
	}
	if o.report != "" {
		if err := writeDryRunJSON(o.report, reps); err != nil {
			return err
		}
	}
	if worst != exitOK {
		return &exitError{code: worst}
	}
	return nil
}

func writeDryRunJSON(path string, v any) error {
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return usageErr("write report: %w", err)
	}
	return nil
}

// dryRunFile reads one input as a run would and counts what it would do; seen holds
// the numbers counted already (by earlier files of a run of many), and gets this
// file's.
func dryRunFile(o *encryptOptions, seen map[uint64]struct{}, stderr io.Writer) (dryRunReport, error) {
	src, err := openInput(o)
	if err != nil {
		return dryRunReport{}, err
	}
	defer src.Close()
	rep := dryRunReport{Input: o.input, InputDetail: src.Describe(), Rejected: map[string]int64{}, QPS: o.qps, Store: "off"}
	results := dryRunStore(o, logTo(stderr))
	defer results.Close()
	if results != nil {
		rep.Store = results.Describe()
	} else if !o.noCache {
		rep.Store = "none (no store yet for this account, or it could not be opened)"
	}
	// fromStore counts a call the store would answer; with no store it answers nothing.
	fromStore := func(num string) bool {
		if _, ok := results.Lookup(num); ok {
			rep.FromStore++
			return true
		}
		return false
	}
	for {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, &exitError{code: exitUsage, err: err}
		}
		rep.Rows++
		num, code, reason := pipeline.Triage(row, pipeline.OutID(row, o.outIDColumn != ""))
		if code != "" {
			rep.Rejected[code]++
			if len(rep.Examples) < maxDryRunExamples {
				rep.Examples = append(rep.Examples, rejectedRow{Where: where(row), Code: code, Reason: reason, Value: dytns.MaskNumber(row.Phone)})
			}
			continue
		}
		rep.Sendable++
		if o.noDedupe {
			if !fromStore(num) {
				rep.BillableCalls++
			}
			continue
		}
		n, _ := strconv.ParseUint(num, 10, 64)
		if _, dup := seen[n]; !dup {
			seen[n] = struct{}{}
			if !fromStore(num) {
				rep.BillableCalls++
			}
		}
	}
	if o.qps > 0 {
		rep.EstimatedSec = float64(rep.BillableCalls) / float64(o.qps)
	}
	return rep, nil
}

// dryRunStore opens the store a run would use, without sweeping it. The store is
// per account, so it needs the credentials' AccessKeyId; without credentials the
// dry run says so and counts no store answers.
func dryRunStore(o *encryptOptions, logf func(string, ...any)) *store.Store {
	if o.noCache {
		return nil
	}
	if o.sandbox {
		code := o.authCode
		if code == "" {
			code = sandbox.DefaultAuthCode
		}
		return openStore(o, sandbox.DefaultAccessKeyID, code, "sandbox", false, logf)
	}
	client, err := dytns.New(dytns.Config{Endpoint: o.endpoint, Region: o.region, AuthCode: o.authCode, Profile: o.profile})
	if err != nil {
		logf("result store not consulted (it is kept per account): %v", err)
		return nil
	}
	defer client.Close()
	return openStore(o, client.AccountID(), o.authCode, o.endpoint, false, logf)
}

func where(row readers.Row) string {
	if row.Sheet != "" {
		return fmt.Sprintf("sheet %s row %d", row.Sheet, row.Line)
	}
	return fmt.Sprintf("line %d", row.Line)
}

func printDryRun(r dryRunReport, w io.Writer) {
	fmt.Fprintf(w, "dytnsbatch: dry run, nothing was called\n")
	fmt.Fprintf(w, "  input      %s\n", r.InputDetail)
	fmt.Fprintf(w, "  rows       %d (%d can be sent)\n", r.Rows, r.Sendable)
	fmt.Fprintf(w, "  calls      %d billable (%d saved by dedupe, %d answered by the result store)\n", r.BillableCalls, r.Sendable-r.BillableCalls-r.FromStore, r.FromStore)
	fmt.Fprintf(w, "  store      %s\n", r.Store)
	codes := make([]string, 0, len(r.Rejected))
	for c := range r.Rejected {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "  rejected   %-22s %d\n", c, r.Rejected[c])
	}
	for _, e := range r.Examples {
		fmt.Fprintf(w, "    %s: %s %q — %s\n", e.Where, e.Code, e.Value, e.Reason)
	}
	if r.QPS > 0 {
		fmt.Fprintf(w, "  time       about %s at --qps %d\n", (time.Duration(r.EstimatedSec * float64(time.Second))).Round(time.Second), r.QPS)
	}
}
