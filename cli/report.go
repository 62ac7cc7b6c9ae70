package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"dytnsbatch/checkpoint"
	"dytnsbatch/internal/buildinfo"
	"dytnsbatch/pipeline"
	"dytnsbatch/readers"
	"dytnsbatch/store"
	"dytnsbatch/writers"
)

// report is the end-of-run summary: printed on stderr, written as JSON with --report,
// and rendered as the Summary sheet of an XLSX output.
type report struct {
	Mode        string            `json:"mode"` // "sandbox" or "real"
	Input       string            `json:"input"`
	InputDetail string            `json:"input_detail"`
	Output      string            `json:"output"`
	Checkpoint  string            `json:"checkpoint,omitempty"`
	Outcome     string            `json:"outcome"`
	Rows        int64             `json:"rows"`
	RowsOK      int64             `json:"rows_ok"`
	RowsFailed  int64             `json:"rows_not_ok"`
	Codes       map[string]int64  `json:"codes"`
	Resumed     int64             `json:"rows_resumed"`
	Duplicates  int64             `json:"rows_deduplicated"`
	Store       string            `json:"store"`                 // where the result store is; "off" or "unavailable"
	FromStore   int64             `json:"rows_from_store"`       // rows answered from the result store
	CallsSaved  int64             `json:"calls_saved_by_store"`  // calls those rows did not need
	StoreStale  int64             `json:"store_answers_renewed"` // stored answers too close to expiry, called again
	StoreSaved  int64             `json:"store_answers_written"` // answers written to the store
	Calls       int64             `json:"calls"`
	Billed      int64             `json:"billed_calls"`
	Throttled   int64             `json:"throttled_calls"`
	Retries     int64             `json:"retried_calls"`
	Undone      int64             `json:"rows_unfinished"`
	ElapsedSec  float64           `json:"elapsed_seconds"`
	RowsPerSec  float64           `json:"rows_per_second"`
	CallsPerSec float64           `json:"calls_per_second"`
	Finished    time.Time         `json:"finished_at"`
	Options     map[string]string `json:"options,omitempty"`
	Version     buildinfo.Info    `json:"version"`
	codeOrder   []pipeline.CodeCount
	skipped     bool      // the job had finished in an earlier run: nothing was done
	lastRun     time.Time // skipped: when that run ended
}

func (r *report) sandbox() bool { return r.Mode == "sandbox" }

func buildReport(o *encryptOptions, src readers.Source, ep *endpointSetup, out pipeline.Outcome, s pipeline.Snapshot) *report {
	r := &report{
		Mode:        "real",
		Input:       o.input,
		InputDetail: src.Describe(),
		Output:      o.output,
		Outcome:     out.Stop.String(),
		Rows:        s.RowsDone,
		RowsOK:      s.RowsOK,
		RowsFailed:  s.RowsFailed,
		Codes:       map[string]int64{},
		Resumed:     s.Resumed,
		Duplicates:  s.Duplicates,
		Calls:       s.Calls,
		Billed:      s.Billed,
		Throttled:   s.Throttled,
		Retries:     s.Retries,
		Undone:      out.Undone,
		ElapsedSec:  s.Elapsed.Seconds(),
		RowsPerSec:  s.RowRate(),
		CallsPerSec: s.CallRate(),
		Finished:    time.Now().UTC(),
		Version:     buildinfo.Read(),
		codeOrder:   s.Codes,
		FromStore:   s.FromStore,
		CallsSaved:  s.FromStore, // each row from the store is a call not made
	}
	if ep.sandbox != nil {
		r.Mode = "sandbox"
	}
	if !o.noCheckpoint {
		r.Checkpoint = o.checkpointPath
	}
	for _, c := range s.Codes {
		r.Codes[c.Code] = c.Rows
	}
	return r
}

// setStore adds what the run did with the store since base (the counts when this
// file started: a run of many files keeps one store open).
func (r *report) setStore(o *encryptOptions, st *store.Store, base store.Counts) {
	switch {
	case o.noCache:
		r.Store = "off"
	case st == nil:
		r.Store = "unavailable"
	default:
		r.Store = st.Describe()
		c := st.Counts()
		r.StoreStale, r.StoreSaved = c.Stale-base.Stale, c.Saved-base.Saved
	}
}

