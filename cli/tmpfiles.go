package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"dytnsbatch/writers"
)

// runTempDir makes this run's directory for excelize's spill files (a large sheet
// unzips to hundreds of MB) and sweeps the directories of runs that were killed
// before they could remove their own. The directory name carries the PID, so a
// directory is removed only when its process is gone.
func runTempDir(logf func(string, ...any)) (dir string, cleanup func(), err error) {
	sweepDeadRunDirs(logf)
	dir, err = os.MkdirTemp("", fmt.Sprintf("dytnsbatch-%d-", os.Getpid()))
	if err != nil {
		return "", nil, fmt.Errorf("make a temporary directory: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

func sweepDeadRunDirs(logf func(string, ...any)) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "dytnsbatch-*-*"))
	for _, m := range matches {
		fields := strings.SplitN(filepath.Base(m), "-", 3)
		pid, err := strconv.Atoi(fields[1])
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(m); err == nil {
			logf("removed %s, left by a run that was killed", m)
		}
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || err == syscall.EPERM
}

// removeStaleOutputTemps removes the partial outputs of earlier runs of this job
// that were killed before they could clean up. Only call it while holding the job's
// checkpoint lock: then no live run can own such a file.
func removeStaleOutputTemps(output string, logf func(string, ...any)) {
	for _, m := range writers.RemoveStaleTemps(output) {
		logf("removed %s, a partial output left by a run that was killed", m)
	}
}
