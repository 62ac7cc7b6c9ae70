package cli

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"dytnsbatch/checkpoint"
	"dytnsbatch/dytns"
	"dytnsbatch/pipeline"
	"dytnsbatch/pipeline/pacer"
	"dytnsbatch/readers"
	"dytnsbatch/sandbox"
	"dytnsbatch/store"
	"dytnsbatch/writers"
)

// defaultOutput is INPUT-STEM.encrypted.EXT beside the input; text inputs give CSV.
// A legacy .xls/.et workbook gives XLSX: we do not write the old binary format.
func defaultOutput(input string) string {
	ext := strings.ToLower(filepath.Ext(input))
	stem := strings.TrimSuffix(input, filepath.Ext(input))
	switch ext {
	case ".xlsx", ".xlsm", ".xls", ".et":
		return stem + ".encrypted.xlsx"
	case ".tsv":
		return stem + ".encrypted.tsv"
	}
	return stem + ".encrypted.csv"
}

func EncryptCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseEncryptFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logf := logTo(stderr)
	tmp, cleanup, err := runTempDir(logf)
	if err != nil {
		return asConfigError(err)
	}
	defer cleanup()
	o.tmpDir = tmp
	if o.files != nil {
		if o.dryRun {
			return dryRunMany(o, stderr)
		}
		return encryptMany(ctx, o, stdout, stderr)
	}
	if err := o.preparePipes(os.Stdin); err != nil {
		return err
	}
	if o.dryRun {
		return runDryRun(o, stderr)
	}
	return encrypt(ctx, o, stdout, stderr)
}

func (o *encryptOptions) readerOptions() readers.Options {
	return readers.Options{
		Column:      o.column,
		OutIDColumn: o.outIDColumn,
		Sheet:       o.sheet,
		HeaderRow:   o.headerRow,
		Encoding:    o.encoding,
		Delimiter:   o.delimiterRune,
		TmpDir:      o.tmpDir,
	}
}

func openInput(o *encryptOptions) (readers.Source, error) {
	src, err := readers.Open(o.inputPath, o.readerOptions())
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return src, nil
}

// inputFacts fingerprints the input's content and, for text files, counts its lines
// for the progress ETA, in one read.
func inputFacts(path string) (sum string, size, lines int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, 0, usageErr("open input: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		n, rerr := f.Read(buf)
		h.Write(buf[:n])
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		size += int64(n)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", 0, 0, usageErr("read input: %w", rerr)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, lines, nil
}

// endpointSetup is where calls go and with which credentials.
type endpointSetup struct {
	cfg     dytns.Config
	sandbox *sandbox.Server
	label   string // "sandbox" or the endpoint host
}

func setupEndpoint(o *encryptOptions) (*endpointSetup, error) {
	cfg := dytns.Config{
		Endpoint:  o.endpoint,
		Region:    o.region,
		AuthCode:  o.authCode,
		Profile:   o.profile,
		Timeout:   o.timeout,
		UserAgent: "dytnsbatch",
	}
	if !o.sandbox {
		return &endpointSetup{cfg: cfg, label: o.endpoint}, nil
	}
	scfg := sandbox.DefaultConfig()
	scfg.Latency = o.sandboxLatency
	scfg.Jitter = o.sandboxJitter
	scfg.QPS = o.sandboxQPS
	srv, err := sandbox.Start("127.0.0.1:0", scfg)
	if err != nil {
		return nil, fmt.Errorf("start the embedded sandbox: %w", err)
	}
	cfg.Endpoint = srv.Addr()
	cfg.AccessKeyID = sandbox.DefaultAccessKeyID
	cfg.AccessKeySecret = sandbox.DefaultAccessKeySecret
	if cfg.AuthCode == "" {
		cfg.AuthCode = sandbox.DefaultAuthCode
	}
	return &endpointSetup{cfg: cfg, sandbox: srv, label: "sandbox"}, nil
}

// fingerprint covers the input's content and every option that changes results, so
// that a checkpoint is never applied to another job.
func fingerprint(o *encryptOptions, inputSum, endpointLabel string) (string, map[string]string) {
	opts := map[string]string{
		"input-sha256": inputSum,
		"column":       o.column,
		"outid-column": o.outIDColumn,
		"sheet":        o.sheet,
		"header-row":   strconv.Itoa(o.headerRow),
		"encoding":     o.encoding,
		"delimiter":    o.delimiter,
		"dedupe":       strconv.FormatBool(!o.noDedupe),
		"endpoint":     endpointLabel,
		"region":       o.region,
	}
	if o.authCode != "" {
		// A different AuthCode may give different numbers; keep only a hash of it.
		s := sha256.Sum256([]byte("dytnsbatch-authcode:" + o.authCode))
		opts["auth-code-sha256"] = hex.EncodeToString(s[:8])
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, opts[k])
	}
	return hex.EncodeToString(h.Sum(nil)), opts
}