func (r *report) print(w io.Writer) {
	title := "done"
	if r.Outcome != pipeline.Completed.String() {
		title = "stopped (" + r.Outcome + ")"
	}
	fmt.Fprintf(w, "\ndytnsbatch: %s in %s\n", title, time.Duration(r.ElapsedSec*float64(time.Second)).Round(100*time.Millisecond))
	if r.sandbox() {
		fmt.Fprintln(w, "  NOTE      SANDBOX run: the 140 numbers are from the local sandbox, NOT real numbers")
	}
	fmt.Fprintf(w, "  input     %s\n", r.InputDetail)
	if r.Outcome == pipeline.Completed.String() {
		fmt.Fprintf(w, "  output    %s\n", r.Output)
	} else {
		fmt.Fprintf(w, "  output    not written yet (%d rows unfinished)\n", r.Undone)
	}
	fmt.Fprintf(w, "  rows      %d (OK %d, not OK %d; resumed %d, answered by dedupe %d)\n", r.Rows, r.RowsOK, r.RowsFailed, r.Resumed, r.Duplicates)
	for _, c := range r.codeOrder {
		fmt.Fprintf(w, "    %-28s %d\n", c.Code, c.Rows)
	}
	fmt.Fprintf(w, "  calls     %d (billed %d, throttled %d, retries %d)\n", r.Calls, r.Billed, r.Throttled, r.Retries)
	switch r.Store {
	case "", "off":
	case "unavailable":
		fmt.Fprintf(w, "  store     not used (see the warning above)\n")
	default:
		fmt.Fprintf(w, "  store     %d rows answered from it (%d calls saved), %d stored answers renewed, %d written; %s\n", r.FromStore, r.CallsSaved, r.StoreStale, r.StoreSaved, r.Store)
	}
	fmt.Fprintf(w, "  rate      %.0f rows/s, %.0f calls/s\n", r.RowsPerSec, r.CallsPerSec)
	if r.Checkpoint != "" {
		fmt.Fprintf(w, "  checkpoint %s\n", r.Checkpoint)
	}
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// writerSummary is the Summary sheet of an XLSX output.
func (r *report) writerSummary() *writers.Summary {
	title := "dytnsbatch summary"
	if r.sandbox() {
		title += " — SANDBOX numbers, not real 140 numbers"
	}
	s := &writers.Summary{
		Title: title,
		Items: []writers.KV{
			{Key: "Mode", Value: strings.ToUpper(r.Mode)},
			{Key: "Input", Value: r.InputDetail},
			{Key: "Rows", Value: strconv.FormatInt(r.Rows, 10)},
			{Key: "Rows OK", Value: strconv.FormatInt(r.RowsOK, 10)},
			{Key: "Rows not OK", Value: strconv.FormatInt(r.RowsFailed, 10)},
			{Key: "Rows resumed from checkpoint", Value: strconv.FormatInt(r.Resumed, 10)},
			{Key: "Rows answered by dedupe", Value: strconv.FormatInt(r.Duplicates, 10)},
			{Key: "Rows answered from the result store", Value: strconv.FormatInt(r.FromStore, 10)},
			{Key: "Calls saved by the result store", Value: strconv.FormatInt(r.CallsSaved, 10)},
			{Key: "API calls", Value: strconv.FormatInt(r.Calls, 10)},
			{Key: "Billed calls", Value: strconv.FormatInt(r.Billed, 10)},
			{Key: "Throttled calls", Value: strconv.FormatInt(r.Throttled, 10)},
			{Key: "Duration", Value: time.Duration(r.ElapsedSec * float64(time.Second)).Round(time.Millisecond).String()},
			{Key: "Achieved rate (rows/s)", Value: strconv.FormatFloat(r.RowsPerSec, 'f', 1, 64)},
			{Key: "Finished at (UTC)", Value: r.Finished.Format(time.RFC3339)},
		},
	}
	for _, c := range r.codeOrder {
		s.Codes = append(s.Codes, writers.CodeCount{Code: c.Code, Rows: c.Rows})
	}
	return s
}

// finishedReport describes a job that had finished in an earlier run, from its
// checkpoint (a run of many files lists it).
func finishedReport(o *encryptOptions, src readers.Source, ep *endpointSetup, cp *checkpoint.Checkpoint) *report {
	r := buildReport(o, src, ep, pipeline.Outcome{Stop: pipeline.Completed}, pipeline.Snapshot{})
	r.skipped = true
	r.Outcome = "finished earlier"
	r.Rows, r.lastRun = cp.Meta().Rows, cp.Meta().Updated
	for code, n := range cp.Counts() {
		r.Codes[code] = n
		if code == pipeline.CodeOK {
			r.RowsOK += n
		} else {
			r.RowsFailed += n
		}
	}
	return r
}

// printFinished answers a rerun of a finished job of one file, which made no call.
func (r *report) printFinished(w io.Writer, checkpointPath string) {
	fmt.Fprintf(w, "dytnsbatch: this job already finished (%d rows, %d not OK; last run %s); %s is complete. No calls made.\n",
		r.Rows, r.RowsFailed, r.lastRun.Local().Format("2006-01-02 15:04:05"), r.Output)
	fmt.Fprintf(w, "  use --restart to run it again from scratch (and pay again), or delete %s\n", checkpointPath)
}

// finishedCode is the exit code of a rerun of a finished job: its rows' verdict.
func finishedCode(cp *checkpoint.Checkpoint) error {
	for code, n := range cp.Counts() {
		if code != pipeline.CodeOK && n > 0 {
			return &exitError{code: exitRowsFailed}
		}
	}
	return nil
}
