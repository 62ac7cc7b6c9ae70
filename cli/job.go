package cli

import (
	"encoding/hex"
	"io"
	"os"

	"dytnsbatch/checkpoint"
	"dytnsbatch/pipeline"
)

// job is the checkpoint side of one file's run.
type job struct {
	cp      *checkpoint.Checkpoint
	rcp     *checkpoint.Checkpoint // --retry-failed: the new results, replacing cp once complete
	prefill *checkpoint.Iterator
	resume  *pipeline.Resume
	salt    []byte
	done    bool // the job had finished and its output exists: nothing to do
	closers []io.Closer
}

func (j *job) close() {
	for i := len(j.closers) - 1; i >= 0; i-- {
		_ = j.closers[i].Close()
	}
}

// openJob opens (or creates) the file's checkpoint and works out what is left:
// a resume, a --retry-failed pass, or nothing (done). The job returned, even with
// an error, is the caller's to close.
func openJob(o *encryptOptions, fp string, fpOpts map[string]string, inputSize int64, logf func(string, ...any)) (*job, error) {
	j := &job{}
	if o.noCheckpoint {
		j.salt = []byte(fp)
		return j, nil
	}
	want := checkpoint.Meta{Fingerprint: fp, Input: o.input, InputSize: inputSize, Output: o.output, Options: fpOpts}
	cp, err := checkpoint.Open(o.checkpointPath, want, o.restart)
	if err != nil {
		return j, asConfigError(err)
	}
	j.cp = cp
	j.closers = append(j.closers, cp)
	removeStaleOutputTemps(o.sinkPath, logf)
	if n := cp.TornBytes(); n > 0 {
		logf("checkpoint %s: dropped a torn record tail of %d bytes (an interrupted write); those rows will be redone", o.checkpointPath, n)
	}
	meta := cp.Meta()
	j.salt, _ = hex.DecodeString(meta.Salt)
	switch {
	case meta.Finished && o.retryFailed:
		j.rcp, j.resume, j.prefill, err = openRetry(o, cp, want, logf)
		if err != nil {
			return j, err
		}
		j.closers = append(j.closers, j.rcp, j.prefill)
	case meta.Finished:
		if _, err := os.Stat(o.sinkPath); err == nil {
			j.done = true
			return j, finishedCode(cp)
		}
		if o.output == "-" {
			logf("the job already finished: writing its output to stdout again from the checkpoint (no calls)")
		} else {
			logf("the job already finished but %s is missing: writing it again from the checkpoint (no calls)", o.output)
		}
	case o.retryFailed:
		return j, usageErr("the job in %s has not finished: run it without --retry-failed to complete it first", o.checkpointPath)
	}
	if j.rcp == nil && cp.Resumed() {
		j.resume, err = buildResume(cp)
		if err != nil {
			return j, err
		}
		logf("resuming from %s: %d rows already finished, %d answers waiting to be written", o.checkpointPath, j.resume.Spooled, len(j.resume.Pending))
	}
	if j.resume != nil {
		if c, ok := j.resume.Prefix.(io.Closer); ok {
			j.closers = append(j.closers, c)
		}
	}
	return j, nil
}
