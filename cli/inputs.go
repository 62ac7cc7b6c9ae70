package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Many inputs: `encrypt FILE... | DIR`. Each file is its own job (its own output
// and checkpoint, so a rerun skips the finished ones and resumes the one that was
// cut short); the run shares one client, one pacer (one quota), one result store
// and one table of answers across them.

// fileJob is one input of a run of many and where its output goes.
type fileJob struct {
	input  string // as found: the argument, or a folder's path joined with the entry
	output string
}

// inputExts are the files a folder contributes; a file named on the command line is
// taken whatever its name (the readers tell formats apart by content).
var inputExts = []string{".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".et"}

// listedInput says whether a folder entry is an input: a known extension, and not
// hidden, not an Excel/WPS lock file (~$book.xlsx, left while the book is open),
// and not one of our own outputs (a nightly run over the folder it writes into
// would otherwise encrypt last night's results).
func listedInput(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
		return false
	}
	if strings.Contains(strings.ToLower(name), ".encrypted.") {
		return false
	}
	return slices.Contains(inputExts, strings.ToLower(filepath.Ext(name)))
}

// planInputs expands the INPUT arguments into jobs, in order: each argument in
// turn, a folder's files sorted by path. With outDir set, outputs go there (keeping
// a folder's subpaths), else beside their inputs. A file that cannot be stat'ed is
// kept: its job fails with a clear error and the others run.
func planInputs(args []string, recursive bool, outDir string) ([]fileJob, error) {
	var jobs []fileJob
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil || !st.IsDir() {
			jobs = append(jobs, fileJob{input: arg, output: outputFor(arg, filepath.Base(arg), outDir)})
			continue
		}
		files, err := listFolder(arg, recursive)
		if err != nil {
			return nil, usageErr("read folder %s: %w", arg, err)
		}
		if len(files) == 0 {
			hint := ""
			if !recursive {
				hint = "; --recursive also looks in its subfolders"
			}
			return nil, usageErr("folder %s holds no input file (%s)%s", arg, strings.Join(inputExts, " "), hint)
		}
		for _, rel := range files {
			in := filepath.Join(arg, rel)
			jobs = append(jobs, fileJob{input: in, output: outputFor(in, rel, outDir)})
		}
	}
	return jobs, checkOutputsDistinct(jobs)
}

func outputFor(input, rel, outDir string) string {
	if outDir == "" {
		return defaultOutput(input)
	}
	return filepath.Join(outDir, defaultOutput(rel))
}

// listFolder returns dir's input files as paths relative to it, sorted; with
// recursive, from its subfolders too, except hidden ones. An -o folder inside dir
// is walked like any other: the outputs in it are skipped by name, and inputs put
// there are inputs.
func listFolder(dir string, recursive bool) ([]string, error) {
	// WalkDir does not follow a symlink at its root (a "latest" link to tonight's
	// exports): walk where it points, naming files from dir as given.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			if !recursive || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if listedInput(d.Name()) {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// checkOutputsDistinct refuses a plan in which two inputs would write one output
// (a.xls and a.xlsx both give a.encrypted.xlsx), one input is named twice, or an
// output is also an input (`encrypt exports/*.csv` on the second night names
// a.encrypted.csv too: it would be rewritten, then encrypted).
func checkOutputsDistinct(jobs []fileJob) error {
	key := func(p string) string {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
		return filepath.Clean(p)
	}
	inputs := map[string]string{}
	for _, j := range jobs {
		inputs[key(j.input)] = j.input
	}
	seen := map[string]string{}
	for _, j := range jobs {
		key := key(j.output)
		if in, ok := inputs[key]; ok {
			return usageErr("%s is both an INPUT and the output of %s: leave the outputs (*.encrypted.*) out of the INPUTs (a folder INPUT skips them)", in, j.input)
		}
		if prev, ok := seen[key]; ok {
			if filepath.Clean(prev) == filepath.Clean(j.input) {
				return usageErr("%s is named twice", j.input)
			}
			return usageErr("%s and %s would both write %s: rename one, or run them separately with -o", prev, j.input, j.output)
		}
		seen[key] = j.input
	}
	return nil
}

// checkManyFlags applies the rules of a run of many inputs to the parsed flags.
func (o *encryptOptions) checkManyFlags() error {
	for _, in := range o.inputs {
		if in == "-" {
			return usageErr("- (stdin) must be the only INPUT")
		}
	}
	switch {
	case o.output == "-":
		return usageErr("-o - (stdout) takes one INPUT; with many inputs -o names a folder for the outputs")
	case o.format != "":
		return usageErr("--format applies to -o - (stdout) only")
	case o.checkpointPath != "":
		return usageErr("--checkpoint names one job's checkpoint; with many inputs each output keeps its own OUTPUT.checkpoint beside it")
	}
	if o.output != "" {
		if st, err := os.Stat(o.output); err == nil && !st.IsDir() {
			return usageErr("-o %s is a file; with many inputs -o names a folder for the outputs", o.output)
		}
	}
	return nil
}

// forFile is o narrowed to one file of a run of many.
func (o *encryptOptions) forFile(j fileJob) *encryptOptions {
	fo := *o
	fo.input, fo.inputPath = j.input, j.input
	fo.output, fo.sinkPath = j.output, j.output
	fo.checkpointPath = j.output + ".checkpoint"
	fo.inputs, fo.files = nil, nil
	return &fo
}

// ensureOutputDir creates the folder of an output when -o named a new one.
func ensureOutputDir(output string) error {
	dir := filepath.Dir(output)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create output folder %s: %w", dir, err)
	}
	return nil
}