// textColumns are the output columns that must stay verbatim text: the added result
// columns and, in XLSX, the phone column (a CSV echo of the phone cell is still
// neutralised when Excel would run it as a formula: it is input, like any other cell).
func textColumns(output string, width, phone int) []int {
	var cols []int
	if isXLSX(output) {
		cols = append(cols, phone)
	}
	for i := range pipeline.ResultColumns {
		cols = append(cols, width+i)
	}
	return cols
}

func writerOptions(o *encryptOptions, width, phone int) writers.Options {
	return writers.Options{
		BOM:         o.bom,
		Encoding:    strings.ToLower(o.outputEncoding),
		TextColumns: textColumns(o.sinkPath, width, phone),
		SheetName:   "Results",
		TmpDir:      o.tmpDir,
	}
}

// logTo returns a logger of one-line messages on w, prefixed with the program name.
func logTo(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) { fmt.Fprintf(w, "dytnsbatch: "+format+"\n", args...) }
}

// encrypt runs the job of one INPUT: the shared parts, the file, the summary.
func encrypt(ctx context.Context, o *encryptOptions, stdout, stderr io.Writer) error {
	logf := logTo(stderr)
	sh, err := openShared(o, logf)
	if err != nil {
		return err
	}
	defer sh.close()
	rep, err := encryptFile(ctx, o, sh, stdout, stderr)
	if rep != nil && rep.skipped { // no summary, and an earlier --report stays
		rep.printFinished(stderr, o.checkpointPath)
	} else if rep != nil {
		rep.print(stderr)
		if o.report != "" {
			if werr := rep.writeJSON(o.report); werr != nil {
				logf("could not write the report: %v", werr)
			}
		}
	}
	return err
}

// shared is what outlives one file's job: the endpoint and client, the result
// store and the pacer (so one quota), opened once per run.
type shared struct {
	ep      *endpointSetup
	client  *dytns.Client
	results *store.Store
	pacer   *pacer.Pacer
	logf    func(string, ...any)
	// many: a run of many files. The store then stays open from file to file (its
	// counts, per file, are taken as differences from storeBase), and answers
	// carries OK answers from one file to the next.
	many      bool
	storeBase store.Counts
	answers   *pipeline.RunAnswers
}

func openShared(o *encryptOptions, logf func(string, ...any)) (*shared, error) {
	ep, err := setupEndpoint(o)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if ep.sandbox != nil {
		logf("using the embedded sandbox at %s: the 140 numbers are SANDBOX numbers, not real ones", ep.sandbox.Addr())
	}
	client, err := dytns.New(ep.cfg)
	if err != nil {
		if ep.sandbox != nil {
			ep.sandbox.Close()
		}
		return nil, asConfigError(err)
	}
	if ep.sandbox == nil {
		logf("credentials: %s", client.CredentialSource())
	}
	sh := &shared{ep: ep, client: client, logf: logf, pacer: pacer.New(pacer.Config{QPS: o.qps})}
	sh.results = openStore(o, client.AccountID(), ep.cfg.AuthCode, ep.label, true, logf)
	return sh, nil
}

