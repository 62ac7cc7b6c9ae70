package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// encryptOptions are the flags of `dytnsbatch encrypt`.
type encryptOptions struct {
	input, output                 string
	inputs                        []string  // the INPUT arguments of a run of many (files or folders)
	files                         []fileJob // what they expand to; nil for a run of one file
	recursive                     bool
	column, outIDColumn, sheet    string
	headerRow                     int
	encoding, delimiter           string
	authCode, region, endpoint    string
	profile                       string
	sandbox                       bool
	qps, workers, retries         int
	timeout                       time.Duration
	progress                      string
	progressInterval              time.Duration
	report                        string
	checkpointPath                string
	noCheckpoint, restart         bool
	noDedupe                      bool
	maxErrors                     string
	maxDuration                   time.Duration
	maxDurationLeft               time.Duration // in a run of many: what --max-duration leaves this file (0: all of it)
	bom                           bool
	outputEncoding                string
	dryRun                        bool
	retryFailed                   bool
	tmpDir                        string // this run's directory for spill files
	maxErrorsCount                int64
	maxErrorsRatio                float64
	delimiterRune                 rune
	sandboxLatency, sandboxJitter time.Duration
	sandboxQPS                    int
	cache                         string
	noCache, cacheRefresh         bool
	minValidity                   time.Duration
	format                        string // with -o -: csv, tsv or jsonl
	inputPath                     string // the file read: INPUT, or stdin buffered to the run's temp directory
	sinkPath                      string // the file written: OUTPUT, or a temp file copied to stdout once complete
}

const encryptSynopsis = "encrypt [flags] INPUT.{csv,tsv,txt,xlsx,xls}... | DIR... | -"

// parseEncryptFlags parses and validates encrypt's arguments in one place: flags
// (register), the INPUTs, then the checks between flags (validate). One INPUT that
// is a file (or -) is a run of one job, as always; several, or a folder, are a run
// of many (planned here, into o.files).
func parseEncryptFlags(args []string, stderr io.Writer) (*encryptOptions, error) {
	o := &encryptOptions{}
	fs := newFlagSet("encrypt", encryptSynopsis, stderr)
	o.register(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, err
	}
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if len(pos) == 0 {
		fs.Usage()
		return nil, usageErr("encrypt takes an INPUT: a file, files, a folder, or - for stdin")
	}
	if err := o.validateCommon(); err != nil {
		return nil, err
	}
	if st, serr := os.Stat(pos[0]); len(pos) > 1 || (serr == nil && st.IsDir()) {
		o.inputs = pos
		if err := o.checkManyFlags(); err != nil {
			return nil, err
		}
		o.files, err = planInputs(pos, o.recursive, o.output)
		return o, err
	}
	o.input = pos[0]
	bomSet := false
	fs.Visit(func(f *flag.Flag) { bomSet = bomSet || f.Name == "bom" })
	if err := o.validate(bomSet); err != nil {
		return nil, err
	}
	return o, nil
}

