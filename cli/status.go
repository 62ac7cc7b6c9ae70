package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"dytnsbatch/checkpoint"
	"dytnsbatch/pipeline"
)

func StatusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", "status CHECKPOINT|OUTPUT", stderr)
	path, err := parseOne(fs, args, "checkpoint (or output) path")
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
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
	state := "unfinished (run the same encrypt command again to continue)"
	if m.Finished {
		state = "finished"
	}
	if st.Locked {
		state = "running now"
		if st.LockHolder != "" {
			state += " (" + st.LockHolder + ")"
		}
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