// resultStore is the persistent store as the pipeline takes it.
func (sh *shared) resultStore() pipeline.ResultStore {
	if sh.results != nil { // a nil *store.Store must not become a non-nil ResultStore
		return sh.results
	}
	return nil
}

func (sh *shared) closeStore() {
	if sh.results == nil {
		return
	}
	if err := sh.results.Close(); err != nil {
		sh.logf("result store %s: closing failed: %v", sh.results.Describe(), err)
	}
	sh.results = nil
}

func (sh *shared) close() {
	sh.closeStore()
	sh.client.Close()
	if sh.ep.sandbox != nil {
		sh.ep.sandbox.Close()
	}
}

// encryptFile runs the job of one file through the run's shared parts and returns
// its report (nil when it stopped before any call, or the job had already
// finished) and its exit error. It is the one place where checkpoint, reader,
// sink and pipeline meet; the checkpoint part is in openJob, the wiring in
// pipelineConfig, the recording in finishCheckpoint.
func encryptFile(ctx context.Context, o *encryptOptions, sh *shared, stdout, stderr io.Writer) (*report, error) {
	logf := logTo(stderr)
	inputSum, inputSize, inputLines, err := inputFacts(o.inputPath)
	if err != nil {
		return nil, err
	}
	src, err := openInput(o)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	header := src.Header()
	width := len(header)
	ep := sh.ep

	stats := fileStats(src, inputLines)
	fp, fpOpts := fingerprint(o, inputSum, ep.label)
	j, err := openJob(o, fp, fpOpts, inputSize, logf)
	defer j.close()
	if j.done {
		return finishedReport(o, src, ep, j.cp), err
	}
	if err != nil {
		return nil, err
	}
	callSide, closeCallSide, err := callSideFor(o, src, j.resume, logf)
	if err != nil {
		return nil, err
	}
	defer closeCallSide()

	outHeader := append(append([]string{}, header...), pipeline.ResultColumns...)
	sink, err := writers.Create(o.sinkPath, outHeader, writerOptions(o, width, src.PhoneColumn()))
	if err != nil {
		return nil, usageErr("create output: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			sink.Abort()
		}
	}()

	stopProgress := startProgress(o.progress, o.progressInterval, stats, sh.pacer, stderr)

	cfg, record := pipelineConfig(o, sh, j, callSide, width, sink, stats, logf)
	outcome := pipeline.Run(ctx, cfg)
	stopProgress()
	snap := stats.Snapshot()
	rep := buildReport(o, src, ep, outcome, snap)
	sh.afterFile(o, rep)

	if err := finishCheckpoint(o, record, j.rcp, outcome, snap, logf); err != nil {
		return rep, err
	}

	if outcome.Stop == pipeline.Completed {
		if err := sink.Close(rep.writerSummary()); err != nil {
			return rep, usageErr("write output: %w", err)
		}
		closed = true
		if err := o.copyToStdout(stdout); err != nil {
			return rep, err
		}
	}
	return rep, outcomeError(o, outcome, snap)
}

// fileStats are one file's counters. Newlines estimate the rows of a text file
// only; a workbook (XLSX or XLS, whatever its name) has a sheet.
func fileStats(src readers.Source, inputLines int64) *pipeline.Stats {
	stats := pipeline.NewStats()
	if layout, ok := readers.LayoutOf(src); inputLines > 0 && (!ok || layout.Sheet == "") {
		stats.SetTotal(max(inputLines-1, 1)) // less the header line; quoted newlines make it an estimate
	}
	return stats
}

// callSideFor is the reader that finds the rows to call. Resuming, src replays the
// input from the first row, giving every output row its cells, while a second
// reader skips to the rows still to call; otherwise src does both.
func callSideFor(o *encryptOptions, src readers.Source, resume *pipeline.Resume, logf func(string, ...any)) (pipeline.RowSource, func(), error) {
	if resume == nil || resume.Spooled == 0 {
		return src, func() {}, nil
	}
	resume.Replay = src
	cs, err := openCallSide(o, src, resume.Spooled, logf)
	if err != nil {
		return nil, nil, err
	}
	return cs, func() { _ = cs.Close() }, nil
}