// register defines encrypt's flags on fs, bound to o's fields.
func (o *encryptOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.output, "output", "", "output `PATH`; its extension picks the format: .csv, .tsv, .xlsx or .jsonl; - writes to stdout (see --format); with many INPUTs or a folder, the folder for the outputs (default INPUT-STEM.encrypted.EXT beside the input; stdout when INPUT is -)")
	fs.BoolVar(&o.recursive, "recursive", false, "an INPUT folder: take the files of its subfolders too")
	fs.StringVar(&o.format, "format", "", "with -o -: what stdout gets: csv, tsv or jsonl (XLSX cannot go to a pipe) (default csv)")
	fs.StringVar(&o.output, "o", "", "same as --output")
	fs.StringVar(&o.column, "column", "", "phone column: header `NAME`, letter (C) or number (3); detected when not given")
	fs.StringVar(&o.outIDColumn, "outid-column", "", "take each row's OutId from this `COLUMN` (default: r + the row's line/Excel row number)")
	fs.StringVar(&o.sheet, "sheet", "", "XLSX/XLS sheet `NAME` (default: the first visible sheet)")
	fs.IntVar(&o.headerRow, "header-row", 0, "1-based header row `N` (default: detected)")
	fs.StringVar(&o.encoding, "encoding", "", "CSV input encoding: utf-8, gb18030, gbk, utf-16le, utf-16be (default: detected)")
	fs.StringVar(&o.delimiter, "delimiter", "", "CSV input delimiter: , ; tab | (default: detected)")
	fs.StringVar(&o.authCode, "auth-code", "", "the AuthCode approved in the 号码百科 console (default $DYTNS_AUTH_CODE)")
	fs.StringVar(&o.profile, "profile", "", "take credentials from this aliyun CLI profile `NAME` only (in ~/.aliyun/config.json or $ALIBABA_CLOUD_CONFIG_FILE, else a section of ~/.alibabacloud/credentials; default $ALIBABA_CLOUD_PROFILE, then the CLI's current profile)")
	fs.StringVar(&o.region, "region", "cn-hangzhou", "region `ID`")
	fs.StringVar(&o.endpoint, "endpoint", "dytnsapi.aliyuncs.com", "API `HOST[:PORT]`; HTTPS, except plain HTTP for a loopback address")
	fs.BoolVar(&o.sandbox, "sandbox", false, "start an embedded sandbox on loopback and use it: no account needed, the numbers are NOT real")
	fs.IntVar(&o.qps, "qps", 1000, "most API calls to start in any second (the account's quota)")
	fs.IntVar(&o.workers, "workers", 0, "calls in flight at most (default: grown to what the observed latency needs to reach --qps)")
	fs.IntVar(&o.retries, "retries", 8, "further attempts for a retryable failure (throttling, 5xx, timeouts)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one call")
	fs.StringVar(&o.progress, "progress", "auto", "progress display: auto (a bar on a terminal, else log lines), bar, log, none")
	fs.DurationVar(&o.progressInterval, "progress-interval", 10*time.Second, "interval of log-style progress lines")
	fs.StringVar(&o.report, "report", "", "also write the summary as JSON to `FILE`")
	fs.StringVar(&o.checkpointPath, "checkpoint", "", "checkpoint `PATH` (default OUTPUT.checkpoint; required when INPUT or OUTPUT is -)")
	fs.BoolVar(&o.noCheckpoint, "no-checkpoint", false, "keep no checkpoint: an interrupted run starts over (and pays again)")
	fs.BoolVar(&o.restart, "restart", false, "discard an existing checkpoint and start over")
	fs.BoolVar(&o.noDedupe, "no-dedupe", false, "call once per row even when numbers repeat")
	fs.StringVar(&o.maxErrors, "max-errors", "", "abort (exit 3, resumable) once more than `N` rows, or N% of rows, ended not OK")
	fs.DurationVar(&o.maxDuration, "max-duration", 0, "stop starting calls after `D` (e.g. 6h), save progress, exit 4")
	fs.BoolVar(&o.bom, "bom", true, "CSV output: start with a UTF-8 BOM so Excel reads it right (--bom=false to omit; off by default for -o -)")
	fs.StringVar(&o.outputEncoding, "output-encoding", "utf-8", "CSV output encoding: utf-8 or gb18030")
	fs.BoolVar(&o.retryFailed, "retry-failed", false, "on a finished job, call again only the rows whose final failure was retryable (throttling, 5xx, timeouts)")
	fs.StringVar(&o.cache, "cache", "", "result store `LOCATION`: a directory for the embedded store, or redis://[user:pass@]host:port/db (rediss:// for TLS) to share one (default: the user cache directory's dytnsbatch/)")
	fs.BoolVar(&o.noCache, "no-cache", false, "use no result store: call every number (dedupe within the job still applies)")
	fs.DurationVar(&o.minValidity, "min-validity", 24*time.Hour, "use a stored answer only if its 140 number stays valid at least `D` after now; otherwise call again")
	fs.BoolVar(&o.cacheRefresh, "cache-refresh", false, "ignore stored answers (call every number) but store the fresh ones")
	fs.BoolVar(&o.dryRun, "dry-run", false, "read, detect and validate everything, call nothing, and report what a run would do")
	// Sandbox tuning for demonstrations and benchmarks of --sandbox.
	fs.DurationVar(&o.sandboxLatency, "sandbox-latency", 0, "with --sandbox: the sandbox's base latency")
	fs.DurationVar(&o.sandboxJitter, "sandbox-jitter", 0, "with --sandbox: the sandbox's latency jitter (±)")
	fs.IntVar(&o.sandboxQPS, "sandbox-qps", 1000, "with --sandbox: the sandbox's QPS limit")
}

