package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dytnsbatch/checkpoint"
	"dytnsbatch/pipeline"
)

func StatusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", "status CHECKPOINT|OUTPUT|DIR", stderr)
	path, err := parseOne(fs, args, "checkpoint (or output) path")
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return statusFolder(path, stdout)
	}
	st, err := checkpoint.ReadStatus(path)
	if err != nil {
		// An output (or input-less) path: its checkpoint sits beside it.
		if st2, err2 := checkpoint.ReadStatus(path + ".checkpoint"); err2 == nil {
			path, st, err = path+".checkpoint", st2, nil
		}
	}
	if err != nil {
		return usageErr("%v", err)
	}
	m := st.Meta
	state := jobState(st)
	if !m.Finished && !st.Locked {
		state += " (run the same encrypt command again to continue)"
	}
	fmt.Fprintf(stdout, "checkpoint  %s (%d bytes)\n", path, st.Size)
	fmt.Fprintf(stdout, "state       %s\n", state)
	fmt.Fprintf(stdout, "input       %s (%d bytes)\n", m.Input, m.InputSize)
	fmt.Fprintf(stdout, "output      %s\n", m.Output)
	if m.Finished {
		fmt.Fprintf(stdout, "rows        %d of %d done\n", st.Spooled, m.Rows)
	} else {
		fmt.Fprintf(stdout, "rows        %d done in order, %d more answered\n", st.Spooled, st.Pending)
	}
	for _, c := range pipeline.CodeCounts(st.Counts) {
		fmt.Fprintf(stdout, "  %-28s %d\n", c.Code, c.Rows)
	}
	runs := "runs"
	if m.Runs == 1 {
		runs = "run"
	}
	fmt.Fprintf(stdout, "calls       %d over %d %s\n", m.Calls, m.Runs, runs)
	fmt.Fprintf(stdout, "created     %s\n", m.Created.Local().Format(time.DateTime))
	fmt.Fprintf(stdout, "last run    %s\n", m.Updated.Local().Format(time.DateTime))
	if st.TornBytes > 0 {
		fmt.Fprintf(stdout, "note        %d bytes of a torn tail will be dropped at the next run\n", st.TornBytes)
	}
	return nil
}

func jobState(st checkpoint.Status) string {
	switch {
	case st.Locked && st.LockHolder != "":
		return "running now (" + st.LockHolder + ")"
	case st.Locked:
		return "running now"
	case st.Meta.Finished:
		return "finished"
	}
	return "unfinished"
}

// statusFolder shows, a line each, the jobs whose checkpoints are in dir or its
// subfolders: the outputs of a run of many files.
func statusFolder(dir string, stdout io.Writer) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".checkpoint") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return usageErr("read folder %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return usageErr("no checkpoint (*.checkpoint) in %s", dir)
	}
	slices.Sort(paths)
	for _, p := range paths {
		st, err := checkpoint.ReadStatus(p)
		if err != nil {
			fmt.Fprintf(stdout, "%-12s %s: %v\n", "unreadable", p, err)
			continue
		}
		var notOK int64
		for code, n := range st.Counts {
			if code != pipeline.CodeOK {
				notOK += n
			}
		}
		fmt.Fprintf(stdout, "%-12s %s: %d rows done (%d not OK), %d calls\n", jobState(st), st.Meta.Input, st.Spooled, notOK, st.Meta.Calls)
	}
	return nil
}