// afterFile writes the store's queued answers before anything can stop the run (a
// rerun skips a finished file and counts on the store for its numbers), and puts
// the store's part of the file's report in. A run of one file closes the store; a
// run of many keeps it open and takes the next file's counts from here.
func (sh *shared) afterFile(o *encryptOptions, rep *report) {
	if !sh.many {
		rep.setStore(o, sh.results, sh.storeBase)
		sh.closeStore()
		return
	}
	sh.results.Flush()
	rep.setStore(o, sh.results, sh.storeBase)
	sh.storeBase = sh.results.Counts()
}

// pipelineConfig wires one file's run: what to read and write, the shared client,
// pacer and store, and the checkpoint to record in (the --retry-failed one when
// that pass is on, which also prefills the rows it does not call again).
func pipelineConfig(o *encryptOptions, sh *shared, j *job, callSide pipeline.RowSource, width int, sink writers.Sink, stats *pipeline.Stats, logf func(string, ...any)) (pipeline.Config, *checkpoint.Checkpoint) {
	cfg := pipeline.Config{
		Source:          callSide,
		Width:           width,
		Out:             sink,
		Encrypter:       sh.client,
		Pacer:           sh.pacer,
		Resume:          j.resume,
		Salt:            j.salt,
		Workers:         o.workers,
		Retries:         o.retries,
		Dedupe:          !o.noDedupe,
		OutIDFromColumn: o.outIDColumn != "",
		MaxErrors:       o.maxErrorsCount,
		MaxErrorRatio:   o.maxErrorsRatio,
		MaxDuration:     cmp.Or(o.maxDurationLeft, o.maxDuration),
		Stats:           stats,
		Logf:            logf,
	}
	record := j.cp
	if j.rcp != nil {
		record = j.rcp
		cfg.Prefill = j.prefill
	}
	if record != nil { // a nil *Checkpoint must not become a non-nil Recorder
		cfg.Recorder = record
	}
	if sh.ep.sandbox != nil {
		cfg.Note = "[SANDBOX number, not real]"
	}
	cfg.Store = sh.resultStore()
	if sh.answers != nil {
		cfg.Shared, cfg.Name = sh.answers, o.input
	}
	return cfg, record
}