// validate applies the rules of a run of one INPUT: pipes, and the defaults that
// depend on other flags (output beside the input, checkpoint beside the output).
// bomSet says whether --bom was given explicitly, which pipes care about.
func (o *encryptOptions) validate(bomSet bool) error {
	if err := o.checkPipes(bomSet); err != nil {
		return err
	}
	if o.output == "" {
		o.output = defaultOutput(o.input)
	}
	if o.checkpointPath == "" {
		o.checkpointPath = o.output + ".checkpoint"
	}
	return nil
}

// validateCommon checks what one flag alone cannot, for one input or many, and
// derives the parsed forms (delimiter rune, --max-errors count or share).
func (o *encryptOptions) validateCommon() error {
	if o.authCode == "" {
		o.authCode = os.Getenv("DYTNS_AUTH_CODE")
	}
	if o.qps < 0 {
		return usageErr("--qps must be positive (0 means no limit)")
	}
	if o.retries < 0 {
		return usageErr("--retries must be 0 or more")
	}
	switch o.progress {
	case "auto", "bar", "log", "none":
	default:
		return usageErr("--progress must be auto, bar, log or none, not %q", o.progress)
	}
	switch strings.ToLower(o.outputEncoding) {
	case "utf-8", "utf8", "gb18030":
	default:
		return usageErr("--output-encoding must be utf-8 or gb18030, not %q", o.outputEncoding)
	}
	if err := o.parseDelimiter(); err != nil {
		return err
	}
	if err := o.parseMaxErrors(); err != nil {
		return err
	}
	if o.profile != "" && o.sandbox {
		return usageErr("--profile selects credentials for the real service; the sandbox has its own: drop one of them")
	}
	if o.retryFailed && (o.noCheckpoint || o.restart) {
		return usageErr("--retry-failed works from the checkpoint of a finished job: it cannot go with --no-checkpoint or --restart")
	}
	if o.minValidity < 0 {
		return usageErr("--min-validity must be 0 or more")
	}
	if o.noCache && (o.cache != "" || o.cacheRefresh) {
		return usageErr("--no-cache turns the result store off: it cannot go with --cache or --cache-refresh")
	}
	return nil
}

// parseDelimiter turns --delimiter into the rune the CSV reader takes.
func (o *encryptOptions) parseDelimiter() error {
	switch o.delimiter {
	case "":
	case "tab", `\t`, "\t":
		o.delimiterRune = '\t'
	default:
		r := []rune(o.delimiter)
		if len(r) != 1 {
			return usageErr("--delimiter must be one character or 'tab', not %q", o.delimiter)
		}
		o.delimiterRune = r[0]
	}
	return nil
}

// parseMaxErrors reads --max-errors as a row count N or a share N%.
func (o *encryptOptions) parseMaxErrors() error {
	if o.maxErrors == "" {
		return nil
	}
	if p, ok := strings.CutSuffix(o.maxErrors, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 {
			return usageErr("--max-errors %q: want N or N%% with 0 < N ≤ 100", o.maxErrors)
		}
		o.maxErrorsRatio = v / 100
		return nil
	}
	v, err := strconv.ParseInt(o.maxErrors, 10, 64)
	if err != nil || v < 0 {
		return usageErr("--max-errors %q: want a row count N or a share N%%", o.maxErrors)
	}
	o.maxErrorsCount = v
	return nil
}
