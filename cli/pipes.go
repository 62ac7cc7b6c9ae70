package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Pipes: INPUT "-" is stdin and "-o -" is stdout.
//
// Stdin is buffered whole to a 0600 file in the run's temporary directory before
// anything else: the readers detect XLSX/XLS by content and need a file, the
// progress ETA and the checkpoint fingerprint need the whole content's hash, and
// a resumed run must prove it got the same input again (it re-reads stdin, hashes
// it, and the checkpoint refuses a different one, as for a changed file).
//
// Stdout gets the output only once it is complete: the sink writes a temp file in
// the run's directory, copied to stdout after it closed. So a pipe never carries
// half an output, and a resumed run writes every row exactly once, as a file
// output's atomic rename guarantees.

// checkPipes applies the rules of "-" to the parsed flags.
func (o *encryptOptions) checkPipes(bomSet bool) error {
	if o.input == "-" && o.output == "" {
		o.output = "-"
	}
	if o.format != "" && o.output != "-" {
		return usageErr("--format applies to -o - (stdout) only; for a file, its extension picks the format")
	}
	if o.output == "-" {
		switch f := strings.ToLower(o.format); f {
		case "", "csv":
			o.format = "csv"
		case "tsv", "jsonl":
			o.format = f
		case "xlsx":
			return usageErr("XLSX cannot be written to stdout (a workbook is a zip archive, readable only once finished): use -o FILE.xlsx, or --format csv, tsv or jsonl")
		default:
			return usageErr("--format must be csv, tsv or jsonl, not %q", o.format)
		}
		if !bomSet {
			o.bom = false // a pipe feeds programs, not Excel
		}
	}
	if (o.input == "-" || o.output == "-") && o.checkpointPath == "" && !o.noCheckpoint {
		what := "INPUT is -"
		if o.input != "-" {
			what = "OUTPUT is -"
		}
		return usageErr("%s, so there is no file to keep the checkpoint beside: add --checkpoint FILE (or --no-checkpoint to keep none)", what)
	}
	return nil
}

// preparePipes buffers stdin and names the file the sink writes; it needs the
// run's temporary directory.
func (o *encryptOptions) preparePipes(stdin io.Reader) error {
	o.inputPath, o.sinkPath = o.input, o.output
	if o.input == "-" {
		p := filepath.Join(o.tmpDir, "stdin")
		if err := bufferStdin(stdin, p); err != nil {
			return usageErr("read INPUT from stdin: %w", err)
		}
		o.inputPath = p
	}
	if o.output == "-" {
		o.sinkPath = filepath.Join(o.tmpDir, "stdout."+o.format)
	}
	return nil
}

func bufferStdin(stdin io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, stdin); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyToStdout sends a completed output to stdout when that is the target.
func (o *encryptOptions) copyToStdout(stdout io.Writer) error {
	if o.output != "-" {
		return nil
	}
	f, err := os.Open(o.sinkPath)
	if err != nil {
		return usageErr("write output to stdout: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(stdout, f); err != nil {
		return usageErr("write output to stdout: %w", err)
	}
	return nil
}