// finishCheckpoint records the run's calls in the checkpoint, and marks it finished
// when every row is written (a --retry-failed pass then replaces the original).
func finishCheckpoint(o *encryptOptions, record, rcp *checkpoint.Checkpoint, outcome pipeline.Outcome, snap pipeline.Snapshot, logf func(string, ...any)) error {
	if record != nil {
		meta := record.Meta()
		meta.Calls += snap.Calls
		meta.Updated = time.Now()
		if outcome.Stop == pipeline.Completed {
			meta.Rows = outcome.Rows
			if err := record.Finish(meta); err != nil {
				return usageErr("finish checkpoint: %w", err)
			}
			if rcp != nil {
				if err := replaceWithRetry(o, rcp); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
		} else if err := record.UpdateMeta(meta); err != nil {
			logf("could not update the checkpoint: %v", err)
		}
	}
	return nil
}

// openStore opens the result store for this account, AuthCode and endpoint, or
// returns nil (no store) after saying why: a store must never stop a run. Not for a
// run (--dry-run): it neither sweeps nor creates a store.
func openStore(o *encryptOptions, account, authCode, endpoint string, run bool, logf func(string, ...any)) *store.Store {
	if o.noCache {
		return nil
	}
	opts := store.Options{
		Location:    o.cache,
		Identity:    account + "\x00" + authCode + "\x00" + endpoint,
		MinValidity: o.minValidity,
		Refresh:     o.cacheRefresh,
		Logf:        logf,
	}
	if run {
		opts.Sweep = 2 * time.Second
	} else {
		opts.MustExist = true
	}
	st, err := store.Open(opts)
	if errors.Is(err, store.ErrNoStore) {
		return nil
	}
	if err != nil {
		logf("result store not used: %v; every number is called as usual", err)
		return nil
	}
	return st
}

func isXLSX(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".xlsx" || ext == ".xlsm"
}

// callSideSource is a reader for the rows still to call.
type callSideSource interface {
	pipeline.RowSource
	Close() error
}

// openCallSide opens the reader that finds the rows to call from row index from on.
// For XLSX that is a scanner that skips the finished rows at the speed of the zip
// stream (excelize would parse every one of them: 20 s for 900,000 rows) and reads
// only the phone and OutId cells; CSV readers skip fast enough as they are.
func openCallSide(o *encryptOptions, src readers.Source, from int64, logf func(string, ...any)) (callSideSource, error) {
	if layout, ok := readers.LayoutOf(src); ok {
		sc, err := readers.OpenPhoneScanner(layout, from)
		if err == nil {
			return &scanThenRead{scanner: sc, open: func() (readers.Source, error) { return openInput(o) }, logf: logf}, nil
		}
		if !errors.Is(err, readers.ErrNoScanner) {
			return nil, asConfigError(err)
		}
	}
	return openInput(o)
}

// scanThenRead hands out the scanner's rows until the scanner meets an OutId cell
// that excelize shows otherwise than it is stored (readers.ErrOutIDFormatted); from
// that row on it reads the input through the full reader, as an uninterrupted run
// does, so that every row is called with the OutId its output row shows. That
// reader starts at the first row, so the switch costs the time to walk to there.
type scanThenRead struct {
	scanner readers.PhoneScanner
	open    func() (readers.Source, error)
	logf    func(string, ...any)
	src     readers.Source
	from    int64
}

func (s *scanThenRead) Next() (readers.Row, error) {
	if s.src == nil {
		row, err := s.scanner.Next()
		if !errors.Is(err, readers.ErrOutIDFormatted) {
			return row, err
		}
		s.logf("resuming: %v; reading the input from its first row to get it, which takes a while for a large sheet", err)
		if err := s.scanner.Close(); err != nil {
			return readers.Row{}, fmt.Errorf("close the row scanner: %w", err)
		}
		if s.src, err = s.open(); err != nil {
			return readers.Row{}, err
		}
		s.from = row.Index
	}
	for {
		row, err := s.src.Next()
		if err != nil || row.Index >= s.from {
			return row, err
		}
	}
}

func (s *scanThenRead) Close() error {
	if s.src != nil {
		return s.src.Close()
	}
	return s.scanner.Close()
}

// buildResume opens what a resumed run needs: the recorded answers, in order and
// beyond the ordered prefix, and the seed for dedupe.
// Its Prefix, when set, is the caller's to close.
func buildResume(cp *checkpoint.Checkpoint) (*pipeline.Resume, error) {
	res := &pipeline.Resume{Spooled: cp.Spooled(), Pending: cp.Pending()}
	if res.Spooled > 0 {
		prefix, err := cp.Prefix()
		if err != nil {
			return nil, usageErr("read checkpoint: %w", err)
		}
		res.Prefix = prefix
	}
	res.Known = func(yield func(checkpoint.Result) bool) error {
		for _, r := range res.Pending {
			if !yield(r) {
				return nil
			}
		}
		if res.Spooled == 0 {
			return nil
		}
		_, err := yieldPrefix(cp, yield)
		return err
	}
	return res, nil
}

// yieldPrefix hands yield every result recorded in order in cp; more is false when
// yield asked to stop.
func yieldPrefix(cp *checkpoint.Checkpoint, yield func(checkpoint.Result) bool) (more bool, err error) {
	it, err := cp.Prefix()
	if err != nil {
		return false, err
	}
	defer it.Close()
	for {
		r, err := it.Next()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if !yield(r) {
			return false, nil
		}
	}
}

// openRetry starts (or resumes) a --retry-failed pass over a finished job. Its
// results go to a sibling checkpoint that replaces the finished one only when the
// pass completes, so an interrupted retry loses nothing and can itself be resumed.
func openRetry(o *encryptOptions, cp *checkpoint.Checkpoint, want checkpoint.Meta, logf func(string, ...any)) (*checkpoint.Checkpoint, *pipeline.Resume, *checkpoint.Iterator, error) {
	want.Salt = cp.Meta().Salt // dedupe keys must match the finished run's
	rcp, err := checkpoint.Open(retryPath(o), want, false)
	if err != nil {
		return nil, nil, nil, asConfigError(err)
	}
	var retryable int64
	for code, n := range cp.Counts() {
		if code != pipeline.CodeOK && !strings.HasPrefix(code, "Input.") {
			retryable += n
		}
	}
	resume := &pipeline.Resume{}
	if rcp.Resumed() {
		resume, err = buildResume(rcp)
		if err != nil {
			rcp.Close()
			return nil, nil, nil, err
		}
	}
	// Seed dedupe with the finished run's answers too.
	retryKnown := resume.Known
	resume.Known = func(yield func(checkpoint.Result) bool) error {
		more, err := yieldPrefix(cp, yield)
		if err != nil || !more || retryKnown == nil {
			return err
		}
		return retryKnown(yield)
	}
	prefill, err := cp.Prefix()
	if err != nil {
		rcp.Close()
		return nil, nil, nil, usageErr("read checkpoint: %w", err)
	}
	logf("--retry-failed: calling again the rows of %s that failed with a retryable error (at most %d rows not OK)", o.checkpointPath, retryable)
	return rcp, resume, prefill, nil
}

func retryPath(o *encryptOptions) string { return o.checkpointPath + ".retry" }

// replaceWithRetry makes a completed retry pass the job's checkpoint.
func replaceWithRetry(o *encryptOptions, rcp *checkpoint.Checkpoint) error {
	if err := rcp.Close(); err != nil {
		return fmt.Errorf("close the retry checkpoint: %w", err)
	}
	if err := os.Rename(retryPath(o), o.checkpointPath); err != nil {
		return fmt.Errorf("replace the checkpoint with the retry's: %w", err)
	}
	_ = checkpoint.Remove(retryPath(o)) // its lock file; the checkpoint itself was renamed
	return nil
}

// outcomeError maps how the run ended to the documented exit codes.
func outcomeError(o *encryptOptions, out pipeline.Outcome, snap pipeline.Snapshot) error {
	resumeHint := ""
	if !o.noCheckpoint {
		resumeHint = fmt.Sprintf("; progress is saved in %s: run the same command again to continue", o.checkpointPath)
	} else {
		resumeHint = "; no checkpoint was kept (--no-checkpoint): a new run starts over"
	}
	switch out.Stop {
	case pipeline.Completed:
		if snap.RowsFailed > 0 {
			return &exitError{code: exitRowsFailed}
		}
		return nil
	case pipeline.Interrupted:
		return &exitError{code: exitInterrupted, err: errors.New("interrupted after finishing the calls in flight" + resumeHint)}
	case pipeline.Deadline:
		return &exitError{code: exitInterrupted, err: fmt.Errorf("--max-duration %s reached"+resumeHint, o.maxDuration)}
	case pipeline.Fatal:
		msg := "aborted"
		if out.Fatal != nil {
			msg = fmt.Sprintf("aborted: the API answered %s: %s", out.Fatal.Code, out.Fatal.Message)
			if h := dytns.Hint(out.Fatal.Code); h != "" {
				msg += "\n  fix: " + h
			}
		}
		return &exitError{code: exitFatalAPI, err: errors.New(msg + resumeHint)}
	case pipeline.TooManyErrors:
		return &exitError{code: exitFatalAPI, err: fmt.Errorf("aborted: %v%s", out.Err, resumeHint)}
	default:
		return usageErr("%v%s", out.Err, resumeHint)
	}
}
