package pipeline

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"dytnsbatch/checkpoint"
	"dytnsbatch/readers"
)

// write is the only goroutine that touches the output: it regenerates the rows an
// earlier run finished, then puts finished rows back into input order and writes
// them. It returns the number of rows written.
//
// When resuming, every output row takes its cells from the replay reader, and the
// finished items only contribute results: that lets the call side use a reader that
// finds the phone numbers beyond the resume point fast, without the other cells.
func (r *runner) write() (int64, error) {
	var next int64
	var cells RowSource
	if res := r.cfg.Resume; res != nil && res.Replay != nil {
		// Calls come first: the replay waits until the call side has found the resume
		// point, so the two do not share the CPU before the first new call.
		select {
		case <-r.reachedResume:
		case <-r.stopCtx.Done():
		}
		n, err := r.replay(res)
		if err != nil {
			return n, err
		}
		next, cells = n, res.Replay
	}

	parked := make(map[int64]*item)
	var want *readers.Row // the replay row waiting for its result
	cellsEnded := false
	for {
		// The in-order records are not flushed here: every answer is already journaled
		// the moment it arrives, and the checkpoint pushes its buffer out on a timer.
		it, ok := <-r.finished
		if !ok {
			if want != nil && !r.stopped() {
				return next, fmt.Errorf("row %d of the input got no result: the input seems to have changed during the run", want.Line)
			}
			return next, nil
		}
		parked[it.row.Index] = it
		for {
			if cells != nil && want == nil && !cellsEnded {
				row, err := cells.Next()
				switch {
				case err == io.EOF:
					cellsEnded = true
				case err != nil:
					return next, err
				default:
					want = &row
				}
			}
			if cellsEnded {
				// Rows past the end of the replayed input (a run of blank rows one reader
				// kept and the other dropped) have nothing to be written with.
				for idx := range parked {
					delete(parked, idx)
					<-r.window
				}
				break
			}
			x, ok := parked[next]
			if !ok || !x.done {
				// An abandoned row ends the in-order output for this run; rows after it
				// that did finish are already journaled.
				break
			}
			delete(parked, next)
			row := x.row
			if want != nil {
				if want.Index != x.row.Index || want.Line != x.row.Line {
					return next, fmt.Errorf("internal error: the two readers of the input disagree at row %d (line %d vs %d)", next, want.Line, x.row.Line)
				}
				row, want = *want, nil
			}
			if err := r.emit(row, x.res, true); err != nil {
				return next, err
			}
			<-r.window
			next++
		}
	}
}

// replay writes rows 0..Spooled-1 from a second pass over the input and the recorded
// results, while the workers are already busy with new rows.
func (r *runner) replay(res *Resume) (int64, error) {
	if res.Spooled == 0 {
		return 0, nil
	}
	if res.Prefix == nil {
		return 0, errors.New("resume without the recorded results")
	}
	var n int64
	for n < res.Spooled {
		row, err := res.Replay.Next()
		if err == io.EOF {
			return n, fmt.Errorf("the input has only %d rows but the checkpoint has %d finished: was the input changed?", n, res.Spooled)
		}
		if err != nil {
			return n, err
		}
		rec, err := res.Prefix.Next()
		if err != nil {
			return n, fmt.Errorf("read checkpoint row %d: %w", n, err)
		}
		if rec.Index != row.Index {
			return n, fmt.Errorf("checkpoint row %d does not match input row %d", rec.Index, row.Index)
		}
		r.stats.resumed.Add(1)
		r.backfill(row, rec)
		r.shareRecorded(row, rec)
		if err := r.emit(row, rec, false); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// emit writes one output row and, for a row of this run, its in-order record.
func (r *runner) emit(row readers.Row, res checkpoint.Result, spool bool) error {
	res.Index = row.Index
	shown := res
	if r.cfg.Note != "" && shown.EncryptedNumber != "" {
		shown.Message += " " + r.cfg.Note
	}
	r.cells = outputCells(r.cells[:0], row.Cells, r.cfg.Width, shown)
	if err := r.cfg.Out.WriteRow(r.cells); err != nil {
		return fmt.Errorf("write output row %d: %w", row.Line, err)
	}
	if spool && r.cfg.Recorder != nil {
		if err := r.cfg.Recorder.Spool(res); err != nil {
			return fmt.Errorf("record row %d in the checkpoint: %w", row.Line, err)
		}
	}
	r.stats.countCode(res.Code)
	r.checkErrorBudget()
	return nil
}

func (r *runner) checkErrorBudget() {
	failed := r.stats.rowsFailed.Load()
	if r.cfg.MaxErrors > 0 && failed > r.cfg.MaxErrors {
		r.halt(TooManyErrors, nil, fmt.Errorf("%d rows failed, more than --max-errors %d", failed, r.cfg.MaxErrors))
		return
	}
	if r.cfg.MaxErrorRatio > 0 {
		done := r.stats.rowsDone()
		if done >= 100 && float64(failed) > r.cfg.MaxErrorRatio*float64(done) {
			r.halt(TooManyErrors, nil, fmt.Errorf("%d of %d rows failed, more than --max-errors %.4g%%", failed, done, r.cfg.MaxErrorRatio*100))
		}
	}
}

// outputCells lays out one output row: the input cells (padded to the header's
// width), the result columns, then any cells of a ragged row beyond the header, so
// that nothing is lost and the result columns stay under their headers. It
// appends to out.
func outputCells(out, in []string, width int, res checkpoint.Result) []string {
	head := in
	var extra []string
	if len(in) > width {
		head, extra = in[:width], in[width:]
	}
	out = append(out, head...)
	for len(out) < width {
		out = append(out, "")
	}
	out = append(out, res.EncryptedNumber, res.ExpireTime, res.OutID, res.Code, res.Message, res.RequestID, strconv.Itoa(res.Attempts), SourceOf(res))
	return append(out, extra...)
}
